"""Settings -> working objects, at the edge: what the commands and the server build from the configuration.

The library packages below take plain arguments; this module is where a `Settings` is read to make them.
It builds nothing at import time. Not handled here: option parsing (the commands) and the server's own
settings (host, port, origins and rate limits, read by `ui.server`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from index import factory as index_factory
from index.settings import Settings
from index.store import HybridStore
from rag import factory as rag_factory
from rag.bench.setup import BenchSetup


def embedder(settings: Settings) -> Any:
    """The configured embedding model, loaded."""
    return index_factory.embedder(settings)


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


def local_store(settings: Settings, home: Path, embeddings: Any) -> HybridStore:
    """An embedded store in `home` (never the configured Chroma server), as the benchmark writes its own."""
    return index_factory.store(settings.model_copy(update={"home": home, "chroma_url": None}), embeddings)


def local_chat_model(settings: Settings, max_tokens: int) -> Any:
    """The local (llama.cpp) chat model with at most `max_tokens` per answer."""
    return rag_factory.chat_model(settings.model_copy(update={"llm_max_tokens": max_tokens}), "local")


def bench_setup(settings: Settings, stats: Callable[[Path], None]) -> BenchSetup:
    """What `newsrag bench` takes from `settings`; `stats` runs `newsrag stats --json` on a store folder.

    The builders are module-level functions bound with `partial`, so the setup pickles into the phases'
    processes and each loads its own models there.
    """
    return BenchSetup(
        embedder=partial(embedder, settings),
        store=partial(local_store, settings),
        chat_model=partial(local_chat_model, settings),
        stats=stats,
        embed_model=settings.embed_model,
        embed_backend=settings.embed_backend,
        embed_batch_size=settings.embed_batch_size,
        model_cache=settings.model_cache,
        threads=settings.threads,
        max_file_mb=settings.max_file_mb,
        chunk_max_tokens=settings.chunk_max_tokens,
        llm_ctx=settings.llm_ctx,
        llm_max_tokens=settings.llm_max_tokens,
        retrieve_k=settings.retrieve_k,
        context_chars=settings.context_chars,
        focus_margin=settings.focus_margin,
    )
