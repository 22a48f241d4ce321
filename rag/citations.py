"""Citation markers in generated answers: parse, renumber (also while streaming), verify against sources.

Markers are `[n]`, `[1, 2]`, `[1][2]`, `[1,2,3]`, with optional spaces or tabs inside and between them;
nothing else in brackets counts ("[sic]", "[a]", "[1-3]"). A *run* is a group of markers separated only
by spaces/tabs, together with the spaces/tabs before it. Rewriting a run keeps the in-range numbers
(1..n_sources), renumbers them in order of first use across the answer (the first source cited becomes
[1], the next new one [2], ...), and writes them as `[a][b]`, ascending and without duplicates; a run
with nothing in range disappears together with the spaces before it ("said [7]." -> "said.").

Verification: score and method documented in `verify` and `combined_score`. In short, each answer
sentence is checked against the sentences of the passages it cites, with
`final = s + LEX_WEIGHT * lex * (1 - s)`, where `s` is the (e.g. embedding) scorer's similarity clipped
to [0, 1] and `lex` the fraction of the claim's proper names and numbers found in the candidate.

Deliberately not handled: other citation styles ("(1)", "[1-3]", "[Source 1]", footnotes); a run
dropped at the very start of a line keeps the space after it; a marker at the start of a sentence is
taken to belong to the sentence before it (the model wrote "Claim. [1] Next."), so a sentence that
really opens with its citation is checked against the wrong one. Names are recognised by capital
letters only, so translated names ("Moscow"/"Moskou") and lower-case languages do not count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.records import Hit
from index.sentences import split_sentences
from rag.records import Citation, SentenceCheck, Source
from rag.scoring import Scorer

# How much a full name/number match can lift the scorer's similarity toward 1 (see combined_score).
LEX_WEIGHT = 0.3

_MARKER = r"\[[ \t]*[0-9]+(?:[ \t]*,[ \t]*[0-9]+)*[ \t]*\]"
# Every proper prefix of a marker: "[", "[1", "[1 ", "[1,", "[1, 2".
_PARTIAL = r"\[[ \t]*(?:[0-9]+[ \t]*(?:,[ \t]*[0-9]+[ \t]*)*(?:,[ \t]*)?)?"
MARKER = re.compile(_MARKER)
# A marker as `renumber` writes it: one number, no spaces ("[2]"); the number is group 1.
RENUMBERED = re.compile(r"\[([0-9]+)\]")
# A run starts only where its spaces start (the lookbehind): tried at every space of a long run of spaces
# with nothing after it, the pattern would scan the rest of that run each time (quadratic).
_RUN = re.compile(rf"(?<![ \t])[ \t]*{_MARKER}(?:[ \t]*{_MARKER})*")
_PARTIAL_MARKER = re.compile(_PARTIAL)
# End punctuation glued to a marker ("spoke.[1] He"): a space is put in so the sentence splitter sees it.
_GLUED = re.compile(rf"([.!?…][\"'”’»)]*)(?={_MARKER})")
_CONTENT = re.compile(r"[^\W_]")  # a letter or digit
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_WORD = re.compile(r"[^\W\d_]+")
_YEAR_RANGE = re.compile(r"\b((?:1[89]|20)[0-9]{2})\s*[-–]\s*((?:1[89]|20)?[0-9]{2})\b")
_NUMBER_WORDS = {
    word: str(value)
    for words, value in (
        (("one",), 1), (("two", "twee"), 2), (("three", "drie"), 3), (("four", "vier"), 4), (("five", "vijf"), 5),
        (("six", "zes"), 6), (("seven", "zeven"), 7), (("eight", "acht"), 8), (("nine", "negen"), 9),
        (("ten", "tien"), 10), (("eleven", "elf"), 11), (("twelve", "twaalf"), 12), (("twenty", "twintig"), 20),
        (("thirty", "dertig"), 30), (("forty", "veertig"), 40), (("fifty", "vijftig"), 50),
        (("hundred", "honderd"), 100), (("thousand", "duizend"), 1000),
    )
    for word in words
}  # fmt: skip
# A claim number the candidate does not state: the candidate cannot support that claim.
NUMBER_PENALTY = 0.15
# Capitalised at the start of a sentence without being names (English and Dutch, casefolded).
_NOT_NAMES = frozenset({
    "the", "a", "an", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "you", "his",
    "her", "their", "our", "there", "here", "then", "in", "on", "at", "of", "for", "to", "by", "with",
    "from", "after", "before", "during", "since", "as", "and", "but", "or", "so", "if", "when", "while",
    "also", "however", "according", "yes", "no", "not", "what", "who", "which", "where", "why", "how", "de",
    "het", "een", "dit", "dat", "deze", "die", "hij", "zij", "ze", "wij", "jij", "ik", "zijn", "haar", "hun",
    "ons", "er", "daar", "hier", "toen", "ook", "op", "aan", "van", "voor", "met", "door", "na", "bij",
    "sinds", "tijdens", "als", "en", "maar", "dus", "volgens", "ja", "nee", "niet", "wel", "om",
    "over", "uit", "tot", "wat", "wie", "waar", "waarom", "hoe",
})  # fmt: skip


def markers_in(text: str) -> list[int]:
    """The numbers of all markers in text, in order of first appearance, without duplicates."""
    out: list[int] = []
    for marker in MARKER.finditer(text):
        for k in map(int, re.findall(r"[0-9]+", marker.group())):
            if k not in out:
                out.append(k)
    return out


def unglue_markers(text: str) -> str:
    """Text with a space between end punctuation and a marker glued to it ("spoke.[1] He" -> "spoke. [1] He"),
    so that the sentence splitter sees where the sentence ends."""
    return _GLUED.sub(r"\1 ", text)


def has_content(text: str) -> bool:
    """Text has a letter or digit (a claim once its markers are stripped: more than spaces and punctuation)."""
    return _CONTENT.search(text) is not None


def strip_markers(text: str) -> str:
    """Text without any marker (in range or not), and without the spaces before each run."""
    return _RUN.sub("", text)


def blank_markers(text: str) -> str:
    """Text with every marker (in range or not) replaced by a space, so words glued to one stay apart
    ("Moskou[1]Lavrov" -> "Moskou Lavrov"): for counting an answer's words, where `strip_markers` is for
    showing text."""
    return MARKER.sub(" ", text)


class CitationStream:
    """Rewrites markers in a streamed answer; `feed` returns only text that can no longer change.

    A tail that might still become a marker or join a run ("[", "[1", " [1]" -- it may be followed by
    "[2]" or "[1]") is held until the next delta resolves it, or until `finish`. The concatenated output
    equals `renumber` of the whole text: a held tail is never part of a run that started earlier.
    """

    def __init__(self, n_sources: int) -> None:
        self.n_sources = n_sources
        self.order: list[int] = []  # original source numbers in order of first use
        # Held back: spaces and markers that may still grow into a longer run (kept in pieces, so a long
        # run is not copied at every delta), then a proper prefix of a marker.
        self._run: list[str] = []
        self._prefix = ""

    def feed(self, delta: str) -> str:
        text = self._prefix + delta
        start, prefix = _hold(text)
        self._prefix = text[prefix:]
        if start == 0:  # the run held so far goes on
            self._run.append(text[:prefix])
            return ""
        released = "".join(self._run) + text[:start]
        self._run = [text[start:prefix]]
        return self._rewrite(released)

    def finish(self) -> str:
        text = "".join(self._run) + self._prefix
        self._run, self._prefix = [], ""
        return self._rewrite(text)

    def _rewrite(self, text: str) -> str:
        return _RUN.sub(self._rewrite_run, text)

    def _rewrite_run(self, run: re.Match[str]) -> str:
        numbers: list[int] = []
        for k in markers_in(run.group()):
            if not 1 <= k <= self.n_sources:
                continue
            if k not in self.order:
                self.order.append(k)
            numbers.append(self.order.index(k) + 1)
        if not numbers:
            return ""  # together with the spaces before it
        lead = run.group()[: len(run.group()) - len(run.group().lstrip(" \t"))]
        return lead + "".join(f"[{n}]" for n in sorted(set(numbers)))


def _hold(text: str) -> tuple[int, int]:
    """(start, prefix): the longest tail of text that may still become (part of) a run starts at `start`:
    spaces, tabs and markers, then from `prefix` (len(text) if none) a proper prefix of a marker ("[",
    "[1", "[1, 2").

    Scanned backwards, in time linear in the tail: a regex search for it (`(?:[ \t]|marker)*\\Z`) restarts
    at every space of a run of spaces followed by a letter, quadratic in the run's length. A marker holds
    no other bracket, so a prefix at the end starts at the last "[", and a "]" closes the marker that opens
    at the "[" before it.
    """
    prefix = len(text)
    bracket = text.rfind("[")
    if bracket >= 0 and _PARTIAL_MARKER.fullmatch(text, bracket):
        prefix = bracket
    start = prefix
    while start > 0:
        if text[start - 1] in " \t":
            start -= 1
            continue
        opening = text.rfind("[", 0, start) if text[start - 1] == "]" else -1
        if opening < 0 or not MARKER.fullmatch(text, opening, start):
            break
        start = opening
    return start, prefix


def renumber(text: str, n_sources: int) -> tuple[str, list[int]]:
    """Rewrite all markers of a complete text; returns the new text and `order` (see `CitationStream`)."""
    stream = CitationStream(n_sources)
    return stream._rewrite(text), stream.order


def _keys(text: str) -> set[str]:
    """Proper names (capitalised words, minus a few function words) and numbers, separators removed."""
    return proper_names(text) | _numbers(text)


def proper_names(text: str, *, skip_first: bool = False) -> set[str]:
    """Capitalised words of two letters or more, minus a few function words (optionally not the first word,
    which a question capitalises anyway)."""
    words = _WORD.findall(text)[1 if skip_first else 0 :]
    return {w for w in words if len(w) > 1 and w[0].isupper() and w.casefold() not in _NOT_NAMES}


def _numbers(text: str) -> set[str]:
    # "10.000" (Dutch) and "10,000" (English) both become "10000"; so do "1,5" and "1.5" -> "15".
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}


def _stated_numbers(text: str) -> set[str]:
    """The numbers a candidate states: digits, number words (English, Dutch), and both forms of a year
    range's end ("1991-94" states 94 and 1994; "1991-1994" states 1994 and 94)."""
    out = _numbers(text)
    out |= {_NUMBER_WORDS[w] for w in _WORD.findall(text.casefold()) if w in _NUMBER_WORDS}
    for first, last in _YEAR_RANGE.findall(text):
        out |= {first[:2] + last[-2:], last[-2:]}
    return out


