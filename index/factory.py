"""Turn `Settings` into working objects: the embedder and the store. Called at the edges (CLI, server)."""

from __future__ import annotations

from index.embeddings import SentenceEmbeddings, load_embeddings
from index.settings import Settings
from index.store import HybridStore, open_store


def embedder(settings: Settings) -> SentenceEmbeddings:
    return load_embeddings(
        settings.embed_model,
        settings.model_cache,
        threads=settings.threads,
        batch_size=settings.embed_batch_size,
        backend=settings.embed_backend,
    )


def store(settings: Settings, embeddings: SentenceEmbeddings, *, rebuild: bool = False) -> HybridStore:
    return open_store(
        settings.home,
        embeddings=embeddings,
        model_name=embeddings.name,
        dimension=embeddings.dimension,
        collection=settings.collection,
        chroma_url=settings.chroma_url,
        rebuild=rebuild,
    )
