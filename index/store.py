"""The store: a Chroma collection (dense) and the SQLite catalog (articles, BM25), written together.

`HybridStore` is a LangChain `VectorStore`, so LangChain's indexing API (`index.ingest`) drives it: every
`add_documents` upserts into Chroma and the catalog under the same ids, every `delete` removes from both.

The collection records the embedding model, its dimension and a store id. Opening it with another model is
a `StoreError`, never silent mixing. The catalog and the ingest records remember the store id they belong
to; when the collection is new (deleted, or a new Chroma server) they are reset, so nothing is skipped
because of records of a store that no longer exists.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from index.catalog import Catalog
from index.errors import StoreError
from index.records import Hit

log = logging.getLogger(__name__)

STORE_SCHEMA = 1
MAX_VECTOR_BATCH = 4096  # rows per Chroma write in `HybridStore.add_vectors` (the client's limit, if lower)


def chroma_client(home: Path, url: str | None) -> Any:
    """A Chroma client: `HttpClient` for a server URL, else a `PersistentClient` in home/chroma."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if url:
            u = urlparse(url)
            if u.scheme not in ("http", "https") or not u.hostname:
                raise StoreError(f"NEWSRAG_CHROMA_URL must look like http://HOST:PORT, got {url!r}")
            return chromadb.HttpClient(host=u.hostname, port=u.port or 8000, ssl=u.scheme == "https", settings=settings)
        path = home / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except StoreError:
        raise
    except Exception as e:  # chromadb raises many types for a bad store or an unreachable server
        where = url or str(home / "chroma")
        raise StoreError(
            f"Cannot open the Chroma store at {where}: {e}. If the store is corrupted or from another "
            "version, rebuild it with `newsrag ingest --rebuild`; for a server, check that it runs."
        ) from e


