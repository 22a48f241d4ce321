"""Thumbs up/down on answers, appended as one JSON line each to `feedback.jsonl` in the data directory.

One writer lock per process; each record is a single `write` of one line, so a crash never leaves half a
record followed by another. Not handled: several server processes writing one file (use one process).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

FILENAME = "feedback.jsonl"


class FeedbackLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, rating: str, question: str, answer: str, **extra: Any) -> dict:
        if rating not in ("up", "down"):
            raise ValueError(f"Expected rating 'up' or 'down', got {rating!r}")
        record = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "rating": rating,
            "question": question,
            "answer": answer,
            **extra,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
        return record

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
