"""Every setting is described in the code and documented in the README."""

from __future__ import annotations

from ui.settings import Settings

from .conftest import ROOT


def test_every_setting_has_a_description_and_a_readme_row():
    readme = (ROOT / "README.md").read_text()
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
        assert f"`NEWSRAG_{name.upper()}`" in readme, f"NEWSRAG_{name.upper()} is not in the README"


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSRAG_HOME", str(tmp_path / "x"))
    monkeypatch.setenv("NEWSRAG_CHUNK_MAX_TOKENS", "200")
    s = Settings()
    assert s.home == tmp_path / "x" and s.chunk_max_tokens == 200


def test_importing_does_no_work(tmp_path):
    import subprocess
    import sys

    code = (
        "import index.store, index.ingest, ui.cli, ui.wiring, sys; "
        "print(sorted(m for m in ('torch','sentence_transformers','chromadb','gradio') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}
    )
    assert out.stdout.strip() == "[]", out.stderr
    assert not (tmp_path / ".newsrag").exists()


def test_importing_the_settings_loads_no_library(tmp_path):
    """The settings' types (backend names) come from light modules: reading a Settings costs no LangChain."""
    import subprocess
    import sys

    code = (
        "import ui.settings, sys; "
        "print(sorted(m for m in ('langchain_core','numpy','torch','chromadb') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}
    )
    assert out.stdout.strip() == "[]", out.stderr