class HybridStore(VectorStore):
    """Chroma + catalog behind one `VectorStore`; `dense()` and `bm25()` return `Hit`s.

    `client` is the chromadb client of the collection (its batch limit bounds `add_vectors`' writes).
    """

    def __init__(
        self, chroma: Any, catalog: Catalog, embeddings: Embeddings, store_id: str, client: Any = None
    ) -> None:
        self.chroma = chroma
        self.catalog = catalog
        self._embeddings = embeddings
        self.store_id = store_id
        self.client = client

    @property
    def embeddings(self) -> Embeddings:
        return self._embeddings

    # --- writes (driven by the indexing API)
    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        ids = kwargs.get("ids") or [d.id or str(uuid.uuid4()) for d in documents]
        self.chroma.add_documents(documents, ids=ids)
        self.catalog.upsert_chunks(
            (i, d.metadata["article_id"], d.page_content, d.metadata) for i, d in zip(ids, documents, strict=True)
        )
        return list(ids)

    def add_vectors(self, ids: list[str], vectors: list[Any], texts: list[str], metadatas: list[dict]) -> None:
        """Add chunks whose vectors are already computed (copies of stored chunks, say) to Chroma and the
        catalog, as they are: the embedder is not called. `texts` are the embedded texts, as `add_documents`
        stores them; each metadata needs its `article_id`."""
        batch = MAX_VECTOR_BATCH
        if self.client is not None:
            batch = min(batch, self.client.get_max_batch_size())
        collection = self.chroma._collection
        for first in range(0, len(ids), batch):
            part = slice(first, first + batch)
            collection.add(ids=ids[part], embeddings=vectors[part], documents=texts[part], metadatas=metadatas[part])
        self.catalog.upsert_chunks((i, m["article_id"], t, m) for i, t, m in zip(ids, texts, metadatas, strict=True))

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None, **kwargs: Any) -> list[str]:
        texts = list(texts)
        metas = metadatas or [{} for _ in texts]
        docs = [Document(page_content=t, metadata=m) for t, m in zip(texts, metas, strict=True)]
        return self.add_documents(docs, **kwargs)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        if ids:
            self.chroma.delete(ids=list(ids))
            self.catalog.delete_chunks(ids)
        return True

    # --- reads
    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return self.chroma.similarity_search(query, k=k, **kwargs)

    def dense(self, query: str, k: int, where: dict | None = None) -> list[Hit]:
        vector = self._embeddings.embed_query(query)
        return self.dense_by_vector(vector, k, where)

    def dense_by_vector(self, vector: list[float], k: int, where: dict | None = None) -> list[Hit]:
        results = self.chroma.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        # cosine space: distance = 1 - cosine similarity
        return [_hit(doc.id, 1.0 - dist, doc.page_content, doc.metadata) for doc, dist in results]

    def bm25(self, query: str, k: int) -> list[Hit]:
        return [_hit(cid, score, text, meta) for cid, score, text, meta in self.catalog.bm25(query, k)]

    # --- rankings without the chunks, for fusion: the texts of only the fused winners are read
    def dense_ids(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity), best first; Chroma returns no documents or metadata for them,
        which at k=30 costs more than its nearest-neighbour search."""
        vector = self._embeddings.embed_query(query)
        got = self.chroma._collection.query(query_embeddings=[vector], n_results=k, include=["distances"])
        return [(cid, 1.0 - dist) for cid, dist in zip(got["ids"][0], got["distances"][0], strict=True)]

    def bm25_ids(self, query: str, k: int) -> list[tuple[str, float]]:
        return self.catalog.bm25_ids(query, k)

    def hits(self, ranked: list[tuple[str, float]]) -> list[Hit]:
        """`Hit`s for (chunk_id, score) pairs, read from the catalog in one query, in the same order
        (a chunk the catalog does not hold, half-written by an interrupted ingest, is left out)."""
        found = self.catalog.chunks([cid for cid, _ in ranked])
        return [_hit(cid, score, *found[cid]) for cid, score in ranked if cid in found]

    def count(self) -> int:
        return self.chroma._collection.count()

    @classmethod
    def from_texts(cls, *args: Any, **kwargs: Any) -> HybridStore:
        raise NotImplementedError("Open a store with index.store.open_store()")


def _hit(chunk_id: str | None, score: float, embed_text: str, meta: dict) -> Hit:
    head = int(meta.get("header_len", 0))
    return Hit(
        chunk_id=chunk_id or "",
        score=float(score),
        article_id=str(meta.get("article_id", "")),
        chunk_index=int(meta.get("chunk_index", 0)),
        title=str(meta.get("title", "")),
        date=meta.get("date"),
        url=meta.get("url"),
        source=meta.get("source"),
        lang=meta.get("lang"),
        text=embed_text[head:],
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
    )


def open_store(
    home: Path,
    *,
    embeddings: Embeddings,
    model_name: str,
    dimension: int,
    collection: str = "newsrag",
    chroma_url: str | None = None,
    rebuild: bool = False,
) -> HybridStore:
    """Open (creating if needed) the collection and catalog, checking that they belong together."""
    from langchain_chroma import Chroma

    catalog_path = home / "catalog.sqlite"
    if rebuild:
        _drop(home, chroma_url, collection)
        for p in (catalog_path, home / "records.sqlite"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{p}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(home / "catalog.bm25", ignore_errors=True)  # index.keyword's folder
    client = chroma_client(home, chroma_url)
    existing = _get_collection(client, collection, chroma_url or str(home))
    if existing is not None:
        meta = existing.metadata or {}
        if meta.get("embed_model") != model_name or int(meta.get("embed_dim", -1)) != dimension:
            raise StoreError(
                f"The collection {collection!r} was built with embedding model {meta.get('embed_model')!r} "
                f"(dimension {meta.get('embed_dim')}), but the configured model is {model_name!r} "
                f"(dimension {dimension}). Use the original model and backend (NEWSRAG_EMBED_MODEL, "
                "NEWSRAG_EMBED_BACKEND), another NEWSRAG_HOME / NEWSRAG_COLLECTION, or rebuild with "
                "`newsrag ingest --rebuild`."
            )
        if int(meta.get("newsrag_schema", -1)) != STORE_SCHEMA:
            raise StoreError(
                f"The collection {collection!r} was built by another newsrag version "
                f"(schema {meta.get('newsrag_schema')}, expected {STORE_SCHEMA}); "
                "rebuild it with `newsrag ingest --rebuild`."
            )
        store_id = str(meta["store_id"])
    else:
        _refuse_taken_catalog(client, catalog_path, collection)
        store_id = uuid.uuid4().hex
    chroma = Chroma(
        collection_name=collection,
        embedding_function=embeddings,
        client=client,
        collection_metadata={
            "embed_model": model_name,
            "embed_dim": dimension,
            "newsrag_schema": STORE_SCHEMA,
            "store_id": store_id,
        },
        collection_configuration={"hnsw": {"space": "cosine"}},
    )
    catalog = Catalog(catalog_path)
    if catalog.get_meta("store_id") != store_id:
        if catalog.count_articles():
            log.warning("catalog %s belongs to another store; resetting it", catalog_path)
        catalog.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{catalog_path}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(home / "catalog.bm25", ignore_errors=True)
        catalog = Catalog(catalog_path)
        catalog.set_meta("store_id", store_id)
        catalog.set_meta("embed_model", model_name)
    return HybridStore(chroma, catalog, embeddings, store_id, client=client)


def _refuse_taken_catalog(client: Any, catalog_path: Path, collection: str) -> None:
    """StoreError when the data directory's catalog belongs to another collection there: a new collection
    would reset it, and that collection would lose its articles and keyword index."""
    if not catalog_path.exists():
        return
    catalog = Catalog(catalog_path)
    try:
        owner = catalog.get_meta("store_id")
        articles = catalog.count_articles()
    finally:
        catalog.close()
    if not owner or not articles:
        return
    for other in client.list_collections():
        if (getattr(other, "metadata", None) or {}).get("store_id") == owner:
            raise StoreError(
                f"The data directory {catalog_path.parent} holds the collection {other.name!r} "
                f"({articles} articles); the collection {collection!r} needs a data directory of its own "
                f"(another NEWSRAG_HOME), or use NEWSRAG_COLLECTION={other.name}."
            )


def _get_collection(client: Any, name: str, where: str) -> Any:
    try:
        names = {getattr(c, "name", c) for c in client.list_collections()}
        return client.get_collection(name) if name in names else None
    except Exception as e:
        raise StoreError(
            f"Cannot read the Chroma store at {where}: {e}. Rebuild it with `newsrag ingest --rebuild`."
        ) from e


def _drop(home: Path, chroma_url: str | None, name: str) -> None:
    """Delete the collection; an embedded store too damaged to open is deleted as a whole."""
    try:
        client = chroma_client(home, chroma_url)
        names = {getattr(c, "name", c) for c in client.list_collections()}
        if name in names:
            client.delete_collection(name)
        return
    except Exception as e:
        if chroma_url:
            raise StoreError(f"Cannot drop collection {name!r} on the Chroma server {chroma_url}: {e}") from e
    from chromadb.api.client import SharedSystemClient

    log.warning("the Chroma store in %s cannot be opened; deleting it to rebuild", home / "chroma")
    SharedSystemClient.clear_system_cache()  # chromadb caches one client per path in the process
    shutil.rmtree(home / "chroma", ignore_errors=True)


def store_size_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) if home.exists() else 0
