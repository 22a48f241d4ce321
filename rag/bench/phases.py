"""The ingestion phases of `newsrag bench`: raw encoder, `newsrag ingest`, re-ingest, and the LangChain
tutorial reference pipeline. Each runs in a fresh process (`rag.bench.runner.run_phase`) so that its peak
RSS is its own, and returns a dict of plain numbers.

Every phase loads its model before the clock starts and encodes one short warm-up text (torch's first call
allocates its thread pool and buffers), so the three throughputs compare the same steady state. The
ingest clock is `IngestReport.seconds`, as `newsrag ingest` reports it: reading and parsing the corpus,
chunking, embedding and writing Chroma + catalog + ingest records. Each also reports the CPU time of its
timed part (`cpu_seconds`, all threads): on a machine shared with other jobs, wall-clock ratios between
phases run minutes apart mostly measure the neighbours, CPU-time ratios much less so.

Not handled here: retrieval (`rag.bench.retrieval`) and the LLM (`rag.bench.llm`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from index.models import E5_PROMPTS
from index.records import Article
from rag.bench.setup import BenchSetup

log = logging.getLogger(__name__)

REFERENCE_CHUNK_SIZE = 1000
REFERENCE_CHUNK_OVERLAP = 200
WARM_UP = [E5_PROMPTS["document"] + "warm-up"]


def load_corpus(corpus: Path, max_bytes: int) -> tuple[list[Article], int]:
    """The articles of `corpus` as `newsrag ingest` loads them, and the number of bad items skipped."""
    from index.loaders import load_articles

    articles, errors = [], 0
    for item in load_articles([corpus], max_bytes=max_bytes):
        if isinstance(item, Article):
            articles.append(item)
        else:
            errors += 1
    return articles, errors


def encoder(setup: BenchSetup, corpus: Path, progress: bool) -> dict[str, Any]:
    """sentence-transformers `encode` of exactly the texts ingest embeds: the ceiling for ingestion."""
    from index.chunking import chunk_article, hf_token_starts

    started = time.perf_counter()
    embeddings = setup.embedder()
    load_s = time.perf_counter() - started
    articles, _ = load_corpus(corpus, setup.max_bytes)
    starts = hf_token_starts(embeddings.tokenizer)
    texts = [c.embed_text for a in articles for c in chunk_article(a, starts, max_tokens=setup.chunk_max_tokens)]
    embeddings.model.encode(WARM_UP, show_progress_bar=False)
    started, cpu = time.perf_counter(), time.process_time()
    embeddings.model.encode(
        texts,
        prompt=embeddings.document_prompt or None,  # the same call as SentenceEmbeddings.embed_documents
        batch_size=embeddings.batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=progress,
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    prompt = embeddings.document_prompt
    tokens = sum(len(ids) for ids in embeddings.tokenizer([prompt + t for t in texts])["input_ids"]) if texts else 0
    return {
        "articles": len(articles),
        "passages": len(texts),
        "tokens": tokens,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "load_s": load_s,
        "batch_size": embeddings.batch_size,
    }


def ingest(setup: BenchSetup, home: Path, corpus: Path, progress: bool, *, warm_up: bool = True) -> dict[str, Any]:
    """What `newsrag ingest CORPUS` does, into the store in `home` (a fresh temporary folder for the first run)."""
    from index.ingest import ingest_paths

    started = time.perf_counter()
    embeddings = setup.embedder()
    store = setup.store(home, embeddings)
    startup_s = time.perf_counter() - started
    if warm_up:
        embeddings.model.encode(WARM_UP, show_progress_bar=False)
    cpu = time.process_time()
    report = ingest_paths(
        [corpus],
        store,
        home,
        embeddings,
        max_bytes=setup.max_bytes,
        max_tokens=setup.chunk_max_tokens,
        progress=progress,
    )
    return {
        "articles": report.articles_seen,
        "added": report.articles_added + report.articles_updated,
        "unchanged": report.articles_unchanged,
        "chunks": report.chunks_embedded,
        "stored_chunks": store.count(),
        "errors": len(report.errors),
        "seconds": report.seconds,
        "cpu_seconds": time.process_time() - cpu,
        "startup_s": startup_s,
    }


def reingest(setup: BenchSetup, home: Path, corpus: Path, progress: bool) -> dict[str, Any]:
    """`newsrag ingest CORPUS` again on the unchanged corpus: everything should be skipped."""
    out = ingest(setup, home, corpus, progress, warm_up=False)
    if out["added"] or out["chunks"]:
        log.warning("re-ingest of an unchanged corpus embedded %d chunks", out["chunks"])
    return out


def reference(setup: BenchSetup, corpus: Path, workdir: Path, progress: bool) -> dict[str, Any]:
    """LangChain's tutorial pipeline on the same articles: RecursiveCharacterTextSplitter(1000, 200),
    HuggingFaceEmbeddings over the same model folder, `Chroma.from_documents` into a new directory."""
    import torch
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from transformers.utils import logging as hf_logging

    from index.models import resolve_embed_model

    hf_logging.disable_progress_bar()  # its "Loading weights" bar, before the clock starts: noise
    torch.set_num_threads(setup.threads)  # the same threads as ours: compare pipelines, not settings
    started = time.perf_counter()
    embeddings = HuggingFaceEmbeddings(
        model_name=resolve_embed_model(setup.embed_model, setup.model_cache),
        model_kwargs={"device": "cpu"},
        show_progress=progress,
    )
    load_s = time.perf_counter() - started
    embeddings.embed_documents(WARM_UP)

    started, cpu = time.perf_counter(), time.process_time()
    articles, _ = load_corpus(corpus, setup.max_bytes)
    docs = [Document(page_content=a.text, metadata={"source": a.path or a.id, "title": a.title}) for a in articles]
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=REFERENCE_CHUNK_SIZE, chunk_overlap=REFERENCE_CHUNK_OVERLAP, add_start_index=True
    )
    splits = splitter.split_documents(docs)
    Chroma.from_documents(
        splits,
        embeddings,
        persist_directory=str(workdir / "reference"),
        client_settings=ChromaSettings(anonymized_telemetry=False),  # no network call: offline machines
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {
        "articles": len(articles),
        "chunks": len(splits),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "load_s": load_s,
    }
