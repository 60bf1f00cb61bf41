"""Wrappers that turn plain functions into Starlette endpoints for pages and the JSON API.

Each opens one database session, finds the user, checks CSRF on unsafe requests, runs the handler in
the thread pool (the ledger is synchronous) and turns a typed ``MarketError`` into a clear Chinese
message: in the page with a 4xx status, or as ``{"error": {"code", "message", "field"}}`` in the API.
Search and suggest (``pool_read``) and the browse page (``pool_page``) are answered from memory in the event
loop when they can.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from market.errors import Busy, MarketError
from market.fields import BIDI_MESSAGE
from market.infra import principals
from market.infra.principals import Principal
from market.models import User
from market.notices import unread_count
from market.pool.index import PoolIndex, pool_index, probe_due, ready_index
from web import bodylimit
from web.deps import CSRF_FIELD, CSRF_HEADER, bearer_token, csrf_ok, current_user, database, session_id
from web.params import bidi_at, check_body, has_nul
from web.responses import NUL_MESSAGE, SIGN_IN_FIRST, FastJSONResponse, api_error, error_page

log = logging.getLogger("gongwucang.web")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_JSON_BYTES = bodylimit.JSON_LIMIT

PageHandler = Callable[[Request, Session, User | None, FormData | None], Response]
ApiHandler = Callable[[Request, Session, User | None, Any], Any]


PAGE_ROUTES: list[Route] = []  # every page module declares its own routes here (``page``, ``form_action``)


def page(path: str, method: str = "GET", *, login: bool = True, write: bool | None = None,  # noqa: ANN201
         max_body: int | None = None):
    """Serve ``fn(request, db, user, form)`` as the page at ``path``: one database session (a write transaction
    for a POST unless ``write=False``), the signed-in user (else a redirect to sign in, unless ``login=False``),
    CSRF checked on a POST, a ``MarketError`` shown as the error page with its status. ``max_body``: the bytes
    an upload may send (``web.bodylimit``; otherwise its ``JSON_LIMIT``)."""
    write = method != "GET" if write is None else write
    if max_body is not None:
        bodylimit.allow(method, path, max_body)

    def wrap(fn: PageHandler):  # noqa: ANN202
        def run(request: Request, form: FormData | None) -> Response:
            try:
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
            except Busy as exc:  # the write transaction could not begin: nothing was done
                request.state.user, request.state.unread = None, 0
                return _busy(error_page(request, exc.status, exc.message), exc)

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
                bidi = next((k for k, v in form.multi_items() if bidi_at({k: v})), None)
                if bidi:  # every text field of every form, in one place
                    request.state.user = None
                    return error_page(request, 422, f"提交的内容{BIDI_MESSAGE}（字段 {bidi}）")
                if not csrf_ok(request, form.get(CSRF_FIELD)):  # type: ignore[arg-type]
                    request.state.user = None
                    return error_page(request, 403, "页面已过期或请求来源不明（缺少 CSRF 令牌），请刷新页面后重试。")
            return await run_in_threadpool(run, request, form)

        endpoint.__name__ = fn.__name__
        PAGE_ROUTES.append(Route(path, endpoint, methods=[method]))
        return endpoint

    return wrap


# (request, db, user, error message, status, the submitted form) → the page the form came from, with the error
Rerender = Callable[[Request, Session, User, str, int, FormData], Response]


def form_action(path: str, done: str | Callable[[Request, Any], str], rerender: Rerender,  # noqa: ANN201
                max_body: int | None = None):
    """The one way a page form is handled: a POST at ``path`` runs ``fn(request, db, user, form)`` (which calls
    one service) and redirects to ``done`` (a path, or ``done(request, result)``); a mistake of the user's is
    shown on the page it came from (``rerender``, nothing written, the values kept), a refusal or a missing
    object as the error page."""

    def wrap(fn: Callable[[Request, Session, User, FormData], Any]):  # noqa: ANN202
        @page(path, "POST", max_body=max_body)
        def endpoint(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
            try:
                result = fn(request, db, user, form)
            except MarketError as exc:
                db.rollback()
                if exc.status in (401, 403, 404):
                    raise
                return rerender(request, db, user, exc.message, exc.status, form)
            return RedirectResponse(done if isinstance(done, str) else done(request, result), status_code=303)

        endpoint.__name__ = fn.__name__
        return endpoint

    return wrap


class _NotANumber(ValueError):
    """NaN or Infinity in a JSON body: Python's reader takes them, JSON has no such numbers."""


def _no_constant(name: str) -> Any:
    raise _NotANumber(name)


