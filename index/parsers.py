"""Bounded parsers for the structured parts of corpus files: JSON values and YAML front matter.

Corpus files are untrusted input, so each parser has explicit limits and turns a breach into a
`ParseLimitError` (a message for the user) instead of letting it surface as a `RecursionError`, a
`ValueError` from Python's integer conversion limit, or a YAML alias bomb that expands to gigabytes
when the value is walked or printed:

- JSON: numbers of at most `MAX_NUMBER_CHARS` characters (checked before conversion, so the cost is
  linear whatever `sys.set_int_max_str_digits` says); nesting as deep as Python's recursion limit allows
  (about 1,000 levels), deeper is reported.
- YAML front matter: no aliases (`*name`, which also rules out `<<: *name` merges), nesting at most
  `MAX_YAML_DEPTH` levels, keys are strings, and every scalar except null stays the string it was written as
  (`date: 2020-02-30`, `id: 0123`, `lang: no`), so validating a field is `loaders.py`'s job, not YAML's.

Not handled here: the size of a file (checked before it is parsed) and what the fields mean.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

MAX_NUMBER_CHARS = 100
MAX_YAML_DEPTH = 20


class ParseLimitError(ValueError):
    """A value is within the format's grammar but beyond what we parse: too deep, too long, an alias."""


def _bounded_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        raise ParseLimitError(f"number too long: {len(literal):,} characters, limit {MAX_NUMBER_CHARS}")
    return int(literal)


def _bounded_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise ParseLimitError(f"number too long: {len(literal):,} characters, limit {MAX_NUMBER_CHARS}")
    return float(literal)


def loads_json(text: str) -> Any:
    """`json.loads` within the limits above. Raises `json.JSONDecodeError` for malformed JSON and
    `ParseLimitError` for JSON nested too deeply or with a number too long."""
    try:
        return json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float)
    except RecursionError:
        # The C decoder counts its nesting against the recursion limit and unwinds cleanly when it hits it.
        raise ParseLimitError("JSON nested too deeply (limit about 1,000 levels)") from None


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader with every scalar except null a string, no aliases and bounded nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        # Checked while composing, before any value is built: the composer recurses once per level, and an
        # alias is how a few lines become a billion-item value ("billion laughs").
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"found the alias *{event.anchor}; aliases are not allowed in front matter",
                event.start_mark,
            )
        if self._depth >= MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", self.peek_event().start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def loads_front_matter(text: str) -> Any:
    """YAML front matter within the limits above; raises `yaml.YAMLError` for invalid or refused YAML."""
    value = yaml.load(text, Loader=_FrontMatterLoader)
    if isinstance(value, dict):
        bad = [key for key in value if not isinstance(key, str)]
        if bad:
            raise yaml.YAMLError(f"front matter keys must be strings, found {bad[0]!r:.40}")
    return value


class FrontMatterHandler(YAMLHandler):
    """python-frontmatter's YAML handler, parsing with `loads_front_matter`."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return loads_front_matter(fm)
