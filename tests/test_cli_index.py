"""The index commands end to end with the real embedding model and real Chroma (embedded and server)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ui.cli import cli

from .conftest import CORPUS, SEED_ID

pytestmark = pytest.mark.slow


def run(*args: str, ok: bool = True):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def _search(query: str) -> list[dict]:
    return json.loads(run("search", query, "--json").output)


def test_ingest_then_search_finds_lavrov_in_english_and_dutch():
    report = json.loads(run("ingest", str(CORPUS), "--json").output)
    assert report["articles_added"] == 1 and report["chunks_embedded"] >= 2 and report["errors"] == []
    for query in ("who mediated in Moscow?", "Wie bemiddelde in Moskou?"):
        hits = _search(query)
        assert hits[0]["article_id"] == SEED_ID
        assert "Lavrov" in hits[0]["text"]
        assert set(hits[0]) == {"rank", "score", "article_id", "title", "date", "url", "text", "start", "end"}
        assert hits[0]["date"] == "2020-10"
    again = json.loads(run("ingest", str(CORPUS), "--json").output)
    assert again["chunks_embedded"] == 0 and again["articles_unchanged"] == 1


def test_search_offsets_are_exact_spans_of_the_article():
    from index.loaders import load_articles

    (article,) = list(load_articles([CORPUS]))
    run("ingest", str(CORPUS))
    for mode in ("dense", "bm25", "hybrid"):
        hits = json.loads(run("search", "Lavrov Moskou", "--mode", mode, "-k", "3", "--json").output)
        assert hits, mode
        for h in hits:
            assert article.text[h["start"] : h["end"]] == h["text"]


def test_stats_counts_agree():
    run("ingest", str(CORPUS))
    stats = json.loads(run("stats", "--json").output)
    assert stats["articles"] == 1
    assert stats["chunks"] == stats["bm25_chunks"] >= 2
    assert stats["model"] == "multilingual-e5-small (onnx-int8)" and stats["dimension"] == 384


def test_bad_files_are_reported_and_the_good_article_is_searchable(tmp_path: Path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(CORPUS / f"{SEED_ID}.txt", folder)
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "empty.txt").write_text("")
    (folder / "latin1.txt").write_bytes(" date 2020-10 Caf\xe9 in Utrecht, \xe9\xe9n artikel.".encode("latin-1"))
    (folder / "feed.jsonl").write_text(
        '{"id": "ok-1", "title": "Goed", "text": "Een goed artikel over kaas."}\n{"id": broken\n'
    )
    result = run("ingest", str(folder), "--json")
    report = json.loads(result.output)
    reasons = {Path(e["path"]).name: e for e in report["errors"]}
    assert set(reasons) == {"image.txt", "empty.txt", "latin1.txt", "feed.jsonl"}, report["errors"]
    assert reasons["feed.jsonl"]["line"] == 2
    assert report["articles_added"] == 2
    assert _search("who mediated in Moscow?")[0]["article_id"] == SEED_ID

    strict = CliRunner().invoke(cli, ["ingest", str(folder), "--strict"])
    assert strict.exit_code != 0
    assert "image.txt" in strict.output and "Traceback" not in strict.output


def test_a_different_model_on_the_same_store_is_a_clean_error(monkeypatch):
    run("ingest", str(CORPUS))
    from index.store import open_store

    class Other:
        name, dimension = "another-model", 384

    with pytest.raises(Exception, match=r"built with embedding model 'multilingual-e5-small \(onnx-int8\)'"):
        from ui.settings import Settings

        open_store(Settings().home, embeddings=Other(), model_name="another-model", dimension=384)


@pytest.fixture
def chroma_server(tmp_path: Path):
    """A real Chroma server (`chroma run`) on 127.0.0.1, stopped at teardown."""
    from .servers import chroma_server as running

    with running(tmp_path / "server") as url:
        yield url


def test_search_against_a_real_chroma_server(chroma_server: str, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("NEWSRAG_CHROMA_URL", chroma_server)
    report = json.loads(run("ingest", str(CORPUS), "--json").output)
    assert report["articles_added"] == 1
    assert not (tmp_path / "home" / "chroma").exists()  # vectors went to the server
    for query in ("who mediated in Moscow?", "Wie bemiddelde in Moskou?"):
        hits = _search(query)
        assert hits[0]["article_id"] == SEED_ID and "Lavrov" in hits[0]["text"]
    stats = json.loads(run("stats", "--json").output)
    assert stats["chunks"] == stats["bm25_chunks"] >= 2
