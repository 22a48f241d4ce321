"""Lexical grounding: names and numbers an answer states must be in the question or the sources."""

from __future__ import annotations

import pytest

from rag.answer import grounded
from rag.grounding import Grounds, adds_nothing, copied, same_name

SOURCE = (
    "[1] Vrede in Moskou (Trouw, 2020-10-10)\nDe Russische minister Sergei Lavrov bemiddelde in Moskou. "
    "President Vladimir Poetin had beide landen uitgenodigd. De besprekingen duurden tien uur; "
    "er vielen 31 burgerdoden en 7,4 miljard euro schade."
)


@pytest.mark.parametrize(("a", "b"), [("poetin", "putin"), ("moskou", "moscow"), ("catalonie", "catalonia"),
                                      ("parlement", "parliament")])  # fmt: skip
def test_translated_and_transliterated_names_are_the_same(a, b):
    assert same_name(a, b)


@pytest.mark.parametrize(("a", "b"), [("lavrov", "putin"), ("moskou", "minsk"), ("jansen", "janssens-de bruin")])
def test_different_names_are_not(a, b):
    assert not same_name(a, b)


@pytest.mark.parametrize(
    "sentence",
    [
        "Sergei Lavrov mediated the talks in Moscow [1].",
        "Putin had invited both countries [1].",
        "The talks lasted 10 hours [1].",
        "Damage was 7.4 billion euros and thirty-one civilians died [1].",
        "The report appeared on 2020-10-10 [1].",
        "The Russian Minister of Foreign Affairs, Sergei Lavrov, mediated [1].",  # "minister van Buitenlandse Zaken"
    ],
)
def test_stated_names_and_numbers_pass(sentence):
    assert Grounds(["Who mediated?", SOURCE]).unstated(sentence) == []


def test_invented_names_and_numbers_are_reported():
    grounds = Grounds(["Who mediated in Moscow?", SOURCE])
    assert grounds.unstated("The talks were led by Emmanuel Macron [1].") == ["Emmanuel", "Macron"]
    assert grounds.unstated("The talks lasted 12 hours [1].") == ["12"]
    assert grounds.unstated("The Foreign Minister, Emmanuel Macron, mediated [1].") == ["Emmanuel", "Macron"]


def test_grounded_drops_only_the_sentences_that_state_something_unstated():
    kept, dropped = grounded("Lavrov mediated [1]. He was helped by Jan Pietersen [1].", Grounds([SOURCE]), "en")
    assert kept == "Lavrov mediated [1]."
    assert list(dropped.values()) == [["Jan", "Pietersen"]]


def test_an_answer_that_restates_the_question_adds_nothing():
    q = "Which director said the company had gone bankrupt?"
    assert adds_nothing("The director said the company had gone bankrupt [1].", q)
    assert not adds_nothing("Director Anna Smit said the company had gone bankrupt [1].", q)
    assert not adds_nothing("An orange scent [1].", "What smell were the detainees exposed to?")


def test_another_form_of_the_questions_verb_adds_nothing_given_the_language():
    q = "What were the protesters throwing at the town hall?"
    assert adds_nothing("The protesters threw it at the town hall [1].", q, lang="en")
    assert not adds_nothing("The protesters threw eggs at the town hall [1].", q, lang="en")
    assert not adds_nothing("The protesters threw it at the town hall [1].", q)  # no language: no lemmas
    assert adds_nothing("Ze gooiden het naar het stadhuis [1].", "Wat gooide men naar het stadhuis?", lang="nl")
    assert not adds_nothing("The protesters threw it at the town hall [1].", q, lang="xx")  # no lemma data


def test_citations_narrow_to_the_sources_that_state_the_sentences_facts():
    from index.records import Hit
    from rag.answer import narrow_citations
    from rag.records import Source

    def source(n: int, text: str) -> Source:
        hit = Hit(f"c{n}", 0.8, f"a{n}", 0, f"T{n}", "2020-10-10", None, None, "nl", text, 0, len(text))
        return Source(n, hit)

    sources = [source(1, "De besprekingen duurden lang."), source(2, "Ze duurden tien uur."), source(3, "Iets anders.")]
    q = "How long did the talks last?"
    assert narrow_citations("The talks lasted 10 hours [1][2].", sources, q, "en") == "The talks lasted 10 hours [2]."
    assert narrow_citations("The talks lasted 10 hours [3].", sources, q, "en") == "The talks lasted 10 hours [2]."
    assert narrow_citations("The talks lasted 10 hours.", sources, q, "en") == "The talks lasted 10 hours [2]."
    assert narrow_citations("They lasted long [1][3].", sources, q, "en") == "They lasted long [1][3]."
    # a marker after the full stop is the sentence's own, not a sentence of its own to cite again
    assert narrow_citations("The talks lasted 10 hours.[3]", sources, q, "en") == "The talks lasted 10 hours [2]."
    two = "The talks lasted 10 hours. [3] They lasted long [1]."
    assert narrow_citations(two, sources, q, "en") == "The talks lasted 10 hours [2]. They lasted long [1]."


