"""The HTTP API's request and response bodies (pydantic), documented in the OpenAPI schema at /docs.

`AnswerOut` mirrors `rag.records.Answer.as_dict()`, the JSON of `newsrag ask --json`; a test checks that
they keep the same keys.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model, field_validator, model_validator

from index.records import Article
from rag.retrieval import Filters
from ui.feedback import FIELD_CHARS, LIST_ITEMS, OTHER_CHARS
from ui.filters import ISO_DATE, check_date, check_range

# The Assistant reads at most the first 2,000 characters of a turn (`rag.answer.Assistant._turns`, which keeps
# 600 of them without markers); a question is at most 1,000 and an answer ~160 tokens, so a real turn fits.
MAX_TURN_CHARS = 2_000


class RequestBody(BaseModel):
    """A request body: unknown fields are an error, and so is text UTF-8 cannot encode. A lone surrogate
    ("\\ud800") is valid JSON but no character; it would fail wherever the text is encoded later (the
    embedder, the store, the feedback file, the reply)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _encodable(cls, value: object) -> object:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and not text.isascii():
                try:
                    text.encode()
                except UnicodeEncodeError as e:
                    found = text[e.start].encode("unicode_escape").decode()
                    raise ValueError(f"Expected text, got a lone surrogate ({found}) at character {e.start}") from None
        return value


class TurnIn(RequestBody):
    """One earlier message of the conversation."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class FiltersIn(RequestBody):
    """Restrict the articles searched: ISO dates (partial allowed, inclusive; "2020-10" is all of October)
    and outlets. A date that is not in the calendar, or a range that ends before it starts, is a 422."""

    model_config = ConfigDict(extra="forbid")
    date_from: str | None = Field(None, pattern=ISO_DATE, examples=["2020-10"])
    date_to: str | None = Field(None, pattern=ISO_DATE, examples=["2020-12-31"])
    sources: list[str] = Field(default_factory=list, max_length=50, examples=[["NOS"]])

    @field_validator("date_from", "date_to")
    @classmethod
    def _in_calendar(cls, value: str | None) -> str | None:
        return None if value is None else check_date(value)

    @model_validator(mode="after")
    def _in_order(self) -> FiltersIn:
        check_range(self.date_from, self.date_to)
        return self

    def to_filters(self) -> Filters:
        return Filters(date_from=self.date_from, date_to=self.date_to, sources=tuple(self.sources))


class AskIn(RequestBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"question": "who mediated in Moscow?"}]})
    question: str = Field(description="The question, in any language.")
    history: list[TurnIn] = Field(
        default_factory=list, max_length=100, description="Earlier turns, oldest first (for follow-ups)."
    )
    filters: FiltersIn | None = None


_OFFSET = (
    "An offset into the article text in Unicode code points (Python string indices), not UTF-16 code units: "
    "in JavaScript, convert before slicing (an emoji is one code point but two units)."
)


class CitationOut(BaseModel):
    n: int = Field(description="The [n] marker in the answer text.")
    article_id: str
    title: str
    date: str | None
    url: str | None
    source: str | None = Field(description="The outlet.")
    quote: str = Field(description="The cited span: article text [start, end).")
    start: int = Field(description=_OFFSET)
    end: int = Field(description=_OFFSET)
    supported: bool
    score: float


class SentenceOut(BaseModel):
    text: str
    citations: list[int]
    supported: bool
    score: float


class FiltersOut(BaseModel):
    """The filter an answer's search applied: the request's `filters`, or dates read from the question."""

    model_config = ConfigDict(extra="allow")  # a key the Assistant adds is passed on, not dropped
    date_from: str | None = Field(None, description="ISO date (partial allowed), inclusive.")
    date_to: str | None = Field(None, description="ISO date (partial allowed), inclusive.")
    sources: list[str] = Field(default_factory=list, description="Outlets; empty means all.")


class AnswerOut(BaseModel):
    """The same JSON as `newsrag ask --json`."""

    question: str
    answer: str
    refused: bool
    language: str
    citations: list[CitationOut]
    sentences: list[SentenceOut]
    closest: list[dict] = Field(description="On refusal: the nearest articles (article_id, title, date, ...).")
    closest_label: str = Field(
        "", description="On refusal: the heading above the closest articles, in the answer's language."
    )
    refusal: dict | None = Field(
        None, description="On refusal: the gate that refused, the model's draft answer and the gate's evidence."
    )
    coverage: dict | None = Field(
        None,
        description="On refusal: what was searched: the number of articles, the first and last article date "
        "and the largest outlets ({articles, first_date, last_date, outlets: [{name, articles}]}).",
    )
    timings: dict[str, float] = Field(description="Seconds per stage: condense, retrieve, ttft, generate, ...")
    filters: FiltersOut | None = Field(
        None, description="The filter the search applied (dates, outlets); null when it searched every article."
    )


# The fields of an `index.records.Article` the API shows, in this order, each with the record's type and
# required (the record's `path`, where the server loaded it from, stays on the server).
ARTICLE_FIELDS = ("id", "title", "date", "url", "source", "lang", "text")
_TYPES = get_type_hints(Article)
_REQUIRED: dict[str, Any] = {name: (_TYPES[name], ...) for name in ARTICLE_FIELDS}
ArticleOut = create_model(
    "ArticleOut",
    __doc__="An article's text and metadata, for the source view (citation offsets index `text`).",
    __module__=__name__,
    **_REQUIRED,
)


class FeedbackIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    rating: Literal["up", "down"]
    # the bounds of a feedback record (ui.feedback), so nothing is cut silently
    question: str = Field(max_length=FIELD_CHARS["question"])
    answer: str = Field(max_length=FIELD_CHARS["answer"])
    article_ids: list[Annotated[str, StringConstraints(max_length=OTHER_CHARS)]] = Field(
        default_factory=list, max_length=LIST_ITEMS
    )
    comment: str | None = Field(None, max_length=FIELD_CHARS["comment"])


class ErrorOut(BaseModel):
    detail: str


class BusyOut(BaseModel):
    """A 429: try again after `retry_after` seconds (also in the `Retry-After` header)."""

    detail: str
    reason: Literal["busy", "rate_limited"]
    retry_after: int
