"""Wrappers that turn plain functions into Starlette endpoints for pages and the JSON API.

Each opens one database session, finds the user, checks CSRF on unsafe requests, runs the handler in
the thread pool (the ledger is synchronous) and turns a typed ``MarketError`` into a clear Chinese
message: in the page with a 4xx status, or as ``{"error": {"code", "message", "field"}}`` in the API.
Search and suggest (``pool_read``) are answered from memory in the event loop when they can.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from market.errors import MarketError
from market.infra import principals
from market.infra.principals import Principal
from market.models import User
from market.notices import unread_count
from market.pool.index import PoolIndex, pool_index, probe_due, ready_index

from .deps import CSRF_FIELD, CSRF_HEADER, bearer_token, csrf_ok, current_user, database
from .templating import render

log = logging.getLogger("gongwucang.web")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_JSON_BYTES = 1_000_000

PageHandler = Callable[[Request, Session, User | None, FormData | None], Response]
ApiHandler = Callable[[Request, Session, User | None, Any], Any]


def has_nul(value: Any) -> bool:
    """True if a NUL character hides anywhere in a value (PostgreSQL refuses them in text)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


NUL_MESSAGE = "请求中含有不允许的控制字符（NUL）。"


def error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", {"message": message, "status": status}, status_code=status)


def api_error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status)


def page(handler: PageHandler | None = None, *, login: bool = True, write: bool = False):  # noqa: ANN201
    def wrap(fn: PageHandler):  # noqa: ANN202
        def run(request: Request, form: FormData | None) -> Response:
            with database(write) as db:
                user = current_user(request, db)
                request.state.user = user
                if login and user is None:
                    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
                request.state.unread = unread_count(db, user) if user is not None else 0
                try:
                    return fn(request, db, user, form)
                except MarketError as exc:
                    db.rollback()
                    return error_page(request, exc.status, exc.message)

        async def endpoint(request: Request) -> Response:
            form = None
            if has_nul(request.url.path) or has_nul(request.url.query.replace("%00", "\x00")):
                request.state.user = None
                return error_page(request, 400, NUL_MESSAGE)
            if request.method in UNSAFE:
                form = await request.form()
                if any(has_nul(v) for _, v in form.multi_items() if isinstance(v, str)):
                    request.state.user = None
                    return error_page(request, 400, NUL_MESSAGE)
                if not csrf_ok(request, form.get(CSRF_FIELD)):  # type: ignore[arg-type]
                    request.state.user = None
                    return error_page(request, 403, "页面已过期或请求来源不明（缺少 CSRF 令牌），请刷新页面后重试。")
            return await run_in_threadpool(run, request, form)

        endpoint.__name__ = fn.__name__
        return endpoint

    return wrap(handler) if handler else wrap


Rerender = Callable[[Request, Session, User, str, int], Response]


