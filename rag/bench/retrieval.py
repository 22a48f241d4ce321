"""Retrieval latency of `newsrag bench` at a given store size (one process per size, see `rag.bench.runner`).

The store is grown by re-adding the chunks the ingest phase already embedded, under new ids, with their
stored vectors: into the Chroma collection and the catalog (BM25) by `HybridStore.add_vectors`, never
through the embedder. Copy `n` of chunk `id` is stored as `id~n`. Sizes are reached in increasing order on
one store, so 10k is the 1k store plus 9k more rows. Copies are exact: BM25 and dense scores of a copy
equal its original's, which makes the result lists full of ties but costs the same as distinct chunks.

Timed per query: `index.search.search` in each mode, as `newsrag search` runs it (dense and hybrid include
embedding the query; hybrid runs its halves concurrently); also the query embedding alone and
`rag.retrieval.retrieve`, the answering path.

`serving` then opens the grown store in a fresh process, as a server does: it times `newsrag stats` (model
load included), measures the store's size on disk, runs the queries and reports the resident memory after
them (without the local LLM, whose weights the `llm` phase measures).
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rag.bench.setup import BenchSetup
from rag.bench.stats import latency_summary

# Questions a reader of Dutch news asks, in English and Dutch; the corpus's own titles are added to them.
FIXED_QUERIES = (
    "who mediated in Moscow?",
    "Wie bemiddelde bij de besprekingen in Moskou?",
    "What did the government decide about climate policy?",
    "Wat zei de minister-president over de begroting?",
    "Which football club won the match on Sunday?",
    "Hoeveel mensen kwamen om bij het ongeluk?",
    "What happened at the provincial elections?",
    "Waarom staken de leraren?",
    "Brexit negotiations with the European Union",
    "woningmarkt huizenprijzen Amsterdam",
    "stikstof boeren protest",
    "How many asylum seekers arrived in the Netherlands?",
    "Wie is de nieuwe burgemeester?",
    "trial verdict court The Hague",
    "Wat kost het nieuwe zorgstelsel?",
    "Lavrov Armenia Azerbaijan ceasefire",
)
K = 5  # newsrag search's default
WARM_UP_QUERIES = 3


def source_rows(store: Any) -> dict[str, list]:
    """Every stored chunk of `store` with its vector, sorted by id (deterministic growth order)."""
    got = store.chroma.get(include=["embeddings", "documents", "metadatas"])
    order = sorted(range(len(got["ids"])), key=lambda i: got["ids"][i])
    return {key: [got[key][i] for i in order] for key in ("ids", "embeddings", "documents", "metadatas")}


def grow(store: Any, rows: dict[str, list], target: int, progress: bool) -> tuple[int, float]:
    """Add copies of `rows` until the store holds `target` chunks; returns (added, seconds)."""
    from tqdm import tqdm

    n = len(rows["ids"])
    have = store.count()
    if n == 0:
        raise ValueError("Expected embedded chunks to grow the store from, found none (empty corpus?)")
    if have >= target:
        return 0, 0.0
    batch = 4096  # rows per write (the store splits them further if Chroma takes fewer)
    started = time.perf_counter()
    with tqdm(total=target - have, unit="chunk", desc=f"grow to {target}", disable=not progress) as bar:
        for first in range(have, target, batch):
            picks = range(first, min(first + batch, target))
            ids = [rows["ids"][i % n] + (f"~{i // n}" if i >= n else "") for i in picks]
            docs = [rows["documents"][i % n] for i in picks]
            metas = [rows["metadatas"][i % n] for i in picks]
            vectors = [rows["embeddings"][i % n] for i in picks]
            store.add_vectors(ids, vectors, docs, metas)  # written as they are, without embedding
            bar.update(len(ids))
    return target - have, time.perf_counter() - started


def queries(rows: dict[str, list], count: int) -> list[str]:
    """`count` queries: the fixed ones, then up to 34 article titles spread over the corpus, repeated."""
    titles = list(dict.fromkeys(str(m.get("title", "")) for m in rows["metadatas"] if m.get("title")))
    step = max(1, len(titles) // 34)
    pool = list(FIXED_QUERIES) + titles[::step][:34]
    return [pool[i % len(pool)] for i in range(count)]


def time_queries(fn: Callable[[str], object], qs: list[str]) -> list[float]:
    for q in qs[:WARM_UP_QUERIES]:
        fn(q)
    out = []
    for q in qs:
        started = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - started)
    return out


def rss_mb() -> float | None:
    """This process's resident memory now (VmRSS), in MB; None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def serving(setup: BenchSetup, grow_home: Path, n_queries: int) -> dict[str, Any]:
    """`newsrag stats` time, size on disk, and resident memory after hybrid queries, on the grown store."""
    from index.search import search
    from index.store import store_size_bytes

    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the command as a user runs it, in-process, quietly
        setup.stats(grow_home)
    stats_s = time.perf_counter() - started
    store = setup.store(grow_home, setup.embedder())
    metas = store.catalog.chunk_metadatas(limit=5000)
    for q in queries({"metadatas": metas}, n_queries):
        search(store, q, k=K, mode="hybrid")
    return {"stats_seconds": stats_s, "store_bytes": store_size_bytes(grow_home), "rss_mb": rss_mb()}


def retrieval(
    setup: BenchSetup, source_home: Path, grow_home: Path, size: int, n_queries: int, progress: bool
) -> dict[str, Any]:
    """Grow the store in `grow_home` to `size` chunks, then time `n_queries` queries per mode."""
    from index.search import MODES, search
    from rag.retrieval import retrieve

    embeddings = setup.embedder()
    rows = source_rows(setup.store(source_home, embeddings))
    store = setup.store(grow_home, embeddings)
    added, grow_s = grow(store, rows, size, progress)
    qs = queries(rows, n_queries)
    out: dict[str, Any] = {
        "size": store.count(),
        "bm25_size": store.catalog.count_chunks(),
        "distinct_chunks": len(rows["ids"]),
        "added": added,
        "grow_seconds": grow_s,
        "queries": len(qs),
    }
    timed: dict[str, Callable[[str], object]] = {mode: partial(search, store, k=K, mode=mode) for mode in MODES}
    timed["embed_query"] = embeddings.embed_query
    timed["answer"] = lambda q: retrieve(store, q, k=setup.retrieve_k)
    from tqdm import tqdm

    for name, fn in tqdm(timed.items(), desc=f"queries at {size}", unit="mode", disable=not progress):
        out[name] = latency_summary(time_queries(fn, qs))
    return out
