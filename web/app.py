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
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from market.infra.config import settings
from market.infra.db import REQUEST_THREADS

from .api import api_routes, hot_routes
from .busy import pool_busy
from .handlers import api_error, error_page
from .pages import admin as admin_pages
from .pages import assets as asset_pages
from .pages import auth, pool
from .pages import counts as count_pages
from .pages import disposals as disposal_pages
from .pages import evaluation as evaluation_pages
from .pages import idle as idle_pages
from .pages import imports as import_pages
from .pages import listings as listing_pages
from .pages import notices as notice_pages
from .pages import orders as order_pages
from .pages import proposals as proposal_pages
from .pages import purchasing as purchasing_pages
from .pages import requests as request_pages
from .pages import stats as stats_pages

log = logging.getLogger("gongwucang.web")

HTTP_MESSAGES = {404: "页面不存在。", 405: "不支持该请求方法。"}


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = HTTP_MESSAGES.get(status, "请求无法处理。")
    if request.url.path.startswith("/api/"):
        return api_error(status, "not_found" if status == 404 else "http_error", message)
    request.state.user = None
    return error_page(request, status, message)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "服务器内部错误，操作未完成，请稍后重试或联系系统管理员。"
    if request.url.path.startswith("/api/"):
        return api_error(500, "server_error", message)
    request.state.user = None
    return error_page(request, 500, message)


def routes() -> list:
    return [
        *hot_routes(),
        Route("/", pool.pool),
        Route("/login", auth.login_form, methods=["GET"]),
        Route("/login", auth.login_submit, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/requests", request_pages.request_list),
        Route("/requests/new", request_pages.request_new, methods=["GET"]),
        Route("/requests/new", request_pages.request_create, methods=["POST"]),
        Route("/requests/{id}", request_pages.request_detail),
        Route("/requests/{id}/approve", request_pages.request_approve, methods=["POST"]),
        Route("/requests/{id}/reject", request_pages.request_reject, methods=["POST"]),
        Route("/requests/{id}/withdraw", request_pages.request_withdraw, methods=["POST"]),
        Route("/assets", listing_pages.asset_list),
        Route("/assets/lookup", asset_pages.asset_lookup),
        Route("/assets/labels", asset_pages.labels),
        Route("/listings", listing_pages.listing_create, methods=["POST"]),
        Route("/listings/{id}", listing_pages.listing_detail),
        Route("/listings/{id}/withdraw", listing_pages.listing_withdraw, methods=["POST"]),
        Route("/warehouse/receive", listing_pages.receive_form, methods=["GET"]),
        Route("/warehouse/receive", listing_pages.receive_submit, methods=["POST"]),
        Route("/assets/{id}", asset_pages.asset_detail),
        Route("/orders", order_pages.order_list),
        Route("/orders/{id}", order_pages.order_detail),
        Route("/orders/{id}/hand-out", order_pages.order_hand_out, methods=["POST"]),
        Route("/orders/{id}/return", order_pages.order_return, methods=["POST"]),
        Route("/orders/{id}/cancel", order_pages.order_cancel, methods=["POST"]),
        Route("/orders/{id}/approve-transfer", order_pages.allot_approve, methods=["POST"]),
        Route("/orders/{id}/reject-transfer", order_pages.allot_reject, methods=["POST"]),
        Route("/transfers", listing_pages.transfer_create, methods=["POST"]),
        Route("/damages/{id}/settle", order_pages.damage_settle, methods=["POST"]),
        Route("/admin", admin_pages.admin_index),
        Route("/admin/units", admin_pages.unit_save, methods=["POST"]),
        Route("/admin/users", admin_pages.user_add, methods=["POST"]),
        Route("/admin/users/{id}", admin_pages.user_update, methods=["POST"]),
        Route("/admin/categories/import", admin_pages.category_import, methods=["POST"]),
        Route("/admin/categories/{id}", admin_pages.category_update, methods=["POST"]),
        Route("/admin/vendors", admin_pages.vendor_save, methods=["POST"]),
        Route("/admin/offers", admin_pages.offer_save, methods=["POST"]),
        Route("/admin/rules", admin_pages.rule_save, methods=["POST"]),
        Route("/admin/synonyms", admin_pages.synonyms_save, methods=["POST"]),
        Route("/admin/{tab}", admin_pages.admin_tab, methods=["GET"]),
        Route("/imports/new", import_pages.import_form),
        Route("/imports", import_pages.import_submit, methods=["POST"]),
        Route("/imports/{job}", import_pages.import_status),
        Route("/disposals", disposal_pages.case_list, methods=["GET"]),
        Route("/disposals", disposal_pages.case_apply, methods=["POST"]),
        Route("/disposals/{id}", disposal_pages.case_detail),
        Route("/disposals/{id}/report", disposal_pages.case_report),
        Route("/disposals/{id}/{step}", disposal_pages.case_step, methods=["POST"]),
        Route("/idle", idle_pages.idle_list),
        Route("/evaluation", evaluation_pages.evaluation),
        Route("/evaluation/weights", evaluation_pages.set_weights, methods=["POST"]),
        Route("/purchasing", purchasing_pages.purchasing),
        Route("/purchasing/batches", purchasing_pages.batch_create, methods=["POST"]),
        Route("/purchasing/batches/{id}/purchase", purchasing_pages.batch_purchase, methods=["POST"]),
        Route("/purchasing/batches/{id}/receive", purchasing_pages.batch_receive, methods=["POST"]),
        Route("/counts", count_pages.count_list, methods=["GET"]),
        Route("/counts", count_pages.count_start, methods=["POST"]),
        Route("/counts/{id}", count_pages.count_detail),
        Route("/counts/{id}/scan", count_pages.count_scan, methods=["POST"]),
        Route("/counts/{id}/close", count_pages.count_close, methods=["POST"]),
        Route("/counts/lines/{id}/resolve", count_pages.count_resolve, methods=["POST"]),
        Route("/stats", stats_pages.dashboard),
        Route("/stats/records", stats_pages.records),
        Route("/stats/export.xlsx", stats_pages.export),
        Route("/notices", notice_pages.notice_list),
        Route("/notices/read", notice_pages.notice_read, methods=["POST"]),
        Route("/board", notice_pages.board),
        Route("/wishes", notice_pages.wish_create, methods=["POST"]),
        Route("/wishes/{id}/close", notice_pages.wish_close, methods=["POST"]),
        Route("/proposals", proposal_pages.proposal_list),
        Route("/proposals/run", proposal_pages.proposal_run, methods=["POST"]),
        Route("/proposals/{id}", proposal_pages.proposal_detail),
        Route("/proposals/{id}/edit", proposal_pages.proposal_edit, methods=["POST"]),
        Route("/proposals/{id}/accept", proposal_pages.proposal_accept, methods=["POST"]),
        Route("/proposals/{id}/discard", proposal_pages.proposal_discard, methods=["POST"]),
        *api_routes(),
        Mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"),
    ]


SWEEP_SECONDS = 3600
SYNC_SECONDS = 0.5


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):  # noqa: ANN201
    """Every hour: remind borrowers of loans due within three days or overdue."""
    # No more threads run sync endpoints than there are database connections for them (market/infra/db.py).
    anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS

    async def sweeper() -> None:
        while True:
            try:
                await run_in_threadpool(_sweep)
            except Exception:  # a failed sweep must not stop the app; the next hour tries again
                log.exception("loan reminder sweep failed")
            await asyncio.sleep(SWEEP_SECONDS)

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
    tasks = [asyncio.create_task(sweeper()), asyncio.create_task(search_sync())] if background else []
    yield
    for task in tasks:
        task.cancel()


