"""The per-client rate limit (`ui.ratelimit`, NEWSRAG_RATE_LIMIT): token buckets per client IP, 429 with
Retry-After on /api/* and the chat's POSTs under /gradio_api/, pages not limited; the client address behind
a proxy only from NEWSRAG_TRUSTED_PROXIES (`newsrag serve`'s uvicorn on a real socket). A fake clock: no
sleeping on the limit itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from rag.answer import Assistant
from ui.ratelimit import PRUNE_EVERY, TokenBuckets
from ui.server import create_app
from ui.settings import Settings

from .conftest import make_assistant


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_then_the_average_rate():
    clock = Clock()
    buckets = TokenBuckets(3, 60.0, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(20.0)  # one token per 20 s
    assert buckets.take("b") == 0.0  # clients are independent
    clock.now += 10
    assert buckets.take("a") == pytest.approx(10.0)  # half a token so far; a refused request costs nothing
    clock.now += 10
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0


def test_idle_buckets_are_dropped():
    clock = Clock()
    buckets = TokenBuckets(2, 1.0, clock=clock)
    for i in range(PRUNE_EVERY - 1):
        buckets.take(f"client-{i}")
    clock.now += 5  # every bucket is full again
    buckets.take("late")
    assert len(buckets) <= 2


@pytest.mark.parametrize(
    ("value", "rate"),
    [("30/minute", (30, 60.0)), (" 5 / second ", (5, 1.0)), ("1000/hour", (1000, 3600.0)), ("OFF", None)],
)
def test_rate_setting_is_parsed(value, rate):
    assert Settings(rate_limit=value).rate() == rate


@pytest.mark.parametrize("value", ["30", "30/fortnight", "0/minute", "-1/second", "many"])
def test_a_bad_rate_setting_says_what_is_expected(value):
    with pytest.raises(ValidationError, match="COUNT/second"):
        Settings(rate_limit=value)


@pytest.fixture
def limited(fake_ingest, fake_embeddings, tmp_path):
    from .test_api import ARTICLES

    store = fake_ingest(ARTICLES)[1]
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=None, min_relevance=0.0, min_support=0.2)
    settings = Settings(home=tmp_path / "home", rate_limit="3/minute", widget_origins=["http://news.example"])
    return create_app(settings, bot, ui=False)


def test_past_its_rate_a_client_gets_429_with_retry_after(limited):
    client = TestClient(limited, client=("203.0.113.7", 5000))
    assert client.get("/api/articles/moscow").status_code == 200
    assert client.post("/api/ask", json={"question": "Wie bemiddelde in Moskou?"}).status_code == 200
    assert client.post("/api/feedback", json={"rating": "up", "question": "q", "answer": "a"}).status_code == 204
    for path, kwargs in [("/api/ask/stream", {"json": {"question": "q?"}}), ("/api/articles/moscow", {})]:
        response = client.request("POST" if "ask" in path else "GET", path, **kwargs)
        assert response.status_code == 429, path
        retry = int(response.headers["retry-after"])
        assert 1 <= retry <= 20
        assert response.json() == {
            "detail": f"Too many requests from your address; please try again in {retry} seconds.",
            "reason": "rate_limited",
            "retry_after": retry,
        }
    for path in ("/healthz", "/widget", "/widget.js"):  # pages and liveness are not limited
        assert client.get(path).status_code == 200, path
    other = TestClient(limited, client=("203.0.113.8", 5000))
    assert other.get("/api/articles/moscow").status_code == 200  # another address has its own bucket


def test_cors_preflights_are_not_counted(limited):
    client = TestClient(limited, client=("203.0.113.9", 5000))
    preflight = {"origin": "http://news.example", "access-control-request-method": "POST"}
    for _ in range(5):
        assert client.options("/api/ask", headers=preflight).status_code == 200
    origin = {"origin": "http://news.example"}
    assert [client.get("/api/articles/moscow", headers=origin).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = client.get("/api/articles/moscow", headers=origin)
    assert refused.headers["access-control-allow-origin"] == "http://news.example"
    assert "retry-after" in refused.headers["access-control-expose-headers"].lower()  # readable by the page


def test_off_means_no_limit(fake_ingest, fake_embeddings, tmp_path):
    from .test_api import ARTICLES

    bot = make_assistant(store=fake_ingest(ARTICLES)[1], embeddings=fake_embeddings, llm=None)
    client = TestClient(create_app(Settings(home=tmp_path / "home", rate_limit="off"), bot, ui=False))
    assert all(client.get("/api/articles/moscow").status_code == 200 for _ in range(50))


# --- the Gradio chat: the same buckets and the same body limit as the API


@pytest.fixture
def limited_chat(fake_ingest, fake_embeddings, tmp_path):
    from .test_api import ARTICLES

    bot = make_assistant(store=fake_ingest(ARTICLES)[1], embeddings=fake_embeddings, llm=None, min_relevance=0.0)
    settings = Settings(home=tmp_path / "home", rate_limit="3/minute", max_request_kb=4)
    return create_app(settings, bot, ui=True)


def join(client: TestClient, fn_index: int, data: list, event_data: dict | None = None):
    """What the chat page posts for an event (a question, a thumbs up): Gradio's queue/join."""
    body = {"data": data, "fn_index": fn_index, "session_hash": "s1", "trigger_id": None, "event_data": event_data}
    return client.post("/gradio_api/queue/join", json=body)


