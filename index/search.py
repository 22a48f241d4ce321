"""Search the store: dense (Chroma), keyword (BM25) or hybrid (reciprocal rank fusion of the two).

Scores: cosine similarity for dense, FTS5 BM25 (higher is better) for keyword, and the reciprocal rank
fusion score (sum of 1 / (RRF_K + rank)) for hybrid. Only the dense score is comparable across queries,
so relevance thresholds are calibrated on it, not on these.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from index.records import Hit
from index.store import HybridStore

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")
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


def search(store: HybridStore, query: str, *, k: int = 5, mode: Mode = "hybrid", depth: int = 30) -> list[Hit]:
    """Top-k hits for `query`. Hybrid fuses the top `depth` of each side."""
    if mode == "dense":
        return store.dense(query, k)
    if mode == "bm25":
        return store.bm25(query, k)
    if mode != "hybrid":
        raise ValueError(f"Unknown search mode {mode!r}; expected one of {', '.join(MODES)}")
    dense = store.dense(query, max(depth, k))
    keyword = store.bm25(query, max(depth, k))
    return [replace(hit, score=score) for hit, score in rrf([dense, keyword], k)]

