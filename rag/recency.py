"""News changes over days: which reports to prefer, and saying as of when an answer holds.

`newest_first` turns "latest", "nu", "so far" in a question (`rag.periods.asks_for_latest`) into a preference:
retrieval looks twice as deep, and among the passages about the same story (dense similarity within
`SAME_STORY_MARGIN` of the best) the newest are the ones kept (`rag.focus` then numbers them by their best
sentence). Passages about other things keep their place; nothing relevant is dropped for being old when
nothing newer is relevant.

`as_of` is the lead an answer gets when its question is about time (it asked for the latest, or named a day
or a period): "As of 10 April 2019:" with the date of the newest report it cites.

`conflicting_report` finds a report of another day that gives another figure for the same thing as the answer
(the same counted word, "200 mensen" / "450 mensen", in a sentence as close in meaning as `SAME_FIGURE`), and
`with_conflict` rewrites the answer to give the newest figure first and the other with its date, both cited
and quoted verbatim, so a reader sees the story moved.

Not handled here: which figure is newer inside one article (one date per article), articles without a date
(they sort last, never set the "as of" date and never count as another day's report), and figures whose
counted word differs between reports ("200 mensen" / "200 inwoners") or languages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.catalog import STOPWORDS
from index.records import Hit
from index.sentences import split_sentences
from rag.citations import markers_in, strip_markers
from rag.dates import MONTH_NAMES, article_day, format_day
from rag.evaluation.normalize import normalize
from rag.grounding import Grounds, fold, keys
from rag.records import Source
from rag.scoring import Scorer

# e5 cosine below the best passage's that still counts as the same story (its scores sit in a narrow band)
SAME_STORY_MARGIN = 0.02
AS_OF = {"en": "As of {day}:", "nl": "Per {day}:"}
# Two source sentences report the same figure when their e5 cosine reaches SAME_FIGURE and most of the shorter
# one's content words are in the other (SAME_WORDS): "629 mensen het leven gekost" / "1000 mensen besmet" share
# "mensen" and score 0.90, "450 mensen geëvacueerd" / "200 mensen geëvacueerd" score 0.93 and share every word.
SAME_FIGURE = 0.90
SAME_WORDS = 0.6
NEWEST = {"en": "The newest report ({day}): “{quote}” [{n}].", "nl": "Het nieuwste bericht ({day}): “{quote}” [{n}]."}
EARLIER = {
    "en": "An earlier report ({day}) said otherwise: “{quote}” [{n}].",
    "nl": "Een eerder bericht ({day}) meldde iets anders: “{quote}” [{n}].",
}
EARLIER_SAID = {"en": "Earlier reports ({day}) said:", "nl": "Eerdere berichten ({day}) meldden:"}

_SCALE = r"miljoen|miljard|duizend|million|billion|thousand"
# "450 mensen", "3,5 miljoen euro": a number and the word it counts
_QUANTITY = re.compile(rf"(?<![\w.,])(\d+(?:[.,]\d+)*)\s+(?:({_SCALE})\s+)?([^\W\d_]{{3,}})", re.IGNORECASE)
_NOT_COUNTED = frozenset(fold(m) for names in MONTH_NAMES.values() for m in names)


@dataclass(frozen=True)
class Conflict:
    """Source `other` (of `other_day`) gives another figure than source `source` (of `day`), which states the
    answer's; `quote` is `other`'s sentence."""

    source: int
    day: dt.date
    other: int
    other_day: dt.date
    quote: str
    answered: bool = False  # the answer states the other figure too (without saying which report is newer)


def newest_first(hits: Sequence[Hit], k: int, margin: float = SAME_STORY_MARGIN) -> list[Hit]:
    """The k passages to answer a question about the latest state of a story, newest report first.

    `hits` are in retrieval order with their dense similarity as `score` (0 when only keyword search found
    them). Those within `margin` of the best are the story; its newest passages come first (ties keep the
    retrieval order), then the rest in retrieval order, up to k.
    """
    if not hits:
        return []
    best = max(h.score for h in hits)
    story = [h for h in hits if h.score >= best - margin]
    story.sort(key=lambda h: article_day(h.date) or dt.date.min, reverse=True)  # stable: ties keep the order
    chosen = story[:k]
    rest = [h for h in hits if h not in chosen]
    return chosen + rest[: k - len(chosen)]


def as_of(dates: Sequence[str | None], lang: str) -> str:
    """ "As of 10 April 2019:" for the newest of the cited reports' dates; "" when none has a full date."""
    days = [d for d in map(article_day, dates) if d is not None]
    if not days:
        return ""
    return AS_OF.get(lang, AS_OF["en"]).format(day=format_day(max(days), lang))