def api(handler: ApiHandler | None = None, *, auth: bool = True, write: bool = False,
        body_schema: dict[str, Any] | None = None, upload: int | None = None):  # noqa: ANN201
    """``body_schema``: the JSON Schema the endpoint declares for its body (``web.api.registry``); its limits —
    text lengths from the columns, number ranges — are checked here, before the handler, for every endpoint.
    ``upload``: the body is a file of at most that many bytes, handed to the handler as bytes (not JSON)."""

    def wrap(fn: ApiHandler):  # noqa: ANN202
        def run(request: Request, body: Any) -> Response:
            try:
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
            except Busy as exc:  # the write transaction could not begin: nothing was done
                return _busy(JSONResponse(exc.as_dict(), status_code=exc.status), exc)

        async def endpoint(request: Request) -> Response:
            body = None
            if has_nul(request.url.path) or any(has_nul(v) for _, v in request.query_params.multi_items()):
                return api_error(400, "invalid", NUL_MESSAGE)
            if request.method in UNSAFE and upload is not None:
                body = await request.body()
                if len(body) > upload:
                    return api_error(413, "too_large", f"文件超过 {upload // (1024 * 1024)} MB。")
            elif request.method in UNSAFE:
                raw = await request.body()
                if len(raw) > MAX_JSON_BYTES:
                    return api_error(413, "too_large", "请求体过大。")
                if raw:
                    try:
                        body = json.loads(raw, parse_constant=_no_constant)
                    except _NotANumber as exc:
                        return api_error(422, "invalid", f"数字不能是 {exc}：须为有限的数字。")
                    except (ValueError, UnicodeDecodeError, RecursionError):
                        return api_error(400, "invalid_json", "请求体不是有效的 JSON。")
                    if has_nul(body):
                        return api_error(400, "invalid", NUL_MESSAGE)
                    bidi = bidi_at(body)
                    if bidi:
                        return api_error(422, "invalid", f"字段 {bidi} {BIDI_MESSAGE}", bidi)
                    try:
                        check_body(body, body_schema)
                    except MarketError as exc:
                        return JSONResponse(exc.as_dict(), status_code=exc.status)
            return await run_in_threadpool(run, request, body)

        endpoint.__name__ = fn.__name__
        return endpoint

    return wrap(handler) if handler else wrap


def _busy(response: Response, exc: Busy) -> Response:
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


PoolHandler = Callable[[Request, Principal, PoolIndex, bool], Any]


def _cached_principal(request: Request) -> Principal | None:
    """The asker as checked less than a few seconds ago (bearer token first, as ``current_user``), or None."""
    token = bearer_token(request)
    if token:
        return principals.cached_for_token(token)
    sid = session_id(request)
    return principals.cached_for_token(sid, "cookie") if sid else None


def _principal(request: Request, db: Session, again: bool = False) -> Principal | None:
    token = bearer_token(request)
    if token:
        return principals.for_token(db, token, again)
    sid = session_id(request)
    return principals.for_token(db, sid, again, "cookie") if sid else None


def _prepare(request: Request, again: bool) -> Principal | None:
    with database() as db:
        who = _principal(request, db, again)
        if who is not None:
            pool_index(db)
        return who


async def _asker_and_index(request: Request) -> tuple[Principal, PoolIndex] | None:
    """Who asks and the index to answer from: from memory when the asker was checked less than a few seconds
    ago and the index is ready, else (or for one request a second, or one search per ``PROBE_SECONDS``) after
    one trip to a thread that reads the database. None: nobody is signed in."""
    who = _cached_principal(request)
    index = ready_index() if who is not None else None
    if index is None or principals.refresh_due(who):  # (one request reads a remembered asker again)
        who = await run_in_threadpool(_prepare, request, index is not None)
        if who is None:
            return None
        index = ready_index() or await run_in_threadpool(prepare_index)
    elif probe_due(index):
        index = await run_in_threadpool(prepare_index)
    return who, index


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

    async def endpoint(request: Request) -> Response:
        if has_nul(request.scope["path"]) or b"%00" in request.scope["query_string"]:  # a NUL only as %00 there
            return api_error(400, "invalid", NUL_MESSAGE)
        found = await _asker_and_index(request)
        if found is None:
            return api_error(401, "unauthenticated", SIGN_IN_FIRST)
        who, index = found
        try:
            result = fn(request, who, index, False)
            if result is None:  # a write holds the index (or it answers over the network): wait in a thread
                result = await run_in_threadpool(fn, request, who, index, True)
        except MarketError as exc:
            return JSONResponse(exc.as_dict(), status_code=exc.status)
        return FastJSONResponse(result)

    endpoint.__name__ = fn.__name__
    return endpoint


HOT_PAGE_ROUTES: list[Route] = []  # pages answered from memory (``pool_page``): routed first, as search is


def pool_page(path: str):  # noqa: ANN201
    """The browse page at ``path``, answered as search is (``pool_read``): ``fn(request, who, index, wait)``
    returns the page, or None with ``wait`` False rather than wait for the index. Who asks — their role, unit,
    place, name and unread notices — comes from ``market.infra.principals`` and the category names from the
    index, so the page runs in the event loop with no thread and no database when those are remembered (one
    trip to a thread otherwise). Not signed in: a redirect to sign in; a ``MarketError``: the error page."""

    def wrap(fn: PoolHandler):  # noqa: ANN202
        async def endpoint(request: Request) -> Response:
            request.state.user, request.state.unread = None, 0
            if has_nul(request.scope["path"]) or b"%00" in request.scope["query_string"]:
                return error_page(request, 400, NUL_MESSAGE)
            found = await _asker_and_index(request)
            if found is None:
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            who, index = found
            request.state.user, request.state.unread = who, who.unread
            try:
                response = fn(request, who, index, False)
                if response is None:  # a write holds the index: wait for it in a thread
                    response = await run_in_threadpool(fn, request, who, index, True)
            except MarketError as exc:
                return error_page(request, exc.status, exc.message)
            return response

        endpoint.__name__ = fn.__name__
        HOT_PAGE_ROUTES.append(Route(path, endpoint, methods=["GET"]))
        return endpoint

    return wrap


def prepare_index() -> PoolIndex:
    with database() as db:
        return pool_index(db)