@pytest.mark.parametrize(
    ("question", "kind"),
    [("How many miners were rescued?", "number"), ("Hoeveel bomen komen er?", "number"),
     ("When does the trial begin?", "date"), ("Op welke datum stemde de Kamer?", "date"),
     ("Who won the stage?", "name"), ("En wie volgt hij op?", "name"), ("What caused the blackout?", None),
     ("What did the council decide when the dike broke?", None), ("Wat gebeurt er wanneer de dijk breekt?", None),
     ("And when did it open?", "date"), ("What was the score in the final?", "number"),
     ("Tegen welk land speelt Oranje?", "name"), ("Which measure did the council take?", None),
     ("What sentence did the burglar get?", "number"), ("Welke straf eist het OM?", "number")],
)  # fmt: skip
def test_what_a_question_asks_for(question, kind):
    from rag.grounding import asked_for

    assert asked_for(question) == kind


def test_an_answer_without_the_kind_of_fact_asked_for_gives_nothing():
    from rag.grounding import gives

    assert not gives("The trial is expected to begin within weeks [1].", "date", "When does the trial begin?")
    assert gives("It began on 4 March [1].", "date", "When did the trial begin?")
    assert gives("Nineteen miners [1].", "number", "How many miners were rescued?")
    assert not gives("The vote was on March 26, 2019 [1].", "number", "What was the vote?")
    assert gives("The vote was 408 to 205 on 26 maart [1].", "number", "What was the vote?")
    assert not gives("It was on 27 March 2019 [1].", "number", "What was the vote?")
    assert gives("2000 euro [1].", "number", "How much reward money had he promised?")
    assert not gives("Many miners were rescued [1].", "number", "How many miners were rescued?")
    assert gives("Adam Yates won it [1].", "name", "Who won the queen stage of the Tour of Catalonia?")
    assert not gives(
        "The Tour of Catalonia winner won it [1].", "name", "Who won the queen stage of the Tour of Catalonia?"
    )
    # a question for the person in a role is not answered by an office or a body
    assert not gives("De Tweede Kamer besloot dat [1].", "name", "Welke minister besloot tot de sluiting?")
    assert gives("Minister Karin de Vries besloot dat [1].", "name", "Welke minister besloot tot de sluiting?")
    assert gives("De Tweede Kamer stemde ertegen [1].", "name", "Wie stemde tegen het plan?")


def test_month_and_weekday_names_need_no_source_spelling_them():
    assert Grounds(["Wanneer?", "Het gebeurde op 29 maart 2019."]).unstated("Since Friday, 29 March 2019 [1].") == []


def test_an_answer_adding_only_words_no_source_states_adds_nothing():
    from rag.grounding import adds_nothing

    question = "Wat was de oorzaak van de aanvaring op de Waal?"
    sources = "De twee schepen kwamen zondag op de Waal met elkaar in aanvaring. Niemand raakte gewond."
    assert adds_nothing("De oorzaak van de aanvaring was een aanrijding [1].", question, sources)
    assert not adds_nothing("De oorzaak van de aanvaring was een aanrijding [1].", question)
    assert not adds_nothing("Niemand raakte gewond bij de aanvaring [1].", question, sources)


VOTE = (
    "De SGP'er betreurde dat zijn plan het waarschijnlijk niet haalt. De definitieve stemming volgende week kan "
    "eurosceptische partijen munitie bieden voor de Europese verkiezingen op 23 mei."
)


def test_a_source_sentence_copied_whole_about_something_else_is_no_answer():
    question = "Op welke datum stemde de Eerste Kamer het SGP-plan over soevereiniteit weg?"
    copy = "De definitieve stemming volgende week kan eurosceptische partijen munitie bieden voor de Europese verkiezingen op 23 mei [1]."
    assert copied(copy, question, [VOTE], "nl") == [
        "de definitieve stemming volgende week kan eurosceptische partijen munitie bieden voor de europese verkiezingen op 23 mei."
    ]
    # the model's own sentence, or a copy that takes up what was asked, is an answer
    assert copied("De Eerste Kamer stemde het plan op 9 april 2019 weg [2].", question, [VOTE], "nl") == []
    question = "Wanneer zijn de Europese verkiezingen, volgens de stemming van volgende week?"
    assert copied(copy, question, [VOTE], "nl") == []
    # one sentence of its own is enough
    assert copied(copy + " Dat was op 9 april 2019 [2].", "Op welke datum stemde de Kamer?", [VOTE], "nl") == []
