"""Keeping the store in sync with its sources: one ingest of files and URLs (`ingest_sources`), and the same
again every so often in a background thread (`Watch`, for `newsrag serve` with `NEWSRAG_WATCH_URLS`).
`newsrag ingest --watch` runs its loop in the foreground with the same `ingest_sources`.

A URL's validators (ETag / Last-Modified, `index.fetch.Validators`) are saved after the ingest that stored
its article, so a run killed half-way fetches the rest in full next time.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from index.ingest import IngestReport
from index.store import HybridStore
from ui.settings import Settings

log = logging.getLogger(__name__)

VALIDATORS_FILE = "web-validators.json"


def ingest_sources(
    settings: Settings,
    store: HybridStore,
    embeddings: Any,
    paths: list[Path],
    urls: list[str],
    *,
    prune: bool = False,
    strict: bool = False,
    progress: bool = True,
) -> IngestReport:
    """One idempotent ingest of the files and folders `paths` and the feeds, sitemaps and pages `urls`
    (`index.ingest.ingest_paths`, as for files alone)."""
    from index.fetch import Validators
    from index.ingest import ingest_paths
    from index.web import load_web
    from ui import wiring

    validators = Validators(settings.home / VALIDATORS_FILE)
    with wiring.fetcher(settings) as fetcher:
        known = store.catalog.get_article
        web = load_web(urls, fetcher, validators, known, max_links=settings.fetch_max_links) if urls else ()
        report = ingest_paths(
            paths,
            store,
            settings.home,
            embeddings,
            also=web,
            max_bytes=int(settings.max_file_mb * 2**20),
            max_tokens=settings.chunk_max_tokens,
            prune=prune,
            strict=strict,
            batch_chunks=settings.ingest_batch_chunks,
            progress=progress,
        )
    validators.save()
    return report


class Watch:
    """`NEWSRAG_WATCH_URLS` ingested every `NEWSRAG_WATCH_EVERY` in a daemon thread, until `stop()`.
    A failed run is logged and the next one tried; nothing it does blocks the server's requests."""

    def __init__(self, settings: Settings, store: HybridStore, embeddings: Any) -> None:
        from ui.server_settings import parse_every

        self.settings, self.store, self.embeddings = settings, store, embeddings
        self.urls = list(settings.watch_urls)
        self.every = parse_every(settings.watch_every)
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="newsrag-watch", daemon=True)

    def start(self) -> Watch:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end; a run in progress finishes in the background (the thread is a daemon)."""
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = ingest_sources(self.settings, self.store, self.embeddings, [], self.urls, progress=False)
                for error in report.errors:
                    log.warning("watch: skipped %s", error)
                log.info("watch: %s", report.summary())
            except Exception:  # the server must keep serving; the next run tries again
                log.exception("watch: the ingest of %s failed", ", ".join(self.urls))
            self.runs += 1
            self._stop.wait(self.every)
