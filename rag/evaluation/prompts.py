"""Prompt files: JSONL (one object a line) or YAML (a list of objects, or `{prompts: [...]}`).

A prompt is `{"id", "question", "answers": [...], "answerable": true|false, "supporting_article_ids": [...],
"lang"?, "type"?, "history"?: [{"role", "content"}]}`, the shape of `../shared/benchmarks/*/questions.jsonl`.
`type` falls back to `question_type` (QuAIL's name for it). Unknown fields are ignored. Every problem is
reported with its line (JSONL) or item number (YAML), all at once, and nothing is evaluated then.

Defaults: a missing `id` becomes `<file stem>-<line or item>`; `answerable` defaults to true (a prompt
with no `answers` is then scored on retrieval only). A single string in `answers` counts as a list of one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import InputError

ROLES = ("user", "assistant")


class PromptFileError(InputError):
    """A prompt file is missing, unreadable or has malformed entries."""


@dataclass(frozen=True)
class Prompt:
    id: str
    question: str
    answers: tuple[str, ...] = ()
    answerable: bool = True
    supporting_article_ids: tuple[str, ...] = ()
    lang: str | None = None
    type: str | None = None
    history: tuple[tuple[str, str], ...] = ()  # (role, content)


@dataclass
class _Problems:
    path: Path
    unit: str  # "line" or "item"
    found: list[str] = field(default_factory=list)

    def add(self, where: int, message: str) -> None:
        self.found.append(
            f"{self.path}:{where}: {message}" if self.unit == "line" else f"{self.path}: item {where}: {message}"
        )


def load_prompts(path: Path) -> list[Prompt]:
    """All prompts of a .jsonl/.json-lines or .yaml/.yml file; PromptFileError lists every bad entry."""
    path = Path(path)
    if not path.is_file():
        raise PromptFileError(f"No such prompt file: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise PromptFileError(f"Cannot read the prompt file {path}: {e}") from e
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        problems = _Problems(path, "item")
        entries = _yaml_entries(text, path)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        problems = _Problems(path, "line")
        entries = _jsonl_entries(text, problems)
    else:
        raise PromptFileError(f"Unsupported prompt file type {path.suffix!r} ({path}); expected .jsonl or .yaml")
    prompts: list[Prompt] = []
    seen: dict[str, int] = {}
    for where, raw in entries:
        prompt = _to_prompt(raw, where, path.stem, problems)
        if prompt is None:
            continue
        if prompt.id in seen:
            problems.add(where, f"duplicate id {prompt.id!r} (first at {problems.unit} {seen[prompt.id]})")
            continue
        seen[prompt.id] = where
        prompts.append(prompt)
    if problems.found:
        raise PromptFileError(
            f"{len(problems.found)} malformed prompt(s) in {path}, nothing evaluated:\n"
            + "\n".join(f"  {p}" for p in problems.found)
        )
    if not prompts:
        raise PromptFileError(f"The prompt file {path} holds no prompts.")
    return prompts


def _jsonl_entries(text: str, problems: _Problems) -> list[tuple[int, Any]]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            entries.append((number, json.loads(line)))
        except json.JSONDecodeError as e:
            problems.add(number, f"invalid JSON: {e.msg} at column {e.colno}")
    return entries


def _yaml_entries(text: str, path: Path) -> list[tuple[int, Any]]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise PromptFileError(f"{path}{where}: invalid YAML: {getattr(e, 'problem', None) or e}") from e
    if isinstance(data, dict) and "prompts" in data:
        data = data["prompts"]
    if not isinstance(data, list):
        raise PromptFileError(
            f"{path}: expected a list of prompts (or a mapping with 'prompts'), got {type(data).__name__}"
        )
    return list(enumerate(data, start=1))


def _to_prompt(raw: Any, where: int, stem: str, problems: _Problems) -> Prompt | None:
    """Validate one entry; None (and a problem recorded) when it is malformed."""
    if not isinstance(raw, dict):
        problems.add(where, f"expected an object, got {type(raw).__name__}")
        return None
    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        problems.add(where, f"'question' must be a non-empty string, got {question!r:.40}")
        return None
    answers = raw.get("answers", [])
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list) or not all(isinstance(a, (str, int, float)) for a in answers):
        problems.add(where, f"'answers' must be a list of strings, got {answers!r:.60}")
        return None
    answerable = raw.get("answerable", True)
    if not isinstance(answerable, bool):
        problems.add(where, f"'answerable' must be true or false, got {answerable!r:.20}")
        return None
    ids = raw.get("supporting_article_ids") or []
    if not isinstance(ids, list) or not all(isinstance(i, (str, int)) for i in ids):
        problems.add(where, f"'supporting_article_ids' must be a list of ids, got {ids!r:.60}")
        return None
    history = _history(raw.get("history") or [], where, problems)
    if history is None:
        return None
    kind = raw.get("type") or raw.get("question_type")
    lang = raw.get("lang")
    return Prompt(
        id=str(raw.get("id") or f"{stem}-{where}"),
        question=question.strip(),
        answers=tuple(str(a) for a in answers if str(a).strip()),
        answerable=answerable,
        supporting_article_ids=tuple(str(i) for i in ids),
        lang=str(lang) if lang else None,
        type=str(kind) if kind else None,
        history=history,
    )


def _history(raw: Any, where: int, problems: _Problems) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(raw, list):
        problems.add(where, f"'history' must be a list of {{role, content}} turns, got {type(raw).__name__}")
        return None
    turns = []
    for i, turn in enumerate(raw, start=1):
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
            problems.add(
                where, f"history turn {i} must be {{'role': 'user'|'assistant', 'content': str}}, got {turn!r:.60}"
            )
            return None
        turns.append((turn["role"], turn["content"]))
    return tuple(turns)
