"""Feeds, sitemaps and pages as ingest sources, against a real news site on 127.0.0.1 (tests/newsite.py):
metadata, conditional re-runs, a changed page, one reported error per failure; the CLI with the real model."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.fetch import Fetcher, FetchError, Page, Validators
from index.records import Article, LoadError
from index.web import article_id, load_web, read_url_list
from ui.cli import cli
from ui.settings import Settings
from ui.sync import Watch

from .newsite import CHANGED, canonical, news_site
from .servers import NEWSRAG, newsrag_env


@pytest.fixture
def site():
    with news_site() as s:
        yield s


def fetcher(**kwargs) -> Fetcher:
    options = {"timeout_s": 0.5, "delay_s": 0.0, "max_bytes": 64_000, "retries": 1, "backoff_s": 0.01}
    return Fetcher(**{**options, **kwargs})


def run(site, open_fake_store, tmp_path: Path, *sources: str):
    """One `newsrag ingest URL...` as the CLI runs it, with the fake embedder: (report, store)."""
    from index.chunking import whitespace_token_starts
    from index.ingest import ingest, record_manager

    store = open_fake_store()
    validators = Validators(tmp_path / "home" / "web-validators.json")
    with fetcher() as f:
        items = load_web([site.base + s for s in sources], f, validators, store.catalog.get_article)
        records = record_manager(store.catalog.path.parent, store)
        report = ingest(items, store, records, token_starts=whitespace_token_starts, max_tokens=60, progress=False)
    validators.save()
    return report, store


def errors_by_url(report) -> dict[str, str]:
    urls = [e.path for e in report.errors]
    assert len(urls) == len(set(urls)), f"an error reported twice: {report.errors}"
    return {e.path.rsplit("/", 1)[1]: e.error for e in report.errors}


def test_feeds_and_sitemap_ingest_articles_with_metadata(site, open_fake_store, tmp_path: Path) -> None:
    report, store = run(site, open_fake_store, tmp_path, "/feed.xml", "/atom.xml", "/sitemap.xml")
    assert report.articles_added == 4  # nl-1 is in the feed and the sitemap: one article
    nl = store.catalog.get_article(article_id(canonical(site, "/news/nl-1.html")))
    assert nl is not None
    assert nl.title == "Bestand in Nagorno-Karabach"
    assert nl.date == "2020-10-10"
    assert nl.url == canonical(site, "/news/nl-1.html")
    assert nl.source == "Testkrant"
    assert nl.author == "Jan de Vries"
    assert nl.lang == "nl"
    assert "Lavrov bemiddelde" in nl.text and "Home" not in nl.text
    en = store.catalog.get_article(article_id(canonical(site, "/news/en-2.html")))
    assert en is not None and en.lang == "en" and en.title == "Cheese market draws crowds"

    errors = errors_by_url(report)
    assert set(errors) == {"missing.html", "slow.html", "huge.html", "secret.html", "data.json", "empty.html"}
    assert errors["missing.html"] == "HTTP 404 Not Found"
    assert "timed out" in errors["slow.html"]
    assert "too large" in errors["huge.html"]
    assert errors["secret.html"] == "disallowed by robots.txt"
    assert "not HTML" in errors["data.json"] and "application/json" in errors["data.json"]
    assert "no main text" in errors["empty.html"]
    assert "/private/secret.html" not in [path for path, _ in site.hits]  # robots.txt: never asked


def test_rerun_is_conditional_and_a_changed_page_is_embedded_again(site, open_fake_store, tmp_path: Path) -> None:
    run(site, open_fake_store, tmp_path, "/feed.xml", "/sitemap.xml")
    site.hits.clear()
    report, _ = run(site, open_fake_store, tmp_path, "/feed.xml", "/sitemap.xml")
    assert (report.articles_added, report.articles_updated, report.chunks_embedded) == (0, 0, 0)
    assert report.articles_unchanged == 3
    for path in ("/news/nl-1.html", "/news/en-1.html", CHANGED, "/sitemap.xml"):
        assert site.statuses(path) == [304], path

    site.version = 2
    site.hits.clear()
    report, store = run(site, open_fake_store, tmp_path, "/feed.xml", "/sitemap.xml")
    assert (report.articles_updated, report.articles_unchanged) == (1, 2)
    assert report.chunks_embedded > 0
    assert site.statuses(CHANGED) == [200]
    changed = store.catalog.get_article(article_id(canonical(site, CHANGED)))
    assert changed is not None and "Japan" in changed.text


def test_an_article_page_is_a_source(site, open_fake_store, tmp_path: Path) -> None:
    report, store = run(site, open_fake_store, tmp_path, "/news/en-1.html", "/news/missing.html")
    assert report.articles_added == 1
    assert [str(e) for e in report.errors] == [f"{site.base}/news/missing.html: HTTP 404 Not Found"]
    assert store.catalog.get_article(article_id(canonical(site, "/news/en-1.html"))) is not None


def test_retries_after_a_timeout_then_reports_it_once(site) -> None:
    validators = Validators(Path("v.json"))
    with fetcher(retries=2) as f:
        items = list(load_web([site.base + "/news/slow.html"], f, validators, lambda _: None))
    assert len(items) == 1 and isinstance(items[0], LoadError)
    assert "after 3 attempts" in items[0].error
    assert site.statuses("/news/slow.html").count(0) == 3  # three requests arrived


def test_a_busy_server_is_asked_again_after_its_retry_after(site) -> None:
    with fetcher(retries=1, backoff_s=60) as f:  # Retry-After: 0 wins over the back-off
        items = list(load_web([site.base + "/news/flaky.html"], f, Validators(Path("v.json")), lambda _: None))
    assert [type(item) for item in items] == [Article]
    assert site.statuses("/news/flaky.html") == [503, 200]


def test_a_page_in_another_charset_is_read_in_it(site) -> None:
    with fetcher() as f:
        items = list(load_web([site.base + "/news/latin1.html"], f, Validators(Path("v.json")), lambda _: None))
    assert isinstance(items[0], Article) and "Armenië en Azerbeidzjan" in items[0].text


class ManyLinks:
    """A stand-in `Fetcher`: /feed.xml lists `n` article links; each is a 404, after `page_s` but the first."""

    def __init__(self, n: int, page_s: float = 0.0) -> None:
        self.n, self.page_s = n, page_s
        self.asked: list[str] = []

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Page:
        if url.endswith("/feed.xml"):
            links = (f"https://example.org/news/{n}.html" for n in range(self.n))
            items = "".join(f"<item><title>{link}</title><link>{link}</link></item>" for link in links)
            feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
            return Page(url, 200, feed, "application/rss+xml")
        self.asked.append(url)
        if not url.endswith("/0.html"):
            time.sleep(self.page_s)
        raise FetchError("HTTP 404 Not Found")


def test_closing_the_articles_early_waits_for_no_fetch() -> None:
    """A consumer that stops (an error, Ctrl-C) must not hang until the pages being fetched are done."""
    fake = ManyLinks(20, page_s=2.0)
    items = load_web(["https://example.org/feed.xml"], fake, Validators(Path("v.json")), lambda _: None, workers=2)  # type: ignore[arg-type]
    assert isinstance(next(items), LoadError)  # the first page; the two workers are on slow ones
    started = time.monotonic()
    items.close()
    assert time.monotonic() - started < 1.0  # not waiting for the two running pages (2 s), nor the queued ones
    time.sleep(2.5)
    assert len(fake.asked) < 10  # the queued pages were cancelled, not fetched in the background (3 asked)


def test_a_long_feed_gives_its_first_links_only(caplog: pytest.LogCaptureFixture) -> None:
    fake, feed = ManyLinks(30), "https://example.org/feed.xml"
    items = list(load_web([feed], fake, Validators(Path("v.json")), lambda _: None, max_links=10))  # type: ignore[arg-type]
    assert len(items) == 10
    assert sorted(fake.asked) == sorted(f"https://example.org/news/{n}.html" for n in range(10))  # in feed order
    assert f"{feed}: 30 links, only the first 10 fetched (20 skipped)" in caplog.messages


def test_url_list_file(tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("# feeds\nhttps://example.org/feed.xml\n\n  https://example.org/a.html  \n")
    assert read_url_list(listing) == ["https://example.org/feed.xml", "https://example.org/a.html"]
    listing.write_text("https://example.org/feed.xml\nexample.org/b.html\n")
    with pytest.raises(ValueError, match=r"urls.txt:2: expected an http\(s\) URL, got 'example.org/b.html'"):
        read_url_list(listing)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--urls", "urls.txt"], "urls.txt:1: expected an http(s) URL"),
        (["--every", "soon", "https://example.org/feed.xml"], "Expected a duration like 15m"),
        (["nowhere/"], "nowhere does not exist (a URL starts with http:// or https://)"),
    ],
)
def test_cli_rejects_bad_sources(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "urls.txt").write_text("ftp://example.org/x\n")
    result = CliRunner().invoke(cli, ["ingest", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_server_watch_keeps_a_feed_in_sync(site, open_fake_store, fake_embeddings) -> None:
    """The background thread of `newsrag serve` with NEWSRAG_WATCH_URLS: a first run at once, stopped cleanly."""
    settings = Settings(
        watch_urls=f"{site.base}/atom.xml, {site.base}/sitemap.xml",  # type: ignore[arg-type]  # as from the env
        watch_every="1h",
        fetch_timeout_s=0.5,
        fetch_delay_s=0,
    )
    store = open_fake_store()
    watch = Watch(settings, store, fake_embeddings).start()
    deadline = time.monotonic() + 60
    while watch.runs < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    watch.stop()
    assert watch.runs == 1
    assert store.catalog.count_articles() == 3
    assert not watch._thread.is_alive()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("watch_every", "soon", "Expected a duration like 15m"), ("watch_urls", "example.org/feed", "http(s) URLs")],
)
def test_watch_settings_are_checked(field: str, value: str, message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings(**{field: value})


@pytest.mark.slow
def test_cli_ingests_a_feed_with_the_real_model(site, tmp_path: Path) -> None:
    """`newsrag ingest URL --json` as a user runs it, twice: the second run fetches conditionally, embeds nothing."""
    env = newsrag_env(
        tmp_path / "home",
        NEWSRAG_FETCH_TIMEOUT_S="0.5",
        NEWSRAG_FETCH_DELAY_S="0",
        NEWSRAG_FETCH_RETRIES="0",
        NEWSRAG_FETCH_MAX_MB="0.05",
    )
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# the test site\n{site.base}/feed.xml\n{site.base}/atom.xml\n")

    def ingest() -> dict:
        cmd = [NEWSRAG, "ingest", "--urls", str(urls), "--json"]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout)

    first = ingest()
    assert (first["articles_added"], first["chunks_embedded"] > 0) == (3, True)
    assert len(first["errors"]) == 6
    second = ingest()
    assert (second["articles_unchanged"], second["chunks_embedded"]) == (3, 0)
    assert site.statuses("/news/en-2.html") == [200, 304]


@pytest.mark.slow
def test_cli_watch_runs_until_ctrl_c(site, tmp_path: Path) -> None:
    """`newsrag ingest --watch URL --every 1s`: runs again and again; Ctrl-C (SIGINT) ends it with exit code 0."""
    env = newsrag_env(tmp_path / "home", NEWSRAG_FETCH_TIMEOUT_S="0.5", NEWSRAG_FETCH_DELAY_S="0")
    cmd = [NEWSRAG, "ingest", "--watch", f"{site.base}/atom.xml", "--every", "1s"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        summaries: list[str] = []
        for line in iter(proc.stdout.readline, ""):
            if " articles: " in line:
                summaries.append(line)
            if len(summaries) == 2:
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "1 added" in summaries[0] and "1 unchanged" in summaries[1], summaries
    assert proc.returncode == 0, err
    assert "stopped" in err


@pytest.mark.slow
def test_serve_ingests_the_watched_feed_in_the_background(site, tmp_path: Path) -> None:
    """`newsrag serve` with NEWSRAG_WATCH_URLS: the feed's article arrives while the server answers."""
    import httpx

    from .servers import newsrag_server

    env = {"NEWSRAG_WATCH_URLS": f"{site.base}/atom.xml", "NEWSRAG_FETCH_DELAY_S": "0"}
    with newsrag_server(tmp_path / "home", llm="extractive", **env) as url:
        deadline = time.monotonic() + 120
        while httpx.get(f"{url}/healthz", timeout=10).json()["articles"] < 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert httpx.get(f"{url}/healthz", timeout=10).json()["articles"] == 1
    assert site.statuses("/news/en-2.html") == [200]
