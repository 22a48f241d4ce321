"""Citations: marker parsing, renumbering (streamed and not), quote offsets, support checks."""

from __future__ import annotations

import random
import re

import pytest

from index.records import Hit
from rag.citations import (
    RENUMBERED,
    CitationStream,
    blank_markers,
    combined_score,
    fix_citations,
    has_content,
    markers_in,
    renumber,
    strip_markers,
    unglue_markers,
    verify,
)
from rag.records import Source

ARTICLE = (
    "Onderhandelingen in Genève. "
    "De gesprekken begonnen zondagochtend in een hotel aan het meer. "
    "Lavrov maakte dat bekend nadat delegaties 10 uur lang besprekingen hadden gevoerd. "
    "Het weer was die dag uitzonderlijk zonnig voor de tijd van het jaar. "
    "Journalisten wachtten buiten."
)


def _hit(article_text: str, start: int, end: int, *, article_id: str = "a1", lang: str | None = "nl") -> Hit:
    return Hit(
        chunk_id=f"{article_id}:0",
        score=0.9,
        article_id=article_id,
        chunk_index=0,
        title=f"Titel {article_id}",
        date="2020-10-01",
        url=f"https://example.org/{article_id}",
        source="NOS",
        lang=lang,
        text=article_text[start:end],
        start=start,
        end=end,
    )


def _source(n: int, text: str, article_id: str = "") -> Source:
    return Source(n, _hit(text, 0, len(text), article_id=article_id or f"a{n}", lang="en"))


def jaccard(claim: str, candidates: list[str]) -> list[float]:
    """Fake scorer: word-overlap Jaccard (lexical, so it fails across languages like the real thing does not)."""
    words = set(re.findall(r"\w+", claim.lower()))
    out = []
    for c in candidates:
        other = set(re.findall(r"\w+", c.lower()))
        out.append(len(words & other) / (len(words | other) or 1))
    return out


def constant(claim: str, candidates: list[str]) -> list[float]:
    return [0.5] * len(candidates)


# --- parsing and renumbering


def test_markers_in_and_strip_markers():
    text = "A [1, 2] b [3][1] c [ 4 ,5 ] [sic] [a] [2020] [1-3] [6."
    assert markers_in(text) == [1, 2, 3, 4, 5, 2020]
    assert strip_markers(text) == "A b c [sic] [a] [1-3] [6."
    assert blank_markers("Moskou[1]Lavrov [2, 3]. [sic]") == "Moskou Lavrov  . [sic]"  # words stay apart


def test_helpers_for_the_modules_that_read_markers():
    assert unglue_markers("Hij sprak.[1] Zij zei “ja.”[2][3] Klaar.") == "Hij sprak. [1] Zij zei “ja.” [2][3] Klaar."
    assert unglue_markers("Geen [sic]. Of.[a]") == "Geen [sic]. Of.[a]"
    assert has_content("3.") and has_content("é") and not has_content(" . -- _ “”")
    assert [m.group(1) for m in RENUMBERED.finditer("a [1][2] b [1, 2] [ 3]")] == ["1", "2"]


def test_out_of_range_marker_dropped_with_its_space():
    assert renumber("Hij zei dat [7]. Ook [0] niet [2020].", 3) == ("Hij zei dat. Ook niet.", [])
    assert renumber("Kept [2, 9] here.", 3) == ("Kept [1] here.", [2])


def test_renumbered_in_order_of_first_use():
    text, order = renumber("Eerst [3]. Dan [1]. Weer [3]. Nu [2].", 3)
    assert text == "Eerst [1]. Dan [2]. Weer [1]. Nu [3]."
    assert order == [3, 1, 2]


@pytest.mark.parametrize(
    ("text", "expected", "order"),
    [
        ("X [1, 2].", "X [1][2].", [1, 2]),
        ("X [2][1].", "X [1][2].", [2, 1]),
        ("X [2] [1].", "X [1][2].", [2, 1]),
        ("X [1,2,3].", "X [1][2][3].", [1, 2, 3]),
        ("X [ 3 , 3 ].", "X [1].", [3]),
        ("X [1][1].", "X [1].", [1]),
        ("X [1] [9] [1].", "X [1].", [1]),
        ("X [sic] [a] [].", "X [sic] [a] [].", []),
    ],
)
def test_marker_forms(text: str, expected: str, order: list[int]):
    assert renumber(text, 3) == (expected, order)


# --- streaming

