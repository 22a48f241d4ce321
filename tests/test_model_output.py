"""Whatever the chat model writes, the Assistant gives an answer or a refusal, never an exception: odd drafts
(empty, blank, only markers or punctuation, a half marker) through the real chain with the fakes (scripted
chat model, fake embedder, real Chroma in tmp_path).

There is no follow-up rewrite any more (`rag.answer.retrieval_query` searches a follow-up after the last
user question without a model call), so a follow-up is run too: its draft goes through the same checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from rag.answer import Assistant
from rag.records import Answer

from .conftest import QUESTION, make_assistant
from .test_answer import ARTICLES as ANSWER_ARTICLES

ARTICLES = [a for a in ANSWER_ARTICLES if a.id == "moscow"]
HISTORY = [("user", QUESTION), ("assistant", "Lavrov [1].")]
ODD = ["", " ", "\n\n", "\t \n", "[1]", "[1][2] [3]", " [9]", "[", "[1", "[1,", "]", ".", "…", "?!", "-", "\u200b",
       "NOT_FOUND", "NOT_", "[1] NOT_FOUND", "\x00", "*"]  # fmt: skip


class Says(BaseChatModel):
    """A chat model that writes `text` to every prompt, streamed one character at a time (an empty text is
    one empty chunk, as a real backend sends: langchain's scripted fakes send none, and `stream` fails)."""

    text: str

    @property
    def _llm_type(self) -> str:
        return "says"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.text))])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        for piece in list(self.text) or [""]:
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


@pytest.fixture
def make_bot(fake_ingest, fake_embeddings):
    _, store = fake_ingest(ARTICLES)

    def _make(reply: str, focus_margin: float | None) -> Assistant:
        # the same reply to a second attempt too (a failed check asks once more when focus_margin is set)
        return make_assistant(
            store=store, embeddings=fake_embeddings, llm=Says(text=reply), k=1, min_relevance=0.0, min_support=0.2,
            focus_margin=focus_margin,
        )  # fmt: skip

    return _make


@pytest.mark.parametrize("focus_margin", [None, 0.03], ids=["whole passages", "closest sentences first"])
@pytest.mark.parametrize("history", [(), HISTORY], ids=["question", "follow-up"])
def test_any_draft_gives_an_answer_or_a_refusal(make_bot, history, focus_margin):
    wrong = {}
    for reply in ODD:  # one store for all drafts: building it is most of the time
        try:
            events = list(make_bot(reply, focus_margin).stream(QUESTION, history))
        except Exception as e:
            wrong[reply] = repr(e)
            continue
        answer = events[-1]
        if not (isinstance(answer, Answer) and all(isinstance(e, str) for e in events[:-1])):
            wrong[reply] = f"events {events!r}"
        elif not answer.answer.strip() or not (answer.refused or any(c.isalnum() for c in answer.answer)):
            wrong[reply] = f"neither an answer nor a refusal: {answer.answer!r}"
    assert not wrong, wrong
