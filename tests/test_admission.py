"""The bounded line for the model (`ui.gate`): one answer runs, `max_pending` wait, the rest get 429 "busy"
with Retry-After at once, from the API (JSON and SSE) and as a friendly message in the chat.

A slow fake Assistant blocks until the test releases it, so the line fills deterministically; every wait is
bounded (no test depends on how fast the machine is).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from rag.records import Answer
from ui.gate import AnswerGate, Busy
from ui.server import create_app
from ui.settings import Settings
from ui.streaming import stream_answer

WAIT_S = 30  # upper bound for anything to happen; normally milliseconds


class SlowBot:
    """An Assistant stand-in: each answer blocks until `release` is set; counts the answers running."""

    max_question_chars = 1000

    def validate(self, question: str) -> str:  # the API checks the size with it before admitting
        return question.strip()

    def __init__(self) -> None:
        self.release = threading.Event()
        self.running = 0
        self.most_at_once = 0
        self.closed = 0
        self._lock = threading.Lock()

    def stream(self, question: str, history=(), filters=None) -> Iterator[str | Answer]:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            yield "Lavrov "
            if not self.release.wait(WAIT_S):
                raise TimeoutError("the test never released the answer")
            yield "bemiddelde [1]."
            yield Answer(question=question, answer="Lavrov bemiddelde [1].", refused=False, language="nl")
        finally:
            with self._lock:
                self.running -= 1
                self.closed += 1


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


async def async_wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def test_gate_admits_one_running_plus_max_pending_then_refuses():
    gate = AnswerGate(max_pending=2)
    tickets = [gate.enter() for _ in range(3)]
    with pytest.raises(Busy) as busy:
        gate.enter()
    assert busy.value.retry_after >= 1 and busy.value.waiting == 2 and "busy" in str(busy.value)
    assert tickets[0].wait(cancelled=lambda: False)
    assert not tickets[1].wait(cancelled=lambda: True)  # the only slot is taken: gives up when cancelled
    tickets[1].leave()
    tickets[1].leave()  # idempotent
    assert gate.admitted == 2
    gate.enter()  # a place is free again
    tickets[0].leave()
    assert tickets[2].wait(cancelled=lambda: False)  # the slot passed on


@pytest.fixture
def slow_app(tmp_path):
    bot = SlowBot()
    app = create_app(Settings(home=tmp_path / "home", max_pending=2, rate_limit="off"), bot, ui=False)  # type: ignore[arg-type]
    yield app, bot
    bot.release.set()  # never leave a worker thread blocked


def test_past_the_bound_the_api_answers_429_busy_at_once_and_the_admitted_complete(slow_app):
    app, bot = slow_app
    gate = app.state.runtime.gate
    body = {"question": "Wie bemiddelde in Moskou?"}

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=WAIT_S) as client:
            admitted = [
                asyncio.create_task(client.post("/api/ask", json=body)),
                asyncio.create_task(client.post("/api/ask/stream", json=body)),
                asyncio.create_task(client.post("/api/ask", json=body)),
            ]
            await async_wait_until(lambda: gate.admitted == 3 and bot.running == 1, "one running, two waiting")
            for path in ("/api/ask", "/api/ask/stream"):
                refused = await asyncio.wait_for(client.post(path, json=body), WAIT_S)
                assert refused.status_code == 429, refused.text
                assert int(refused.headers["retry-after"]) >= 1
                assert refused.headers["content-type"].startswith("application/json")
                problem = refused.json()
                assert problem["reason"] == "busy" and problem["retry_after"] == int(refused.headers["retry-after"])
                assert "busy" in problem["detail"] and "try again" in problem["detail"]
            assert bot.running == 1  # the refused ones never reached the model
            bot.release.set()
            done = await asyncio.wait_for(asyncio.gather(*admitted), WAIT_S)
            assert [r.status_code for r in done] == [200, 200, 200]
            assert done[0].json()["answer"] == "Lavrov bemiddelde [1]."
            assert done[1].text.count("event: answer") == 1
            await async_wait_until(lambda: gate.admitted == 0, "the line to empty")
            again = await asyncio.wait_for(client.post("/api/ask", json=body), WAIT_S)
            assert again.status_code == 200

    asyncio.run(asyncio.wait_for(scenario(), 2 * WAIT_S))
    assert bot.most_at_once == 1  # one answer at a time, however many were admitted


def test_a_waiting_client_that_leaves_gives_its_place_back():
    bot = SlowBot()
    gate = AnswerGate(max_pending=1)

    async def scenario() -> None:
        first = stream_answer(bot, "q", gate=gate)  # type: ignore[arg-type]
        assert await anext(first) == "Lavrov "  # running, holding the slot
        second = stream_answer(bot, "q", gate=gate)  # type: ignore[arg-type]
        waiting = asyncio.create_task(anext(second))
        await async_wait_until(lambda: gate.admitted == 2, "the second to be admitted")
        with pytest.raises(Busy):
            await anext(stream_answer(bot, "q", gate=gate))  # type: ignore[arg-type]
        waiting.cancel()  # the client of the second went away while it waited
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await second.aclose()
        await async_wait_until(lambda: gate.admitted == 1, "the second's place to be freed")
        bot.release.set()
        await first.aclose()  # the running one's client leaves too: its worker closes the answer
        await async_wait_until(lambda: gate.admitted == 0, "the slot to be freed")

    try:
        asyncio.run(asyncio.wait_for(scenario(), 2 * WAIT_S))
    finally:
        bot.release.set()
    wait_until(lambda: bot.closed == 1, "the running answer to be closed")
    assert bot.most_at_once == 1


def test_the_chat_says_busy_in_words_when_the_line_is_full(tmp_path):
    from ui.chat import build_chat
    from ui.feedback import FeedbackLog
    from ui.runtime import Runtime

    gate = AnswerGate(max_pending=0)
    runtime = Runtime.with_assistant(SlowBot(), FeedbackLog(tmp_path / "f.jsonl"), gate)  # type: ignore[arg-type]
    respond = next(f.fn for f in build_chat(runtime).fns.values() if getattr(f.fn, "__name__", "") == "respond")
    ticket = gate.enter()  # someone else's answer is running

    async def ask() -> list:
        updates = [u async for u in respond("Wie bemiddelde in Moskou?", [], {})]
        return updates[-1][1]

    try:
        messages = asyncio.run(asyncio.wait_for(ask(), WAIT_S))
    finally:
        ticket.leave()
    assert messages[-1]["role"] == "assistant"
    assert "ask again in about" in messages[-1]["content"] and "nr-busy" in messages[-1]["content"]
