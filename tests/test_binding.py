"""Numbers paired with the words of another number of the same source sentence (rag.binding)."""

from __future__ import annotations

import pytest

from rag.binding import bound_words, counts, misbound, rebind
from rag.evaluation.normalize import normalize

FLOOD = (
    "Volgens de veiligheidsregio zijn sinds 3 maart 12 bewoners omgekomen en 240 geëvacueerd. "
    "De gemeente meldde dat 85 van haar ambtenaren en 9 vrijwilligers zijn ingezet bij de dijk."
)


def test_a_count_goes_with_the_words_after_it_up_to_the_next_number():
    first = FLOOD.split(". ")[0]
    assert bound_words(first) == {"12": {"bewoners", "omgekomen"}, "240": {"geevacueerd"}}


def test_years_and_the_days_of_dates_are_no_counts():
    tokens = normalize("Sinds 3 maart 2021 zijn 12 bewoners omgekomen; op March 5 nog 4, en 27 september 31 burgers.")
    assert [tokens[i] for i in counts(tokens)] == ["12", "4", "31"]


@pytest.mark.parametrize(
    ("question", "draft", "rebound"),
    [
        # the predicate asked for goes with the other number; the shared noun goes with the first alone
        (
            "Hoeveel bewoners zijn er sinds 3 maart geëvacueerd?",
            "Sinds 3 maart zijn 12 bewoners geëvacueerd [1].",
            "Sinds 3 maart zijn 240 bewoners geëvacueerd [1].",
        ),
        # the noun asked for goes with the other number of a coordination
        (
            "Hoeveel vrijwilligers zijn volgens de gemeente ingezet?",
            "Volgens de gemeente zijn 85 vrijwilligers ingezet bij de dijk [1].",
            "Volgens de gemeente zijn 9 vrijwilligers ingezet bij de dijk [1].",
        ),
    ],
)
def test_a_number_given_for_another_numbers_words_is_that_number(question, draft, rebound):
    assert rebind(draft, [FLOOD], question, "nl")[0] == rebound
    (found,) = misbound(draft, [FLOOD], question, "nl")
    assert found.stated == rebound.split()[rebound.split().index("zijn") + 1]


@pytest.mark.parametrize(
    ("question", "draft"),
    [
        ("Hoeveel bewoners zijn er omgekomen?", "Sinds 3 maart zijn 12 bewoners omgekomen [1]."),
        ("Hoeveel ambtenaren zijn ingezet?", "85 ambtenaren zijn ingezet bij de dijk [1]."),
        # both numbers given: nothing to rebind
        ("Hoeveel bewoners zijn omgekomen?", "12 bewoners zijn omgekomen en 240 geëvacueerd [1]."),
        # an English answer over a Dutch source shares no words with it: left as it is
        ("How many residents were evacuated?", "12 residents were evacuated [1]."),
        # the day of a date is not a count
        ("Wanneer zijn de bewoners omgekomen?", "De bewoners zijn sinds 3 maart omgekomen [1]."),
    ],
)
def test_a_number_given_with_its_own_words_is_left_alone(question, draft):
    assert rebind(draft, [FLOOD], question, "nl") == (draft, [])


def test_an_ambiguous_number_is_not_rebound():
    source = "Er werden 7 agenten en 5 bewoners gewond; 3 bewoners raakten zwaargewond."
    draft = "Er raakten 7 bewoners gewond [1]."
    found = misbound(draft, [source], "Hoeveel bewoners raakten gewond?", "nl")
    assert {f.stated for f in found} == {"5", "3"}
    assert rebind(draft, [source], "Hoeveel bewoners raakten gewond?", "nl")[0] == draft
