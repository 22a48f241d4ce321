"""Date filters as people give them to the chat, the widget and the API: ISO dates, whole ("2020-10-05")
or partial ("2020-10" is all of October, "2020" the whole year), both ends optional and inclusive; and the
filter an answer reports it applied.

Checked here: the format, that the date exists (no 2020-02-30), and that the range is not reversed.
Not here: applying a filter to the search (`rag.retrieval.Filters`) or reading dates from the question (rag).
"""

from __future__ import annotations

import re
from datetime import date

from rag.errors import InputError
from rag.retrieval import Filters

ISO_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
_ISO_DATE = re.compile(ISO_DATE)
FIELDS = {"date_from": "From", "date_to": "To"}


def check_date(value: str, name: str = "date") -> str:
    """`value` if it is an ISO date that exists (YYYY, YYYY-MM or YYYY-MM-DD), else ValueError naming `name`."""
    if not _ISO_DATE.match(value):
        raise ValueError(f"Expected {name} as an ISO date (YYYY-MM-DD, YYYY-MM or YYYY), got {value!r}")
    parts = [int(p) for p in value.split("-")]
    try:
        date(parts[0], *([*parts[1:], 1, 1])[:2])
    except ValueError:
        raise ValueError(f"Expected {name} to be a date in the calendar, got {value!r}") from None
    return value


def check_range(date_from: str | None, date_to: str | None) -> None:
    """ValueError when `date_from` starts after `date_to` ends (partial dates cover their whole period)."""
    if date_from and date_to:
        start = date_from + "-01-01"[len(date_from) - 4 :]
        end = date_to + "-12-31"[len(date_to) - 4 :]
        if start > end:
            raise ValueError(f"Expected date_from on or before date_to, got {date_from} after {date_to}")


def date_filters(date_from: str | None, date_to: str | None) -> Filters | None:
    """The chat's From/To boxes as a `Filters`, or None when both are empty; `InputError` for a bad date."""
    given = {k: (v or "").strip() or None for k, v in {"date_from": date_from, "date_to": date_to}.items()}
    try:
        for name, value in given.items():
            if value is not None:
                check_date(value, f"{FIELDS[name]!r}")
        check_range(given["date_from"], given["date_to"])
    except ValueError as e:
        raise InputError(f"{e}.") from None
    if not any(given.values()):
        return None
    return Filters(date_from=given["date_from"], date_to=given["date_to"])


def applied(filters: Filters | None) -> dict | None:
    """What an answer reports as its filter (`Answer.filters`): None when nothing restricted the search."""
    if filters is None or not (filters.date_from or filters.date_to or filters.sources):
        return None
    return {"date_from": filters.date_from, "date_to": filters.date_to, "sources": list(filters.sources)}


def describe(filters: dict | None) -> str:
    """The filter as a line for people ("Searched articles from 2020-10 to 2020-12-31"), "" for none.
    The widget says the same (`ui/static/widget-app.js`)."""
    if not filters:
        return ""
    date_from, date_to, sources = filters.get("date_from"), filters.get("date_to"), filters.get("sources") or []
    if date_from and date_to:
        text = f"dated {date_from}" if date_from == date_to else f"from {date_from} to {date_to}"
    elif date_from:
        text = f"from {date_from} on"
    elif date_to:
        text = f"up to {date_to}"
    else:
        text = ""
    if sources:
        text += f" in {', '.join(sources)}"
    return f"Searched articles {text.strip()}"
