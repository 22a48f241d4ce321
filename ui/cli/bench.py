"""`newsrag bench`: parses the options, builds the setup (`ui.wiring.bench_setup`) and runs `rag.bench`."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import click

from ui.cli.index import stats
from ui.settings import Settings


def _sizes(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in value.split(",") if s.strip())
    except ValueError:
        raise click.BadParameter(f"expected comma-separated chunk counts like 1000,10000, got {value!r}") from None
    if not sizes or min(sizes) < 1:
        raise click.BadParameter(f"expected positive chunk counts, got {value!r}")
    return sizes


@click.command()
@click.option(
    "--corpus",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="File or folder to benchmark on (default: NEWSRAG_CORPUS, i.e. corpus/).",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False), help="Write all figures here.")
@click.option(
    "--sizes",
    default="1000,10000,100000,1000000",
    callback=_sizes,
    hidden=True,
    help="Store sizes (chunks) for the retrieval latencies.",
)
@click.option(
    "--queries", type=click.IntRange(5, 10_000), default=100, hidden=True, help="Timed queries per mode and size."
)
@click.option(
    "--llm-questions", type=click.IntRange(1, 5), default=5, hidden=True, help="How many of the five questions."
)
@click.option(
    "--llm-max-tokens",
    type=click.IntRange(1, 4096),
    default=None,
    hidden=True,
    help="Most tokens per answer (default: NEWSRAG_LLM_MAX_TOKENS).",
)
@click.option(
    "--skip",
    type=click.Choice(["encoder", "reference", "retrieval", "llm"]),
    multiple=True,
    hidden=True,
    help="Leave out a phase (repeatable).",
)
@click.option(
    "--llm-corpus",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    hidden=True,
    help="The sample corpus the LLM questions are about (default: corpus/ here, when it exists).",
)
@click.pass_obj
def bench(
    settings: Settings,
    corpus: Path | None,
    json_path: Path | None,
    sizes: tuple[int, ...],
    queries: int,
    llm_questions: int,
    llm_max_tokens: int | None,
    skip: tuple[str, ...],
    llm_corpus: Path | None,
) -> None:
    """Measure ingestion, retrieval and the local LLM on a corpus, in temporary stores.

    Raw encoder vs `newsrag ingest` vs LangChain's tutorial pipeline, re-ingest, dense/BM25/hybrid
    latency at 1k/10k/100k/1M chunks (with the store's size, memory and `newsrag stats` time), LLM speed on five fixed questions, peak memory per phase, and the
    performance targets, with the CPU's vector flags, the encoder backend and llama.cpp's build. Your own
    store is not touched. Needs about 15 GB of free disk for the 1M-chunk store.

    \b
    Example:
      newsrag bench
      newsrag bench --corpus ../shared/corpora/dpg-nl-2019/articles.jsonl --json bench.json
    """
    from rich.console import Console

    from rag.bench import report as bench_report
    from rag.bench.runner import BenchOptions, run_bench

    console = Console(stderr=True)
    sample = Path("corpus")
    options = BenchOptions(
        corpus=corpus or settings.corpus,
        sizes=sizes,
        queries=queries,
        llm_questions=llm_questions,
        llm_max_tokens=llm_max_tokens,
        llm_corpus=llm_corpus or (sample.resolve() if sample.is_dir() else None),
        skip=frozenset(skip),
    )
    if not options.corpus.exists():
        raise click.BadParameter(f"{options.corpus} does not exist", param_hint="--corpus")

    def on_phase(name: str, status: str, stats: dict[str, Any] | None) -> None:
        if status == "start":
            console.rule(f"[bold]{name}")
        elif status == "failed":
            console.print(f"[red]{name} failed[/]; the other phases go on")
        elif stats is not None:
            console.print(bench_report.phase_line(name, stats))

    from ui.wiring import bench_setup

    report = run_bench(bench_setup(settings, partial(run_stats, settings)), options, on_phase)
    console.print(bench_report.table(report))
    if json_path is not None:
        bench_report.write_json(report, json_path)
    failed = bench_report.failures(report)
    if failed:
        raise click.ClickException(f"Benchmark phases failed (the other figures are reported): {failed}")
    click.echo(bench_report.summary(report, json_path))


def run_stats(settings: Settings, home: Path) -> None:
    """`newsrag stats --json` on the embedded store in `home`, in this process (the benchmark times it)."""
    stats.main(["--json"], obj=settings.model_copy(update={"home": home, "chroma_url": None}), standalone_mode=False)
