"""A small news site on 127.0.0.1 for the web-source tests: an RSS feed, an Atom feed, a sitemap, Dutch and
English article pages (with ETag / Last-Modified and 304s), a page that changes between runs, a 404, a slow
page, a page busy (503) once, a huge page, a JSON file, an empty page, a redirect anywhere (/redirect?to=URL) and a
robots.txt that disallows /private/."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote

from .conftest import free_port

LAST_MODIFIED = "Mon, 12 Oct 2020 08:00:00 GMT"

ARTICLES = {
    "/news/nl-1.html": (
        "nl",
        "Bestand in Nagorno-Karabach",
        "2020-10-10",
        "Jan de Vries",
        "Lavrov bemiddelde bij de besprekingen in Moskou tussen Armenië en Azerbeidzjan. "
        "De besprekingen duurden tien uur lang en eindigden met een humanitair bestand.",
    ),
    "/news/nl-2.html": (
        "nl",
        "Kaasmarkt Alkmaar weer open",
        "2019-05-01",
        "Anna Bakker",
        "De kaasmarkt in Alkmaar trok veel toeristen uit binnen- en buitenland. "
        "Kaasdragers droegen de kazen op berries over het Waagplein, zoals al eeuwen gebruikelijk is.",
    ),
    "/news/en-1.html": (
        "en",
        "Ceasefire talks in Moscow",
        "2020-10-11",
        "John Smith",
        "Foreign ministers met in Moscow for talks mediated by Sergei Lavrov. "
        "After ten hours of negotiation they agreed on a humanitarian ceasefire that took effect at noon.",
    ),
    "/news/en-2.html": (
        "en",
        "Cheese market draws crowds",
        "2019-05-02",
        "Mary Jones",
        "The cheese market in Alkmaar drew large crowds of tourists on Friday morning. "
        "Carriers in white uniforms bore the cheeses across the square to the weighing house.",
    ),
}
CHANGED = "/news/nl-2.html"  # its text changes when `Site.version` is 2


@dataclass
class Site:
    base: str = ""
    version: int = 1
    slow_s: float = 3.0
    huge_bytes: int = 300_000
    hits: list[tuple[str, int]] = field(default_factory=list)  # (path, status) of every answer

    def statuses(self, path: str) -> list[int]:
        return [status for p, status in self.hits if p == path]


def canonical(site: Site, path: str) -> str:
    return f"{site.base}/artikel/{path.rsplit('/', 1)[1].removesuffix('.html')}"


def page(site: Site, path: str) -> str:
    lang, title, date, author, lead = ARTICLES[path]
    if path == CHANGED and site.version == 2:
        lead += " Dit jaar kwamen er ook veel bezoekers uit Japan, meldt de gemeente."
    filler = {
        "nl": "Het nieuws werd in het hele land met belangstelling gevolgd en besproken in de media.",
        "en": "The news was followed with interest across the country and discussed widely in the press.",
    }[lang]
    body = "".join(f"<p>{lead if n == 0 else filler} ({n})</p>" for n in range(4))
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<link rel="canonical" href="{canonical(site, path)}">
<meta property="og:site_name" content="Testkrant"><meta name="author" content="{author}">
<meta property="article:published_time" content="{date}T08:00:00Z"></head>
<body><nav><a href="/">Home</a></nav><article><h1>{title}</h1>{body}</article><footer>(c) Testkrant</footer></body></html>"""


def rss(site: Site) -> str:
    items = [
        "/news/nl-1.html", "/news/en-1.html", "/news/missing.html", "/news/slow.html", "/news/huge.html",
        "/private/secret.html", "/news/data.json", "/news/empty.html",
    ]  # fmt: skip
    entries = "".join(f"<item><title>{p}</title><link>{site.base}{p}</link></item>" for p in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Testkrant</title>{entries}</channel></rss>'


def atom(site: Site) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Testkrant</title>'
        f'<entry><title>en-2</title><link href="{site.base}/news/en-2.html"/></entry></feed>'
    )


def sitemap(site: Site) -> str:
    urls = "".join(f"<url><loc>{site.base}{p}</loc></url>" for p in ("/news/nl-2.html", "/news/nl-1.html"))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )


class _Handler(http.server.BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:
        site, path = self.site, self.path
        if path == "/robots.txt":
            return self._send(200, "User-agent: *\nDisallow: /private/\n", "text/plain")
        if path.startswith("/redirect?to="):
            self._log(302)
            self.send_response(302)
            self.send_header("Location", unquote(path.removeprefix("/redirect?to=")))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/feed.xml":
            return self._send(200, rss(site), "application/rss+xml")
        if path == "/atom.xml":
            return self._send(200, atom(site), "application/atom+xml")
        if path == "/sitemap.xml":  # with an ETag: a re-run reuses the links it gave
            if self.headers.get("If-None-Match") == '"sitemap-v1"':
                return self._send(304, "", "application/xml", etag='"sitemap-v1"')
            return self._send(200, sitemap(site), "application/xml", etag='"sitemap-v1"')
        if path == "/news/flaky.html" and not site.statuses(path):  # busy once, then fine
            self._log(503)
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/news/flaky.html":
            return self._send(200, page(site, "/news/en-1.html"), "text/html")
        if path == "/news/slow.html":
            self.site.hits.append((path, 0))  # arrived (0: no answer yet)
            time.sleep(site.slow_s)
            return self._send(200, page(site, "/news/en-1.html"), "text/html")
        if path == "/news/huge.html":  # no Content-Length: the cap must stop the stream
            self._log(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * 1000 + b"</p>"
            try:
                for _ in range(site.huge_bytes // len(chunk) + 1):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return None
        if path == "/news/latin1.html":  # no charset in the header, only in the page
            data = page(site, "/news/nl-1.html").replace("utf-8", "iso-8859-1")
            self._log(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(data.encode("latin-1"))
            return None
        if path == "/news/data.json":
            return self._send(200, '{"not": "html"}', "application/json")
        if path == "/news/empty.html":
            video = "<html><head><title>Video</title></head><body><script>play()</script></body></html>"
            return self._send(200, video, "text/html")
        if path in ARTICLES or path == "/private/secret.html":
            body = page(site, path if path in ARTICLES else "/news/en-1.html")
            etag = f'"{path}-v{site.version if path == CHANGED else 1}"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, "", "text/html", etag=etag)
            return self._send(200, body, "text/html; charset=utf-8", etag=etag)
        return self._send(404, "not found", "text/plain")

    def _send(self, status: int, body: str, content_type: str, etag: str | None = None) -> None:
        self._log(status)
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if etag:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
        if status != 304:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if status != 304:
            with contextlib.suppress(OSError):  # the client gave up (the slow page)
                self.wfile.write(data)

    def _log(self, status: int) -> None:
        self.site.hits.append((self.path, status))

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def news_site() -> Iterator[Site]:
    """The site on a free 127.0.0.1 port, served from a thread; yields its state (set `version` to change)."""
    site = Site()
    handler = type("Handler", (_Handler,), {"site": site})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
