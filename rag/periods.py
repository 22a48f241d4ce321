"""Dates and periods named in questions, and questions that ask for the latest news (owned here).

`period_in` reads English and Dutch questions: days ("on 4 March", "op 10 april", "March 4th, 2019",
"2019-03-04"), months ("in maart", "in februari 2019"), parts of a month or year ("begin april",
"eind februari", "mid-2019"), years ("in 2019"), relative expressions resolved against `today`
("gisteren", "last Friday", "vorige week", "this year", "the past 3 days", "twee weken geleden"), ranges
("van maart tot mei", "1-10 April", "between 2018 and 2020") and open ends ("sinds januari", "after
4 March": up to today or the corpus's end, whichever is later). A day or month without a year takes the
latest year in which the corpus has it (else the latest such date not after the corpus's end, or without a
corpus not after `today`). Several dates in one question give the span over all of them. `Period.kind` is
"day", "week", "weekend", "month", "part" (of a month or year), "year", "relative" (a window ending today:
"the past week"), "since" (open end), "as_of" ("as of late February", "stand per 1 april": the month
before it up to its end, where the newest report holds the state asked about) or "span" (a range, or several
dates).
`asks_for_latest` says whether a question asks for the newest state of a story ("latest", "currently",
"nu", "volgens de laatste berichten").

How the answer path is to use them: a period becomes a date filter on the articles (start and end
inclusive), and the answer reports the filter; `asks_for_latest` becomes a preference for newer articles
among the relevant ones, and the answer says "as of" the newest cited date. A period wholly before the
corpus's dates is likely the subject ("what happened in 1944?") rather than when it was reported: the
caller may then search without the filter and say so, or refuse with the corpus's range.

Precision over recall, because a wrong filter hides the answer: month names count only next to a day, a
year or a word that makes them a date ("in", "sinds", "begin"), so "May I ask", "the March on Washington"
and "de mei-rally" are no dates; a bare number is no year; a lone date after "until", "tot", "voor" is
dropped rather than guessed at (after a first date it ends a range); a period that starts after both today
and the corpus's end is the subject ("plans for 2030"), not a filter. Not handled: future words
("tomorrow", "volgende week"), seasons, decades, numeric dates other than ISO and Dutch "4-3-2019" ("9/11"
is no date here). Patterns are fixed sequences of words (no nested repetition), so matching is linear in
the question; `dateparser` (cached, through `rag.dates.resolve`) resolves day words and weekdays only:
numbered dates need no parser once the pattern has read day, month and year.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.dates import MONTH_NAMES, month_number, resolve

Span = tuple[dt.date, dt.date]
Make = Callable[[int], Span | None]  # the days a date names in a given year
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """Days `start` to `end` (inclusive) that `phrase` in a question names; `kind` says how (see module)."""

    start: dt.date
    end: dt.date
    phrase: str
    kind: str


_MONTH = "|".join(sorted({m.lower() for names in MONTH_NAMES.values() for m in names}, key=len, reverse=True))
_ABBR = r"sept|sep|jan|feb|mrt|mar|apr|jun|jul|aug|okt|oct|nov|dec"
_D = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|ste|de|e)?\b"
_Y = r"(?<![\d.,])(?:19|20)\d\d(?!\d|[.,]\d)"
_NUM = r"\d{1,2}|an?|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of"
_NUM += "|een paar|enkele|een|twee|drie|vier|vijf|zes|zeven|acht|negen|tien"
_FROM = r"(?:from|van|vanaf|between|tussen)"
_TO = r"(?:tot en met|t/m|tot|to|until|till|through|and|en)"
_WD_EN = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_WD_NL = "maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag"
_PART_EN = "morning|afternoon|evening|night"
_DATED = rf"(?!,? (?:the )?\d|,? (?:{_MONTH})\b)"  # "Tuesday, April 9": the date says the day


def _after(*words: str) -> str:
    """A lookbehind per word (Python's lookbehinds are fixed-width): the match must follow one of them."""
    return "(?:" + "|".join(rf"(?<=\b{w} )" for w in words) + ")"


_CONTEXT: tuple[str, ...] = (
    "in",
    "of",
    "van",
    "during",
    "tijdens",
    "throughout",
    "gedurende",
    "heel",
    "sinds",
    "since",
)
_CONTEXT += ("sedert", "vanaf", "after", "na", "tot", "until", "till", "before", "voor")
_COUNTED = r"(?! ?(?:%|procent|percent|euro|dollar|pond|mensen|people|men|women|huizen|homes|houses|km|meter))"
_PART = r"(?P<part>beginning|begin|start|early|einde|eind|end|late|half|medio|midden|middle|mid)"

_RULES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "iso": r"\b(?P<y>(?:19|20)\d\d)-(?P<mn>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])\b",
        "dmy": r"\b(?P<d>0?[1-9]|[12]\d|3[01])([-/.])(?P<mn>0?[1-9]|1[0-2])\2(?P<y>(?:19|20)\d\d)\b",
        "days": rf"\b(?P<d>{_D})(?: ?[-–] ?| {_TO} )(?P<d2>{_D}) (?:of )?(?P<m>{_MONTH})\b(?:,? (?P<y>{_Y}))?",
        "mdays": rf"\b(?P<m>{_MONTH}) (?P<d>{_D}) ?[-–] ?(?P<d2>{_D})(?:,? (?P<y>{_Y}))?",
        "dm": rf"\b(?P<d>{_D}) (?:of )?(?P<m>{_MONTH}|{_ABBR})\b\.?(?:,? (?P<y>{_Y}))?",
        "md": rf"\b(?P<m>{_MONTH}|{_ABBR})\.? (?:the )?(?P<d>{_D})(?!:)(?:,? (?P<y>{_Y}))?",
        "months": rf"\b{_FROM} (?P<m>{_MONTH})(?: (?P<y>{_Y}))? {_TO} (?P<m2>{_MONTH})\b(?: (?P<y2>{_Y}))?",
        "years": rf"(?:\b{_FROM} (?P<y>{_Y}) {_TO} |(?P<y1>{_Y}) ?[-–] ?)(?P<y2>{_Y})",
        "part": rf"\b{_PART}(?: (?:of|van))?[ -](?:(?P<m>{_MONTH})\b(?: (?P<y>{_Y}))?|(?P<yo>{_Y}))",
        "month": rf"{_after(*_CONTEXT)}(?P<m>{_MONTH})\b(?!['’])(?: (?P<y>{_Y}))?"  # not "in May's cabinet"
        rf"|\b(?P<m2>{_MONTH}) (?P<y2>{_Y})",
        "lastmonth": rf"\b(?:last|afgelopen) (?P<m>{_MONTH})\b",
        "year": rf"{_after(*_CONTEXT, 'year', 'jaar')}(?P<y>{_Y}){_COUNTED}",
        "word": r"\b(?P<w>the day before yesterday|yesterday|today|tonight|this (?:morning|afternoon|evening)"
        r"|last night|eergisteren|gisteren|gister(?:avond|middag|ochtend|morgen|nacht)|vandaag|vanochtend"
        r"|vanmorgen|vanmiddag|vanavond|vannacht)\b",
        "unit": r"\b(?P<the>(?:the|de|het) )?(?P<dir>last|this past|this|past|previous|vorige|vorig|afgelopen"
        r"|deze|dit|verleden|voorbije) (?P<unit>weekend|week|month|year|maand|jaar)\b",
        "rolling": rf"\b(?:the|de|het) (?:last|past|previous|afgelopen|laatste|voorbije) (?:(?P<n>{_NUM}) )?"
        r"(?P<unit>days|weeks|months|years|dagen|weken|maanden|jaren|jaar)\b",
        "ago": rf"\b(?P<n>{_NUM}) (?P<unit>days?|weeks?|months?|years?|dagen|dag|weken|week|maanden|maand|jaar)"
        r" (?:ago|geleden)\b",
        "weekday": rf"\b(?P<dir>on|last|this past|past|previous) (?P<wd>{_WD_EN})(?: {_PART_EN})?\b{_DATED}"
        rf"|(?<!goede )(?<!stille )(?<!witte )\b(?:(?P<nldir>afgelopen|vorige|op) )?(?P<nlwd>{_WD_NL})"
        r"(?:ochtend|middag|avond|nacht)?\b" + _DATED,
    }.items()
}
_SINCE = re.compile(r"\b(?:since|sinds|sedert|vanaf) $", re.IGNORECASE)
_AFTER = re.compile(r"\b(?:after|na) $", re.IGNORECASE)
_AS_OF = re.compile(r"\b(?:as of|as at|as on|(?:de )?stand (?:van|op|per)) $", re.IGNORECASE)
_UNTIL = re.compile(r"\b(?:until|till|tot|tot en met|t/m|before|voor|vóór|uiterlijk|by) $", re.IGNORECASE)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "een": 1, "a couple of": 2, "een paar": 3, "enkele": 3, "a few": 3}
_NUMBERS |= {w: i + 2 for i, w in enumerate(["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])}
_NUMBERS |= {w: i + 2 for i, w in enumerate(["twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien"])}

_LATEST = re.compile(
    r"\b(?:latest|most recent|newest|recent|recently|most up[- ]to[- ]date|up[- ]to[- ]date|currently|current"
    r"|right now|as of (?:now|today)|now|so far|to date|at the moment|at present|presently|as it stands"
    r"|these days|still|laatste (?:stand|nieuws|berichten|cijfers|updates?|informatie|ontwikkelingen|status)"
    r"|het laatst|nieuwste|meest recente|recentste|recente|recentelijk|onlangs|actuele|actueel|momenteel"
    r"|op dit moment|op het moment|inmiddels|tot nu toe|tot dusver|tot op heden|huidige|nog steeds"
    r"|nog altijd|thans|anno nu|nu)\b(?!\.\w)",
    re.IGNORECASE,
)


def asks_for_latest(question: str) -> bool:
    """Whether the question asks for the newest state of things ("latest", "nu", "laatste stand")."""
    return _LATEST.search(" ".join(question.split())) is not None


def period_in(
    question: str, *, today: dt.date, corpus_dates: Span | None = None, lang: str | None = None
) -> Period | None:
    """The date or period `question` asks about; None when it names none (see the module docstring)."""
    text = " ".join(question.split())
    found: list[tuple[int, int, str, re.Match[str]]] = []
    for name, pattern in _RULES.items():
        if name == "dmy" and lang != "nl":
            continue  # "4-3-2019" is 4 March in Dutch, but 3 April in American English
        found += [(m.start(), -m.end(), name, m) for m in pattern.finditer(text)]
    limit = max(today, corpus_dates[1]) if corpus_dates else today
    periods: list[Period] = []
    taken = 0
    for start, neg_end, name, match in sorted(found, key=lambda f: f[:2]):
        if start < taken:
            continue  # overlaps a longer or earlier match
        taken = -neg_end
        before = text[max(0, start - 12) : start]
        span = _span(name, match, today, corpus_dates)
        if span is None or span[0] > limit or (_UNTIL.search(before) and not periods):
            continue  # "tot 4 mei" alone would need a start; after "van 1 maart" it ends a range
        kind = _KINDS.get(name) or _kind(name, match)
        phrase = match.group()
        since, after, as_of = _SINCE.search(before), _AFTER.search(before), _AS_OF.search(before)
        if as_of:
            # the state of things as of a date is in the newest report up to its end, which may be weeks old
            span = (span[0] - AS_OF_LOOKBACK, span[1])
            kind, phrase = "as_of", as_of.group() + phrase
        elif since or after:
            span = (span[0], limit) if since else (span[1] + DAY, limit)
            kind, phrase = "since", (since or after).group() + phrase  # type: ignore[union-attr]
        periods.append(Period(span[0], span[1], phrase, kind))
    if len(periods) <= 1:
        return periods[0] if periods else None
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    return Period(first, last, " … ".join(p.phrase for p in periods), _hull_kind(periods))


AS_OF_LOOKBACK = dt.timedelta(days=31)


def _hull_kind(periods: list[Period]) -> str:
    return "since" if any(p.kind == "since" for p in periods) else "span"


_KINDS = {"iso": "day", "dmy": "day", "dm": "day", "md": "day", "days": "span", "mdays": "span"}
_KINDS |= {"months": "span", "years": "span", "part": "part", "month": "month", "lastmonth": "month"}
_KINDS |= {"year": "year", "word": "day", "weekday": "day", "rolling": "relative"}


def _kind(name: str, match: re.Match[str]) -> str:
    unit = match.group("unit").casefold()
    if name == "unit" and _rolling(match):
        return "relative"
    return "weekend" if unit == "weekend" else _UNITS[unit[:2]]


_UNITS = {"da": "day", "we": "week", "mo": "month", "ma": "month", "ye": "year", "ja": "year"}


def _rolling(match: re.Match[str]) -> bool:
    """ "the past week", "het afgelopen jaar": the days up to today, not a calendar week or year."""
    direction = match.group("dir").casefold()
    if match.group("unit").casefold() == "weekend":
        return False  # "afgelopen weekend" is the last Saturday and Sunday
    if direction in ("past", "this past", "afgelopen", "voorbije"):
        return True
    return direction == "last" and bool(match.group("the"))  # "in the last week"


def _span(name: str, m: re.Match[str], today: dt.date, corpus: Span | None) -> Span | None:
    """The days a match names, or None when it names no real date ("31 February 2019")."""
    g = m.groupdict()
    month = month_number(g["m"]) if g.get("m") else int(g["mn"]) if g.get("mn") else None
    if name in ("iso", "dmy", "dm", "md"):
        if month is None or (g.get("m") == "may" and not g["y"]):
            return None  # "which 2 may win", "how may 3 …": a lower-case "may" by a number is no month
        return _dated(lambda y: _day(y, month, _int(g["d"])), g["y"], today, corpus)
    if name in ("days", "mdays"):
        first, last = _int(g["d"]), _int(g["d2"])
        return _dated(lambda y: _join(_day(y, month, first), _day(y, month, last)), g["y"], today, corpus)
    if name == "months":
        opening, second = month or 0, month_number(g["m2"]) or 0
        if g["y2"] and not g["y"]:
            g["y"] = g["y2"] if opening <= second else str(int(g["y2"]) - 1)
        span = _dated(lambda y: _month(y, opening), g["y"], today, corpus)
        if span is None:
            return None
        year = int(g["y2"]) if g["y2"] else span[0].year + (second < opening)
        return span[0], _month(year, second)[1]
    if name == "years":
        y1, y2 = int(g["y"] or g["y1"]), int(g["y2"])
        return (dt.date(y1, 1, 1), dt.date(y2, 12, 31)) if y1 < y2 else None
    if name == "part":
        return _part(m, month, today, corpus)
    if name == "month":
        month = month_number(g["m"] or g["m2"]) or 0
        return _dated(lambda y: _month(y, month), g["y"] or g["y2"], today, corpus)
    if name == "lastmonth":
        return _latest(lambda y: _month(y, month or 0), today - DAY, ended=True)
    if name == "year":
        return dt.date(int(g["y"]), 1, 1), dt.date(int(g["y"]), 12, 31)
    return _relative(name, m, today)


def _relative(name: str, m: re.Match[str], today: dt.date) -> Span | None:
    g = m.groupdict()
    if name == "word":
        word = g["w"].casefold()
        if word.startswith("gister") or word == "last night":
            word = "gisteren"
        elif word.startswith("the day before"):
            word = "eergisteren"
        elif word.startswith("this"):
            word = "today"
        day = resolve(word, today, "en" if word in ("yesterday", "today", "tonight") else "nl")
        return (day, day) if day else None
    if name == "weekday":
        if g["wd"]:
            lasts = {"past": "last ", "this past": "last ", "previous": "last ", "last": "last "}
            day = resolve(lasts.get(g["dir"].casefold(), "") + g["wd"], today, "en")
        else:
            direction = g["nldir"] or ""
            day = resolve(("" if direction.casefold() in ("", "op") else direction + " ") + g["nlwd"], today, "nl")
        return (day, day) if day else None
    unit = g["unit"].casefold()[:2]  # da(y), we(ek), mo(nth), ye(ar), ma(and), ja(ar)
    if name == "unit":
        if _rolling(m):
            back = {"we": 6, "mo": 30, "ma": 30, "ye": 364, "ja": 364}[unit]
            return today - back * DAY, today
        this = g["dir"].casefold() in ("this", "deze", "dit")
        if g["unit"].casefold() == "weekend":
            saturday = today - ((today.weekday() - 5) % 7) * DAY
            saturday = saturday if this or saturday < today - DAY else saturday - 7 * DAY
            return saturday, min(saturday + DAY, today)
        back = 0 if this else 1
        if unit == "we":
            monday = today - (today.weekday() + 7 * back) * DAY
            return monday, min(monday + 6 * DAY, today)
        if unit in ("mo", "ma"):
            first = _shift(today, -back)
            return first, min(_month(first.year, first.month)[1], today)
        return dt.date(today.year - back, 1, 1), min(dt.date(today.year - back, 12, 31), today)
    n = _NUMBERS.get(g["n"].casefold(), 0) if g["n"] and not g["n"].isdigit() else int(g["n"] or 0)
    if name == "rolling":
        if not n and unit not in ("da", "we"):
            return None  # "de afgelopen jaren": too vague to filter on
        days = {"da": 1, "we": 7, "mo": 30, "ma": 30, "ye": 365, "ja": 365}[unit] * (n or {"da": 7, "we": 4}[unit])
        return today - (days - 1) * DAY, today
    if unit == "da":
        return today - n * DAY, today - n * DAY
    if unit == "we":
        monday = today - (today.weekday() + 7 * n) * DAY
        return monday, monday + 6 * DAY
    if unit in ("mo", "ma"):
        first = _shift(today, -n)
        return _month(first.year, first.month)
    return dt.date(today.year - n, 1, 1), dt.date(today.year - n, 12, 31)


_ENDS = ("einde", "eind", "end", "late")


def _part(m: re.Match[str], month: int | None, today: dt.date, corpus: Span | None) -> Span | None:
    """ "begin april": days 1-10, "half april" 11-20, "eind april" 21 to the end; of a year, four months each."""
    part = m.group("part").casefold()
    third = 0 if part in ("beginning", "begin", "start", "early") else 2 if part in _ENDS else 1
    if month is None:
        year = int(m.group("yo"))
        return dt.date(year, 4 * third + 1, 1), _month(year, 4 * third + 4)[1]

    def make(y: int) -> Span:
        first, last = _month(y, month)
        return first + 10 * third * DAY, last if third == 2 else first + (10 * third + 9) * DAY

    return _dated(make, m.group("y"), today, corpus)


def _dated(make: Make, year: str | None, today: dt.date, corpus: Span | None) -> Span | None:
    """`make(year)` for the year given, else for the year inferred from the corpus's dates or today."""
    if year:
        return make(int(year))
    if corpus:
        lo, hi = corpus
        for y in range(hi.year, lo.year - 1, -1):
            span = make(y)
            if span and span[0] <= hi and span[1] >= lo:
                return span
        return _latest(make, hi)
    return _latest(make, today)


def _latest(make: Make, limit: dt.date, *, ended: bool = False) -> Span | None:
    """The latest `make(year)` that starts (or with `ended`, ends) on or before `limit`."""
    for y in range(limit.year, limit.year - 9, -1):  # 29 February may be eight years back
        span = make(y)
        if span and (span[1] if ended else span[0]) <= limit:
            return span
    return None


def _day(year: int, month: int | None, day: int) -> Span | None:
    try:
        date = dt.date(year, month or 0, day)
    except ValueError:
        return None
    return date, date


def _join(first: Span | None, last: Span | None) -> Span | None:
    return (first[0], last[1]) if first and last and first[0] < last[1] else None


def _month(year: int, month: int) -> Span:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _shift(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) `day`'s."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _int(day: str) -> int:
    return int(re.match(r"\d+", day).group())  # type: ignore[union-attr]


# How a period named in a question narrows a search (`search_dates`): years are usually what the question
# is about ("the record emissions of 2018"), not when it was reported, so they do not narrow it; a day or a
# month is reported on the days after it too.
REPORTED_WITHIN = {"day": 2, "week": 2, "weekend": 2, "month": 7, "part": 7}


def search_dates(
    question: str, *, today: dt.date, corpus_dates: Span | None = None, lang: str | None = None
) -> tuple[Period, str, str] | None:
    """The period the question names and the article dates to search within for it (ISO, inclusive), or
    None when it names none that should narrow the search."""
    period = period_in(question, today=today, corpus_dates=corpus_dates, lang=lang)
    if period is None or period.kind == "year":
        return None
    end = period.end + dt.timedelta(days=REPORTED_WITHIN.get(period.kind, 0))
    return period, period.start.isoformat(), end.isoformat()
