"""Run prompts through retrieval alone or through the whole assistant, and collect scored `Case`s.

Ranking metrics come from the same `rag.retrieval.retrieve` call the assistant makes (same question, k and
budget; for a follow-up, the assistant's standalone question), run once more after answering because the
`Answer` does not carry the ranking. Retrieval-only runs have no model to condense a follow-up with, so they
retrieve on the last user turn plus the question, as the extractive backend does.

Not handled here: loading prompt files, opening stores, printing; `InputError` for one prompt (e.g. too
long) fails that prompt, any other error stops the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from index.records import Hit
from index.store import HybridStore
from rag.answer import retrieval_query
from rag.errors import InputError
from rag.evaluation.metrics import (
    UNTYPED,
    Case,
    aggregate,
    by_type,
    citation_precise,
    hit_rank,
    score_case,
)
from rag.evaluation.prompts import Prompt
from rag.retrieval import Retrieval, retrieve

LISTED = 10  # retrieved passages kept per case (for the report)
SNIPPET_CHARS = 240


@dataclass
class EvalResult:
    metrics: dict[str, float | int | None]
    by_type: dict[str, dict[str, float | int | None]]
    cases: list[Case]
    settings: dict = field(default_factory=dict)  # k, llm, corpus, ...: what the run was

    def as_dict(self) -> dict:
        from dataclasses import asdict

        cases = []
        for case in self.cases:
            row = asdict(case)
            row["timings"] = {stage: round(t, 4) for stage, t in case.timings.items()}
            cases.append(row)
        return {
            "settings": self.settings,
            "metrics": _rounded(self.metrics),
            "by_type": {name: _rounded(m) for name, m in self.by_type.items()},
            "cases": cases,
        }


def _rounded(metrics: dict[str, float | int | None]) -> dict[str, float | int | None]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


def evaluate(
    prompts: Sequence[Prompt],
    *,
    store: HybridStore,
    assistant=None,
    k: int = 5,
    retrieve_k: int = 4,
    progress: bool = True,
    on_case: Callable[[Case], None] | None = None,
    settings: dict | None = None,
) -> EvalResult:
    """Evaluate every prompt; `k` is the hit@k cut-off, `retrieve_k` how many passages retrieval passes on."""

    def case_of(prompt: Prompt) -> Case:
        if assistant is None:
            return retrieval_case(prompt, store, k=k, retrieve_k=retrieve_k)
        return answer_case(prompt, assistant, k=k)

    return run_cases(prompts, case_of, k=k, progress=progress, on_case=on_case, settings=settings)


def run_cases(
    prompts: Sequence[Prompt],
    case_of: Callable[[Prompt], Case],
    *,
    k: int,
    desc: str = "eval",
    progress: bool = True,
    on_case: Callable[[Case], None] | None = None,
    settings: dict | None = None,
) -> EvalResult:
    """`case_of` every prompt in order, with a progress bar, aggregated into an `EvalResult` (any pipeline)."""
    from tqdm import tqdm

    cases: list[Case] = []
    correct = 0
    bar = tqdm(prompts, unit="prompt", desc=desc, disable=not progress)
    for prompt in bar:
        case = case_of(prompt)
        cases.append(case)
        correct += bool(case.correct)
        bar.set_postfix(correct=f"{correct}/{len(cases)}", refresh=False)
        if on_case is not None:
            on_case(case)
    bar.close()
    return EvalResult(aggregate(cases, k), by_type(cases, k), cases, dict(settings or {}, k=k))


def new_case(prompt: Prompt) -> Case:
    return Case(
        id=prompt.id,
        question=prompt.question,
        type=prompt.type or UNTYPED,
        lang=prompt.lang,
        answerable=prompt.answerable,
        answers=list(prompt.answers),
        supporting_article_ids=list(prompt.supporting_article_ids),
    )


def retrieval_case(prompt: Prompt, store: HybridStore, *, k: int, retrieve_k: int) -> Case:
    case = new_case(prompt)
    question = retrieval_query(prompt.question, list(prompt.history))
    started = time.perf_counter()
    found = retrieve(store, question, k=retrieve_k)
    elapsed = time.perf_counter() - started
    case.timings = {"retrieve": elapsed, "total": elapsed}
    _add_ranking(case, found)
    return score_case(case, k)


def answer_case(prompt: Prompt, assistant, *, k: int) -> Case:
    case = new_case(prompt)
    try:
        answer = assistant.ask(prompt.question, list(prompt.history))
    except InputError as e:
        case.error = str(e)
        return score_case(case, k)
    case.lang = case.lang or answer.language
    case.answer, case.refused = answer.answer, answer.refused
    case.timings = dict(answer.timings)
    if answer.refused:
        case.refusal = answer.refusal
        gate = (answer.refusal or {}).get("gate")
        case.refused_by = gate or refusal_stage(answer.timings)
    found = retrieve(assistant.store, retrieval_query(prompt.question, list(prompt.history)), k=assistant.k)
    _add_ranking(case, found)
    passages = {h.chunk_id: h.text for h in found.hits}
    for c in answer.citations:
        passage = passages.get(c.chunk_id, c.quote)
        case.citations.append(
            {
                "n": c.n,
                "article_id": c.article_id,
                "chunk_id": c.chunk_id,
                "quote": c.quote,
                "start": c.start,
                "end": c.end,
                "supported": c.supported,
                "precise": citation_precise(
                    c.article_id, passage, prompt.supporting_article_ids, prompt.answers, case.lang
                ),
            }
        )
    return score_case(case, k)


def refusal_stage(timings: dict[str, float]) -> str:
    """Which stage refused, read from the stages the assistant timed (it stops at the refusing one)."""
    if "generate" not in timings:
        return "retrieval"
    return "verification" if "verify" in timings else "model"


def _add_ranking(case: Case, found: Retrieval) -> None:
    add_ranking(
        case,
        found.candidates,
        given=found.hits,
        dense={h.chunk_id: h.score for h in found.dense},
        best_dense=found.best_dense,
    )


def add_ranking(
    case: Case,
    ranked: Sequence[Hit],
    *,
    given: Sequence[Hit],
    dense: dict[str, float] | None = None,
    best_dense: float | None = None,
) -> None:
    """Fill `hit_rank`, `context_hit`, `best_dense` and `retrieved` from a ranking of passages (any pipeline).

    `given`: the passages the model read; `dense`: cosine similarity per chunk id, where known.
    """
    gold = set(case.supporting_article_ids)
    given_ids = {h.chunk_id for h in given}
    dense = dense or {}
    case.best_dense = round(best_dense, 4) if best_dense is not None else None
    if gold:
        case.hit_rank = hit_rank([h.article_id for h in ranked], gold)
        case.context_hit = any(h.article_id in gold for h in given)
    case.retrieved = [
        _listed(rank, h, gold, h.chunk_id in given_ids, dense.get(h.chunk_id))
        for rank, h in enumerate(ranked[:LISTED], start=1)
    ]


def _listed(rank: int, hit: Hit, gold: set[str], given: bool, dense: float | None) -> dict:
    return {
        "rank": rank,
        "article_id": hit.article_id,
        "chunk_id": hit.chunk_id,
        "title": hit.title,
        "dense": round(dense, 4) if dense is not None else None,  # cosine; None: found by BM25 only
        "gold": hit.article_id in gold,
        "given": given,  # passed to the model (within k and the context budget)
        "text": " ".join(hit.text.split())[:SNIPPET_CHARS],
    }
