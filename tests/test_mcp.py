"""The MCP tools (`ui.mcp`) through the real `mcp` client, in process, over an Assistant built from the
fakes (scripted chat model, fake embedder, real Chroma in tmp_path). The same tools over stdio and
streamable HTTP, with the real models, are in tests/test_mcp_e2e.py."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from mcp import Client

from rag.retrieval import retrieve
from ui.gate import AnswerGate
from ui.mcp import mcp_server
from ui.runtime import Runtime
from ui.schemas import ARTICLE_FIELDS
from ui.settings import Settings
from ui.wiring import runtime

from .conftest import CHEESE, MOSCOW, QUESTION, make_assistant


@pytest.fixture
def store(fake_ingest):
    return fake_ingest([MOSCOW, CHEESE])[1]


@pytest.fixture
def make_runtime(store, fake_embeddings, tmp_path):
    def _make(*replies: str, **kw: Any) -> Runtime:
        llm = GenericFakeChatModel(messages=iter(replies)) if replies else None
        bot = make_assistant(store=store, embeddings=fake_embeddings, llm=llm, min_relevance=0.0, min_support=0.2, k=2)
        return runtime(Settings(home=tmp_path / "home", **kw), bot)

    return _make


def call(rt: Runtime, tool: str, **arguments: Any):
    """Call `tool` with the real MCP client on the server over `rt`; returns the CallToolResult."""

    async def go():
        async with Client(mcp_server(rt)) as client:
            return await client.call_tool(tool, arguments)

    return anyio.run(go)


def error(result) -> str:
    """The message of a tool error, without the SDK's "Error executing tool NAME: " before it."""
    assert result.is_error, result
    return result.content[0].text.split(": ", 1)[1]


def test_the_three_tools_are_listed_with_their_arguments(make_runtime):
    async def go():
        async with Client(mcp_server(make_runtime())) as client:
            return (await client.list_tools()).tools

    tools = {t.name: t for t in anyio.run(go)}
    assert set(tools) == {"search_articles", "ask", "get_article"}
    assert set(tools["search_articles"].input_schema["properties"]) == {"query", "k", "date_from", "date_to"}
    assert tools["search_articles"].input_schema["required"] == ["query"]
    assert set(tools["ask"].input_schema["properties"]) == {"question", "history"}
    assert tools["get_article"].input_schema["required"] == ["id"]
    assert all(t.output_schema for t in tools.values())


def test_search_returns_passages_with_their_article(make_runtime):
    result = call(make_runtime(), "search_articles", query=QUESTION, k=2)
    assert not result.is_error, result
    passages = result.structured_content["passages"]
    top = passages[0]
    assert top["article_id"] == "moscow"
    assert top["title"] == MOSCOW.title and top["date"] == "2020-10" and top["outlet"] == "NOS"
    assert set(top) >= {"article_id", "title", "date", "url", "outlet", "score", "text"}
    assert MOSCOW.text[top["start"] : top["end"]] == top["text"]
    assert json.loads(result.content[0].text) == result.structured_content  # the text block is the same JSON


def test_search_applies_the_date_range(make_runtime):
    result = call(make_runtime(), "search_articles", query="kaas Moskou", k=5, date_from="2019", date_to="2019-12")
    assert [p["article_id"] for p in result.structured_content["passages"]] == ["cheese"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"k": 0}, "k: expected 1 to 20, got 0."),
        ({"k": 21}, "k: expected 1 to 20, got 21."),
        ({"date_from": "2020-13"}, "Expected date_from to be a date in the calendar, got '2020-13'."),
        ({"date_to": "10/05/2020"}, "Expected date_to as an ISO date (YYYY-MM-DD, YYYY-MM or YYYY), got '10/05/2020'."),
        (
            {"date_from": "2021", "date_to": "2020-12"},
            "Expected date_from on or before date_to, got 2021 after 2020-12.",
        ),
        ({"query": "  "}, "query: expected text, got an empty string."),
        ({"query": "x" * 1001}, "query: expected at most 1000 characters, got 1001."),
    ],
)
def test_bad_search_arguments_are_errors_naming_the_argument(make_runtime, arguments, message):
    assert error(call(make_runtime(), "search_articles", **{"query": QUESTION, **arguments})) == message


def test_ask_answers_with_numbered_citations(make_runtime, store):
    n = 1 + [h.article_id for h in retrieve(store, QUESTION, k=2).hits].index("moscow")
    rt = make_runtime(f"Lavrov bemiddelde bij de besprekingen in Moskou [{n}].")
    result = call(rt, "ask", question=QUESTION)
    assert not result.is_error, result
    body = result.structured_content
    assert body["answer"] == "Lavrov bemiddelde bij de besprekingen in Moskou [1]." and not body["refused"]
    (citation,) = body["citations"]
    assert citation["n"] == 1 and citation["article_id"] == "moscow" and citation["title"] == MOSCOW.title
    assert citation["date"] == "2020-10" and "url" in citation
    assert citation["quote"] == "Lavrov bemiddelde bij de besprekingen in Moskou."


def test_ask_takes_the_history_and_refuses_plainly(make_runtime):
    rt = make_runtime("NOT_FOUND")
    history = [{"role": "user", "content": "Wat gebeurde er in Moskou?"}, {"role": "assistant", "content": "Overleg."}]
    result = call(rt, "ask", question="En wie bemiddelde?", history=history)
    assert not result.is_error, result
    assert result.structured_content["refused"] is True and result.structured_content["citations"] == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"question": " "}, "question: The question is empty; ask something about the articles."),
        ({"question": "x" * 1001}, "question: The question is 1001 characters long; the limit is 1000."),
    ],
)
def test_bad_questions_are_errors_naming_the_argument(make_runtime, arguments, message):
    assert error(call(make_runtime(), "ask", **arguments)) == message


def test_a_bad_history_turn_is_an_error_naming_it(make_runtime):
    message = error(call(make_runtime(), "ask", question=QUESTION, history=[{"role": "system", "content": "x"}]))
    assert "history" in message and "role" in message


def test_ask_waits_in_the_servers_line_and_a_full_line_is_an_error(make_runtime):
    rt = make_runtime("Lavrov [1].")
    rt.gate = AnswerGate(max_pending=0)
    held = rt.gate.enter()  # another answer holds the only place
    try:
        assert "busy" in error(call(rt, "ask", question=QUESTION))
    finally:
        held.leave()


def test_get_article_returns_its_fields_and_text(make_runtime):
    result = call(make_runtime(), "get_article", id="moscow")
    assert not result.is_error, result
    assert result.structured_content == {k: getattr(MOSCOW, k) for k in ARTICLE_FIELDS}


def test_an_unknown_article_is_an_error_naming_the_id(make_runtime):
    assert error(call(make_runtime(), "get_article", id="nope")) == "id: no article with id 'nope'."


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def test_the_server_mounts_the_endpoint_at_mcp_for_its_own_host_only(store, fake_embeddings, tmp_path):
    from fastapi.testclient import TestClient

    from ui.server import create_app

    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=None, min_relevance=0.0)
    app = create_app(Settings(home=tmp_path / "home", host="127.0.0.1"), bot, ui=False)
    with TestClient(app, base_url="http://127.0.0.1:7860") as client:  # the lifespan runs the MCP sessions
        ok = client.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        assert ok.status_code == 200, ok.text
        assert ok.headers["mcp-session-id"] and '"serverInfo"' in ok.text
        rebound = client.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "host": "attacker.example"})
        assert rebound.status_code == 421 and "Invalid Host header" in rebound.text
