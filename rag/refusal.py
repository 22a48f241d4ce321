"""When to refuse, and how to say it.

Kinds of evidence, because a prompt sentence does not make a 1.5B model refuse (it invents):
1. Retrieval: no passage's dense cosine similarity to the question reaches `min_relevance` (the setting
   NEWSRAG_MIN_RELEVANCE, 0.78 by default), raised by
   `SAME_LANGUAGE_MARGIN` for passages in the question's own language (e5 scores a Dutch question
   against any Dutch text higher than an English one against the same text), and by `MISSING_NAME_MARGIN`
   more for such a passage that names none of the question's proper names (in one language names are
   not translated: a Dutch passage about Moscow talks that never says "Ajax" does not answer
   "Hoe gaat het met Ajax?", however Dutch and sporty the two sound to e5). multilingual-e5-small
   scores everything in a narrow band (about 0.70-0.87); the thresholds are calibrated on this model
   (tests/test_refusal_calibration.py shows the distribution they were read from). Other models: set
   NEWSRAG_MIN_RELEVANCE.
2. The model says so (`NOT_FOUND`, or a sentence such as "the sources do not contain ...").
3. The answer's own words (`rag.grounding`): every sentence states a name or number that no source states
   ("grounding"), the question asks for a number, date or name and the answer gives none ("kind"), or it
   only restates the question ("echo"), or, asked for one, it copies a source sentence whole that is not about
   what was asked ("copy"); or, before the model is asked, a sentence closest to the question says the detail
   is not known, or, asked for a cause, that the event is being investigated ("unknown", `rag.unknowns`).
   Embedding support of a cited sentence is not used: on `dpg-nl-qa` it refused answerable (43%) and
   unanswerable (53%) questions at about the same rate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.records import Hit
from rag.citations import proper_names
from rag.prompts import NOT_FOUND

# Calibrated for multilingual-e5-small with `query: `/`passage: ` prompts (see module docstring), on top of
# the relevance threshold (a setting, like the support threshold of rag.citations: their defaults live in
# ui.settings.Settings, with how they were calibrated).
SAME_LANGUAGE_MARGIN = 0.03
MISSING_NAME_MARGIN = 0.02

MESSAGES = {
    "en": "The articles do not contain the answer to this question.",
    "nl": "Het antwoord op deze vraag staat niet in de artikelen.",
    "de": "Die Artikel enthalten keine Antwort auf diese Frage.",
    "fr": "Les articles ne contiennent pas la réponse à cette question.",
    "es": "Los artículos no contienen la respuesta a esta pregunta.",
    "it": "Gli articoli non contengono la risposta a questa domanda.",
}
# After a refusal by `rag.unknowns`: what the closest article says about the detail asked for.
UNKNOWN = {
    "en": 'The closest article ("{title}") says: "{sentence}"',
    "nl": 'Het dichtstbijzijnde artikel ("{title}") zegt: "{sentence}"',
}
CLOSEST = {"en": "Closest articles:", "nl": "Dichtstbijzijnde artikelen:"}

_MODEL_REFUSAL = re.compile(
    r"NOT[_ ]FOUND|(?:sources?|articles?|passages?|context)\s+(?:do(?:es)?\s+not|don't|doesn't)\s+"
    r"(?:contain|mention|say|provide|include)|no information|"
    r"(?:bronnen|artikelen|teksten)\s+(?:bevatten|vermelden|noemen)\s+(?:geen|niet)|"
    r"staat niet in de (?:bronnen|artikelen)|geen informatie|"
    r"not\s+(?:mentioned|stated|specified|named|given|provided)\s+in\s+(?:the|any)\s+(?:provided\s+)?"
    r"(?:sources?|articles?|passages?|texts?|context)|"
    r"niet\s+(?:vermeld|genoemd|gegeven)\s+in\s+de\s+(?:bronnen|artikelen|teksten?)",
    re.IGNORECASE,
)


def relevant(dense: Sequence[Hit], language: str, min_relevance: float, question: str = "") -> bool:
    """Some passage is similar enough to the question to be worth asking the model about."""
    names = proper_names(question, skip_first=True)

    def bar(hit: Hit) -> float:
        if hit.lang != language:
            return min_relevance
        missing = names and not any(re.search(rf"\b{re.escape(n)}", hit.text, re.IGNORECASE) for n in names)
        return min_relevance + SAME_LANGUAGE_MARGIN + (MISSING_NAME_MARGIN if missing else 0.0)

    return any(h.score >= bar(h) for h in dense)


def relevance_evidence(dense: Sequence[Hit], language: str, min_relevance: float, question: str = "") -> dict:
    """What `relevant` decided on: the best dense similarity and the bars it was held to."""
    return {
        "best_dense": max((h.score for h in dense), default=0.0),
        "best_dense_same_language": max((h.score for h in dense if h.lang == language), default=0.0),
        "min_relevance": min_relevance,
        "same_language_bar": min_relevance + SAME_LANGUAGE_MARGIN,
        "same_language_bar_without_the_question_names": min_relevance + SAME_LANGUAGE_MARGIN + MISSING_NAME_MARGIN,
    }


def message(language: str) -> str:
    return MESSAGES.get(language, MESSAGES["en"])


def unknown_note(language: str, title: str, sentence: str) -> str:
    """The sentence in which the closest article says the detail asked for is not known, quoted."""
    return UNKNOWN.get(language, UNKNOWN["en"]).format(title=title or "untitled", sentence=sentence)


def closest_label(language: str) -> str:
    """The heading above a refusal's closest articles, in the answer's language (English for others)."""
    return CLOSEST.get(language, CLOSEST["en"])


def model_refused(text: str) -> bool:
    """The model's own answer says the sources do not contain it."""
    return text.strip().startswith(NOT_FOUND) or bool(_MODEL_REFUSAL.search(text))
