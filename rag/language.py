"""The language of a question, so the answer (and a refusal) comes in that language.

Questions are short, where an unrestricted identifier guesses wildly; py3langid is restricted to the
languages newsrag has prompts and messages for, and English is the fallback.
"""

from __future__ import annotations

import re
from functools import lru_cache

SUPPORTED = ("en", "nl", "de", "fr", "es", "it")
FALLBACK = "en"


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(SUPPORTED))
    return identifier


def detect_language(text: str) -> str:
    """Two-letter code of `text` among SUPPORTED; FALLBACK when unsure."""
    if not any(ch.isalpha() for ch in text):
        return FALLBACK
    lang, prob = _identifier().classify(text)
    return lang if prob >= 0.5 else FALLBACK


# An answer is "in another language" only when the identifier is this sure over at least this many of its
# lower-case words: names ("Partij voor de Dieren", "Provinciale Staten") are capitalised and say nothing
# of the language the answer is written in.
OTHER_LANGUAGE_PROBABILITY = 0.9
OTHER_LANGUAGE_MIN_WORDS = 8
_NAME = re.compile(r"\b[A-Z\u00C0-\u00DE][\w'-]*")


def in_other_language(text: str, language: str) -> str | None:
    """The language `text` is written in when it is surely not `language` (a draft that copies its source
    sentence instead of answering in the question's language), else None."""
    words = _NAME.sub(" ", text)
    if sum(any(ch.isalpha() for ch in w) for w in words.split()) < OTHER_LANGUAGE_MIN_WORDS:
        return None
    lang, prob = _identifier().classify(words)
    return lang if lang != language and prob >= OTHER_LANGUAGE_PROBABILITY else None
