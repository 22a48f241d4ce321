"""`newsrag prepare`: provision the default models offline (and, later, the answering commands)."""

from __future__ import annotations

import click

from index.settings import Settings


@click.command()
@click.option("--no-llm", is_flag=True, help="Prepare only the embedding model.")
@click.pass_obj
def prepare(settings: Settings, no_llm: bool) -> None:
    """Build the embedding model and assemble + verify the local LLM in the model cache (offline).

    \b
    Example:
      newsrag prepare
    """
    from index.models import resolve_embed_model
    from rag.local_llm import ensure_gguf

    path = resolve_embed_model(settings.embed_model, settings.model_cache)
    click.echo(f"embedding model: {path}")
    if not no_llm and settings.llm == "local" and settings.llm_model_path is None:
        click.echo(f"local LLM: {ensure_gguf(settings.model_cache)}")
