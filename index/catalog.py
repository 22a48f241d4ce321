"""The SQLite catalog beside Chroma: articles (full text, metadata, hash), chunks, and their BM25 index.

Chunk rows use the same ids as the Chroma records; `index.store.HybridStore` writes both, and every write
here is an idempotent upsert or delete, so an interrupted ingest converges when it is run again.
BM25 ranking is the Tantivy index beside this file (`index.keyword`) over the chunk text with its header,
diacritics folded; each write here bumps a generation number that the index records after its commit, so
an index that missed a write is rebuilt from the chunks when the catalog is opened. (The FTS5 table and its
triggers are kept so that stores built before stay readable by this schema version; nothing queries them.)
A query word found in more than `COMMON_SHARE` of all chunks is left out of the match (the rarest words
are kept when all are that common): its BM25 weight is small, and it would make the query visit most of the
index. This is the "common terms" idea of Lucene.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

from index.errors import StoreError
from index.keyword import KeywordIndex
from index.records import Article

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, index_hash TEXT NOT NULL, path TEXT, record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL,
    text TEXT NOT NULL, metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
"""

# Words too common to help a keyword match, in the two languages the product targets.
STOPWORDS = frozenset(
    """a an and are as at be by did do does for from had has have how in is it its of on or that the this
    to was were what when where which who whom why will with de het een en van in is op te dat die voor
    met zijn er aan als bij ook om wat wie waar wanneer hoe waarom welke welk hij zij ze was werd worden
    door naar over uit tot nog dan maar of""".split()  # noqa: SIM905 - a word list reads best as words
)
_WORD = re.compile(r"\w+", re.UNICODE)
COMMON_SHARE = 0.1  # of all chunks; a query word in more of them is left out of the match
KEEP_RAREST = 2  # when every query word is that common, match on the rarest ones


