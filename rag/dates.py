"""Relative dates in articles, resolved against the article's own date.

News is written relative to the day it appears: "gisteren", "dinsdag", "afgelopen vrijdag", "yesterday",
"last Tuesday". Read weeks later, such a word no longer names a day, and a small model asked "on what date
…?" can neither find nor compute it. So before the model reads a passage, every relative day expression
gets its date written after it, in the article's language: "is gisteren (9 april 2019) gesneuveld".

Expressions (Dutch and English): yesterday / today / tomorrow and the day before or after, parts of today
("vanavond", "tonight"), and weekdays with an optional part of the day ("zaterdagnacht", "Tuesday
evening") and an optional direction ("afgelopen", "vorige", "komende", "aanstaande", "last", "next",
"this"). `dateparser` resolves them against the article's date. A bare weekday is taken as the latest such
day on or before the article's date (news reports what happened; on the article's own weekday it means
that day), a weekday after "komende"/"next" as the next one.

Not handled: weeks, months and years ("vorige week", "last month": too vague to pin to a day), dates
that already say the day ("op 9 april"), and articles without a full ISO date (left as they are).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache

_NL_DAYS = "maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag"
_EN_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_NL_PART = "ochtend|morgen|middag|avond|nacht"
_EN_PART = "morning|afternoon|evening|night"

_MONTH_NAMES = {
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
# usual abbreviations, read only next to a day number by rag.periods ("4 mrt", "Sept. 9")
_ABBREVIATIONS = {"jan": 1, "feb": 2, "mrt": 3, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8}
_ABBREVIATIONS |= {"sep": 9, "sept": 9, "okt": 10, "oct": 10, "nov": 11, "dec": 12}
MONTH_NAMES = _MONTH_NAMES  # public for rag.periods, which reads months in questions
# a weekday followed by its date ("zaterdag 1 juni", "Tuesday, April 9") already says the day
_DATED = rf"(?!,?\s+(?:\d|{'|'.join(_MONTH_NAMES['nl'] + _MONTH_NAMES['en'])}))"
_NL = re.compile(
    rf"\b(?:(?P<dir>afgelopen|vorige|komende|aanstaande)\s+)?(?P<day>{_NL_DAYS})(?:{_NL_PART})?\b{_DATED}"
    r"|\b(?P<word>eergisteren|gisteren|vandaag|vanochtend|vanmorgen|vanmiddag|vanavond|vannacht|overmorgen|morgen)"
    r"(?:ochtend|middag|avond|nacht)?\b",
    re.IGNORECASE,
)
_EN = re.compile(
    rf"\b(?:(?P<dir>last|next|this|on)\s+)?(?P<day>{_EN_DAYS})(?:\s+(?:{_EN_PART}))?\b{_DATED}"
    r"|\b(?P<word>yesterday|today|tonight|tomorrow)\b",
    re.IGNORECASE,
)
_PATTERNS = {"nl": _NL, "en": _EN}
# Words dateparser reads as "today" or needs in its own form.
_TODAY = {"vanochtend", "vanmorgen", "vanmiddag", "vanavond", "vannacht", "vandaag", "today", "tonight"}
_FUTURE = {"komende", "aanstaande", "next"}
_AHEAD = {"morgen", "overmorgen", "tomorrow"}


def article_day(date: str | None) -> dt.date | None:
    """The article's day from its ISO date ("2019-04-10", "2019-04-10T08:00"); None when not a full date."""
    if not date or len(date) < 10:
        return None
    try:
        return dt.date.fromisoformat(date[:10])
    except ValueError:
        return None


def iso_days(date: str | None) -> tuple[dt.date, dt.date] | None:
    """The first and last day a whole or partial ISO date covers ("2020-10": 1 to 31 October 2020)."""
    if not date:
        return None
    try:
        if len(date) >= 10:
            day = dt.date.fromisoformat(date[:10])
            return day, day
        if len(date) == 7:
            year, month = int(date[:4]), int(date[5:7])
            return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
        if len(date) == 4:
            return dt.date(int(date), 1, 1), dt.date(int(date), 12, 31)
    except ValueError:
        return None
    return None


def format_day(day: dt.date, lang: str | None) -> str:
    """ "9 april 2019" (Dutch) or "9 April 2019" (English and other languages)."""
    months = _MONTH_NAMES.get(lang or "", _MONTH_NAMES["en"])
    return f"{day.day} {months[day.month - 1]} {day.year}"


def month_number(name: str) -> int | None:
    """1-12 for a Dutch or English month name or its usual abbreviation ("maart", "May", "Sept."); else None."""
    word = name.strip().rstrip(".").casefold()
    for months in _MONTH_NAMES.values():
        folded = [month.casefold() for month in months]
        if word in folded:
            return folded.index(word) + 1
    return _ABBREVIATIONS.get(word)


def resolve(phrase: str, base: dt.date, lang: str | None) -> dt.date | None:
    """The day a relative expression found by `annotate`'s patterns names, seen from `base`."""
    pattern = _PATTERNS.get(lang or "", _NL)
    match = pattern.fullmatch(phrase.strip())
    if match is None:
        return None
    if match.group("word"):
        word = match.group("word").casefold()
        if word in _TODAY:
            return base
        return _parse(word, base, lang, future=word in _AHEAD)
    day = match.group("day").casefold()
    direction = (match.group("dir") or "").casefold()
    future = direction in _FUTURE
    if not future and direction not in ("afgelopen", "vorige", "last") and _weekday(day, lang) == base.weekday():
        return base  # "dinsdag" in Tuesday's paper: that day
    return _parse(day, base, lang, future=future)


def annotate(text: str, date: str | None, lang: str | None) -> str:
    """`text` with the date written after each relative day expression: "gisteren (9 april 2019)"."""
    base = article_day(date)
    pattern = _PATTERNS.get(lang or "")
    if base is None or pattern is None:
        return text

    def add(match: re.Match[str]) -> str:
        phrase = match.group()
        if phrase.casefold().startswith("on ") or phrase.casefold().startswith("this "):
            phrase_day = resolve(phrase.split(None, 1)[1], base, lang)
        else:
            phrase_day = resolve(phrase, base, lang)
        return f"{match.group()} ({format_day(phrase_day, lang)})" if phrase_day else match.group()

    return pattern.sub(add, text)


def _weekday(name: str, lang: str | None) -> int:
    names = (_EN_DAYS if lang == "en" else _NL_DAYS).casefold().split("|")
    return names.index(name)


@lru_cache(maxsize=4096)
def _parse(word: str, base: dt.date, lang: str | None, *, future: bool) -> dt.date | None:
    import dateparser

    settings = {
        "RELATIVE_BASE": dt.datetime.combine(base, dt.time(12)),
        "PREFER_DATES_FROM": "future" if future else "past",
    }
    parsed = dateparser.parse(word, languages=[lang if lang in _PATTERNS else "nl"], settings=settings)
    return parsed.date() if parsed else None
