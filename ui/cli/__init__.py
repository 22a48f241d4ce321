"""The `newsrag` command: one click group and `main`; each command group lives in a module of its own here.

`index` (ingest, search, stats), `answer` (ask), `evaluate` (eval), `bench`, `serve`, `mcp` and `prepare`. The group
reads `Settings` once and hands it to the commands, which turn it into objects with `ui.wiring`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from index.errors import NewsragError
from ui.cli.answer import ask
from ui.cli.bench import bench
from ui.cli.evaluate import eval_command
from ui.cli.index import ingest, search, stats
from ui.cli.mcp import mcp_command
from ui.cli.prepare import prepare
from ui.cli.serve import serve
from ui.settings import Settings


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


for command in (ingest, search, stats, ask, eval_command, bench, prepare, serve, mcp_command):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="newsrag")
