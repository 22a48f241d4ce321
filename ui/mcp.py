"""The MCP server: the archive's search, answers and articles as tools for AI assistants that speak the
Model Context Protocol (the `mcp` package's `MCPServer`).

`mcp_server(runtime)` builds it over the same `ui.runtime.Runtime` as the HTTP API: `newsrag mcp` runs it
over stdio (`ui.cli.mcp`), and `newsrag serve` mounts it at `/mcp` over streamable HTTP (`mount`), where
`ask` waits in the same line for the model as the API (`ui.gate`; a full line is a tool error saying when
to try again) and the server's rate and body limits apply to its POSTs (`ui.middleware.guarded`).

The tools:
- `search_articles(query, k, date_from, date_to)`: passages, best first (hybrid search, `rag.retrieval`);
- `ask(question, history)`: the answer with its `[n]` markers and citations, or a refusal;
- `get_article(id)`: an article's fields and text (those of `GET /api/articles/{id}`).

A bad argument is a tool error naming the argument and the value; nothing blocking runs on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

import anyio.to_thread
from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from index.errors import NewsragError
from index.records import Hit
from rag.answer import Turn
from rag.retrieval import Filters, retrieve
from ui.api import final_answer
from ui.filters import check_date, check_range
from ui.gate import Busy
from ui.runtime import Runtime
from ui.schemas import ARTICLE_FIELDS, ArticleOut, CitationOut, FiltersOut, TurnIn
from ui.streaming import stream_answer

MCP_PATH = "/mcp"
MAX_K = 20
INSTRUCTIONS = (
    "A news archive. search_articles finds passages (optionally within a date range), ask answers a question "
    "from the articles with [n] citations or says plainly that they do not hold the answer, and get_article "
    "returns an article's whole text by the article_id the other tools give."
)


class Passage(BaseModel):
    """One passage of an article, as search found it."""

    article_id: str
    title: str
    date: str | None
    url: str | None
    outlet: str | None
    score: float = Field(description="Dense cosine similarity to the query (0.0 for a passage only BM25 found).")
    text: str
    start: int = Field(description="Offset of the passage in the article text (Unicode code points).")
    end: int


class SearchResult(BaseModel):
    query: str
    passages: list[Passage]


class AskResult(BaseModel):
    """An answer (the fields of `POST /api/ask` an assistant needs): its text with `[n]` markers, the
    citations those markers point to, or a refusal with the closest articles."""

    answer: str
    refused: bool
    language: str
    citations: list[CitationOut]
    closest: list[dict] = Field(description="On refusal: the nearest articles (article_id, title, date, ...).")
    filters: FiltersOut | None = Field(None, description="The filter the search applied, if any.")


def passage(hit: Hit) -> Passage:
    return Passage(
        article_id=hit.article_id,
        title=hit.title,
        date=hit.date,
        url=hit.url,
        outlet=hit.source,
        score=round(hit.score, 6),
        text=hit.text,
        start=hit.start,
        end=hit.end,
    )


def date_range(date_from: str | None, date_to: str | None) -> Filters | None:
    """The tools' date arguments as `Filters` (None for neither), with `ui.filters`' checks."""
    try:
        for name, value in (("date_from", date_from), ("date_to", date_to)):
            if value is not None:
                check_date(value, name)
        check_range(date_from, date_to)
    except ValueError as e:
        raise ToolError(f"{e}.") from None
    if date_from is None and date_to is None:
        return None
    return Filters(date_from=date_from, date_to=date_to)


def mcp_server(runtime: Runtime) -> MCPServer:
    """The MCP server over `runtime` (its Assistant, store and answer gate)."""
    server: MCPServer = MCPServer("newsrag", instructions=INSTRUCTIONS, log_level="WARNING")

    async def assistant():
        return await anyio.to_thread.run_sync(runtime.assistant)

    def checked_text(name: str, value: str, limit: int) -> str:
        if not value.strip():
            raise ToolError(f"{name}: expected text, got an empty string.")
        if len(value) > limit:
            raise ToolError(f"{name}: expected at most {limit} characters, got {len(value)}.")
        return value

    @server.tool()
    async def search_articles(
        query: Annotated[str, Field(description="What to look for, in any language.")],
        k: Annotated[int, Field(description=f"How many passages (1 to {MAX_K}).")] = 5,
        date_from: Annotated[
            str | None, Field(description="Only articles from this ISO date on (2020-10-05, 2020-10 or 2020).")
        ] = None,
        date_to: Annotated[str | None, Field(description="Only articles up to this ISO date, inclusive.")] = None,
    ) -> SearchResult:
        """Search the news archive (dense + BM25 hybrid search); passages best first, each with its article's
        id, title, date, url and outlet."""
        if not 1 <= k <= MAX_K:
            raise ToolError(f"k: expected 1 to {MAX_K}, got {k}.")
        filters = date_range(date_from, date_to)
        bot = await assistant()
        checked_text("query", query, bot.max_question_chars)
        found = await anyio.to_thread.run_sync(lambda: retrieve(bot.store, query, k=k, filters=filters))
        return SearchResult(query=query, passages=[passage(h) for h in found.hits])

    @server.tool()
    async def ask(
        question: Annotated[str, Field(description="The question, in any language; the answer is in its language.")],
        history: Annotated[
            list[TurnIn] | None,
            Field(description="Earlier turns of the conversation, oldest first (for follow-up questions)."),
        ] = None,
    ) -> AskResult:
        """Answer a question from the archive's articles. The answer carries [n] markers; `citations` says
        which article and quote each n is. `refused` is true when the articles do not hold the answer."""
        bot = await assistant()
        try:
            bot.validate(question)
        except NewsragError as e:
            raise ToolError(f"question: {e}") from None
        turns: list[Turn] = [(t.role, t.content) for t in history or []]
        events = stream_answer(bot, question, turns, None, runtime.gate)
        try:
            answer = await final_answer(events)
        except Busy as e:
            raise ToolError(str(e)) from None
        except NewsragError as e:
            raise ToolError(str(e)) from None
        finally:
            await events.aclose()
        return AskResult.model_validate(answer.as_dict())

    @server.tool()
    async def get_article(
        id: Annotated[str, Field(description="The article_id a search passage or a citation gives.")],
    ) -> ArticleOut:
        """An article's title, date, url, outlet (`source`), language and whole text; citations' start/end
        are offsets into `text`."""
        found = await anyio.to_thread.run_sync(runtime.article, id)
        if found is None:
            raise ToolError(f"id: no article with id {id!r}.")
        return ArticleOut(**{k: getattr(found, k) for k in ARTICLE_FIELDS})

    return server


def mount(app: FastAPI, runtime: Runtime, host: str) -> Callable[[], AbstractAsyncContextManager[Any]]:
    """Add the MCP endpoint (streamable HTTP) at `MCP_PATH` of `app`; returns its session manager's `run`,
    which the app's lifespan must enter (a mounted app's own lifespan never runs). `host`: the interface
    the server listens on; on 127.0.0.1 or localhost the SDK turns away requests naming another Host or
    Origin (DNS rebinding)."""
    server = mcp_server(runtime)
    http = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    app.router.routes.extend(http.routes)  # a route of the app itself: before the chat's mount at `/`
    return server.session_manager.run
