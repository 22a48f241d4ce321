"""OpenAI's error JSON for the OpenAI-compatible routes under /v1/ (`ui.openai_api`).

The server's errors are raised and sent once, in `ui.server` (exception handlers) and `ui.middleware` (body
limit, rate limit, bearer token), as `{"detail": ..., ...}`; for a /v1/ path they pass through
`openai_error`, so an OpenAI client gets `{"error": {"message", "type", "param", "code"}}` from the same
checks. A 422 (a malformed request) becomes OpenAI's 400.
"""

from __future__ import annotations

V1_PREFIX = "/v1/"

# status -> (type, code) when the body names no code of its own
_KINDS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "not_found"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}
_REASONS = {"busy": "server_busy", "rate_limited": "rate_limit_exceeded"}  # the 429 bodies' `reason`


def is_openai(path: str) -> bool:
    return path.startswith(V1_PREFIX)


def openai_status(status: int) -> int:
    return 400 if status == 422 else status


def openai_error(status: int, body: dict) -> dict:
    """The OpenAI error body for a server error body `{"detail", ["reason"], ["param"], ["code"]}`."""
    kind, code = _KINDS.get(openai_status(status), ("server_error", None))
    code = body.get("code") or _REASONS.get(body.get("reason", ""), code)
    message = str(body.get("detail") or "Error.")
    return {"error": {"message": message, "type": kind, "param": body.get("param"), "code": code}}
