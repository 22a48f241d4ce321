"""Per-prompt scores and their aggregation, overall and by prompt type. Pure functions over `Case`s.

A metric with no eligible prompt is None, shown as "-".
Counts: `n` prompts, `n_ranked` with gold articles, `n_scored` with gold answers scored on a generated
answer, `n_unanswerable`. Definitions:
- `hit_at_k`, `mrr`: prompts with `supporting_article_ids`. `hit_rank` is the 1-based rank of the first
  passage from a gold article in the fused ranking (`Retrieval.candidates`, passages, not articles);
  a gold article outside the ranking counts as a miss (reciprocal rank 0).
- `context_recall`: same prompts; a gold article is among the passages actually given to the model.
- `answer_accuracy`, `token_f1`: answerable prompts with gold answers, when answers were generated. Correct
  when the answer is not a refusal and some gold answer's normalised tokens occur as a contiguous run in
  the normalised answer (`rag.evaluation.normalize`); token F1 is SQuAD's, best over the gold answers,
  0 for a refusal.
- `citation_precision`: all citations of non-refused answers to answerable prompts (micro average): the
  cited passage is from a gold article, or contains a gold answer.
- `citation_validity`: non-refused answers whose every `[n]` marker names one of the listed citations
  (None for a pipeline that does not cite, such as the baseline).
- `refusal_accuracy`: unanswerable prompts that were refused; `false_refusal_rate`: answerable ones refused.
- `latency_<stage>_p50` / `_p95`: seconds, linear-interpolated percentiles of each timed stage.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rag.citations import blank_markers, markers_in
from rag.evaluation.normalize import normalize

UNTYPED = "untyped"
STAGES = ("condense", "retrieve", "generate", "verify", "ttft", "total")
# Metrics where a lower value is better: `--fail-under` fails when they are above the bar.
LOWER_IS_BETTER_PREFIXES = ("false_refusal_rate", "latency_")
QUALITY = (
    "hit_at_k",
    "mrr",
    "context_recall",
    "answer_accuracy",
    "token_f1",
    "citation_precision",
    "citation_validity",
    "refusal_accuracy",
    "false_refusal_rate",
)
COUNTS = ("n", "n_ranked", "n_scored", "n_unanswerable")  # prompts in all, with gold articles, ...
METRICS = (*COUNTS, *QUALITY, *(f"latency_{s}_{p}" for s in STAGES for p in ("p50", "p95")))


@dataclass
class Case:
    """One evaluated prompt: what went in, what came out, and its scores (filled by `score_case`)."""

    id: str
    question: str
    type: str
    lang: str | None
    answerable: bool
    answers: list[str]
    supporting_article_ids: list[str]
    answer: str | None = None  # None: retrieval only
    refused: bool | None = None
    refused_by: str | None = None  # "retrieval" (relevance gate), "model" (said so) or "verification"
    refusal: dict | None = None  # on refusal, from the assistant: {"gate", "draft", "evidence"}
    citations: list[dict] = field(default_factory=list)  # n, article_id, chunk_id, quote, supported, precise
    retrieved: list[dict] = field(default_factory=list)  # rank, article_id, chunk_id, score, title, text, gold
    hit_rank: int | None = None
    context_hit: bool | None = None
    best_dense: float | None = None  # the refusal gate's evidence: best dense cosine similarity
    correct: bool | None = None
    f1: float | None = None
    citation_valid: bool | None = None
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def has_gold_articles(self) -> bool:
        return bool(self.supporting_article_ids)

    @property
    def generated(self) -> bool:
        return self.answer is not None or self.error is not None

    @property
    def failed(self) -> bool:
        return self.error is not None or self.correct is False or self.citation_valid is False


# --- single scores


def answer_matches(answer: str, golds: Iterable[str], lang: str | None = None) -> bool:
    """Some gold answer's normalised tokens occur as a contiguous run in the normalised answer."""
    tokens = normalize(blank_markers(answer), lang)
    for gold in golds:
        g = normalize(gold, lang)
        if g and any(tokens[i : i + len(g)] == g for i in range(len(tokens) - len(g) + 1)):
            return True
    return False