def freeze_startup_objects() -> None:
    """Move everything built so far — modules, jieba's dictionary, the search index just loaded, some 370,000
    objects — out of the garbage collector's way: they live as long as the process. A full collection then
    walks only what was made since: 4 ms instead of 160 ms, a stall of every request the worker holds, a few
    times a minute while pages are rendered (``bench/gc_pause.py``). Reference counting still frees whatever
    of it is dropped later, unless it is in a cycle."""
    gc.collect()  # what is garbage now is not kept forever
    gc.freeze()


def _catch_up(prune: bool) -> None:
    from market.infra.db import session_scope
    from market.pool.index import pool_index, prune_outbox

    with session_scope() as db:
        pool_index(db)
    if prune:  # a write of its own: upgrading the read above to a write fails on SQLite if another worker wrote
        with session_scope(write=True) as db:
            prune_outbox(db)


def _sweep() -> None:
    from market.infra.db import session_scope
    from market.notices import sweep_loans

    with session_scope(write=True) as db:
        sweep_loans(db)


def create_app() -> Starlette:
    cfg = settings()
    middleware = [
        Middleware(SessionMiddleware, secret_key=cfg.secret_key, session_cookie="gwc_session",
                   max_age=12 * 3600, same_site="lax", https_only=cfg.https_only),
    ]
    return Starlette(routes=routes(), middleware=middleware, lifespan=lifespan,
                     exception_handlers={HTTPException: http_error, PoolTimeout: pool_busy,
                                         Exception: server_error})


app = create_app
