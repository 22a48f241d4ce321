"""A polite HTTP fetcher for web sources: robots.txt, a per-host delay and concurrency limit, timeouts,
retries with back-off, a size cap, and conditional requests (ETag / Last-Modified).

`Fetcher.get` returns a `Page` (a 200 with its body, or a 304 "not modified") or raises `FetchError` with a
reason meant for the ingest report. The validators of each URL live in a small JSON file (`Validators`),
written by the caller once what was fetched is stored, so a crash never makes an unstored page "unchanged".

robots.txt is checked for every URL of a redirect chain before it is asked (its own host's rules), but the
delay and concurrency limit are those of the first URL's host.

Not handled: cookies, JavaScript and authentication.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 60.0  # a server asking for a longer pause gets a failure for this run instead


def user_agent() -> str:
    """`newsrag/<version>`: names the crawler, as robots.txt rules and server logs expect."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"newsrag/{version('newsrag')}"
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "newsrag"


class FetchError(Exception):
    """A URL that could not be fetched; the message is the reason reported for it."""


@dataclass(frozen=True)
class Page:
    url: str  # the final URL, after redirects
    status: int  # 200 or 304
    text: str = ""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class _Host:
    """One host's politeness state: its robots.txt, its concurrency slots and when it may be asked next."""

    slots: threading.Semaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0
    robots: RobotFileParser | None = None
    delay: float = 0.0