def token_f1(answer: str, golds: Iterable[str], lang: str | None = None) -> float:
    """SQuAD token F1 of the normalised answer against the best-matching gold answer."""
    tokens = normalize(blank_markers(answer), lang)
    best = 0.0
    for gold in golds:
        g = normalize(gold, lang)
        common = sum((Counter(tokens) & Counter(g)).values())
        if common:
            precision, recall = common / len(tokens), common / len(g)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def hit_rank(ranked_article_ids: Sequence[str], gold: Iterable[str]) -> int | None:
    """1-based rank of the first item from a gold article; None when there is none."""
    gold = set(gold)
    return next((rank for rank, a in enumerate(ranked_article_ids, start=1) if a in gold), None)


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def citation_precise(
    article_id: str, passage: str, gold_ids: Iterable[str], answers: Iterable[str], lang: str | None = None
) -> bool:
    """The citation points to a gold article, or to a passage that contains a gold answer."""
    return article_id in set(gold_ids) or answer_matches(passage, answers, lang)


def citations_valid(answer: str, cited_numbers: Iterable[int]) -> bool:
    """Every `[n]` marker of the answer names a listed citation (vacuously true without markers)."""
    listed = set(cited_numbers)
    used = set(markers_in(answer))
    return used <= listed


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100), linear interpolation between closest ranks (numpy's default).

    The one percentile of newsrag (`newsrag eval` and `newsrag bench`). No values: None, as for every metric
    nothing was measured for; a caller that needs a number checks for values first. A `q` outside 0..100 is
    a ValueError.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"Expected a percentile between 0 and 100, got {q}")
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def score_case(case: Case, k: int, *, cites: bool = True) -> Case:
    """Fill `correct`, `f1` and `citation_valid` from what the case holds (see the module docstring).

    `cites=False`: the pipeline does not cite at all (the baseline), so `citation_valid` stays None.
    """
    if case.error is not None:
        case.correct = False
        return case
    if case.answer is None:  # retrieval only
        case.correct = (case.hit_rank is not None and case.hit_rank <= k) if case.has_gold_articles else None
        return case
    if not case.answerable:
        case.correct = bool(case.refused)
    elif case.answers:
        case.correct = not case.refused and answer_matches(case.answer, case.answers, case.lang)
        case.f1 = 0.0 if case.refused else token_f1(case.answer, case.answers, case.lang)
    if cites and not case.refused:
        case.citation_valid = citations_valid(case.answer, [c["n"] for c in case.citations])
    return case


# --- aggregation


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def aggregate(cases: Sequence[Case], k: int) -> dict[str, float | int | None]:
    """All metrics over `cases` (keys in `METRICS` order)."""
    gold = [c for c in cases if c.has_gold_articles and c.error is None]
    generated = [c for c in cases if c.generated]
    scored = [c for c in generated if c.answerable and c.answers]
    answered = [c for c in generated if c.error is None and not c.refused]
    citations = [cit for c in answered if c.answerable for cit in c.citations]
    out: dict[str, float | int | None] = {
        "n": len(cases),
        "n_ranked": len(gold),
        "n_scored": len(scored),
        "n_unanswerable": sum(1 for c in cases if not c.answerable),
        "hit_at_k": _share([c.hit_rank is not None and c.hit_rank <= k for c in gold]),
        "mrr": _mean([reciprocal_rank(c.hit_rank) for c in gold]),
        "context_recall": _share([bool(c.context_hit) for c in gold]),
        "answer_accuracy": _share([bool(c.correct) for c in scored]),
        "token_f1": _mean([c.f1 or 0.0 for c in scored]),
        "citation_precision": _share([bool(cit.get("precise")) for cit in citations]),
        "citation_validity": _share([bool(c.citation_valid) for c in answered if c.citation_valid is not None]),
        "refusal_accuracy": _share([bool(c.refused) for c in generated if not c.answerable]),
        "false_refusal_rate": _share([bool(c.refused) for c in generated if c.answerable]),
    }
    for stage in STAGES:
        values = [c.timings[stage] for c in cases if stage in c.timings]
        out[f"latency_{stage}_p50"] = percentile(values, 50)
        out[f"latency_{stage}_p95"] = percentile(values, 95)
    return out


def by_type(cases: Sequence[Case], k: int) -> dict[str, dict[str, float | int | None]]:
    """`aggregate` per prompt type, types in order of first appearance."""
    groups: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        groups[case.type or UNTYPED].append(case)
    return {name: aggregate(group, k) for name, group in groups.items()}


def lower_is_better(metric: str) -> bool:
    return metric.startswith(LOWER_IS_BETTER_PREFIXES)
