"""`HybridRetriever`: newsrag's hybrid search inside a LangChain (LCEL) chain, on real Chroma in tmp_path.

Fast tests use the fake embedder; the slow one the real embedding model.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda

from index.chunking import hf_token_starts
from index.ingest import ingest, record_manager
from index.records import Article
from index.store import open_store
from rag.retrieval import Filters, HybridRetriever, retrieve

from .conftest import CHEESE, MOSCOW, setting_default

ARTICLES = [
    replace(MOSCOW, date="2020-10-10", url="https://example.org/moscow"),
    Article(
        id="talks",
        title="Talks in Moscow",
        date="2020-10-11",
        source="AD",
        lang="en",
        text="Lavrov mediated the talks in Moscow. The talks lasted ten hours.",
    ),
    CHEESE,
]
BY_ID = {a.id: a for a in ARTICLES}
METADATA = {"article_id", "title", "date", "url", "source", "lang", "chunk_id", "chunk_index", "score", "start", "end"}


def context(docs: list[Document]) -> str:
    """What a chain would put in its prompt: numbered passages with their title and date."""
    return "\n".join(
        f"[{n}] {d.metadata['title']} ({d.metadata['date']}): {d.page_content}" for n, d in enumerate(docs, start=1)
    )


@pytest.fixture
def store(fake_ingest):
    return fake_ingest(ARTICLES)[1]


def test_the_retriever_runs_in_an_lcel_chain_and_returns_passages_with_their_metadata(store):
    chain = HybridRetriever(store=store, k=2) | RunnableLambda(context)
    text = chain.invoke("Wie bemiddelde bij de besprekingen in Moskou?")
    assert text.startswith("[1] Bestand in Nagorno-Karabach (2020-10-10): Lavrov bemiddelde")

    docs = HybridRetriever(store=store, k=2).invoke("Wie bemiddelde bij de besprekingen in Moskou?")
    assert len(docs) == 2 and docs[0].metadata["article_id"] == "moscow"
    for doc in docs:
        meta = doc.metadata
        assert set(meta) == METADATA
        assert doc.id == meta["chunk_id"]
        article = BY_ID[meta["article_id"]]
        assert article.text[meta["start"] : meta["end"]] == doc.page_content
        assert (meta["title"], meta["date"], meta["source"], meta["lang"]) == (
            article.title,
            article.date,
            article.source,
            article.lang,
        )
        assert isinstance(meta["score"], float)
    assert docs[0].metadata["url"] == "https://example.org/moscow"
    assert docs[1].metadata["url"] is None  # the article has none: the key is there all the same


def test_the_retriever_returns_what_retrieve_returns(store):
    question = "besprekingen Moskou"
    docs = HybridRetriever(store=store, k=3).invoke(question)
    found = retrieve(store, question, k=3)
    assert [(d.id, d.metadata["score"]) for d in docs] == [(h.chunk_id, h.score) for h in found.hits]


def test_filters_k_and_budget_restrict_what_the_chain_sees(store):
    question = "Lavrov talks Moscow besprekingen Moskou"
    ids = RunnableLambda(lambda docs: [d.metadata["article_id"] for d in docs])

    by_outlet = HybridRetriever(store=store, k=3, filters=Filters(sources=("AD",))) | ids
    assert set(by_outlet.invoke(question)) == {"talks", "cheese"}
    by_date = HybridRetriever(store=store, k=3, filters=Filters(date_from="2020-10", date_to="2020-10-10")) | ids
    assert by_date.invoke(question) == ["moscow"]
    nothing = HybridRetriever(store=store, k=3, filters=Filters(date_from="2021")) | ids
    assert nothing.invoke(question) == []
    assert len((HybridRetriever(store=store, k=1) | ids).invoke(question)) == 1
    # the first passage is always kept; others only while the budget lasts
    assert len((HybridRetriever(store=store, k=3, budget_chars=10) | ids).invoke(question)) == 1


@pytest.mark.slow
def test_with_the_real_embedding_model_a_dutch_question_finds_both_languages(real_embeddings, tmp_path):
    home = tmp_path / "real"
    model = real_embeddings
    s = open_store(home, embeddings=model, model_name=model.name, dimension=model.dimension)
    ingest(ARTICLES, s, record_manager(home, s), token_starts=hf_token_starts(model.tokenizer), progress=False)
    question = "Heeft Lavrov bemiddeld?"  # BM25 finds "Lavrov" in both reports; e5 reads the English one too

    chain = HybridRetriever(store=s, k=3) | RunnableLambda(lambda docs: [d.metadata for d in docs])
    found = chain.invoke(question)
    assert {m["article_id"] for m in found[:2]} == {"moscow", "talks"}
    assert all(set(m) == METADATA for m in found)
    assert max(m["score"] for m in found[:2]) >= setting_default(
        "min_relevance"
    )  # an answering passage passes the gate

    english = HybridRetriever(store=s, k=3, filters=Filters(sources=("AD",), date_from="2020")) | RunnableLambda(
        lambda docs: [d.metadata["article_id"] for d in docs]
    )
    assert english.invoke(question) == ["talks"]
