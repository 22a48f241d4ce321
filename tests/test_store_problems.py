"""Store problems and bad input through the real CLI: a clear message with the fix, never a traceback,
and nothing already stored is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ui.cli import cli

from .conftest import CORPUS, SEED_ID

pytestmark = pytest.mark.slow


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _clean_failure(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    for needle in needles:
        assert needle in result.output, result.output


@pytest.fixture
def home(tmp_path: Path) -> Path:
    assert invoke("ingest", str(CORPUS)).exit_code == 0
    return tmp_path / "home"


def test_corrupted_catalog(home: Path):
    (home / "catalog.sqlite").write_bytes(b"garbage" * 1000)
    for suffix in ("-wal", "-shm"):
        (home / f"catalog.sqlite{suffix}").unlink(missing_ok=True)
    _clean_failure(invoke("search", "Lavrov"), "catalog", "newsrag ingest --rebuild")
    assert invoke("ingest", str(CORPUS), "--rebuild").exit_code == 0
    assert json.loads(invoke("search", "Lavrov", "--json").output)[0]["article_id"] == SEED_ID


def test_corrupted_chroma_store(home: Path):
    db = home / "chroma" / "chroma.sqlite3"
    db.write_bytes(b"garbage" * 1000)
    _clean_failure(invoke("search", "Lavrov"), "newsrag ingest --rebuild")
    result = invoke("ingest", str(CORPUS), "--rebuild")
    assert result.exit_code == 0, result.output
    assert json.loads(invoke("search", "Lavrov", "--json").output)[0]["article_id"] == SEED_ID


def test_store_of_another_model(home: Path, monkeypatch):
    from index.models import ensure_e5
    from ui.settings import Settings

    # the same weights under another name (a local path) still count as another model: no silent mixing
    monkeypatch.setenv("NEWSRAG_EMBED_MODEL", str(ensure_e5(Settings().model_cache)))
    _clean_failure(invoke("stats"), "was built with embedding model 'multilingual-e5-small (onnx-int8)'", "--rebuild")


def test_store_of_the_other_embedding_backend(home: Path, monkeypatch):
    # float32 vectors differ slightly from int8 ones: the same model on torch does not write into an int8 store
    monkeypatch.setenv("NEWSRAG_EMBED_BACKEND", "torch")
    _clean_failure(invoke("stats"), "configured model is 'multilingual-e5-small'", "NEWSRAG_EMBED_BACKEND", "--rebuild")


def test_another_collection_in_the_same_data_directory_loses_nothing_stored(home: Path, monkeypatch):
    # the catalog (articles, keyword index) is one per data directory: a second collection there would reset it
    monkeypatch.setenv("NEWSRAG_COLLECTION", "second")
    _clean_failure(invoke("stats"), "holds the collection 'newsrag'", "NEWSRAG_HOME")
    monkeypatch.delenv("NEWSRAG_COLLECTION")
    assert json.loads(invoke("search", "Lavrov", "--json").output)[0]["article_id"] == SEED_ID


def test_a_file_that_turns_bad_loses_nothing_already_stored(tmp_path: Path):
    folder = tmp_path / "feed"
    folder.mkdir()
    feed = folder / "feed.jsonl"
    feed.write_text(
        json.dumps({"id": "k1", "title": "Kaas", "text": "De kaasmarkt in Alkmaar trok veel toeristen."})
        + "\n"
        + json.dumps({"id": "k2", "title": "Fiets", "text": "Utrecht opende de grootste fietsenstalling."})
        + "\n"
    )
    assert invoke("ingest", str(folder)).exit_code == 0
    feed.write_bytes(b"\xff\xfe broken \x00\x01")
    result = invoke("ingest", str(folder), "--prune", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["errors"] and report["errors"][0]["path"].endswith("feed.jsonl")
    assert report["articles_removed"] == 0
    stats = json.loads(invoke("stats", "--json").output)
    assert stats["articles"] == 2 and stats["chunks"] == stats["bm25_chunks"] == 2


def test_missing_path_is_a_usage_error(tmp_path: Path):
    result = invoke("ingest", str(tmp_path / "nope"))
    assert result.exit_code == 2 and "does not exist" in result.output
