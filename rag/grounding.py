"""Is an answer grounded in what the model read, and does it answer at all? Lexical checks, any language.

A 1.5B model asked about a detail its sources do not give does not say so: it writes a fluent sentence
with a name, number or date of its own ("The auction is being bought by Visserij Jansen [1]."), or it
restates the question ("The director said the company had gone bankrupt [1]."). Embedding similarity
cannot tell either from a real answer (both read like the passage), but their words can:

- `unstated`: the names and numbers of a sentence that neither the question nor the sources state.
  Numbers are compared as values (`rag.evaluation.normalize`: "7,4 miljard" and "7.4 billion" share 74,
  "negentien" is 19). Names are compared loosely, because they are translated or transliterated between
  Dutch and English: accents folded, a shared stem ("Catalonia"/"Catalonië"), or close spelling after a
  few Dutch-English sound rules ("Poetin"/"Putin", "Moskou"/"Moscow"). Names that differ entirely between
  the languages ("Duitsland"/"Germany") are not recognised: such a sentence counts as unstated.
- `adds_nothing`: the answer's content words are all in the question (stems compared loosely): it names
  no fact beyond what was asked.

Not handled: a wrong name or number that the sources do state (taken from the wrong sentence), and
lower-case languages' names.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

from index.catalog import STOPWORDS
from rag.citations import proper_names, strip_markers
from rag.evaluation.normalize import normalize

# Sound rules applied to both sides before names are compared (Dutch spelling -> English-like).
_SOUNDS = (("oe", "u"), ("ij", "y"), ("k", "c"), ("ou", "ow"), ("j", "y"), ("sj", "sh"), ("tsj", "ch"))
# "billion" alone normalises to 1000000000: a scale word, not a number a source must state
_SCALES = frozenset({"100", "1000", "1000000", "1000000000", "1000000000000"})
NAME_SIMILARITY = 0.75  # difflib ratio of two sound-folded names that count as the same
_DIGITS = re.compile(r"[0-9]")
_WORDS = re.compile(r"[^\W\d_]+")
# Function words that answers add to a restated question without adding a fact.
_FILLER = STOPWORDS | frozenset(
    """yes no not also said says say according reported report reports article articles source sources
    ja nee niet ook zei zegt zeggen volgens meldt gemeld bericht artikel artikelen bron bronnen""".split()
)


def fold(word: str) -> str:
    """Casefolded, accents removed."""
    word = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in word if not unicodedata.combining(c))


def _sound(word: str) -> str:
    for a, b in _SOUNDS:
        word = word.replace(a, b)
    return word


def same_name(a: str, b: str) -> bool:
    """Two (folded) names are the same up to translation: equal, a shared stem, or close in sound."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) >= 5 and long.startswith(short[: max(5, len(short) - 2)]):
        return True
    return SequenceMatcher(None, _sound(a), _sound(b)).ratio() >= NAME_SIMILARITY


class Grounds:
    """What a set of texts (the question, the sources as the model read them) states: words and numbers."""

    def __init__(self, texts: list[str]) -> None:
        joined = "\n".join(texts)
        self.tokens = set(normalize(joined))
        self.numbers = {t for t in self.tokens if _DIGITS.search(t)}
        self.words = {fold(w) for w in _WORDS.findall(joined)}
        self.text = fold(joined)

    def states_name(self, name: str) -> bool:
        folded = fold(name)
        if folded in self.words or (len(folded) >= 4 and folded in self.text):
            return True
        return any(_close(folded, w) for w in self.words if abs(len(w) - len(folded)) <= 4)

    def unstated(self, sentence: str) -> list[str]:
        """The sentence's names and numbers that these texts do not state (its first word is not taken for a
        name: English capitalises "Around" and "Nearly" there too)."""
        claim = strip_markers(sentence)
        numbers = [t for t in normalize(claim) if _DIGITS.search(t) and t not in _SCALES]
        missing = [t for t in numbers if t not in self.numbers]
        missing += [n for n in sorted(proper_names(claim, skip_first=True)) if not _is_number_word(n) and not self.states_name(n)]
        return missing


def adds_nothing(answer: str, question: str) -> bool:
    """The answer's content words (not function words) all occur in the question."""
    asked = [t for t in normalize(question) if t not in _FILLER]
    new = [t for t in normalize(strip_markers(answer)) if t not in _FILLER]
    return not any(not any(_stem_match(t, q) for q in asked) for t in new)


def _stem_match(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short[: max(4, len(short) - 2)])


@lru_cache(maxsize=65536)
def _close(a: str, b: str) -> bool:
    return same_name(a, b)


def _is_number_word(word: str) -> bool:
    return all(_DIGITS.search(t) for t in normalize(word)) and bool(normalize(word))
