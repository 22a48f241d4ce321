"""The embedding scorer (rag.scoring): cosine similarity of the embedder's vectors, candidates cached."""

from __future__ import annotations

import pytest

from rag.scoring import embedding_scorer


def test_the_embedding_scorer_gives_cosines_and_embeds_each_candidate_once_while_cached(fake_embeddings):
    score = embedding_scorer(fake_embeddings, cache_size=2)
    assert score("kaas", []) == []
    same, other = score("kaas markt", ["kaas markt", "andere woorden"])
    assert same == pytest.approx(1.0) and other < same
    calls = fake_embeddings.calls
    again = ["andere woorden", "kaas markt"]
    assert score("iets anders", again) == score("iets anders", again)
    assert fake_embeddings.calls == calls  # both candidates were cached
    score("iets", ["derde"])  # a third candidate: the oldest goes
    score("iets", ["kaas markt"])
    assert fake_embeddings.calls == calls + 2
