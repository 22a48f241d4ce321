"""Web sources: RSS/Atom/JSON feeds, sitemaps and article pages in, `Article`s and `LoadError`s out.

Each source URL is fetched once (politely, through `index.fetch.Fetcher`) and classified by its content: a feed
(its links found with trafilatura's feed parser), a sitemap (trafilatura's sitemap parser; nested sitemaps
followed), or an HTML page (the article itself). The article pages are fetched from a few threads and
extracted with the same trafilatura code as .html files (`index.formats.html_fields`), then validated like
every other record (`index.loaders.to_article`). An article's id comes from its canonical URL, so the same
article found through a feed and a sitemap is one article, and the ingest's content hash tells a changed page.

Conditional requests: a 304 for a page yields the stored article again (so it counts as unchanged), a 304 for
a feed or sitemap reuses the links it gave last time. Every failure is one `LoadError(url, None, reason)`.

Not handled: trafilatura's link filters (courlan rejects hosts without a public suffix, such as an intranet
name or 127.0.0.1, so links are kept as the feed gives them, http(s) only), feed discovery from a home page,
and pages that need JavaScript.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from trafilatura.feeds import FeedParameters, find_links, is_potential_feed
from trafilatura.sitemaps import DETECT_SITEMAP_LINK, SITEMAP_FORMAT, SitemapObject

from index.fetch import Fetcher, FetchError, Page, Validators
from index.formats import Record, html_fields
from index.loaders import to_article
from index.records import Article, LoadError

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"", "text/html", "application/xhtml+xml"})
MAX_SITEMAPS = 50  # nested sitemaps followed per source

Known = Callable[[str], Article | None]  # a stored article by id (for a 304)


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def read_url_list(path: Path) -> list[str]:
    """The URLs listed in a file, one per line; blank lines and `#` comments skipped. Raises ValueError
    naming the line of anything that is not an http(s) URL."""
    urls = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
        if not line:
            continue
        if not is_url(line) or not urlsplit(line).hostname:
            raise ValueError(f"{path}:{number}: expected an http(s) URL, got {line[:200]!r}")
        urls.append(line)
    return urls


def article_id(canonical_url: str) -> str:
    """A stable id for the article at `canonical_url`: its host and a hash of the URL (without #fragment)."""
    url = urldefrag(canonical_url).url
    host = urlsplit(url).hostname or "web"
    return f"{host}-{hashlib.sha256(url.encode('utf-8')).hexdigest()[:16]}"


def load_web(
    urls: Iterable[str],
    fetcher: Fetcher,
    validators: Validators,
    known: Known,
    *,
    workers: int = 4,
    max_links: int | None = None,
) -> Iterator[Article | LoadError]:
    """The articles found at `urls` (feeds, sitemaps or pages) and one error per failed URL. A feed or sitemap
    gives at most its first `max_links` links (in its own order, usually newest first; a warning says how many
    were skipped), so one huge sitemap cannot make a run fetch for hours. The caller saves `validators` once
    what was yielded is stored."""
    seen_ids: set[str] = set()
    fetched: set[str] = set()
    pool = ThreadPoolExecutor(workers, thread_name_prefix="fetch")
    try:
        for url in dict.fromkeys(urls):
            found = _source(url, fetcher, validators, known)
            if not isinstance(found, list):
                yield from _unique(found, seen_ids)
                fetched.add(url)
                continue
            links = list(dict.fromkeys(found))
            if max_links is not None and len(links) > max_links:
                skipped = len(links) - max_links
                log.warning("%s: %d links, only the first %d fetched (%d skipped)", url, len(links), max_links, skipped)
                links = links[:max_links]
            links = [link for link in links if link not in fetched]
            fetched.update(links)
            log.info("%s: %d article links", url, len(links))
            for item in pool.map(lambda link: _article(link, fetcher, validators, known), links):
                yield from _unique(item, seen_ids)
    finally:
        # not `with`: its shutdown waits for the fetches in progress (each up to its timeouts and retries), so an
        # error or Ctrl-C in the consumer (this generator closed early) would hang; queued pages are dropped and
        # running ones end on their own
        pool.shutdown(wait=False, cancel_futures=True)


def _unique(item: Article | LoadError, seen_ids: set[str]) -> Iterator[Article | LoadError]:
    """The item, unless it is an article already yielded (reached through two URLs)."""
    if isinstance(item, Article):
        if item.id in seen_ids:
            return
        seen_ids.add(item.id)
    yield item


def _fetch(url: str, fetcher: Fetcher, validators: Validators, *, conditional: bool = True) -> Page:
    entry = validators.get(url) if conditional else {}
    return fetcher.get(url, etag=entry.get("etag"), last_modified=entry.get("last_modified"))


def _source(url: str, fetcher: Fetcher, validators: Validators, known: Known) -> list[str] | Article | LoadError:
    """A source URL's article links (a feed or sitemap), or the article it is, or why neither."""
    try:
        page = _fetch(url, fetcher, validators)
        if page.status == 304:
            entry = validators.get(url)
            if "links" in entry:
                return list(entry["links"])
            if (article := known(entry.get("article_id", ""))) is not None:
                return article
            page = _fetch(url, fetcher, validators, conditional=False)
        links = _feed_links(page) or _sitemap_links(page, fetcher)
    except FetchError as e:
        return LoadError(url, None, str(e))
    if links:
        validators.put(url, page, links=links)
        return links
    return _page_article(url, page, validators)


def _article(url: str, fetcher: Fetcher, validators: Validators, known: Known) -> Article | LoadError:
    try:
        page = _fetch(url, fetcher, validators)
        if page.status == 304:
            if (article := known(validators.get(url).get("article_id", ""))) is not None:
                return article
            page = _fetch(url, fetcher, validators, conditional=False)
    except FetchError as e:
        return LoadError(url, None, str(e))
    return _page_article(url, page, validators)


def _page_article(url: str, page: Page, validators: Validators) -> Article | LoadError:
    if page.content_type not in HTML_TYPES:
        return LoadError(url, None, f"not HTML, a feed or a sitemap (content type {page.content_type})")
    fields = html_fields(page.text, url=page.url)
    if isinstance(fields, str):
        return LoadError(url, None, fields)
    canonical = urljoin(page.url, fields.get("url") or page.url)
    if not is_url(canonical):
        canonical = page.url
    fields |= {"id": article_id(canonical), "url": urldefrag(canonical).url}
    article = to_article(url, Record(fields, default_id=fields["id"]))
    if isinstance(article, Article):
        validators.put(url, page, article_id=article.id)
    return article


def _feed_links(page: Page) -> list[str]:
    """The item links of an RSS, Atom or JSON feed; [] when the page is none."""
    text = page.text.strip()
    if not is_potential_feed(text) and not text.startswith("{"):
        return []
    parts = urlsplit(page.url)
    params = FeedParameters(f"{parts.scheme}://{parts.netloc}", parts.hostname or "", page.url)
    return _http_links(page.url, find_links(text, params))


def _sitemap_links(page: Page, fetcher: Fetcher) -> list[str]:
    """The page links of a sitemap (XML or text), nested sitemaps followed; [] when the page is none."""
    if not SITEMAP_FORMAT.match(page.text.strip()):
        return []
    sitemap = _Sitemap(page.url)
    sitemap.current_url, sitemap.content = page.url, page.text.strip()
    sitemap.process()
    sitemap.seen.add(page.url)
    while sitemap.sitemap_urls and len(sitemap.seen) < MAX_SITEMAPS:
        nested = sitemap.sitemap_urls.pop()
        if nested in sitemap.seen:
            continue
        sitemap.seen.add(nested)
        try:
            sitemap.current_url, sitemap.content = nested, fetcher.get(nested).text.strip()
        except FetchError as e:
            log.warning("%s: nested sitemap skipped: %s", nested, e)
            continue
        sitemap.process()
    return _http_links(page.url, sitemap.urls)


def _http_links(base: str, links: Iterable[str]) -> list[str]:
    absolute = (urldefrag(urljoin(base, link.strip())).url for link in links)
    return [link for link in dict.fromkeys(absolute) if is_url(link) and link != base]


class _Sitemap(SitemapObject):
    """trafilatura's sitemap parser, keeping links as given (see the module docstring)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        super().__init__(f"{parts.scheme}://{parts.netloc}", parts.hostname or "", [], external=True)

    def handle_link(self, link: str) -> None:
        link = urljoin(self.current_url, link.strip())
        if link == self.current_url or not is_url(link):
            return
        (self.sitemap_urls if DETECT_SITEMAP_LINK.search(link) else self.urls).append(link)
