"""Killing `newsrag ingest` with SIGKILL at several points, then running it again, gives the store one
uninterrupted run gives: the same chunk ids in Chroma, the BM25 catalog and the ingest records, and no
duplicates or orphans."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

N_ARTICLES = 200


def _corpus(path: Path) -> Path:
    topics = ["vredesoverleg", "verkiezingen", "klimaatbeleid", "woningmarkt", "zorgkosten", "onderwijs"]
    with path.open("w") as f:
        for i in range(N_ARTICLES):
            topic = topics[i % len(topics)]
            sentences = [
                f"Artikel {i} gaat over {topic} in gemeente {i % 17} en de gevolgen voor inwoners.",
                f"Volgens woordvoerder nummer {i} is het besluit over {topic} nog niet definitief genomen.",
                f"De gemeenteraad vergadert volgende week opnieuw over {topic}, meldt de redactie.",
            ] * (1 + i % 4)
            f.write(
                json.dumps(
                    {
                        "id": f"a{i:03d}",
                        "title": f"{topic} {i}",
                        "date": "2020-10-01",
                        "lang": "nl",
                        "text": " ".join(sentences),
                    }
                )
                + "\n"
            )
    return path


def _ingest(home: Path, corpus: Path) -> subprocess.Popen:
    env = {**os.environ, "NEWSRAG_HOME": str(home), "NEWSRAG_INGEST_BATCH_CHUNKS": "48"}
    exe = Path(sys.executable).parent / "newsrag"
    return subprocess.Popen(
        [str(exe), "ingest", str(corpus), "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )


def _count(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as con:
            return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        return -1


def _snapshot(home: Path) -> dict:
    from index.ingest import record_manager
    from ui import wiring
    from ui.settings import Settings

    settings = Settings(home=home)
    store = wiring.store(settings, wiring.embedder(settings))
    chroma = store.chroma.get(include=["metadatas"])
    records = record_manager(home, store)
    articles = set(store.catalog.index_hashes())
    catalog_ids = store.catalog.chunk_ids()
    chunk_articles = {m["article_id"] for m in chroma["metadatas"]}
    snap = {
        "chroma": sorted(chroma["ids"]),
        "catalog": sorted(catalog_ids),
        "records": sorted(records.list_keys()),
        "articles": sorted(articles),
    }
    assert len(catalog_ids) == len(set(catalog_ids)), "duplicate chunks in the catalog"
    assert len(chroma["ids"]) == len(set(chroma["ids"])), "duplicate chunks in Chroma"
    assert chunk_articles == articles, "orphan chunks or articles without chunks"
    return snap


def test_killed_ingest_converges_to_a_clean_run(tmp_path: Path):
    corpus = _corpus(tmp_path / "corpus.jsonl")
    clean_home, crash_home = tmp_path / "clean", tmp_path / "crashed"
    assert _ingest(clean_home, corpus).wait(timeout=900) == 0

    catalog = crash_home / "catalog.sqlite"
    kill_points = [
        ("while loading the model", lambda: True, 1.0),
        (
            "after some chunks, before their articles",
            lambda: _count(catalog, "chunks") > 0 and _count(catalog, "articles") == 0,
            0.0,
        ),
        ("between batches", lambda: _count(catalog, "articles") >= 40, 0.0),
        ("late in the run", lambda: _count(catalog, "articles") >= 120, 0.0),
    ]
    killed = []
    for name, ready, delay in kill_points:
        proc = _ingest(crash_home, corpus)
        deadline = time.monotonic() + 600
        while proc.poll() is None and not ready() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed.append((name, _count(catalog, "articles"), _count(catalog, "chunks")))
        proc.wait(timeout=60)
    assert len(killed) >= 2, f"too few kills landed mid-run: {killed}"

    final = _ingest(crash_home, corpus)
    out, _ = final.communicate(timeout=900)
    assert final.returncode == 0
    assert json.loads(out)["articles_seen"] == N_ARTICLES

    clean, crashed = _snapshot(clean_home), _snapshot(crash_home)
    assert len(clean["articles"]) == N_ARTICLES
    assert crashed == clean, f"kills at: {killed}"
    assert clean["chroma"] == clean["catalog"] == clean["records"]
