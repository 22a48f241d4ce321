"""Thumbs up/down on answers, appended as one JSON line each to `feedback.jsonl` in the data directory.

Bounded: every field is cut to a fixed size (a record holds at most about 24,000 characters, whoever
sends it), and the file is rotated past `max_bytes` by the standard library's `RotatingFileHandler`
(renamed to `feedback.jsonl.1`, replacing the older one), so feedback takes about twice `max_bytes` at most.

Each record is a single `write` of one line, so a crash never leaves half a record followed by another.
Lines end with "\\n" only: the JSON keeps non-ASCII text as is, but the characters other readers take for line
breaks (U+0085, U+2028, U+2029, e.g. `str.splitlines`) are written escaped, and `read()` splits on "\\n"
alone, as the lines were written. Not handled: several server processes writing one file (use one process).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import threading
from pathlib import Path
from typing import Any

FILENAME = "feedback.jsonl"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
FIELD_CHARS = {"question": 4_000, "answer": 8_000, "comment": 2_000}
OTHER_CHARS = 200  # any other string field, and each item of a list field
LIST_ITEMS = 50
# Line breaks to str.splitlines() and others, which json.dumps(ensure_ascii=False) writes raw.
_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}

log = logging.getLogger(__name__)


def _bounded(value: Any, chars: int) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_bounded(item, OTHER_CHARS) for item in value[:LIST_ITEMS]]
    return str(value)[:chars]


class _Handler(logging.handlers.RotatingFileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        raise


class FeedbackLog:
    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError(f"Expected max_bytes >= 1, got {max_bytes}")
        self.path, self.max_bytes = path, max_bytes
        self._handler: _Handler | None = None
        self._lock = threading.Lock()

    def append(self, rating: str, question: str, answer: str, **extra: Any) -> dict:
        if rating not in ("up", "down"):
            raise ValueError(f"Expected rating 'up' or 'down', got {rating!r}")
        fields = {"question": question, "answer": answer, **extra}
        record = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "rating": rating,
            **{k: _bounded(v, FIELD_CHARS.get(k, OTHER_CHARS)) for k, v in fields.items()},
        }
        line = json.dumps(record, ensure_ascii=False).translate(_BREAKS)
        self._writer().handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))
        return record

    def read(self) -> list[dict]:
        """Every record still on disk, oldest first (the rotated file, then the current one)."""
        records = []
        for path in (self.path.with_name(self.path.name + ".1"), self.path):
            if not path.exists():
                continue
            with path.open(encoding="utf-8", newline="\n") as f:  # lines end at "\n" only
                for number, line in enumerate(f, start=1):
                    if not line.strip():
                        continue
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as e:  # a line cut short by a crash or a full disk
                        log.warning("%s:%d: skipped, not a JSON record: %s", path, number, e)
        return records

    def close(self) -> None:
        with self._lock:
            if self._handler is not None:
                self._handler.close()
                self._handler = None

    def _writer(self) -> _Handler:
        with self._lock:
            if self._handler is None:  # opened on first use: nothing is created before feedback arrives
                self.path.parent.mkdir(parents=True, exist_ok=True)
                handler = _Handler(self.path, maxBytes=self.max_bytes, backupCount=1, encoding="utf-8", delay=True)
                handler.setFormatter(logging.Formatter("%(message)s"))
                self._handler = handler
            return self._handler
