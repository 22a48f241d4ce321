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
- `adds_nothing`: the answer's content words are all in the question (stems compared loosely, and lemmas by
  simplemma in the answer's language: "threw" is "throwing"): it names no fact beyond what was asked.

Not handled: a wrong name or number that the sources do state (taken from the wrong sentence), and
lower-case languages' names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from functools import lru_cache

import simplemma

from index.catalog import STOPWORDS
from index.sentences import split_sentences
from rag.citations import proper_names, strip_markers
from rag.evaluation.normalize import normalize

# Sound rules applied to both sides before names are compared (Dutch spelling -> English-like).
_SOUNDS = (("oe", "u"), ("ij", "y"), ("k", "c"), ("ou", "ow"), ("j", "y"), ("sj", "sh"), ("tsj", "ch"))
# "billion" alone normalises to 1000000000: a scale word, not a number a source must state
_SCALES = frozenset({"100", "1000", "1000000", "1000000000", "1000000000000"})
NAME_SIMILARITY = 0.75  # difflib ratio of two sound-folded names that count as the same
# difflib ratio of an answer sentence to a source sentence (case, accents and spacing folded) that counts as
# copied; on `dpg-nl-qa` right answers written from a same-language source reach 0.84, a copied sentence 1.0
COPIED = 0.9
_DIGITS = re.compile(r"[0-9]")
_WORDS = re.compile(r"[^\W\d_]+")
_MONTH = (
    r"(?:jan(?:uary|uari)?|feb(?:ruary|ruari)?|mar(?:ch)?|maart|apr(?:il)?|may|mei|june?|juni|july?|juli"
    r"|aug(?:ust|ustus)?|sep(?:t|tember)?|oct(?:ober)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
# a day and month or a month and day, with the year if there is one
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th|e)?\s+{_MONTH}\b(?:,?\s+\d{{4}}\b)?|\b{_MONTH}\s+\d{{1,2}}\b(?:,?\s+\d{{4}}\b)?", re.I
)
# Month and weekday names: a date's words, translated freely ("March"/"maart"); its numbers are checked.
DATE_WORDS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "januari",
        "februari",
        "maart",
        "mei",
        "juni",
        "juli",
        "augustus",
        "oktober",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
    ]
)
# What a question asks for, by its question words (English and Dutch): a number, a date, a name.
_ASKS = (
    (
        "number",
        re.compile(
            r"\b(?:how (?:many|much|long|far|fast|high|big|old|tall)|hoeveel|hoe (?:lang|ver|hoog|groot|oud|snel)"
            r"|(?:what|which) (?:percentage|share|amount|number|age|price|score|sentence|penalty|fine)|at what age"
            r"|what (?:was|is|were) the (?:score|vote|result|final score|margin)"
            r"|welk (?:percentage|bedrag|aantal)|welke (?:leeftijd|prijs|score|uitslag|straf|celstraf|boete)|op welke leeftijd"
            r"|wat (?:was|is|waren) de (?:uitslag|score|stand|stemverhouding))\b",
            re.I,
        ),
    ),
    # "when" and "wanneer" only as the question word, not as a conjunction ("what was the vote when …")
    (
        "date",
        re.compile(
            r"^\s*(?:(?:and|en|but|maar|so)\s+)?(?:when|wanneer)\b|\b(?:what (?:date|day|year)"
            r"|which (?:date|day|year)|since when|(?:op |sinds )?welke (?:datum|dag)|in welk jaar"
            r"|sinds wanneer)\b",
            re.I,
        ),
    ),
    (
        "name",
        re.compile(
            r"^\s*(?:(?:and|en|but|maar)\s+)?(?:who|whom|whose|wie|van wie)\b"
            r"|\b(?:which|welke|welk) (?:country|city|town|village|party|club|team|company|firm|minister"
            r"|mayor|player|coach|president|singer|actor|artist|band|province|land|stad|dorp|plaats"
            r"|partij|ploeg|bedrijf|burgemeester|speler|trainer|zanger|zangeres|acteur|artiest|provincie"
            r"|gemeente)\b",
            re.I,
        ),
    ),
)
# A question asking which person holds a role: the answer names the person, not an office or a body.
_PERSON = re.compile(
    r"\b(?:which|welke) (?:minister|mayor|player|coach|president|singer|actor|artist|burgemeester|speler"
    r"|trainer|zanger|zangeres|acteur|artiest)\b",
    re.I,
)
# Function words that answers add to a restated question without adding a fact.
_FILLER = STOPWORDS | frozenset(
    [
        "yes",
        "no",
        "not",
        "also",
        "said",
        "says",
        "say",
        "according",
        "reported",
        "report",
        "reports",
        "article",
        "articles",
        "source",
        "sources",
        "ja",
        "nee",
        "niet",
        "ook",
        "zei",
        "zegt",
        "zeggen",
        "volgens",
        "meldt",
        "gemeld",
        "bericht",
        "artikel",
        "artikelen",
        "bron",
        "bronnen",
    ]
)


