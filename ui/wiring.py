"""Settings -> working objects, at the edge: what the commands, the server, eval and bench build from the
configuration (the embedder, the store, the chat model, the `Assistant`, the eval corpus' own store, the
benchmark's setup).

The library packages below take plain arguments; this is the one module that reads a `Settings` to make
them. It builds nothing at import time. Not handled here: option parsing (the commands) and the server's
own settings (host, port, origins, rate limits: `ui.server` reads them, `ui.server_settings` parses them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rag.llms import EXTRACTIVE
from ui.settings import Settings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from index.embeddings import SentenceEmbeddings
    from index.fetch import Fetcher
    from index.store import HybridStore
    from rag.answer import Assistant
    from rag.bench.setup import BenchSetup
    from rag.llms import ChatConfig
    from ui.runtime import Runtime

R = TypeVar("R", bound="DataclassInstance")


def embedder(settings: Settings) -> SentenceEmbeddings:
    """The configured embedding model, loaded."""
    from index.embeddings import load_embeddings

    return load_embeddings(
        settings.embed_model,
        settings.model_cache,
        threads=settings.threads,
        batch_size=settings.embed_batch_size,
        backend=settings.embed_backend,
    )


def store(settings: Settings, embeddings: SentenceEmbeddings, *, rebuild: bool = False) -> HybridStore:
    """The configured store (embedded in `home`, or the Chroma server of `chroma_url`) for `embeddings`."""
    from index.store import open_store

    return open_store(
        settings.home,
        embeddings=embeddings,
        model_name=embeddings.name,
        dimension=embeddings.dimension,
        collection=settings.collection,
        chroma_url=settings.chroma_url,
        rebuild=rebuild,
    )


def chat_config(settings: Settings) -> ChatConfig:
    """What the chat models are built from: the LLM settings, for every backend."""
    from rag.llms import ChatConfig

    return _from_settings(ChatConfig, settings)


def chat_model(settings: Settings, backend: str | None = None):
    """The configured chat model (or that of `backend`), or None for the extractive backend."""
    from rag.llms import make_chat_model

    name = backend or settings.llm
    if name == EXTRACTIVE:
        return None
    return make_chat_model(name, chat_config(settings))


def assistant(settings: Settings, backend: str | None = None) -> Assistant:
    """The answering chain: embedder, store and chat model (or that of `backend`) with the answer settings."""
    from rag.answer import Assistant

    embeddings = embedder(settings)
    return Assistant(
        store=store(settings, embeddings),
        embeddings=embeddings,
        llm=chat_model(settings, backend),
        **answer_options(settings),
    )


def answer_options(settings: Settings) -> dict[str, Any]:
    """The `Assistant`'s answer settings, by its field names."""
    return {
        "k": settings.retrieve_k,
        "budget_chars": settings.context_chars,
        "focus_margin": settings.focus_margin,
        "min_relevance": settings.min_relevance,
        "min_support": settings.min_support,
        "max_question_chars": settings.max_question_chars,
    }


def runtime(settings: Settings, bot: Assistant | None = None) -> Runtime:
    """What the server and `newsrag mcp` answer from: the Assistant (`bot`, or one built from `settings` at
    first use), the answer gate of `max_pending` and the feedback log in the data directory."""
    from ui.feedback import FILENAME, FeedbackLog
    from ui.gate import AnswerGate
    from ui.runtime import Runtime

    feedback = FeedbackLog(settings.home / FILENAME, max_bytes=int(settings.feedback_max_mb * 1024 * 1024))
    gate = AnswerGate(settings.max_pending)
    if bot is not None:
        return Runtime.with_assistant(bot, feedback, gate)
    return Runtime(build=lambda: assistant(settings), feedback=feedback, gate=gate)


def corpus_settings(settings: Settings, paths: Sequence[Path]) -> Settings:
    """`settings` pointing at the evaluated corpus' own store (data directory and collection).

    See `rag.evaluation.corpus` for the key: the resolved corpus paths and the embedding model with its backend.
    """
    from index.embeddings import resolve_backend, store_name
    from rag.evaluation.corpus import corpus_key

    backend = resolve_backend(
        settings.embed_model, settings.embed_backend, cache_dir=settings.model_cache, threads=settings.threads
    )
    key = corpus_key(paths, store_name(settings.embed_model, backend))
    return settings.model_copy(
        update={"home": settings.home / "eval" / key, "collection": f"{settings.collection}-eval-{key}"}
    )


def local_store(settings: Settings, home: Path, embeddings: SentenceEmbeddings) -> HybridStore:
    """An embedded store in `home` (never the configured Chroma server), as the benchmark writes its own."""
    return store(settings.model_copy(update={"home": home, "chroma_url": None}), embeddings)


def local_chat_model(settings: Settings, max_tokens: int) -> Any:
    """The local (llama.cpp) chat model with at most `max_tokens` per answer."""
    from rag.llms import make_chat_model

    return make_chat_model("local", replace(chat_config(settings), llm_max_tokens=max_tokens))


def bench_setup(settings: Settings, stats: Callable[[Path], None]) -> BenchSetup:
    """What `newsrag bench` takes from `settings`; `stats` runs `newsrag stats --json` on a store folder.

    The builders are module-level functions bound with `partial`, so the setup pickles into the phases'
    processes and each loads its own models there; the figures are the settings of the same names.
    """
    from rag.bench.setup import BenchSetup

    return _from_settings(
        BenchSetup,
        settings,
        embedder=partial(embedder, settings),
        store=partial(local_store, settings),
        chat_model=partial(local_chat_model, settings),
        stats=stats,
    )


def _from_settings(record: type[R], settings: Settings, **others: Any) -> R:
    """`record` (a dataclass) with each field that is named as a setting taken from that setting, the
    others from `others`: the edge copies the configuration into the libraries' records by name."""
    names = {f.name for f in fields(record)} & Settings.model_fields.keys()
    return record(**settings.model_dump(include=names), **others)


def fetcher(settings: Settings) -> Fetcher:
    """The polite web fetcher of `newsrag ingest URL`."""
    from index.fetch import Fetcher

    return Fetcher(
        timeout_s=settings.fetch_timeout_s,
        delay_s=settings.fetch_delay_s,
        per_host=settings.fetch_per_host,
        max_bytes=int(settings.fetch_max_mb * 2**20),
        retries=settings.fetch_retries,
    )
