"""A per-client rate limit: one token bucket per client IP, in process, answering 429 with Retry-After when
a client's bucket is empty. It covers every request that may run the model or write to disk (the API and
the Gradio chat's event routes, `ui.middleware.guarded`), all from the one bucket per client.

The bucket holds up to `count` tokens and refills at `count / period_s` per second, so a client may burst
`count` requests and then keeps the average rate. The client is the connection's address (`scope["client"]`);
uvicorn replaces it with the `X-Forwarded-For` address only for connections from the trusted proxies
(NEWSRAG_TRUSTED_PROXIES, none by default; see `ui.server.serve`), so a client cannot choose its own key.
Idle buckets (full again) are dropped, so memory stays bounded by the clients of the last period.

Not handled here: limits shared between worker processes (each process keeps its own buckets).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from ui.middleware import Guarded, guarded, send_json

PRUNE_EVERY = 1000  # requests between sweeps of idle buckets


class TokenBuckets:
    """`take(key)`: 0.0 if the request may go, else the seconds until the key's next token."""

    def __init__(self, count: int, period_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if count < 1 or period_s <= 0:
            raise ValueError(f"Expected count >= 1 and period_s > 0, got {count}, {period_s}")
        self.capacity, self.per_s, self.clock = float(count), count / period_s, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()
        self._calls = 0

    def take(self, key: str) -> float:
        now = self.clock()
        with self._lock:
            self._calls += 1
            if self._calls % PRUNE_EVERY == 0:
                self._prune(now)
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.per_s)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.per_s

    def _prune(self, now: float) -> None:
        full_after = self.capacity / self.per_s
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}

    def __len__(self) -> int:
        return len(self._buckets)


class RateLimit(Guarded):
    """ASGI middleware: requests `applies(scope)` selects beyond a client's bucket get 429 with Retry-After."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets, applies: Callable[[Scope], bool] = guarded) -> None:
        super().__init__(app, applies)
        self.buckets = buckets

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "unknown")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        content = {
            "detail": f"Too many requests from your address; please try again in {retry_after} seconds.",
            "reason": "rate_limited",
            "retry_after": retry_after,
        }
        await send_json(scope, send, 429, content, [(b"retry-after", str(retry_after).encode())])
