"""The embeddable widget: `/widget.js` (the loader a host page includes), `/widget` (the compact chat page
it frames), `/widget/demo` (a host page showing the embed) and the widget page's assets.

Isolation: the loader draws its launcher and panel inside a Shadow DOM and the chat itself lives in an
iframe, so neither side's CSS or scripts reach the other. Who may frame `/widget` is decided by the
`FrameAncestors` middleware (CSP frame-ancestors from NEWSRAG_WIDGET_ORIGINS), not here.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")
WIDGET_PATH = "/widget"
ASSETS_PATH = "/widget/assets"
NO_CACHE = {"cache-control": "no-cache"}


def widget_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/widget.js")
    async def loader() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="text/javascript", headers=NO_CACHE)

    @router.get(WIDGET_PATH)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "widget.html", media_type="text/html", headers=NO_CACHE)

    @router.get(f"{WIDGET_PATH}/demo")
    async def demo(request: Request) -> HTMLResponse:
        # the Host header is client input: escaped before it goes into the page
        src = escape(f"{str(request.base_url).rstrip('/')}/widget.js")
        html = (STATIC / "demo.html").read_text(encoding="utf-8").replace("{{WIDGET_SRC}}", src)
        return HTMLResponse(html, headers=NO_CACHE)

    return router


def widget_assets() -> StaticFiles:
    return StaticFiles(directory=STATIC)
