"""Crashes: a real process SIGKILLed in the middle of a 10,000-row import with bulk posting to the pool, and in
the middle of accepting a large allocation proposal.

After every kill the ledger holds all of the work or none of it (counts of assets, events, listings, orders,
pick lists, purchase needs and item statuses compared with the state before and with a complete run), nothing
is orphaned, no lock or job outlives the killed process, and the search index answers exactly as a full
rebuild does, both in a process that kept running (caught up from the outbox) and in one started afresh.
Then the same work runs again to completion.

Crash points are chosen from what the killed process demonstrably did, never from a hook inside it: the
progress it reported (the import's job file the status page reads; the acceptance's progress lines on
stderr) at 10, 50 and 90 %, and half the duration of a complete run of the same work, measured on a copy of
the same database after the process reported that writing began. That complete run is also the reference
for "all written". Run with ``-s`` to see the table of crash points.

To keep this affordable (CI runs it on SQLite and PostgreSQL): each scenario's world (and the matcher's
proposal) is built once per module and copied to the databases that need it; the 10,000-row sheet is made
once per module; and every process is started ahead of need — it imports its code (and loads jieba, and the
import driver reads its sheet) while the previous crash is checked, then waits for a line on stdin before it
touches the database. A "restarted" search process still builds its index from the database after the crash.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from factories import build_world
from sqlalchemy import Integer, text
from test_search_index import _answers

import search
from market.infra.db import get_engine, session_scope, upgrade
from market.pool.index import PoolIndex

ROOT = Path(__file__).resolve().parent.parent
ROWS = 10_000
DEADLINE = 120.0  # seconds any one wait may take before the test gives up (not a timing assertion)

# --- the processes ----------------------------------------------------------------------------------------

IMPORT_DRIVER = """
import sys, time
from web import jobs
from market.imports import upload_job
import market.imports, market.pool.listings
user_id, unit_id, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
data = open(path, "rb").read()
sys.stdin.readline()  # started ahead of need: go
work = upload_job(user_id, unit_id, data, "台账.csv", post_idle=True)
job = jobs.start(user_id, "import", work)  # as the import page does: a thread, progress in the job file
print("job", job, file=sys.stderr, flush=True)
while (state := jobs.read(job))["status"] in ("queued", "running"):
    time.sleep(0.01)
print("status", state["status"], state["result"].get("ok"), state["result"].get("message"), file=sys.stderr, flush=True)
sys.exit(0 if state["status"] == "done" and state["result"]["ok"] else 1)
"""

ACCEPT_DRIVER = """
import sys
from market.infra.db import session_scope
from market.models import User
from market.proposals import accept_proposal
def progress(done, total):
    print("progress", done, total, file=sys.stderr, flush=True)
sys.stdin.readline()  # started ahead of need: go
with session_scope(write=True) as db:
    actor = db.get(User, int(sys.argv[1]))
    print("begin", file=sys.stderr, flush=True)
    accept_proposal(db, actor, int(sys.argv[2]), progress=progress)
print("accepted", file=sys.stderr, flush=True)
"""

SEARCHER = """
import json, sys
from market.infra.db import session_scope
from market.pool.index import pool_index
from search.text import jieba_instance
from test_crash import answers
jieba_instance()
sys.stdin.readline()  # started ahead of need: go
with session_scope() as db:
    pool_index(db)  # built from the database at start, as every app process does
print("ready", flush=True)
for _ in sys.stdin:
    with session_scope() as db:
        index = pool_index(db)  # catches up from the outbox first
        print(json.dumps(answers(index.backend), ensure_ascii=False), flush=True)
