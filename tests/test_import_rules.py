"""The package boundaries of docs/ARCHITECTURE.md, read from every module's imports (lazy ones
inside functions included): the library owns the data and depends on nothing above it, the engine
never imports a job, the two front ends never import each other, and only the window imports Qt."""

from __future__ import annotations

import ast
from pathlib import Path

import sd_desktop

PACKAGE = Path(sd_desktop.__file__).parent
ABOVE_LIBRARY = [
    "sd_desktop.jobs",
    "sd_desktop.ops",
    "sd_desktop.engine",
    "sd_desktop.commands",
    "sd_desktop.cli",
    "sd_desktop.ui",
]

# a module (or package) -> the project modules it must never import
FORBIDDEN = {
    "sd_desktop.enums": ["sd_desktop"],
    "sd_desktop.paths": ["sd_desktop"],
    "sd_desktop.library": [*ABOVE_LIBRARY, "sd_desktop.volumes"],
    "sd_desktop.volumes": ABOVE_LIBRARY,
    "sd_desktop.jobs": [
        "sd_desktop.ops",
        "sd_desktop.engine",
        "sd_desktop.commands",
        "sd_desktop.cli",
        "sd_desktop.ui",
    ],
    "sd_desktop.ops": ["sd_desktop.engine", "sd_desktop.commands", "sd_desktop.cli", "sd_desktop.ui"],
    "sd_desktop.commands": ["sd_desktop.ui"],
    # the engine served to other processes: beside the job engine, below both front ends
    "sd_desktop.engine": ["sd_desktop.commands", "sd_desktop.cli", "sd_desktop.ui"],
    "sd_desktop.ui": ["sd_desktop.commands", "sd_desktop.cli"],
}
ALLOWED = {("sd_desktop.cli", "sd_desktop.ui.app")}  # the one door from the command line to the window
QT = {"PySide6", "shiboken6", "qasync"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, ``from a import b`` as a and a.b."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(root: Path = PACKAGE) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        denied = [d for owner, deny in FORBIDDEN.items() if _within(name, owner) for d in deny]
        for imported in sorted(imports_of(path, root)):
            if any(_within(imported, d) for d in denied) and not any(
                _within(name, a) and _within(imported, b) for a, b in ALLOWED
            ):
                bad.append(f"{name} imports {imported}")
            if imported.split(".")[0] in QT and not _within(name, "sd_desktop.ui"):
                bad.append(f"{name} imports {imported}: only sd_desktop.ui may use Qt")
    return bad


def test_package_boundaries_hold():
    assert violations() == []


def test_the_check_finds_each_kind_of_breach(tmp_path):
    """Lazy, relative and Qt imports that break a rule are all found (so the test above can fail)."""
    root = tmp_path / "sd_desktop"
    for folder in ("library", "jobs", "ui"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "cli.py").write_text("def gui():\n    from sd_desktop.ui.app import run_gui\n")
    (root / "library" / "store.py").write_text("def f():\n    from ..jobs import manager\n")
    (root / "jobs" / "manager.py").write_text("import PySide6.QtCore\nfrom sd_desktop.library import store\n")
    (root / "ui" / "window.py").write_text("from PySide6.QtCore import QObject\nfrom sd_desktop import cli\n")
    assert violations(root) == [
        "sd_desktop.jobs.manager imports PySide6.QtCore: only sd_desktop.ui may use Qt",
        "sd_desktop.library.store imports sd_desktop.jobs",
        "sd_desktop.library.store imports sd_desktop.jobs.manager",
        "sd_desktop.ui.window imports sd_desktop.cli",
    ]
