"""What the phases of `newsrag bench` take from the configuration: a `BenchSetup`, built at the edge.

Each phase runs in a process of its own (`rag.bench.runner.run_phase`) and loads its models there, so the
setup carries builders rather than loaded objects: picklable callables (module-level functions bound to the
edge's configuration with `functools.partial`) plus the plain figures the phases read. The edge
(`ui.wiring.bench_setup`) makes one; nothing here reads the environment or a settings object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BenchSetup:
    embedder: Callable[[], Any]  # the configured embedding model, loaded (a SentenceEmbeddings)
    store: Callable[[Path, Any], Any]  # (folder, embeddings) -> an embedded HybridStore in that folder
    chat_model: Callable[[int], Any]  # (most tokens per answer) -> the local chat model
    stats: Callable[[Path], None]  # runs `newsrag stats --json` on the embedded store in a folder
    # the figures: each is the setting of its name (NEWSRAG_<NAME>), which the edge copies in by name
    embed_model: str
    embed_backend: str
    embed_batch_size: int
    model_cache: Path
    threads: int
    max_file_mb: float
    chunk_max_tokens: int
    llm_ctx: int
    llm_max_tokens: int
    retrieve_k: int
    context_chars: int
    focus_margin: float | None

    @property
    def max_bytes(self) -> int:
        """The largest article file (or .jsonl line) the loaders accept."""
        return int(self.max_file_mb * 2**20)

    def summary(self) -> dict[str, Any]:
        """The settings the report shows next to the figures."""
        keys = (
            "embed_model",
            "embed_backend",
            "embed_batch_size",
            "threads",
            "chunk_max_tokens",
            "llm_ctx",
            "llm_max_tokens",
            "retrieve_k",
            "context_chars",
        )
        return {k: getattr(self, k) for k in keys}
