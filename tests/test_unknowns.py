"""Sentences that say a detail is unknown, and the refusal they give when they are close to the question."""

from __future__ import annotations

import re

import pytest

from index.records import Hit
from rag.records import Source
from rag.unknowns import says_unknown, unknown_detail


@pytest.mark.parametrize(
    "sentence",
    [
        "Een naam wordt nog niet genoemd.",
        "Wanneer het proces begint, is nog onduidelijk.",
        "Yale heeft de identiteit van de student niet bekendgemaakt.",
        "Het ministerie had geen verklaring voor de black-out.",
        "Hoeveel het bedrijf wil ophalen kan de directie nog niet zeggen.",
        "The police have not named the victim.",
        "The cause is still being investigated.",
        "The company declined to comment.",
    ],
)
def test_phrasings_of_not_known(sentence):
    assert says_unknown(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Lavrov bemiddelde bij de besprekingen in Moskou.",
        "De besprekingen duurden tien uur.",
        "The mayor said the bridge would open in May.",
        "Het is duidelijk dat de brug in mei opengaat.",
    ],
)
def test_plain_statements_are_not(sentence):
    assert not says_unknown(sentence)


def _source(n: int, text: str) -> Source:
    hit = Hit(f"a{n}:0", 0.9, f"a{n}", 0, f"Titel {n}", "2019-03-01", None, "AD", "nl", text, 0, len(text))
    return Source(n, hit)


def overlap(question: str, candidates: list[str]) -> list[float]:
    words = set(re.findall(r"\w+", question.lower()))
    return [len(words & set(re.findall(r"\w+", c.lower()))) / (len(words) or 1) for c in candidates]


def test_an_unknown_sentence_close_to_the_question_is_the_evidence():
    sources = [_source(1, "Een koper voor de visafslag is in beeld. Een naam van de koper wordt nog niet genoemd.")]
    evidence = unknown_detail("wie is de koper van de visafslag", sources, overlap, margin=0.5)
    assert evidence is not None
    assert evidence["sentence"] == "Een naam van de koper wordt nog niet genoemd."
    assert evidence["article_id"] == "a1" and 0 <= evidence["gap"] <= 0.5


def test_an_unknown_sentence_far_from_the_question_is_not():
    sources = [_source(1, "De koper van de visafslag is Jansen uit Breskens. Het weer is nog onduidelijk.")]
    assert unknown_detail("wie is de koper van de visafslag", sources, overlap, margin=0.1) is None
    assert unknown_detail("wie is de koper", [], overlap) is None


def test_the_assistant_refuses_before_asking_the_model(fake_ingest, fake_embeddings):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    from index.records import Article
    from rag.answer import Assistant

    article = Article(
        id="auction", title="Visafslag verkocht", date="2019-03-01", lang="nl", text="Een naam wordt nog niet genoemd."
    )
    _, store = fake_ingest([article])
    # a model that would invent a buyer: it is never asked
    llm = GenericFakeChatModel(messages=iter(["Visserij Jansen koopt de visafslag [1]."]))
    bot = Assistant(store=store, embeddings=fake_embeddings, llm=llm, k=1, min_relevance=-1.0, focus_margin=None)
    answer = bot.ask("Wie koopt de visafslag?")
    assert answer.refused and answer.refusal["gate"] == "unknown"
    assert answer.refusal["evidence"]["sentence"] == "Een naam wordt nog niet genoemd."
    assert [c["article_id"] for c in answer.closest] == ["auction"]
    assert answer.answer.endswith('zegt: "Een naam wordt nog niet genoemd."')  # says what the article says
    assert answer.closest_label == "Dichtstbijzijnde artikelen:"  # the widget and the chat show it as given