def combined_score(similarity: float, claim_keys: set[str], candidate: str) -> float:
    """`s + LEX_WEIGHT * lex * (1 - s)`: the scorer's similarity, lifted by shared names and numbers,
    times `1 - NUMBER_PENALTY` when the claim has a number the candidate does not state.

    `s` is the similarity clipped to [0, 1]. `lex` is the fraction of the claim's keys (`_keys`: names
    and numbers) that occur in the candidate as a word (case-sensitive) or a number; 0 when the claim
    has none. Names and numbers survive translation, so this helps exactly where an English claim meets
    a Dutch passage. A missing name never counts against a sentence (names get translated); a missing
    number does: "376 civilians were killed" is close in meaning to "31 civilians were killed", and
    a small model does copy the wrong number. Numbers are compared as stated (`_stated_numbers`: digits
    without separators, number words, year ranges). The result stays in [0, 1] and keeps the scorer's
    order among candidates with equal `lex` and penalty.
    """
    s = min(max(similarity, 0.0), 1.0)
    if not claim_keys:
        return s
    stated = _stated_numbers(candidate)
    present = set(_WORD.findall(candidate)) | stated
    lex = len(claim_keys & present) / len(claim_keys)
    lifted = s + LEX_WEIGHT * lex * (1.0 - s)
    if any(k.isdigit() and k not in stated for k in claim_keys):
        return lifted * (1.0 - NUMBER_PENALTY)
    return lifted


