"""The app's background work while it serves: the search index kept caught up, and the objects built at
startup moved out of the garbage collector's way once the index is loaded (web/app.py)."""

from __future__ import annotations

import gc
import threading
import time

import anyio
import pytest

import web.app as web_app


def _serve_until(condition, monkeypatch: pytest.MonkeyPatch, timeout: float = 20.0) -> bool:  # noqa: ANN001
    """Run the app's lifespan with its timers on until ``condition()`` holds (or the timeout); True if it held.
    A thread of its own: a browser test's session may keep an event loop running in this one."""
    monkeypatch.setenv("GONGWUCANG_BACKGROUND", "1")
    monkeypatch.setattr(web_app, "SYNC_SECONDS", 0.01)
    monkeypatch.setattr(web_app, "_sweep", lambda: None)  # the hourly reminders write; not wanted here

    async def serve() -> bool:
        app = web_app.create_app()
        async with app.router.lifespan_context(app):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if condition():
                    await anyio.sleep(0.2)  # a few more ticks: whatever happens once must not happen again
                    return True
                await anyio.sleep(0.01)
            return False

    held: list[bool] = []
    runner = threading.Thread(target=lambda: held.append(anyio.run(serve)))
    runner.start()
    runner.join(timeout=timeout + 30)
    return held == [True]


def test_startup_objects_are_frozen_once_after_the_index_is_caught_up(db, monkeypatch):
    calls: list[int] = []  # at which tick each freeze came
    ticks: list[int] = []  # per tick: the freezes so far
    real = web_app._catch_up

    def catch_up(prune: bool) -> None:
        ticks.append(len(calls))
        if len(ticks) == 1:
            raise RuntimeError("database not reachable yet")  # the first tick fails: nothing frozen yet
        real(prune)

    monkeypatch.setattr(web_app, "_catch_up", catch_up)
    monkeypatch.setattr(web_app, "freeze_startup_objects", lambda: calls.append(len(ticks)))
    assert _serve_until(lambda: calls and len(ticks) >= 5, monkeypatch)
    assert calls == [2]  # after the first tick that succeeded, and never again
    assert ticks[:2] == [0, 0] and set(ticks[2:]) == {1}


def test_freezing_moves_the_objects_out_of_the_collectors_way():
    before = len(gc.get_objects())
    try:
        web_app.freeze_startup_objects()
        assert gc.get_freeze_count() >= before // 2
        assert len(gc.get_objects()) < before // 2  # a full collection no longer walks them
    finally:
        gc.unfreeze()
