"""The OpenAI-compatible API (/v1) over an Assistant built from the fakes, and, under `slow`, `newsrag serve`
with the local model asked through the real `openai` client."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from rag.retrieval import retrieve
from ui.openai_api import MessageIn, conversation
from ui.server import create_app
from ui.settings import Settings

from .conftest import CHEESE, MOSCOW, QUESTION, SEED_ID, make_assistant

URL = "/v1/chat/completions"
SOURCES = "\n\nSources:\n[1] Bestand in Nagorno-Karabach (NOS, 2020-10)"


@pytest.fixture
def store(fake_ingest):
    return fake_ingest([MOSCOW, CHEESE])[1]


@pytest.fixture
def make_client(store, fake_embeddings, tmp_path):
    """A TestClient over create_app with an injected Assistant; `replies` script the chat model."""

    def _make(*replies: str, settings: dict | None = None, **kw) -> TestClient:
        llm = GenericFakeChatModel(messages=iter(replies)) if replies else None
        kw = {"min_relevance": 0.0, "min_support": 0.2, "k": 2, **kw}
        bot = make_assistant(store=store, embeddings=fake_embeddings, llm=llm, **kw)
        config = {"home": tmp_path / "home", "max_request_kb": 4, **(settings or {})}
        return TestClient(create_app(Settings(**config), bot, ui=False))

    return _make


def cited_reply(store) -> str:
    n = 1 + [h.article_id for h in retrieve(store, QUESTION, k=2).hits].index("moscow")
    return f"Lavrov bemiddelde bij de besprekingen in Moskou [{n}]."


def ask(*messages: dict | str, stream: bool = False, model: str = "newsrag") -> dict:
    turns = [{"role": "user", "content": m} if isinstance(m, str) else m for m in messages]
    return {"model": model, "messages": turns, "stream": stream}


def chunks(text: str) -> list[dict | str]:
    """The `data:` payloads of an SSE body: parsed chunks, and the final "[DONE]" as is."""
    data = [line[5:].strip() for line in text.replace("\r\n", "\n").split("\n") if line.startswith("data:")]
    return [d if d == "[DONE]" else json.loads(d) for d in data]


def test_a_completion_carries_the_markers_the_sources_and_the_citations(make_client, store):
    response = make_client(cited_reply(store)).post(URL, json=ask(QUESTION))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "newsrag" and body["id"].startswith("chatcmpl-")
    (choice,) = body["choices"]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == "Lavrov bemiddelde bij de besprekingen in Moskou [1]." + SOURCES
    (citation,) = choice["message"]["citations"]
    assert citation["n"] == 1 and citation["article_id"] == "moscow" and "Lavrov" in citation["quote"]


def test_a_stream_is_openai_chunks_ending_in_done(make_client, store):
    client = make_client(cited_reply(store), cited_reply(store))
    with client.stream("POST", URL, json=ask(QUESTION, stream=True)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        data = chunks(response.read().decode())
    assert data[-1] == "[DONE]"
    parts = data[:-1]
    assert all(p["object"] == "chat.completion.chunk" and p["id"] == parts[0]["id"] for p in parts)
    assert parts[0]["choices"][0]["delta"]["role"] == "assistant" and len(parts) >= 4  # streamed word by word
    final = parts[-1]["choices"][0]
    assert final["finish_reason"] == "stop" and final["delta"]["citations"][0]["article_id"] == "moscow"
    assert all(p["choices"][0]["finish_reason"] is None for p in parts[:-1])
    streamed = "".join(p["choices"][0]["delta"]["content"] for p in parts)
    unstreamed = client.post(URL, json=ask(QUESTION)).json()["choices"][0]["message"]["content"]
    assert streamed.strip() == unstreamed


def test_history_is_passed_on_and_system_messages_and_our_source_list_are_left_out():
    messages = [
        MessageIn(role="system", content="You are a pirate."),
        MessageIn(role="user", content="Wie bemiddelde in Moskou?"),
        MessageIn(role="assistant", content="Lavrov [1]." + SOURCES),
        MessageIn(
            role="user", content=[{"type": "text", "text": "Hoe lang "}, {"type": "text", "text": "duurde het?"}]
        ),
    ]
    assert conversation(messages) == (
        "Hoe lang duurde het?",
        [("user", "Wie bemiddelde in Moskou?"), ("assistant", "Lavrov [1].")],
    )


def test_a_follow_up_is_answered_from_the_history(make_client):
    history = [
        {"role": "user", "content": "Wie bemiddelde in Moskou?"},
        {"role": "assistant", "content": "Lavrov [1]."},
    ]
    body = ask({"role": "system", "content": "Answer in French."}, *history, "Hoe lang duurden de besprekingen?")
    message = make_client().post(URL, json=body).json()["choices"][0]["message"]  # extractive: no model
    assert "tien uur" in message["content"] and {c["article_id"] for c in message["citations"]} == {"moscow"}


def test_a_refusal_is_a_normal_reply_with_the_closest_articles(make_client):
    message = make_client(min_relevance=1.5).post(URL, json=ask("Who won Eurovision?")).json()["choices"][0]["message"]
    assert message["citations"] == []
    text, closest = message["content"].split("\n\nClosest articles:\n")
    assert text and "- Bestand in Nagorno-Karabach (NOS, 2020-10)" in closest.splitlines()


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("body", "status", "param", "message"),
    [
        (ask({"role": "system", "content": "Hi"}), 400, "messages", "No user message"),
        (ask("q?", {"role": "assistant", "content": "A."}), 400, "messages.1.role", "must be the user's question"),
        (ask("   "), 400, "messages.0.content", "The question (messages[0].content) is empty"),
        (ask({"role": "tool", "content": "x"}), 400, "messages.0.role", "Input should be 'system', 'developer'"),
        ({"model": "newsrag"}, 400, "messages", "messages: Field required"),
        ({"model": "newsrag", "messages": []}, 400, "messages", "at least 1 item"),
        (ask("q?", model="gpt-4o"), 404, "model", "The model 'gpt-4o' does not exist; this server has 'newsrag'."),
        (ask("x" * 101), 413, None, "The question is 101 characters long; the limit is 100."),
    ],
)
def test_bad_requests_get_openai_errors(make_client, stream, body, status, param, message):
    response = make_client(max_question_chars=100).post(URL, json={**body, "stream": stream})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert message in error["message"] and error["param"] == param
    assert error["type"] == "invalid_request_error" and set(error) == {"message", "type", "param", "code"}


def test_unknown_parameters_are_ignored_and_models_lists_one(make_client, store):
    client = make_client(cited_reply(store))
    body = {**ask(QUESTION), "temperature": 0.7, "max_tokens": 10, "stream_options": {"include_usage": True}}
    assert client.post(URL, json=body).status_code == 200
    models = client.get("/v1/models").json()
    assert models["object"] == "list" and [m["id"] for m in models["data"]] == ["newsrag"]


def test_the_api_limits_apply_with_openai_errors(make_client):
    client = make_client(settings={"rate_limit": "2/minute"})
    big = ask({"role": "user", "content": "x" * 5000})
    response = client.post(URL, json=big)
    assert response.status_code == 413 and "larger than 4 KB" in response.json()["error"]["message"]
    client.get("/v1/models")
    limited = client.get("/v1/models")  # the third request from this client in a minute
    assert limited.status_code == 429 and limited.headers["retry-after"]
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert client.get("/api/articles/moscow").json()["reason"] == "rate_limited"  # one bucket for both APIs


def test_a_full_line_is_an_openai_429(make_client, store):
    client = make_client(cited_reply(store), settings={"max_pending": 0})
    client.app.state.runtime.gate.enter()  # one answer running, none may wait
    response = client.post(URL, json=ask(QUESTION))
    assert response.status_code == 429 and response.json()["error"]["code"] == "server_busy"


def test_the_bearer_token_guards_both_apis_but_not_the_pages(make_client):
    client = make_client(settings={"api_token": "s3cret"})
    missing = client.get("/v1/models")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == "invalid_api_key" and "Missing bearer token" in missing.text
    wrong = client.post(URL, json=ask("q?"), headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "Invalid bearer token" in wrong.json()["error"]["message"]
    assert client.get("/api/articles/moscow").json()["detail"].startswith("Missing bearer token")
    good = {"authorization": "Bearer s3cret"}
    assert client.get("/v1/models", headers=good).status_code == 200
    assert client.get("/api/articles/moscow", headers=good).status_code == 200
    assert client.get("/healthz").status_code == 200 and client.get("/widget").status_code == 200
    # the MCP tools answer the same questions: the same token guards them
    mcp = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert mcp.status_code == 401 and "Missing bearer token" in mcp.text


# --- slow: the real `newsrag serve` and the real `openai` client


@pytest.mark.slow
def test_the_openai_client_asks_the_served_archive(tmp_path):
    from openai import AuthenticationError, OpenAI

    from .servers import ingested_home, newsrag_server

    home = ingested_home(tmp_path)
    with newsrag_server(home, llm="local", NEWSRAG_API_TOKEN="s3cret") as url:
        client = OpenAI(base_url=f"{url}/v1", api_key="s3cret", timeout=600, max_retries=0)
        messages = [{"role": "user", "content": "who mediated in Moscow?"}]
        completion = client.chat.completions.create(model="newsrag", messages=messages)
        message = completion.choices[0].message
        assert "Lavrov" in message.content and "[1]" in message.content and "\n\nSources:\n[1] " in message.content
        citations = message.model_extra["citations"]
        assert citations[0]["article_id"] == SEED_ID and "Lavrov" in citations[0]["quote"]

        stream = client.chat.completions.create(model="newsrag", messages=messages, stream=True)
        parts = list(stream)
        streamed = "".join(p.choices[0].delta.content or "" for p in parts)
        assert streamed.strip() == message.content  # the same answer (greedy decoding), delivered in pieces
        assert len(parts) > 3 and parts[-1].choices[0].finish_reason == "stop"
        assert parts[-1].choices[0].delta.model_extra["citations"] == citations

        with pytest.raises(AuthenticationError, match="Invalid bearer token"):
            OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).models.list()
        assert [m.id for m in client.models.list()] == ["newsrag"]
