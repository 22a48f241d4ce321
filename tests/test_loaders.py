"""Corpus loading: one behavioural suite over every format, then each error case."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from index.errors import CorpusError
from index.loaders import TITLE_MAX_CHARS, load_articles
from index.records import Article, LoadError, Refused

from .conftest import CORPUS, shared_path

P1 = "De Russische minister Sergei Lavrov bemiddelde zaterdag bij de besprekingen in Moskou."
P2 = (
    "Lavrov maakte dat vannacht om 3.00 uur bekend, nadat delegaties van Armenië en Azerbeidzjan "
    "tien uur lang hadden overlegd over een staakt-het-vuren in de regio Nagorno-Karabach."
)
TEXT = f"{P1}\n\n{P2}"
PLAIN = Article(id="lavrov", text=TEXT, title=P1, date="2020-10-10", lang="nl")
FULL = replace(PLAIN, title="Lavrov bemiddelt", url="https://nos.nl/artikel/1", source="NOS")


def html_page(body: str, head: str = "", lang: str = "") -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    return f'<!doctype html><html{lang_attr}><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


def paragraphs_html(text: str) -> str:
    return "<article>" + "".join(f"<p>{p}</p>" for p in re.split(r"\r?\n\r?\n", text)) + "</article>"


# Each writer puts an article with `date`, `text` and (except .txt) metadata in one file.
def write_txt(folder: Path, date: str, text: str) -> Path:
    path = folder / "lavrov.txt"
    path.write_text(f" date {date} {text}", encoding="utf-8", newline="")
    return path


def write_md(folder: Path, date: str, text: str, meta: dict[str, str] | None = None) -> Path:
    path = folder / "lavrov.md"
    lines = [f"{key}: {value}" for key, value in (meta or {}).items()]
    path.write_text("\n".join(["---", f"date: {date}", *lines, "---", text]), encoding="utf-8", newline="")
    return path


def write_html(folder: Path, date: str, text: str, meta: dict[str, str] | None = None) -> Path:
    meta = meta or {}
    head = f'<meta property="article:published_time" content="{date}">'
    if "title" in meta:
        head += f"<title>{meta['title']}</title>"
    if "url" in meta:
        head += f'<link rel="canonical" href="{meta["url"]}">'
    if "source" in meta:
        head += f'<meta property="og:site_name" content="{meta["source"]}">'
    heading = f"<h1>{meta['title']}</h1>" if "title" in meta else ""
    path = folder / "lavrov.html"
    path.write_text(html_page(heading + paragraphs_html(text), head, meta.get("lang", "")), encoding="utf-8")
    return path


def write_jsonl(folder: Path, date: str, text: str, meta: dict[str, str] | None = None) -> Path:
    path = folder / "lavrov.jsonl"
    other = {"id": "other", "text": "An unrelated English article about the weather in London today."}
    record = {"id": "lavrov", "date": date, "text": text, **(meta or {})}
    path.write_text(json.dumps(other) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    return path


def write_json(folder: Path, date: str, text: str, meta: dict[str, str] | None = None) -> Path:
    path = folder / "lavrov.json"  # a single object: the id defaults to the file stem
    path.write_text(json.dumps({"date": date, "text": text, **(meta or {})}), encoding="utf-8")
    return path


WRITERS: dict[str, Callable[..., Path]] = {
    "txt": write_txt,
    "md": write_md,
    "html": write_html,
    "jsonl": write_jsonl,
    "json": write_json,
}
WITH_METADATA = ["md", "html", "jsonl", "json"]  # .txt has no place for a title, url or source


def load(*paths: Path, **kwargs: int) -> tuple[list[Article], list[LoadError]]:
    items = list(load_articles(list(paths), **kwargs))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, LoadError)]


def load_one(path: Path) -> Article:
    articles, errors = load(path)
    assert errors == []
    return next(a for a in articles if a.id != "other")


def load_error(path: Path, **kwargs: int) -> LoadError:
    _, errors = load(path, **kwargs)
    assert len(errors) == 1, errors
    return errors[0]


# --- the same article in every format


@pytest.mark.parametrize("fmt", WRITERS)
def test_every_format_yields_the_same_article(tmp_path: Path, fmt: str) -> None:
    path = WRITERS[fmt](tmp_path, "2020-10-10", TEXT)
    assert load_one(path) == replace(PLAIN, path=str(path))


@pytest.mark.parametrize("fmt", WITH_METADATA)
def test_every_format_reads_metadata(tmp_path: Path, fmt: str) -> None:
    meta = {"title": "Lavrov bemiddelt", "url": "https://nos.nl/artikel/1", "source": "NOS", "lang": "nl-NL"}
    path = WRITERS[fmt](tmp_path, "2020-10-10", TEXT, meta)
    assert load_one(path) == replace(FULL, path=str(path))


@pytest.mark.parametrize("fmt", WRITERS)
def test_every_format_normalises_text(tmp_path: Path, fmt: str) -> None:
    decomposed = "Armenie\u0308"  # "Armenië" with a combining diaeresis
    raw = f"\r\n  {P1}\r\n\r\n{P2.replace('Armenië', decomposed)}  \r\n"
    article = load_one(WRITERS[fmt](tmp_path, "2020-10-10", raw))
    assert article.text == TEXT


@pytest.mark.parametrize("fmt", WRITERS)
def test_every_format_rejects_empty_text(tmp_path: Path, fmt: str) -> None:
    path = WRITERS[fmt](tmp_path, "2020-10-10", " \n\n ")
    errors = [e for e in load(path)[1]]
    assert len(errors) == 1 and "empty text" in errors[0].error and errors[0].path == str(path)


@pytest.mark.parametrize("fmt", ["txt", "md", "jsonl", "json"])
@pytest.mark.parametrize(
    "date, expected",
    [
        ("2020", "2020"),
        ("2020-10", "2020-10"),
        ("2020-10-12", "2020-10-12"),
        ("2020-10-12T08:30:00+02:00", "2020-10-12"),
        ("2020-10-12T08:30:00Z", "2020-10-12"),
    ],
)
def test_dates_are_normalised(tmp_path: Path, fmt: str, date: str, expected: str) -> None:
    assert load_one(WRITERS[fmt](tmp_path, date, TEXT)).date == expected


@pytest.mark.parametrize("fmt", ["txt", "md", "jsonl", "json"])
@pytest.mark.parametrize("date", ["2020-13", "2020-02-30", "2020-10-12garbage"])
def test_invalid_date_keeps_article_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fmt: str, date: str
) -> None:
    path = WRITERS[fmt](tmp_path, date, TEXT)
    with caplog.at_level(logging.WARNING, logger="index.loaders"):
        article = load_one(path)
    assert article.date is None and article.text.endswith(P2)
    assert str(path) in caplog.text and date in caplog.text and "invalid date" in caplog.text


@pytest.mark.parametrize("fmt", WITH_METADATA)
@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", " JavaScript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>",
     "file:///etc/passwd", "ftp://example.com/a", "https:no-host", "http://[::1", "nos.nl/a"],
)  # fmt: skip
def test_a_url_that_is_not_http_is_dropped_and_the_article_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fmt: str, url: str
) -> None:
    path = WRITERS[fmt](tmp_path, "2020-10-10", TEXT, {"url": url})
    with caplog.at_level(logging.WARNING, logger="index.loaders"):
        article = load_one(path)
    assert article.url is None and article.text.endswith(P2)
    if fmt != "html" or url in caplog.text:  # trafilatura itself ignores some of them in a canonical link
        assert str(path) in caplog.text and "is not an http(s) url" in caplog.text


@pytest.mark.parametrize("url", ["https://nos.nl/artikel/1?a=b#c", "HTTP://Example.com/x", "http://127.0.0.1:8000/a"])
def test_http_urls_are_kept(tmp_path: Path, url: str) -> None:
    assert load_one(write_json(tmp_path, "2020-10-10", TEXT, {"url": url})).url == url


# --- format details


def test_sample_corpus() -> None:
    articles, errors = load(CORPUS)
    assert errors == [] and len(articles) == 1
    [article] = articles
    assert (article.id, article.date, article.lang) == ("000_15448dadedb0d90e", "2020-10", "nl")
    assert article.title.startswith("De Russische minister")
    assert len(article.title) <= TITLE_MAX_CHARS and article.title.endswith("…")
    assert article.text.startswith("De Russische minister")  # the date token is not text


def test_txt_without_date_token(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("The date palm grows in the desert. It needs water.", encoding="utf-8")
    article = load_one(path)
    assert (article.id, article.date, article.lang) == ("plain", None, "en")
    assert article.title == "The date palm grows in the desert."


def test_markdown_title_from_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "kop.md"
    path.write_text(f"# Lavrov bemiddelt\n\n{TEXT}\n", encoding="utf-8")
    article = load_one(path)
    assert (article.id, article.title, article.text, article.date) == ("kop", "Lavrov bemiddelt", TEXT, None)


def test_markdown_front_matter_scalars_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    meta = "id: 0042\ndate: 2020-10-12 08:30:00\ntitle: 1984\nlang: no\nurl: ~\n"
    path.write_text(f"---\n{meta}---\n{TEXT}", encoding="utf-8")
    article = load_one(path)
    assert (article.id, article.date, article.title, article.lang, article.url) == (
        "0042",
        "2020-10-12",
        "1984",
        "no",
        None,
    )


def test_html_boilerplate_removed(tmp_path: Path) -> None:
    nav = "<nav><a href='/'>Home</a> <a href='/sport'>Sport</a></nav>"
    footer = "<footer>Copyright 2020 NOS. Cookies en privacy.</footer>"
    path = tmp_path / "page.htm"
    path.write_text(html_page(nav + paragraphs_html(TEXT) + footer), encoding="utf-8")
    article = load_one(path)
    assert article.text == TEXT
    assert article.date is None  # not guessed from "Copyright 2020"


def test_json_list_and_default_ids(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    items = [{"id": "a", "text": "First article text."}, {"text": "Second article text."}, "oops"]
    path.write_text(json.dumps(items), encoding="utf-8")
    articles, errors = load(path)
    assert [a.id for a in articles] == ["a", "batch-2"]
    assert [str(e) for e in errors] == [f"{path}: item 3: expected a JSON object, got string"]


def test_jsonl_default_id_is_stem_and_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "a", "text": "One."}\n\n{"text": "Three."}\n', encoding="utf-8")
    assert [a.id for a in load(path)[0]] == ["a", "feed-3"]


def test_jsonl_line_separator_inside_a_string(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    text = "Eerste zin.\u2028Tweede zin.\x0cDerde."
    path.write_text(json.dumps({"id": "a", "text": text}, ensure_ascii=False) + "\r\n", encoding="utf-8")
    assert load_one(path).text == text


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"publisher": "vk", "source": "dpgmedia/partisan-news2019"}, "vk"),
        ({"publisher": None, "source": "dpgmedia/partisan-news2019"}, "dpgmedia/partisan-news2019"),
        ({"source": "NOS"}, "NOS"),
        ({}, None),
    ],
)
def test_publisher_preferred_over_source(tmp_path: Path, fields: dict[str, str], expected: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"text": TEXT, **fields}), encoding="utf-8")
    assert load_one(path).source == expected


@pytest.mark.parametrize("lang, expected", [("nl", "nl"), ("NL", "nl"), ("en_GB", "en"), (None, "nl"), ("Dutch", "nl")])
def test_language_normalised_or_detected(tmp_path: Path, lang: str | None, expected: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"text": TEXT, "lang": lang}), encoding="utf-8")
    assert load_one(path).lang == expected


def test_long_first_sentence_title_is_cut_at_a_word(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("woord " * 100 + "einde.", encoding="utf-8")
    title = load_one(path).title
    assert len(title) <= TITLE_MAX_CHARS and title.endswith("woord…")


# --- folders


def test_folder_walk_is_recursive_sorted_and_skips_hidden_and_readmes(tmp_path: Path) -> None:
    for name in [
        "b.txt",
        "a/c.md",
        "a/z/d.json",
        ".hidden.txt",
        ".git/e.txt",
        "README.md",
        "a/README.txt",
        "notes.csv",
    ]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"text": "Some text."}' if name.endswith(".json") else "Some text.", encoding="utf-8")
    articles, errors = load(tmp_path)
    assert errors == []
    assert [a.id for a in articles] == ["c", "d", "b"]  # a/c.md, a/z/d.json, b.txt


def test_links_leaving_the_folder_are_refused_and_links_inside_are_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd.txt").write_text("Secret text from elsewhere on the machine.", encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "real.txt").write_text("Real text.", encoding="utf-8")
    (corpus / "escape.txt").symlink_to(secret / "passwd.txt")
    (corpus / "relative.md").symlink_to(Path("..") / "secret" / "passwd.txt")
    (corpus / "chain.txt").symlink_to(corpus / "escape.txt")  # inside, but it leads on outside
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "linked").symlink_to(secret, target_is_directory=True)
    (corpus / "sub" / "alias.txt").symlink_to(Path("..") / "real.txt")  # stays inside: read
    (tmp_path / "corpus-link").symlink_to(corpus, target_is_directory=True)  # the folder named: followed

    for folder in (corpus, tmp_path / "corpus-link"):
        articles, errors = load(folder)
        assert [(a.id, a.text) for a in articles] == [("real", "Real text."), ("alias", "Real text.")]
        outside = "skipped: a symbolic link to a {} outside the corpus folder"
        assert [(Path(e.path).name, e.error) for e in errors] == [
            ("chain.txt", outside.format("file")),
            ("escape.txt", outside.format("file")),
            ("linked", outside.format("folder")),
            ("loop.txt", "skipped: a symbolic link that leads nowhere (a loop)"),
            ("relative.md", outside.format("file")),
        ]
        assert all(isinstance(e, Refused) and Path(e.path).parent == folder for e in errors)


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="nope"):
        load_articles([tmp_path / "nope"])


# --- errors, each reported and the rest still loaded


def test_named_file_with_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n", encoding="utf-8")
    error = load_error(path)
    assert error.path == str(path) and "unsupported file type '.csv'" in error.error and ".jsonl" in error.error


@pytest.mark.parametrize("fmt", WRITERS)
def test_binary_file(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"image.{fmt}"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    error = load_error(path)
    assert (error.path, error.line) == (str(path), 3)
    assert "binary file (NUL byte at byte offset 8)" in error.error


@pytest.mark.parametrize("fmt", WRITERS)
def test_undecodable_bytes(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"latin1.{fmt}"
    path.write_bytes("Line one\nCafé au lait".encode("latin-1"))
    error = load_error(path)
    assert error.line == 2 and "not UTF-8" in error.error and "byte offset 12" in error.error and "e9" in error.error


def test_oversize_file(tmp_path: Path) -> None:
    path = write_txt(tmp_path, "2020-10", TEXT)
    other = tmp_path / "small.txt"
    other.write_text("Small.", encoding="utf-8")
    articles, errors = load(tmp_path, max_bytes=100)
    assert [a.id for a in articles] == ["small"]
    assert len(errors) == 1 and errors[0].path == str(path) and "too large" in errors[0].error
    assert "limit 100" in errors[0].error


def test_malformed_json_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "a", "text": "One."}\n{"id": "b", "text": "Two.\n{"id": "c", "text": "Three."}\n')
    articles, errors = load(path)
    assert [a.id for a in articles] == ["a", "c"]
    assert len(errors) == 1 and errors[0].line == 2
    assert str(errors[0]).startswith(f"{path}:2: malformed JSON: Unterminated string")


def test_malformed_json_file(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{\n  "text": "x",\n  oops\n}')
    error = load_error(path)
    assert error.line == 3 and "malformed JSON" in error.error


@pytest.mark.parametrize("value", ["[1, 2]", '"text"', "null"])
def test_jsonl_line_not_an_object(tmp_path: Path, value: str) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(value + "\n")
    error = load_error(path)
    assert error.line == 1 and error.error.startswith("expected a JSON object, got")


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_json_object_without_text(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"a.{fmt}"
    path.write_text(json.dumps({"id": "a", "title": "T", "body": "Wrong key."}) + "\n")
    error = load_error(path)
    assert "no 'text' field" in error.error and "body" in error.error


def test_json_object_with_null_text(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"id": "a", "text": null}')
    assert load_error(path).error == "field 'text' is null"


@pytest.mark.parametrize(
    "field, value, found",
    [
        ("text", ["a", "b"], "array"),
        ("title", 5, "number"),
        ("id", 1.5, "number"),
        ("id", True, "boolean"),
        ("date", 20201012, "number"),
        ("url", {"href": "x"}, "object"),
        ("lang", False, "boolean"),
        ("publisher", ["vk"], "array"),
    ],
)
def test_wrong_field_type(tmp_path: Path, field: str, value: object, found: str) -> None:
    path = tmp_path / "feed.jsonl"
    good = {"id": "ok", "text": "Fine."}
    path.write_text(json.dumps(good) + "\n" + json.dumps({"text": "Text.", field: value}) + "\n")
    articles, errors = load(path)
    assert [a.id for a in articles] == ["ok"]
    assert len(errors) == 1 and errors[0].line == 2
    assert f"field {field!r} must be" in errors[0].error and f"got {found}" in errors[0].error


def test_markdown_invalid_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: [unclosed\n---\nText.")
    assert "invalid YAML front matter" in load_error(path).error


def test_duplicate_id_names_the_first(tmp_path: Path) -> None:
    first = tmp_path / "a.jsonl"
    first.write_text('{"id": "x", "text": "One."}\n{"id": "y", "text": "Two."}\n')
    second = tmp_path / "x.txt"  # id "x" from the stem
    second.write_text("Three.")
    again = tmp_path / "b.jsonl"
    again.write_text('{"id": "z", "text": "Four."}\n{"id": "y", "text": "Five."}\n')
    articles, errors = load(tmp_path)
    assert [a.id for a in articles] == ["x", "y", "z"]
    assert [str(e) for e in errors] == [
        f"{again}:2: duplicate id 'y'; first loaded from {first}:2",
        f"{second}: duplicate id 'x'; first loaded from {first}:1",
    ]


# --- hostile files: each one error for that file, the rest still loaded, memory bounded


def alias_bomb(levels: int) -> str:
    """YAML "billion laughs": each level a list of nine aliases of the level below (9**levels items)."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]")
    return "\n".join([*lines, f"title: *l{levels - 1}"])