def claim_spans(text: str, lang: str | None) -> list[tuple[int, int]]:
    """The sentence spans of an answer (markers unglued), with a marker run that opens a sentence moved to
    the end of the one before: "Claim. [1] Next." -> "Claim. [1]", "Next."."""
    spans: list[tuple[int, int]] = []
    for start, end in split_sentences(text, lang):
        opening = _RUN.match(text[start:end])
        if spans and opening:
            spans[-1] = (spans[-1][0], start + opening.end())
            rest = text[start + opening.end() : end]
            start = end - len(rest.lstrip())
        if start < end:
            spans.append((start, end))
    return spans


def _claims(answer_text: str, lang: str | None) -> list[tuple[str, list[int]]]:
    """(claim text without markers, renumbered citations) per answer sentence that is a claim.

    A run that opens a sentence is the sentence before's (`claim_spans`). A sentence with no letter or
    digit once its markers are gone ("[1].", "--") is no claim; its markers go to the sentence before too,
    or are lost if there is none.
    """
    text = unglue_markers(answer_text)
    claims: list[tuple[str, list[int]]] = []
    for start, end in claim_spans(text, lang):
        sentence = text[start:end]
        claim = " ".join(strip_markers(sentence).split())
        if has_content(claim):
            claims.append((claim, markers_in(sentence)))
        elif claims:
            claims[-1][1].extend(k for k in markers_in(sentence) if k not in claims[-1][1])
    return claims


