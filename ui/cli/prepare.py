"""`newsrag prepare`: provision the default models offline (embedding model, int8 encoder, local LLM)."""

from __future__ import annotations

from pathlib import Path

import click

from ui.settings import Settings


@click.command()
@click.option("--no-llm", is_flag=True, help="Prepare only the embedding model.")
@click.option("--recalibrate", is_flag=True, help="Time the embedding backends again even if a record fits.")
@click.pass_obj
def prepare(settings: Settings, no_llm: bool, recalibrate: bool) -> None:
    """Build the embedding model and assemble + verify the local LLM in the model cache (offline).

    With NEWSRAG_EMBED_BACKEND=auto and the built-in model, it also times the int8 and float32 encoders on
    this machine (well under a minute, once per model, CPU and thread count) and records which one `auto` runs.

    \b
    Example:
      newsrag prepare
      newsrag prepare --no-llm --recalibrate
    """
    from index.embeddings import resolve_backend
    from index.models import E5_DEFAULT, resolve_embed_model
    from rag.local_llm import ensure_gguf

    path = resolve_embed_model(settings.embed_model, settings.model_cache)
    click.echo(f"embedding model: {path}")
    calibrate = settings.embed_backend == "auto" and settings.embed_model == E5_DEFAULT
    if calibrate or resolve_backend(settings.embed_model, settings.embed_backend) == "onnx-int8":
        from index.onnx_encoder import ensure_int8

        click.echo(f"int8 encoder: {ensure_int8(Path(path))}")
    if calibrate:
        from index.encoder_choice import ensure_calibrated

        record, measured = ensure_calibrated(
            settings.model_cache,
            settings.embed_model,
            threads=settings.threads,
            batch_size=settings.embed_batch_size,
            force=recalibrate,
        )
        click.echo(record.summary() + ("" if measured else " (recorded earlier)"))
    if not no_llm and settings.llm_model_path is None:
        click.echo(f"local LLM: {ensure_gguf(settings.model_cache)}")