STREAM_TEXTS = [
    "Lavrov zei dat [2]. Daarna [1, 3] volgde meer [7]. [2][2] Einde [sic] [",
    "Cijfers [12] en [1,\t2 ] en [3 ][ 1] tot slot.[2] En [2020] weg [1",
    "  [1]\n[9] [3] tekst [[2]] [2 [1,] [, 1] [1 ,2, 3]\t[3]   ",
    "[4][3][2][1] a [1][ 1 ][1 ] b [5, 4, 3] c",
]


def _split_randomly(text: str, rng: random.Random) -> list[str]:
    cuts = sorted(rng.sample(range(1, len(text)), rng.randint(0, min(12, len(text) - 1))))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


@pytest.mark.parametrize("text", STREAM_TEXTS)
def test_streaming_equals_renumber_at_random_split_points(text: str):
    rng = random.Random(1234)
    expected, expected_order = renumber(text, 5)
    for _ in range(300):
        stream = CitationStream(5)
        parts = [stream.feed(delta) for delta in _split_randomly(text, rng)] + [stream.finish()]
        assert "".join(parts) == expected
        assert stream.order == expected_order
    # also one character at a time
    stream = CitationStream(5)
    assert "".join(stream.feed(ch) for ch in text) + stream.finish() == expected


def test_half_markers_never_leak():
    stream = CitationStream(3)
    shown = [stream.feed(d) for d in ["Het begon", " [", "3", ",", " 1", "]", "[9", "]", ".", " Klaar [2"]]
    assert shown == ["Het begon", "", "", "", "", "", "", "", " [1][2].", " Klaar"]
    assert stream.finish() == " [2"  # never closed: plain text after all
    assert stream.order == [3, 1]
    # Shown text is never taken back: at every point it is a prefix of the final rewrite.
    rng = random.Random(7)
    for text in STREAM_TEXTS:
        expected, _ = renumber(text, 5)
        for _ in range(100):
            stream, shown_so_far = CitationStream(5), ""
            for delta in _split_randomly(text, rng):
                shown_so_far += stream.feed(delta)
                assert expected.startswith(shown_so_far), shown_so_far


# --- verification


def test_quote_offsets_index_the_article_text():
    start = ARTICLE.index("De gesprekken")
    hit = _hit(ARTICLE, start, len(ARTICLE))
    answer = "The talks began on sunday in a hotel by the lake [1]. Het weer was zonnig [1]."
    citations, checks = verify(answer, [Source(1, hit)], [1], jaccard, lang="en", threshold=0.1)
    (citation,) = citations
    assert citation.start > 0
    assert ARTICLE[citation.start : citation.end] == citation.quote
    assert citation.quote.startswith("Het weer was die dag")  # the better of the two sentences citing [1]
    assert (citation.article_id, citation.title, citation.url, citation.chunk_id) == (
        "a1", "Titel a1", "https://example.org/a1", "a1:0",
    )  # fmt: skip
    assert [c.text for c in checks] == ["The talks began on sunday in a hotel by the lake.", "Het weer was zonnig."]


def test_citations_in_renumbered_order_with_their_hits():
    sources = [_source(1, "Apples are red."), _source(2, "Pears are green."), _source(3, "Plums are blue.")]
    text, order = renumber("Plums are blue [3]. Apples are red [1].", 3)
    citations, checks = verify(text, sources, order, jaccard, lang="en", threshold=0.5)
    assert [(c.n, c.article_id, c.quote, c.supported) for c in citations] == [
        (1, "a3", "Plums are blue.", True),
        (2, "a1", "Apples are red.", True),
    ]
    assert [(c.citations, c.supported) for c in checks] == [([1], True), ([2], True)]


def test_unsupported_sentence_flagged():
    sources = [_source(1, "The parliament voted on the budget on Tuesday.")]
    answer = "Lavrov arrived in Geneva by train [1]."
    citations, checks = verify(answer, sources, [1], jaccard, lang="en", threshold=0.3)
    assert not checks[0].supported and checks[0].score < 0.3
    assert not citations[0].supported


def test_sentence_without_citation_flagged():
    sources = [_source(1, "The parliament voted on the budget on Tuesday.")]
    answer = "The parliament voted on the budget on Tuesday [1]. It was a historic day. [1]. — …"
    _, checks = verify(answer, sources, [1], jaccard, lang="en", threshold=0.3)
    # the stray "[1]." belongs to the sentence before it; "— …" has no letters and is no claim
    assert [(c.text, c.citations, c.supported) for c in checks] == [
        ("The parliament voted on the budget on Tuesday.", [1], True),
        ("It was a historic day.", [1], False),
    ]
    _, checks = verify("It was a historic day.", sources, [], jaccard, lang="en", threshold=0.3)
    assert [(c.citations, c.supported, c.score) for c in checks] == [([], False, 0.0)]


