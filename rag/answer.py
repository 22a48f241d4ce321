"""The answering chain: retrieve → focus → generate (streamed) → check → cite, with per-stage timings.

When a draft fails a check, the model is asked again with more of the passages; when that draft too gives no
fact of the kind asked for (or only restates the question), the two best retrieved passages are read alone,
in turn: a 1.5B model misses the sentence that answers among the others' (on `dpg-nl-qa` this answered 3 more
of 65 answerable questions, false refusals 0.108 -> 0.046; reading all four passages alone answered 2
unanswerable ones from the weaker passages, so only the best two are read).

`Assistant.stream()` yields text deltas (already citation-renumbered, half markers held back) and finally
one `Answer`. `Assistant.ask()` returns just the `Answer`. With `llm=None` the extractive backend answers
(`rag.extractive`): no model, deterministic, in the article's language.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.messages import HumanMessage

from index.records import Hit
from index.sentences import split_sentences
from index.store import HybridStore
from rag import refusal
from rag.binding import rebind
from rag.citations import (
    CitationStream,
    cite,
    claim_spans,
    fix_citations,
    has_content,
    markers_in,
    renumber,
    strip_markers,
    unglue_markers,
    verify,
)
from rag.dates import annotate, iso_days
from rag.errors import InputError, QuestionTooLong
from rag.extractive import extract
from rag.focus import focused_sources
from rag.grounding import Grounds, adds_nothing, asked_for, copied, gives, keys, states_all
from rag.language import detect_language, in_other_language
from rag.periods import asks_for_latest, search_dates
from rag.prompts import NOT_FOUND, answer_messages, prefix_messages, render_sources
from rag.recency import as_of, conflicting_report, newest_first, with_conflict
from rag.records import Answer, Source
from rag.retrieval import Filters, Retrieval, retrieve
from rag.scoring import Scorer, embedding_scorer
from rag.unknowns import unknown_detail

log = logging.getLogger(__name__)

Turn = tuple[str, str]  # (role "user" | "assistant", content)
# An answer sentence's names and numbers must be in its closest source sentences or the ones next to them
# (rag.grounding).
ATTRIBUTION_MARGIN = 0.03
ATTRIBUTION_TOP = 3
ATTRIBUTION_NEIGHBOURS = (-1, 0, 1)  # and the sentences before and after them in their passage
# Gates after which the model is asked once more, with the passages' best sentences up to the budget.
RETRIED = ("model", "grounding", "attribution", "kind", "echo", "language", "copy")
# Gates after which each passage is then read alone: the drafts gave no fact of the kind asked for.
ONE_BY_ONE = ("kind", "echo", "language", "copy")
ALONE = 2  # the first passages of the retrieval ranking read alone then
SEARCHED_TURNS = 2  # the conversation's last user questions searched with a follow-up


def retrieval_query(question: str, history: Sequence[Turn]) -> str:
    """What to search for: the question, after the conversation's last user questions (`SEARCHED_TURNS`)
    when there are any, so that a follow-up ("how long did the talks last?") is searched with its subject
    ("who mediated in Moscow?"), and a follow-up of a follow-up ("and the second?") with the subject the
    conversation started from. On `dpg-nl-qa`'s follow-ups the last question alone put the answering
    article in the top 4 for 9 of 10; the local model's rewrite of the follow-up did worse (two fell to
    ranks 6 and 14) and cost a model call that also evicted the answer prompt's cached prefix."""
    asked = [c[:600] for r, c in history if r == "user" and c][-SEARCHED_TURNS:]
    return " ".join([*asked, question]).strip()


