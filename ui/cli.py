"""The `newsrag` command: one click group; each package contributes its commands (bench and serve are here)."""

from __future__ import annotations

import logging
import sys
from functools import partial
from pathlib import Path
from typing import Any

import click

from index.cli import ingest, search, stats
from index.errors import NewsragError
from index.settings import Settings
from rag.cli import ask, prepare
from rag.eval_cli import eval_command


class _Group(click.Group):
    """Turns the project's errors into a clean message and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NewsragError as e:
            raise click.ClickException(str(e)) from e


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    help="Data directory (default: NEWSRAG_HOME or .newsrag).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, verbose: int) -> None:
    """newsrag: cited answers from your news articles.

    \b
    Example:
      newsrag ingest corpus/
      newsrag search "who mediated in Moscow?"
    """
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = Settings(home=home) if home else Settings()


@click.command()
@click.option("--host", default=None, help="Interface to listen on (default: NEWSRAG_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: NEWSRAG_PORT or 7860).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve the chat UI, the embeddable widget and the HTTP API (OpenAPI docs at /docs).

    \b
    Example:
      newsrag serve
      NEWSRAG_WIDGET_ORIGINS=https://news.example newsrag serve --host 0.0.0.0 --port 8000
    """
    from ui.server import serve as run_server

    run_server(settings, host or settings.host, port or settings.port)


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


for command in (ingest, search, stats, ask, eval_command, bench, prepare, serve):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="newsrag")
