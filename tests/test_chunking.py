"""Chunking: exact offsets, token limits, one sentence of overlap, header only in the embedded text."""

from __future__ import annotations

import itertools

import pytest

from index.chunking import chunk_article, header, whitespace_token_starts
from index.records import Article
from index.sentences import split_sentences

from .conftest import CORPUS, SEED_ID, shared_path


def _article(text: str, **kw) -> Article:
    return Article(id="a1", text=text, title=kw.pop("title", "Titel"), date=kw.pop("date", "2020-10"), lang="nl", **kw)


def _words(n: int, start: int = 0) -> str:
    return " ".join(f"w{i}" for i in range(start, start + n))


def test_offsets_point_into_the_raw_text():
    text = "\n\n".join(
        f"Zin nummer {i} gaat over o.a. dhr. Jansen en de U.S. Army. {_words(12, i)}." for i in range(30)
    )
    chunks = chunk_article(_article(text), whitespace_token_starts, max_tokens=60)
    assert len(chunks) > 3
    for n, c in enumerate(chunks):
        assert c.index == n
        assert text[c.start : c.end] == c.text
        assert c.embed_text == header(_article(text)) + c.text
        assert c.metadata["start"] == c.start and c.metadata["end"] == c.end
        assert len(whitespace_token_starts(c.text)) <= 60


def test_one_sentence_of_overlap():
    text = " ".join(f"Dit is zin {i} {_words(10)}." for i in range(40))
    chunks = chunk_article(_article(text), whitespace_token_starts, max_tokens=50)
    for prev, nxt in itertools.pairwise(chunks):
        last = split_sentences(prev.text, "nl")[-1]
        assert nxt.text.startswith(prev.text[last[0] : last[1]])
        assert nxt.start < prev.end  # they overlap, by exactly that sentence
        assert nxt.start == prev.start + last[0]
    assert chunks[-1].end == len(text.rstrip())


def test_abbreviations_do_not_split_a_chunk_boundary():
    text = "Volgens o.a. dhr. Rutte en mevr. Kaag is het zo. " + _words(40) + "."
    spans = split_sentences(text, "nl")
    assert text[spans[0][0] : spans[0][1]].startswith("Volgens o.a. dhr. Rutte en mevr. Kaag is het zo.")


def test_a_sentence_longer_than_the_limit_is_cut_at_token_boundaries():
    text = _words(130) + "."
    chunks = chunk_article(_article(text), whitespace_token_starts, max_tokens=50)
    assert len(chunks) >= 3
    assert all(len(whitespace_token_starts(c.text)) <= 50 for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_short_article_is_one_chunk_with_metadata():
    article = _article("Kort bericht. Twee zinnen.", url="https://example.org/x", source="Trouw")
    (chunk,) = chunk_article(article, whitespace_token_starts)
    assert chunk.text == "Kort bericht. Twee zinnen."
    assert chunk.metadata["article_id"] == "a1"
    assert chunk.metadata["source"] == "Trouw"
    assert chunk.metadata["article_hash"] == article.content_hash
    assert chunk.embed_text.startswith("Titel · 2020-10\n")


@pytest.mark.slow
def test_real_tokenizer_chunks_the_seed_article(real_embeddings):
    from index.chunking import hf_token_starts
    from index.loaders import load_articles

    (article,) = [a for a in load_articles([CORPUS]) if isinstance(a, Article)]
    assert article.id == SEED_ID
    starts = hf_token_starts(real_embeddings.tokenizer)
    chunks = chunk_article(article, starts, max_tokens=250)
    assert len(chunks) >= 2
    for c in chunks:
        n = len(real_embeddings.tokenizer(c.text, add_special_tokens=False)["input_ids"])
        assert n <= 250
    assert any("Lavrov" in c.text for c in chunks)


@pytest.mark.slow
def test_real_corpus_chunks_are_roughly_120_to_250_tokens(real_embeddings):
    from index.chunking import hf_token_starts
    from index.loaders import load_articles

    path = shared_path("corpora", "dpg-nl-2019", "articles.jsonl")
    starts = hf_token_starts(real_embeddings.tokenizer)
    sizes = []
    for article in list(load_articles([path]))[:200]:
        if isinstance(article, Article):
            chunks = chunk_article(article, starts, max_tokens=250)
            sizes += [len(starts(c.text)) for c in chunks[:-1]]  # the last chunk of an article may be short
    # limits are counted on the article's own tokenization; re-tokenizing a slice alone may differ by
    # a piece at its edges
    assert max(sizes) <= 252
    inside = sum(120 <= s <= 250 for s in sizes) / len(sizes)
    assert inside >= 0.9, f"only {inside:.0%} of non-final chunks are 120-250 tokens"