def content_words(tokens: Iterable[str]) -> list[str]:
    """The `normalize`d tokens that carry content: numbers, and words of more than three letters ("got" is not
    one) that are not function words."""
    return [t for t in tokens if t not in _FILLER and (len(t) > 3 or _DIGITS.search(t))]


def is_number(token: str) -> bool:
    """A `normalize`d token is a number (a scale word alone, "billion", is not)."""
    return bool(_DIGITS.search(token)) and token not in _SCALES


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
        numbers = [t for t in normalize(claim) if is_number(t)]
        missing = [t for t in numbers if t not in self.numbers]
        missing += [n for n in _names(claim) if not self.states_name(n)]
        return missing


def keys(sentence: str, asked: Grounds) -> list[str]:
    """The names and numbers of a sentence that the question (`asked`) does not already state."""
    claim = strip_markers(sentence)
    numbers = [t for t in normalize(claim) if is_number(t)]
    names = _names(claim)
    return [t for t in numbers if t not in asked.numbers] + [n for n in names if not asked.states_name(n)]


def states_all(grounds: Grounds, found: list[str]) -> bool:
    """`grounds` states every name and number in `found` (as returned by `keys`)."""
    return all(k in grounds.numbers if _DIGITS.search(k) else grounds.states_name(k) for k in found)


def adds_nothing(answer: str, question: str, sources: str | None = None, lang: str | None = None) -> bool:
    """The answer's content words (not function words, not words of three letters or fewer such as "got")
    all occur in the question, as the same word, a stem variant or, given the answer's language, the same
    lemma ("threw"/"throwing"); given the text of `sources` in the answer's language, also when none of the
    words it adds occurs there (it paraphrases the question: "the collision was caused by a crash")."""
    asked = [t for t in normalize(question) if t not in _FILLER]
    lemmas = {_lemma(q, lang) for q in asked}
    words = content_words(normalize(strip_markers(answer)))
    new = [t for t in words if _lemma(t, lang) not in lemmas and not any(stem_match(t, q) for q in asked)]
    if not new or sources is None:
        return not new
    stated = set(normalize(sources))
    return not any(t in stated or any(stem_match(t, s) for s in stated) for t in new)


def copied(answer: str, question: str, sources: list[str], lang: str | None = None) -> list[str]:
    """The source sentences the answer copies, when every sentence of it is a copy of a source sentence
    (`COPIED`) and together they take up less than half of the question's content words: a sentence copied
    whole that is not about what was asked answers another question ("… de Europese verkiezingen op 23 mei"
    for the day of a vote). [] otherwise (a copy that restates the question's subject is an answer)."""
    text = strip_markers(answer)
    sentences = [_folded(t[a:b]) for t in sources for a, b in split_sentences(t, lang)]
    out = []
    for a, b in split_sentences(text, lang):
        mine = _folded(text[a:b])
        ratio, best = max(((SequenceMatcher(None, mine, t).ratio(), t) for t in sentences), default=(0.0, ""))
        if ratio < COPIED:
            return []
        out.append(best)
    asked = content_words(normalize(question))
    said = {_lemma(t, lang) for t in normalize(text)}
    taken = [q for q in asked if _lemma(q, lang) in said or any(stem_match(q, t) for t in said)]
    return out if out and len(taken) < 0.5 * len(asked) else []


