"""Sentence splitting with character offsets, for chunking and for citation quotes.

Rule-based and fast: one compiled regex finds candidate ends (runs of `.`, `!`, `?` or `…`, then
optional closing quotes or brackets, then whitespace) and paragraph breaks (blank lines, which always
end a sentence). A candidate is rejected when the next word starts lower-case ("Waarom?" vroeg hij),
or, for a single period, when the word before it is an abbreviation ("o.a.", "Dr.", "U.S."), an
initial ("J. Smith"), a month or "nr." before a number ("Jan. 5"), or a list number at a line start.
Decimals and times ("3.5", "30.000", "3.00 uur") never match: no whitespace follows their period.

Deliberately not handled: a line without end punctuation followed by a single newline (a headline)
joins the next sentence; an abbreviation that really ends a sentence ("in the U.S. The") does not
split; languages other than Dutch and English get the combined Dutch and English rules.
"""

from __future__ import annotations

import re

# A paragraph break, or end punctuation + closing quotes/brackets, followed by whitespace. Punctuation is
# tried only where its run starts (the lookbehind): tried at every dot of "....x", the pattern would scan
# the rest of the run each time (quadratic in the run's length).
_CANDIDATE = re.compile(r"\n[^\S\n]*\n\s*|(?<![.!?…])[.!?…]+[\"'”’»)\]]*(?=\s)")
# What may precede the first letter of a sentence: whitespace and opening quotes/brackets.
_OPENERS = re.compile(r"\s*[\"'“‘„«(\[]*")
# Dutch clitics that start a sentence in lower case: 's Avonds, 't Is.
_CLITIC = re.compile(r"['’][stk]\b")
# Single letters joined by periods: U.S, d.w.z, o.a, i.p.v, e.g, J.R.R.
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")

# Lower-case, without the final period. Only words that come *before* a name or phrase belong here
# ("Dr.", "o.a."); suffixes that often end a sentence ("Inc.", "Jr.", "etc.", "enz.") do not, and
# still join the next word when it is lower-case.
_SHARED = {"dr", "mr", "mrs", "ms", "prof", "st", "vs", "ca", "approx", "incl", "excl", "resp"}
_DUTCH = {
    "dhr", "mevr", "mw", "drs", "ir", "ing", "ds", "mgr", "bijv", "nl", "zgn", "evt", "ong", "jl",
    "vnl", "vgl", "geb", "plm", "aanv",
}  # fmt: skip
_ENGLISH = {
    "gen", "sen", "rep", "gov", "lt", "col", "sgt", "capt", "cmdr", "adm", "maj", "rev", "hon",
    "messrs", "pres", "supt",
}  # fmt: skip
_ABBREVIATIONS = {
    "nl": frozenset(_SHARED | _DUTCH),
    "en": frozenset(_SHARED | _ENGLISH),
}
_ALL_ABBREVIATIONS = frozenset(_SHARED | _DUTCH | _ENGLISH)
# Abbreviations that do not end a sentence when a number follows ("Jan. 5", "nr. 3", "blz. 12");
# before a capital they do, so that "Ik sprak Jan. Hij zei" splits.
_BEFORE_NUMBER = frozenset({
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "okt", "nov", "dec",
    "no", "nr", "nrs", "vol", "p", "pp", "blz", "art", "fig", "tel", "hfst",
})  # fmt: skip
# Characters that end the word before a period, scanning backwards.
_WORD_STOP = frozenset(" \t\n\r\f\v\u00a0\"'“‘„«([")


def split_sentences(text: str, lang: str | None = None) -> list[tuple[int, int]]:
    """(start, end) character spans into text, whitespace-trimmed, covering every non-space character.

    `lang` ("nl", "en") narrows the abbreviation list to that language's; None or another language
    uses both lists.
    """
    abbreviations = _ABBREVIATIONS.get(lang or "", _ALL_ABBREVIATIONS)
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        if match.group()[0] == "\n":
            end = match.start()
        elif _ends_sentence(text, match, abbreviations):
            end = match.end()
        else:
            continue
        _add_span(spans, text, start, end)
        start = end
    _add_span(spans, text, start, len(text))
    return spans


def _ends_sentence(text: str, match: re.Match[str], abbreviations: frozenset[str]) -> bool:
    """Whether the punctuation in `match` really ends a sentence."""
    opened = _OPENERS.match(text, match.end())
    assert opened is not None  # the pattern matches the empty string
    if opened.end() >= len(text):
        return True
    first = text[opened.end()]
    if first.islower():
        # "Waarom?" vroeg hij / etc. and more -- unless a Dutch clitic starts the sentence ('s Avonds).
        return bool(_CLITIC.match(text, opened.end() - 1))
    if match.group() != ".":
        return True  # "!", "?", "…", "...", or a period before a closing quote: 'Ga.' Hij
    word = _word_before(text, match.start())
    lowered = word.lower()
    if lowered in abbreviations or _DOTTED.fullmatch(word):
        return False
    if lowered in _BEFORE_NUMBER and first.isdigit():
        return False
    if len(word) == 1 and word.isupper():
        return False  # an initial: J. Smith
    at_line_start = match.start() == len(word) or text[match.start() - len(word) - 1] == "\n"
    numbered_item = word.isdigit() and len(word) <= 2 and at_line_start  # "1. Eerst"
    return not numbered_item


def _word_before(text: str, end: int) -> str:
    """The word that ends at `end`, without opening quotes or brackets: "(o.a" -> "o.a"."""
    start = end
    while start > 0 and end - start < 40 and text[start - 1] not in _WORD_STOP:
        start -= 1
    return text[start:end]


def _add_span(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    segment = text[start:end]
    stripped = segment.strip()
    if stripped:
        begin = start + len(segment) - len(segment.lstrip())
        spans.append((begin, begin + len(stripped)))
