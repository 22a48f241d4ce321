"""Request bodies the API must turn away cleanly or answer quickly: oversized history turns, lone surrogates,
JSON without a JSON content type, and the worst-case body of the maximum size (over an Assistant built
from the fakes: scripted chat model, fake embedder, real Chroma in tmp_path)."""

from __future__ import annotations

import json
import threading
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from packaging.requirements import Requirement

from ui.schemas import MAX_TURN_CHARS
from ui.server import create_app
from ui.settings import Settings

from .conftest import MOSCOW, QUESTION, make_assistant

ARTICLES = [MOSCOW]
REPLY = "Lavrov bemiddelde bij de besprekingen in Moskou [1]."
BODY_KB = 64  # the default NEWSRAG_MAX_REQUEST_KB
HANG = 10.0  # seconds: only a hang fails (no timed assertions); the bodies below take milliseconds


@pytest.fixture
def client(fake_ingest, fake_embeddings, tmp_path) -> TestClient:
    store = fake_ingest(ARTICLES)[1]
    llm = GenericFakeChatModel(messages=iter([REPLY] * 20))
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=llm, k=1, min_relevance=0.0, min_support=0.2)
    return TestClient(create_app(Settings(home=tmp_path / "home", max_request_kb=BODY_KB), bot, ui=False))


def finishes(work, seconds: float = HANG):
    """work()'s result; fails the test if it has not returned within `seconds` (a hang, not a slow run)."""
    out: dict = {}
    thread = threading.Thread(target=lambda: out.setdefault("result", work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    return out["result"]


def test_a_history_turn_over_the_limit_is_422(client):
    turn = {"role": "user", "content": "x" * (MAX_TURN_CHARS + 1)}
    response = client.post("/api/ask", json={"question": QUESTION, "history": [turn]})
    assert response.status_code == 422 and "history.0.content" in response.json()["detail"]
    turn["content"] = "x" * MAX_TURN_CHARS
    assert client.post("/api/ask", json={"question": QUESTION, "history": [turn]}).status_code == 200


def encoded(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def worst_case_bodies():
    """The largest bodies the limits admit (question, turns and body at their maximum), made of what made a
    pattern rescan a run again and again: spaces, dots, "# # #", marker prefixes, markers."""
    for unit in (" ", ".", "…", " #", "[1,", "[1] ", "\t[", "Aa. "):
        turn = (unit * MAX_TURN_CHARS)[: MAX_TURN_CHARS - 1] + "x"
        question = "a" + (unit * 1000)[:998] + "a"
        room = BODY_KB * 1024 - len(encoded({"question": question, "history": []}))
        n = room // (len(encoded({"role": "assistant", "content": turn})) + 2)
        history = [{"role": ("user", "assistant")[i % 2], "content": turn} for i in range(n)]
        yield pytest.param({"question": question, "history": history}, id=repr(unit))


@pytest.mark.parametrize("body", list(worst_case_bodies()))
def test_worst_case_body_of_the_maximum_size_is_answered(client, body):
    # The body (a turn of 60,000 spaces) took 7.3 s of CPU. Now every pattern that sees the text is
    # linear and a turn is at most MAX_TURN_CHARS; this guards against a hang only (no timing assertions).
    content = encoded(body)
    assert BODY_KB * 1024 - 4096 < len(content) <= BODY_KB * 1024
    headers = {"content-type": "application/json"}
    response = finishes(lambda: client.post("/api/ask", content=content, headers=headers))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"question": "wie\ud800?"}, "question: "),
        ({"question": QUESTION, "history": [{"role": "user", "content": "a\udfffb"}]}, "history.0.content: "),
        ({"question": QUESTION, "filters": {"sources": ["NOS\ud83d"]}}, "filters.sources: "),
    ],
)
@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_a_lone_surrogate_is_a_clear_422(client, path, body, where):
    # json.dumps writes "\ud800" as an escape: valid JSON, but not text UTF-8 can encode
    response = client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert where in detail and "lone surrogate" in detail, detail


def test_a_lone_surrogate_in_feedback_is_a_clear_422(client):
    body = {"rating": "up", "question": "q\ud800", "answer": "a"}
    response = client.post("/api/feedback", content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code == 422 and "lone surrogate" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [("/api/ask", {"question": QUESTION}), ("/api/ask/stream", {"question": QUESTION}),
     ("/api/feedback", {"rating": "up", "question": "q", "answer": "a"})],
)  # fmt: skip
@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_json_without_a_json_content_type_is_refused(client, path, body, content_type):
    # A web page may send text/plain (or a Blob: no content type) cross-origin without a CORS preflight;
    # the API must not read such a body as JSON (FastAPI >= 0.132 checks it).
    headers = {"content-type": content_type} if content_type else {}
    response = client.post(path, content=json.dumps(body).encode(), headers=headers)
    assert response.status_code in (415, 422), response.text


def test_the_fastapi_floor_checks_the_content_type():
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    (fastapi,) = [r for r in map(Requirement, pyproject["project"]["dependencies"]) if r.name == "fastapi"]
    assert not fastapi.specifier.contains("0.131.99"), f"{fastapi} admits a FastAPI that reads any body as JSON"
