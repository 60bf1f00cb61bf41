"""The Starlette application: pages, the JSON API, sessions and error pages."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from pathlib import Path

import anyio.to_thread
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from market.infra.config import settings
from market.infra.db import REQUEST_THREADS
from market.infra.serving import hold_shared
from web import accesslog
from web.accesslog import AccessLog
from web.api import api_routes, hot_routes
from web.bodylimit import BodyLimit
from web.busy import pool_busy
from web.headers import SecurityHeaders, allowed_methods, security_headers
from web.pages import hot_page_routes, page_routes
from web.responses import api_error, error_page
from web.sessions import CookieSession

log = logging.getLogger("gongwucang.web")

HTTP_MESSAGES = {404: "页面不存在。", 405: "不支持该请求方法。"}


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = HTTP_MESSAGES.get(status, "请求无法处理。")
    if request.url.path.startswith("/api/"):
        response = api_error(status, "not_found" if status == 404 else "http_error", message)
    else:
        request.state.user = None
        response = error_page(request, status, message)
    if status == 405:
        response.headers["Allow"] = allowed_methods(request.app.router.routes, request.scope)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "服务器内部错误，操作未完成，请稍后重试或联系系统管理员。"
    if request.url.path.startswith("/api/"):
        response = api_error(500, "server_error", message)
    else:
        request.state.user = None
        response = error_page(request, 500, message)
    # (this answer leaves outside the middleware: it gets the security headers here)
    response.headers.update({k.decode(): v.decode() for k, v in security_headers(settings().https_only)})
    return response


def routes() -> list:
    return [
        *hot_routes(),
        *hot_page_routes(),
        *page_routes(),
        *api_routes(),
        Mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"),
    ]


SWEEP_SECONDS = 3600
SYNC_SECONDS = 0.5
DELIVER_SECONDS = 10


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):  # noqa: ANN201
    """Every hour: remind borrowers of loans due within three days or overdue; every few seconds: send the
    notices waiting in the outbox by e-mail and to the work chat."""
    # No more threads run sync endpoints than there are database connections for them (market/infra/db.py).
    anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
    hold_shared()  # this process serves the data directory: ``restore`` refuses until it exits

    async def sweeper() -> None:
        while True:
            try:
                await run_in_threadpool(_sweep)
            except Exception:  # a failed sweep must not stop the app; the next hour tries again
                log.exception("loan reminder sweep failed")
            await asyncio.sleep(SWEEP_SECONDS)

    async def deliver() -> None:
        """Send the e-mails and work-chat messages the outbox holds (after their actions committed)."""
        while True:
            try:
                await run_in_threadpool(_deliver)
            except Exception:  # a failing channel is recorded per row; this is the database itself failing
                log.exception("notice delivery failed")
            await asyncio.sleep(DELIVER_SECONDS)

    async def search_sync() -> None:
        """Keep this process's search index caught up with the ledger (a change shows within a second)."""
        ticks, frozen = 0, False
        while True:
            try:
                await run_in_threadpool(_catch_up, ticks % 7200 == 0)
            except Exception:  # the next tick tries again
                log.exception("search index catch-up failed")
            else:
                if not frozen:
                    freeze_startup_objects()
                    frozen = True
            ticks += 1
            await asyncio.sleep(SYNC_SECONDS)

    background = os.environ.get("GONGWUCANG_BACKGROUND", "1") != "0"  # tests run without the timers
    tasks = ([asyncio.create_task(sweeper()), asyncio.create_task(search_sync()), asyncio.create_task(deliver())]
             if background else [])
    yield
    for task in tasks:
        task.cancel()
    accesslog.flush()  # the lines of the last half second


def freeze_startup_objects() -> None:
    """Move everything built so far — modules, jieba's dictionary, the search index just loaded, some 370,000
    objects — out of the garbage collector's way: they live as long as the process. A full collection then
    walks only what was made since: 4 ms instead of 160 ms, a stall of every request the worker holds, a few
    times a minute while pages are rendered (``bench/gc_pause.py``). Reference counting still frees whatever
    of it is dropped later, unless it is in a cycle."""
    gc.collect()  # what is garbage now is not kept forever
    gc.freeze()


def _catch_up(prune: bool) -> None:
    from market.channels import prune_deliveries
    from market.infra.db import session_scope
    from market.pool.index import pool_index, prune_outbox

    try:
        with session_scope() as db:
            pool_index(db)
    finally:  # pruned whether or not the catch-up went through
        if prune:  # writes of their own: upgrading the read above fails on SQLite if another worker wrote
            with session_scope(write=True) as db:
                prune_outbox(db)
            with session_scope(write=True) as db:
                prune_deliveries(db)
                db.commit()


def _deliver() -> None:
    from market.channels import send_pending

    send_pending()


def _sweep() -> None:
    from market.infra.db import session_scope
    from market.notices import sweep_loans

    with session_scope(write=True) as db:
        sweep_loans(db)


def create_app() -> Starlette:
    cfg = settings()
    if os.environ.get("GONGWUCANG_ACCESS_LOG") == "1":
        accesslog.enable()
    middleware = [
        Middleware(AccessLog),
        Middleware(SecurityHeaders, https=cfg.https_only),
        Middleware(CookieSession, secret_key=cfg.secret_key, session_cookie="gwc_session",
                   max_age=12 * 3600, same_site="lax", https_only=cfg.https_only),
        Middleware(BodyLimit),  # bodies counted as they arrive, before any endpoint reads them
    ]
    return Starlette(routes=routes(), middleware=middleware, lifespan=lifespan,
                     exception_handlers={HTTPException: http_error, PoolTimeout: pool_busy,
                                         Exception: server_error})


app = create_app
