"""The HTTP API, the widget routes and the server's policies, over an Assistant built from the fakes
(scripted chat model, fake embedder, real Chroma in tmp_path); and, under `slow`, `newsrag serve` for real."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from rag.records import Answer
from rag.retrieval import retrieve
from ui.schemas import AnswerOut
from ui.server import create_app
from ui.settings import Settings

from .conftest import CHEESE, MOSCOW, QUESTION, SEED_ID, make_assistant

# the distractor with markup in its title and text: shown as text, never rendered
ARTICLES = [
    MOSCOW,
    replace(
        CHEESE,
        title="Kaasmarkt <b>Alkmaar</b>",
        text="De kaasmarkt in Alkmaar trok veel toeristen. <script>alert(1)</script> Kaasdragers droegen de kaas.",
    ),
]
HOST = "http://127.0.0.1:8123"


@pytest.fixture
def store(fake_ingest):
    return fake_ingest(ARTICLES)[1]


@pytest.fixture
def make_client(store, fake_embeddings, tmp_path):
    """A TestClient over create_app with an injected Assistant; `replies` script the chat model."""

    def _make(*replies: str, ui: bool = False, **kw) -> TestClient:
        llm = GenericFakeChatModel(messages=iter(replies)) if replies else None
        kw = {"min_relevance": 0.0, "min_support": 0.2, "k": 2, **kw}
        bot = make_assistant(store=store, embeddings=fake_embeddings, llm=llm, **kw)
        settings = Settings(home=tmp_path / "home", widget_origins=[HOST], max_request_kb=4)
        return TestClient(create_app(settings, bot, ui=ui))

    return _make


def cited_reply(store) -> str:
    n = 1 + [h.article_id for h in retrieve(store, QUESTION, k=2).hits].index("moscow")
    return f"Lavrov bemiddelde bij de besprekingen in Moskou [{n}]."


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        name = next((line[6:].strip() for line in lines if line.startswith("event:")), "message")
        data = "\n".join(line[5:].lstrip() for line in lines if line.startswith("data:"))
        if data:
            events.append((name, json.loads(data)))
    return events


def test_ask_returns_the_json_of_ask_json(make_client, store):
    client = make_client(cited_reply(store))
    response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == set(Answer(question="", answer="", refused=False, language="nl").as_dict())
    assert set(body) == set(AnswerOut.model_fields)
    assert body["answer"] == "Lavrov bemiddelde bij de besprekingen in Moskou [1]."
    (citation,) = body["citations"]
    assert citation["article_id"] == "moscow" and citation["n"] == 1
    assert ARTICLES[0].text[citation["start"] : citation["end"]] == citation["quote"]


def test_stream_sends_deltas_then_one_final_answer(make_client, store):
    client = make_client(cited_reply(store))
    with client.stream("POST", "/api/ask/stream", json={"question": QUESTION}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.read().decode())
    names = [name for name, _ in events]
    assert names.count("answer") == 1 and names[-1] == "answer"
    assert names.count("delta") >= 3  # the scripted model streams word by word
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    final = events[-1][1]
    assert streamed.strip() == final["answer"]
    assert final["citations"][0]["article_id"] == "moscow" and "Lavrov" in final["citations"][0]["quote"]


def test_history_and_filters_are_passed_on(make_client, store):
    client = make_client()  # extractive: no model
    body = {
        "question": "Hoe lang duurden de besprekingen?",
        "history": [
            {"role": "user", "content": "Wie bemiddelde in Moskou?"},
            {"role": "assistant", "content": "Lavrov [1]."},
        ],
        "filters": {"date_from": "2020", "sources": ["NOS"]},
    }
    answer = client.post("/api/ask", json=body).json()
    assert {c["article_id"] for c in answer["citations"]} == {"moscow"}
    only_ad = client.post("/api/ask", json={**body, "history": [], "filters": {"sources": ["AD"]}}).json()
    assert {c["article_id"] for c in only_ad["citations"]} <= {"cheese"}


def test_refusal_comes_with_the_closest_articles(make_client):
    answer = make_client(min_relevance=1.5).post("/api/ask", json={"question": "Who won Eurovision?"}).json()
    assert answer["refused"] is True and answer["citations"] == []
    assert answer["closest"] and {"article_id", "title", "date"} <= set(answer["closest"][0])
    coverage = answer["coverage"]  # and with what was searched
    assert coverage["articles"] >= 1 and coverage["first_date"] and coverage["outlets"][0]["name"]


def test_a_refusal_shows_what_was_searched():
    from ui import render

    refused = {
        "answer": "Het antwoord staat niet in de artikelen.", "refused": True, "closest": [], "filters": None,
        "coverage": {"articles": 1399, "first_date": "2019-02-26", "last_date": "2019-04-12",
                     "outlets": [{"name": "AD", "articles": 812}, {"name": "<i>Trouw</i>", "articles": 310}]},
    }  # fmt: skip
    html = render.answer_html(refused)
    assert "Searched 1,399 articles dated 2019-02-26 to 2019-04-12 (AD 812, &lt;i&gt;Trouw&lt;/i&gt; 310)" in html


@pytest.mark.parametrize(
    ("language", "label"),
    [("nl", "Dichtstbijzijnde artikelen:"), ("en", "Closest articles:"), ("de", "Closest articles:")],
)
def test_a_refusal_lists_the_closest_articles_under_a_label_in_its_language(language, label):
    from rag import refusal
    from ui import render

    refused = {
        "answer": refusal.message(language), "refused": True, "language": language, "filters": None,
        "closest": [{"article_id": "kaas", "title": "Kaasmarkt Alkmaar", "date": "2019-05-01", "source": "AD"}],
    }  # fmt: skip
    html = render.answer_html(refused)
    assert f'<p class="nr-closest-label">{label}</p><ul class="nr-closest"><li>' in html and "Kaasmarkt Alkmaar" in html
    del refused["language"]  # no language given: English
    assert '<p class="nr-closest-label">Closest articles:</p>' in render.answer_html(refused)


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": "   "}, "The question is empty"),
        ({}, "question: Field required"),
        ({"question": 3}, "question: Input should be a valid string"),
        ({"question": "q?", "history": [{"role": "system", "content": "x"}]}, "history.0.role"),
        ({"question": "q?", "filters": {"date_from": "last week"}}, "filters.date_from"),
        ({"question": "q?", "extra": 1}, "extra: Extra inputs are not permitted"),
    ],
)
def test_bad_requests_get_422_with_a_message(make_client, path, body, message):
    response = make_client().post(path, json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_malformed_json_is_422(make_client):
    response = make_client().post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and "JSON" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_oversized_question_is_413(make_client, path):
    response = make_client(max_question_chars=100).post(path, json={"question": "x" * 101})
    assert response.status_code == 413
    assert response.json()["detail"] == "The question is 101 characters long; the limit is 100."


def test_oversized_body_is_413_announced_or_chunked(make_client):
    client = make_client()
    big = json.dumps({"question": "q?", "history": [{"role": "user", "content": "x" * 5000}]}).encode()
    response = client.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "larger than 4 KB" in response.json()["detail"]

    def chunks():
        yield big[:3000]
        yield big[3000:]

    response = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_articles_endpoint_serves_text_and_metadata(make_client):
    client = make_client()
    article = client.get("/api/articles/cheese").json()
    assert article == {k: getattr(ARTICLES[1], k) for k in ("id", "title", "date", "url", "source", "lang", "text")}
    missing = client.get("/api/articles/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]


TRAVERSALS = [
    "../../etc/passwd",  # sent as is (clients normalize dot segments; an attacker's raw request does not)
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%2E%2E/%2E%2E/etc/passwd",
    "/etc/passwd",  # absolute: //etc/passwd after the prefix
    "%2Fetc%2Fpasswd",
    "x%2F..%2Fmoscow",  # would reach a real article if ids were paths
    "..%5C..%5Cwindows%5Cwin.ini",
    "%252e%252e%252fetc%252fpasswd",  # double-encoded
    "moscow%00.txt",
]


def raw_get(app, raw_path: str) -> tuple[int, bytes]:
    """GET with the path exactly as given (no client-side normalization), straight through the ASGI app."""
    import asyncio
    from urllib.parse import unquote

    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    path = f"/api/articles/{raw_path}"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


@pytest.mark.parametrize("raw_path", TRAVERSALS)
def test_path_traversal_article_ids_are_404(make_client, raw_path):
    status, body = raw_get(make_client().app, raw_path)
    assert status == 404, body
    assert b"No article with id" in body  # looked up as an id (SQL parameter), never as a file path
    assert b"root:" not in body and b"Lavrov" not in body and b"[fonts]" not in body


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream", "/api/feedback"])
@pytest.mark.parametrize("content", [b"{not json", b'{"question": "q?"', b"\xff\xfe", b""])
def test_malformed_json_is_422_everywhere(make_client, path, content):
    response = make_client().post(path, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


def test_feedback_is_appended_to_a_jsonl_file_in_the_data_directory(make_client, tmp_path):
    client = make_client()
    for rating in ("up", "down"):
        body = {"rating": rating, "question": "q?", "answer": "a [1].", "article_ids": ["moscow"]}
        assert client.post("/api/feedback", json=body).status_code == 204
    assert client.post("/api/feedback", json={"rating": "meh", "question": "q", "answer": "a"}).status_code == 422
    lines = (tmp_path / "home" / "feedback.jsonl").read_text().splitlines()
    assert [json.loads(line)["rating"] for line in lines] == ["up", "down"]
    assert json.loads(lines[0])["article_ids"] == ["moscow"] and json.loads(lines[0])["time"]


def test_healthz_and_openapi_docs(make_client):
    client = make_client()
    assert client.get("/healthz").json() == {"status": "ok", "articles": 2}
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/ask/stream", "/api/articles/{article_id}", "/api/feedback"} <= set(paths)


def test_only_allowed_origins_may_frame_the_widget_or_call_the_api(make_client):
    client = make_client()
    widget = client.get("/widget")
    assert widget.status_code == 200 and "text/html" in widget.headers["content-type"]
    assert widget.headers["content-security-policy"] == f"frame-ancestors 'self' {HOST}"
    assert client.get("/healthz").headers["content-security-policy"] == "frame-ancestors 'self'"
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = client.options("/api/ask", headers={"origin": HOST, **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == HOST
    other = client.options("/api/ask", headers={"origin": "http://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers


def test_widget_loader_and_demo_page(make_client):
    client = make_client()
    loader = client.get("/widget.js")
    assert loader.status_code == 200 and "javascript" in loader.headers["content-type"]
    assert "attachShadow" in loader.text
    demo = client.get("/widget/demo", headers={"host": "news.example:8000"}).text
    assert '<script src="http://news.example:8000/widget.js" data-title="Ask our archive" async></script>' in demo
    assert client.get("/widget/assets/widget-app.js").status_code == 200


def test_no_assistant_is_built_until_startup(tmp_path):
    app = create_app(Settings(home=tmp_path / "home"), ui=False)
    assert app.state.runtime._bot is None  # models load in the lifespan, not in create_app or at import


def test_stream_answer_closes_the_generator_when_the_consumer_stops():
    import asyncio

    from ui.streaming import stream_answer

    closed = threading.Event()

    class Endless:
        def stream(self, question, history, filters):
            try:
                while True:
                    yield "word "
                    time.sleep(0.01)
            finally:
                closed.set()

    async def take_two() -> list:
        events = stream_answer(Endless(), "q")  # type: ignore[arg-type]
        got = [await anext(events), await anext(events)]
        await events.aclose()
        return got

    assert asyncio.run(take_two()) == ["word ", "word "]
    assert closed.wait(5), "the worker thread did not close the Assistant's generator"


def test_chat_ui_is_mounted_at_the_root(make_client):
    client = make_client(ui=True)
    page = client.get("/")
    assert page.status_code == 200 and "gradio" in page.text.lower()
    for path in ("/api/articles/moscow", "/docs", "/widget", "/widget.js", "/healthz"):
        assert client.get(path).status_code == 200, path  # routes still win over the mount at /


# --- slow: the real `newsrag serve`, real models


@pytest.fixture(scope="module")
def served_home(tmp_path_factory):
    from .servers import ingested_home

    return ingested_home(tmp_path_factory.mktemp("serve"))


@pytest.mark.slow
def test_served_api_answers_the_acceptance_question_with_the_local_model(served_home):
    from .servers import newsrag_server

    with newsrag_server(served_home, llm="local") as url:
        started = time.monotonic()
        response = httpx.post(f"{url}/api/ask", json={"question": "who mediated in Moscow?"}, timeout=600)
        elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    answer = response.json()
    assert not answer["refused"] and "Lavrov" in answer["answer"] and "[1]" in answer["answer"]
    assert answer["citations"][0]["article_id"] == SEED_ID and "Lavrov" in answer["citations"][0]["quote"]
    print(f"local model answer in {elapsed:.1f} s; timings {answer['timings']}")


@pytest.mark.slow
def test_served_stream_and_source_with_the_extractive_backend(served_home):
    from .servers import newsrag_server

    with newsrag_server(served_home, llm="extractive") as url:
        with httpx.stream(
            "POST", f"{url}/api/ask/stream", json={"question": "who mediated in Moscow?"}, timeout=120
        ) as r:
            assert r.status_code == 200
            events = sse_events(r.read().decode())
        final = events[-1][1]
        assert events[-1][0] == "answer" and "Lavrov" in final["answer"]
        citation = final["citations"][0]
        article = httpx.get(f"{url}/api/articles/{citation['article_id']}", timeout=30).json()
        assert "Lavrov" in article["text"][citation["start"] : citation["end"]]
        too_long = httpx.post(f"{url}/api/ask", json={"question": "x" * 1001}, timeout=30)
        assert too_long.status_code == 413


def test_chat_html_escapes_article_and_model_text():
    from ui import render

    article = ARTICLES[1]
    start = article.text.index("<script>")
    view = render.source_view_html(article, start, start + len("<script>alert(1)</script>"), 2)
    assert "<script>" not in view and "<b>" not in view
    assert '<mark id="nr-cited">&lt;script&gt;alert(1)&lt;/script&gt;</mark>' in view
    assert "Kaasmarkt &lt;b&gt;Alkmaar&lt;/b&gt;" in view
    citation = {
        "n": 1,
        "article_id": "a/b",
        "title": "<i>T</i>",
        "date": None,
        "url": None,
        "source": "AD",
        "quote": "<q>",
        "start": 0,
        "end": 3,
        "supported": True,
        "score": 1.0,
    }
    answer = {
        "question": "q",
        "answer": "<img src=x onerror=alert(1)> yes [1] [9]",
        "refused": False,
        "citations": [citation],
        "sentences": [],
        "closest": [],
    }
    html = render.answer_html(answer)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html and "<i>" not in html
    assert 'href="#nr-src/1/0/3/a%2Fb"' in html and "[9]" in html  # unknown markers stay plain text
