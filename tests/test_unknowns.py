"""Sentences that say a detail is unknown, and the refusal they give when they are close to the question."""

from __future__ import annotations

import re

import pytest

from index.records import Hit
from rag.records import Source
from rag.unknowns import says_unknown, unknown_detail

from .conftest import make_assistant


@pytest.mark.parametrize(
    "sentence",
    [
        "De politie heeft de naam van de bestuurder nog niet bekendgemaakt.",
        "Hoe de brand is ontstaan, is nog onduidelijk.",
        "De gemeente had geen verklaring voor de vertraging.",
        "Hoeveel de verbouwing kost, kan de wethouder nog niet zeggen.",
        "The council has not disclosed the price.",
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


@pytest.mark.parametrize(
    "question",
    [
        "Wat was de oorzaak van de aanvaring op de Maas?",
        "Waardoor ontstond de brand in de loods?",
        "What caused the power cut in Zeewolde?",
        "Why did the bridge collapse?",
    ],
)
def test_an_investigation_leaves_the_cause_unknown(question):
    assert says_unknown("De inspectie onderzoekt de aanvaring van dinsdag op de Maas.", question)
    assert says_unknown("Police are investigating the collapse of the bridge.", question)


@pytest.mark.parametrize(
    "question",
    [
        "Hoe oud was het slachtoffer van de aanvaring?",
        "Who was driving the van?",
        "Which climatologist says the heat was human-caused?",  # "caused" in a word, not a question for a cause
        "",
    ],
)
def test_an_investigation_is_no_unknown_for_other_details(question):
    assert not says_unknown("De inspectie onderzoekt de aanvaring van dinsdag op de Maas.", question)
    assert not says_unknown("Police are investigating the collapse of the bridge.", question)


def test_a_follow_ups_own_words_decide_whether_it_asks_for_a_cause():
    sources = [_source(1, "De inspectie onderzoekt de aanvaring op de Maas. De schipper is 54 jaar.")]
    search = "Wat was de oorzaak van de aanvaring op de Maas? Hoe oud is de schipper?"
    assert unknown_detail(search, sources, overlap, margin=1.0, question="Hoe oud is de schipper?") is None
    evidence = unknown_detail(search, sources, overlap, margin=1.0)  # the search's words: a cause is asked for
    assert evidence is not None and evidence["sentence"] == "De inspectie onderzoekt de aanvaring op de Maas."


def _source(n: int, text: str) -> Source:
    hit = Hit(f"a{n}:0", 0.9, f"a{n}", 0, f"Titel {n}", "2019-03-01", None, "AD", "nl", text, 0, len(text))
    return Source(n, hit)


def overlap(question: str, candidates: list[str]) -> list[float]:
    words = set(re.findall(r"\w+", question.lower()))
    return [len(words & set(re.findall(r"\w+", c.lower()))) / (len(words) or 1) for c in candidates]


def test_an_unknown_sentence_close_to_the_question_is_the_evidence():
    sources = [
        _source(1, "Een nieuwe trainer voor FC Zeewolde is in beeld. De naam van de trainer is nog niet bekend.")
    ]
    evidence = unknown_detail("wie wordt de nieuwe trainer van FC Zeewolde", sources, overlap, margin=0.5)
    assert evidence is not None
    assert evidence["sentence"] == "De naam van de trainer is nog niet bekend."
    assert evidence["article_id"] == "a1" and 0 <= evidence["gap"] <= 0.5


def test_an_unknown_sentence_far_from_the_question_is_not():
    sources = [_source(1, "De nieuwe trainer van FC Zeewolde is Jan Jansen. Het weer is nog onduidelijk.")]
    assert unknown_detail("wie wordt de nieuwe trainer van FC Zeewolde", sources, overlap, margin=0.1) is None
    assert unknown_detail("wie is de koper", [], overlap) is None


def test_the_assistant_refuses_before_asking_the_model(fake_ingest, fake_embeddings):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    from index.records import Article

    article = Article(
        id="coach",
        title="Trainer gezocht",
        date="2019-03-01",
        lang="nl",
        text="De naam van de trainer is nog niet bekend.",
    )
    _, store = fake_ingest([article])
    # a model that would invent a name: it is never asked
    llm = GenericFakeChatModel(messages=iter(["Jan Jansen wordt de nieuwe trainer [1]."]))
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=llm, k=1, min_relevance=-1.0, focus_margin=None)
    answer = bot.ask("Wie wordt de nieuwe trainer?")
    assert answer.refused and answer.refusal["gate"] == "unknown"
    assert answer.refusal["evidence"]["sentence"] == "De naam van de trainer is nog niet bekend."
    assert [c["article_id"] for c in answer.closest] == ["coach"]
    assert answer.answer.endswith('zegt: "De naam van de trainer is nog niet bekend."')  # says what the article says
    assert answer.closest_label == "Dichtstbijzijnde artikelen:"  # the widget and the chat show it as given
