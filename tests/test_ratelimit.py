"""The per-client rate limit (`ui.ratelimit`, NEWSRAG_RATE_LIMIT): token buckets per client IP, 429 with
Retry-After on /api/*, nothing else limited. A fake clock: no sleeping."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from index.settings import Settings
from rag.answer import Assistant
from ui.ratelimit import PRUNE_EVERY, TokenBuckets
from ui.server import create_app


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
    bot = Assistant(store=store, embeddings=fake_embeddings, llm=None, min_relevance=0.0, min_support=0.2)
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

    bot = Assistant(store=fake_ingest(ARTICLES)[1], embeddings=fake_embeddings, llm=None)
    client = TestClient(create_app(Settings(home=tmp_path / "home", rate_limit="off"), bot, ui=False))
    assert all(client.get("/api/articles/moscow").status_code == 200 for _ in range(50))