@dataclass
class Assistant:
    store: HybridStore
    embeddings: Embeddings
    llm: Any | None  # a LangChain chat model; None: extractive
    # The answer settings have no defaults here: theirs are those of `ui.settings.Settings` (retrieve_k,
    # context_chars, ...), which `ui.wiring.assistant` passes on.
    k: int
    budget_chars: int  # characters of passage text the model reads (rag.focus)
    # rag.focus: the model first reads the sentences within this of the best one; when its answer fails a
    # check, it is asked once more with the best sentences up to the budget (None: that from the start)
    focus_margin: float | None
    min_relevance: float
    min_support: float
    max_question_chars: int
    max_history_turns: int = 6
    _scorer: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._scorer = embedding_scorer(self.embeddings)

    def ask(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Answer:
        answer = None
        for event in self.stream(question, history, filters):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def stream(
        self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None
    ) -> Generator[str | Answer, None, None]:
        question = self.validate(question)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        language = detect_language(question)

        turns = self._turns(history)
        search = retrieval_query(question, turns)
        t = time.perf_counter()
        latest = asks_for_latest(question)  # "latest", "nu", "so far": the newest reports are preferred
        found, applied = self._retrieve(search, question, language, filters, latest=latest)
        timings["retrieve"] = time.perf_counter() - t

        answer = Answer(question=question, answer="", refused=False, language=language, timings=timings)
        answer.filters = applied
        if not found.hits or not refusal.relevant(found.dense, language, self.min_relevance, question):
            log.info("refused: best relevance %.3f below the threshold", found.best_dense)
            evidence = refusal.relevance_evidence(found.dense, language, self.min_relevance, question)
            yield self._refuse(answer, found.candidates, started, "retrieval", "", evidence)
            return

        t = time.perf_counter()
        wide_first = False  # the model reads the best sentences up to the budget from the start
        if self.llm is None:
            sources = [Source(n, hit) for n, hit in enumerate(found.hits, start=1)]
            raw = extract(search, sources, self._scorer)
            yield renumber(raw, len(sources))[0]
        else:
            wide = self._sources(search, found.hits, None)  # the best sentences up to the budget
            sources = self._sources(search, found.hits, self.focus_margin) if self.focus_margin is not None else wide
            unknown = unknown_detail(search, wide, self._scorer, question=question)
            if unknown is not None:  # "a name has not been given": the honest answer is that none is known
                log.info("refused: the closest sentences say the detail is unknown: %s", unknown["sentence"])
                yield self._refuse(answer, found.candidates, started, "unknown", "", unknown)
                return
            kind = asked_for(question) if self.focus_margin is not None else None
            wide_first = kind is not None and not gives(" ".join(s.text for s in sources), kind, question)
            if wide_first:
                # the closest sentences hold no number, date or name beyond the question's, where one is
                # asked for: they restate the question, and the answer is elsewhere in the passages
                sources = wide
            timings["focus"] = time.perf_counter() - t
            parts: list[str] = []  # the model's own text; what is shown is renumbered on the fly
            for delta in self._generate(question, sources, language, turns, timings, parts):
                if delta:
                    yield delta
            raw = "".join(parts)
        timings["generate"] = time.perf_counter() - t

        t = time.perf_counter()
        kept, gate, evidence = self._check(raw, question, turns, sources, language)
        if gate in RETRIED and self.llm is not None and self.focus_margin is not None and not wide_first:
            # the sentences closest to the question did not give a checked answer (the one that answers
            # may not resemble the question): ask again with the best sentences up to the budget, without
            # streaming the second draft
            log.info("%s check failed (%s): asking again with more of the passages", gate, evidence)
            t_retry = time.perf_counter()
            draft2, second, gate2, evidence2 = self._quiet_draft(question, wide, language, turns)
            timings["retry"] = time.perf_counter() - t_retry
            if gate2 is None:
                raw, kept, gate, sources = draft2, second, None, wide
            else:
                evidence = {**evidence, "retry_gate": gate2, "retry_draft": draft2, "retry": evidence2}
        if evidence.get("retry_gate", gate) in ONE_BY_ONE and self.llm is not None and self.focus_margin is not None:
            # the drafts restated the question without the fact asked for: the model may have missed the
            # sentence that has it among the others; the best retrieved passages are read alone, in turn
            t_alone = time.perf_counter()
            drafts = []
            for hit in found.hits[:ALONE]:
                alone = self._sources(search, [hit], None)
                draft3, third, gate3, _ = self._quiet_draft(question, alone, language, turns)
                drafts.append({"draft": draft3, "gate": gate3})
                if gate3 is None:
                    raw, kept, gate, sources = draft3, third, None, alone
                    break
            timings["alone"] = time.perf_counter() - t_alone
            if gate is not None:
                evidence = {**evidence, "alone": drafts}
        if gate is not None:
            timings["verify"] = time.perf_counter() - t
            log.info("refused by the %s gate: %s", gate, evidence)
            yield self._refuse(answer, found.candidates, started, gate, raw, evidence)
            return
        # a number given for words its sentence gives another number for ("31 burgers … gewond" over "31 burgers
        # zijn gedood en 168 gewond") is that other number
        kept, misbound = rebind(kept, [s.text for s in sources], question, language)
        if misbound:
            log.info("numbers rebound to the words they were given with: %s", misbound)
        kept = narrow_citations(kept, sources, question, language)
        # another day's report gives another figure: the newest first, the other said to differ, both cited
        conflict = conflicting_report(kept, sources, question, language, self._scorer)
        if conflict is not None:
            kept = with_conflict(kept, conflict, language)
        raw = fix_citations(kept, sources, self._scorer, lang=language, threshold=self.min_support)
        text, order = renumber(raw, len(sources))
        citations, checks = verify(text, sources, order, self._scorer, lang=language, threshold=self.min_support)
        timings["verify"] = time.perf_counter() - t
        text = text.strip()
        if conflict is None and ((applied and applied.get("from_question")) or latest):
            # a question about time gets the date its answer holds at: the newest report it cites
            lead = as_of([c.date for c in citations], language)
            text = f"{lead} {text}" if lead else text
        answer.answer, answer.citations, answer.sentences = text, citations, checks
        timings["total"] = time.perf_counter() - started
        yield answer

    def warm_up(self) -> None:
        """Load the model and evaluate the fixed prompt prefix once, so the first question does not pay for
        either (llama.cpp keeps the evaluated prefix for the next prompt that shares it)."""
        self.embeddings.embed_query("warm-up")
        if self.llm is not None:
            self.llm.bind(max_tokens=1).invoke([*prefix_messages(), HumanMessage("Sources:")])

    # --- stages
    def _sources(self, search: str, hits: Sequence[Hit], margin: float | None) -> list[Source]:
        """What the model reads (`rag.focus`), relative dates ("gisteren", "dinsdag") given the day they
        name, from the article's date."""
        sources = focused_sources(search, hits, self._scorer, self.budget_chars, margin)
        return [replace(s, excerpt=annotate(s.text, s.hit.date, s.hit.lang)) for s in sources]

    def validate(self, question: str) -> str:
        """The question, stripped; InputError when it is empty, QuestionTooLong over the limit."""
        if not isinstance(question, str) or not question.strip():
            raise InputError("The question is empty; ask something about the articles.")
        question = question.strip()
        if len(question) > self.max_question_chars:
            raise QuestionTooLong(
                f"The question is {len(question)} characters long; the limit is {self.max_question_chars}."
            )
        return question

    def _retrieve(
        self, search: str, question: str, language: str, filters: Filters | None, *, latest: bool = False
    ) -> tuple[Retrieval, dict | None]:
        """The passages, and the date filter read from the question when one narrowed the search: a day or a
        month the question names (`rag.periods.search_dates`) when the request set no dates, unless nothing
        relevant was dated then (the whole archive is searched instead)."""
        if not (filters and (filters.date_from or filters.date_to)):
            coverage = self.store.catalog.coverage()
            first, last = iso_days(coverage["first_date"]), iso_days(coverage["last_date"])
            corpus = (first[0], last[1]) if first and last else None
            dated = search_dates(question, today=dt.date.today(), corpus_dates=corpus, lang=language)
            if dated is not None:
                period, date_from, date_to = dated
                narrowed = replace(filters or Filters(), date_from=date_from, date_to=date_to)
                if period.kind == "as_of":  # the newest report up to the date holds the state asked about
                    found = self._newest(search, narrowed)
                else:
                    found = retrieve(self.store, search, k=self.k, filters=narrowed)
                if found.hits and refusal.relevant(found.dense, language, self.min_relevance, question):
                    applied = {"date_from": date_from, "date_to": date_to, "sources": list(narrowed.sources)}
                    return found, {**applied, "from_question": period.phrase}
        if latest:
            return self._newest(search, filters), None
        return retrieve(self.store, search, k=self.k, filters=filters), None

    def _newest(self, search: str, filters: Filters | None) -> Retrieval:
        """The newest reports of the story first: look twice as deep, then keep the newest relevant passages."""
        found = retrieve(self.store, search, k=2 * self.k, filters=filters)
        found.hits = newest_first(found.hits, self.k)
        return found

    def _check(
        self, raw: str, question: str, turns: Sequence[Turn], sources: list[Source], language: str
    ) -> tuple[str, str | None, dict]:
        """(the answer's grounded sentences, None, {}) or ("", the refusing gate, its evidence)."""
        if refusal.model_refused(raw):
            return "", "model", {}
        asked = [question, *(c for r, c in turns if r == "user")]
        grounds = Grounds([*asked, render_sources(sources)])
        kept, dropped = grounded(raw, grounds, language)
        if not kept:
            return "", "grounding", {"unstated": dropped}
        # what the conversation already named ("Project Rembrandt" before "and who came second?") is no claim
        kept, misplaced = attributed(kept, sources, " ".join(asked), language, self._scorer)
        if not kept:
            return "", "attribution", {"not_in_the_closest_source_sentences": misplaced}
        kind = asked_for(question)
        if kind and not gives(kept, kind, question):
            return "", "kind", {"asked_for": kind}
        same_language = [s for s in sources if s.hit.lang == language]
        if adds_nothing(kept, question, render_sources(same_language) if same_language else None, language):
            return "", "echo", {"question": question}
        # a model's draft that copies its source sentence ("...ten onrechte...") is not an answer in the
        # question's language, and a copied sentence passes the checks above whatever it answers; the
        # extractive backend quotes its sources by design
        written_in = in_other_language(strip_markers(kept), language) if self.llm is not None else None
        if written_in is not None:
            return "", "language", {"asked_in": language, "written_in": written_in}
        # in the question's language too: asked for a number, date or name, a sentence copied whole passes the
        # kind check on whatever it holds; one that is not about what was asked is no answer
        copy = copied(kept, question, [s.text for s in sources], language) if self.llm is not None and kind else []
        if copy:
            return "", "copy", {"asked_for": kind, "copied": copy}
        return kept, None, {}

    def _quiet_draft(
        self, question: str, sources: list[Source], language: str, turns: Sequence[Turn]
    ) -> tuple[str, str, str | None, dict]:
        """Another draft, not streamed, and its check: (draft, grounded sentences, refusing gate, evidence)."""
        parts: list[str] = []
        for _ in self._generate(question, sources, language, turns, {}, parts):
            pass
        draft = "".join(parts)
        return (draft, *self._check(draft, question, turns, sources, language))

    def _turns(self, history: Sequence[Turn]) -> list[Turn]:
        """The last turns of the conversation, without citation markers (their sources are gone) and cut
        to 600 characters each."""
        turns = [(r, strip_markers(c[:2000])[:600]) for r, c in history if c and r in ("user", "assistant")]
        return turns[-self.max_history_turns :]

    def _generate(
        self,
        question: str,
        sources: list[Source],
        language: str,
        turns: Sequence[Turn],
        timings: dict[str, float],
        parts: list[str],
    ) -> Iterator[str]:
        """Stream the model's answer, renumbered for display; the raw text is collected in `parts`."""
        messages = answer_messages(question, sources, language, turns)
        citing = CitationStream(len(sources))
        started = time.perf_counter()
        assert self.llm is not None  # the extractive backend answers without streaming
        held: str | None = ""  # hold the start back until it cannot be NOT_FOUND
        for chunk in self.llm.stream(messages):
            delta = chunk.content if isinstance(chunk.content, str) else ""
            if not delta:
                continue
            parts.append(delta)
            timings.setdefault("ttft", time.perf_counter() - started)
            if held is not None:
                held += delta
                stripped = held.lstrip()
                if NOT_FOUND.startswith(stripped) or stripped.startswith(NOT_FOUND):
                    continue
                delta, held = held, None
            yield citing.feed(delta)
        if held and not held.lstrip().startswith(NOT_FOUND):
            yield citing.feed(held)
        yield citing.finish()

    def _refuse(
        self, answer: Answer, candidates: list, started: float, gate: str, draft: str, evidence: dict
    ) -> Answer:
        seen: dict[str, dict] = {}
        for hit in candidates:
            if hit.article_id not in seen:
                seen[hit.article_id] = {
                    "article_id": hit.article_id,
                    "title": hit.title,
                    "date": hit.date,
                    "url": hit.url,
                    "source": hit.source,
                }
            if len(seen) == 3:
                break
        answer.refused = True
        answer.refusal = {"gate": gate, "draft": draft, "evidence": evidence}
        answer.answer = refusal.message(answer.language)
        if gate == "unknown":
            answer.answer += " " + refusal.unknown_note(answer.language, evidence["title"], evidence["sentence"])
        answer.citations, answer.sentences = [], []
        answer.closest = list(seen.values())
        answer.closest_label = refusal.closest_label(answer.language)
        answer.coverage = self.store.catalog.coverage()
        answer.timings["total"] = time.perf_counter() - started
        return answer


def grounded(raw: str, grounds: Grounds, language: str) -> tuple[str, dict[str, list[str]]]:
    """The answer without its sentences that state a name or number `grounds` does not (a small model
    invents them when the sources lack the detail asked for), and those sentences with what they lack."""
    text = unglue_markers(raw)
    kept: list[str] = []
    dropped: dict[str, list[str]] = {}
    for start, end in split_sentences(text, language):
        sentence = text[start:end]
        missing = grounds.unstated(sentence)
        if missing:
            dropped[sentence] = missing
        else:
            kept.append(sentence)
    return " ".join(kept), dropped


def attributed(
    text: str, sources: Sequence[Source], question: str, language: str, score: Scorer
) -> tuple[str, dict[str, list[str]]]:
    """The answer without its sentences whose names and numbers (those `question` does not state: for a
    follow-up, the conversation's questions too) are not where the sentence's meaning is.

    A small model copies a figure from the wrong sentence ("376 burgers gewond" where 376 are soldiers and
    168 the wounded civilians), or, asked for a detail the articles say is unknown, fills it in with a
    name from elsewhere in the passage. Either way, the source sentences closest in meaning to the answer
    sentence (within `ATTRIBUTION_MARGIN` of the best, at most `ATTRIBUTION_TOP`), with the sentences just
    before and after them in their passage, do not state its names and numbers. Those sentences are
    dropped, with what they lacked. (The neighbours count because an answer that restates the question's
    sentence takes its fact from the next one: on `dpg-nl-qa` the closest sentences alone refused 8 correct
    drafts read from whole passages and caught 2 wrong ones.)
    """
    # the year of an article's date may complete a day its text states ("zaterdag" -> "6 April 2019")
    asked = Grounds([question, *{s.hit.date[:4] for s in sources if s.hit.date}])
    # (passage, sentence index, text) of every source sentence with content
    candidates = [
        (n, j, s.text[a:b])
        for n, s in enumerate(sources)
        for j, (a, b) in enumerate(split_sentences(s.text, s.hit.lang))
        if has_content(s.text[a:b])
    ]
    texts = [c[2] for c in candidates]
    at = {(n, j): text for n, j, text in candidates}
    kept: list[str] = []
    dropped: dict[str, list[str]] = {}
    for start, end in split_sentences(text, language):
        sentence = text[start:end]
        found = keys(sentence, asked)
        if not found or not candidates:
            kept.append(sentence)
            continue
        sims = score(strip_markers(sentence), texts)
        ranked = sorted(range(len(candidates)), key=lambda i: -sims[i])[:ATTRIBUTION_TOP]
        closest = [candidates[i] for i in ranked if sims[i] >= sims[ranked[0]] - ATTRIBUTION_MARGIN]
        # with the sentences around them: an answer restating the question's sentence takes its fact from
        # the next one ("The final is played in Zeewolde. Millbrook is the opponent.")
        near = {(n, j + d) for n, j, _ in closest for d in ATTRIBUTION_NEIGHBOURS if (n, j + d) in at}
        if states_all(Grounds([at[x] for x in sorted(near)]), found):
            kept.append(sentence)
        else:
            dropped[sentence] = found
    return " ".join(kept), dropped


def narrow_citations(raw: str, sources: Sequence[Source], question: str, language: str) -> str:
    """Cite, for each sentence, the sources that state its names and numbers.

    A small model cites [1][2] where only [2] has the figure, or [1] where [3] has it. For a sentence
    with names or numbers beyond the question's, its citations become those of its cited sources that
    state all of them, or, when none does, the first source that does; a sentence with none of its own
    (or that no source fully states) keeps what it has.
    """
    asked = Grounds([question])
    per_source = {s.n: Grounds([s.hit.title, s.text]) for s in sources}  # not the date line: its digits state no fact
    text = unglue_markers(raw)
    out: list[str] = []
    for start, end in claim_spans(text, language):  # "Claim. [1] Next.": the [1] is the claim's
        sentence = text[start:end]
        found = keys(sentence, asked)
        cited = [n for n in markers_in(sentence) if n in per_source]
        stating = [n for n, g in per_source.items() if states_all(g, found)]
        if found and stating:
            chosen = [n for n in cited if n in stating] or stating[:1]
            if chosen != cited:
                sentence = cite(sentence, chosen)
        out.append(sentence)
    return " ".join(out)
