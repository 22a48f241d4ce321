"""Prompts are data: module constants rendered strictly (a missing variable is an error).

The system prompt is fixed, with no per-question text, so that llama.cpp can reuse its evaluated prefix
across questions (time to first token on 2 cores). Everything that varies goes into the user message.
"""

from __future__ import annotations

from collections.abc import Sequence
from string import Template

from rag.records import Source

NOT_FOUND = "NOT_FOUND"

SYSTEM = f"""You answer questions about news articles, using only the numbered sources you are given.
Rules:
- Use only facts stated in the sources. Never add facts from your own knowledge.
- After every sentence, cite the source numbers it uses, like [1] or [1][2].
- Be brief: one to three sentences.
- Write in the language the user asks for, even when the sources are in another language.
- If the sources do not contain the answer, reply with exactly {NOT_FOUND} and nothing else."""

USER = Template("""Sources:
$sources

Question: $question
Answer in $language, citing sources like [1].""")

SOURCE = Template("[$n] $title ($outlet, $date)\n$text")

CONDENSE = Template("""Today is $today. Rewrite the last question of this conversation as one standalone question
that can be understood without the conversation: replace pronouns and references with the names, places
and events they refer to, using only names that appear in the conversation. Keep the language of the last
question. Reply with the question only.

Conversation:
$history

Last question: $question
Standalone question:""")

LANGUAGE_NAMES = {"en": "English", "nl": "Dutch", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian"}


def render_sources(sources: Sequence[Source]) -> str:
    return "\n\n".join(
        SOURCE.substitute(
            n=s.n,
            title=s.hit.title or "untitled",
            outlet=s.hit.source or "unknown outlet",
            date=s.hit.date or "undated",
            text=s.hit.text.strip(),
        )
        for s in sources
    )


def user_message(question: str, sources: Sequence[Source], language: str) -> str:
    return USER.substitute(
        sources=render_sources(sources), question=question, language=LANGUAGE_NAMES.get(language, "English")
    )


def condense_message(question: str, history: Sequence[tuple[str, str]], today: str) -> str:
    lines = "\n".join(f"{'User' if role == 'user' else 'Assistant'}: {content}" for role, content in history)
    return CONDENSE.substitute(today=today, history=lines, question=question)
