"""`newsrag ingest`, `newsrag search`, `newsrag stats`: the index commands."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import click

from ui.settings import Settings


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--urls",
    "url_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file listing feed, sitemap or page URLs, one per line (# comments).",
)
@click.option("--prune", is_flag=True, help="Remove stored articles that are no longer in the sources.")
@click.option("--strict", is_flag=True, help="Any bad input item is fatal; nothing is ingested.")
@click.option("--rebuild", is_flag=True, help="Drop the store and build it anew (after a model change).")
@click.option(
    "--watch",
    is_flag=True,
    help="Ingest again every --every until Ctrl-C (the run in progress finishes first; a second Ctrl-C interrupts it).",
)
@click.option("--every", default="15m", show_default=True, help="Pause between --watch runs: 90s, 15m, 1h.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def ingest(
    settings: Settings,
    sources: tuple[str, ...],
    url_files: tuple[Path, ...],
    prune: bool,
    strict: bool,
    rebuild: bool,
    watch: bool,
    every: str,
    as_json: bool,
) -> None:
    """Ingest articles idempotently from files, folders (default: the corpus/ folder) and URLs.

    A URL may be an RSS or Atom feed, a sitemap or an article page; re-runs fetch conditionally and embed
    only new or changed articles.

    \b
    Example:
      newsrag ingest corpus/ --prune
      newsrag ingest archive/articles.jsonl --json
      newsrag ingest https://example.org/feed.xml --urls urls.txt
      newsrag ingest --watch https://example.org/feed.xml --every 15m
    """

    from index.web import is_url, read_url_list
    from ui import wiring
    from ui.server_settings import parse_every
    from ui.sync import ingest_sources

    urls = [s for s in sources if is_url(s)]
    paths = [Path(s) for s in sources if not is_url(s)]
    for f in url_files:
        try:
            urls += read_url_list(f)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise click.BadParameter(str(e), param_hint="--urls") from None
    if not sources and not url_files:
        paths = [settings.corpus]
    for p in paths:
        if not p.exists():
            raise click.BadParameter(
                f"{p} does not exist (a URL starts with http:// or https://)", param_hint="SOURCES"
            )
    try:
        pause = parse_every(every)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--every") from None
    embeddings = wiring.embedder(settings)
    store = wiring.store(settings, embeddings, rebuild=rebuild)
    stop = _stop_on_ctrl_c() if watch else None
    while True:
        report = ingest_sources(
            settings, store, embeddings, paths, urls, prune=prune, strict=strict, progress=not as_json
        )
        if as_json:
            click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            for error in report.errors:
                click.echo(f"skipped {error}", err=True)
            click.echo(report.summary())
        if stop is None:
            return
        if not as_json and not stop.is_set():
            click.echo(f"next run in {every}; Ctrl-C stops", err=True)
        if stop.wait(pause):
            click.echo("stopped", err=True)  # the way out of --watch: a clean exit
            return


def _stop_on_ctrl_c() -> threading.Event:
    """An event Ctrl-C (SIGINT) sets, for `--watch`: the run in progress finishes (nothing is left half-written,
    and no lock of the store is left held at exit), then the loop ends. A second Ctrl-C interrupts at once."""
    stop = threading.Event()

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            signal.default_int_handler(signum, frame)
        stop.set()

    signal.signal(signal.SIGINT, on_sigint)
    return stop


@click.command()
@click.argument("query")
@click.option("-k", type=click.IntRange(1, 100), default=5, show_default=True, help="Number of hits.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@click.pass_obj
def search(settings: Settings, query: str, k: int, mode: str, as_json: bool) -> None:
    """Search the stored passages.

    \b
    Example:
      newsrag search "who mediated in Moscow?" -k 3
      newsrag search "Lavrov" --mode bm25 --json
    """
    from index.search import search as run_search
    from ui import wiring

    if not query.strip():
        raise click.BadParameter("the query is empty", param_hint="QUERY")
    embeddings = wiring.embedder(settings)
    hits = run_search(wiring.store(settings, embeddings), query, k=k, mode=mode)  # type: ignore[arg-type]
    rows: list[dict[str, Any]] = [
        {
            "rank": n,
            "score": round(h.score, 6),
            "article_id": h.article_id,
            "title": h.title,
            "date": h.date,
            "url": h.url,
            "text": h.text,
            "start": h.start,
            "end": h.end,
        }
        for n, h in enumerate(hits, start=1)
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No passages found. Did you run `newsrag ingest`?")
    for r in rows:
        click.echo(f"{r['rank']}. [{r['score']:.4f}] {r['title']} ({r['date'] or 'no date'}) {r['article_id']}")
        click.echo(f"   {r['text'][:300]}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def stats(settings: Settings, as_json: bool) -> None:
    """Show what the store holds.

    \b
    Example:
      newsrag stats --json
    """
    from index.store import store_size_bytes
    from ui import wiring

    embeddings = wiring.embedder(settings)
    store = wiring.store(settings, embeddings)
    figures = {
        "articles": store.catalog.count_articles(),
        "chunks": store.count(),
        "bm25_chunks": store.catalog.count_chunks(),
        "model": embeddings.name,
        "dimension": embeddings.dimension,
        "store": settings.chroma_url or str(settings.home.resolve()),
        "size_bytes": store_size_bytes(settings.home),
    }
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        click.echo(f"{key:>12}: {value}")
