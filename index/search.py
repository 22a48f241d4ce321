"""Search the store: dense (Chroma), keyword (BM25) or hybrid (reciprocal rank fusion of the two).

Scores: cosine similarity for dense, FTS5 BM25 (higher is better) for keyword, and the reciprocal rank
fusion score (sum of 1 / (RRF_K + rank)) for hybrid. Only the dense score is comparable across queries,
so relevance thresholds are calibrated on it, not on these.

Hybrid runs its two halves at once (`dense_and_bm25`): BM25 in a worker thread while this thread embeds the
query and asks Chroma. Both halves spend their time in native code that releases the GIL (ONNX Runtime,
Chroma's Rust core, SQLite's FTS5 step), so on two cores a hybrid search costs about its slower half,
not the sum (`newsrag bench` reports all three).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Literal, get_args

from index.records import Hit
from index.store import HybridStore

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = get_args(Mode)
RRF_K = 60


def rrf(rankings: list[list[Hit]], k: int, rrf_k: int = RRF_K) -> list[tuple[Hit, float]]:
    """Fuse ranked lists by reciprocal rank; the first list's hit object wins for a shared chunk."""
    scores: dict[str, float] = {}
    first: dict[str, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (rrf_k + rank)
            first.setdefault(hit.chunk_id, hit)
    best = sorted(scores, key=lambda cid: (-scores[cid], cid))[:k]
    return [(first[cid], scores[cid]) for cid in best]


@cache
def _pool() -> ThreadPoolExecutor:
    """The worker threads that run BM25 beside dense search; made on first use, never at import."""
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="newsrag-bm25")


Ranking = list[tuple[str, float]]  # (chunk_id, score), best first


def dense_and_bm25(store: HybridStore, query: str, k_dense: int, k_bm25: int) -> tuple[Ranking, Ranking]:
    """The dense and the BM25 ranking of `query` as (chunk_id, score), computed concurrently (see the
    module docstring); `store.hits` reads the chunks of those that are kept."""
    keyword = _pool().submit(store.bm25_ids, query, k_bm25)
    try:
        dense = store.dense_ids(query, k_dense)
    finally:
        ranked = keyword.result()  # wait for it even when dense failed: no stray work behind the caller
    return dense, ranked


def rrf_ids(rankings: list[Ranking], k: int, rrf_k: int = RRF_K) -> Ranking:
    """`rrf` over chunk ids: the fused top k as (chunk_id, fused score)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, (cid, _) in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (rrf_k + rank)
    best = sorted(scores, key=lambda cid: (-scores[cid], cid))[:k]
    return [(cid, scores[cid]) for cid in best]


def search(store: HybridStore, query: str, *, k: int = 5, mode: Mode = "hybrid", depth: int = 30) -> list[Hit]:
    """Top-k hits for `query`. Hybrid fuses the top `depth` of each side."""
    if mode == "dense":
        return store.dense(query, k)
    if mode == "bm25":
        return store.bm25(query, k)
    if mode != "hybrid":
        raise ValueError(f"Unknown search mode {mode!r}; expected one of {', '.join(MODES)}")
    dense, keyword = dense_and_bm25(store, query, max(depth, k), max(depth, k))
    return store.hits(rrf_ids([dense, keyword], k))
