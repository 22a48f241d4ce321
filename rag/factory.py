"""Turn `Settings` into an `Assistant` (embedder, store, chat model). Called at the edges (CLI, server)."""

from __future__ import annotations

from index import factory as index_factory
from index.settings import Settings
from rag.answer import Assistant
from rag.llms import make_chat_model

EXTRACTIVE = "extractive"


def chat_model(settings: Settings, backend: str | None = None):
    """The configured chat model, or None for the extractive backend."""
    name = backend or settings.llm
    if name == EXTRACTIVE:
        return None
    return make_chat_model(
        name,
        model_path=settings.llm_model_path,
        cache_dir=settings.model_cache,
        threads=settings.threads,
        n_ctx=settings.llm_ctx,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        openai_base_url=settings.openai_base_url,
        openai_api_key=settings.openai_api_key,
        openai_model=settings.openai_model,
        ollama_url=settings.ollama_url,
        ollama_model=settings.ollama_model,
        timeout_s=settings.llm_timeout_s,
    )


def assistant(settings: Settings, backend: str | None = None) -> Assistant:
    embeddings = index_factory.embedder(settings)
    return Assistant(
        store=index_factory.store(settings, embeddings),
        embeddings=embeddings,
        llm=chat_model(settings, backend),
        k=settings.retrieve_k,
        budget_chars=settings.context_chars,
        focus_margin=settings.focus_margin,
        min_relevance=settings.min_relevance,
        min_support=settings.min_support,
        max_question_chars=settings.max_question_chars,
    )