def test_marker_glued_after_the_period_belongs_to_its_sentence():
    sources = [_source(1, "Apples are red."), _source(2, "Pears are green.")]
    _, checks = verify("Apples are red.[1] Pears are green.[2]", sources, [1, 2], jaccard, lang="en", threshold=0.5)
    assert [(c.text, c.citations, c.supported) for c in checks] == [
        ("Apples are red.", [1], True),
        ("Pears are green.", [2], True),
    ]


def test_names_and_numbers_choose_the_quote_across_languages():
    hit = _hit(ARTICLE, 0, len(ARTICLE))
    answer = "Lavrov announced it after 10 hours [1]."
    citations, checks = verify(answer, [Source(1, hit)], [1], constant, lang="en", threshold=0.6)
    assert citations[0].quote == "Lavrov maakte dat bekend nadat delegaties 10 uur lang besprekingen hadden gevoerd."
    assert ARTICLE[citations[0].start : citations[0].end] == citations[0].quote
    assert citations[0].score == pytest.approx(0.5 + 0.3 * 1.0 * 0.5)
    assert checks[0].supported


def test_combined_score_formula():
    assert combined_score(0.5, set(), "anything") == 0.5
    assert combined_score(1.7, {"Lavrov"}, "Lavrov") == 1.0
    assert combined_score(-0.2, set(), "x") == 0.0
    # half of the claim's keys present; "10.000" and "10,000" are the same number; case matters for names
    assert combined_score(0.6, {"Lavrov", "10000"}, "zo'n 10.000 mensen, zei lavrov") == pytest.approx(
        0.6 + 0.3 * 0.5 * 0.4
    )


def test_errors_say_what_was_expected():
    sources = [_source(1, "Apples are red.")]
    with pytest.raises(ValueError, match=r"unknown \[4\]"):
        verify("Apples [1].", sources, [4], jaccard, lang="en", threshold=0.5)
    with pytest.raises(ValueError, match=r"got \[2\]"):
        verify("Apples [2].", sources, [1], jaccard, lang="en", threshold=0.5)


def test_a_claim_number_the_candidate_does_not_state_sinks_its_score():
    keys = {"376", "Azerbaijani"}
    candidate = "Azerbeidzjan zei dat sinds 27 september 31 Azerbeidzjaanse burgers zijn gedood."
    assert combined_score(0.9, keys, candidate) < 0.82 <= combined_score(0.9, {"31"}, candidate)
    assert combined_score(0.9, {"376"}, "Nagorno-Karabach zei dat 376 militairen zijn gedood.") >= 0.9


@pytest.mark.parametrize(
    ("claim_number", "candidate"),
    [
        ("10", "De besprekingen duurden tien uur."),
        ("10", "The talks lasted ten hours."),
        ("30000", "ongeveer 30.000 mensen kwamen om"),
        ("1994", "de oorlog van 1991-94"),
        ("94", "the war of 1991-1994"),
    ],
)
def test_numbers_are_compared_as_stated(claim_number: str, candidate: str):
    assert combined_score(0.9, {claim_number}, candidate) >= 0.9


# --- fixing citations before verification

TALKS = [
    _source(1, "De gesprekken begonnen zondag in Moskou."),
    _source(2, "De besprekingen duurden 10 uur lang."),
]


def test_a_citation_of_the_wrong_passage_is_repointed_to_the_one_that_says_it():
    fixed = fix_citations("De besprekingen duurden 10 uur lang [1].", TALKS, jaccard, lang="nl", threshold=0.6)
    assert fixed == "De besprekingen duurden 10 uur lang [2]."


def test_every_run_of_a_wrongly_cited_sentence_gives_way_to_one_marker():
    answer = "De besprekingen [1] duurden 10 uur lang [1][3]. Zondag begonnen de gesprekken in Moskou [1]."
    fixed = fix_citations(answer, TALKS, jaccard, lang="nl", threshold=0.6)
    assert fixed == "De besprekingen [2] duurden 10 uur lang. Zondag begonnen de gesprekken in Moskou [1]."


def test_supported_or_unsupportable_sentences_keep_their_markers():
    for answer in ("De gesprekken begonnen zondag in Moskou [1].", "Het regende de hele dag in Parijs [2]."):
        assert fix_citations(answer, TALKS, jaccard, lang="nl", threshold=0.6) == answer


def test_an_uncited_supported_sentence_gets_its_marker():
    fixed = fix_citations("De besprekingen duurden 10 uur lang.", TALKS, jaccard, lang="nl", threshold=0.6)
    assert fixed == "De besprekingen duurden 10 uur lang. [2]"
