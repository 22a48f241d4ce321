"""The baseline of `newsrag eval --baseline`: LangChain's tutorial RAG pipeline on the same prompts.

What it is: the articles split by `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`,
embedded with the assistant's own embeddings object (so e5's query/passage prefixes are the same), stored in
`langchain_chroma.Chroma`, a top-4 retriever, the hub prompt `rlm/rag-prompt` (`RAG_PROMPT`) as one human
message over the 4 passages joined by blank lines, and the assistant's own chat model object, streamed. The
model, the embeddings and the prompts are the same; only the pipeline differs.

Its store lives in a directory of its own (`<home>/baseline`, next to the eval store) and is rebuilt only
when the corpus files (paths, sizes, mtimes), the embedding model or the splitter change, so a second run
embeds nothing. Its cases are built and scored like ours (`runner.new_case`, `runner.add_ranking`,
`metrics.score_case`): hit@k and MRR come from its own 4 retrieved passages (so hit@5 is hit@4 there), every
retrieved passage is given to the model, timings use our stage names (`retrieve`, `ttft` from the start of
generation as ours, `generate`, `total`). An answer counts as a refusal when it says it does not know
(`refused`).

Not handled: conversation history. The tutorial pipeline is single-turn: a prompt with history is asked
its last question only. It has no citations (citation metrics are None) and no relevance gate
(`best_dense` is None).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from index.chunking import article_metadata
from index.errors import StoreError
from index.records import Article, Hit
from rag.evaluation.metrics import Case, score_case
from rag.evaluation.prompts import Prompt
from rag.evaluation.runner import EvalResult, add_ranking, new_case, run_cases
from rag.language import detect_language
from rag.refusal import model_refused

log = logging.getLogger(__name__)

# The text of LangChain hub prompt `rlm/rag-prompt` (one human message).
RAG_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context to "
    "answer the question. If you don't know the answer, just say that you don't know. Use three sentences "
    "maximum and keep the answer concise.\nQuestion: {question} \nContext: {context} \nAnswer:"
)
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
COLLECTION = "baseline"
BATCH = 64  # chunks per embedding call while building
DESCRIPTION = (
    f"RecursiveCharacterTextSplitter({CHUNK_SIZE}, {CHUNK_OVERLAP}), Chroma top-{TOP_K}, rlm/rag-prompt, "
    "the same embeddings and chat model; single-turn"
)

# "I don't know" in English or Dutch; `rag.refusal.model_refused` catches our own refusal phrasings too.
_DONT_KNOW = re.compile(r"\b(?:don['’]t|do not) know\b|\bweet (?:het|ik) niet\b|\bniet bekend\b", re.IGNORECASE)


def refused(answer: str) -> bool:
    """The baseline's answer says it does not know (or says the context does not contain it)."""
    return bool(_DONT_KNOW.search(answer)) or model_refused(answer)


# --- its store


def corpus_fingerprint(paths: Sequence[Path], embeddings: Embeddings) -> str:
    """Hash of every corpus file's path, size and mtime, the embedding model and the splitter settings."""
    files = []
    for path in sorted(Path(p).resolve() for p in paths):
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files += [Path(root) / n for n in sorted(names) if not n.startswith(".")]
        else:
            files.append(path)
    stats = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    key = {"files": stats, "embeddings": _embeddings_name(embeddings), "splitter": [CHUNK_SIZE, CHUNK_OVERLAP]}
    return hashlib.sha256(json.dumps(key).encode("utf-8")).hexdigest()


def open_store(
    directory: Path,
    paths: Sequence[Path],
    embeddings: Embeddings,
    *,
    max_bytes: int = 50 * 2**20,
    progress: bool = True,
) -> Any:  # langchain_chroma.Chroma
    """The baseline's Chroma store in `directory`, (re)built from `paths` when missing or out of date."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    directory.mkdir(parents=True, exist_ok=True)
    try:
        store = Chroma(
            collection_name=COLLECTION,
            embedding_function=embeddings,
            persist_directory=str(directory),
            client_settings=ChromaSettings(anonymized_telemetry=False),  # no network call: offline machines
        )
    except Exception as e:  # chromadb raises many types for a bad store
        raise StoreError(
            f"Cannot open the baseline store at {directory}: {e}. Delete that folder to rebuild it."
        ) from e
    marker = directory / "built.json"
    fingerprint = corpus_fingerprint(paths, embeddings)
    built = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else {}
    if built.get("fingerprint") == fingerprint:
        log.info("baseline store %s is up to date (%s chunks)", directory, built.get("chunks"))
        return store
    marker.unlink(missing_ok=True)  # a build killed halfway is rebuilt next time
    store.reset_collection()
    splits = split_articles(paths, max_bytes)
    _add(store, splits, progress)
    marker.write_text(json.dumps({"fingerprint": fingerprint, "chunks": len(splits)}), encoding="utf-8")
    log.info("baseline store %s built: %d chunks", directory, len(splits))
    return store


def split_articles(paths: Sequence[Path], max_bytes: int) -> list[Document]:
    """The tutorial's splitter over the articles `index.loaders` reads from `paths` (bad items skipped)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from index.loaders import load_articles

    docs, errors = [], 0
    for item in load_articles(list(paths), max_bytes=max_bytes):
        if isinstance(item, Article):
            docs.append(Document(page_content=item.text, metadata=article_metadata(item)))
        else:
            errors += 1
    if errors:
        log.warning("baseline: %d bad corpus item(s) skipped (newsrag ingest reports them)", errors)
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    splits = splitter.split_documents(docs)
    counts: dict[str, int] = {}
    for doc in splits:  # stable ids: article id and the chunk's number within it
        n = counts[doc.metadata["article_id"]] = counts.get(doc.metadata["article_id"], -1) + 1
        doc.id = doc.metadata["chunk_id"] = f"{doc.metadata['article_id']}#{n}"
        doc.metadata["chunk_index"] = n
    return splits


