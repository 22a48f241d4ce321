"""Imports run one way, `ui -> rag -> index`: the library packages never import the layers above them, nor
the edge's tools: click (the commands live in `ui/cli/`) and the settings (`ui/settings.py`, read only at the
edge; `ui.wiring` turns them into the objects the libraries take). Nor do they find files next to their own
source (`__file__`): every path comes in as an argument.

Read from the source with `ast` (module-level and function-level imports alike, since heavy imports sit inside
functions), so a lazy import cannot slip past."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

LAYERS = ("index", "rag", "ui")  # lowest first
ABOVE = {name: set(LAYERS[i + 1 :]) for i, name in enumerate(LAYERS)}
LIBRARIES = ("index", "rag")
EDGE_ONLY = {"click", "pydantic_settings"}  # the command line and the settings are the edge's
SETTINGS_MODULES = {"ui.settings", "index.settings", "rag.settings"}


def imported_modules(path: Path) -> set[str]:
    """The dotted module names a module imports (`from a.b import c` counts as `a.b` and `a.b.c`; relative
    imports stay in their own package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def imported_packages(path: Path) -> set[str]:
    """The top-level package names a module imports."""
    return {name.split(".")[0] for name in imported_modules(path)}


def uses_file(path: Path) -> bool:
    """Whether a module reads `__file__` (to find files relative to its own source)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return any(isinstance(node, ast.Name) and node.id == "__file__" for node in ast.walk(tree))


@pytest.mark.parametrize("package", LAYERS)
def test_a_package_imports_no_layer_above_it(package: str):
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & ABOVE[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {k: v for k, v in offending.items() if v} == {}


@pytest.mark.parametrize("package", LIBRARIES)
def test_a_library_imports_neither_click_nor_the_settings(package: str):
    offending = {
        str(path.relative_to(ROOT)): sorted(
            (imported_packages(path) & EDGE_ONLY) | (imported_modules(path) & SETTINGS_MODULES)
        )
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {k: v for k, v in offending.items() if v} == {}


@pytest.mark.parametrize("package", LIBRARIES)
def test_a_library_finds_no_file_next_to_its_source(package: str):
    assert [str(p.relative_to(ROOT)) for p in sorted((ROOT / package).rglob("*.py")) if uses_file(p)] == []


def test_the_check_sees_function_level_imports(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from ui.render import answer_html\n    import rag.answer\n")
    assert imported_packages(module) == {"os", "ui", "rag"}


def test_the_check_sees_click_the_settings_and_file(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text("from pathlib import Path\n\ndef f():\n    import click\n    return Path(__file__)\n")
    assert "click" in imported_modules(module) and uses_file(module)
    for line in ("from ui.settings import Settings", "from ui import settings", "import ui.settings"):
        module.write_text(line + "\n")
        assert "ui.settings" in imported_modules(module), line
    module.write_text("from chromadb.config import Settings\n")  # another library's settings are no edge
    assert not imported_modules(module) & SETTINGS_MODULES
