"""The chat UI (Gradio Blocks): streamed answers, clickable citations, the source view, feedback.

Layout: the conversation and the question box on the left, the source view on the right. Citation markers
and source titles are links (`ui.render`); a click is caught by the source view's script and sent to
`open_source` as a Gradio event, which renders the article (escaped) with the cited span highlighted and
scrolls it into view. Thumbs up/down use the Chatbot's own feedback buttons and go to `feedback.jsonl`.
The From/To boxes under the question restrict each question's search to a date range (`ui.filters`: ISO
dates, partial allowed, both optional); each answer shows the range its search applied.
The conversation is kept on the server (`gr.State`), not sent back by the page with each question, so a
question's request stays small however long the chat (the server's body limit covers the chat too).
Not here: the HTTP API (`ui.api`) and the widget (`ui.widget`), which share the same `Runtime`.
Imports gradio: only `ui.server` imports this module, when it mounts the UI.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import anyio
import gradio as gr

from index.errors import NewsragError
from rag.records import Answer
from ui import render
from ui.filters import date_filters
from ui.gate import Busy
from ui.runtime import Runtime
from ui.streaming import stream_answer

log = logging.getLogger(__name__)

EXAMPLES = ["who mediated in Moscow?", "Wie bemiddelde in Moskou?", "How long did the talks in Moscow last?"]
CSS_PATH = Path(__file__).with_name("static") / "chat.css"
UPDATE_EVERY_S = 0.15  # streamed text reaches the page at most this often

# Runs once per page: catch clicks on source links anywhere (the chat is another component).
SOURCE_JS = """
window.__nrTrigger = trigger;
if (!window.__nrCiteListener) {
  window.__nrCiteListener = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href*="#nr-src/"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const href = link.getAttribute('href');
    const [n, start, end, id] = href.slice(href.indexOf('#nr-src/') + 8).split('/');
    window.__nrTrigger('click', {article_id: decodeURIComponent(id), start: +start, end: +end, n: +n});
  }, true);
}
watch('value', () => {
  const mark = element.querySelector('#nr-cited');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'smooth'});
  else element.querySelector('.nr-source-view')?.scrollIntoView({block: 'start'});
});
"""


def _history(answers: dict[str, dict]) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for key in sorted(answers, key=int):
        turns += [("user", answers[key]["question"]), ("assistant", answers[key]["answer"])]
    return turns


def _timings_message(answer: dict) -> dict:
    total = answer["timings"].get("total")
    meta: dict[str, Any] = {"title": "Timings", "status": "done"}
    if total is not None:
        meta["duration"] = round(total, 2)
    return {"role": "assistant", "content": render.timings_text(answer["timings"]), "metadata": meta}


def _date_box(label: str, elem_id: str) -> gr.Textbox:
    """One end of the date range under the question (parsed by `ui.filters.date_filters`)."""
    return gr.Textbox(label=label, placeholder="YYYY-MM-DD", elem_id=elem_id, max_lines=1, scale=2, min_width=120)


def build_chat(runtime: Runtime, examples: list[str] | None = None) -> gr.Blocks:
    async def respond(
        question: str,
        messages: list[dict],
        answers: dict[str, dict],
        date_from: str | None = None,
        date_to: str | None = None,
    ):
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        messages = [*messages, {"role": "user", "content": question}]
        at = len(messages)  # index of the answer message
        messages.append({"role": "assistant", "content": render.streaming_html("")})
        yield "", messages, messages, answers
        text, shown = "", 0.0
        try:
            filters = date_filters(date_from, date_to)  # InputError: said in the chat, below
            bot = await anyio.to_thread.run_sync(runtime.assistant)
            async for event in stream_answer(bot, question, _history(answers), filters, gate=runtime.gate):
                if isinstance(event, Answer):
                    answer = event.as_dict()
                    messages[at] = {"role": "assistant", "content": render.answer_html(answer)}
                    messages.append(_timings_message(answer))
                    answers = {**answers, str(at): answer}
                else:
                    text += event
                    if time.monotonic() - shown < UPDATE_EVERY_S:
                        continue  # each update re-renders the chat: spare the CPU the model needs
                    shown = time.monotonic()
                    messages[at] = {"role": "assistant", "content": render.streaming_html(text)}
                yield gr.skip(), messages, messages, answers
        except Busy as e:  # the line for the model is full: say so, and when to try again
            messages[at] = {"role": "assistant", "content": render.busy_html(e.retry_after)}
            yield gr.skip(), messages, messages, answers
        except NewsragError as e:  # InputError included: a message meant for the user
            messages[at] = {"role": "assistant", "content": render.error_html(str(e))}
            yield gr.skip(), messages, messages, answers
        except Exception:
            log.exception("answering failed")
            messages[at] = {"role": "assistant", "content": render.error_html("Something went wrong while answering.")}
            yield gr.skip(), messages, messages, answers

    async def open_source(evt: gr.EventData) -> str:
        data = evt._data or {}
        article = await anyio.to_thread.run_sync(runtime.article, str(data.get("article_id", "")))
        return render.source_view_html(
            article, int(data.get("start", -1)), int(data.get("end", -1)), int(data.get("n", 0))
        )

    def on_like(answers: dict[str, dict], data: gr.LikeData) -> None:
        if data.liked not in (True, False):  # a feedback toggled off, or another option
            return
        index = data.index if isinstance(data.index, int) else data.index[0]
        # the answer message, or the timings message right after it
        answer = answers.get(str(index)) or answers.get(str(index - 1))
        if answer is None:
            return
        runtime.feedback.append(
            "up" if data.liked else "down",
            answer["question"],
            answer["answer"],
            refused=answer["refused"],
            article_ids=[c["article_id"] for c in answer["citations"]],
            via="chat",
        )

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    def new_chat() -> tuple[list, list, dict, str, str]:
        return [], [], {}, render.EMPTY_SOURCE_VIEW, ""

    with gr.Blocks(title="newsrag: ask the news archive", analytics_enabled=False) as demo:
        answers = gr.State({})  # answer message index (str) -> Answer.as_dict()
        conversation = gr.State([])  # the Chatbot's messages, kept here rather than sent by the page
        gr.Markdown(
            "## Ask the news archive\nAnswers cite the articles they come from; click a marker to read the source."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    elem_id="nr-chat",
                    height=560,
                    examples=[{"text": q} for q in (examples or EXAMPLES)],
                    placeholder="Ask a question about the news articles, in any language.",
                    latex_delimiters=[],
                    show_label=False,
                    buttons=["copy", "copy_all"],
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="e.g. who mediated in Moscow?",
                        show_label=False,
                        scale=5,
                        elem_id="nr-question",
                        max_lines=4,
                        autofocus=True,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="nr-ask")
                with gr.Row(elem_id="nr-dates"):
                    date_from = _date_box("From", "nr-date-from")
                    date_to = _date_box("To", "nr-date-to")
                    new = gr.Button("New chat", size="sm", variant="secondary", elem_id="nr-new-chat", scale=1)
                gr.Markdown(
                    "Dates are optional and inclusive; `2020` or `2020-10` covers the whole year or month.",
                    elem_id="nr-dates-hint",
                )
            with gr.Column(scale=2, min_width=300):
                source_view = gr.HTML(
                    render.EMPTY_SOURCE_VIEW,
                    elem_id="nr-source",
                    js_on_load=SOURCE_JS,
                    max_height=640,
                    container=True,
                    padding=True,
                )

        inputs = [question, conversation, answers, date_from, date_to]
        outputs = [question, chatbot, conversation, answers]
        question.submit(respond, inputs, outputs)
        ask.click(respond, inputs, outputs)
        chatbot.example_select(pick_example, None, question).then(respond, inputs, outputs)
        source_view.click(open_source, None, source_view)
        chatbot.like(on_like, [answers], None)
        chatbot.clear(lambda: ({}, [], render.EMPTY_SOURCE_VIEW), None, [answers, conversation, source_view])
        new.click(new_chat, None, [chatbot, conversation, answers, source_view, question])
    return demo


def chat_css() -> str:
    return CSS_PATH.read_text(encoding="utf-8")


def theme() -> gr.themes.Base:
    """The default theme with system fonts: the page loads no web fonts (no internet needed)."""
    return gr.themes.Default(
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
    )
