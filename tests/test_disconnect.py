"""A client that disconnects gives up its answer (`ui.disconnect`): from `/api/ask`, from `/api/ask/stream`
before its first event, or while it waits in line; the model stops generating and its lock is released.

The real app and Assistant (fake embedder, real Chroma in tmp_path) with a slow fake chat model that holds
a lock while it streams, as `rag.llms.SharedLlama` does, and blocks until the test releases it. The app is
driven through ASGI directly, so the test decides when the client disconnects. Every wait is bounded;
nothing depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from ui.server import create_app
from ui.settings import Settings

from .conftest import QUESTION, make_assistant
from .test_api import ARTICLES

WAIT_S = 30  # upper bound for anything to happen; normally milliseconds
WORDS = 200  # what the model would write if nobody stopped it


class Probe:
    """What the fake model did: started, how many chunks it gave, whether it finished or was closed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # held while generating, like SharedLlama's
        self.started = threading.Event()
        self.release = threading.Event()
        self.closed = threading.Event()
        self.chunks = 0
        self.finished = False


class SlowChatModel(BaseChatModel):
    """Streams "Lavrov bemiddelde ..." word by word, but only once `probe.release` is set (a long prompt
    evaluation, or a backend that is slow to answer)."""

    probe: Any

    @property
    def _llm_type(self) -> str:
        return "slow-fake"

    def _stream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        probe: Probe = self.probe
        with probe.lock:
            try:
                probe.started.set()
                if not probe.release.wait(WAIT_S):
                    raise TimeoutError("the test never released the model")
                for word in ["Lavrov", *["bemiddelde"] * (WORDS - 1)]:
                    probe.chunks += 1
                    yield ChatGenerationChunk(message=AIMessageChunk(content=word + " "))
                probe.finished = True
            finally:
                probe.closed.set()

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))


@pytest.fixture
def app_and_probes(fake_ingest, fake_embeddings, tmp_path):
    store = fake_ingest(ARTICLES)[1]
    probes: list[Probe] = []

    def build(probe: Probe):
        bot = make_assistant(
            store=store,
            embeddings=fake_embeddings,
            llm=SlowChatModel(probe=probe),
            min_relevance=0.0,
            min_support=0.2,
            k=2,
        )
        return create_app(Settings(home=tmp_path / "home", rate_limit="off", max_pending=2), bot, ui=False)

    yield build, probes
    for probe in probes:
        probe.release.set()  # never leave a worker thread blocked


async def call(app, path: str, body: dict, gone: asyncio.Event) -> list[dict]:
    """One POST straight through the ASGI app; the client disconnects when `gone` is set."""
    payload = json.dumps(body).encode()
    delivered = False
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    return sent


async def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_a_client_that_leaves_before_its_answer_stops_the_model(app_and_probes, path):
    build, probes = app_and_probes
    probe = Probe()
    probes.append(probe)
    app = build(probe)
    gate = app.state.runtime.gate

    async def scenario() -> list[dict]:
        gone = asyncio.Event()
        request = asyncio.create_task(call(app, path, {"question": QUESTION}, gone))
        await wait_for(probe.started.is_set, "the model to start")  # before its first token: no event yet
        gone.set()  # the client disconnects
        sent = await asyncio.wait_for(request, WAIT_S)  # the server gives up on it, not waiting for the model
        probe.release.set()  # the model's next token is where the worker notices
        await wait_for(probe.closed.is_set, "the model's stream to be closed")
        await wait_for(lambda: gate.admitted == 0, "the answer's place to be freed")
        return sent

    sent = asyncio.run(asyncio.wait_for(scenario(), 2 * WAIT_S))
    assert sent[0]["status"] == 499  # nginx's "client closed request", for the access log
    assert not probe.finished and probe.chunks < WORDS  # it stopped generating
    assert not probe.lock.locked()  # and the model is free for the next client


def test_a_client_that_leaves_while_waiting_in_line_gives_its_place_back(app_and_probes):
    build, probes = app_and_probes
    probe = Probe()
    probes.append(probe)
    app = build(probe)
    gate = app.state.runtime.gate

    async def scenario() -> None:
        stays, leaves = asyncio.Event(), asyncio.Event()
        running = asyncio.create_task(call(app, "/api/ask", {"question": QUESTION}, stays))
        await wait_for(probe.started.is_set, "the first answer to start")
        waiting = asyncio.create_task(call(app, "/api/ask", {"question": QUESTION}, leaves))
        await wait_for(lambda: gate.admitted == 2, "the second to wait in line")
        leaves.set()
        sent = await asyncio.wait_for(waiting, WAIT_S)
        assert sent[0]["status"] == 499
        await wait_for(lambda: gate.admitted == 1, "the second's place to be freed")
        probe.release.set()  # the first client stayed: it gets its whole answer
        done = await asyncio.wait_for(running, WAIT_S)
        assert done[0]["status"] == 200
        assert "Lavrov" in json.loads(b"".join(m.get("body", b"") for m in done[1:]))["answer"]

    asyncio.run(asyncio.wait_for(scenario(), 2 * WAIT_S))
    assert probe.finished