"""

# One xdist worker runs this module: its module-scoped world is built once (``--dist loadgroup``).
pytestmark = pytest.mark.xdist_group("crash")


def _env(url: str, tag: bool = False) -> dict[str, str]:
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
    env["DATABASE_URL"] = _tagged(url) if tag else url
    return env


def _tagged(url: str) -> str:
    """The URL with an application name, so the server can tell whether a killed process left a backend."""
    if not url.startswith("postgresql"):
        return url
    return f"{url}{'&' if '?' in url else '?'}application_name={APP_NAME}"


APP_NAME = f"gwc_crash_{os.getpid()}"


class Driver:
    """A real process running real code; its stderr lines are collected with their arrival times."""

    def __init__(self, code: str, url: str, *args: Any) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, env=_env(url, tag=True),
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def go(self) -> Driver:
        """Start the work (the process has loaded its code and waits)."""
        self.proc.stdin.write("go\n")
        self.proc.stdin.close()
        return self

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def first(self, prefix: str) -> tuple[float, list[str]] | None:
        for t, line in list(self.lines):
            if line.startswith(prefix + " ") or line == prefix:
                return t, line.split()[1:]
        return None

    def wait_for(self, ready: Callable[[], Any], what: str) -> Any:
        deadline = time.monotonic() + DEADLINE
        while True:
            got = ready()
            if got:
                return got
            if self.proc.poll() is not None:
                pytest.fail(f"the process ended (status {self.proc.returncode}) before {what}:\n{self.stderr()}")
            if time.monotonic() > deadline:
                pytest.fail(f"gave up waiting for {what}:\n{self.stderr()}")
            time.sleep(0.005)

    def kill(self) -> bool:
        """SIGKILL; False when the process had already ended on its own (a spare never started is killed too)."""
        if self.proc.poll() is not None:
            return False
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=5)
        return self.proc.returncode == -signal.SIGKILL

    def finish(self) -> int:
        self.proc.wait(timeout=DEADLINE)
        self._reader.join(timeout=5)
        return self.proc.returncode

    def stderr(self) -> str:
        return "\n".join(line for _, line in self.lines[-30:])


class Searcher:
    """An app process's search index: built at start, then kept by the outbox, asked over a pipe."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SEARCHER], cwd=ROOT, env=_env(url), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def go(self) -> Searcher:
        """Build the index from the database now (the process has loaded its code and waits)."""
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "ready", self.proc.stderr.read()
        return self

    def answers(self) -> Any:
        self.proc.stdin.write("answers\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Spares:
    """Processes started one ahead of need: ``take`` hands out the waiting one and starts the next."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make
        self.next = make()

    def take(self) -> Any:
        got, self.next = self.next, self.make()
        return got

    def close(self) -> None:
        if self.next.proc.poll() is None:
            self.next.proc.kill()
        self.next.proc.wait(timeout=30)


# --- what the index answers -----------------------------------------------------------------------------

EXTRA_QUERIES = ["打印机", "办公桌", "文件柜", "dyj", "惠普", "型号"]


def answers(backend: search.SearchBackend) -> dict[str, Any]:
    """The comparison of tests/test_search_index.py, plus the lots the import adds and every document's
    counts (an accepted proposal changes how many items of a lot are in now, not how many it has)."""
    extra = []
    for q in EXTRA_QUERIES:
        r = backend.search(search.SearchQuery(q=q, per_page=100, facets=("category", "tier", "district")))
        extra.append((q, r.total, [(h["id"], h["quantity"]) for h in r.hits], r.facets))
    every = backend.search(search.SearchQuery(q="", per_page=100))
    assert every.total <= 100
    docs = sorted((h["id"], h["quantity"], h.get("available_now")) for h in every.hits)
    return json.loads(json.dumps({"answers": _answers(backend), "extra": extra, "docs": docs}, ensure_ascii=False))


def differences(kept: Any, rebuilt: Any) -> list[str]:
    """The answers that differ, for the failure message."""
    out = []
    for key in rebuilt:
        for a, b in zip(kept[key], rebuilt[key], strict=True):
            if a != b:
                out.append(f"{key}: kept by the outbox {a}\n    rebuilt {b}")
    return out[:5]


def rebuilt_answers(url: str) -> Any:
    with session_scope(url) as db:
        index = PoolIndex(search.open_backend("embedded", None))
        index.rebuild(db)
        return answers(index.backend)


# --- what the ledger holds --------------------------------------------------------------------------------

COUNTED = ["asset", "event", "poollisting", "order", "orderitem", "proposal", "purchaseneed", "searchoutbox",
           "notice", "request"]
BY_STATUS = ["asset", "poollisting", "order", "proposal", "request"]

ORPHANS = {
    "order without its whole pick list":
        'SELECT o.id FROM "order" o WHERE o.kind <> \'rental\' '
        "AND o.quantity <> (SELECT count(*) FROM orderitem i WHERE i.order_id = o.id)",
    "item reserved or lent without an active order":
        "SELECT a.id FROM asset a WHERE a.status IN ('reserved', 'on_loan') "
        "AND NOT EXISTS (SELECT 1 FROM orderitem i WHERE i.asset_id = a.id AND i.active)",
    "allocated order whose item is not reserved":
        'SELECT i.id FROM orderitem i JOIN "order" o ON o.id = i.order_id JOIN asset a ON a.id = i.asset_id '
        "WHERE o.status = 'allocated' AND a.status NOT IN ('reserved', 'on_loan')",
    "order of a proposal that is not accepted":
        "SELECT o.id FROM \"order\" o JOIN proposal p ON p.id = o.proposal_id WHERE p.status <> 'accepted'",
    "accepted proposal without orders":
        "SELECT p.id FROM proposal p WHERE p.status = 'accepted' "
        'AND NOT EXISTS (SELECT 1 FROM "order" o WHERE o.proposal_id = p.id)',
    "purchase need of a proposal that is not accepted":
        "SELECT n.id FROM purchaseneed n JOIN proposal p ON p.id = n.proposal_id WHERE p.status <> 'accepted'",
    "listed item without a listing":
        "SELECT a.id FROM asset a WHERE a.status = 'listed' AND a.listing_id IS NULL",
    "active listing without items":
        "SELECT l.id FROM poollisting l WHERE l.status = 'active' "
        "AND NOT EXISTS (SELECT 1 FROM asset a WHERE a.listing_id = l.id)",
    "listing never queued for the search index":
        "SELECT l.id FROM poollisting l WHERE NOT EXISTS (SELECT 1 FROM searchoutbox s WHERE s.listing_id = l.id)",
    "outbox row of a missing listing":
        "SELECT s.id FROM searchoutbox s WHERE s.listing_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM poollisting l WHERE l.id = s.listing_id)",
    "outbox row naming nothing":
        "SELECT s.id FROM searchoutbox s WHERE s.listing_id IS NULL AND (s.source IS NULL OR s.source_id IS NULL)",
    "asset without an event":
        "SELECT a.id FROM asset a WHERE NOT EXISTS "
        "(SELECT 1 FROM event e WHERE e.entity = 'asset' AND e.entity_id = a.id)",
    "order without an event":
        'SELECT o.id FROM "order" o WHERE NOT EXISTS '
        "(SELECT 1 FROM event e WHERE e.entity = 'order' AND e.entity_id = o.id)",
    "listing without an event":
        "SELECT l.id FROM poollisting l WHERE NOT EXISTS "
        "(SELECT 1 FROM event e WHERE e.entity = 'listing' AND e.entity_id = l.id)",
}
# every event is about (and refers to) something that exists
for _entity, _table in (("asset", "asset"), ("order", '"order"'), ("listing", "poollisting"),
                        ("proposal", "proposal"), ("request", "request"), ("unit", "unit")):
    ORPHANS[f"event of a missing {_entity}"] = (
        f"SELECT e.id FROM event e WHERE e.entity = '{_entity}' "
        f"AND NOT EXISTS (SELECT 1 FROM {_table} x WHERE x.id = e.entity_id)")
    ORPHANS[f"event referring to a missing {_entity}"] = (
        f"SELECT e.id FROM event e WHERE e.ref_entity = '{_entity}' "
        f"AND NOT EXISTS (SELECT 1 FROM {_table} x WHERE x.id = e.ref_id)")


def ledger(url: str) -> dict[str, int]:
    """Row counts and status counts, read from a connection of its own."""
    out: dict[str, int] = {}
    with get_engine(url).connect() as conn:
        for table in COUNTED:
            name = '"order"' if table == "order" else table
            out[table] = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
        for table in BY_STATUS:
            name = '"order"' if table == "order" else table
            for status, n in conn.execute(text(f"SELECT status, count(*) FROM {name} GROUP BY status")):
                out[f"{table}.{status}"] = n
    return out


def orphans(url: str) -> dict[str, list[int]]:
    found = {}
    with get_engine(url).connect() as conn:
        for what, sql in ORPHANS.items():
            ids = [row[0] for row in conn.execute(text(sql + " LIMIT 5"))]
            if ids:
                found[what] = ids
    return found


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    keys = before.keys() | after.keys()
    return {k: after.get(k, 0) - before.get(k, 0) for k in sorted(keys) if after.get(k, 0) != before.get(k, 0)}


def no_leftover_locks(url: str) -> str:
    """Nothing of the killed process holds the database: its PostgreSQL backends are gone, SQLite's write
    lock is free at once. Returns how it was shown."""
    if url.startswith("postgresql"):
        started = time.monotonic()
        with get_engine(url).connect() as conn:
            while True:
                n = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"),
                                 {"a": APP_NAME}).scalar_one()
                conn.rollback()
                if n == 0:
                    return f"backends gone after {time.monotonic() - started:.2f} s"
                if time.monotonic() - started > 30:
                    pytest.fail(f"{n} backends of the killed process still there after 30 s")
                time.sleep(0.02)
    path = url.split("///", 1)[1]
    conn = sqlite3.connect(path, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")  # fails at once with 'database is locked' if anyone holds the lock
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    return "write lock free"


# --- the two scenarios --------------------------------------------------------------------------------------


def import_world(url: str) -> dict[str, Any]:
    from sqlmodel import select

    from bench.import_bench import CATEGORIES
    from market.models import Category
    from market.pool import listings as pool

    with session_scope(url, write=True) as db:
        w = build_world(db)
        have = set(db.exec(select(Category.code)))
        db.add_all([Category(code=code, name=name, reference_price=Decimal("100"))
                    for code, name in CATEGORIES if code not in have])
        db.commit()
        pool.receive_items(db, w.user("admin"), w.warehouse.id, w.chair.id, "会议椅", 20, "300", brand="震旦")
        return {"user": w.user("mgr_edu").id, "unit": w.edu.id}


def accept_world(url: str) -> dict[str, Any]:
    """Stock of three categories in the warehouse, two units asking for 100 lines, and the matcher's proposal:
    about 100 orders with pick lists of about 900 items, plus rentals and purchase needs."""
    from market.pool import listings as pool
    from market.proposals import run_matcher
    from market.requests import LineInput, approve_request, submit_request

    with session_scope(url, write=True) as db:
        w = build_world(db)
        admin = w.user("admin")
        for cat, name, brand in ((w.chair, "会议椅", "震旦"), (w.laptop, "笔记本电脑", "联想"),
                                 (w.projector, "投影仪", "爱普生")):
            pool.receive_items(db, admin, w.warehouse.id, cat.id, name, 200, "300", brand=brand, model="CB-X06")
        for staff in ("staff_edu", "staff_health"):
            lines = []
            for i in range(50):
                start = date(2027, 1, 1) + timedelta(days=3 * (i // 3))
                lines.append(LineInput((w.chair, w.laptop, w.projector)[i % 3].id, 8 + i % 5, start,
                                       None if i % 4 == 0 else start + timedelta(days=2)))
            approve_request(db, admin, submit_request(db, w.user(staff), "大型活动", lines).id)
        prop = run_matcher(db, admin, time_limit=30)
        assert prop.solution["status"] == "optimal"
        return {"user": admin.id, "proposal": prop.id, "orders": len(prop.solution["assignments"])}


class Databases:
    """This module's own databases, dropped at the end: SQLite files, or schemas beside the run's on PostgreSQL.
    A scenario's world is built once in a template and copied (SQLite's backup API; on PostgreSQL every row
    copied across schemas in one transaction, ids and sequences included)."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.url, self.tmp, self.made = url, tmp, []

    def new(self, name: str) -> str:
        """An empty database with the schema."""
        if not self.url.startswith("postgresql"):
            url = f"sqlite:///{self.tmp / (name + '.db')}"
        else:
            import psycopg
            from conftest import PG_SCHEMA

            schema = f"{PG_SCHEMA}_{name}"
            base = self.url.split("?", 1)[0]
            with psycopg.connect("postgresql://" + base.split("://", 1)[1], autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                conn.execute(f"CREATE SCHEMA {schema}")
            url = f"{base}?options=-csearch_path%3D{schema}"
        self.made.append((name, url))
        upgrade(url)
        return url

    def copy(self, template: str, name: str) -> str:
        """A new database holding what ``template`` (a url from ``new``) holds."""
        from market.models import metadata

        url = self.new(name)
        if not url.startswith("postgresql"):
            get_engine(url).dispose()
            src, dst = sqlite3.connect(template.split("///", 1)[1]), sqlite3.connect(url.split("///", 1)[1])
            try:
                src.backup(dst)
            finally:
                src.close()
                dst.close()
            return url
        schema = template.rsplit("%3D", 1)[1]
        tables = metadata.sorted_tables
        sql = ["SET LOCAL session_replication_role = replica"]  # rows as they are, foreign keys not re-checked
        sql += [f'INSERT INTO "{t.name}" SELECT * FROM {schema}."{t.name}"' for t in tables]
        sql += [f"SELECT setval(s, (SELECT coalesce(max(\"{c.name}\"), 0) + 1 FROM \"{t.name}\"), false) "
                f"FROM pg_get_serial_sequence('\"{t.name}\"', '{c.name}') s WHERE s IS NOT NULL"
                for t in tables for c in t.primary_key.columns
                if len(t.primary_key.columns) == 1 and isinstance(c.type, Integer)]
        with get_engine(url).begin() as conn:
            conn.exec_driver_sql("; ".join(sql))
        return url

    def close(self) -> None:
        for _, url in self.made:
            get_engine(url).dispose()
        if self.url.startswith("postgresql"):
            import psycopg

            base = self.url.split("?", 1)[0]
            with psycopg.connect("postgresql://" + base.split("://", 1)[1], autocommit=True) as conn:
                for _, url in self.made:
                    conn.execute(f"DROP SCHEMA IF EXISTS {url.rsplit('%3D', 1)[1]} CASCADE")


# --- the runs ------------------------------------------------------------------------------------------------


class ImportRun:
    """``gongwucang``'s import page at work: the job's thread in a process of its own."""

    def __init__(self, driver: Driver) -> None:
        from web import jobs

        self.jobs = jobs
        self.driver = driver.go()
        self.job = self.driver.wait_for(lambda: self.driver.first("job"), "the job started")[1][0]
        self.writing_since: float | None = None

    def progress(self) -> tuple[int, int]:
        state = self.jobs.read(self.job) or {}
        return state.get("done", 0), state.get("total", 0)

    def writing(self) -> bool:
        """The job file says every row is checked: from here on rows are written."""
        done, total = self.progress()
        if total and done >= ROWS and self.writing_since is None:
            self.writing_since = time.monotonic()
        return self.writing_since is not None

    def written(self, fraction: float) -> tuple[int, int] | None:
        done, total = self.progress()
        return (done, total) if total and done - ROWS >= fraction * (total - ROWS) else None


class AcceptRun:
    def __init__(self, driver: Driver) -> None:
        self.driver = driver.go()
        self.writing_since: float | None = None

    def progress(self) -> tuple[int, int]:
        last = [line for _, line in list(self.driver.lines) if line.startswith("progress ")]
        if not last:
            return 0, 0
        done, total = last[-1].split()[1:]
        return int(done), int(total)

    def writing(self) -> bool:
        got = self.driver.first("begin")
        if got and self.writing_since is None:
            self.writing_since = got[0]
        return got is not None

    def written(self, fraction: float) -> tuple[int, int] | None:
        done, total = self.progress()
        return (done, total) if total and done >= fraction * total else None


def calibrate(start: Callable[[], Any]) -> float:
    """Run the work to completion once: seconds from 'writing began' to the process's end."""
    run = start()
    run.driver.wait_for(run.writing, "writing began")
    assert run.driver.finish() == 0, run.driver.stderr()
    return time.monotonic() - run.writing_since


def crash_and_check(name: str, url: str, start: Callable[[], Any], searchers: Spares, full: dict[str, int],
                    seconds: float, report: list[str], job_state: Callable[[Any], str] | None = None) -> None:
    """Kill the work at each crash point; after each, check the ledger, the locks and the search index."""
    before = ledger(url)
    survivor = searchers.take().go()  # an app process that lives through every crash
    try:
        assert survivor.answers() == rebuilt_answers(url)
        points: list[tuple[str, Callable[[Any], Any]]] = [
            (f"{int(f * 100)}% of progress", lambda run, f=f: run.driver.wait_for(lambda: run.written(f),
                                                                                f"{f:.0%} of progress"))
            for f in (0.1, 0.5, 0.9)
        ] + [
            # half a complete run's time, or when the process reports everything written (the final event and
            # the commit still to come), whichever is first: the machine is shared, runs vary
            (f"{int(f * 100)}% of {seconds:.2f} s", lambda run, f=f: run.driver.wait_for(
                lambda: time.monotonic() >= run.writing_since + f * seconds or run.written(1.0),
                f"{f:.0%} of the time"))
            for f in (0.5,)
        ]
        committed = False
        for label, wait in points:
            run = start()
            run.driver.wait_for(run.writing, "writing began")
            wait(run)
            seen = run.progress()
            at = time.monotonic() - run.writing_since
            assert run.driver.kill(), f"{name}, {label}: the work finished before the kill\n{run.driver.stderr()}"
            locks = no_leftover_locks(url)
            now = ledger(url)
            change = delta(before, now)
            outcome = "nothing written" if not change else "all written" if change == full else "HALF WRITTEN"
            bad = orphans(url)
            kept = survivor.answers()
            restarted = searchers.take().go()  # its index built from the database now, after the crash
            try:
                fresh_answers = restarted.answers()
            finally:
                restarted.close()
            rebuilt = rebuilt_answers(url)
            job = job_state(run) if job_state else ""
            report.append(f"{name:<8} {label:<16} killed {at:5.2f} s into writing, progress {seen[0]}/{seen[1]}: "
                          f"{outcome}; orphans: {len(bad)}; {locks}; index kept by outbox == rebuilt: "
                          f"{kept == rebuilt}; restarted == rebuilt: {fresh_answers == rebuilt}{job}")
            print(report[-1], flush=True)
            assert change in ({}, full), f"{name}, {label}: half written: {change}\nfull run: {full}"
            assert not bad, f"{name}, {label}: {bad}"
            assert kept == rebuilt, f"{name}, {label}: " + "\n".join(differences(kept, rebuilt))
            assert fresh_answers == rebuilt, f"{name}, {label}: " + "\n".join(differences(fresh_answers, rebuilt))
            if job_state:
                assert "running" not in job and "queued" not in job, \
                    f"{name}, {label}: the killed job still shows as running"
            if change:  # the commit beat the kill: the work is done, the crash points after this one are moot
                committed, before = True, now
                break
        # and once more, to the end: it succeeds (or, if a kill came after the commit, is refused cleanly)
        run = start()
        code = run.driver.finish()
        change = delta(before, ledger(url))
        if committed:
            report.append(f"{name:<8} {'run again':<16} refused as already done (status {code}): "
                          f"{'nothing written' if not change else change}; {run.driver.stderr().splitlines()[-1]}")
            print(report[-1], flush=True)
            assert code != 0 and change == {}
            return
        assert code == 0, run.driver.stderr()
        rebuilt = rebuilt_answers(url)
        kept = survivor.answers()
        restarted = searchers.take().go()
        try:
            fresh_answers = restarted.answers()
        finally:
            restarted.close()
        report.append(f"{name:<8} {'run again':<16} completed: {'all written' if change == full else change}; "
                      f"orphans: {len(orphans(url))}; index kept by outbox == rebuilt: {kept == rebuilt}; "
                      f"restarted == rebuilt: {fresh_answers == rebuilt}")
        print(report[-1], flush=True)
        assert change == full
        assert not orphans(url)
        assert kept == rebuilt, f"{name}, run again: " + "\n".join(differences(kept, rebuilt))
        assert fresh_answers == rebuilt, f"{name}, run again: " + "\n".join(differences(fresh_answers, rebuilt))
    finally:
        survivor.close()


# --- the tests ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bench.import_bench import ledger_rows, make_csv

    path = tmp_path_factory.mktemp("sheet") / "台账.csv"
    path.write_bytes(make_csv(ledger_rows(ROWS)))
    return path


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    from market.infra.config import settings

    dbs = Databases(settings().database_url, tmp_path_factory.mktemp("crash"))
    yield dbs
    dbs.close()


def test_import_killed_midway_leaves_nothing_half_written(databases, sheet):
    from web import jobs

    report: list[str] = []
    template = databases.new("import_template")
    world = import_world(template)
    reference, url = databases.copy(template, "import_reference"), databases.copy(template, "import_crash")

    def importer(at: str) -> Callable[[], Driver]:
        return lambda: Driver(IMPORT_DRIVER, at, world["user"], world["unit"], sheet)

    drivers, searchers = Spares(importer(url)), Spares(lambda: Searcher(url))  # loading while the reference runs
    try:
        # a complete run on a copy of the same database: how long writing takes and what a whole import adds
        before = ledger(reference)
        seconds = calibrate(lambda: ImportRun(importer(reference)()))
        full = delta(before, ledger(reference))
        assert full["asset"] == ROWS and full["poollisting"] >= 6, full
        report.append(f"import   complete run: writing took {seconds:.2f} s; adds {full}")
        print(report[-1], flush=True)

        def job_state(run: ImportRun) -> str:
            state = jobs.read(run.job)
            return f"; job shows {state['status']}" if state else "; job gone"

        crash_and_check("import", url, lambda: ImportRun(drivers.take()), searchers, full, seconds, report,
                        job_state)
    finally:
        drivers.close()
        searchers.close()
    print("\n".join(["", *report]))


def test_acceptance_killed_midway_leaves_nothing_half_written(databases):
    report: list[str] = []
    template = databases.new("accept_template")
    world = accept_world(template)  # the matcher runs once
    reference, url = databases.copy(template, "accept_reference"), databases.copy(template, "accept_crash")

    def acceptor(at: str) -> Callable[[], Driver]:
        return lambda: Driver(ACCEPT_DRIVER, at, world["user"], world["proposal"])

    drivers, searchers = Spares(acceptor(url)), Spares(lambda: Searcher(url))
    try:
        before = ledger(reference)
        seconds = calibrate(lambda: AcceptRun(acceptor(reference)()))
        full = delta(before, ledger(reference))
        assert full["order"] == world["orders"] and full["proposal.accepted"] == 1, full
        report.append(f"accept   complete run: {world['orders']} orders in {seconds:.2f} s; adds {full}")
        print(report[-1], flush=True)
        crash_and_check("accept", url, lambda: AcceptRun(drivers.take()), searchers, full, seconds, report)
    finally:
        drivers.close()
        searchers.close()
    print("\n".join(["", *report]))
