"""Sentence similarity for focusing, checking and citing: the `Scorer` type and the embedding scorer.

A scorer takes one sentence (a claim, a question) and candidate sentences, and gives one similarity per
candidate, higher is better, about [0, 1]. `rag.focus`, `rag.extractive`, `rag.citations`, `rag.recency`
and the attribution check in `rag.answer` take any scorer; the answer chain uses `embedding_scorer`.
Not here: lexical scoring of names and numbers (`rag.citations.combined_score`, `rag.grounding`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from langchain_core.embeddings import Embeddings

# claim sentence, candidate passage sentences -> one similarity per candidate (higher is better, ~[0, 1])
Scorer = Callable[[str, list[str]], list[float]]


def embedding_scorer(embeddings: Embeddings, cache_size: int = 4096) -> Scorer:
    """Claim vs candidate sentences: cosine of multilingual embeddings (works across languages).

    Candidate vectors are cached (bounded, oldest out): verification scores the same passage sentences
    against every sentence of an answer.
    """
    cache: OrderedDict[str, list[float]] = OrderedDict()

    def score(claim: str, candidates: list[str]) -> list[float]:
        if not candidates:
            return []
        missing = list(dict.fromkeys(c for c in candidates if c not in cache))
        for text, vector in zip(missing, embeddings.embed_documents(missing) if missing else [], strict=True):
            cache[text] = vector
        vectors = [cache[c] for c in candidates]
        while len(cache) > cache_size:
            cache.popitem(last=False)
        q = embeddings.embed_query(claim)
        return [sum(a * b for a, b in zip(q, v, strict=True)) for v in vectors]

    return score