def chat_events(client: TestClient) -> dict[str, int]:
    return {d["api_name"]: d["id"] for d in client.get("/config").json()["dependencies"]}


def test_chat_questions_and_feedback_clicks_share_the_clients_rate_limit(limited_chat):
    with TestClient(limited_chat, client=("203.0.113.20", 5000)) as client:
        fns = chat_events(client)
        like = {"index": 1, "value": "an answer", "liked": True}
        assert join(client, fns["respond"], ["Wie bemiddelde in Moskou?", None, None]).status_code == 200
        assert join(client, fns["on_like"], [None], like).status_code == 200
        assert client.post("/api/feedback", json={"rating": "up", "question": "q", "answer": "a"}).status_code == 204
        refused = [
            join(client, fns["respond"], ["Wie bemiddelde in Moskou?", None, None]),
            join(client, fns["on_like"], [None], like),
            client.post("/gradio_api/run/respond", json={"data": ["q?", None, None]}),
            client.post("/gradio_api/upload", files={"files": ("a.txt", b"hello")}),
        ]
        for response in refused:
            assert response.status_code == 429, response.request.url
            assert response.json()["reason"] == "rate_limited" and int(response.headers["retry-after"]) >= 1
        for path in ("/", "/config", "/gradio_api/info"):  # the page itself still loads
            assert client.get(path).status_code == 200, path


def test_chat_requests_have_the_body_limit(limited_chat):
    with TestClient(limited_chat, client=("203.0.113.21", 5000)) as client:
        fns = chat_events(client)
        big = join(client, fns["respond"], ["x" * 5000, None, None])
        assert big.status_code == 413 and "larger than 4 KB" in big.json()["detail"]
        upload = client.post("/gradio_api/upload", files={"files": ("a.txt", b"x" * 5000)})
        assert upload.status_code == 413


# --- the client address behind a proxy: `newsrag serve`'s own uvicorn settings, on a real socket


@contextmanager
def served(monkeypatch, bot: Assistant, settings: Settings) -> Iterator[str]:
    """`ui.server.serve` (uvicorn, as `newsrag serve` runs it) on a free port in a thread, with `bot`."""
    import uvicorn

    from ui.server import serve

    from .conftest import free_port

    servers: list[uvicorn.Server] = []

    def run(app, **kwargs) -> None:  # uvicorn.run with the same arguments, keeping a handle to stop it
        server = uvicorn.Server(uvicorn.Config(app, **kwargs))
        servers.append(server)
        server.run()

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setattr("ui.wiring.assistant", lambda settings: bot)
    port = free_port()
    thread = threading.Thread(target=serve, args=(settings, "127.0.0.1", port), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not (servers and servers[0].started):
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield url
    finally:
        if servers:
            servers[0].should_exit = True
        thread.join(30)


def test_forwarded_for_is_believed_only_from_the_trusted_proxies(monkeypatch, fake_ingest, fake_embeddings, tmp_path):
    from .test_api import ARTICLES

    bot = make_assistant(store=fake_ingest(ARTICLES)[1], embeddings=fake_embeddings, llm=None)
    settings = Settings(home=tmp_path / "home", rate_limit="3/minute")  # trusting no proxy by default

    def statuses(url: str, forwarded_for: list[str]) -> list[int]:
        with httpx.Client(base_url=url, timeout=30) as client:
            return [
                client.get("/api/articles/moscow", headers={"x-forwarded-for": ip}).status_code for ip in forwarded_for
            ]

    spoofed = [f"198.51.100.{i}" for i in range(40)]
    with served(monkeypatch, bot, settings) as url:
        assert statuses(url, spoofed) == [200] * 3 + [429] * 37  # one client, whatever it claims

    behind_proxy = Settings(home=tmp_path / "home", rate_limit="3/minute", trusted_proxies="127.0.0.1")
    assert behind_proxy.trusted_proxies == ["127.0.0.1"]
    with served(monkeypatch, bot, behind_proxy) as url:
        assert statuses(url, spoofed) == [200] * 40  # the proxy's clients each have their bucket
        assert statuses(url, ["192.0.2.1"] * 4) == [200, 200, 200, 429]
