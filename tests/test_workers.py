"""Several server processes (README "Running several workers"): a real Chroma server (`chroma run`), an
ingest into it, and two `newsrag serve` processes sharing it and one data directory (the SQLite catalog and
BM25 index, WAL mode), both answering at the same time. The extractive backend: the store is under test."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from .conftest import SEED_ID
from .servers import chroma_server, ingest, newsrag_server

pytestmark = pytest.mark.slow

QUESTIONS = ["who mediated in Moscow?", "Wie bemiddelde bij de besprekingen in Moskou?"]


def ask_both(urls: list[str]) -> list[httpx.Response]:
    """Each question to each server, all at once."""
    results: dict[tuple[int, int], httpx.Response] = {}

    def ask(i: int, j: int) -> None:
        results[i, j] = httpx.post(f"{urls[i]}/api/ask", json={"question": QUESTIONS[j]}, timeout=300)

    threads = [threading.Thread(target=ask, args=(i, j)) for i in range(len(urls)) for j in range(len(QUESTIONS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(330)
    assert len(results) == len(threads), "a request did not finish"
    return list(results.values())


def test_two_servers_share_one_chroma_server(tmp_path: Path):
    home = tmp_path / "shared-home"
    home.mkdir()
    with chroma_server(tmp_path / "chroma") as chroma:
        ingest(home, NEWSRAG_CHROMA_URL=chroma)
        assert not (home / "chroma").exists()  # the vectors are in the server, not embedded
        env = {"NEWSRAG_CHROMA_URL": chroma}
        with newsrag_server(home, llm="extractive", **env) as a, newsrag_server(home, llm="extractive", **env) as b:
            for url in (a, b):
                assert httpx.get(f"{url}/healthz", timeout=30).json() == {"status": "ok", "articles": 1}
            for response in ask_both([a, b]):
                assert response.status_code == 200, response.text
                answer = response.json()
                assert not answer["refused"] and "Lavrov" in answer["answer"]
                assert answer["citations"][0]["article_id"] == SEED_ID
            for url in (a, b):
                article = httpx.get(f"{url}/api/articles/{SEED_ID}", timeout=30).json()
                assert "Lavrov" in article["text"]
