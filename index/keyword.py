"""The BM25 index of the chunk texts: a Tantivy index in a folder beside the catalog, keyed by chunk id.

Tantivy (Lucene's design, in Rust) ranks a disjunction of words with block-max WAND, so the cost of a top-k
query grows far slower than the posting lists it skips, and its search releases the GIL, so BM25 runs beside
dense search (`index.search.dense_and_bm25`). SQLite FTS5, which the catalog used before, scores every chunk
a query word matches: at 100k chunks that was the slower half of hybrid search, and it grows linearly.

The catalog stays the source of truth: it writes here after its own transaction and records a generation
number in both places, so an index that missed a write (a crash between the two) is rebuilt from the
catalog when it is opened. Tokens: runs of letters and digits, lowercased, diacritics folded (the catalog's
FTS5 `unicode61 remove_diacritics 2` did the same).

Not handled here: which query words to use (`index.catalog`), and the chunk texts themselves (SQLite).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_ANALYZER = "newsrag"
_WRITER_HEAP = 64_000_000  # bytes of buffered documents before Tantivy flushes a segment


def fold(word: str) -> str:
    """A query word as the index spells it: lowercase, diacritics removed ("één" -> "een")."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class KeywordIndex:
    """One Tantivy index folder. Writes open a writer for the batch and release its lock after the commit,
    so `newsrag ingest` can write while a server searches the same folder."""

    def __init__(self, path: Path) -> None:
        import tantivy

        self.path = path
        self._tantivy = tantivy
        self._lock = threading.RLock()
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("text", stored=False, tokenizer_name=_ANALYZER)
        self._schema = builder.build()
        self._index = self._open()

    def _open(self) -> Any:
        tantivy = self._tantivy
        self.path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(self._schema, path=str(self.path))
        analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .build()
        )
        index.register_tokenizer(_ANALYZER, analyzer)
        return index

    # --- writes
    def upsert(self, rows: Iterable[tuple[str, str]], generation: int | None = None) -> None:
        """(chunk_id, text) rows, replacing any chunk of the same id; one commit for all of them."""
        with self._lock:
            writer = self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            for chunk_id, text in rows:
                writer.delete_documents("id", chunk_id)
                writer.add_document(self._tantivy.Document(id=chunk_id, text=text))
            self._commit(writer, generation)

    def delete(self, ids: Sequence[str], generation: int | None = None) -> None:
        with self._lock:
            writer = self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            for chunk_id in ids:
                writer.delete_documents("id", chunk_id)
            self._commit(writer, generation)

    def rebuild(self, rows: Iterable[tuple[str, str]], generation: int) -> int:
        """Replace the whole index with `rows` (streamed); returns how many were indexed."""
        with self._lock:
            writer = self._index.writer(heap_size=4 * _WRITER_HEAP, num_threads=1)
            writer.delete_all_documents()
            count = 0
            for chunk_id, text in rows:
                writer.add_document(self._tantivy.Document(id=chunk_id, text=text))
                count += 1
            self._commit(writer, generation)
            return count

    def _commit(self, writer: Any, generation: int | None) -> None:
        writer.commit()
        writer.wait_merging_threads()  # also releases the writer's lock on the folder
        if generation is not None:
            (self.path / "generation").write_text(str(generation))
        self._index.reload()

    # --- reads
    def generation(self) -> int | None:
        """The catalog generation this index was last brought up to; None when unknown."""
        try:
            return int((self.path / "generation").read_text())
        except (OSError, ValueError):
            return None

    def count(self) -> int:
        return self._index.searcher().num_docs

    def doc_freq(self, word: str) -> int:
        """Chunks holding `word` (folded as the index folds it)."""
        return self._index.searcher().doc_freq("text", fold(word))

    def search(self, words: Sequence[str], k: int) -> list[tuple[str, float]]:
        """The top-k (chunk_id, BM25 score) for any of `words`, best first."""
        if not words:
            return []
        query = self._index.parse_query(" OR ".join(f'"{w}"' for w in words), ["text"])
        searcher = self._index.searcher()
        hits = searcher.search(query, k).hits
        return [(searcher.doc(address)["id"][0], float(score)) for score, address in hits]
