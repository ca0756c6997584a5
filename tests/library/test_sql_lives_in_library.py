"""The library package is the one owner of the schema: no other package writes SQL or runs it.

Jobs, commands and the window reach the database through named functions of ``sd_desktop.library``
(and its peewee models), so a change of the schema is a change in one package. This test reads every
module's syntax tree: a call of ``execute``/``executemany``/``executescript``/``execute_sql``, or a
string that starts like an SQL statement, outside ``sd_desktop/library`` fails it with the places.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sd_desktop

PACKAGE = Path(sd_desktop.__file__).parent
RUNS_SQL = {"execute", "executemany", "executescript", "execute_sql"}
# case-sensitive on purpose: SQL here is written in capitals, and "Delete permanently" is a label
STATEMENT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|WITH|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|"
    r"RELEASE|VACUUM|ATTACH|DETACH)\s+[A-Za-z_(*]"
)


def sql_outside_library(package: Path = PACKAGE) -> list[str]:
    found = []
    for module in sorted(package.rglob("*.py")):
        if package / "library" in module.parents:
            continue
        tree = ast.parse(module.read_bytes(), filename=str(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS_SQL:
                found.append(f"{module.relative_to(package.parent)}:{node.lineno}: .{node.func.attr}(...)")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and STATEMENT.match(node.value):
                found.append(f"{module.relative_to(package.parent)}:{node.lineno}: {node.value.strip()[:40]!r}")
    return found


def test_no_package_but_library_writes_or_runs_sql():
    assert sql_outside_library() == []


def test_the_check_sees_sql_when_it_is_there(tmp_path):
    """The scan itself finds both forms (so the test above cannot pass by seeing nothing)."""
    fake = tmp_path / "sd_desktop"
    (fake / "library").mkdir(parents=True)
    (fake / "ops").mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "library" / "ok.py").write_text('def f(c):\n    c.execute("SELECT 1")\n')
    (fake / "ops" / "bad.py").write_text(
        'def f(c):\n    c.execute("x")\n    q = "UPDATE entry SET size = 0"\n    label = "Delete permanently"\n'
    )
    assert sql_outside_library(fake) == [
        "sd_desktop/ops/bad.py:2: .execute(...)",
        "sd_desktop/ops/bad.py:3: 'UPDATE entry SET size = 0'",
    ]
