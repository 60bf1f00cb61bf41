"""One access-log line per request: method, path, status, time taken and who asked (an operator's first look)."""

from __future__ import annotations

import logging
import sys
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("gongwucang.access")


def enable(stream=sys.stdout) -> None:  # noqa: ANN001
    """Print the access log (``gongwucang serve`` and ``demo`` call it; GONGWUCANG_ACCESS_LOG=0 turns it off)."""
    if not log.handlers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


class AccessLog:
    """``GET /orders/12 200 8.4ms user=5``; the query string is left out (it may carry search words)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            user = scope.get("state", {}).get("user")
            log.info("%s %s %s %.1fms user=%s", scope["method"], scope["path"], status,
                     (time.perf_counter() - started) * 1000, getattr(user, "id", None) or "-")
