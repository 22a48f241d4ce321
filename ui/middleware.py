"""Small ASGI middlewares: a request body limit (413), an optional bearer token (401) for the APIs and CSP
`frame-ancestors`; and `guarded`, which requests the body limit and the rate limit (`ui.ratelimit`) apply to,
with `Guarded`, the base they build on, and `send_json`, the error response they send (in OpenAI's shape
under /v1/, `ui.openai_errors`).

`FrameAncestors` lets only the allowed host origins frame the widget page, and only this server frame
anything else. CORS for the same origins is Starlette's `CORSMiddleware` (see `ui.server`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.openai_errors import V1_PREFIX, is_openai, openai_error, openai_status

API_PREFIX = "/api/"
API_PREFIXES = (API_PREFIX, V1_PREFIX)  # the newsrag API and the OpenAI-compatible one (`ui.openai_api`)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def guarded(scope: Scope) -> bool:
    """Whether a request may run the model or write to disk: all of `/api/` and `/v1/`, and every request with an
    unsafe method anywhere else. The latter is the Gradio chat (`/gradio_api/queue/join` runs questions and
    feedback clicks, `/gradio_api/upload` writes files, ...) and whatever a later Gradio adds; its GETs
    (page, assets, the event stream of an already admitted question) only read."""
    if scope["type"] != "http":
        return False
    return scope["path"].startswith(API_PREFIXES) or scope["method"] not in SAFE_METHODS


class Guarded:
    """Base of the middlewares that act on the requests `applies(scope)` selects (`guarded` by default):
    those go to `handle`, every other request (and every non-HTTP scope) straight to the app."""

    def __init__(self, app: ASGIApp, applies: Callable[[Scope], bool] = guarded) -> None:
        self.app, self.applies = app, applies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies(scope):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


async def send_json(
    scope: Scope, send: Send, status: int, content: dict, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """A whole JSON response, sent from a middleware (before any app answered); OpenAI's shape under /v1/."""
    if is_openai(scope["path"]):
        content, status = openai_error(status, content), openai_status(status)
    payload = json.dumps(content).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": payload})


class BodyLimit(Guarded):
    """Reject request bodies over `max_bytes` with 413, whether announced or chunked, for the requests
    `applies(scope)` selects."""

    def __init__(self, app: ASGIApp, max_bytes: int, applies: Callable[[Scope], bool] = guarded) -> None:
        super().__init__(app, applies)
        self.max_bytes = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"").decode() or "0"
        if not length.isdigit() or int(length) > self.max_bytes:
            await self._too_large(scope, send)
            return
        body, more = b"", True  # read it all (at most max_bytes + one chunk), then replay it
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._too_large(scope, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later calls wait for the disconnect (streaming responses use it)

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        detail = f"The request body is larger than {self.max_bytes // 1024} KB (NEWSRAG_MAX_REQUEST_KB)."
        await send_json(scope, send, 413, {"detail": detail})


def api_path(scope: Scope) -> bool:
    """Whether a request is for one of the APIs (`/api/`, `/v1/`), the routes `BearerToken` protects."""
    return scope["type"] == "http" and scope["path"].startswith(API_PREFIXES)


class BearerToken(Guarded):
    """Requests `applies(scope)` selects (the APIs) need `Authorization: Bearer <token>`, else 401.

    The chat UI at `/` and the widget page are not covered (the widget's own calls to /api/ carry no token)."""

    def __init__(self, app: ASGIApp, token: str, applies: Callable[[Scope], bool] = api_path) -> None:
        super().__init__(app, applies)
        self.expected = f"Bearer {token}".encode()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = dict(scope["headers"]).get(b"authorization", b"")
        if secrets.compare_digest(given, self.expected):
            await self.app(scope, receive, send)
            return
        detail = "Missing bearer token: send 'Authorization: Bearer <token>' (NEWSRAG_API_TOKEN)."
        if given:
            detail = "Invalid bearer token in the Authorization header (NEWSRAG_API_TOKEN)."
        await send_json(scope, send, 401, {"detail": detail}, [(b"www-authenticate", b"Bearer")])


def frame_ancestors(origins: Sequence[str]) -> str:
    """The CSP directive for the widget page: this server plus the allowed origins ('*': anyone)."""
    if "*" in origins:
        return "frame-ancestors *"
    return " ".join(["frame-ancestors 'self'", *origins])


class FrameAncestors:
    """CSP `frame-ancestors` on every response: the allowlist on `framed_paths`, 'self' elsewhere."""

    def __init__(self, app: ASGIApp, origins: Sequence[str], framed_paths: Sequence[str]) -> None:
        self.app = app
        self.framed_paths = set(framed_paths)
        self.widget_policy = frame_ancestors(origins).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.widget_policy if scope["path"] in self.framed_paths else b"frame-ancestors 'self'"

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                # a separate header: browsers enforce every CSP header a response carries
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-frame-options"]
                message = {**message, "headers": [*headers, (b"content-security-policy", policy)]}
            await send(message)

        await self.app(scope, receive, send_with_policy)
