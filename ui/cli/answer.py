"""`newsrag ask`: answer a question from the ingested articles, with citations."""

from __future__ import annotations

import json
import sys

import click

from rag.llms import BACKENDS
from ui.settings import Settings


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
    from rag.records import Answer
    from ui.wiring import assistant

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
