"""Focus the retrieved passages on the question: the model reads the sentences that matter, not all of them.

A 1.5B model copies the wrong number from a passage full of numbers ("376 civilians" where the passage
says 31 civilians and 376 soldiers), and every prompt token costs time to first token on 2 cores. So every
sentence of the retrieved passages is scored against the question (the multilingual scorer that verifies
citations, which caches the sentence vectors for verification to reuse) and only the best are given to the
model: best first, while they fit in the character budget and, with a margin, while they score within
that margin of the best sentence. The kept sentences stay in article order, with "…" where sentences were
left out; a passage with none kept is not given at all.

The default margin (0.03, `NEWSRAG_FOCUS_MARGIN`) keeps few sentences: fast, and the model does not copy
the wrong number from a passage full of them (on the seed prompts it keeps "376" out of an answer about
civilians). But the sentence that answers does not always resemble the question: on `dpg-nl-qa`'s 65
answerable questions the kept sentences held the answer for 47 (0.72), the best sentences up to the budget
without a margin for 60 (0.92, as many as the four passages whole, in 1,769 characters instead of 3,102).
So the answer chain (`rag.answer`) asks again without the margin when the first answer fails a check.

Only the model's view changes: sources, citations and highlighted spans still refer to whole passages.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.records import Hit
from index.sentences import split_sentences
from rag.records import Source
from rag.scoring import Scorer


def focus(
    question: str, hits: Sequence[Hit], score: Scorer, budget_chars: int, margin: float | None = None
) -> list[str | None]:
    """One text per hit (same order): its sentences among the best, or None when none of them is.

    Sentences are taken best first while they fit in `budget_chars` (the first always) and, with a
    `margin`, while they score within `margin` of the best one. Without a margin, passages that fit the
    budget whole are given whole.
    """
    spans = [split_sentences(hit.text, hit.lang) for hit in hits]
    sentences = [(i, j, hit.text[a:b]) for i, hit in enumerate(hits) for j, (a, b) in enumerate(spans[i])]
    if not sentences or (margin is None and sum(len(hit.text) for hit in hits) <= budget_chars):
        return [hit.text.strip() for hit in hits]
    scores = score(question, [s for _, _, s in sentences])
    ranked = sorted(range(len(sentences)), key=lambda x: -scores[x])  # stable: ties in passage order
    floor = scores[ranked[0]] - margin if margin is not None else float("-inf")
    kept: set[tuple[int, int]] = set()
    used = 0
    for x in ranked:
        i, j, text = sentences[x]
        if kept and (scores[x] < floor or used + len(text) > budget_chars):
            break
        kept.add((i, j))
        used += len(text)
    out: list[str | None] = []
    for i, hit in enumerate(hits):
        chosen = sorted(j for k, j in kept if k == i)
        parts: list[str] = []
        for pos, j in enumerate(chosen):
            a, b = spans[i][j]
            if j > 0 and (pos == 0 or chosen[pos - 1] != j - 1):
                parts.append("…")
            parts.append(hit.text[a:b].strip())
        if chosen and chosen[-1] < len(spans[i]) - 1:
            parts.append("…")
        out.append(" ".join(parts) if parts else None)
    return out


def focused_sources(
    question: str, hits: Sequence[Hit], score: Scorer, budget_chars: int, margin: float | None = None
) -> list[Source]:
    """The numbered sources of a prompt (passages with a sentence kept), each with what the model reads,
    numbered by their best sentence's score: a small model leans on source [1], so [1] is the passage
    with the sentence closest to the question, not the first of the fused keyword and dense ranking."""
    texts = focus(question, hits, score, budget_chars, margin)
    kept = [(hit, text) for hit, text in zip(hits, texts, strict=True) if text is not None]
    best = [_best_sentence(question, hit, score) for hit, _ in kept]
    order = sorted(range(len(kept)), key=lambda i: -best[i])  # stable: ties keep the retrieval order
    return [Source(n, *kept[i]) for n, i in enumerate(order, start=1)]


def _best_sentence(question: str, hit: Hit, score: Scorer) -> float:
    sentences = [hit.text[a:b] for a, b in split_sentences(hit.text, hit.lang)]
    return max(score(question, sentences), default=0.0)