def query_words(text: str) -> list[str]:
    """The question's distinct words without stopwords (all of them when only stopwords are left)."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
    return list(dict.fromkeys(words or _WORD.findall(text.lower())))


class Catalog:
    """One SQLite file; safe to share between threads of one process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._coverage: dict | None = None
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            found = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"The catalog {path} is not a readable SQLite database ({e}); "
                "rebuild the store with `newsrag ingest --rebuild`."
            ) from e
        if found is None:
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(found[0]) != SCHEMA_VERSION:
            raise StoreError(
                f"The catalog {path} has schema version {found[0]}, this newsrag expects {SCHEMA_VERSION}; "
                "rebuild the store with `newsrag ingest --rebuild`."
            )
        self.keyword = KeywordIndex(path.parent / f"{path.stem}.bm25")
        if self.keyword.generation() != self._generation():
            self._rebuild_keyword()

    def _generation(self) -> int:
        return int(self.get_meta("keyword_generation") or 0)

    def _bump_generation(self) -> int:
        """Inside a write transaction: the chunks changed; returns the new generation."""
        generation = self._generation() + 1
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('keyword_generation', ?)", (str(generation),))
        return generation

    def _rebuild_keyword(self) -> None:
        with self._lock:
            rows = self._db.execute("SELECT id, text FROM chunks ORDER BY rowid")
            count = self.keyword.rebuild(rows, self._generation())
        log.info("BM25 index %s rebuilt from the catalog: %d chunks", self.keyword.path, count)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- meta
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- articles
    def index_hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT id, index_hash FROM articles"))

    def article_paths(self) -> dict[str, str | None]:
        return dict(self._db.execute("SELECT id, path FROM articles"))

    def put_article(self, article: Article, index_hash: str) -> None:
        record = json.dumps(asdict(article), ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?)",
                (article.id, index_hash, article.path, record),
            )

    def get_article(self, article_id: str) -> Article | None:
        row = self._db.execute("SELECT record FROM articles WHERE id=?", (article_id,)).fetchone()
        return Article(**json.loads(row[0])) if row else None

    def delete_article(self, article_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM articles WHERE id=?", (article_id,))

    def count_articles(self) -> int:
        return self._db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def coverage(self, outlets: int = 5) -> dict:
        """What the archive holds: its number of articles, the first and last article date, and the
        `outlets` largest outlets with their article counts. Cached until the number of articles changes."""
        n = self.count_articles()
        if self._coverage is not None and self._coverage["articles"] == n:
            return self._coverage
        first, last = self._db.execute(
            "SELECT min(json_extract(record, '$.date')), max(json_extract(record, '$.date')) FROM articles"
        ).fetchone()
        top = self._db.execute(
            "SELECT json_extract(record, '$.source') AS outlet, count(*) FROM articles WHERE outlet IS NOT NULL "
            "GROUP BY outlet ORDER BY count(*) DESC, outlet LIMIT ?",
            (outlets,),
        ).fetchall()
        self._coverage = {
            "articles": n,
            "first_date": first,
            "last_date": last,
            "outlets": [{"name": name, "articles": count} for name, count in top],
        }
        return self._coverage

    # --- chunks
    def upsert_chunks(self, rows: Iterable[tuple[str, str, str, dict]]) -> None:
        """rows: (chunk_id, article_id, text, metadata)."""
        with self._lock:
            texts: list[tuple[str, str]] = []
            with self._db:
                self._db.execute("BEGIN")
                for chunk_id, article_id, text, meta in rows:
                    self._db.execute("DELETE FROM chunks WHERE id=?", (chunk_id,))
                    self._db.execute(
                        "INSERT INTO chunks(id, article_id, text, metadata) VALUES (?, ?, ?, ?)",
                        (chunk_id, article_id, text, json.dumps(meta, ensure_ascii=False)),
                    )
                    texts.append((chunk_id, text))
                generation = self._bump_generation()
            self.keyword.upsert(texts, generation)

    def delete_chunks(self, ids: Sequence[str]) -> None:
        with self._lock:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("DELETE FROM chunks WHERE id=?", [(i,) for i in ids])
                generation = self._bump_generation()
            self.keyword.delete(ids, generation)

    def chunk_ids(self, article_id: str | None = None) -> list[str]:
        if article_id is None:
            return [r[0] for r in self._db.execute("SELECT id FROM chunks ORDER BY id")]
        q = "SELECT id FROM chunks WHERE article_id=? ORDER BY id"
        return [r[0] for r in self._db.execute(q, (article_id,))]

    def _selective(self, words: list[str]) -> list[str]:
        """`words` without those in more than COMMON_SHARE of the chunks (or the KEEP_RAREST rarest)."""
        if len(words) < 2:
            return words
        df = {w: self.keyword.doc_freq(w) for w in words}
        limit = COMMON_SHARE * self.keyword.count()
        kept = [w for w in words if df[w] <= limit]
        return kept or sorted(words, key=df.__getitem__)[:KEEP_RAREST]

    def chunk_metadatas(self, limit: int | None = None) -> list[dict]:
        """The metadata of the first `limit` chunks (all when None), in the order they were stored."""
        count = -1 if limit is None else limit  # SQLite: a negative LIMIT is none
        rows = self._db.execute("SELECT metadata FROM chunks ORDER BY rowid LIMIT ?", (count,))
        return [json.loads(meta) for (meta,) in rows]

    def count_chunks(self) -> int:
        return self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def bm25_ids(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score), best first: the ranking alone, without reading the chunks."""
        return self.keyword.search(self._selective(query_words(query)), k)

    def chunks(self, ids: Sequence[str]) -> dict[str, tuple[str, dict]]:
        """chunk_id -> (text, metadata) for those of `ids` that are stored, in one query."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(f"SELECT id, text, metadata FROM chunks WHERE id IN ({marks})", list(ids))
        return {cid: (text, json.loads(meta)) for cid, text, meta in rows}

    def bm25(self, query: str, k: int) -> list[tuple[str, float, str, dict]]:
        """(chunk_id, score, text, metadata), best first; a chunk deleted since the search is left out."""
        ranked = self.bm25_ids(query, k)
        found = self.chunks([cid for cid, _ in ranked])
        return [(cid, score, *found[cid]) for cid, score in ranked if cid in found]
