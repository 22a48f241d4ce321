"""Sentence-aware chunking with exact character offsets into the article text.

Chunks are packed greedily from whole sentences up to `max_tokens` tokens of the embedding model's tokenizer,
and each chunk after the first starts with the last sentence of the one before (one sentence of overlap).
A sentence longer than `max_tokens` is cut at token boundaries. The embedded text carries a short
header (title, date); `start`/`end` always refer to the raw `Article.text`.

Not handled here: tables, lists or captions get no special treatment; they are sentences like any other.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections.abc import Callable, Sequence

from index.records import Article, Chunk
from index.sentences import split_sentences

# text -> character offsets at which tokens start (no special tokens)
TokenStarts = Callable[[str], Sequence[int]]

TITLE_CHARS = 160


def hf_token_starts(tokenizer) -> TokenStarts:
    """Adapter for a Hugging Face fast tokenizer (offsets mapping)."""

    def starts(text: str) -> list[int]:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
        return [a for a, b in enc["offset_mapping"] if b > a]

    return starts


def whitespace_token_starts(text: str) -> list[int]:
    """Crude tokenizer for tests and fallbacks: one token per whitespace-separated word."""
    out, prev_space = [], True
    for i, ch in enumerate(text):
        if not ch.isspace() and prev_space:
            out.append(i)
        prev_space = ch.isspace()
    return out


def header(article: Article) -> str:
    title = article.title.strip()
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rstrip() + "…"
    parts = [p for p in (title, article.date) if p]
    return (" · ".join(parts) + "\n") if parts else ""


def chunk_article(article: Article, token_starts: TokenStarts, *, max_tokens: int = 250) -> list[Chunk]:
    """Split one article into overlapping chunks of whole sentences.

    Greedy packing to `max_tokens` makes chunks land between roughly half and all of it; only an article's
    last chunk may be shorter.
    """
    text = article.text
    starts = list(token_starts(text))

    def count(a: int, b: int) -> int:
        return bisect_left(starts, b) - bisect_left(starts, a)

    spans = _cap_long_sentences(split_sentences(text, article.lang), starts, max_tokens)
    if not spans:
        return []
    groups: list[tuple[int, int]] = []  # inclusive sentence index ranges
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and count(spans[i][0], spans[j + 1][1]) <= max_tokens:
            j += 1
        groups.append((i, j))
        if j == len(spans) - 1:
            break
        # overlap one sentence, unless the chunk was a single sentence (always make progress)
        i = j if j > i else j + 1

    head = header(article)
    meta = {**article_metadata(article), "article_hash": article.content_hash}
    chunks = []
    for n, (a, b) in enumerate(groups):
        start, end = spans[a][0], spans[b][1]
        body = text[start:end]
        chunks.append(
            Chunk(
                article_id=article.id,
                index=n,
                start=start,
                end=end,
                text=body,
                embed_text=head + body,
                metadata={**meta, "chunk_index": n, "start": start, "end": end, "header_len": len(head)},
            )
        )
    return chunks


def _cap_long_sentences(spans: list[tuple[int, int]], starts: list[int], max_tokens: int) -> list[tuple[int, int]]:
    """Cut sentences longer than max_tokens at token starts (every max_tokens tokens)."""
    out = []
    for a, b in spans:
        lo, hi = bisect_left(starts, a), bisect_left(starts, b)
        if hi - lo <= max_tokens:
            out.append((a, b))
            continue
        cuts = [starts[k] for k in range(lo + max_tokens, hi, max_tokens)]
        edges = [a, *cuts, b]
        out.extend((x, y) for x, y in itertools.pairwise(edges) if y > x)
    return out


def article_metadata(article: Article) -> dict[str, str]:
    """The article's fields a store keeps with each of its passages, the empty ones left out (Chroma stores no
    None); the baseline pipeline of the evaluation stores the same."""
    meta = {
        "article_id": article.id,
        "title": article.title,
        "date": article.date,
        "url": article.url,
        "source": article.source,
        "lang": article.lang,
    }
    return {k: v for k, v in meta.items() if v}
