"""The extractive backend: no LLM; the answer is the best-supported sentences of the retrieved passages.

Every sentence of every source is scored against the question with the same scorer that verifies
citations (multilingual embeddings), and the best one, plus a runner-up within `TIE` of it, is quoted
with its source number. Deterministic. The answer stays in the article's language: nothing translates it.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.sentences import split_sentences
from rag.citations import cite
from rag.records import Source
from rag.scoring import Scorer

TIE = 0.01
MAX_SENTENCES = 2


def extract(question: str, sources: Sequence[Source], score: Scorer) -> str:
    """Best sentences, each with its `[n]` marker before its end punctuation as a model places it (numbers as
    given in `sources`), in passage order."""
    candidates: list[tuple[int, int, str]] = []  # (source n, position, sentence)
    for source in sources:
        text = source.hit.text
        for pos, (a, b) in enumerate(split_sentences(text, source.hit.lang)):
            sentence = text[a:b].strip()
            if any(ch.isalpha() for ch in sentence):
                candidates.append((source.n, pos, sentence))
    if not candidates:
        return ""
    scores = score(question, [c[2] for c in candidates])
    ranked = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))
    best = scores[ranked[0]]
    picked = [i for i in ranked[:MAX_SENTENCES] if scores[i] >= best - TIE]
    picked.sort(key=lambda i: (candidates[i][0], candidates[i][1]))
    return " ".join(cite(candidates[i][2], [candidates[i][0]]) for i in picked)
