"""A store of its own for each evaluated corpus, so runs on different corpora never mix.

The store lives in `<home>/eval/<key>/` (Chroma collection `<collection>-eval-<key>` when a Chroma server
is configured), where `key` hashes the resolved corpus paths and the embedding model with its backend (so
a run with another model or backend builds a store of its own instead of failing on the first one). Ingestion is the normal idempotent one with
pruning: a second run on an unchanged corpus embeds nothing, and articles removed from the corpus files
leave the store. Not handled: two corpora given in another order get another store (paths are sorted, so
only the set of paths counts). The edge (`ui.wiring.corpus_settings`) points the configuration at that store.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from index.ingest import IngestReport
from index.store import HybridStore

log = logging.getLogger(__name__)


def corpus_key(paths: Sequence[Path], model: str = "") -> str:
    """12 hex digits naming the set of resolved corpus paths (and the embedding model, when given)."""
    joined = "\n".join(sorted(str(Path(p).resolve()) for p in paths))
    if model:
        joined += f"\nmodel: {model}"
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:12]


def ingest_corpus(
    home: Path,
    paths: Sequence[Path],
    store: HybridStore,
    embeddings,
    *,
    max_bytes: int,
    max_tokens: int,
    batch_chunks: int,
    progress: bool = True,
) -> IngestReport:
    """Bring the corpus' own store (in `home`, keyed by `corpus_key`) in line with `paths`.

    `max_bytes`, `max_tokens` and `batch_chunks` are those of `newsrag ingest` (file size, chunk size, batch).
    """
    from index.ingest import ingest_paths

    home.mkdir(parents=True, exist_ok=True)
    (home / "corpus.json").write_text(
        json.dumps({"paths": sorted(str(Path(p).resolve()) for p in paths)}, indent=2), encoding="utf-8"
    )
    report = ingest_paths(
        paths,
        store,
        home,
        embeddings,
        max_bytes=max_bytes,
        max_tokens=max_tokens,
        prune=True,
        batch_chunks=batch_chunks,
        progress=progress,
    )
    log.info("corpus %s: %s", home, report.summary())
    return report
