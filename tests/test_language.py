"""The language of a question, and of an answer that is surely in another one."""

from __future__ import annotations

import pytest

from rag.language import detect_language, in_other_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Who mediated in Moscow?", "en"),
        ("Wie bemiddelde bij de besprekingen in Moskou?", "nl"),
        ("12345 ?!", "en"),  # nothing to tell by: the fallback
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_an_english_answer_quoting_its_dutch_source_sentence_is_in_another_language():
    copied = "Volgens de rechter is de man ten onrechte twee jaar lang vastgehouden in de gevangenis van Vught."
    assert in_other_language(copied, "en") == "nl"
    assert in_other_language(copied, "nl") is None


@pytest.mark.parametrize(
    "answer",
    [
        "The court said the man was held for two years in the prison of Vught without reason.",
        "The Partij voor de Dieren won three seats in the Provinciale Staten of Zeeland.",
        "Jan de Vries van Oranje.",  # too short to tell
    ],
)
def test_an_english_answer_with_dutch_names_stays_english(answer):
    assert in_other_language(answer, "en") is None
