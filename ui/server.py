"""The one FastAPI app behind `newsrag serve`: the HTTP API, the OpenAI-compatible API (/v1), the widget,
/healthz, the MCP tools at `/mcp` (`ui.mcp`) and the Gradio chat mounted at `/`.

`create_app(settings, assistant=None)` builds it; an injected Assistant (tests) is used as is, otherwise
one is built from the settings at startup, off the event loop. Nothing is built or loaded at import.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware

from index.errors import NewsragError, StoreError
from rag.answer import Assistant
from rag.errors import InputError
from ui.api import api_router
from ui.disconnect import ClientGone
from ui.gate import Busy
from ui.middleware import BearerToken, BodyLimit, FrameAncestors, api_path
from ui.openai_api import openai_router
from ui.openai_errors import is_openai, openai_error, openai_status
from ui.ratelimit import RateLimit, TokenBuckets
from ui.runtime import Runtime
from ui.settings import Settings
from ui.widget import ASSETS_PATH, WIDGET_PATH, widget_assets, widget_router

log = logging.getLogger(__name__)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts) or "Invalid request."


def _reply(request: Request, status: int, body: dict, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An error response: `body` as is, or in OpenAI's shape for the OpenAI-compatible routes (/v1/)."""
    if is_openai(request.url.path):
        return JSONResponse(openai_error(status, body), status_code=openai_status(status), headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # without each error's input: the client sent it, and it may hold text JSON cannot encode ("\ud800")
        errors = [{k: v for k, v in error.items() if k != "input"} for error in exc.errors()]
        body = {"detail": _validation_message(exc), "errors": jsonable_encoder(errors)}
        if is_openai(request.url.path) and errors:
            body["param"] = ".".join(str(p) for p in errors[0].get("loc", ()) if p != "body") or None
        return _reply(request, 422, body)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if is_openai(request.url.path):
            return _reply(request, exc.status_code, {"detail": exc.detail}, exc.headers)
        return await http_exception_handler(request, exc)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        body = {"detail": str(exc), "reason": "busy", "retry_after": exc.retry_after}
        return _reply(request, 429, body, headers={"retry-after": str(exc.retry_after)})

    @app.exception_handler(ClientGone)
    async def gone(request: Request, exc: ClientGone) -> Response:
        return Response(status_code=499)  # nginx's "client closed request": for the access log only

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        return _reply(request, 422, {"detail": str(exc)})

    @app.exception_handler(NewsragError)
    async def failed(request: Request, exc: NewsragError) -> JSONResponse:
        log.error("request failed: %s", exc)
        status = 503 if isinstance(exc, StoreError) else 500
        return _reply(request, status, {"detail": str(exc)})


def create_app(settings: Settings, assistant: Assistant | None = None, *, ui: bool = True) -> FastAPI:
    """The app. `assistant`: use this one (tests); `ui=False`: API and widget only (no Gradio)."""
    from contextlib import asynccontextmanager

    from fastapi.concurrency import run_in_threadpool

    from ui import mcp, wiring

    runtime = wiring.runtime(settings, assistant)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # load the models and evaluate the fixed system prompt before the first request
        await run_in_threadpool(lambda: runtime.assistant().warm_up())
        log.info("newsrag ready: %d articles, LLM backend %s", runtime.count_articles(), settings.llm)
        watch = None
        if settings.watch_urls:  # feeds kept in sync in a background thread (ui.sync)
            from ui.sync import Watch

            store = runtime.assistant().store
            watch = Watch(settings, store, store.embeddings).start()
        try:
            async with mcp_sessions():
                yield
        finally:
            if watch is not None:
                watch.stop()

    app = FastAPI(
        title="newsrag",
        summary="Cited answers from news articles.",
        description="Ask questions about the ingested news articles; every answer cites its sources. "
        "The chat UI is at `/`, the embeddable widget at `/widget.js` (demo: `/widget/demo`).",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    _error_handlers(app)
    app.include_router(api_router(runtime))
    app.include_router(openai_router(runtime))
    app.include_router(widget_router())
    app.mount(ASSETS_PATH, widget_assets(), name="widget-assets")
    mcp_sessions = mcp.mount(app, runtime, settings.host)  # MCP over streamable HTTP at /mcp

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict:
        """Liveness: the app is up and its Assistant is built."""
        articles = await run_in_threadpool(runtime.count_articles)
        return {"status": "ok", "articles": articles}

    # Middleware: the last added runs first. CORS answers preflights before the rate limit counts them,
    # the rate limit turns a client away before the token is checked (no unlimited guessing), and both
    # before the body limit reads its body. The limits cover both APIs (/api/, /v1/) and the chat's Gradio
    # routes alike (`ui.middleware.guarded`), from one bucket per client; the token only the APIs.
    app.add_middleware(FrameAncestors, origins=settings.widget_origins, framed_paths=[WIDGET_PATH])
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_kb * 1024)
    if settings.api_token is not None:
        app.add_middleware(
            BearerToken,
            token=settings.api_token.get_secret_value(),
            applies=lambda scope: api_path(scope) or scope["path"].startswith(mcp.MCP_PATH),
        )
    if (rate := settings.rate()) is not None:
        app.add_middleware(RateLimit, buckets=TokenBuckets(*rate))
    if settings.widget_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.widget_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "authorization"],
            expose_headers=["retry-after"],  # so a page's script can read when to try again after a 429
            max_age=600,
        )
    if ui:
        _mount_chat(app, runtime)
    return app


def _mount_chat(app: FastAPI, runtime: Runtime) -> None:
    import gradio as gr

    from ui.chat import build_chat, chat_css, theme

    blocks = build_chat(runtime)
    gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        ssr_mode=False,
        footer_links=["api"],
        run_history=False,
        theme=theme(),
        css=chat_css(),
    )


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the app with uvicorn until interrupted."""
    import uvicorn

    # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise, so behind a same-host proxy
    # (or from the host itself) every request could name its own client and rate-limit key. Only the
    # configured proxies are believed; none by default.
    proxies = list(settings.trusted_proxies)
    uvicorn.run(
        create_app(settings.model_copy(update={"host": host, "port": port})),  # the MCP endpoint checks Host
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=5,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
    )
