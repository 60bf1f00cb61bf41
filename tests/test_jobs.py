"""Background jobs (imports): no more run at once in a process than the connections kept for them; the others
wait their turn, and a job that finds no connection says so."""

from __future__ import annotations

import threading
import time

from conftest import login
from sqlalchemy.exc import TimeoutError as PoolTimeout

from market.infra.db import JOB_CONNECTIONS
from web import jobs


def _statuses(ids: list[str]) -> list[str]:
    return [jobs.read(j)["status"] for j in ids]


def _until(ids: list[str], done, timeout: float = 20.0) -> list[str]:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not done(states := _statuses(ids)):
        assert time.monotonic() < deadline, states
        time.sleep(0.02)
    return states


def _blocking_jobs(owner: int, n: int, gate: threading.Event) -> list[str]:
    def work(progress):  # noqa: ANN001, ANN202
        progress(0, 1)
        assert gate.wait(30), "the test never opened the gate"
        return {"ok": True, "created": 1, "seconds": 0.0, "total": 1, "listings": []}

    return [jobs.start(owner, "import", work) for _ in range(n)]


def test_jobs_beyond_the_connections_kept_for_them_wait_their_turn():
    gate = threading.Event()
    try:
        ids = _blocking_jobs(1, JOB_CONNECTIONS + 3, gate)
        _until(ids, lambda s: s.count("running") == JOB_CONNECTIONS)
        time.sleep(0.3)  # time enough for the others to start, were they not held back
        states = _statuses(ids)
        assert states.count("running") == JOB_CONNECTIONS and states.count("queued") == 3, states
    finally:
        gate.set()
    assert _until(ids, lambda s: all(x != "queued" and x != "running" for x in s)) == ["done"] * len(ids)


def test_a_job_that_finds_no_free_connection_says_so_and_frees_its_turn():
    def work(progress):  # noqa: ANN001, ANN202
        raise PoolTimeout("QueuePool limit of size 10 overflow 20 reached")

    job = jobs.start(1, "import", work)
    _until([job], lambda s: s == ["failed"])
    assert jobs.read(job)["result"]["message"] == jobs.BUSY
    gate = threading.Event()
    gate.set()
    ids = _blocking_jobs(1, JOB_CONNECTIONS, gate)  # every slot is free again
    assert _until(ids, lambda s: all(x == "done" for x in s)) == ["done"] * JOB_CONNECTIONS


def test_the_import_page_shows_a_queued_job_and_keeps_refreshing(http, world):
    login(http, "mgr_edu")
    gate = threading.Event()
    try:
        busy = _blocking_jobs(world.users["mgr_edu"].id, JOB_CONNECTIONS + 1, gate)
        _until(busy, lambda s: s.count("running") == JOB_CONNECTIONS)
        queued = busy[_statuses(busy).index("queued")]
        page = http.get(f"/imports/{queued}")
        assert page.status_code == 200 and "排队中" in page.text and 'http-equiv="refresh"' in page.text
    finally:
        gate.set()
    _until(busy, lambda s: all(x == "done" for x in s))
    page = http.get(f"/imports/{queued}").text
    assert "导入完成" in page and 'http-equiv="refresh"' not in page
