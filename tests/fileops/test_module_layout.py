"""How the file-operation modules depend on each other, read from their source: the copy package's
modules import one another without a cycle (lazy imports inside functions count), and what other
packages share (file-system primitives, the bookkeeping of entries) is not taken from inside the
copy job's package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sd_desktop
from tests.conftest import REPO

PACKAGE = Path(sd_desktop.__file__).parent
COPY = "sd_desktop.ops.files.copy"
# what others may use of the copy package: the job, its config and the conflict-answer API
COPY_API = {COPY, f"{COPY}.config", f"{COPY}.conflicts", f"{COPY}.job"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside functions (``from pkg import mod`` gives
    ``pkg.mod`` when that is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").exists():
                    found.add(candidate)
    return found


def _all_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def test_the_copy_modules_import_each_other_without_a_cycle():
    modules = {name: path for name, path in _all_modules().items() if name.startswith(f"{COPY}.")}
    graph = {name: sorted(m for m in _imports(path) if m in modules and m != name) for name, path in modules.items()}
    cycles = []

    def visit(name: str, stack: list[str]) -> None:
        if name in stack:
            cycles.append(stack[stack.index(name) :] + [name])
            return
        for nxt in graph[name]:
            visit(nxt, stack + [name])

    for name in graph:
        visit(name, [])
    assert cycles == []


def test_other_packages_use_only_the_copy_jobs_api():
    outside = {
        name: sorted(m for m in _imports(path) if m.startswith(f"{COPY}.") and m not in COPY_API)
        for name, path in _all_modules().items()
        if not name.startswith(f"{COPY}.")
    }
    assert {name: used for name, used in outside.items() if used} == {}


def test_importing_the_file_system_steps_starts_no_process():
    """``fsops`` finds libc without ``ctypes.util.find_library``, which runs ``ldconfig -p`` as a
    subprocess: every command that copies, deletes or links would pay for it at start."""
    code = (
        "import sys\n"
        "sys.addaudithook(lambda event, args: event == 'subprocess.Popen' and print('started', args[1]))\n"
        "import sd_desktop.ops.files.fsops as f\n"
        "print('renameat2', f._renameat2 is not None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out == "renameat2 True\n"