def _add(store: Any, splits: list[Document], progress: bool) -> None:
    from tqdm import tqdm

    with tqdm(total=len(splits), unit="chunk", desc="baseline index", disable=not progress) as bar:
        for i in range(0, len(splits), BATCH):
            batch = splits[i : i + BATCH]
            store.add_documents(batch, ids=[d.id for d in batch])
            bar.update(len(batch))


def _embeddings_name(embeddings: Embeddings) -> str:
    return str(getattr(embeddings, "name", type(embeddings).__name__))


# --- the pipeline


@dataclass
class TutorialAnswer:
    text: str
    docs: list[Document]
    timings: dict[str, float] = field(default_factory=dict)


class TutorialPipeline:
    """retriever -> rlm/rag-prompt -> chat model (streamed) -> text, timed per stage like our answers."""

    def __init__(self, store: Any, llm: Any, k: int = TOP_K) -> None:
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate

        self.k = k
        self.retriever = store.as_retriever(search_kwargs={"k": k})
        self.chain = ChatPromptTemplate.from_messages([("human", RAG_PROMPT)]) | llm | StrOutputParser()

    def ask(self, question: str) -> TutorialAnswer:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        docs = self.retriever.invoke(question)
        timings["retrieve"] = time.perf_counter() - started
        context = "\n\n".join(d.page_content for d in docs)
        t = time.perf_counter()
        parts: list[str] = []
        for delta in self.chain.stream({"question": question, "context": context}):
            if delta:
                timings.setdefault("ttft", time.perf_counter() - t)
                parts.append(delta)
        timings["generate"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - started
        return TutorialAnswer("".join(parts).strip(), list(docs), timings)


def baseline_case(prompt: Prompt, pipeline: TutorialPipeline, *, k: int) -> Case:
    """One prompt through the tutorial pipeline (its last question only), scored like ours."""
    case = new_case(prompt)
    answer = pipeline.ask(prompt.question)
    case.lang = case.lang or detect_language(prompt.question)
    case.answer, case.refused = answer.text, refused(answer.text)
    case.refused_by = "model" if case.refused else None
    case.timings = answer.timings
    hits = [_hit(d, rank) for rank, d in enumerate(answer.docs)]
    add_ranking(case, hits, given=hits)  # the tutorial gives the model every retrieved passage
    return score_case(case, k, cites=False)


def _hit(doc: Document, rank: int) -> Hit:
    m = doc.metadata
    start = int(m.get("start_index", 0))
    return Hit(
        chunk_id=str(doc.id or m.get("chunk_id") or f"{m.get('article_id')}@{start}"),
        score=0.0,  # the tutorial retriever returns no scores
        article_id=str(m.get("article_id", "")),
        chunk_index=int(m.get("chunk_index", rank)),
        title=str(m.get("title", "")),
        date=m.get("date"),
        url=m.get("url"),
        source=m.get("source"),
        lang=m.get("lang"),
        text=doc.page_content,
        start=start,
        end=start + len(doc.page_content),
    )


def evaluate_baseline(
    prompts: Sequence[Prompt],
    pipeline: TutorialPipeline,
    *,
    k: int = 5,
    progress: bool = True,
    settings: dict | None = None,
) -> EvalResult:
    """Every prompt through the tutorial pipeline, aggregated exactly like ours (`runner.run_cases`)."""
    return run_cases(
        prompts,
        lambda prompt: baseline_case(prompt, pipeline, k=k),
        k=k,
        desc="baseline",
        progress=progress,
        settings=dict(settings or {}, pipeline=DESCRIPTION),
    )
