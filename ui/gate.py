"""Admission control for answering: one answer runs at a time, a bounded number wait, the rest are turned
away at once with `Busy` (the server answers 429 with Retry-After).

The local model answers one request at a time anyway (its lock in `rag.llms.SharedLlama`); without a bound,
every extra request would park a thread and a connection until its turn, however long the line. Waiting
happens on the answer's own worker thread (`ui.streaming`), never on the event loop, and gives up as soon
as the client is gone.

Not handled here: per-client fairness (that is `ui.ratelimit`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

WAIT_POLL_S = 0.1  # how often a waiting answer checks whether its client is still there
FIRST_GUESS_S = 10.0  # Retry-After before any answer has been timed


class Busy(Exception):
    """Too many answers running or waiting; `retry_after` (seconds) is a hint for the client."""

    def __init__(self, retry_after: int, waiting: int) -> None:
        self.retry_after, self.waiting = retry_after, waiting
        super().__init__(
            f"The server is busy answering other questions ({waiting} waiting); "
            f"please try again in {retry_after} seconds."
        )


class AnswerGate:
    """At most `max_active` answers run and at most `max_pending` more wait; `enter()` refuses the rest."""

    def __init__(self, max_pending: int, max_active: int = 1) -> None:
        if max_pending < 0 or max_active < 1:
            raise ValueError(f"Expected max_pending >= 0 and max_active >= 1, got {max_pending}, {max_active}")
        self.max_pending, self.max_active = max_pending, max_active
        self._slots = threading.Semaphore(max_active)
        self._lock = threading.Lock()
        self._admitted = 0  # running + waiting
        self._mean_s = FIRST_GUESS_S  # moving average of answer durations, for Retry-After

    @property
    def admitted(self) -> int:
        return self._admitted

    def enter(self) -> Ticket:
        """Admit one answer or raise `Busy` (never blocks)."""
        with self._lock:
            if self._admitted >= self.max_active + self.max_pending:
                raise Busy(self.retry_after(), self._admitted - self.max_active)
            self._admitted += 1
        return Ticket(self)

    def retry_after(self) -> int:
        """Seconds until a place is likely free: the line ahead over the answers running at once."""
        ahead = max(1, self._admitted - self.max_active + 1)
        return max(1, min(120, math.ceil(self._mean_s * ahead / self.max_active)))

    def _done(self, ran_s: float | None) -> None:
        with self._lock:
            self._admitted -= 1
            if ran_s is not None:
                self._mean_s = 0.7 * self._mean_s + 0.3 * ran_s


class Ticket:
    """One admitted answer: `wait()` for a running slot, then `leave()` exactly once (idempotent)."""

    def __init__(self, gate: AnswerGate) -> None:
        self._gate = gate
        self._started: float | None = None
        self._left = False

    def wait(self, cancelled: Callable[[], bool]) -> bool:
        """Block until this answer may run (True), or until `cancelled()` (False)."""
        while not self._gate._slots.acquire(timeout=WAIT_POLL_S):
            if cancelled():
                return False
        self._started = time.monotonic()
        return True

    def leave(self) -> None:
        if self._left:
            return
        self._left = True
        ran = None
        if self._started is not None:
            ran = time.monotonic() - self._started
            self._gate._slots.release()
        self._gate._done(ran)
