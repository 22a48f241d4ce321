"""Dates and periods in questions: what they name, with the year from the corpus's dates or today."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from rag.periods import Period, asks_for_latest, period_in, search_dates

D = dt.date
TODAY = D(2019, 4, 10)  # a Wednesday
CORPUS = (D(2019, 1, 1), D(2019, 6, 30))
HANG = 30.0


@pytest.mark.parametrize(
    ("question", "start", "end", "kind"),
    [
        ("How many were evacuated on 4 March?", D(2019, 3, 4), D(2019, 3, 4), "day"),
        ("What happened on March 4th, 2018?", D(2018, 3, 4), D(2018, 3, 4), "day"),
        ("What was announced on 2019-03-04?", D(2019, 3, 4), D(2019, 3, 4), "day"),
        ("Who spoke in early April?", D(2019, 4, 1), D(2019, 4, 10), "part"),
        ("What happened at the end of March?", D(2019, 3, 21), D(2019, 3, 31), "part"),
        ("What happened in mid-2018?", D(2018, 5, 1), D(2018, 8, 31), "part"),
        ("What was reported in May?", D(2019, 5, 1), D(2019, 5, 31), "month"),
        ("What was reported in 2019?", D(2019, 1, 1), D(2019, 12, 31), "year"),
        ("What happened between 1 and 10 April?", D(2019, 4, 1), D(2019, 4, 10), "span"),
        ("What happened between 2017 and 2018?", D(2017, 1, 1), D(2018, 12, 31), "span"),
        ("Compare March 2018 with March 2019", D(2018, 3, 1), D(2019, 3, 31), "span"),
        ("Who won after 4 March?", D(2019, 3, 5), D(2019, 6, 30), "since"),
        ("Hoeveel mensen werden op 10 april geëvacueerd?", D(2019, 4, 10), D(2019, 4, 10), "day"),
        ("Wat gebeurde er op 4 mrt. 2018?", D(2018, 3, 4), D(2018, 3, 4), "day"),
        ("Wat gebeurde er begin april?", D(2019, 4, 1), D(2019, 4, 10), "part"),
        ("Hoe was het eind februari?", D(2019, 2, 21), D(2019, 2, 28), "part"),
        ("Wat gebeurde er in februari 2019?", D(2019, 2, 1), D(2019, 2, 28), "month"),
        ("Wat gebeurde er in maart?", D(2019, 3, 1), D(2019, 3, 31), "month"),
        ("Wat is er sinds januari gebeurd?", D(2019, 1, 1), D(2019, 6, 30), "since"),
        ("Wat gebeurde er van maart tot mei?", D(2019, 3, 1), D(2019, 5, 31), "span"),
        ("Wat gebeurde er in 2018?", D(2018, 1, 1), D(2018, 12, 31), "year"),
        ("Wat gebeurde er van 1 maart tot 4 mei?", D(2019, 3, 1), D(2019, 5, 4), "span"),
    ],
)
def test_dates_and_periods(question, start, end, kind):
    period = period_in(question, today=TODAY, corpus_dates=CORPUS, lang=None)
    assert period is not None
    assert (period.start, period.end, period.kind) == (start, end, kind)
    assert all(part.casefold() in question.casefold() for part in period.phrase.split(" … "))


@pytest.mark.parametrize(
    ("question", "start", "end", "kind"),
    [
        ("What did he say yesterday?", D(2019, 4, 9), D(2019, 4, 9), "day"),
        ("What happened last week?", D(2019, 4, 1), D(2019, 4, 7), "week"),
        ("How many arrived this year?", D(2019, 1, 1), TODAY, "year"),
        ("What happened last Friday?", D(2019, 4, 5), D(2019, 4, 5), "day"),
        ("What did the mayor say on Monday?", D(2019, 4, 8), D(2019, 4, 8), "day"),
        ("Any news from the past 3 days?", D(2019, 4, 8), TODAY, "relative"),
        ("What happened two weeks ago?", D(2019, 3, 25), D(2019, 3, 31), "week"),
        ("What happened last March?", D(2019, 3, 1), D(2019, 3, 31), "month"),
        ("Wat zei Rutte gisteren?", D(2019, 4, 9), D(2019, 4, 9), "day"),
        ("Wat gebeurde er gisteravond?", D(2019, 4, 9), D(2019, 4, 9), "day"),
        ("Wat gebeurde er vorige maand?", D(2019, 3, 1), D(2019, 3, 31), "month"),
        ("Wat gebeurde er vorige week?", D(2019, 4, 1), D(2019, 4, 7), "week"),
        ("Wat gebeurde er afgelopen weekend?", D(2019, 4, 6), D(2019, 4, 7), "weekend"),
        ("Wat gebeurde er het afgelopen jaar?", D(2018, 4, 11), TODAY, "relative"),
        ("Wat zei de burgemeester dinsdag?", D(2019, 4, 9), D(2019, 4, 9), "day"),
        ("Wat gebeurde er twee dagen geleden?", D(2019, 4, 8), D(2019, 4, 8), "day"),
        ("Wat gebeurde er vandaag?", TODAY, TODAY, "day"),
        ("Wat is er sinds vorige week gebeurd?", D(2019, 4, 1), TODAY, "since"),
    ],
)
def test_relative_expressions_resolve_against_today(question, start, end, kind):
    period = period_in(question, today=TODAY, corpus_dates=None, lang=None)
    assert period is not None
    assert (period.start, period.end, period.kind) == (start, end, kind)


@pytest.mark.parametrize(
    ("question", "corpus", "start"),
    [
        ("in maart", (D(2018, 6, 1), D(2019, 6, 30)), D(2019, 3, 1)),  # the corpus has both: the latest
        ("in december", (D(2018, 6, 1), D(2019, 6, 30)), D(2018, 12, 1)),
        ("on 4 August", (D(2018, 6, 1), D(2019, 6, 30)), D(2018, 8, 4)),
        ("in maart", (D(2016, 1, 1), D(2017, 12, 31)), D(2017, 3, 1)),  # years before today's
        ("in december", (D(2019, 4, 1), D(2019, 6, 30)), D(2018, 12, 1)),  # none in the corpus: before its end
        ("in december", None, D(2018, 12, 1)),  # no corpus: the latest not after today
        ("in april", None, D(2019, 4, 1)),
        ("on 20 April", None, D(2018, 4, 20)),
        ("op 29 februari", None, D(2016, 2, 29)),
    ],
)
def test_a_missing_year_comes_from_the_corpus_or_today(question, corpus, start):
    period = period_in(question, today=TODAY, corpus_dates=corpus, lang=None)
    assert period is not None and period.start == start


def test_since_is_open_ended_up_to_today_or_the_corpus_end():
    assert period_in("sinds januari", today=TODAY, corpus_dates=None, lang="nl") == Period(
        D(2019, 1, 1), TODAY, "sinds januari", "since"
    )
    later = (D(2018, 1, 1), D(2019, 12, 31))
    assert period_in("since 2018", today=TODAY, corpus_dates=later, lang="en").end == D(2019, 12, 31)


def test_as_of_a_date_reaches_back_a_month_to_its_end():
    # the state as of a date is in the newest report up to it, which may be weeks old: no days after it
    period = period_in("What was the toll as of late March 2019?", today=TODAY, corpus_dates=None, lang="en")
    assert period == Period(D(2019, 2, 18), D(2019, 3, 31), "as of late March 2019", "as_of")
    stand = period_in("Wat was de stand per 1 april?", today=TODAY, corpus_dates=None, lang="nl")
    assert stand is not None and (stand.start, stand.end, stand.kind) == (D(2019, 3, 1), D(2019, 4, 1), "as_of")
    assert search_dates("How many had died as of 1 April 2019?", today=TODAY) == (
        Period(D(2019, 3, 1), D(2019, 4, 1), "as of 1 April 2019", "as_of"),
        "2019-03-01",
        "2019-04-01",
    )


def test_numeric_day_month_year_only_in_dutch():
    dutch = period_in("Wat gebeurde er op 4-3-2019?", today=TODAY, corpus_dates=None, lang="nl")
    assert dutch is not None and dutch.start == D(2019, 3, 4)
    assert period_in("What happened on 4-3-2019?", today=TODAY, corpus_dates=None, lang="en") is None


@pytest.mark.parametrize(
    "question",
    [
        "May I ask who won?",
        "Who won the race?",
        "Who led the March on Washington?",
        "Who founded the March of Dimes?",
        "Are they planning to march?",
        "How many of the 2,000 workers?",
        "How many people live in 2000 homes?",
        "Which 2 may win the final?",
        "Was Johnson in May's cabinet?",
        "Wat zei Jan?",
        "Wat gebeurde er op Goede Vrijdag?",
        "Hoeveel windmolens komen er in 2030?",  # the future: the subject, not when it was reported
        "Wat gebeurt er tot 4 mei?",  # until: a filter would guess its start
        "Who will win tomorrow?",
        "",
    ],
)
def test_no_date(question):
    assert period_in(question, today=TODAY, corpus_dates=CORPUS, lang=None) is None


@pytest.mark.parametrize("question", ["Wie won de mei-rally?", "What was 9/11?", "Wat was er 31 februari?"])
def test_either_way_but_no_crash(question):
    period = period_in(question, today=TODAY, corpus_dates=CORPUS, lang="nl")
    assert period is None or period.start <= period.end


@pytest.mark.parametrize(
    "question",
    [
        "What's the latest figure?",
        "What is the most recent death toll?",
        "Who is currently in charge?",
        "What are the newest numbers?",
        "Hoeveel zijn er nu?",
        "Wat is de laatste stand?",
        "Volgens de laatste berichten, hoeveel doden zijn er?",
        "Hoe staat het er momenteel voor?",
    ],
)
def test_asks_for_latest(question):
    assert asks_for_latest(question)


@pytest.mark.parametrize(
    "question",
    ["Who won the race?", "Wat schreef nu.nl over de brand?", "Wie scoorde het laatste doelpunt?", "Last week?"],
)
def test_does_not_ask_for_latest(question):
    assert not asks_for_latest(question)


HOSTILE = ["1 ", "in ", "van maart ", "the last ", "1-", "2019-", "mid-", "de afgelopen ", "1 en ", "dinsdag "]
HOSTILE += ["4 maart ", "1-1-"]


@pytest.mark.parametrize("unit", HOSTILE)
def test_hostile_question_of_2000_characters(unit):
    question = (unit * 2000)[:2000]
    period = period_in(question, today=TODAY, corpus_dates=CORPUS, lang="nl")
    assert period is None or period.start <= period.end
    asks_for_latest(question)


def test_patterns_run_in_linear_time():
    """A quadratic pattern takes hours on these; no timing, only a hang (`re` holds the GIL, so a subprocess)."""
    code = (
        "import datetime as dt\nfrom rag.periods import period_in, asks_for_latest\n"
        f"for unit in {HOSTILE!r}:\n"
        "    q = (unit * 50_000)[:50_000]\n"
        "    period_in(q, today=dt.date(2019, 4, 10), corpus_dates=None, lang='nl'); asks_for_latest(q)\n"
    )
    try:
        root = Path(__file__).parents[1]
        done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=HANG)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {HANG} s: a pattern rescans its input (quadratic or worse)")
    assert done.returncode == 0, done.stderr
