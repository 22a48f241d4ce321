"""Parsing of the server's settings: the rate limit (`COUNT/second|minute|hour|day` or 'off') and the
comma-separated lists (widget origins, trusted proxies). `ui.settings.Settings` validates its fields with
these; `ui.server` reads the parsed values. Nothing else: the fields themselves live in `Settings`.
"""

from __future__ import annotations

import re

RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
PERIOD_S = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def check_rate(value: str) -> str:
    """The rate limit normalised (stripped, lower case); ValueError says what was expected."""
    value = value.strip().lower()
    match = RATE.match(value)
    if value != "off" and (match is None or int(match.group(1)) < 1):
        raise ValueError(f"Expected COUNT/second|minute|hour|day (e.g. '30/minute') or 'off', got {value!r}")
    return value


def parse_rate(value: str) -> tuple[int, float] | None:
    """A checked rate limit as (requests, per seconds), or None when it is off."""
    match = RATE.match(value)
    if match is None:
        return None
    return int(match.group(1)), float(PERIOD_S[match.group(2)])


def split_origins(value: object) -> object:
    """'https://a.example/, https://b.example' -> the origins without a trailing slash; lists pass through."""
    if isinstance(value, str):
        return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
    return value


def split_list(value: object) -> object:
    """'127.0.0.1, 10.0.0.0/8' -> the items; lists pass through."""
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return value


_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(value: str) -> float:
    """A pause like `15m`, `90s`, `1h`, `2d` (or plain seconds) in seconds; ValueError says what was expected."""
    text = value.strip().lower()
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNIT_S else (text, "s")
    try:
        seconds = float(number) * _UNIT_S[unit]
    except ValueError:
        raise ValueError(f"Expected a duration like 15m, 90s or 1h, got {value!r}") from None
    if not seconds > 0:
        raise ValueError(f"Expected a positive duration like 15m, got {value!r}")
    return seconds
