"""HTML for the chat UI: answers with clickable [n] markers, cited sources, refusals, the source view.

Every piece of text from an article or a model is escaped here (`html.escape`); nothing from them is ever
rendered as HTML. Markers and source titles link to `#nr-src/{n}/{start}/{end}/{article_id}`, which the
chat page's script turns into a source-view event (see `ui.chat`). No gradio import: plain functions.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

from index.records import Article
from rag import refusal
from rag.citations import RENUMBERED
from ui.filters import describe

SNIPPET_CHARS = 240


def source_href(article_id: str, start: int = -1, end: int = -1, n: int = 0) -> str:
    return f"#nr-src/{n}/{start}/{end}/{quote(article_id, safe='')}"


def _link(label: str, article_id: str, start: int = -1, end: int = -1, n: int = 0, cls: str = "nr-cite") -> str:
    href = escape(source_href(article_id, start, end, n))
    return f'<a class="{cls}" href="{href}" title="Open the source">{label}</a>'


def _text(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _meta(*parts: str | None) -> str:
    return " · ".join(escape(p) for p in parts if p)


def streaming_html(text: str) -> str:
    """The answer while it is being written: plain escaped text and a cursor."""
    return f'<div class="nr-answer nr-streaming">{_text(text)}<span class="nr-cursor">▍</span></div>'


def answer_html(answer: dict) -> str:
    """A final answer (`Answer.as_dict()`): the text with linked markers, then its cited sources."""
    if answer["refused"]:
        return refusal_html(answer)
    by_n = {c["n"]: c for c in answer["citations"]}

    def marker(m: re.Match) -> str:
        c = by_n.get(int(m.group(1)))
        if c is None:
            return m.group(0)
        return _link(f"[{c['n']}]", c["article_id"], c["start"], c["end"], c["n"])

    body = RENUMBERED.sub(marker, _text(answer["answer"]))
    parts = [f'<div class="nr-answer"><p class="nr-text">{body}</p>{filter_html(answer)}']
    unsupported = [s["text"] for s in answer.get("sentences", []) if not s["supported"]]
    if unsupported:
        listed = " ".join(f"“{escape(s)}”" for s in unsupported)
        parts.append(f'<p class="nr-warn">Not supported by the cited passages: {listed}</p>')
    if answer["citations"]:
        parts.append(sources_html(answer["citations"]))
    parts.append("</div>")
    return "".join(parts)


def sources_html(citations: list[dict]) -> str:
    items = []
    for c in citations:
        snippet = c["quote"] if len(c["quote"]) <= SNIPPET_CHARS else c["quote"][: SNIPPET_CHARS - 1] + "…"
        title = _link(
            f"[{c['n']}] {escape(c['title'] or c['article_id'])}",
            c["article_id"],
            c["start"],
            c["end"],
            c["n"],
            "nr-cite nr-title",
        )
        flag = "" if c["supported"] else ' <span class="nr-flag">(does not support the sentence)</span>'
        items.append(
            f'<li class="nr-source">{title}{flag}<div class="nr-meta">{_meta(c["source"], c["date"])}</div>'
            f'<div class="nr-snippet">{escape(snippet)}</div></li>'
        )
    return f'<ol class="nr-sources">{"".join(items)}</ol>'


def refusal_html(answer: dict) -> str:
    items = "".join(
        f"<li>{_link(escape(a.get('title') or a['article_id']), a['article_id'], cls='nr-cite nr-title')}"
        f' <span class="nr-meta">{_meta(a.get("source"), a.get("date"))}</span></li>'
        for a in answer.get("closest", [])
    )
    label = escape(answer.get("closest_label") or refusal.closest_label(answer.get("language", "en")))
    closest = f'<p class="nr-closest-label">{label}</p><ul class="nr-closest">{items}</ul>' if items else ""
    return (
        f'<div class="nr-refusal"><p class="nr-refusal-text">{_text(answer["answer"])}</p>'
        f"{filter_html(answer)}{coverage_html(answer.get('coverage'))}{closest}</div>"
    )


def coverage_html(coverage: dict | None) -> str:
    """What a refused question was searched in: "Searched 1,399 articles dated 2019-02-26 to 2019-04-12
    (AD 812, Trouw 310, …)"."""
    if not coverage or not coverage.get("articles"):
        return ""
    first, last = coverage.get("first_date"), coverage.get("last_date")
    dated = f" dated {first} to {last}" if first and last else ""
    outlets = ", ".join(f"{o['name']} {o['articles']:,}" for o in coverage.get("outlets", []))
    return f'<p class="nr-coverage">Searched {coverage["articles"]:,} articles{escape(dated)}' + (
        f" ({escape(outlets)})</p>" if outlets else "</p>"
    )


def filter_html(answer: dict) -> str:
    """The filter the answer's search applied (dates, outlets), or "" when it searched every article."""
    text = describe(answer.get("filters"))
    return f'<p class="nr-filter">{escape(text)}</p>' if text else ""


def error_html(message: str) -> str:
    return f'<div class="nr-error">{_text(message)}</div>'


def busy_html(retry_after: int) -> str:
    return (
        '<div class="nr-error nr-busy">Many people are asking questions right now and the archive answers '
        f"one at a time. Please ask again in about {int(retry_after)} seconds.</div>"
    )


def timings_text(timings: dict[str, float]) -> str:
    labels = {
        "condense": "rewrite follow-up",
        "retrieve": "search",
        "ttft": "first token",
        "generate": "write",
        "verify": "check citations",
        "total": "total",
    }
    return " · ".join(f"{labels.get(k, k)} {v:.2f} s" for k, v in timings.items())


def source_view_html(article: Article | None, start: int = -1, end: int = -1, n: int = 0) -> str:
    """The article as text, the cited span [start, end) in a <mark id="nr-cited">; escaped throughout."""
    if article is None:
        return '<div class="nr-source-view nr-empty">This article is no longer in the store.</div>'
    text = article.text
    has_span = 0 <= start < end <= len(text)
    if has_span:
        body = f'{escape(text[:start])}<mark id="nr-cited">{escape(text[start:end])}</mark>{escape(text[end:])}'
    else:
        body = escape(text)
    label = f"Source [{n}]" if n else "Article"
    link = ""
    if article.url and article.url.startswith(("http://", "https://")):
        link = f' · <a href="{escape(article.url)}" target="_blank" rel="noopener noreferrer">original</a>'
    return (
        f'<div class="nr-source-view" data-article="{escape(article.id)}">'
        f'<div class="nr-source-label">{label}</div>'
        f'<h3 class="nr-source-title">{escape(article.title or article.id)}</h3>'
        f'<div class="nr-meta">{_meta(article.source, article.date)}{link}</div>'
        f'<div class="nr-article">{body}</div></div>'
    )


EMPTY_SOURCE_VIEW = (
    '<div class="nr-source-view nr-empty">Click a citation marker such as [1], or a source under an answer, '
    "to read the article with the cited passage highlighted.</div>"
)
