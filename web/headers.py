"""Security headers on every response, and the ``Allow`` header a 405 answer owes.

The Content-Security-Policy allows scripts, styles, fonts and fetches from this site only: the pages keep no
inline ``<script>``, ``<style>``, ``style=`` or ``on…=`` (their script is ``/static/app.js``, their styles
``/static/*.css``), so an injected one would not run. Images may also be ``data:`` URLs. No site may frame a
page (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``). HSTS is sent only when the app is served
over HTTPS (``GONGWUCANG_HTTPS=1``, ``Settings.https_only``): over plain HTTP a browser ignores it anyway,
and sending it from a test server on a laptop would only confuse.
"""

from __future__ import annotations

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        ("content-security-policy", CSP),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        # the camera for scanning labels on this site only (pick list, return, count); nothing else may ask
        ("permissions-policy", "camera=(self), microphone=(), geolocation=()"),
    ]
    if https:
        headers.append(("strict-transport-security", HSTS))
    return [(k.encode(), v.encode()) for k, v in headers]


class SecurityHeaders:
    """ASGI middleware: adds the security headers to every HTTP response that does not set its own."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.headers = security_headers(https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def allowed_methods(routes: list, scope: Scope) -> str:
    """Every method some route serves at this request's path (each page and endpoint is a route of one
    method, so the route that refused the request knows only its own), for a 405's ``Allow`` header."""
    methods: set[str] = set()
    for route in routes:
        if getattr(route, "methods", None) and route.matches(scope)[0] != Match.NONE:
            methods |= set(route.methods)
    return ", ".join(sorted(methods))
