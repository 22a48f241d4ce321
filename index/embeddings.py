"""The embedder: a LangChain `Embeddings` over a sentence-transformers model, with the model's query/passage prompts.

The default model is provisioned offline by `index.models` and runs int8 on ONNX Runtime
(`index.onnx_encoder`) unless the torch backend is chosen, by the setting or, under `auto`, by the calibration
`newsrag prepare` records (`index.encoder_choice`); any other sentence-transformers id or path works
too, on torch. Prompts: the model's own `query`/`document` prompts when it defines them (our provisioned e5 does),
e5's `query: ` / `passage: ` when the name says e5, none otherwise.
"""

from __future__ import annotations

import logging
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from langchain_core.embeddings import Embeddings

from index.encoder_choice import EmbedBackend, read_record
from index.errors import ModelError
from index.models import E5_DEFAULT, E5_PROMPTS, resolve_embed_model

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

BACKENDS: tuple[EmbedBackend, ...] = get_args(EmbedBackend)


class SentenceEmbeddings(Embeddings):
    """Normalised sentence-transformers embeddings; `name` is what the store records."""

    def __init__(self, model: SentenceTransformer, name: str, batch_size: int = 16) -> None:
        self.model = model
        self.name = name
        self.batch_size = batch_size
        prompts = {k: v for k, v in (model.prompts or {}).items() if v}
        if not {"query", "document"} <= prompts.keys() and "e5" in name.lower():
            prompts = dict(E5_PROMPTS)
        self.query_prompt = prompts.get("query", "")
        self.document_prompt = prompts.get("document", "")

    @cached_property
    def dimension(self) -> int:
        dim = self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension") else None
        dim = dim or self.model.get_sentence_embedding_dimension()
        if not dim:
            raise ValueError(f"{self.name} does not report its embedding dimension")
        return int(dim)

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    def _encode(self, texts: list[str], prompt: str) -> list[list[float]]:
        if not texts:
            return []
        vectors = self.model.encode(
            texts,
            prompt=prompt or None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, self.document_prompt)

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], self.query_prompt)[0]


def resolve_backend(name: str, backend: str, *, cache_dir: Path | None = None, threads: int | None = None) -> str:
    """The backend that runs: `auto` -> what `newsrag prepare` measured faster on this machine (its record in
    `cache_dir`, for this thread count), else onnx-int8 for the built-in model; torch for any other model.
    An impossible choice is an error."""
    if backend not in BACKENDS:
        raise ModelError(f"Unknown embedding backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if backend == "auto":
        if name != E5_DEFAULT:
            return "torch"
        record = read_record(cache_dir, name, threads) if cache_dir is not None else None
        return record.chosen if record is not None else "onnx-int8"
    if backend == "onnx-int8" and name != E5_DEFAULT:
        raise ModelError(
            f"The onnx-int8 embedding backend is built only for {E5_DEFAULT}, not {name!r}; "
            "set NEWSRAG_EMBED_BACKEND=torch (or auto) for other models."
        )
    return backend


def store_name(name: str, backend: str) -> str:
    """What a store records as its embedding model: int8 vectors differ slightly, so they never mix."""
    return f"{name} ({backend})" if backend != "torch" else name


@lru_cache(maxsize=2)  # one model per process: the CLI, the server and tests share it
def load_embeddings(
    name: str, cache_dir: Path, *, threads: int | None = None, batch_size: int = 16, backend: str = "auto"
) -> SentenceEmbeddings:
    """Load (provisioning first if it is the default) the named model on the CPU, on the chosen backend."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise in a CLI
    backend = resolve_backend(name, backend, cache_dir=cache_dir, threads=threads)
    if threads:
        torch.set_num_threads(threads)
    path = resolve_embed_model(name, cache_dir)
    log.info("loading embedding model %s (%s)", path, backend)
    if backend == "onnx-int8":
        from index.onnx_encoder import load_int8

        model = load_int8(Path(path), threads=threads)
    else:
        model = SentenceTransformer(path, device="cpu", local_files_only=Path(path).exists())
    return SentenceEmbeddings(model, store_name(name, backend), batch_size)
