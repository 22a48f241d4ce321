"""The polite fetcher (`index.fetch.Fetcher`) against the test news site: robots.txt from many threads at once,
and the robots.txt of a redirect's target."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote
from urllib.robotparser import RobotFileParser

from index.fetch import Fetcher, FetchError

from .newsite import news_site


class SlowRobots(Fetcher):
    """A fetcher whose robots.txt takes a while to read, so other threads ask for the host meanwhile."""

    def _robots(self, origin: str) -> RobotFileParser | None:
        time.sleep(0.3)
        return super()._robots(origin)


def reason(fetcher: Fetcher, url: str) -> str:
    """Why `url` was not fetched, or "fetched"."""
    try:
        fetcher.get(url)
    except FetchError as e:
        return str(e)
    return "fetched"


def test_every_thread_waits_for_robots_txt_before_asking_the_host() -> None:
    with news_site() as site, SlowRobots(timeout_s=2, delay_s=0, retries=0) as fetcher:
        url = site.base + "/private/secret.html"
        with ThreadPoolExecutor(4) as pool:
            reasons = list(pool.map(lambda _: reason(fetcher, url), range(4)))
        assert reasons == ["disallowed by robots.txt"] * 4
        assert "/private/secret.html" not in [path for path, _ in site.hits]


def test_a_redirect_is_followed_only_where_the_targets_robots_txt_allows() -> None:
    with news_site() as first, news_site() as other, Fetcher(timeout_s=2, delay_s=0, retries=0) as fetcher:
        to = first.base + "/redirect?to="
        allowed = fetcher.get(to + quote(other.base + "/news/en-1.html"))
        assert (allowed.status, allowed.url) == (200, other.base + "/news/en-1.html")
        assert reason(fetcher, to + quote(other.base + "/private/secret.html")) == "disallowed by robots.txt"
        assert reason(fetcher, to + quote(first.base + "/private/secret.html")) == "disallowed by robots.txt"
        assert "/private/secret.html" not in [path for path, _ in first.hits + other.hits]  # never asked
