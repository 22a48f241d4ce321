"""Which number a source sentence gives for what: an answer that pairs one number with another number's words.

A 1.5B model takes a number from the right sentence and pairs it with the wrong words. Over "Azerbeidzjan zei
dat sinds 27 september 31 Azerbeidzjaanse burgers zijn gedood en 168 gewond zijn geraakt." it answers "how many
were wounded?" with "31 Azerbeidzjaanse burgers zijn gewond geraakt"; over "… 376 van zijn militair personeel en
22 burgers zijn gedood" it answers "how many civilians?" with "376 burgers zijn gedood". Every number and name
of such an answer is stated, so the grounding checks (`rag.grounding`) pass it.

In a source sentence a count goes with the content words that follow it, up to the next number and at most
`WINDOW` tokens ("168 gewond zijn geraakt": gewond, geraakt; "22 burgers zijn gedood": burgers, gedood). An
answer sentence gives a count N of that source sentence while the question asks about a larger share of the
words the sentence gives with another count M alone than of those it gives with N alone, the answer says those
asked words of M's and does not give M: it has paired M's words with N (`misbound`). `rebind` then writes M
for N, the rest of the answer staying the model's: the sentence says M for what was asked. Only where the
words point to one M and N is written once in that answer sentence, in digits.

Numbers are compared as values (`rag.evaluation.normalize`), words as tokens with stem variants, so only an
answer in its source's language shares them: an English answer over a Dutch sentence is left as it is.
Numbers of the question, years and the days of dates are neither N nor M.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.sentences import split_sentences
from rag.citations import claim_spans, strip_markers
from rag.evaluation.normalize import normalize
from rag.grounding import DATE_WORDS, content_words, is_number, stem_match

WINDOW = 4  # tokens after a number that go with it (the next number ends them sooner)
_YEAR = re.compile(r"1[89]\d\d|20\d\d")
_SURFACE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w]|[.,]\d)")  # a number written in digits


@dataclass(frozen=True)
class Misbinding:
    """The answer gives `given` with `words`, which `sentence` gives with `stated`."""

    given: str  # N, as a value (normalised)
    stated: str  # M, as written in the sentence
    words: tuple[str, ...]
    sentence: str


def counts(tokens: Sequence[str]) -> list[int]:
    """The positions of the `normalize`d tokens that are numbers of things, not a year ("2019") or part of a
    date ("4 maart", "March 5"), which no count replaces."""
    month = [t in DATE_WORDS for t in tokens]
    number = [is_number(t) for t in tokens]

    def day(i: int) -> bool:  # "4 maart"; "March 5", but not the 31 of "27 september 31 burgers"
        if i + 1 < len(tokens) and month[i + 1]:
            return True
        return i > 0 and month[i - 1] and not (i > 1 and number[i - 2])

    return [i for i, t in enumerate(tokens) if number[i] and not _YEAR.fullmatch(t) and not day(i)]


def bound_words(sentence: str) -> dict[str, set[str]]:
    """Each count of the sentence (as a value) -> the content words that follow it (`WINDOW`)."""
    tokens = normalize(sentence)
    out: dict[str, set[str]] = {}
    for i in counts(tokens):
        token = tokens[i]
        words = out.setdefault(token, set())
        for following in tokens[i + 1 : i + 1 + WINDOW]:
            if is_number(following):
                break
            words.update(content_words([following]))
    return out


def misbound(answer: str, sources: Sequence[str], question: str, lang: str | None = None) -> list[Misbinding]:
    """The numbers of the answer's sentences that a source sentence gives for other words than those asked
    about, while it gives another number for them.

    Of the words a source sentence gives with N and not with M (N's own) and those it gives with M and not
    with N (M's own), the question asks about a larger share of M's: N is the wrong number for what was
    asked. A share, not a count, because news elides a shared noun ("31 burgers zijn gedood en 168 gewond"):
    asked how many were wounded, "burgers" goes with 31 alone, and 31's own "gedood" is not asked about.
    The answer must say the words of M's that were asked about, and not give M."""
    asked = normalize(question)
    asked_numbers = {t for t in asked if is_number(t)}
    asked_words = content_words(t for t in asked if not is_number(t))
    sentences = [t[a:b] for t in sources for a, b in split_sentences(t, lang)]
    found = []
    for start, end in claim_spans(answer, lang):
        claim = normalize(strip_markers(answer[start:end]))
        given = {claim[i] for i in counts(claim)} - asked_numbers
        said = content_words(claim)
        for sentence in sentences:
            bound = bound_words(sentence)
            for n in given & bound.keys():
                for m, theirs in bound.items():
                    if m in given or m in asked_numbers:
                        continue
                    own_m, own_n = theirs - bound[n], bound[n] - theirs
                    for_m, for_n = _matching(own_m, asked_words), _matching(own_n, asked_words)
                    share_n = len(for_n) / len(own_n) if own_n else 0.0
                    if for_m and len(for_m) / len(own_m) > share_n and _matching(for_m, said) == for_m:
                        found.append(Misbinding(n, _written(sentence, m) or m, tuple(sorted(for_m)), sentence))
    return found


def _matching(words: set[str], others: list[str]) -> set[str]:
    return {w for w in words if any(stem_match(w, o) for o in others)}


def rebind(answer: str, sources: Sequence[str], question: str, lang: str | None = None) -> tuple[str, list[Misbinding]]:
    """The answer with each misbound number replaced, sentence by sentence, by the one its words go with (where
    they point to one, and the given number is written once in that sentence, in digits); and the misbindings
    found."""
    out, found = answer, list[Misbinding]()
    for start, end in reversed(claim_spans(answer, lang)):
        part = out[start:end]
        mine = misbound(part, sources, question, lang)
        stated: dict[str, set[str]] = {}
        for f in mine:
            stated.setdefault(f.given, set()).add(f.stated)
        for n, ms in stated.items():
            spots = [m for m in _SURFACE.finditer(part) if normalize(m.group()) == [n]]
            if len(ms) == 1 and len(spots) == 1:
                part = part[: spots[0].start()] + ms.pop() + part[spots[0].end() :]
        out = out[:start] + part + out[end:]
        found = mine + found
    return out, found


def _written(sentence: str, value: str) -> str | None:
    """How the sentence writes the number `value` in digits ("1.500" for 1500), or None."""
    return next((m.group() for m in _SURFACE.finditer(sentence) if normalize(m.group()) == [value]), None)
