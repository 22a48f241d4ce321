"""`newsrag eval`: score the assistant (or retrieval alone) against a file of test prompts.

The command parses options, opens the store (the corpus' own one with --corpus), runs `rag.evaluation`,
prints the table and writes the requested files; `--fail-under` turns metrics into an exit code. With
`--baseline` the same prompts then go through LangChain's tutorial pipeline (`rag.evaluation.baseline`), after
all of ours, so the two never evict each other's llama.cpp prompt cache; the outputs compare the two
(`rag.evaluation.comparison`), and bars may be set on the comparison too.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from index.errors import NewsragError
from rag.llms import BACKENDS, EXTRACTIVE
from ui.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

_THRESHOLD = re.compile(r"^\s*([A-Za-z0-9_@]+)\s*=\s*(-?[0-9]*\.?[0-9]+)\s*$")  # a diff bar may be negative


def parse_thresholds(values: tuple[str, ...] | list[str]) -> dict[str, float]:
    """`("answer_accuracy=0.8", "mrr=0.5,hit_at_k=0.9")` -> {metric: bar}; BadParameter names a bad one.

    Comparison figures (`answer_accuracy_diff`, `latency_total_p50_ratio`, ...) are metrics here too.
    """
    from rag.evaluation.comparison import COMPARISON_METRICS
    from rag.evaluation.metrics import COUNTS, METRICS

    known = [m for m in METRICS if m not in COUNTS] + list(COMPARISON_METRICS)
    out: dict[str, float] = {}
    for value in values:
        for item in filter(None, (v.strip() for v in value.split(","))):
            match = _THRESHOLD.match(item)
            if not match:
                raise click.BadParameter(
                    f"expected METRIC=VALUE such as answer_accuracy=0.8, got {item!r}", param_hint="--fail-under"
                )
            name = match.group(1)
            if name not in known:
                raise click.BadParameter(
                    f"unknown metric {name!r}; expected one of {', '.join(known)}", param_hint="--fail-under"
                )
            out[name] = float(match.group(2))
    return out


def below(metrics: dict, thresholds: dict[str, float]) -> list[str]:
    """A message for every metric on the wrong side of its bar (above it for false_refusal_rate, latency)."""
    from rag.evaluation.metrics import lower_is_better

    problems = []
    for name, bar in thresholds.items():
        value = metrics.get(name)
        if value is None:
            problems.append(f"{name} was not measured in this run (bar {bar:g})")
        elif lower_is_better(name) and value > bar:
            problems.append(f"{name} = {value:.3f} is above {bar:g}")
        elif not lower_is_better(name) and value < bar:
            problems.append(f"{name} = {value:.3f} is below {bar:g}")
    return problems


@click.command("eval")
@click.argument("prompts", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("more_thresholds", nargs=-1, metavar="[METRIC=VALUE]...")
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Ingest this corpus (file or folder; repeatable) into a store of its own and evaluate on it.",
)
@click.option("--llm", type=click.Choice(BACKENDS), default=None, help="LLM backend (default: NEWSRAG_LLM).")
@click.option(
    "-k",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Cut-off of hit@k (answers still get NEWSRAG_RETRIEVE_K passages).",
)
@click.option("--retrieval-only", is_flag=True, help="Score retrieval alone; no answers are generated (fast).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N prompts.")
@click.option(
    "--baseline",
    is_flag=True,
    help="Also run the prompts through LangChain's tutorial RAG pipeline (same embeddings and model) and compare.",
)
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write metrics and every case as JSON."
)
@click.option(
    "--report", type=click.Path(dir_okay=False, path_type=Path), help="Write a markdown report of the failed prompts."
)
@click.option(
    "--junit", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML, one test case per prompt."
)
@click.option(
    "--plot", type=click.Path(dir_okay=False, path_type=Path), help="Write a PNG chart of the metrics by type."
)
@click.option(
    "--fail-under",
    "fail_under",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 1 when METRIC is worse than VALUE (for false_refusal_rate and latency_*: above it). "
    "With --baseline also METRIC_diff (ours minus baseline) and latency_{ttft,total}_{p50,p95}_ratio "
    "(ours / baseline; above it fails). Repeatable; further METRIC=VALUE words may follow it.",
)
@click.pass_obj
def eval_command(
    settings: Settings,
    prompts: Path,
    more_thresholds: tuple[str, ...],
    corpus: tuple[Path, ...],
    llm: str | None,
    k: int,
    retrieval_only: bool,
    limit: int | None,
    baseline: bool,
    json_path: Path | None,
    report: Path | None,
    junit: Path | None,
    plot: Path | None,
    fail_under: tuple[str, ...],
) -> None:
    """Evaluate answers (or retrieval alone) against a JSONL or YAML file of test prompts.

    Prints metrics overall and per prompt type (hit@k, MRR, answer accuracy, token F1, citation precision
    and validity, refusal accuracy, false refusal rate, latency per stage). With --baseline, the same
    prompts then go through LangChain's tutorial RAG pipeline and the two are compared side by side.

    \b
    Example:
      newsrag eval tests/prompts/seed.jsonl --fail-under answer_accuracy=0.8 refusal_accuracy=0.8
      newsrag eval questions.jsonl --corpus articles.jsonl --retrieval-only --json out.json
      newsrag eval questions.jsonl --corpus articles.jsonl --limit 50 --report out.md --plot out.png
      newsrag eval tests/prompts/seed.jsonl --corpus corpus --baseline --fail-under answer_accuracy_diff=0.05
    """
    from rag.evaluation.comparison import COMPARISON_METRICS, compare

    if more_thresholds and not fail_under:
        raise click.UsageError(f"unexpected argument {more_thresholds[0]!r} (METRIC=VALUE words follow --fail-under)")
    thresholds = parse_thresholds(list(fail_under) + list(more_thresholds))
    versus = {name: bar for name, bar in thresholds.items() if name in COMPARISON_METRICS}
    if baseline and retrieval_only:
        raise click.UsageError("--baseline compares answers; it cannot be combined with --retrieval-only")
    if versus and not baseline:
        raise click.UsageError(f"--fail-under {next(iter(versus))} compares with the baseline: add --baseline")
    if baseline and (llm or settings.llm) == EXTRACTIVE:
        raise click.UsageError("--baseline needs a chat model; the extractive backend has none")
    try:
        result, base = _run(settings, prompts, corpus, llm, k, retrieval_only, limit, baseline)
    except NewsragError as e:
        raise click.ClickException(str(e)) from e
    comparison = compare(result.metrics, base.metrics) if base is not None else None
    _outputs(result, base, comparison, json_path, report, junit, plot)
    problems = below(result.metrics, {n: b for n, b in thresholds.items() if n not in versus})
    problems += below(comparison or {}, versus)
    if problems:
        raise click.ClickException("evaluation below the bar: " + "; ".join(problems))


def _run(
    settings: Settings,
    prompts: Path,
    corpus: tuple[Path, ...],
    llm: str | None,
    k: int,
    retrieval_only: bool,
    limit: int | None,
    baseline: bool = False,
):
    """Ours, then (with `baseline`) the tutorial pipeline's result on the same prompts, or None."""
    from rag.evaluation.corpus import ingest_corpus
    from rag.evaluation.prompts import load_prompts
    from rag.evaluation.runner import evaluate
    from ui import wiring

    items = load_prompts(prompts)[:limit]
    own = wiring.corpus_settings(settings, corpus) if corpus else settings
    embeddings: Embeddings
    if retrieval_only:
        bot = None
        embeddings = wiring.embedder(own)
        store = wiring.store(own, embeddings)
    else:
        bot = wiring.assistant(own, llm)
        embeddings, store = bot.embeddings, bot.store
    if corpus:
        ingested = ingest_corpus(
            own.home,
            corpus,
            store,
            embeddings,
            max_bytes=int(own.max_file_mb * 2**20),
            max_tokens=own.chunk_max_tokens,
            batch_chunks=own.ingest_batch_chunks,
        )
        click.echo(f"corpus: {ingested.summary()}", err=True)
    base_corpus = corpus or (settings.corpus,)  # the tutorial pipeline reads articles, not our store
    pipeline = _baseline_pipeline(own, base_corpus, bot) if baseline else None
    if bot is not None:
        bot.warm_up()  # as the server does at start: no prompt pays for loading the model
    started = time.perf_counter()
    result = evaluate(
        items,
        store=store,
        assistant=bot,
        k=k,
        retrieve_k=own.retrieve_k,
        settings={
            "prompts": str(prompts),
            "corpus": [str(p) for p in corpus] or f"configured store ({own.home})",
            "llm": "none (retrieval only)" if retrieval_only else (llm or own.llm),
            "retrieve_k": own.retrieve_k,
            "context_chars": own.context_chars,
            "min_relevance": own.min_relevance,
            "embed_model": own.embed_model,
            "limit": limit,
        },
    )
    _summary(result, started)
    if pipeline is None:
        return result, None
    from rag.evaluation.baseline import evaluate_baseline

    started = time.perf_counter()  # after all of ours: the two pipelines' prompts never interleave
    base = evaluate_baseline(
        items,
        pipeline,
        k=k,
        settings={
            "prompts": str(prompts),
            "corpus": [str(p) for p in base_corpus],
            "llm": llm or own.llm,
            "retrieve_k": pipeline.k,
            "embed_model": own.embed_model,
            "store": str(own.home / "baseline"),
            "limit": limit,
        },
    )
    _summary(base, started, "baseline: ")
    return result, base