def quantities(sentence: str) -> set[tuple[str, str]]:
    """(counted word, value) pairs: "3,5 miljoen euro" -> ("euro", "35 miljoen"); not dates ("9 april")."""
    out = set()
    for number, scale, word in _QUANTITY.findall(sentence):
        if fold(word) not in _NOT_COUNTED:
            out.add((fold(word), " ".join(filter(None, (re.sub(r"[.,]", "", number), fold(scale))))))
    return out


def conflicting_report(
    answer: str, sources: Sequence[Source], question: str, lang: str, score: Scorer, min_similarity: float = SAME_FIGURE
) -> Conflict | None:
    """The first report of another day that gives another figure for what an answer sentence states, if any.

    For each answer sentence with a number the question does not hold, the sentence of a cited source that
    states it with a counted word is found; a sentence of a source of another day with the same counted word,
    another value, and a similarity of at least `min_similarity` to it is the conflict.
    """
    days = {s.n: article_day(s.hit.date) for s in sources}
    if len({d for d in days.values() if d}) < 2:
        return None
    by_n = {s.n: s for s in sources}
    asked = Grounds([question])
    sentences = {s.n: [s.hit.text[a:b] for a, b in split_sentences(s.hit.text, s.hit.lang)] for s in sources}
    for a, b in split_sentences(answer, lang):
        claim = answer[a:b]
        numbers = {k for k in keys(claim, asked) if k[:1].isdigit()}
        for n in markers_in(claim):
            if n not in by_n or days[n] is None:
                continue
            stating = [(t, q) for t in sentences[n] for q in quantities(t) if q[1].split()[0] in numbers]
            for text, (word, value) in stating:
                found = _other_figure(text, word, value, n, days, sentences, asked, score, min_similarity)
                if found:
                    other, quote = found
                    answered = any(w == word and v.split()[0] in numbers for w, v in quantities(quote))
                    return Conflict(n, days[n], other, days[other], quote, answered)  # type: ignore[arg-type]
    return None


def _other_figure(
    text: str, word: str, value: str, n: int, days: dict, sentences: dict, asked: Grounds, score: Scorer, min_sim: float
) -> tuple[int, str] | None:
    rivals = [
        (m, t)
        for m, ts in sentences.items()
        if days[m] and days[m] != days[n]
        for t in ts
        if any(w == word and v != value and v.split()[0] not in asked.numbers for w, v in quantities(t))
        and _shared_words(text, t) >= SAME_WORDS
    ]
    if not rivals:
        return None
    sims = score(text, [t for _, t in rivals])
    best = max(range(len(rivals)), key=lambda i: sims[i])
    return rivals[best] if sims[best] >= min_sim else None


def with_conflict(answer: str, conflict: Conflict, lang: str) -> str:
    """The answer with the other day's report: the newest figure first, the earlier one said to differ."""
    lang = lang if lang in NEWEST else "en"
    quote = " ".join(strip_markers(conflict.quote).split()).rstrip(".")
    day = format_day(conflict.other_day, lang)
    if conflict.other_day < conflict.day:
        return f"{answer.strip()} {EARLIER[lang].format(day=day, quote=quote, n=conflict.other)}"
    newest = NEWEST[lang].format(day=day, quote=quote, n=conflict.other)
    if conflict.answered:  # both figures are in the answer already: say which is the newest
        return f"{newest} {answer.strip()}"
    return f"{newest} {EARLIER_SAID[lang].format(day=format_day(conflict.day, lang))} {answer.strip()}"


def _shared_words(a: str, b: str) -> float:
    """The share of the shorter sentence's content words (no numbers, no stopwords) that the other has."""
    wa, wb = ({t for t in normalize(x) if t.isalpha() and t not in STOPWORDS} for x in (a, b))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))
