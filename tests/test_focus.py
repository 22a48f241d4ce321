"""Focusing passages on the question: what the model reads, within a budget, while sources stay whole."""

from __future__ import annotations

import re

from index.records import Hit
from rag.focus import focus, focused_sources
from rag.prompts import user_message

CASUALTIES = (
    "De gevechten zijn de ergste sinds de oorlog van 1991-94. "
    "Azerbeidzjan zei dat 31 burgers zijn gedood en 168 gewond. "
    "Nagorno-Karabach zei dat 376 militairen zijn gedood. "
    "Het weer was zonnig."
)
TALKS = "De besprekingen in Moskou duurden 10 uur. Lavrov bemiddelde. Journalisten wachtten buiten."


def _hit(text: str, n: int) -> Hit:
    return Hit(f"a{n}:0", 0.9, f"a{n}", 0, f"Titel {n}", "2020-10", None, "NOS", "nl", text, 100, 100 + len(text))


def overlap(question: str, candidates: list[str]) -> list[float]:
    words = set(re.findall(r"\w+", question.lower()))
    return [len(words & set(re.findall(r"\w+", c.lower()))) / (len(words) or 1) for c in candidates]


def test_passages_that_fit_are_read_whole_without_a_margin():
    hits = [_hit(CASUALTIES, 1), _hit(TALKS, 2)]
    assert focus("hoeveel burgers gedood", hits, overlap, budget_chars=10_000) == [CASUALTIES, TALKS]


def test_over_budget_the_best_sentences_are_kept_in_article_order_with_gaps_marked():
    hits = [_hit(CASUALTIES, 1), _hit(TALKS, 2)]
    # overlap scores: the 376 sentence 3/4, the 31 sentence 2/4, the 1991-94 sentence 1/4, the rest 0
    texts = focus("hoeveel militairen zijn gedood", hits, overlap, budget_chars=120)
    assert texts[0] == (
        "… Azerbeidzjan zei dat 31 burgers zijn gedood en 168 gewond. "
        "Nagorno-Karabach zei dat 376 militairen zijn gedood. …"
    )
    assert texts[1] is None  # nothing of it made the cut


def test_the_budget_stops_at_the_first_sentence_that_does_not_fit():
    hits = [_hit(CASUALTIES, 1), _hit(TALKS, 2)]
    texts = focus("hoeveel militairen zijn gedood", hits, overlap, budget_chars=60)
    # the next best (the 31 sentence) would overrun; nothing shorter and worse is squeezed in after it
    assert texts == ["… Nagorno-Karabach zei dat 376 militairen zijn gedood. …", None]


def test_the_best_sentence_is_kept_even_when_it_alone_is_over_budget():
    assert focus("hoeveel militairen zijn gedood", [_hit(CASUALTIES, 1)], overlap, budget_chars=10) == [
        "… Nagorno-Karabach zei dat 376 militairen zijn gedood. …"
    ]


def test_a_margin_keeps_only_sentences_close_to_the_best():
    hits = [_hit(CASUALTIES, 1), _hit(TALKS, 2)]
    question = "hoeveel burgers zijn er gedood"  # 31 sentence 3/5, 376 sentence 2/5, 1991-94 sentence 1/5
    assert focus(question, hits, overlap, budget_chars=10_000, margin=0.1) == [
        "… Azerbeidzjan zei dat 31 burgers zijn gedood en 168 gewond. …",
        None,
    ]
    wide = focus(question, hits, overlap, budget_chars=10_000, margin=0.25)
    assert "376" in wide[0] and "1991-94" not in wide[0] and wide[1] is None


def test_sources_are_the_passages_with_a_sentence_kept_numbered_from_one():
    hits = [_hit(TALKS, 1), _hit(CASUALTIES, 2)]
    sources = focused_sources("hoeveel burgers zijn gedood", hits, overlap, budget_chars=10_000, margin=0.1)
    assert [(s.n, s.hit.article_id) for s in sources] == [(1, "a2")]
    assert sources[0].hit.text == CASUALTIES  # citations and spans still refer to the whole passage
    prompt = user_message("Hoeveel burgers zijn gedood?", sources, "nl")
    assert "31 burgers" in prompt and "376" not in prompt and "[1] Titel 2 (NOS, 2020-10)" in prompt
