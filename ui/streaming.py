"""Run the blocking `Assistant.stream()` generator on one worker thread and consume it asynchronously.

The whole generator lives on a single thread (llama.cpp and its lock never see another thread), while the
event loop keeps serving other requests. When the consumer stops early (client gone, task cancelled), the
worker closes the generator at the next event, so the model's lock is released.

With a `gate` (`ui.gate.AnswerGate`), the answer is admitted before anything starts (`Busy` is raised at the
first `anext`, before any event) and waits for its turn on the worker thread, giving up if the consumer
leaves first.

The final `Answer` reports the filter its search applied (`Answer.filters`): the one given here, unless the
Assistant set its own (dates read from the question).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Sequence

from rag.answer import Assistant, Turn
from rag.records import Answer
from rag.retrieval import Filters
from ui.filters import applied
from ui.gate import AnswerGate

_DONE = object()


async def stream_answer(
    bot: Assistant,
    question: str,
    history: Sequence[Turn] = (),
    filters: Filters | None = None,
    gate: AnswerGate | None = None,
) -> AsyncGenerator[str | Answer, None]:
    """Yield the Assistant's events (str deltas, then one `Answer`); its exceptions are re-raised here.
    With a `gate`: raises `ui.gate.Busy` when the line is full."""
    ticket = gate.enter() if gate is not None else None
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    stop = threading.Event()

    def put(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed (server shutting down): nobody is listening
            stop.set()

    def work() -> None:
        try:
            if ticket is not None and not ticket.wait(cancelled=stop.is_set):
                return  # the client left while waiting for its turn
            events = bot.stream(question, history, filters)
            try:
                for event in events:
                    if stop.is_set():
                        break
                    put(event)
            except BaseException as e:
                put(e)
            finally:
                events.close()  # on this thread: releases the model lock if we stopped early
        finally:
            if ticket is not None:
                ticket.leave()
            put(_DONE)

    worker = threading.Thread(target=work, name="newsrag-answer", daemon=True)
    try:
        worker.start()
    except BaseException:
        if ticket is not None:
            ticket.leave()
        raise
    try:
        while (item := await queue.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, Answer) and item.filters is None:
                item.filters = applied(filters)
            yield item  # type: ignore[misc]
    finally:
        stop.set()