class Fetcher:
    """Fetches URLs from any number of threads, politely per host. Use as a context manager."""

    def __init__(
        self,
        *,
        timeout_s: float = 20.0,
        delay_s: float = 1.0,
        per_host: int = 2,
        max_bytes: int = 10 * 2**20,
        retries: int = 2,
        backoff_s: float = 1.0,
        agent: str | None = None,
    ) -> None:
        self.agent = agent or user_agent()
        self.delay_s, self.per_host, self.max_bytes = delay_s, per_host, max_bytes
        self.retries, self.backoff_s = retries, backoff_s
        self._client = httpx.Client(
            headers={"User-Agent": self.agent},
            timeout=timeout_s,
            follow_redirects=True,
            max_redirects=5,
            event_hooks={"request": [self._check_hop]},
        )
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Page:
        """The page at `url`, or a 304 Page when the validators still match; FetchError with the reason."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("not an http(s) URL with a host")
        host = self._allowed_host(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for attempt in range(self.retries + 1):
            try:
                with host.slots:
                    self._wait_turn(host)
                    return self._get_once(url, headers)
            except _Retry as e:
                if attempt == self.retries:
                    raise FetchError(f"{e} (after {attempt + 1} attempts)") from None
                pause = e.retry_after if e.retry_after is not None else self.backoff_s * 2**attempt
                log.info("%s: %s; retrying in %.1f s", url, e, pause)
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _get_once(self, url: str, headers: dict[str, str]) -> Page:
        try:
            with self._client.stream("GET", url, headers=headers) as r:
                if r.status_code == 304:
                    return Page(str(r.url), 304)
                if r.status_code in RETRY_STATUSES:
                    raise _Retry(f"HTTP {r.status_code}", _retry_after(r.headers.get("Retry-After")))
                if r.status_code != 200:
                    raise FetchError(f"HTTP {r.status_code} {r.reason_phrase}".rstrip())
                declared = r.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(f"too large: {int(declared):,} bytes, limit {self.max_bytes:,}")
                body = bytearray()
                for block in r.iter_bytes():
                    body += block
                    if len(body) > self.max_bytes:
                        raise FetchError(f"too large: over {self.max_bytes:,} bytes")
                return Page(
                    str(r.url),
                    200,
                    _decode(bytes(body), r.charset_encoding),
                    r.headers.get("Content-Type", "").split(";")[0].strip().lower(),
                    r.headers.get("ETag"),
                    r.headers.get("Last-Modified"),
                )
        except httpx.TimeoutException:
            raise _Retry("timed out") from None
        except httpx.TransportError as e:
            raise _Retry(f"connection failed: {type(e).__name__}: {e}") from None
        except httpx.HTTPError as e:  # e.g. too many redirects
            raise FetchError(f"{type(e).__name__}: {e}") from None

    def _allowed_host(self, url: str) -> _Host:
        """The state of `url`'s host; FetchError when its robots.txt disallows `url`."""
        parts = urlsplit(url)
        host = self._host(f"{parts.scheme}://{parts.netloc}")
        if host.robots is not None and not host.robots.can_fetch(self.agent, url):
            raise FetchError("disallowed by robots.txt")
        return host

    def _check_hop(self, request: httpx.Request) -> None:
        """The client's request hook: each URL a redirect leads to is checked against its own host's robots.txt
        before it is asked (the first URL again, harmlessly; robots.txt files themselves are always asked)."""
        if request.url.path != "/robots.txt":
            self._allowed_host(str(request.url))

    def _host(self, origin: str) -> _Host:
        """The host's state, reading its robots.txt on first use; other threads asking meanwhile wait for it."""
        with self._lock:
            host = self._hosts.get(origin)
            if host is None:
                host = self._hosts[origin] = _Host(threading.Semaphore(self.per_host), delay=self.delay_s)
                host.lock.acquire()  # held until robots.txt is read, so other threads wait for it
                fresh = True
            else:
                fresh = False
        if not fresh:
            with host.lock:  # the thread that made it may still be reading robots.txt: wait for it
                return host
        try:
            host.robots = self._robots(origin)
            crawl_delay = host.robots.crawl_delay(self.agent) if host.robots else None
            host.delay = max(self.delay_s, float(crawl_delay or 0))
        finally:
            host.lock.release()
        return host

    def _robots(self, origin: str) -> RobotFileParser | None:
        """The parsed robots.txt; None (everything allowed) when the host has none."""
        try:
            r = self._client.get(f"{origin}/robots.txt")
        except httpx.HTTPError as e:
            log.warning("%s/robots.txt: %s; assuming no rules", origin, e)
            return None
        parser = RobotFileParser()
        if r.status_code in (401, 403):
            parser.parse(["User-agent: *", "Disallow: /"])  # as urllib.robotparser.read does
        elif r.status_code == 200:
            parser.parse(r.text[: self.max_bytes].splitlines())
        else:
            return None
        return parser

    def _wait_turn(self, host: _Host) -> None:
        """Sleep until `delay` has passed since the host's previous request started."""
        with host.lock:
            now = time.monotonic()
            start = max(now, host.next_at)
            host.next_at = start + host.delay
        if start > now:
            time.sleep(start - now)


def _decode(body: bytes, charset: str | None) -> str:
    """The body as text: in the charset the headers name, else as trafilatura guesses (from a `<meta charset>`
    or the bytes, UTF-8 first)."""
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:  # an unknown charset name
            pass
    from trafilatura.utils import decode_file

    return decode_file(body)


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the delta form), capped; None when absent or a date."""
    if value is None or not value.strip().isdigit():
        return None
    return min(float(value.strip()), MAX_RETRY_AFTER_S)


class Validators:
    """ETag / Last-Modified per URL, plus what the URL gave last time (an article id or a feed's links),
    in a JSON file. A 304 is only as good as this memory, so an entry is saved after its article is stored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._data: dict[str, dict] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            self._data = {}

    def get(self, url: str) -> dict:
        with self._lock:
            return dict(self._data.get(url, {}))

    def put(self, url: str, page: Page, **remember: object) -> None:
        with self._lock:
            if page.etag or page.last_modified:
                self._data[url] = {"etag": page.etag, "last_modified": page.last_modified, **remember}
            else:
                self._data.pop(url, None)

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._data, indent=1, sort_keys=True), "utf-8")
            tmp.replace(self.path)