def form_action(done: str, rerender: Rerender):  # noqa: ANN201
    """A page POST that runs ``fn(request, db, user, form)`` and goes to ``done``; a user's mistake is shown on
    the page it came from (``rerender`` with the message), a refusal as the error page."""

    def wrap(fn: Callable[[Request, Session, User, FormData], None]):  # noqa: ANN202
        @page(write=True)
        def endpoint(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
            try:
                fn(request, db, user, form)
            except MarketError as exc:
                db.rollback()
                if exc.status in (401, 403, 404):
                    raise
                return rerender(request, db, user, exc.message, exc.status)
            return RedirectResponse(done, status_code=303)

        endpoint.__name__ = fn.__name__
        return endpoint

    return wrap


SIGN_IN_FIRST = "请先登录：POST /api/session 取得令牌，再以 Authorization: Bearer 令牌 访问。"


def api(handler: ApiHandler | None = None, *, auth: bool = True, write: bool = False):  # noqa: ANN201
    def wrap(fn: ApiHandler):  # noqa: ANN202
        def run(request: Request, body: Any) -> Response:
            with database(write) as db:
                user = current_user(request, db)
                if auth and user is None:
                    return api_error(401, "unauthenticated", SIGN_IN_FIRST)
                # A cookie-authenticated change needs the CSRF header; endpoints open to anyone act as nobody.
                if (auth and request.method in UNSAFE and user is not None and not bearer_token(request)
                        and not csrf_ok(request, request.headers.get(CSRF_HEADER))):
                    return api_error(403, "csrf", "以会话 Cookie 调用须带 X-CSRF-Token 请求头。")
                try:
                    result = fn(request, db, user, body)
                except MarketError as exc:
                    db.rollback()
                    return JSONResponse(exc.as_dict(), status_code=exc.status)
                return result if isinstance(result, Response) else JSONResponse(result)

        async def endpoint(request: Request) -> Response:
            body = None
            if has_nul(request.url.path) or any(has_nul(v) for _, v in request.query_params.multi_items()):
                return api_error(400, "invalid", NUL_MESSAGE)
            if request.method in UNSAFE:
                raw = await request.body()
                if len(raw) > MAX_JSON_BYTES:
                    return api_error(413, "too_large", "请求体过大。")
                if raw:
                    try:
                        body = json.loads(raw)
                    except (ValueError, UnicodeDecodeError, RecursionError):
                        return api_error(400, "invalid_json", "请求体不是有效的 JSON。")
                    if has_nul(body):
                        return api_error(400, "invalid", NUL_MESSAGE)
            return await run_in_threadpool(run, request, body)

        endpoint.__name__ = fn.__name__
        return endpoint

    return wrap(handler) if handler else wrap


class FastJSONResponse(JSONResponse):
    """The JSON Starlette writes (UTF-8, no spaces), encoded by orjson: several times faster on a page of hits."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def query_dict(request: Request) -> dict[str, str]:
    """The query string as a plain dict, a repeated name's last value winning: what ``request.query_params``
    gives, in two thirds of the time (the search API is the hot path; Starlette builds a multidict and
    unquotes through ``parse_qsl``). A query string that is not plain ASCII takes Starlette's way."""
    raw: bytes = request.scope["query_string"]
    if not raw.isascii():
        return dict(request.query_params.items())
    out: dict[str, str] = {}
    for part in raw.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            out[_unquote(name)] = _unquote(value)
    return out


def _unquote(part: bytes) -> str:
    if b"%" not in part and b"+" not in part:
        return part.decode("ascii")
    return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8", "replace")


PoolHandler = Callable[[Request, Principal, PoolIndex, bool], Any]


def _cached_principal(request: Request) -> Principal | None:
    """The asker as checked less than a few seconds ago (bearer token first, as ``current_user``), or None."""
    token = bearer_token(request)
    if token:
        return principals.cached_for_token(token)
    uid = request.session.get("uid")
    return principals.cached_for_session(uid, request.session.get("pw")) if isinstance(uid, int) else None


def _principal(request: Request, db: Session, again: bool = False) -> Principal | None:
    token = bearer_token(request)
    if token:
        return principals.for_token(db, token, again)
    uid = request.session.get("uid")
    return principals.for_session(db, uid, request.session.get("pw"), again) if isinstance(uid, int) else None


def pool_read(fn: PoolHandler):  # noqa: ANN201
    """A read of the search index for any signed-in user (search, suggest).

    ``fn(request, who, index, wait)`` answers from ``index``; with ``wait`` False it returns None rather than
    wait for the index. It runs in the event loop, from memory — no thread, no database — when the asker was
    checked less than a few seconds ago (``market.infra.principals``; one request a second reads the asker again
    while the others go on), every change this process committed is in the
    index (``market.pool.index``) and no write holds the index at that instant. Otherwise a thread checks
    the asker against the database and catches the index up first, or (a write holds the index) only waits
    for it; one search per ``PROBE_SECONDS`` has a thread look at the outbox first, for changes committed by
    other processes. The answer is the same either way.
    """

    def prepare(request: Request, again: bool) -> Principal | None:
        with database() as db:
            who = _principal(request, db, again)
            if who is not None:
                pool_index(db)
            return who

    async def endpoint(request: Request) -> Response:
        if has_nul(request.scope["path"]) or b"%00" in request.scope["query_string"]:  # a NUL only as %00 there
            return api_error(400, "invalid", NUL_MESSAGE)
        who = _cached_principal(request)
        index = ready_index() if who is not None else None
        if index is None or principals.refresh_due(who):  # (one request reads a remembered asker again)
            who = await run_in_threadpool(prepare, request, index is not None)
            if who is None:
                return api_error(401, "unauthenticated", SIGN_IN_FIRST)
            index = ready_index() or await run_in_threadpool(prepare_index)
        elif probe_due(index):
            index = await run_in_threadpool(prepare_index)
        try:
            result = fn(request, who, index, False)
            if result is None:  # a write holds the index (or it answers over the network): wait in a thread
                result = await run_in_threadpool(fn, request, who, index, True)
        except MarketError as exc:
            return JSONResponse(exc.as_dict(), status_code=exc.status)
        return FastJSONResponse(result)

    endpoint.__name__ = fn.__name__
    return endpoint


def prepare_index() -> PoolIndex:
    with database() as db:
        return pool_index(db)


INT_LIMIT = 2**31  # ids and quantities are 32-bit integers in the database


def small_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -INT_LIMIT < value < INT_LIMIT


def int_list(body: Any, name: str, max_items: int = 10000) -> list[int]:
    """A list of ids from a JSON body, every one a 32-bit integer."""
    from market.errors import InvalidInput

    value = field(body, name, list)
    if not value or len(value) > max_items or not all(small_int(i) for i in value):
        raise InvalidInput(f"{name} 须为 1 至 {max_items} 个整数编号的列表。", name)
    return value


def field(body: Any, name: str, kind: type, required: bool = True, default: Any = None) -> Any:
    """One field of a JSON object body, checked for type, with a structured error naming it."""
    from market.errors import InvalidInput

    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 JSON 对象。")
    if name not in body or body[name] is None:
        if required:
            raise InvalidInput(f"缺少字段 {name}。", name)
        return default
    value = body[name]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidInput(f"字段 {name} 须为整数。", name)
    if isinstance(value, int) and not isinstance(value, bool) and not small_int(value):
        raise InvalidInput(f"字段 {name} 超出范围。", name)
    if kind is not int and not isinstance(value, kind):
        raise InvalidInput(f"字段 {name} 类型不对。", name)
    return value
