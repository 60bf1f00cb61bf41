"""The page session's cookie: a signed, timed payload (``sid`` and ``csrf``) in ``scope["session"]``.

The cookie is what Starlette's ``SessionMiddleware`` writes — base64 JSON, signed and timed by itsdangerous's
``TimestampSigner`` — and this middleware reads and writes it with two differences, both about work done on
every request:

* a cookie checked once is remembered (by its exact text, with the time it was signed): the next request that
  brings it costs a dictionary look-up, not an HMAC and a JSON parse. Its age is still checked every time;
* the cookie is written back only when the session changed, or when the one the browser sent was signed more
  than ``REFRESH`` seconds ago (its expiry slides forward, as when it was written on every answer, at most
  ``REFRESH`` late) — not signed again on every answer.

The session itself lives on the server (``market.accounts``): the cookie names it, and signing out or a change
of the account ends it whatever cookie a browser keeps."""

from __future__ import annotations

import base64
import json
import time

from itsdangerous import BadSignature, TimestampSigner
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REFRESH = 600  # seconds: a cookie older than this is signed again (its Max-Age starts again)
REMEMBERED = 20_000  # cookies kept checked; the oldest go first


class CookieSession:
    def __init__(self, app: ASGIApp, secret_key: str, session_cookie: str, max_age: int,
                 same_site: str = "lax", https_only: bool = False) -> None:
        self.app, self.cookie, self.max_age = app, session_cookie, max_age
        self.signer = TimestampSigner(secret_key)
        self.flags = f"httponly; samesite={same_site}" + ("; secure" if https_only else "")
        self._checked: dict[str, tuple[dict, float]] = {}  # cookie text → (its session, when it was signed)

    def _read(self, raw: str | None) -> tuple[dict, float | None]:
        """The session a cookie holds and when it was signed; ({}, None) for none, a forged or expired one."""
        if not raw:
            return {}, None
        now = time.time()
        known = self._checked.get(raw)
        if known is None:
            try:
                payload, signed = self.signer.unsign(raw.encode(), max_age=self.max_age, return_timestamp=True)
                data = json.loads(base64.b64decode(payload))
            except (BadSignature, ValueError):
                return {}, None
            if not isinstance(data, dict):
                return {}, None
            known = (data, signed.timestamp())
            while len(self._checked) >= REMEMBERED:
                self._checked.pop(next(iter(self._checked)), None)
            self._checked[raw] = known
        data, signed_at = known
        if now - signed_at > self.max_age:
            self._checked.pop(raw, None)
            return {}, None
        return data, signed_at

    def _header(self, session: dict) -> str:
        value = self.signer.sign(base64.b64encode(json.dumps(session).encode())).decode()
        return f"{self.cookie}={value}; path=/; Max-Age={self.max_age}; {self.flags}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        cookies = [value.decode("latin-1") for name, value in scope["headers"] if name == b"cookie"]
        raw = cookie_parser("; ".join(cookies)).get(self.cookie) if cookies else None
        loaded, signed_at = self._read(raw)
        scope["session"] = dict(loaded)  # the request's own copy: the remembered one is never changed

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                if session:
                    if session != loaded or signed_at is None or time.time() - signed_at > REFRESH:
                        MutableHeaders(scope=message).append("Set-Cookie", self._header(session))
                elif loaded:  # signed out: the browser forgets the cookie
                    MutableHeaders(scope=message).append(
                        "Set-Cookie", f"{self.cookie}=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                                      f"{self.flags}")
            await send(message)

        await self.app(scope, receive, send_wrapper)
