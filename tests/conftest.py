"""Shared fixtures: isolated NEWSRAG_* paths, a deterministic fake embedder, real Chroma in tmp_path."""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from index.chunking import whitespace_token_starts
from index.records import Article
from ui.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
SEED_ID = "000_15448dadedb0d90e"
# Debian's Chromium for the browser tests (never a downloaded browser build), headless and offline
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


# Two Dutch news articles most API and retrieval tests search: MOSCOW answers QUESTION, CHEESE is beside the point.
# A test that needs another variant takes `dataclasses.replace` of one.
QUESTION = "Wie bemiddelde bij de besprekingen in Moskou?"
MOSCOW = Article(
    id="moscow",
    title="Bestand in Nagorno-Karabach",
    date="2020-10",
    source="NOS",
    lang="nl",
    text="Lavrov bemiddelde bij de besprekingen in Moskou. De besprekingen duurden tien uur lang in Moskou.",
)
CHEESE = Article(
    id="cheese",
    title="Kaasmarkt Alkmaar",
    date="2019-05-01",
    source="AD",
    lang="nl",
    text="De kaasmarkt in Alkmaar trok veel toeristen. Kaasdragers droegen de kaas.",
)


def setting_default(name: str):
    """The default of one of `Settings`' fields (a threshold a test checks against, for instance)."""
    from ui.settings import Settings

    return Settings.model_fields[name].default


def make_assistant(store, embeddings, llm, **options):
    """An `Assistant` with the default answer settings (those of `Settings`, as `newsrag serve` builds it),
    `options` (by the Assistant's field names: k, min_relevance, ...) overriding them."""
    from rag.answer import Assistant
    from ui.settings import Settings
    from ui.wiring import answer_options

    defaults = answer_options(Settings.model_construct())  # the defaults, whatever NEWSRAG_* is set
    return Assistant(store=store, embeddings=embeddings, llm=llm, **{**defaults, **options})


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's data directory; the model cache stays shared (models are built once)."""
    monkeypatch.setenv("NEWSRAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NEWSRAG_CORPUS", str(CORPUS))
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory


def shared_path(*parts: str) -> Path:
    """A path in ../shared, or skip: users do not have that folder."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (development material only)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeEmbeddings(Embeddings):
    """Deterministic hashed bag-of-words vectors: similar words, similar vectors; no model."""

    name = "fake-embeddings"
    dimension = 64

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dimension
        for word in re.findall(r"\w+", text.lower()):
            h = int(hashlib.md5(word.encode()).hexdigest(), 16)
            v[h % self.dimension] += 1.0 if (h >> 8) & 1 else -1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls = getattr(self, "calls", 0) + len(texts)
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


@pytest.fixture
def fake_embeddings() -> FakeEmbeddings:
    return FakeEmbeddings()


@pytest.fixture
def open_fake_store(tmp_path: Path, fake_embeddings: FakeEmbeddings):
    """Open (and re-open) a real Chroma + catalog store in tmp_path with the fake embedder."""
    from index.store import open_store

    def _open(**kwargs):
        return open_store(
            tmp_path / "home",
            embeddings=fake_embeddings,
            model_name=fake_embeddings.name,
            dimension=fake_embeddings.dimension,
            **kwargs,
        )

    return _open


@pytest.fixture
def fake_ingest(open_fake_store):
    """Run an ingest of the given items into the fake store; returns (report, store)."""
    from index.ingest import ingest, record_manager

    def _run(items, **kwargs):
        store = open_fake_store()
        report = ingest(
            items,
            store,
            record_manager(store.catalog.path.parent, store),
            token_starts=whitespace_token_starts,
            max_tokens=kwargs.pop("max_tokens", 60),
            progress=False,
            **kwargs,
        )
        return report, store

    return _run


@pytest.fixture(scope="session")
def real_embeddings():
    """The real default embedding model (provisioned offline into the user's model cache)."""
    from ui import wiring

    return wiring.embedder(Settings())


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory: pytest.TempPathFactory):
    """llama-cpp-python's OpenAI-compatible server with the default local model, on 127.0.0.1."""
    import subprocess
    import sys
    import time
    import urllib.request

    from rag.local_llm import ensure_gguf

    model = ensure_gguf(Settings().model_cache)
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--n_threads",
                "2",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer within 120 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per browser-test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


# --- a two-article corpus and three prompts for the eval command (tests/test_eval*.py)

ARTICLES = [
    {
        "id": "moscow",
        "title": "Bestand",
        "date": "2020-10",
        "lang": "nl",
        "text": "Lavrov bemiddelde bij de besprekingen in Moskou. De besprekingen duurden tien uur lang in Moskou.",
    },
    {
        "id": "cheese",
        "title": "Kaasmarkt",
        "date": "2019-05-01",
        "lang": "nl",
        "text": "De kaasmarkt in Alkmaar trok veel toeristen. Kaasdragers droegen de kaas over het plein.",
    },
]
PROMPTS = [
    {
        "id": "who",
        "question": "Wie bemiddelde bij de besprekingen in Moskou?",
        "answers": ["Lavrov"],
        "answerable": True,
        "supporting_article_ids": ["moscow"],
        "lang": "nl",
        "type": "person",
    },
    {
        "id": "how-long",
        "question": "Hoe lang duurden de besprekingen in Moskou?",
        "answers": ["10 uur"],
        "answerable": True,
        "supporting_article_ids": ["moscow"],
        "lang": "nl",
        "question_type": "number",
    },
    {
        "id": "cheese",
        "question": "Wat droegen de kaasdragers over het plein?",
        "answers": ["de kaas"],
        "answerable": True,
        "supporting_article_ids": ["cheese"],
        "lang": "nl",
        "type": "other",
    },
]


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch):
    """The real command with the fake embedder; every passage is relevant enough (fake scores mean nothing)."""
    import ui.wiring

    monkeypatch.setattr(ui.wiring, "embedder", lambda settings: FakeEmbeddings())
    monkeypatch.setenv("NEWSRAG_MIN_RELEVANCE", "0.0")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "articles.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("\n".join(json.dumps(p) for p in PROMPTS), encoding="utf-8")
    return corpus, prompts
