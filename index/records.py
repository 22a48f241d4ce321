"""Records passed between the stages: `Article`, `Chunk`, `Hit`, `LoadError`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Article:
    """One news article, as loaded from any supported format."""

    id: str
    text: str
    title: str = ""
    date: str | None = None  # ISO 8601, partial allowed ("2020-10")
    url: str | None = None
    source: str | None = None  # outlet / publisher
    lang: str | None = None  # ISO 639-1
    path: str | None = None  # where it was loaded from (for messages)
    author: str | None = None  # kept in the catalog; not part of the passages' metadata

    @property
    def content_hash(self) -> str:
        """SHA-256 over everything that ends up in the store, so a metadata edit counts as a change."""
        h = hashlib.sha256()
        for part in (self.id, self.title, self.date, self.url, self.source, self.lang, self.text):
            h.update((part or "").encode("utf-8"))
            h.update(b"\x1f")
        if self.author:  # hashed only when set, so the hashes of articles without one stay as they were
            h.update(f"author:{self.author}".encode())
        return h.hexdigest()


@dataclass(frozen=True)
class Chunk:
    """A passage of an article. `start`/`end` are character offsets into `Article.text`."""

    article_id: str
    index: int
    start: int
    end: int
    text: str  # the raw span: article.text[start:end]
    embed_text: str  # what is embedded and keyword-indexed: header + text
    metadata: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """A search result: one chunk with its score and article metadata."""

    chunk_id: str
    score: float
    article_id: str
    chunk_index: int
    title: str
    date: str | None
    url: str | None
    source: str | None
    lang: str | None
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class LoadError:
    """A bad input item, reported and skipped (or fatal with --strict)."""

    path: str
    line: int | None
    error: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.error}"


@dataclass(frozen=True)
class Refused(LoadError):
    """A file deliberately not loaded (a symbolic link leading outside the corpus folder). Reported like
    any error, but not a read failure: `--prune` removes what an earlier run stored from it."""
