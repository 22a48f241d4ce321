"""Stop waiting for work whose client has gone: `until_disconnected(request, work)`.

An answer is generated for one client. When that client disconnects while it waits in line or before its
answer is complete (a plain `/api/ask`, or a stream before its first event), the work is cancelled, so
`ui.streaming` stops the answer's generator on its worker thread at the next event (closing it releases the
model, `rag.llms.SharedLlama`) and its place in line goes to the next client. Starlette only notices a
disconnect when asked (`Request.is_disconnected()`), so this asks every `POLL_S` while the work runs.

Not handled here: a stream already sending events (sse-starlette watches for the disconnect itself and
closes the generator, see `ui.api`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request

POLL_S = 0.1

T = TypeVar("T")


class ClientGone(Exception):
    """The client disconnected before its response was ready; the work was cancelled."""


async def until_disconnected(request: Request, work: Awaitable[T], poll_s: float = POLL_S) -> T:
    """The result of `work`, or `ClientGone` (after cancelling `work`) once the client has disconnected."""
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=poll_s)
            if done:
                return task.result()
            if await request.is_disconnected():
                raise ClientGone("The client closed the request.")
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})  # let the work's own clean-up run before answering
