"""The HTTP API under /api: ask (JSON or server-sent events), articles for the source view, feedback.

Status codes: 422 for a bad request (empty question, malformed body, bad filter), 413 for a question over
the limit (the request body limit is `ui.middleware.BodyLimit`), 404 for an unknown article, 429 with
Retry-After when the line for the model is full (`ui.gate`; the handler is in `ui.server`) or a client
exceeds its rate (`ui.ratelimit`). The Assistant runs on a worker thread (`ui.streaming`), never on the
event loop, and stops when its client disconnects (`ui.disconnect`): nobody waits behind an answer no one
will read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sse_starlette import EventSourceResponse, ServerSentEvent

from index.errors import NewsragError
from rag.answer import Turn
from rag.errors import InputError, QuestionTooLong
from rag.records import Answer
from rag.retrieval import Filters
from ui.disconnect import until_disconnected
from ui.runtime import Runtime
from ui.schemas import ARTICLE_FIELDS, AnswerOut, ArticleOut, AskIn, BusyOut, ErrorOut, FeedbackIn
from ui.streaming import stream_answer

log = logging.getLogger(__name__)

ERRORS: dict[int | str, dict] = {
    413: {"model": ErrorOut, "description": "The question is longer than the limit, or the body too large."},
    422: {"model": ErrorOut, "description": "Bad request: empty question, malformed body or filter."},
    429: {
        "model": BusyOut,
        "description": "Busy (too many questions waiting for the model) or this client's rate limit is reached; "
        "the `Retry-After` header says when to try again.",
    },
}

STREAM_DOC = """Answer as server-sent events, while the model writes:

* `event: delta`, `data: {"text": "..."}`: the next piece of the answer text (citation markers `[n]`
  already numbered as in the final answer);
* then exactly one `event: answer`, `data:` the whole answer, the same JSON as `POST /api/ask`
  (citations with `article_id`, `quote`, `start`/`end` offsets into the article text);
* or, if answering fails midway, `event: error`, `data: {"detail": "..."}`.

A refusal arrives as an `answer` event with `refused: true` and the closest articles.
"""


async def answer_events(
    runtime: Runtime, question: str, history: Sequence[Turn] = (), filters: Filters | None = None
) -> AsyncGenerator[str | Answer, None]:
    """The Assistant's events (`ui.streaming.stream_answer`, not started yet, behind the answer gate). 413 at
    once for an oversized question (the Assistant's own check); everything else the Assistant validates
    while answering (422). Shared with the OpenAI-compatible routes (`ui.openai_api`)."""
    bot = await run_in_threadpool(runtime.assistant)
    try:
        bot.validate(question)
    except QuestionTooLong as exc:
        raise HTTPException(413, str(exc)) from exc
    except InputError:
        pass
    return stream_answer(bot, question, history, filters, runtime.gate)


async def _answer_events(runtime: Runtime, body: AskIn) -> AsyncGenerator[str | Answer, None]:
    history: list[Turn] = [(t.role, t.content) for t in body.history]
    filters = body.filters.to_filters() if body.filters else None
    return await answer_events(runtime, body.question, history, filters)


def api_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["api"])

    @router.post("/ask", response_model=AnswerOut, responses=ERRORS)
    async def ask(body: AskIn, request: Request) -> dict:
        """Answer a question from the articles, with citations; the same JSON as `newsrag ask --json`."""
        events = await _answer_events(runtime, body)
        try:
            answer = await until_disconnected(request, final_answer(events))
        finally:
            await events.aclose()
        return answer.as_dict()

    @router.post(
        "/ask/stream",
        response_class=EventSourceResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "The event stream."}, **ERRORS},
        description=STREAM_DOC,
    )
    async def ask_stream(body: AskIn, request: Request) -> EventSourceResponse:
        events = await _answer_events(runtime, body)
        # The first event comes after admission and validation: a full line still gets a plain 429, a bad
        # question a plain 422, not a stream. Until then nothing watches the connection but us; from the
        # first event on, EventSourceResponse stops the stream when the client goes.
        try:
            first = await until_disconnected(request, anext(events))
        except BaseException:
            await events.aclose()
            raise
        return EventSourceResponse(_sse(first, events), ping=15)

    @router.get("/articles/{article_id:path}", response_model=ArticleOut, responses={404: {"model": ErrorOut}})
    async def article(article_id: str) -> dict:
        """An article's text and metadata; citation `start`/`end` are offsets into `text`."""
        found = await run_in_threadpool(runtime.article, article_id)
        if found is None:
            raise HTTPException(404, f"No article with id {article_id!r}.")
        return {k: getattr(found, k) for k in ARTICLE_FIELDS}

    @router.post("/feedback", status_code=204, responses={422: {"model": ErrorOut}})
    async def feedback(body: FeedbackIn) -> None:
        """Thumbs up or down on an answer; appended to feedback.jsonl in the data directory."""
        extra = {"article_ids": body.article_ids, "comment": body.comment, "via": "api"}
        await run_in_threadpool(runtime.feedback.append, body.rating, body.question, body.answer, **extra)

    return router


async def final_answer(events: AsyncGenerator[str | Answer, None]) -> Answer:
    """The last event, the `Answer` (the deltas before it are dropped)."""
    answer = None
    async for event in events:
        if isinstance(event, Answer):
            answer = event
    assert answer is not None, "the Assistant's stream ended without an Answer"
    return answer


async def _sse(first: str | Answer, events: AsyncGenerator[str | Answer, None]) -> AsyncIterator[ServerSentEvent]:
    try:
        yield _event(first)
        async for event in events:
            yield _event(event)
    except NewsragError as e:
        yield ServerSentEvent(json.dumps({"detail": str(e)}, ensure_ascii=False), event="error")
    except Exception:  # headers are sent: the client can only learn of a failure from an event
        log.exception("answering failed mid-stream")
        yield ServerSentEvent(json.dumps({"detail": "Internal error while answering."}), event="error")
    finally:
        await events.aclose()


def _event(event: str | Answer) -> ServerSentEvent:
    if isinstance(event, Answer):
        return ServerSentEvent(json.dumps(event.as_dict(), ensure_ascii=False), event="answer")
    return ServerSentEvent(json.dumps({"text": event}, ensure_ascii=False), event="delta")
