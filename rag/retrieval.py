"""Retrieval for answering: hybrid search (dense + BM25, reciprocal rank fusion), filters, near-duplicate
collapse, and an optional character budget (the answer chain focuses passages itself: `rag.focus`). `HybridRetriever`
offers the same search to LangChain chains.

`Retrieval.dense` keeps the dense hits with their cosine similarities: the evidence the refusal threshold
(`rag.refusal.relevant`) is calibrated on. Fusion decides the order, not those numbers.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from index.records import Hit
from index.search import dense_and_bm25, rrf
from index.store import HybridStore

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Filters:
    """Optional restrictions: ISO dates (partial allowed) inclusive, and outlets."""

    date_from: str | None = None
    date_to: str | None = None
    sources: tuple[str, ...] = ()

    def admits(self, hit: Hit) -> bool:
        if self.sources and (hit.source or "") not in self.sources:
            return False
        if self.date_from or self.date_to:
            if not hit.date:
                return False
            # compare on the shared precision: "2020-10" is within 2020-10-01..2020-10-31
            if self.date_from and hit.date < self.date_from[: len(hit.date)]:
                return False
            if self.date_to and hit.date[: len(self.date_to)] > self.date_to:
                return False
        return True


@dataclass
class Retrieval:
    hits: list[Hit]  # chosen passages, best first
    dense: list[Hit] = field(default_factory=list)  # admitted dense hits, score = cosine similarity
    candidates: list[Hit] = field(default_factory=list)  # fused ranking before the budget cut

    @property
    def best_dense(self) -> float:
        return max((h.score for h in self.dense), default=0.0)


def near_duplicate(a: str, b: str, threshold: float = 0.8) -> bool:
    """Word-set Jaccard: syndicated copies of one story (same text, other outlet) count as one passage."""
    wa, wb = set(_WORDS.findall(a.lower())), set(_WORDS.findall(b.lower()))
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= threshold


def retrieve(
    store: HybridStore,
    question: str,
    *,
    k: int = 4,
    depth: int = 20,
    budget_chars: int | None = None,
    filters: Filters | None = None,
) -> Retrieval:
    """Fuse dense and BM25 rankings (searched concurrently), drop filtered and near-duplicate passages, keep k (within the budget)."""
    filters = filters or Filters()
    fetch = depth * (4 if filters != Filters() else 1)
    dense_ids, keyword_ids = dense_and_bm25(store, question, fetch, fetch)  # concurrently
    dense = [h for h in store.hits(dense_ids) if filters.admits(h)]
    keyword = [h for h in store.hits(keyword_ids) if filters.admits(h)]
    dense_score = {h.chunk_id: h.score for h in dense}
    fused = [hit for hit, _ in rrf([dense[:depth], keyword[:depth]], k=2 * depth)]
    chosen: list[Hit] = []
    used = 0
    for hit in fused:
        if len(chosen) >= k:
            break
        if any(near_duplicate(hit.text, c.text) for c in chosen):
            continue
        if chosen and budget_chars is not None and used + len(hit.text) > budget_chars:
            continue
        chosen.append(hit)
        used += len(hit.text)
    # report dense similarity where known, so callers can see per-passage evidence
    chosen = [replace(h, score=dense_score.get(h.chunk_id, 0.0)) for h in chosen]
    return Retrieval(hits=chosen, dense=dense, candidates=fused)


class HybridRetriever(BaseRetriever):
    """`retrieve` as a LangChain retriever, to plug newsrag's hybrid search into your own LCEL chains.

    `invoke(query)` returns up to `k` Documents, best first, one per passage: `page_content` is the passage
    text, `id` its chunk id, and `metadata` has `article_id`, `title`, `date`, `url`, `source`, `lang`
    (None when the article has none), `chunk_id`, `chunk_index`, `score` (the passage's dense cosine
    similarity, 0.0 for a passage only BM25 found) and `start`/`end` (its character offsets in the article
    text). `k`, `depth`, `budget_chars` and `filters` mean what they mean for `retrieve`.

    Not done here: the answer chain's steps around retrieval (`rag.answer.Assistant`): the refusal gate,
    dates read from the question, "latest" questions, and focusing passages on their best sentences.
    """

    store: Any  # index.store.HybridStore
    k: int = 4
    depth: int = 20
    budget_chars: int | None = None
    filters: Filters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        found = retrieve(
            self.store, query, k=self.k, depth=self.depth, budget_chars=self.budget_chars, filters=self.filters
        )
        return [
            Document(
                page_content=hit.text,
                id=hit.chunk_id,
                metadata={name: value for name, value in asdict(hit).items() if name != "text"},
            )
            for hit in found.hits
        ]
