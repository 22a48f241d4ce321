"""An OpenAI-compatible API under /v1, so any OpenAI client (the `openai` SDK, Open WebUI, LibreChat) can ask
the archive: `POST /v1/chat/completions` (JSON, or server-sent `chat.completion.chunk`s ending in
`data: [DONE]`) and `GET /v1/models` (one model, `newsrag`).

The last message must be the user's question; the earlier user and assistant messages are the history, as
`/api/ask` takes it (a "Sources:" list this API appended to an earlier reply is dropped from it); system and
developer messages are ignored (the Assistant keeps its own instructions). The reply is the answer with its
`[n]` markers and, at its end, the sources in plain text ("Sources:" then "[n] Title (outlet, date) url"); a
refusal is a normal reply with the refusal text and the closest articles. The structured citations (the
same as `/api/ask`'s) ride along as an extra `citations` field on the message, or on the final chunk's
`delta` when streaming.

It answers through the same path as /api/ (`ui.api.answer_events`: the answer gate, the worker thread, the
disconnect handling); the body limit, rate limit and bearer token are the server's middlewares, and every
error has OpenAI's shape (`ui.openai_errors`). Sampling parameters (`temperature`, `max_tokens`, `n`, tools,
...) are accepted and ignored: the server's settings decide.

Not handled here: retracting streamed text. The deltas are the model's draft as it writes; when the checked
answer does not continue it (a refusal after the checks, a date put in front), the final chunk adds the
checked answer after a line "---".
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from index.errors import NewsragError
from rag import refusal
from rag.answer import Turn
from rag.records import Answer
from ui.api import answer_events, final_answer
from ui.disconnect import until_disconnected
from ui.openai_errors import openai_error
from ui.runtime import Runtime
from ui.schemas import MAX_TURN_CHARS, RequestBody

log = logging.getLogger(__name__)

MODEL_ID = "newsrag"
SOURCES_HEADING = "Sources:"
REVISED = "\n\n---\n"  # between a streamed draft and the checked answer that replaces it
MAX_MESSAGES = 101  # a question and /api/ask's 100 turns of history


class TextPart(RequestBody):
    model_config = ConfigDict(extra="ignore")
    type: Literal["text"]
    text: str


class MessageIn(RequestBody):
    """One chat message; content is text or a list of text parts (images and audio are not read)."""

    model_config = ConfigDict(extra="ignore")  # name, tool_calls, ...
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class ChatCompletionIn(RequestBody):
    """OpenAI's chat completion request; only `model`, `messages` and `stream` are read."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [{"model": MODEL_ID, "messages": [{"role": "user", "content": "who mediated in Moscow?"}]}]
        },
    )
    model: str = Field(description=f"Must be {MODEL_ID!r} (see GET /v1/models).")
    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False


def _error(status: int, message: str, param: str | None = None, code: str | None = None) -> JSONResponse:
    return JSONResponse(openai_error(status, {"detail": message, "param": param, "code": code}), status_code=status)


def conversation(messages: list[MessageIn]) -> tuple[str, list[Turn]] | JSONResponse:
    """(question, history) from the messages, or a 400 saying what is wrong with them."""
    chat = [(i, m) for i, m in enumerate(messages) if m.role in ("user", "assistant")]
    if not chat:
        return _error(400, "No user message: the last message must be the question, with role 'user'.", "messages")
    last, message = chat[-1]
    if message.role != "user":
        return _error(
            400,
            f"The last message (messages[{last}]) has role {message.role!r}; it must be the user's question.",
            f"messages.{last}.role",
        )
    question = message.text().strip()
    if not question:
        return _error(
            400,
            f"The question (messages[{last}].content) is empty; ask something about the articles.",
            f"messages.{last}.content",
        )
    # the Assistant reads at most MAX_TURN_CHARS of a turn; our own source list is not part of the turn
    history: list[Turn] = [(m.role, _without_sources(m.text())[:MAX_TURN_CHARS]) for _, m in chat[:-1]]
    return question, history


