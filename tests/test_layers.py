"""Imports run one way, `ui -> rag -> index`: the library packages never import the layers above them.

Read from the source with `ast` (module-level and function-level imports alike, since heavy imports sit inside
functions), so a lazy import cannot slip past."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

LAYERS = ("index", "rag", "ui")  # lowest first
ABOVE = {name: set(LAYERS[i + 1 :]) for i, name in enumerate(LAYERS)}


def imported_packages(path: Path) -> set[str]:
    """The top-level package names a module imports (relative imports stay in their own package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", LAYERS)
def test_a_package_imports_no_layer_above_it(package: str):
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & ABOVE[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {k: v for k, v in offending.items() if v} == {}


def test_the_check_sees_function_level_imports(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from ui.render import answer_html\n    import rag.answer\n")
    assert imported_packages(module) == {"os", "ui", "rag"}
