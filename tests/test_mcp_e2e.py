"""The MCP server for real, with the real `mcp` client: `newsrag mcp` over stdio and `newsrag serve` at /mcp
over streamable HTTP, over a store ingested from corpus/ with the real embedding model. The local LLM
answers in the HTTP test only; the stdio one uses the extractive backend (no model to load)."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.session import ClientSession
from mcp.client.stdio import stdio_client

from .conftest import SEED_ID
from .servers import NEWSRAG, ingested_home, newsrag_env, newsrag_server

QUESTION = "who mediated in Moscow?"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served_home(tmp_path_factory) -> Path:
    return ingested_home(tmp_path_factory.mktemp("mcp"))


def test_stdio_server_searches_answers_and_shows_the_article(served_home):
    params = StdioServerParameters(
        command=NEWSRAG, args=["mcp"], env=newsrag_env(served_home, NEWSRAG_LLM="extractive"), cwd=served_home.parent
    )

    async def session():
        with (served_home.parent / "mcp-stdio.log").open("w") as log:
            async with stdio_client(params, errlog=log) as (read, write), ClientSession(read, write) as client:
                await client.initialize()
                search = await client.call_tool("search_articles", {"query": QUESTION, "k": 3, "date_from": "2019"})
                article = await client.call_tool("get_article", {"id": SEED_ID})
                answer = await client.call_tool("ask", {"question": QUESTION})
                unknown = await client.call_tool("get_article", {"id": "no-such-article"})
                bad = await client.call_tool("search_articles", {"query": QUESTION, "date_to": "2020-02-30"})
                return search, article, answer, unknown, bad

    search, article, answer, unknown, bad = anyio.run(session)
    passages = search.structured_content["passages"]
    assert passages[0]["article_id"] == SEED_ID and "Lavrov" in " ".join(p["text"] for p in passages)
    assert {"title", "date", "url", "outlet", "score"} <= set(passages[0])
    assert "Lavrov" in article.structured_content["text"] and article.structured_content["id"] == SEED_ID
    body = answer.structured_content
    assert not body["refused"] and "[1]" in body["answer"] and body["citations"][0]["article_id"] == SEED_ID
    assert unknown.is_error and "no article with id 'no-such-article'" in unknown.content[0].text
    assert bad.is_error and "date_to" in bad.content[0].text and "2020-02-30" in bad.content[0].text


def test_http_endpoint_of_the_server_answers_with_the_local_model(served_home):
    with newsrag_server(served_home, llm="local") as url:

        async def session():
            async with Client(f"{url}/mcp", read_timeout_seconds=600) as client:
                tools = await client.list_tools()
                search = await client.call_tool("search_articles", {"query": QUESTION, "k": 2})
                answer = await client.call_tool("ask", {"question": QUESTION})
                return tools, search, answer

        tools, search, answer = anyio.run(session)
    assert {t.name for t in tools.tools} == {"search_articles", "ask", "get_article"}
    assert search.structured_content["passages"][0]["article_id"] == SEED_ID
    body = answer.structured_content
    assert not body["refused"] and "Lavrov" in body["answer"] and "[1]" in body["answer"], body
    citation = body["citations"][0]
    assert citation["n"] == 1 and citation["article_id"] == SEED_ID and "Lavrov" in citation["quote"]
    print(json.dumps({k: body[k] for k in ("answer", "refused", "citations")}, ensure_ascii=False, indent=2))