HOSTILE = {
    "deep.json": ("[" * 100_000 + "]" * 100_000, None, "JSON nested too deeply"),
    "deep.jsonl": ('{"text": "x", "tags": ' + "[" * 100_000 + "]" * 100_000 + "}\n", 1, "JSON nested too deeply"),
    "digits.json": ('{"text": "x", "id": ' + "9" * 5_000 + "}", None, "number too long: 5,000 characters"),
    "digits.jsonl": ('{"text": "x", "views": -' + "9" * 5_000 + "}\n", 1, "number too long: 5,001 characters"),
    "deep.md": ("---\ntitle: " + "[" * 10_000 + "]" * 10_000 + "\n---\nText.", None, "nested deeper than 20 levels"),
    "deep-block.md": ("---\n" + "".join(" " * i + "a:\n" for i in range(500)) + "---\nText.", None, "nested deeper"),
    "bomb.md": (f"---\n{alias_bomb(7)}\n---\nText.", None, "aliases are not allowed in front matter"),
    "merge.md": ("---\nbase: &b {title: T}\n<<: *b\n---\nText.", None, "aliases are not allowed"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_is_one_error_and_the_rest_loads(tmp_path: Path, name: str) -> None:
    content, line, message = HOSTILE[name]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    (tmp_path / "good.txt").write_text("A good article.", encoding="utf-8")
    articles, errors = load(tmp_path)
    assert [a.id for a in articles] == ["good"]
    assert len(errors) == 1 and (errors[0].path, errors[0].line) == (str(path), line)
    assert message in errors[0].error, errors[0]


def test_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "bomb.md"
    path.write_text(f"---\n{alias_bomb(7)}\n---\nText.", encoding="utf-8")  # 9**7 items, ~33 MB as a string
    tracemalloc.start()
    try:
        error = load_error(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2**20, f"{peak:,} bytes"
    assert "found the alias *l0" in error.error and "line 3" in error.error


def test_front_matter_key_that_is_not_a_string(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\n~: null key\n---\nText.", encoding="utf-8")
    assert "front matter keys must be strings, found None" in load_error(path).error


def test_an_unforeseen_failure_is_one_error_for_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from index import formats

    def broken(path: Path, text: str):
        raise RuntimeError("the parser fell over")
        yield

    monkeypatch.setitem(formats.READERS, ".md", broken)
    (tmp_path / "a.md").write_text("Text.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("A good article.", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="index.loaders"):
        articles, errors = load(tmp_path)
    assert [a.id for a in articles] == ["b"]
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'a.md'}: could not load the file: RuntimeError: the parser fell over"
    ]
    assert "Traceback" in caplog.text or "the parser fell over" in caplog.text


# --- the shared corpora (only on machines that have ../shared)


@pytest.mark.parametrize(
    "relative, count",
    [
        ("corpora/dpg-nl-2019/articles.jsonl", 1398),
        ("benchmarks/quail-news/articles.jsonl", 30),
        ("benchmarks/realtimeqa-2022/articles.jsonl", 1748),
    ],
)
def test_shared_corpora_load_cleanly(relative: str, count: int) -> None:
    articles, errors = load(shared_path(relative))
    assert errors == [] and len(articles) == count
    assert all(a.title and a.lang in ("nl", "en") for a in articles)


# --- JSONL is streamed: the size limit is per line, and the file is never read whole


def test_jsonl_limit_is_per_line_not_per_file(tmp_path: Path) -> None:
    path = tmp_path / "archive.jsonl"
    lines = [json.dumps({"id": f"a{i}", "text": f"Article number {i}."}) for i in range(50)]
    lines.insert(10, json.dumps({"id": "big", "text": "word " * 100}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 300  # far above the limit, as a whole
    articles, errors = load(path, max_bytes=300)
    assert len(articles) == 50 and "big" not in {a.id for a in articles}
    assert len(errors) == 1 and errors[0].line == 11 and "line too large" in errors[0].error


def test_jsonl_is_streamed_not_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "archive.jsonl"
    path.write_text("".join(json.dumps({"id": f"a{i}", "text": f"Text {i}."}) + "\n" for i in range(3)))

    def whole(self: Path, *args: object, **kwargs: object) -> object:
        raise AssertionError(f"{self} was read whole")

    monkeypatch.setattr(Path, "read_bytes", whole)
    monkeypatch.setattr(Path, "read_text", whole)
    articles, errors = load(path)
    assert [a.id for a in articles] == ["a0", "a1", "a2"] and errors == []


def test_jsonl_with_a_bom_and_crlf_lines(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"id": "a", "text": "One."}\r\n{"id": "b", "text": "Two."}\r\n')
    articles, errors = load(path)
    assert [a.id for a in articles] == ["a", "b"] and errors == []
