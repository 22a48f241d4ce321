"""Every setting is described in the code and documented in the README."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize(
    "modules, heavy",
    [
        ("index.store, index.ingest, ui.cli, ui.wiring", ("torch", "sentence_transformers", "chromadb", "gradio")),
        # the settings' types (backend names) come from light modules: reading a Settings costs no LangChain
        ("ui.settings", ("langchain_core", "numpy", "torch", "chromadb")),
    ],
)
def test_importing_does_no_work(tmp_path, modules, heavy):
    import subprocess
    import sys

    code = f"import {modules}, sys; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}
    )
    assert out.stdout.strip() == "[]", out.stderr
    assert not (tmp_path / ".newsrag").exists()
