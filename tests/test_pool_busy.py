"""Every database connection taken: a request is told the system is busy (503, Retry-After), never a 500.

The app's thread pool is bounded to its connection pool, so this takes more than requests alone: here the
pool is one connection, held by the test, as a long job would hold it. The server is the real app over real
HTTP and the timeout is the real pool's.
"""

from __future__ import annotations

import threading

import httpx
from conftest import login
from factories import PASSWORD

from market.infra import db as market_db
from market.infra.db import BUSY, MAX_OVERFLOW, POOL_SIZE, REQUEST_THREADS, make_engine


def test_no_free_connection_is_a_503_with_retry_after_not_a_500(live_server, http, database_url, monkeypatch):
    assert login(http, "staff_edu").status_code == 303
    assert http.get("/").status_code == 200
    with httpx.Client(base_url=live_server, timeout=30) as api:
        r = api.post("/api/session", json={"username": "staff_edu", "password": PASSWORD})
        api.headers["Authorization"] = f"Bearer {r.json()['token']}"
        assert api.get("/api/me").status_code == 200

        tiny = make_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.3)
        monkeypatch.setitem(market_db._engines, database_url, tiny)  # the server's requests use this pool now
        held = tiny.connect()
        try:
            held.exec_driver_sql("SELECT 1")
            page = http.get("/requests")  # a page of the ledger (the pool page may answer from memory)
            call = api.get("/api/me")
        finally:
            held.close()
        again_page, again_call = http.get("/requests"), api.get("/api/me")  # the connection is free again
        tiny.dispose()

    assert page.status_code == 503, page.text[:300]
    assert BUSY in page.text and "<html" in page.text.lower()
    assert page.headers["retry-after"].isdigit()
    assert call.status_code == 503, call.text
    assert call.json() == {"error": {"code": "busy", "message": BUSY, "field": None}}
    assert call.headers["retry-after"].isdigit()
    assert again_page.status_code == 200 and again_call.status_code == 200


def test_request_threads_are_bounded_to_the_connection_pool():
    """anyio's default is 40 threads; the app's lifespan lowers it below the pool, leaving room for jobs."""
    import anyio
    import anyio.to_thread

    from web.app import create_app

    async def tokens_while_serving() -> int:
        app = create_app()
        async with app.router.lifespan_context(app):
            return anyio.to_thread.current_default_thread_limiter().total_tokens

    # A thread of its own: a browser test's session may keep an event loop running in this one.
    seen: list[int] = []
    runner = threading.Thread(target=lambda: seen.append(anyio.run(tokens_while_serving)))
    runner.start()
    runner.join(timeout=60)
    assert REQUEST_THREADS < POOL_SIZE + MAX_OVERFLOW
    assert seen == [REQUEST_THREADS]
