"""The polite fetcher (`index.fetch.Fetcher`) against the test news site: robots.txt from many threads at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
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
