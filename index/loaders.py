"""Load a corpus: files and folders of .txt, .md, .html/.htm, .jsonl and .json into `Article`s.

`load_articles` reads each file (see `formats.py` for the per-format readers), validates and
normalises the fields the same way for every format, and yields one `Article` per article and one
`LoadError` per bad item, so that one broken file or line never stops the rest. Normalised:
text (stripped, CRLF to LF, NFC), dates (ISO 8601, day or coarser; an invalid date is logged and
dropped), urls (http or https with a host; any other is logged and dropped), languages (2-letter code,
detected with py3langid when missing), titles (the first sentence when missing). Source: `publisher`
when set, else `source` (in the shared JSONL sets `source` names the data set a record came from,
`publisher` the outlet).

A .jsonl file is streamed, one line at a time, so an archive of any size loads in constant memory; its
size limit applies to each line (an article), not to the file. Every other format is read whole and
limited as a file.

Not handled: encodings other than UTF-8 (reported, not guessed) and deduplication by content
(only ids must be unique; content hashes are the ingest step's business).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import reprlib
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from index.errors import CorpusError
from index.formats import READERS, Record, jsonl_record, type_name
from index.records import Article, LoadError, Refused
from index.sentences import split_sentences

logger = logging.getLogger(__name__)

TITLE_MAX_CHARS = 120
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ]\d{2}:\d{2}\S*)?)?)?")
_STRING_FIELDS = ("title", "url", "source", "publisher", "lang", "author")
_PREVIEW = reprlib.Repr()
_PREVIEW.maxlevel, _PREVIEW.maxlist, _PREVIEW.maxdict, _PREVIEW.maxstring, _PREVIEW.maxother = 3, 4, 4, 40, 40


def load_articles(paths: Sequence[Path], *, max_bytes: int = 50 * 2**20) -> Iterator[Article | LoadError]:
    """Articles and per-item errors from files and folders (walked recursively, in sorted order).

    In folders, hidden files and folders, README* files and unknown extensions are skipped, and symbolic
    links that lead outside the folder are refused (reported); a file named directly must have a known
    extension and is read wherever it leads. Raises CorpusError at once if a path does not exist.
    """
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise CorpusError(f"No such file or folder: {', '.join(missing)}")
    return _load_all([Path(p) for p in paths], max_bytes)


def _load_all(paths: list[Path], max_bytes: int) -> Iterator[Article | LoadError]:
    first_seen: dict[str, str] = {}  # id -> where it was first loaded from
    for path in paths:
        files = _walk(path) if path.is_dir() else [path]
        for file in files:
            if isinstance(file, LoadError):
                yield file
                continue
            for item, line in _load_file(file, max_bytes):
                if isinstance(item, Article):
                    if item.id in first_seen:
                        error = f"duplicate id {item.id!r}; first loaded from {first_seen[item.id]}"
                        yield LoadError(str(file), line, error)
                        continue
                    first_seen[item.id] = f"{file}:{line}" if line is not None else str(file)
                yield item


def _walk(folder: Path) -> list[Path | Refused]:
    """Files with a known extension under `folder`, sorted, without hidden files and READMEs.

    A symbolic link that leads outside `folder` is refused (reported, not read): otherwise a link in the
    corpus would make any file the process can read a servable article. A link to a file inside `folder`
    is read; linked folders are never walked (os.walk's default), as their files inside `folder` are
    walked where they are. Not handled: hard links, and a file swapped for a link while the walk runs."""
    inside = folder.resolve()
    found: list[tuple[Path, Refused | None]] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in dirs:
            path = Path(root) / name
            if path.is_symlink() and (why := _leaves(path, inside, "folder")):
                found.append((path, Refused(str(path), None, why)))
        for name in names:
            if name.startswith(".") or name.upper().startswith("README"):
                continue
            if Path(name).suffix.lower() in READERS:
                path = Path(root) / name
                why = _leaves(path, inside, "file")
                found.append((path, Refused(str(path), None, why) if why else None))
    return [refused or path for path, refused in sorted(found, key=lambda entry: entry[0])]


def _leaves(path: Path, inside: Path, kind: str) -> str | None:
    """Why `path` must not be read from the folder `inside` (resolved): it leads outside; None if it stays."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a link loop (RuntimeError before Python 3.13)
        return "skipped: a symbolic link that leads nowhere (a loop)"
    if target.is_relative_to(inside):
        return None
    return f"skipped: a symbolic link to a {kind} outside the corpus folder"


def _load_file(path: Path, max_bytes: int) -> Iterator[tuple[Article | LoadError, int | None]]:
    """Each article or error in one file, with the line it came from (for duplicate messages).

    The boundary between files: whatever a reader or the validation raises for this file's content is
    reported as one error for this file, and the next file loads. The readers report what they know
    (malformed JSON, limits in `parsers.py`); this catches what they did not foresee."""
    try:
        yield from _read_file(path, max_bytes)
    except Exception as e:
        logger.warning("%s: failed to load", path, exc_info=True)
        yield LoadError(str(path), None, f"could not load the file: {type(e).__name__}: {_preview(str(e), 200)}"), None


def _read_file(path: Path, max_bytes: int) -> Iterator[tuple[Article | LoadError, int | None]]:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        expected = ", ".join(READERS)
        error = f"unsupported file type {path.suffix!r}; expected one of {expected}"
        yield LoadError(str(path), None, error), None
        return
    if path.suffix.lower() == ".jsonl":
        yield from _stream_jsonl(path, max_bytes)
        return
    text = _read_text(path, max_bytes)
    if isinstance(text, LoadError):
        yield text, text.line
        return
    for record in reader(path, text):
        if isinstance(record, LoadError):
            yield record, record.line
        else:
            yield to_article(path, record), record.line


_BLOCK = 1 << 20  # bytes read at a time when checking a streamed file


def _stream_jsonl(path: Path, max_bytes: int) -> Iterator[tuple[Article | LoadError, int | None]]:
    """The records of a .jsonl file, read line by line. A binary or non-UTF-8 file is one error for the
    file, as for the other formats: a first pass checks its bytes block by block, in constant memory."""
    try:
        problem = _check_bytes(path)
        if problem is not None:
            yield problem, problem.line
            return
        with path.open("rb") as f:
            number = 0
            while raw := f.readline(max_bytes + 1):
                number += 1
                if len(raw) > max_bytes and not raw.endswith(b"\n"):
                    while (rest := f.readline(_BLOCK)) and not rest.endswith(b"\n"):
                        pass  # skip the rest of the over-long line without holding it
                    yield LoadError(str(path), number, f"line too large: over {max_bytes:,} bytes"), number
                    continue
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8").removesuffix("\n")
                record = jsonl_record(path, number, line)
                if isinstance(record, LoadError):
                    yield record, record.line
                elif record is not None:
                    yield to_article(path, record), record.line
    except OSError as e:
        yield LoadError(str(path), None, f"cannot read the file: {e.strerror}"), None


def _check_bytes(path: Path) -> LoadError | None:
    """Why the file is not UTF-8 text, with the same messages as `_read_text`, or None: first a NUL byte
    anywhere (binary), then an undecodable byte. Blocks of whole lines at a time, so memory stays constant
    (a UTF-8 sequence never spans a newline)."""
    for check in (_nul_problem, _utf8_problem):
        offset, line, carry = 0, 1, b""  # byte offset and line number where `carry` starts
        with path.open("rb") as f:
            while True:
                block = f.read(_BLOCK)
                data = carry + block
                cut = len(data) if not block else data.rfind(b"\n") + 1
                whole, carry = data[:cut], data[cut:]
                problem = check(path, whole, offset, line) if whole else None
                if problem is not None:
                    return problem
                offset, line = offset + len(whole), line + whole.count(b"\n")
                if not block:
                    break
    return None


def _nul_problem(path: Path, data: bytes, offset: int, line: int) -> LoadError | None:
    if b"\x00" not in data:
        return None
    at = data.index(b"\x00")
    where = line + data.count(b"\n", 0, at)
    return LoadError(str(path), where, f"binary file (NUL byte at byte offset {offset + at}); expected UTF-8 text")


def _utf8_problem(path: Path, data: bytes, offset: int, line: int) -> LoadError | None:
    try:
        data.decode("utf-8-sig" if offset == 0 else "utf-8")
    except UnicodeDecodeError as e:
        bom = 3 if offset == 0 and data.startswith(b"\xef\xbb\xbf") else 0  # utf-8-sig counts after it
        start, end = bom + e.start, bom + e.end
        bad = data[start:end].hex(" ")
        where = line + data.count(b"\n", 0, start)
        return LoadError(
            str(path), where, f"not UTF-8: undecodable byte(s) {bad} at byte offset {offset + start} ({e.reason})"
        )
    return None


def _read_text(path: Path, max_bytes: int) -> str | LoadError:
    """The file's text, or why it cannot be read: too large, binary, or not UTF-8."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return LoadError(str(path), None, f"file too large: {size:,} bytes, limit {max_bytes:,}")
        data = path.read_bytes()
    except OSError as e:
        return LoadError(str(path), None, f"cannot read the file: {e.strerror}")
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line = data.count(b"\n", 0, offset) + 1
        return LoadError(str(path), line, f"binary file (NUL byte at byte offset {offset}); expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        bad = data[e.start : e.end].hex(" ")
        return LoadError(str(path), line, f"not UTF-8: undecodable byte(s) {bad} at byte offset {e.start} ({e.reason})")


def to_article(path: Path | str, record: Record) -> Article | LoadError:
    """Validate and normalise one record's fields into an Article; `path` is a file or a URL."""
    fields = record.fields

    def error(message: str) -> LoadError:
        prefix = f"{record.where}: " if record.where else ""
        return LoadError(str(path), record.line, prefix + message)

    problem = _type_problem(fields)
    if problem:
        return error(problem)
    text = _clean_text(fields.get("text") or "")
    if not text:
        return error("empty text")
    where = f"{path}:{record.line}" if record.line is not None else str(path)
    lang = _normalise_lang(fields.get("lang"), text, where)
    return Article(
        id=_clean(fields.get("id")) or record.default_id,
        text=text,
        title=_clean(fields.get("title")) or _first_sentence(text, lang),
        date=_normalise_date(fields.get("date"), where),
        url=_normalise_url(_clean(fields.get("url")), where),
        source=_clean(fields.get("publisher")) or _clean(fields.get("source")),
        lang=lang,
        path=str(path),
        author=_clean(fields.get("author")),
    )


def _type_problem(fields: dict[str, Any]) -> str | None:
    """What is wrong with the field types, naming the field and the type found; None if nothing."""
    if "text" not in fields:
        return f"no 'text' field (found: {_preview(', '.join(map(str, fields)), 200) or 'no fields'})"
    if fields["text"] is None:
        return "field 'text' is null"
    checks: list[tuple[str, type | tuple[type, ...], str]] = [
        ("text", str, "a string"),
        ("id", (str, int), "a string or an integer"),
    ]
    checks += [(name, str, "a string or null") for name in _STRING_FIELDS]
    checks += [("date", str, "a date string like 2020-10-12, or null")]
    for name, types, expected in checks:
        value = fields.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            return f"field {name!r} must be {expected}, got {type_name(value)} ({_preview(value)!r})"
    return None


def _preview(value: object, limit: int = 40) -> str:
    """At most `limit` characters of `str(value)`, built in bounded time and memory whatever the value
    (a nested list is shown a few items and levels deep, not walked whole)."""
    if isinstance(value, str):
        return value[:limit]
    return _PREVIEW.repr(value)[:limit]


def _clean(value: str | int | None) -> str | None:
    """A metadata string: NFC, whitespace collapsed; None when empty."""
    if value is None:
        return None
    cleaned = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return cleaned or None


def _clean_text(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _first_sentence(text: str, lang: str | None) -> str:
    """The text's first sentence as a title, cut at a word to at most TITLE_MAX_CHARS."""
    head = text[: TITLE_MAX_CHARS * 20]  # enough for any first sentence we keep
    start, end = split_sentences(head, lang)[0]
    title = " ".join(head[start:end].split())
    if len(title) <= TITLE_MAX_CHARS:
        return title
    cut = title[: TITLE_MAX_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-–— ") + "…"


def _normalise_date(value: str | None, where: str) -> str | None:
    """ISO 8601 at day precision or coarser ("2020", "2020-10", "2020-10-12"); None if invalid."""
    if value is None or not value.strip():
        return None
    match = _ISO_DATE.fullmatch(value.strip())
    if match:
        year, month, day = match.groups()
        try:
            dt.date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            pass
        else:
            return "-".join(part for part in (year, month, day) if part)
    logger.warning("%s: invalid date %r (expected ISO 8601 like 2020-10-12); date left empty", where, value)
    return None


def _normalise_url(value: str | None, where: str) -> str | None:
    """The url when it is http(s) with a host; None otherwise. The chat and the widget link to it, so a
    `javascript:` or `data:` url would run in the reader's browser, and a `file:` one points at the server."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an invalid IPv6 host "http://[x"
        parts = None
    if parts is not None and parts.scheme.lower() in ("http", "https") and parts.hostname:
        return value
    logger.warning("%s: url %r is not an http(s) url with a host; url left empty", where, _preview(value, 200))
    return None


def _normalise_lang(value: str | None, text: str, where: str) -> str | None:
    """A 2-letter language code: "nl-NL" -> "nl"; detected from the text when missing or invalid."""
    if value:
        code = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
        if re.fullmatch(r"[a-z]{2}", code):
            return code
        logger.warning("%s: invalid language %r (expected a code like 'nl'); detecting it", where, value)
    import py3langid

    lang, _score = py3langid.classify(text[:2_000])  # enough to tell; more only costs time
    return str(lang)