def _baseline_pipeline(own: Settings, paths: tuple[Path, ...], bot):
    """The tutorial pipeline over `paths` with the assistant's embeddings and chat model; its store next to ours."""
    from rag.evaluation.baseline import TutorialPipeline, open_store

    store = open_store(own.home / "baseline", paths, bot.embeddings, max_bytes=int(own.max_file_mb * 2**20))
    return TutorialPipeline(store, bot.llm)


def _summary(result, started: float, prefix: str = "") -> None:
    seconds = time.perf_counter() - started
    result.settings["seconds"] = round(seconds, 1)
    failed = sum(c.failed for c in result.cases)
    n = len(result.cases)
    rate = n / seconds if seconds else 0
    click.echo(f"{prefix}{n} prompts in {seconds:.1f} s ({rate:.2f} prompts/s); {failed} failed", err=True)


def _outputs(
    result,
    base,
    comparison: dict | None,
    json_path: Path | None,
    report: Path | None,
    junit: Path | None,
    plot: Path | None,
) -> None:
    from rag.evaluation import comparison as versus
    from rag.evaluation import reports

    if base is None:
        reports.print_table(result)
    else:
        versus.print_comparison(result, base, comparison or {})
    if json_path:
        extra = {"baseline": base.as_dict(), "comparison": comparison} if base is not None else None
        reports.write_json(result, json_path, extra)
    if report:
        extra_lines = versus.markdown_section(result, base, comparison or {}) if base is not None else []
        reports.write_markdown(result, report, extra_lines)
    if junit:
        reports.write_junit(result, junit)
    if plot:
        from rag.evaluation.plot import write_plot

        write_plot(result, plot)
    for what, path in (("json", json_path), ("report", report), ("junit", junit), ("plot", plot)):
        if path:
            click.echo(f"wrote {what}: {path}", err=True)