def verify(
    answer_text: str,
    sources: Sequence[Source],
    order: list[int],
    score: Scorer,
    *,
    lang: str | None,
    threshold: float,
) -> tuple[list[Citation], list[SentenceCheck]]:
    """Check each sentence of a renumbered answer against the passages it cites.

    For each claim sentence and each source it cites, the passage (`hit.text`) is split into sentences
    and every one is scored with `combined_score(score(claim, candidates)[i], ...)`; the best one is the
    quote for that citation, and a citation used in several sentences keeps its best-scoring quote.
    `Citation.supported`: its best score >= threshold; `start`/`end` index the article text. A citation
    never checked (its only marker sat in a non-claim) gets an empty quote, score 0, unsupported.
    `SentenceCheck.score` is the best score over its citations (0 without any); `supported` needs at
    least one citation and score >= threshold. Sentences without a letter or digit are left out.
    """
    by_n = {source.n: source.hit for source in sources}
    missing = [k for k in order if k not in by_n]
    if missing:
        raise ValueError(f"Expected order to name given sources {sorted(by_n)}, got unknown {missing}")
    hits = [by_n[k] for k in order]
    best: dict[int, tuple[float, int, int]] = {}  # renumbered n -> (score, start, end) in hit.text
    splits: dict[int, list[tuple[int, int]]] = {}
    checks: list[SentenceCheck] = []
    for claim, cited in _claims(answer_text, lang):
        keys = _keys(claim)
        sentence_score = 0.0
        for n in cited:
            if not 1 <= n <= len(hits):
                raise ValueError(f"Expected markers [1]..[{len(hits)}] (a renumbered answer), got [{n}]")
            hit = hits[n - 1]
            spans = splits.setdefault(n, split_sentences(hit.text, hit.lang))
            if not spans:
                continue
            candidates = [hit.text[a:b] for a, b in spans]
            similarities = score(claim, candidates)
            if len(similarities) != len(candidates):
                raise ValueError(f"Expected {len(candidates)} scores from the scorer, got {len(similarities)}")
            scored = [combined_score(s, keys, c) for s, c in zip(similarities, candidates, strict=True)]
            i = max(range(len(scored)), key=scored.__getitem__)  # first of equals
            sentence_score = max(sentence_score, scored[i])
            if n not in best or scored[i] > best[n][0]:
                best[n] = (scored[i], *spans[i])
        supported = bool(cited) and sentence_score >= threshold
        checks.append(SentenceCheck(text=claim, citations=cited, supported=supported, score=sentence_score))
    citations = [_citation(n, hit, best.get(n), threshold) for n, hit in enumerate(hits, start=1)]
    return citations, checks


