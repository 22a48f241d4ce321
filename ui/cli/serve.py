"""`newsrag serve`: the chat UI, the embeddable widget and the HTTP API (`ui.server`)."""

from __future__ import annotations

import click

from ui.settings import Settings


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
