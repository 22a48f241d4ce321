"""Idempotent ingestion: articles → chunks → `HybridStore`, driven by LangChain's indexing API.

An article is skipped without chunking or embedding when its index hash (content hash + chunker settings)
is the one the catalog recorded. Changed articles go through `langchain_core.indexing.index` with
incremental cleanup: their new chunks are upserted and their stale ones deleted. The catalog records the
article last, so a run killed at any point converges on the next run to the store one clean run builds.

Articles stream through: one batch of about `batch_chunks` chunks is in memory at a time, plus the ids and
index hashes of the stored articles, so ingest memory does not grow with the corpus (`--strict` is the
exception: it checks every item before writing any).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import chain
from pathlib import Path

from langchain_core.documents import Document

from index.chunking import TokenStarts, chunk_article
from index.errors import CorpusError
from index.records import Article, LoadError, Refused
from index.store import HybridStore

log = logging.getLogger(__name__)

CHUNKER_VERSION = 1


@dataclass
class IngestReport:
    articles_seen: int = 0
    articles_added: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    articles_removed: int = 0
    chunks_embedded: int = 0
    errors: list[LoadError] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        out = asdict(self)
        out["errors"] = [asdict(e) for e in self.errors]
        out["seconds"] = round(self.seconds, 3)
        return out

    def summary(self) -> str:
        rate = self.chunks_embedded / self.seconds if self.seconds else 0.0
        return (
            f"{self.articles_seen} articles: {self.articles_added} added, {self.articles_updated} updated, "
            f"{self.articles_unchanged} unchanged, {self.articles_removed} removed; "
            f"{self.chunks_embedded} chunks embedded in {self.seconds:.1f} s ({rate:.1f} chunks/s); "
            f"{len(self.errors)} errors"
        )


def record_manager(home: Path, store: HybridStore):
    """The ingest records (LangChain `SQLRecordManager`), namespaced by the store they describe."""
    from langchain_classic.indexes import SQLRecordManager

    home.mkdir(parents=True, exist_ok=True)
    manager = SQLRecordManager(f"newsrag/{store.store_id}", db_url=f"sqlite:///{home / 'records.sqlite'}")
    manager.create_schema()
    return manager


def ingest_paths(
    paths: Sequence[Path],
    store: HybridStore,
    home: Path,
    embeddings,
    *,
    also: Iterable[Article | LoadError] = (),
    max_bytes: int = 50 * 2**20,
    max_tokens: int = 250,
    batch_chunks: int = 256,
    prune: bool = False,
    strict: bool = False,
    progress: bool = True,
) -> IngestReport:
    """What `newsrag ingest PATHS` does, for the CLI, the evaluation's corpus and the bench alike: load the
    files and folders (`index.loaders`) and `also` (articles from elsewhere: web sources, `index.web`), chunk
    by the embedder's tokenizer (by whitespace for an embedder without one), and bring `store` in line,
    recorded in the record manager in `home`."""
    from index.chunking import hf_token_starts, whitespace_token_starts
    from index.loaders import load_articles

    tokenizer = getattr(embeddings, "tokenizer", None)
    files = load_articles(list(paths), max_bytes=max_bytes) if paths else ()
    return ingest(
        chain(files, also),
        store,
        record_manager(home, store),
        token_starts=hf_token_starts(tokenizer) if tokenizer is not None else whitespace_token_starts,
        max_tokens=max_tokens,
        prune=prune,
        strict=strict,
        batch_chunks=batch_chunks,
        progress=progress,
    )


def ingest(
    items: Iterable[Article | LoadError],
    store: HybridStore,
    records,
    *,
    token_starts: TokenStarts,
    max_tokens: int = 250,
    prune: bool = False,
    strict: bool = False,
    batch_chunks: int = 256,
    progress: bool = True,
) -> IngestReport:
    """Bring the store in line with `items`; with `prune`, also remove articles not among them."""
    from langchain_core.indexing import index
    from tqdm import tqdm

    started = time.perf_counter()
    report = IngestReport()
    if strict:  # every item must be checked before anything is written: the one case that holds them all
        items = list(items)
        report.errors = [item for item in items if isinstance(item, LoadError)]
        if report.errors:
            raise CorpusError(
                f"{len(report.errors)} bad input item(s), nothing ingested (--strict):\n"
                + "\n".join(f"  {e}" for e in report.errors)
            )
    known = store.catalog.index_hashes()
    signature = f"chunker-{CHUNKER_VERSION}:{max_tokens}"
    seen: set[str] = set()

    def pending() -> Iterator[tuple[Article, str]]:
        """The changed articles, as they stream in; only ids are kept of the others (for --prune)."""
        for item in items:
            if isinstance(item, LoadError):
                report.errors.append(item)
                continue
            report.articles_seen += 1
            seen.add(item.id)
            ih = hashlib.sha256(f"{item.content_hash}:{signature}".encode()).hexdigest()
            if known.get(item.id) == ih:
                report.articles_unchanged += 1
            else:
                yield item, ih

    bar = tqdm(unit="article", desc="ingest", disable=not progress)
    for batch in _batches(pending(), token_starts, max_tokens, batch_chunks):
        docs = [Document(page_content=c.embed_text, metadata=c.metadata) for _, _, cs in batch for c in cs]
        result = index(
            docs,
            records,
            store,
            cleanup="incremental",
            source_id_key="article_id",
            batch_size=max(len(docs), 1),
            key_encoder="sha256",
        )
        report.chunks_embedded += result["num_added"]
        for article, ih, _ in batch:
            if article.id in known:
                report.articles_updated += 1
            else:
                report.articles_added += 1
            store.catalog.put_article(article, ih)
        bar.update(len(batch))
    bar.close()

    if prune:
        report.articles_removed = _prune(store, records, seen, report.errors)
    report.seconds = time.perf_counter() - started
    log.info(report.summary())
    return report


def _batches(
    pending: Iterable[tuple[Article, str]], token_starts: TokenStarts, max_tokens: int, batch_chunks: int
) -> Iterator[list[tuple[Article, str, list]]]:
    """Groups of whole articles holding about `batch_chunks` chunks (one embedding call each)."""
    batch: list[tuple[Article, str, list]] = []
    size = 0
    for article, ih in pending:
        chunks = chunk_article(article, token_starts, max_tokens=max_tokens)
        batch.append((article, ih, chunks))
        size += len(chunks)
        if size >= batch_chunks:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _prune(store: HybridStore, records, seen: set[str], errors: list[LoadError]) -> int:
    """Remove stored articles that are no longer in the source. Articles whose file failed to load this
    time are kept: a read error must never delete what is stored. A refused file (a link leaving the
    corpus folder) did not fail: what was stored from it is removed."""
    failed_paths = {e.path for e in errors if not isinstance(e, Refused)}
    removed = 0
    for article_id, path in store.catalog.article_paths().items():
        if article_id in seen or (path is not None and path in failed_paths):
            continue
        keys = records.list_keys(group_ids=[article_id])
        stale = sorted(set(keys) | set(store.catalog.chunk_ids(article_id)))
        store.delete(stale)
        records.delete_keys(keys)
        store.catalog.delete_article(article_id)
        removed += 1
    return removed
