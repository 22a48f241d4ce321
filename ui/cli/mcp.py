"""`newsrag mcp`: the MCP server (`ui.mcp`) over stdio, for an AI assistant that starts it as a subprocess."""

from __future__ import annotations

import click

from rag.llms import BACKENDS
from ui.settings import Settings


@click.command("mcp")
@click.option("--llm", type=click.Choice(BACKENDS), default=None, help="LLM backend (default: NEWSRAG_LLM).")
@click.pass_obj
def mcp_command(settings: Settings, llm: str | None) -> None:
    """Serve the archive to an MCP client over stdio: search_articles, ask, get_article.

    The models load at the first tool call. `newsrag serve` offers the same tools over HTTP at /mcp.

    \b
    Example (an MCP client's configuration starts it):
      newsrag --home /srv/newsrag mcp
    """
    from ui import wiring
    from ui.mcp import mcp_server

    if llm:
        settings = settings.model_copy(update={"llm": llm})
    mcp_server(wiring.runtime(settings)).run("stdio")
