"""Relative day expressions in articles get their date, resolved against the article's own date."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.dates import annotate, article_day, resolve

WEDNESDAY = dt.date(2019, 4, 10)


@pytest.mark.parametrize(
    ("phrase", "lang", "expected"),
    [
        ("gisteren", "nl", dt.date(2019, 4, 9)),
        ("eergisteren", "nl", dt.date(2019, 4, 8)),
        ("vanavond", "nl", WEDNESDAY),
        ("morgen", "nl", dt.date(2019, 4, 11)),
        ("dinsdag", "nl", dt.date(2019, 4, 9)),
        ("zaterdagnacht", "nl", dt.date(2019, 4, 6)),
        ("woensdag", "nl", WEDNESDAY),  # the paper's own weekday: that day
        ("afgelopen woensdag", "nl", dt.date(2019, 4, 3)),
        ("komende vrijdag", "nl", dt.date(2019, 4, 12)),
        ("yesterday", "en", dt.date(2019, 4, 9)),
        ("last Friday", "en", dt.date(2019, 4, 5)),
        ("next Monday", "en", dt.date(2019, 4, 15)),
    ],
)
def test_relative_days_resolve_against_the_article_date(phrase, lang, expected):
    assert resolve(phrase, WEDNESDAY, lang) == expected


def test_annotate_writes_the_date_after_each_relative_day_in_the_articles_language():
    text = "Het plan is gisteren gesneuveld. De F-35 stortte dinsdag neer. Op zaterdag 1 juni is het duel."
    assert annotate(text, "2019-04-10", "nl") == (
        "Het plan is gisteren (9 april 2019) gesneuveld. De F-35 stortte dinsdag (9 april 2019) neer. "
        "Op zaterdag 1 juni is het duel."
    )
    assert annotate("He said on Tuesday it was over.", "2019-04-10", "en") == (
        "He said on Tuesday (9 April 2019) it was over."
    )


@pytest.mark.parametrize("date", [None, "", "2019-04", "not a date"])
def test_without_a_full_article_date_the_text_is_left_alone(date):
    assert article_day(date) is None
    assert annotate("Het plan is gisteren gesneuveld.", date, "nl") == "Het plan is gisteren gesneuveld."
