"""Sentence splitting: abbreviations, numbers, quotes and paragraphs, and the span invariants."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.sentences import split_sentences

SAMPLE = Path(__file__).resolve().parents[1] / "corpus" / "000_15448dadedb0d90e.txt"


def sentences(text: str, lang: str | None = None) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text, lang)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # Dutch abbreviations
        (
            "Hij sprak o.a. met dhr. Jansen en mevr. De Vries. Daarna ging hij naar huis.",
            ["Hij sprak o.a. met dhr. Jansen en mevr. De Vries.", "Daarna ging hij naar huis."],
        ),
        (
            "Neem bijv. Utrecht, d.w.z. de stad. Het gaat m.b.t. de A2 i.p.v. de A12. Klaar.",
            ["Neem bijv. Utrecht, d.w.z. de stad.", "Het gaat m.b.t. de A2 i.p.v. de A12.", "Klaar."],
        ),
        ("Er is nl. geen geld. Er kwamen ca. 200 mensen.", ["Er is nl. geen geld.", "Er kwamen ca. 200 mensen."]),
        # English abbreviations and initials
        (
            "The U.S. Senate and the U.K. Parliament met. Dr. Smith and Mr. and Mrs. Jones came.",
            ["The U.S. Senate and the U.K. Parliament met.", "Dr. Smith and Mr. and Mrs. Jones came."],
        ),
        (
            "Some fruit, e.g. apples, i.e. Granny Smiths. J. Smith and J.R.R. Tolkien agreed.",
            ["Some fruit, e.g. apples, i.e. Granny Smiths.", "J. Smith and J.R.R. Tolkien agreed."],
        ),
        ("Apples, pears, etc. were sold. Then it rained.", ["Apples, pears, etc. were sold.", "Then it rained."]),
        ("They sold apples, pears, etc. Then it rained.", ["They sold apples, pears, etc.", "Then it rained."]),
        # months and numbers before a number; a name before a capital
        ("It was Jan. 5 in the U.S. capital. Fine.", ["It was Jan. 5 in the U.S. capital.", "Fine."]),
        (
            "Op 5 jan. 2021 kwam nr. 3 binnen. Ik sprak Jan. Hij zei niets.",
            ["Op 5 jan. 2021 kwam nr. 3 binnen.", "Ik sprak Jan.", "Hij zei niets."],
        ),
        # decimals, thousands, times
        (
            "Er waren 30.000 mensen. Het kostte 3.5 miljoen. Om 3.00 uur begon het. Klaar.",
            ["Er waren 30.000 mensen.", "Het kostte 3.5 miljoen.", "Om 3.00 uur begon het.", "Klaar."],
        ),
        ("Het gebeurde in 2019. 30 mensen waren er.", ["Het gebeurde in 2019.", "30 mensen waren er."]),
        # ellipses
        (
            "Hij dacht... dat het kon. Wacht… Nee. Toen… niets.",
            ["Hij dacht... dat het kon.", "Wacht…", "Nee.", "Toen… niets."],
        ),
        # quotes and brackets after the period, questions and exclamations
        (
            'Hij zei: "Ik ga." Toen ging hij. "Waarom?" vroeg zij. (Dat is zo.) Echt! Ja?',
            ['Hij zei: "Ik ga."', "Toen ging hij.", '"Waarom?" vroeg zij.', "(Dat is zo.)", "Echt!", "Ja?"],
        ),
        ("'Kom hier.' Hij kwam. ‘Goed.’ Zij ook.", ["'Kom hier.'", "Hij kwam.", "‘Goed.’", "Zij ook."]),
        ("Het is 's avonds. 's Ochtends niet.", ["Het is 's avonds.", "'s Ochtends niet."]),
        # paragraphs always end a sentence, lines within a paragraph do not
        (
            "Kop zonder punt\n\nEerste zin. Tweede\nregel.\n \nDerde zin",
            ["Kop zonder punt", "Eerste zin.", "Tweede\nregel.", "Derde zin"],
        ),
        ("1. Eerst dit.\n2. Dan dat.", ["1. Eerst dit.", "2. Dan dat."]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\n \n"])
def test_blank_text_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_lang_narrows_abbreviations() -> None:
    text = "Het gaat om gen. Daarna niet."  # "gen" is English "General", Dutch "gene"
    assert sentences(text, "nl") == ["Het gaat om gen.", "Daarna niet."]
    assert sentences("Gen. Smith arrived.", "en") == ["Gen. Smith arrived."]
    assert sentences("Dhr. Jansen kwam.", "nl") == ["Dhr. Jansen kwam."]


@pytest.mark.parametrize(
    "text",
    [
        SAMPLE.read_text(encoding="utf-8"),
        "  Leading space. Trailing space.  \n\n\n  Next  paragraph!  ",
        'A "quoted." B (bracketed.) C... d… E?! F',
    ],
)
def test_spans_are_trimmed_ordered_and_cover_all_text(text: str) -> None:
    spans = split_sentences(text)
    covered = set()
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end
        assert not text[start].isspace() and not text[end - 1].isspace()
        covered.update(range(start, end))
        previous_end = end
    non_space = {i for i, ch in enumerate(text) if not ch.isspace()}
    assert non_space <= covered


def test_sample_article_sentences() -> None:
    found = sentences(SAMPLE.read_text(encoding="utf-8"))
    assert found[0].startswith("date 2020-10 De Russische minister")
    assert found[0].endswith("Zohrab Mnatsakanyan (rechts).")
    assert found[1] == "Beeld AP"  # a photo credit: ends at the paragraph break
    assert found[2].startswith("Lavrov maakte dat vannacht om 3.00 uur (lokale tijd, 2.00 uur in")
    assert "waarbij ongeveer 30.000 mensen omkwamen" in found[-4]
    assert len(found) == 16
