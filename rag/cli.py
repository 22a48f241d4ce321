"""`newsrag prepare` (provision the default models offline) and `newsrag ask`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from index.settings import Settings

BACKENDS = ("local", "openai", "ollama", "extractive")


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
            settings.model_cache, settings.embed_model, threads=settings.threads,
            batch_size=settings.embed_batch_size, force=recalibrate,
        )  # fmt: skip
        click.echo(record.summary() + ("" if measured else " (recorded earlier)"))
    if not no_llm and settings.llm_model_path is None:
        click.echo(f"local LLM: {ensure_gguf(settings.model_cache)}")


@click.command()
@click.argument("question")
@click.option("--llm", type=click.Choice(BACKENDS), default=None, help="LLM backend (default: NEWSRAG_LLM).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole answer as JSON.")
@click.pass_obj
def ask(settings: Settings, question: str, llm: str | None, as_json: bool) -> None:
    """Answer a question from the ingested articles, with citations.

    \b
    Example:
      newsrag ask "who mediated in Moscow?"
      newsrag ask "Wie bemiddelde in Moskou?" --llm extractive --json
    """
    from rag.factory import assistant
    from rag.records import Answer

    bot = assistant(settings, llm)
    answer = None
    for event in bot.stream(question):
        if isinstance(event, Answer):
            answer = event
        elif not as_json:
            sys.stdout.write(event)
            sys.stdout.flush()
    assert answer is not None
    if as_json:
        click.echo(json.dumps(answer.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo()
    if answer.refused:
        click.echo(f"\n{answer.answer}")
        for a in answer.closest:
            click.echo(f"  - {a['title']} ({a['date'] or 'undated'})")
        return
    click.echo()
    for c in answer.citations:
        mark = "" if c.supported else "  (not supported by this passage)"
        click.echo(f"[{c.n}] {c.title} ({c.source or 'unknown outlet'}, {c.date or 'undated'}){mark}")
        click.echo(f'    "{c.quote}"')
    for s in answer.sentences:
        if not s.supported:
            click.echo(f"unsupported: {s.text}", err=True)
