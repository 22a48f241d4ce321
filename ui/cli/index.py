"""`newsrag ingest`, `newsrag search`, `newsrag stats`: the index commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ui.settings import Settings


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Remove stored articles that are no longer in PATHS.")
@click.option("--strict", is_flag=True, help="Any bad input item is fatal; nothing is ingested.")
@click.option("--rebuild", is_flag=True, help="Drop the store and build it anew (after a model change).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def ingest(
    settings: Settings, paths: tuple[Path, ...], prune: bool, strict: bool, rebuild: bool, as_json: bool
) -> None:
    """Ingest articles (files or folders; default: the corpus/ folder) idempotently.

    \b
    Example:
      newsrag ingest corpus/ --prune
      newsrag ingest archive/articles.jsonl --json
    """
    from index.ingest import ingest_paths
    from ui import wiring

    sources = list(paths) or [settings.corpus]
    for p in sources:
        if not p.exists():
            raise click.BadParameter(f"{p} does not exist", param_hint="PATHS")
    embeddings = wiring.embedder(settings)
    store = wiring.store(settings, embeddings, rebuild=rebuild)
    report = ingest_paths(
        sources,
        store,
        settings.home,
        embeddings,
        max_bytes=int(settings.max_file_mb * 2**20),
        max_tokens=settings.chunk_max_tokens,
        prune=prune,
        strict=strict,
        batch_chunks=settings.ingest_batch_chunks,
        progress=not as_json,
    )
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    for error in report.errors:
        click.echo(f"skipped {error}", err=True)
    click.echo(report.summary())


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
