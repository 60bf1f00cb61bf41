"""Request bodies limited while they arrive, before any endpoint reads them (issue 14, finding 4).

Every request may carry at most ``JSON_LIMIT`` bytes (the API's JSON, a page's form), except the routes that
declare a larger limit for an upload (``page(..., max_body=...)`` calls ``allow``). A ``Content-Length`` above
the route's limit is answered 413 at once, without reading a byte of the body; a body without one (chunked) is
counted chunk by chunk as the endpoint reads it, and the read fails as soon as the count passes the limit. The
endpoint reads the body before it looks at the signed-in user, so an unauthenticated sender cannot make the
server hold more than the limit either. The answer closes the connection: the rest of the body is not read.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_LIMIT = 1_000_000  # the API's JSON and every plain form
FORM_OVERHEAD = 64 * 1024  # an upload's other fields and multipart boundaries, beyond the file's own limit

_routes: list[tuple[str, re.Pattern[str], int]] = []  # (method, path pattern, limit in bytes)


def allow(method: str, path: str, limit: int) -> None:
    """Let ``method path`` (a route path such as ``/counts/{id}/scan``) carry up to ``limit`` bytes."""
    _routes.append((method, compile_path(path)[0], limit))


def limit_for(method: str, path: str) -> int:
    for m, pattern, limit in _routes:
        if m == method and pattern.match(path):
            return limit
    return JSON_LIMIT


def message(limit: int) -> str:
    size = f"{limit / 1024 / 1024:.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1000} KB"
    return f"提交的内容过大（此处上限 {size}），未做任何处理。"


class TooLarge(Exception):
    """The body passed its route's limit while the endpoint was reading it."""


class BodyLimit:
    """ASGI middleware: see the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"])
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, send, limit)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    raise TooLarge
            return msg

        async def watched(msg: Message) -> None:
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, counted, watched)
        except TooLarge:
            if started:  # cannot answer twice; the connection is dropped
                raise
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        response = _answer(Request(scope), limit)
        response.headers["Connection"] = "close"
        await response(scope, _no_body, send)


async def _no_body() -> dict[str, Any]:
    return {"type": "http.disconnect"}


def _answer(request: Request, limit: int) -> Response:
    from web.responses import api_error, error_page

    if request.url.path.startswith("/api/"):
        return api_error(413, "too_large", message(limit))
    request.state.user = None
    request.state.unread = 0
    return error_page(request, 413, message(limit))
