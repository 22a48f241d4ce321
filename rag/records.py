"""Records of an answer: the numbered `Source`s given to the model, `Citation`s, `Answer`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index.records import Hit


@dataclass(frozen=True)
class Source:
    """A retrieved passage as shown to the model under number `n` (1-based).

    `excerpt` is what the model reads when it is not the whole passage (`rag.focus`); citations, quotes
    and spans always refer to `hit`.
    """

    n: int
    hit: Hit
    excerpt: str | None = None

    @property
    def text(self) -> str:
        return (self.excerpt if self.excerpt is not None else self.hit.text).strip()


@dataclass(frozen=True)
class Citation:
    """A source the answer cites, renumbered in order of first use; `quote` spans article text [start, end)."""

    n: int
    article_id: str
    title: str
    date: str | None
    url: str | None
    source: str | None
    quote: str
    start: int
    end: int
    supported: bool
    score: float
    chunk_id: str = ""


@dataclass(frozen=True)
class SentenceCheck:
    """One answer sentence, the citations it carries, and whether they support it."""

    text: str
    citations: list[int]
    supported: bool
    score: float


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    language: str
    citations: list[Citation] = field(default_factory=list)
    sentences: list[SentenceCheck] = field(default_factory=list)
    closest: list[dict] = field(default_factory=list)  # on refusal: nearest articles (title, date, ...)
    closest_label: str = ""  # on refusal: the heading above them, in the answer's language
    # on refusal: what was searched, `index.catalog.Catalog.coverage` (articles, first and last date, outlets)
    coverage: dict | None = None
    # on refusal: which gate refused ("retrieval", "model", "verification", ...), the model's draft answer
    # (empty when no model ran) and that gate's evidence (its scores and thresholds)
    refusal: dict | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # the filter the search applied, {"date_from", "date_to", "sources"}, from the request or read from the
    # question; None when the whole archive was searched (the ui layer fills it from the request if unset)
    filters: dict | None = None

    def as_dict(self) -> dict:
        out = asdict(self)
        out["citations"] = [
            {
                k: c[k]
                for k in (
                    "n",
                    "article_id",
                    "title",
                    "date",
                    "url",
                    "source",
                    "quote",
                    "start",
                    "end",
                    "supported",
                    "score",
                )
            }
            for c in out["citations"]
        ]
        out["timings"] = {k: round(v, 3) for k, v in self.timings.items()}
        return out