def _folded(text: str) -> str:
    return " ".join(fold(text).split())


def asked_for(question: str) -> str | None:
    """ "number", "date" or "name" when the question's words ask for one ("how many", "wanneer", "who"),
    else None."""
    return next((kind for kind, pattern in _ASKS if pattern.search(question)), None)


def gives(answer: str, kind: str, question: str) -> bool:
    """The answer holds a fact of that kind that the question does not already hold: a number (digits or
    number words) for "number", a number or a month or weekday for "date", a name for "name"."""
    asked = Grounds([question])
    claim = strip_markers(answer)
    numbers = [t for t in normalize(claim) if _DIGITS.search(t) and t not in asked.numbers]
    if kind == "number":
        # a date is not the count, amount or score asked for ("the vote was on 26 March 2019")
        return any(_DIGITS.search(t) and t not in asked.numbers for t in normalize(_DATE.sub(" ", claim)))
    if kind == "date":
        return bool(numbers) or any(fold(w) in DATE_WORDS for w in _WORDS.findall(claim))
    names = [n for n in proper_names(claim) if not asked.states_name(n)]
    if _PERSON.search(question):  # "which minister": an office or a body ("De Tweede Kamer") names no person
        names = [n for n in names if fold(n) not in TITLE_WORDS]
    return bool(names)


# Words English capitalises in the titles of offices and institutions, which Dutch words differently
# ("minister van Buitenlandse Zaken" / "Minister of Foreign Affairs", "Tweede Kamer" / "House of
# Representatives"): a translation, not a name; the name beside them ("Lavrov") is still checked.
TITLE_WORDS = frozenset(
    [
        "minister",
        "ministry",
        "foreign",
        "affairs",
        "prime",
        "president",
        "vice",
        "secretary",
        "state",
        "states",
        "defence",
        "defense",
        "interior",
        "justice",
        "finance",
        "health",
        "parliament",
        "parliamentary",
        "senate",
        "house",
        "representatives",
        "chamber",
        "court",
        "supreme",
        "council",
        "government",
        "department",
        "mayor",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "general",
        "police",
        "army",
        "navy",
        # Dutch: "de Tweede Kamer", "het kabinet", "premier", "de rechtbank"
        "eerste",
        "tweede",
        "kamer",
        "kabinet",
        "regering",
        "ministerie",
        "premier",
        "staatssecretaris",
        "burgemeester",
        "wethouder",
        "gemeente",
        "gemeenteraad",
        "rechtbank",
        "politie",
        "koning",
        "koningin",
    ]
)


def _names(claim: str) -> list[str]:
    """A sentence's proper names to check: not its first word, number words, month and weekday names, or the
    title words of offices (`TITLE_WORDS`)."""
    return [
        n
        for n in sorted(proper_names(claim, skip_first=True))
        if not _is_number_word(n) and fold(n) not in DATE_WORDS and fold(n) not in TITLE_WORDS
    ]


def stem_match(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    # a stem variant ("bankrupt"/"bankruptcy"), not a part of a compound ("kaas"/"kaasdragers")
    return len(short) >= 4 and len(short) >= 0.7 * len(long) and long.startswith(short[: max(4, len(short) - 2)])


@lru_cache(maxsize=65536)
def _lemma(word: str, lang: str | None) -> str:
    """The word's dictionary form in that language (simplemma), or the word itself."""
    if lang is None or _DIGITS.search(word):
        return word
    try:
        return simplemma.lemmatize(word, lang=lang)
    except ValueError:  # a language simplemma has no data for
        return word


@lru_cache(maxsize=65536)
def _close(a: str, b: str) -> bool:
    return same_name(a, b)


def _is_number_word(word: str) -> bool:
    return all(_DIGITS.search(t) for t in normalize(word)) and bool(normalize(word))
