"""Answer normalisation for matching, in English and Dutch: case, accents, punctuation, articles, numbers.

`normalize` turns "Ten hours," / "tien uur" / "10 uur." into comparable token lists: casefolded, accents
folded ("Poetin" stays "poetin", "één" becomes "1"), punctuation and symbols become spaces, the articles
a/an/the and de/het/een are dropped, digit groups lose their separators ("30.000" and "30,000" are both
"30000"), and number words become digits: English word sequences ("three hundred and seventy-six") and
Dutch compounds ("driehonderdzesenzeventig", "eenendertig", "dertigduizend").

Not handled: ordinals ("tenth", "tiende"), fractions and decimals in words, "1.5" vs "1,5" as decimals
(both become "15", consistently), units ("10 uur" vs "10 hours" stays a mismatch on the unit), and
synonyms or translations of names ("Moskou"/"Moscow": give both forms as gold answers). Ambiguous words are
read by language: English "ten" is a number except in Dutch text ("ten noorden"), Dutch "elf" (11) is one
except in English text; the lone Dutch article "een" is never a number (write "één" for one).
"""

from __future__ import annotations

import re
import unicodedata

ARTICLES = frozenset({"a", "an", "the", "de", "het", "een"})

_EN_SMALL = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_EN_TENS = {
    w: 10 * i
    for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], start=2)
}
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}

_NL_UNITS = {
    w: i for i, w in enumerate(["nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"])
}
_NL_SMALL = {
    **{w: i for w, i in _NL_UNITS.items() if w != "een"},
    **{
        w: i
        for i, w in enumerate(
            [
                "tien",
                "elf",
                "twaalf",
                "dertien",
                "veertien",
                "vijftien",
                "zestien",
                "zeventien",
                "achttien",
                "negentien",
            ],
            start=10,
        )
    },
}
_NL_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ["twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig", "negentig"], start=2
    )
}
_NL_SCALES = (("miljoen", 10**6), ("duizend", 1000), ("honderd", 100))
_NL_UNIT_EN_TENS = re.compile(rf"({'|'.join(_NL_UNITS)})en({'|'.join(_NL_TENS)})")

_DIGIT_GROUPS = re.compile(r"(?<=\d)[.,](?=\d)")
_EEN_ACCENTED = re.compile(r"\b(?:één|eén|éen)\b")


def normalize(text: str, lang: str | None = None) -> list[str]:
    """Comparable tokens of `text` (see module docstring); `lang` ("en", "nl", None) settles ambiguous words."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _EEN_ACCENTED.sub(" 1 ", text)  # before accents are folded: "één" is the number, "een" is not
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _DIGIT_GROUPS.sub("", text)
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    tokens = [t for t in text.split() if t not in ARTICLES]
    return _numbers(tokens, lang)


def _numbers(tokens: list[str], lang: str | None) -> list[str]:
    """Replace number words (English runs, Dutch compounds) by digits."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            # a trailing "and" belongs to the text, not the number ("ten and more")
            tail = [run.pop()] if run[-1] == "and" else []
            out.append(str(_english_value(run)))
            out.extend(tail)
            run.clear()

    for token in tokens:
        if _is_english_number(token, lang) or (token == "and" and run and _scale_seen(run)):
            run.append(token)
            continue
        flush()
        value = None if (lang == "en" and token == "elf") else dutch_number(token)
        out.append(str(value) if value is not None else token)
    flush()
    return out


def _is_english_number(token: str, lang: str | None) -> bool:
    if token == "ten" and lang == "nl":
        return False
    return token in _EN_SMALL or token in _EN_TENS or token in _EN_SCALES


def _scale_seen(run: list[str]) -> bool:
    return any(t in _EN_SCALES for t in run)


def _english_value(words: list[str]) -> int:
    total = current = 0
    for word in words:
        if word == "and":
            continue
        if word in _EN_SMALL:
            current += _EN_SMALL[word]
        elif word in _EN_TENS:
            current += _EN_TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _EN_SCALES[word]
            current = 0
    return total + current


def dutch_number(word: str) -> int | None:
    """The value of a Dutch number word ("tien", "eenendertig", "driehonderdzesenzeventig"), else None.

    The lone article "een" is not a number (None); inside a compound it is one ("eenendertig" = 31).
    """
    if word == "een":
        return None
    return _dutch(word, _NL_SCALES)


def _dutch(word: str, scales: tuple[tuple[str, int], ...]) -> int | None:
    for i, (name, value) in enumerate(scales):
        head, found, tail = word.partition(name)
        if found:
            rest = scales[i + 1 :]
            high = 1 if not head else _dutch(head, rest)
            if tail.startswith("en") and tail != "en" and _dutch(tail[2:], rest) is not None:
                tail = tail[2:]  # "honderdeneen" = 101
            low = 0 if not tail else _dutch(tail, rest)
            if high is None or low is None:
                return None
            return high * value + low
    if word in _NL_SMALL or word in _NL_TENS:
        return _NL_SMALL.get(word, _NL_TENS.get(word))
    if word == "een":  # inside a compound: "eenhonderd"
        return 1
    match = _NL_UNIT_EN_TENS.fullmatch(word)
    if match:
        return _NL_UNITS[match.group(1)] + _NL_TENS[match.group(2)]
    return None