def _without_sources(text: str) -> str:
    for heading in (SOURCES_HEADING, *refusal.CLOSEST.values()):
        text = text.split(f"\n\n{heading}\n", 1)[0]
    return text


def reply_text(answer: Answer) -> str:
    """The answer with its sources listed at the end (a refusal: with the closest articles)."""
    if answer.refused:
        closest = [
            (a.get("title") or a["article_id"], a.get("source"), a.get("date"), a.get("url")) for a in answer.closest
        ]
        lines = [f"- {_reference(*article)}" for article in closest]
        return f"{answer.answer}\n\n{answer.closest_label}\n" + "\n".join(lines) if lines else answer.answer
    cited = {c.n: _reference(c.title, c.source, c.date, c.url) for c in answer.citations}
    if not cited:
        return answer.answer
    return f"{answer.answer}\n\n{SOURCES_HEADING}\n" + "\n".join(f"[{n}] {ref}" for n, ref in sorted(cited.items()))


def _reference(title: str, source: str | None, date: str | None, url: str | None) -> str:
    meta = ", ".join(x for x in (source, date) if x)
    return " ".join(x for x in (title, f"({meta})" if meta else "", url or "") if x)


def openai_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai"])
    created = int(time.time())

    @router.get("/models")
    async def models() -> dict:
        """The one model: the archive's assistant."""
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": created, "owned_by": "newsrag"}],
        }

    @router.post("/chat/completions", response_model=None)
    async def chat_completions(body: ChatCompletionIn, request: Request) -> dict | JSONResponse | EventSourceResponse:
        """Answer the last user message from the articles (OpenAI's chat completion, JSON or streamed)."""
        if body.model != MODEL_ID:
            return _error(
                404,
                f"The model {body.model!r} does not exist; this server has {MODEL_ID!r}.",
                "model",
                "model_not_found",
            )
        asked = conversation(body.messages)
        if isinstance(asked, JSONResponse):
            return asked
        events = await answer_events(runtime, *asked)
        head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": MODEL_ID}
        if not body.stream:
            try:
                answer = await until_disconnected(request, final_answer(events))
            finally:
                await events.aclose()
            message = {"role": "assistant", "content": reply_text(answer), "citations": _citations(answer)}
            choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
            return {**head, "object": "chat.completion", "choices": [choice], "usage": None}
        # as /api/ask/stream: admission and validation errors before the first event are plain errors
        try:
            first = await until_disconnected(request, anext(events))
        except BaseException:
            await events.aclose()
            raise
        return EventSourceResponse(_chunks(head, first, events), ping=15)

    return router


def _citations(answer: Answer) -> list[dict]:
    return answer.as_dict()["citations"]


async def _chunks(
    head: dict, first: str | Answer, events: AsyncGenerator[str | Answer, None]
) -> AsyncIterator[ServerSentEvent]:
    """OpenAI's chunks: the role, each delta, then the rest of the checked answer with its sources and
    citations (finish_reason "stop"), then [DONE]; a failure midway is an `error` chunk, as OpenAI sends."""

    def chunk(delta: dict, finish: str | None = None) -> ServerSentEvent:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return ServerSentEvent(
            json.dumps({**head, "object": "chat.completion.chunk", "choices": [choice]}, ensure_ascii=False)
        )

    streamed = ""
    try:
        yield chunk({"role": "assistant", "content": ""})
        event: str | Answer = first
        while isinstance(event, str):
            streamed += event
            yield chunk({"content": event})
            event = await anext(events)
        text, draft = reply_text(event), streamed.strip()
        tail = text[len(draft) :] if text.startswith(draft) else REVISED + text
        yield chunk({"content": tail, "citations": _citations(event)}, finish="stop")
        yield ServerSentEvent("[DONE]")
    except NewsragError as e:
        yield ServerSentEvent(json.dumps(openai_error(500, {"detail": str(e)}), ensure_ascii=False))
    except Exception:  # headers are sent: the client can only learn of a failure from a chunk
        log.exception("answering failed mid-stream")
        yield ServerSentEvent(json.dumps(openai_error(500, {"detail": "Internal error while answering."})))
    finally:
        await events.aclose()
