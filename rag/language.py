"""The language of a question, so the answer (and a refusal) comes in that language.

Questions are short, where an unrestricted identifier guesses wildly; py3langid is restricted to the
languages newsrag has prompts and messages for, and English is the fallback.
"""

from __future__ import annotations

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