def _citation(n: int, hit: Hit, best: tuple[float, int, int] | None, threshold: float) -> Citation:
    value, a, b = best if best is not None else (0.0, 0, 0)
    return Citation(
        n=n,
        article_id=hit.article_id,
        title=hit.title,
        date=hit.date,
        url=hit.url,
        source=hit.source,
        quote=hit.text[a:b],
        start=hit.start + a,
        end=hit.start + b,
        supported=best is not None and value >= threshold,
        score=value,
        chunk_id=hit.chunk_id,
    )


def fix_citations(
    answer_text: str, sources: Sequence[Source], score: Scorer, *, lang: str | None, threshold: float
) -> str:
    """Cite each claim sentence where its support is: add missing markers, re-point wrong ones.

    Small models often state a fact from the passages and forget its `[n]`, or cite the passage next to
    the one that says it ("lasted 10 hours [1]" where [2] has the 10 hours). Each claim sentence is scored
    (`combined_score`) against the sentences of the sources it cites; when none reaches `threshold`, it is
    scored against every sentence of every source, and if the best one does, that source's marker takes
    the place of the sentence's markers (or is added after an uncited sentence). Sentences no source
    supports keep what they have, and `verify` flags them. Numbers refer to `sources` as given to the
    model (before `renumber`). The streamed draft showed the model's own markers; the final answer is
    what the chat and the widget render.
    """
    text = unglue_markers(answer_text)
    candidates: list[tuple[int, str]] = []
    for source in sources:
        hit = source.hit
        candidates += [(source.n, hit.text[a:b]) for a, b in split_sentences(hit.text, hit.lang)]
    if not candidates:
        return text
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement sentence)
    for start, end in claim_spans(text, lang):
        sentence = text[start:end]
        claim = " ".join(strip_markers(sentence).split())
        if not has_content(claim):
            continue
        cited = markers_in(sentence)
        keys = _keys(claim)
        similarities = score(claim, [c for _, c in candidates])
        scored = [combined_score(v, keys, c) for v, (_, c) in zip(similarities, candidates, strict=True)]
        if any(scored[j] >= threshold for j, (n, _) in enumerate(candidates) if n in cited):
            continue  # supported where it says
        j = max(range(len(scored)), key=scored.__getitem__)
        if scored[j] < threshold:
            continue
        n = candidates[j][0]
        edits.append((start, end, _repointed(sentence, n) if cited else f"{sentence.rstrip()} [{n}]"))
    for start, end, fixed in reversed(edits):
        text = text[:start] + fixed + text[end:]
    return text


def cite(sentence: str, numbers: Sequence[int]) -> str:
    """The sentence with its markers replaced by `numbers`, placed before its end punctuation."""
    body = strip_markers(sentence).rstrip()
    end = len(body) - len(body.rstrip(".!?…\"'”’»)"))
    run = "".join(f"[{n}]" for n in numbers)
    return f"{body[: len(body) - end]} {run}{body[len(body) - end :]}" if run else body


def _repointed(sentence: str, n: int) -> str:
    """The sentence with its first marker run rewritten to " [n]" and any other run removed."""
    runs = list(_RUN.finditer(sentence))
    out = sentence[: runs[0].start()] + f" [{n}]"
    for run, after in zip(runs, [*runs[1:], None], strict=True):
        out += sentence[run.end() : after.start() if after else len(sentence)]
    return out
