"""The `newsrag` command: one click group; each package contributes its commands."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from index.cli import ingest, search, stats
from index.errors import NewsragError
from index.settings import Settings
from rag.bench_cli import bench
from rag.cli import ask, prepare
from rag.eval_cli import eval_command


class _Group(click.Group):
    """Turns the project's errors into a clean message and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
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
    overrides = {"home": home} if home else {}
    ctx.obj = Settings(**overrides)


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


for command in (ingest, search, stats, ask, eval_command, bench, prepare, serve):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="newsrag")
