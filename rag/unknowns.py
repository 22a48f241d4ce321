"""Sentences in which an article says that something is not known (yet): the honest answer to a question
about that detail is that the articles do not give it.

News reports say so in set phrases: "De politie heeft de naam van de bestuurder nog niet bekendgemaakt.", "Hoe
de brand is ontstaan, is nog onduidelijk.", "The council has not disclosed the price.", "The cause is still
being investigated." A 1.5B
model asked for that detail does not say it is unknown: it fills the gap with a name or place from elsewhere
in the passage. So when a sentence of what the model may read (`rag.focus`: the passages' best sentences up to
the budget), scoring within `UNKNOWN_MARGIN` of the one closest to the question, says a detail is unknown, the
question is refused before the model is asked, with that sentence as the evidence.

Separation on `dpg-nl-qa` (80 questions): such a sentence scores within 0.04 of the closest for 5 of the 15
unanswerable questions (0.016-0.033 below it) and for 1 of the 65 answerable ones (0.003: a sentence about
another count being unknown than the one asked for); the next answerable ones are 0.055 and 0.078 below. The
other unanswerable questions' articles say it in words no pattern can tell (a search still under way, an event
still to come).

A question for a cause ("Wat was de oorzaak van de aanvaring?", "What caused the blackout?", "Why …?") is also
not answered by a report that the event is being investigated ("De ILT onderzoekt de aanvaring …"): while it
is, the cause is not known, and the model fills it in with a possible cause that a witness mentioned. Only
cause questions: elsewhere an investigation says nothing about the detail asked for ("How old was the
victim?" over "Police are investigating the death …"). On `dpg-nl-qa` this adds 1 unanswerable question
(gap 0.0, the closest sentence) and no answerable one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.sentences import split_sentences
from rag.records import Source
from rag.scoring import Scorer

# How close to the question's best sentence an "unknown" sentence must score to refuse (see the module
# docstring for where it was read).
UNKNOWN_MARGIN = 0.04

# Dutch and English phrasings of "not known / not said / not made public / still to be decided".
_UNKNOWN = re.compile(
    r"\b(?:"
    # Dutch
    r"(?:nog\s+)?(?:on|niet\s+)duidelijk(?:heid)?|(?:nog\s+)?(?:on|niet\s+)bekend|onbekende?"
    r"|(?:nog\s+)?niet\s+(?:bekendgemaakt|bekend\s*gemaakt|genoemd|vrijgegeven|gezegd|zeggen|vermeld|gemeld|bevestigd)"
    r"|(?:wil|wilde|willen|kan|kon|konden|kunnen)\s+(?:\w+\s+){0,3}(?:nog\s+)?niet\s+(?:zeggen|vertellen|melden|bevestigen|ingaan)"
    r"|geen\s+(?:verklaring|uitleg|namen?|mededelingen|details|bijzonderheden)"
    r"|(?:geheim|geheime|geheimgehouden)|wordt\s+(?:nog\s+)?onderzocht|is\s+(?:nog\s+)?niets\s+bekend"
    r"|zwijgt|zwegen|in\s+het\s+ongewisse"
    # English
    r"|unknown|unclear|not\s+(?:yet\s+)?(?:known|clear|disclosed|released|named|identified|revealed|confirmed|made\s+public)"
    r"|undisclosed|unidentified|(?:declined|refused|would\s+not|could\s+not|did\s+not|does\s+not)\s+(?:to\s+)?"
    r"(?:say|comment|disclose|reveal|confirm|name)|no\s+(?:explanation|details|comment)|secret"
    r"|(?:is|are|was|were)\s+(?:still\s+)?being\s+investigated|remains?\s+to\s+be\s+seen"
    r")\b",
    re.IGNORECASE,
)


# A question for the cause of something ("Wat was de oorzaak van de aanvaring?", "What caused the blackout?",
# "Why did the roof collapse?") ...
_ASKS_CAUSE = re.compile(
    r"\b(?:oorzaak|oorzaken|waardoor|waarom|hoe\s+(?:is|was|kon)\b.*\bontstaan|why|what\s+caused|cause\s+of|causes\s+of)\b",
    re.IGNORECASE,
)
# ... is not answered by a report that the event is being investigated ("De inspectie onderzoekt de aanvaring",
# "Police are investigating the crash"): while it is, the cause is not known. Ongoing forms only: "Uit onderzoek
# blijkt …" and "The investigation found …" report a finding.
_INVESTIGATED = re.compile(
    r"\b(?:onderzoek(?:t|en)\b(?!\s+(?:blijkt|bleek|wijst|wijzen|toont|tonen|laten))|(?:wordt|worden)\s+(?:nog\s+)?onderzocht"
    r"|onderzoek\s+(?:ingesteld|gestart|begonnen|geopend)|(?:stelt|stellen|start|starten|doet|doen)\s+(?:een\s+)?onderzoek"
    r"|(?:is|are)\s+(?:still\s+)?investigating|investigates|under\s+investigation"
    r"|(?:launched|opened|started)\s+an?\s+(?:investigation|inquiry|probe))\b",
    re.IGNORECASE,
)


def says_unknown(sentence: str, question: str = "") -> bool:
    """The sentence says something is not known, not disclosed or still undecided; for a `question` that
    asks for a cause, also that the event is being investigated."""
    if _UNKNOWN.search(sentence):
        return True
    return bool(_ASKS_CAUSE.search(question) and _INVESTIGATED.search(sentence))


def unknown_detail(
    search: str, sources: Sequence[Source], score: Scorer, margin: float = UNKNOWN_MARGIN, *, question: str = ""
) -> dict | None:
    """The evidence for refusing: the sentence of `sources` (what the model reads) that says a detail is
    unknown and scores within `margin` of the sentence closest to `search`; None when there is none. Whether
    an investigation counts (`says_unknown`) is read from `question`, the user's own words (default: `search`),
    not from the earlier turns a follow-up is searched with."""
    question = question or search
    sentences = [(s, s.text[a:b]) for s in sources for a, b in split_sentences(s.text, s.hit.lang)]
    if not sentences:
        return None
    scores = score(search, [text for _, text in sentences])
    best = max(scores)
    for (source, text), value in sorted(zip(sentences, scores, strict=True), key=lambda x: -x[1]):
        if value < best - margin:
            return None
        if says_unknown(text, question):
            return {
                "sentence": text.strip(),
                "article_id": source.hit.article_id,
                "title": source.hit.title,
                "gap": round(best - value, 4),
                "margin": margin,
            }
    return None
