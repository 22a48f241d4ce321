"""One reader per corpus file format, and the table `READERS` that picks one by file extension.

A reader turns a file's decoded text into raw `Record`s (field dicts, not yet validated) or
`LoadError`s for what it cannot parse. Checking field types, normalising dates, text and language,
and filling in titles is `loaders.py`'s job, so every format gets the same rules.

Not handled here: file size, binary content and encodings (checked before a reader runs), and
rendering Markdown (the body is kept as written, minus a leading `# title` line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import frontmatter
import yaml

from index.parsers import FrontMatterHandler, ParseLimitError, loads_json
from index.records import LoadError

if TYPE_CHECKING:
    from trafilatura.settings import Document


@dataclass(frozen=True)
class Record:
    """One article's fields as found in a file, before validation."""

    fields: dict[str, Any]
    default_id: str  # used when the record has no id
    line: int | None = None  # for messages
    where: str = ""  # for messages when there is no line: "item 3"


# A " date 2020-10" token at the start of a .txt file (the format of corpus/000_*.txt).
_DATE_TOKEN = re.compile(r"\A\s*date[ \t]+(\d{4}\S*)(?:\s+|\Z)")
# An ATX level-1 heading: "# Title" (trailing #s allowed). The title runs to the line's last character that
# is not a space or "#"; with a lazy title (`(.+?)[ \t#]*$`) every extra title character rescanned the
# rest of the line, quadratic on "# a # # # ... x". Possessive spaces: the title starts after all of them.
_HEADING = re.compile(r"^#[ \t]++(.*[^ \t#\n])[ \t#]*$", re.MULTILINE)
# Dates from the page's metadata and markup only: an extensive search guesses from any year in the
# text ("Copyright 2020" becomes 2020-01-01).
_HTML_DATE_PARAMS = {"extensive_search": False, "original_date": True}


def read_txt(path: Path, text: str) -> Iterator[Record | LoadError]:
    """Plain text, optionally starting with a " date 2020-10" token."""
    fields: dict[str, Any] = {"text": text}
    token = _DATE_TOKEN.match(text)
    if token:
        fields = {"date": token.group(1), "text": text[token.end() :]}
    yield Record(fields, default_id=path.stem)


def read_markdown(path: Path, text: str) -> Iterator[Record | LoadError]:
    """Markdown with optional YAML front matter; the first `# heading` is the default title."""
    try:
        post = frontmatter.loads(text, handler=FrontMatterHandler())
    except yaml.YAMLError as e:
        yield LoadError(str(path), None, f"invalid YAML front matter: {e}")
        return
    fields = dict(post.metadata)  # front matter that is not a mapping is ignored by frontmatter
    body = post.content
    heading = _HEADING.search(body)
    if heading:
        if fields.get("title") is None:
            fields["title"] = heading.group(1)
        # Drop a leading heading that repeats the title, so it is not indexed twice.
        if not body[: heading.start()].strip() and heading.group(1) == fields["title"]:
            body = body[heading.end() :]
    fields["text"] = body
    yield Record(fields, default_id=path.stem)


def read_html(path: Path, text: str) -> Iterator[Record | LoadError]:
    """An HTML page: main text and metadata via trafilatura, boilerplate removed."""
    fields = html_fields(text)
    if isinstance(fields, str):
        yield LoadError(str(path), None, fields)
        return
    yield Record(fields, default_id=path.stem)


def html_fields(text: str, url: str | None = None) -> dict[str, Any] | str:
    """The article fields of an HTML page (title, date, canonical url, outlet, language, main text), or why
    there are none. `url` is where the page was found, the url when it names no canonical one."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(text)
    if tree is None:
        return "could not parse the HTML"
    lang = tree.get("lang")  # trafilatura reports a language only when filtering by one
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=True, date_extraction_params=_HTML_DATE_PARAMS)
    doc = cast("Document | None", doc)  # a dict only with as_dict=True
    if doc is None or not doc.text:
        return "empty text: no main text found in the HTML"
    # trafilatura puts one paragraph per line; make them blank-line paragraphs like the other formats.
    paragraphs = [line.strip() for line in doc.text.splitlines() if line.strip()]
    if doc.title and paragraphs and paragraphs[0] == doc.title.strip():
        paragraphs = paragraphs[1:]  # the <h1> repeating the title
    return {
        "title": doc.title,
        "date": doc.date,
        "url": doc.url,
        "source": doc.sitename,
        "author": doc.author,
        "lang": doc.language or lang,
        "text": "\n\n".join(paragraphs),
    }


def read_jsonl(path: Path, text: str) -> Iterator[Record | LoadError]:
    """One JSON object per line; blank lines are skipped. (`loaders` streams .jsonl files line by line
    through `jsonl_record` instead, so an archive is never held in memory whole.)"""
    # Not splitlines(): JSON strings may hold a raw U+2028 or form feed, which it would split on.
    for number, line in enumerate(text.split("\n"), start=1):
        record = jsonl_record(path, number, line)
        if record is not None:
            yield record


def jsonl_record(path: Path, number: int, line: str) -> Record | LoadError | None:
    """Line `number` of a JSONL file as a Record, an error, or None when it is blank."""
    if not line.strip():
        return None
    try:
        value = loads_json(line)
    except json.JSONDecodeError as e:
        return LoadError(str(path), number, f"malformed JSON: {e.msg} (column {e.colno})")
    except ParseLimitError as e:
        return LoadError(str(path), number, str(e))
    if not isinstance(value, dict):
        return LoadError(str(path), number, f"expected a JSON object, got {type_name(value)}")
    return Record(value, default_id=f"{path.stem}-{number}", line=number)


def read_json(path: Path, text: str) -> Iterator[Record | LoadError]:
    """One JSON object, or a list of them."""
    try:
        value = loads_json(text)
    except json.JSONDecodeError as e:
        yield LoadError(str(path), e.lineno, f"malformed JSON: {e.msg} (column {e.colno})")
        return
    except ParseLimitError as e:
        yield LoadError(str(path), None, str(e))
        return
    if isinstance(value, dict):
        yield Record(value, default_id=path.stem)
        return
    if not isinstance(value, list):
        found = type_name(value)
        yield LoadError(str(path), None, f"expected a JSON object or a list of objects, got {found}")
        return
    for number, item in enumerate(value, start=1):
        if isinstance(item, dict):
            yield Record(item, default_id=f"{path.stem}-{number}", where=f"item {number}")
        else:
            found = type_name(item)
            yield LoadError(str(path), None, f"item {number}: expected a JSON object, got {found}")


def type_name(value: object) -> str:
    """The JSON (or YAML) name of a parsed value's type, for messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number"}
    names |= {float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


Reader = Callable[[Path, str], Iterator[Record | LoadError]]

READERS: dict[str, Reader] = {
    ".txt": read_txt,
    ".md": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".jsonl": read_jsonl,
    ".json": read_json,
}
