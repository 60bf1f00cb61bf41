"""No double allocation under load: many clients at once, over real HTTP, on SQLite and on PostgreSQL.

Fifty clients, each with its own HTTP connection and token, accept overlapping proposals and check out the
same items at the same moment. Afterwards the database must show no item promised twice for a day, no item
handed out twice, no request served twice; every client that lost got a 409 with a Chinese message in the
API's error shape, and nobody got a 5xx. On PostgreSQL an exclusion constraint refuses overlapping bookings
of one item in the database itself; the last tests insert such rows behind the services' back.

Each test prints one line of figures (run with ``pytest -s`` to see them).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from factories import PASSWORD, add_assets, add_user
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from market.errors import Conflict
from market.infra.db import get_engine, session_scope
from market.models import Asset, Event, Order, OrderItem, Proposal, RequestLine, User
from market.orders import allocate_from_listing
from market.pool import listings as pool
from market.proposals import edit_proposal, run_matcher
from market.requests import LineInput, approve_request, request_lines, submit_request

CLIENTS = 50
ADMINS = 5  # the clients sign in as these warehouse administrators, in turn
HAN = re.compile(r"[\u4e00-\u9fff]")
START = date.today() + timedelta(days=14)


@dataclass
class Outcome:
    client: int
    target: str
    status: int
    body: Any


def _admins(db: Session, world) -> list[str]:
    bureau = world.bureau
    names = ["admin"] + [add_user(db, f"admin{i}", "warehouse_admin", bureau).username for i in range(2, ADMINS + 1)]
    db.commit()
    return names


def _sign_in(base: str, usernames: list[str], n: int) -> list[httpx.Client]:
    """``n`` clients, each its own connection and its own bearer token. The first client of each account
    signs in over the API; the rest get their tokens from the same service directly (an argon2 check costs
    half a second here, and fifty of them would only time the hash)."""
    from market.accounts import issue_token

    clients = []
    for i in range(n):
        c = httpx.Client(base_url=base, timeout=120)
        name = usernames[i % len(usernames)]
        if i < len(usernames):
            r = c.post("/api/session", json={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            token = r.json()["token"]
        else:
            with session_scope(write=True) as s:
                token = issue_token(s, s.exec(select(User).where(User.username == name)).one())
        c.headers["Authorization"] = f"Bearer {token}"
        assert c.get("/api/me").json()["username"] == name
        clients.append(c)
    return clients


def _storm(clients: list[httpx.Client], calls: list[tuple[str, dict[str, Any] | None]]) -> list[Outcome]:
    """Every client posts its call at the same moment (a barrier releases them together)."""
    barrier = threading.Barrier(len(clients))
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        path, body = calls[i]
        barrier.wait(60)
        try:
            r = clients[i].post(path, json=body)
            status, payload = r.status_code, (r.json() if r.headers.get("content-type", "").startswith(
                "application/json") else r.text)
        except httpx.HTTPError as exc:  # recorded, and fails the test below
            status, payload = 0, repr(exc)
        with lock:
            outcomes.append(Outcome(i, path, status, payload))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    for c in clients:
        c.close()
    assert len(outcomes) == len(clients), "a client never came back"
    return outcomes


def _judge(outcomes: list[Outcome], winners: int, label: str, dialect: str) -> list[Outcome]:
    """Exactly ``winners`` 200s; every other answer a 409 in the API's error shape with a Chinese message."""
    won = [o for o in outcomes if o.status == 200]
    lost = [o for o in outcomes if o.status != 200]
    bad = [o for o in outcomes if o.status not in (200, 409)]
    assert not bad, f"answers other than 200 or 409 (a 5xx is a bug): {[(o.status, o.body) for o in bad][:5]}"
    for o in lost:
        err = o.body["error"]
        assert set(err) == {"code", "message", "field"}, o.body
        assert err["code"] in ("conflict", "invalid_state"), o.body
        assert HAN.search(err["message"]), o.body
    codes = Counter(o.body["error"]["code"] for o in lost)
    print(f"\n[{dialect}] {label}: {len(outcomes)} clients, {len(outcomes)} operations, {len(won)} succeeded, "
          f"{len(lost)} refused with 409 ({', '.join(f'{k} {v}' for k, v in sorted(codes.items()))}), "
          f"0 server errors")
    for code, message in sorted({(o.body["error"]["code"], o.body["error"]["message"]) for o in lost}):
        print(f"    409 {code}: {message}")
    assert len(won) == winners, [(o.target, o.status, o.body) for o in outcomes][:10]
    return won


def _assert_no_item_booked_twice(db: Session) -> None:
    """Per item: no two active bookings share a day, and at most one order has it out at any time."""
    db.rollback()  # a fresh snapshot (SQLite keeps the one the session's transaction began with)
    db.expire_all()
    rows = db.exec(select(OrderItem).where(OrderItem.active).order_by(OrderItem.asset_id, OrderItem.busy_from)).all()
    last: dict[int, OrderItem] = {}
    for it in rows:
        prev = last.get(it.asset_id)
        if prev is not None:
            assert prev.busy_until is not None and prev.busy_until < it.busy_from, (
                f"asset {it.asset_id} booked twice: orders {prev.order_id} and {it.order_id}")
        last[it.asset_id] = it
    out = db.exec(select(OrderItem.asset_id, func.count()).where(
        OrderItem.handed_out_at.is_not(None), OrderItem.returned_at.is_(None)).group_by(OrderItem.asset_id)).all()
    assert all(n == 1 for _, n in out), f"items out twice at once: {[a for a, n in out if n > 1]}"


def _assert_no_line_served_twice(db: Session) -> None:
    for line in db.exec(select(RequestLine)):
        served = db.exec(select(func.coalesce(func.sum(Order.quantity), 0)).where(
            Order.request_line_id == line.id, Order.status.not_in(["cancelled", "rejected"]))).one()
        assert served <= line.quantity, f"request line {line.id} wants {line.quantity}, got {served}"


def _approved(db: Session, world, who: str, title: str, qty: int, start: date, end: date | None):
    req = submit_request(db, world.user(who), title, [LineInput(world.projector.id, qty, start, end)],
                         purpose="大型会议" if end else "新设机构")
    approve_request(db, world.user("admin"), req.id)
    return request_lines(db, req.id)[0]


def test_fifty_clients_accept_overlapping_proposals(live_server, db, world):
    """Three requests for the same days and two lots of 10 projectors that could each serve any one of them.

    Ten draft proposals, each giving one lot to one request (every pairing, some twice), are accepted by 50
    clients at once, five per proposal. Whoever comes first wins; afterwards every proposal that shares a lot
    or a request with a winner must fail. Any maximal pairing of 3 requests with 2 lots pairs two of them, so
    exactly two acceptances succeed, whatever the order.
    """
    admin = world.user("admin")
    usernames = _admins(db, world)
    warehouse = pool.receive_items(db, admin, world.warehouse.id, world.projector.id, "投影仪", 10, "4500")
    idle = add_assets(db, world.health, world.projector, 10, name="投影仪", prefix="WJW-TYY")
    db.commit()
    idle_lot = pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in idle], title="闲置投影仪")
    lines = [
        _approved(db, world, "staff_edu", "全市教育工作会议", 10, START, START + timedelta(days=2)),
        _approved(db, world, "staff_health", "卫生系统培训", 10, START + timedelta(days=1), START + timedelta(days=3)),
        _approved(db, world, "staff_edu", "新设机构配备", 10, START, None),
    ]
    proposals: list[int] = []
    pairings = [(line.id, lot.id) for line in lines for lot in (warehouse, idle_lot)]
    for k in range(10):
        line_id, listing_id = pairings[k % len(pairings)]
        prop = run_matcher(db, admin, time_limit=10)
        lot = next(k for k, v in prop.lots.items() if v["listing"] == listing_id)
        changes = {(a["request"], a["source"]): 0 for a in prop.solution["assignments"]}
        changes[(f"R{line_id}", lot)] = 10
        edit_proposal(db, admin, prop.id, changes)
        proposals.append(prop.id)

    clients = _sign_in(live_server, usernames, CLIENTS)
    outcomes = _storm(clients, [(f"/api/proposals/{proposals[i % len(proposals)]}/accept", None)
                                for i in range(CLIENTS)])
    dialect = get_engine().dialect.name
    won = _judge(outcomes, 2, "accept overlapping proposals", dialect)

    db.rollback()  # a fresh snapshot (SQLite keeps the one the session's transaction began with)
    db.expire_all()
    accepted = db.exec(select(Proposal.id).where(Proposal.status == "accepted")).all()
    assert sorted(accepted) == sorted({int(o.target.split("/")[3]) for o in won})
    assert db.exec(select(func.count()).select_from(Order)).one() == 2
    reserved = db.exec(select(func.count()).select_from(Asset).where(Asset.status == "reserved")).one()
    assert reserved == 20
    _assert_no_item_booked_twice(db)
    _assert_no_line_served_twice(db)


def test_fifty_clients_check_out_the_same_items(live_server, db, world):
    """Ten projectors promised to three orders for different days: a loan, a later loan and a transfer after
    that. Fifty clients scan all ten out at once, a third of them for each order. The items can leave once:
    exactly one hand-out succeeds, whichever it is, and the others are refused."""
    admin = world.user("admin")
    usernames = _admins(db, world)
    lot = pool.receive_items(db, admin, world.warehouse.id, world.projector.id, "投影仪", 10, "4500")
    lines = [
        _approved(db, world, "staff_edu", "全市教育工作会议", 10, START, START + timedelta(days=2)),
        _approved(db, world, "staff_health", "卫生系统培训", 10, START + timedelta(days=10), START + timedelta(days=12)),
        _approved(db, world, "staff_edu", "新设机构配备", 10, START + timedelta(days=20), None),
    ]
    orders = [allocate_from_listing(db, admin, line.id, lot.id, 10).id for line in lines]
    tags = sorted(db.exec(select(Asset.tag).where(Asset.listing_id == lot.id)).all())
    assert {frozenset(db.exec(select(OrderItem.asset_id).where(OrderItem.order_id == o)).all())
            for o in orders}.__len__() == 1  # the same ten items on all three

    clients = _sign_in(live_server, usernames, CLIENTS)
    outcomes = _storm(clients, [(f"/api/orders/{orders[i % 3]}/hand-out", {"tags": tags}) for i in range(CLIENTS)])
    dialect = get_engine().dialect.name
    [won] = _judge(outcomes, 1, "check out the same items", dialect)

    db.rollback()  # a fresh snapshot (SQLite keeps the one the session's transaction began with)
    db.expire_all()
    winner = int(won.target.split("/")[3])
    statuses = {o: db.get(Order, o).status for o in orders}
    assert [o for o, s in statuses.items() if s != "allocated"] == [winner]
    out_events = db.exec(select(Event.entity_id, func.count()).where(
        Event.entity == "asset", Event.action.in_(["hand_out", "transfer"])).group_by(Event.entity_id)).all()
    assert len(out_events) == 10 and all(n == 1 for _, n in out_events), out_events
    handed = db.exec(select(OrderItem.order_id).where(OrderItem.handed_out_at.is_not(None))).all()
    assert set(handed) == {winner} and len(handed) == 10
    _assert_no_item_booked_twice(db)


# --- the database's own guard (PostgreSQL) -------------------------------------------------------------------

@pytest.fixture()
def pg(db, world):
    if get_engine().dialect.name != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only (SQLite: the services' check, one writer)")
    return world


def _one_booking(db: Session, world) -> tuple[int, int]:
    """An order with one projector on it, booked START … START+3 (turnaround included): (order, asset)."""
    admin = world.user("admin")
    lot = pool.receive_items(db, admin, world.warehouse.id, world.projector.id, "投影仪", 2, "4500")
    line = _approved(db, world, "staff_edu", "会议", 1, START, START + timedelta(days=2))
    order = allocate_from_listing(db, admin, line.id, lot.id, 1)
    asset_id = db.exec(select(OrderItem.asset_id).where(OrderItem.order_id == order.id)).one()
    return order.id, asset_id


INSERT = text("INSERT INTO orderitem (order_id, asset_id, condition_out, busy_from, busy_until, active)"
              " VALUES (:o, :a, '全新', :f, :u, :active)")


def test_exclusion_constraint_refuses_overlapping_bookings(db, pg):
    order_id, asset_id = _one_booking(db, pg)
    engine = get_engine()
    clashes = [
        (START + timedelta(days=3), START + timedelta(days=5)),  # shares the last (turnaround) day
        (START - timedelta(days=5), START),  # shares the first day
        (START + timedelta(days=1), START + timedelta(days=1)),  # inside
        (START - timedelta(days=30), None),  # a transfer before: for good, so over the loan too
    ]
    for busy_from, busy_until in clashes:
        with pytest.raises(IntegrityError, match="orderitem_no_overlap"), engine.begin() as conn:
            conn.execute(INSERT, {"o": order_id, "a": asset_id, "f": busy_from, "u": busy_until, "active": True})
    # what is allowed: the next day, an inactive row over the same days, another item on the same days
    with engine.begin() as conn:
        conn.execute(INSERT, {"o": order_id, "a": asset_id, "f": START + timedelta(days=4), "u": None, "active": True})
        conn.execute(INSERT, {"o": order_id, "a": asset_id, "f": START, "u": START, "active": False})
        other = conn.execute(text("SELECT id FROM asset WHERE id <> :a ORDER BY id LIMIT 1"), {"a": asset_id}).scalar()
        conn.execute(INSERT, {"o": order_id, "a": other, "f": START, "u": START + timedelta(days=3), "active": True})
    with engine.connect() as conn:
        kind, definition = conn.execute(text(
            "SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'orderitem_no_overlap'"
            " AND conrelid = 'orderitem'::regclass")).one()
    assert kind == "x" and "int4range(asset_id, asset_id" in definition and "WHERE (active)" in definition


def test_a_booking_the_service_did_not_see_is_a_conflict_not_a_500(db, pg):
    world = pg
    """Another transaction books the item and has not committed when the service looks: the service finds the
    item free, and only the constraint can stop it. The service must answer with the typed conflict."""
    order_id, _ = _one_booking(db, world)
    admin = world.user("admin")
    lot_id = db.get(Order, order_id).listing_id
    spare = db.exec(select(Asset.id).where(Asset.listing_id == lot_id, Asset.status == "listed")).one()
    line = _approved(db, world, "staff_health", "培训", 1, START, START + timedelta(days=1))
    engine = get_engine()
    outcome: list[Any] = []

    def allocate() -> None:
        with session_scope(write=True) as s:
            actor = s.get(User, admin.id)
            try:
                outcome.append(allocate_from_listing(s, actor, line.id, lot_id, 1, among=[spare]).id)
            except Exception as exc:  # noqa: BLE001  (examined below)
                outcome.append(exc)

    with engine.connect() as other:
        other.execute(INSERT, {"o": order_id, "a": spare, "f": START, "u": None, "active": True})  # not committed
        worker = threading.Thread(target=allocate)
        blocker = other.execute(text("SELECT pg_backend_pid()")).scalar()
        worker.start()
        _wait_until_blocked_by(engine, blocker)
        other.commit()
    worker.join(60)
    [result] = outcome
    assert isinstance(result, Conflict), result
    assert HAN.search(result.message) and result.code == "conflict"
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Order).where(Order.request_line_id == line.id)).one() == 0
    print(f"\n[postgresql] constraint backstop: 1 service call raced 1 direct booking, 1 conflict: {result.message}")


def _wait_until_blocked_by(engine, blocker: int, rounds: int = 1200) -> None:
    """Until some session waits for ``blocker`` (the service's insert, held up by the uncommitted booking)."""
    import time

    with engine.connect() as conn:
        for _ in range(rounds):
            if conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE :b = ANY(pg_blocking_pids(pid))"),
                            {"b": blocker}).scalar():
                return
            conn.rollback()
            time.sleep(0.05)
    raise AssertionError("the service never blocked on the uncommitted booking")


# --- the same at the service level: threads, each with its own session -----------------------------------------

def _race(n: int, work) -> list[Any]:  # noqa: ANN001
    """``work(i, session, actor)`` in ``n`` threads at once, each in its own write session as the web runs it."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int, admin_id: int) -> None:
        barrier.wait(60)
        with session_scope(write=True) as s:
            try:
                results[i] = work(i, s, s.get(User, admin_id))
            except Exception as exc:  # noqa: BLE001  (examined by the caller)
                results[i] = exc

    admin_id = _race.admin_id  # type: ignore[attr-defined]
    threads = [threading.Thread(target=run, args=(i, admin_id)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return results


def _tally(results: list[Any], label: str) -> list[Any]:
    from market.errors import MarketError

    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    odd = [r for r in lost if not (isinstance(r, MarketError) and r.status == 409 and HAN.search(r.message))]
    assert not odd, odd[:3]
    print(f"\n[{get_engine().dialect.name}] {label}: {len(results)} threads, {len(results)} operations, "
          f"{len(won)} succeeded, {len(lost)} refused with 409 "
          f"({', '.join(f'{k} {v}' for k, v in sorted(Counter(r.code for r in lost).items()))}), 0 other errors")
    return won


def test_accept_and_discard_of_one_proposal_at_once(db, world):
    """Half the threads accept the proposal, half discard it: one of them wins, and the proposal's status
    agrees with the orders (a discard must not overwrite an acceptance that committed while it waited)."""
    from market.proposals import accept_proposal, discard_proposal

    admin = world.user("admin")
    _race.admin_id = admin.id  # type: ignore[attr-defined]
    pool.receive_items(db, admin, world.warehouse.id, world.projector.id, "投影仪", 10, "4500")
    _approved(db, world, "staff_edu", "全市教育工作会议", 10, START, START + timedelta(days=2))
    prop_id = run_matcher(db, admin, time_limit=10).id
    db.commit()

    def work(i: int, s: Session, actor: User) -> str:
        return (accept_proposal if i % 2 == 0 else discard_proposal)(s, actor, prop_id).status

    won = _tally(_race(CLIENTS, work), "accept or discard one proposal")
    assert len(won) == 1
    db.rollback()
    db.expire_all()
    status = db.get(Proposal, prop_id).status
    orders = db.exec(select(func.count()).select_from(Order).where(Order.proposal_id == prop_id)).one()
    assert status == won[0] and orders == (1 if status == "accepted" else 0)


def test_hand_out_and_cancel_of_one_order_at_once(db, world):
    """Half the threads scan the order out, half cancel it: one wins. Never a cancelled order whose items went
    out, nor an order out whose items were let go."""
    from market.orders import cancel_order, hand_out

    admin = world.user("admin")
    _race.admin_id = admin.id  # type: ignore[attr-defined]
    lot = pool.receive_items(db, admin, world.warehouse.id, world.projector.id, "投影仪", 10, "4500")
    line = _approved(db, world, "staff_edu", "全市教育工作会议", 10, START, START + timedelta(days=2))
    order_id = allocate_from_listing(db, admin, line.id, lot.id, 10).id
    db.commit()

    def work(i: int, s: Session, actor: User) -> str:
        return (hand_out if i % 2 == 0 else cancel_order)(s, actor, order_id).status

    won = _tally(_race(CLIENTS, work), "hand out or cancel one order")
    assert len(won) == 1
    db.rollback()
    db.expire_all()
    order = db.get(Order, order_id)
    items = db.exec(select(OrderItem).where(OrderItem.order_id == order_id)).all()
    statuses = set(db.exec(select(Asset.status).where(Asset.listing_id == lot.id)).all())
    assert order.status == won[0]
    if order.status == "on_loan":
        assert all(it.active and it.handed_out_at for it in items) and statuses == {"on_loan"}
    else:
        assert order.status == "cancelled"
        assert not any(it.active or it.handed_out_at for it in items) and statuses == {"listed"}


def test_sqlite_write_lock_not_granted_is_a_conflict_not_a_500(db, world):
    """SQLite: while another process holds the write lock longer than the busy timeout (a long matcher run, a
    backup), a service's write fails with "database is locked". The user gets the typed conflict, not a 500.
    (The app's own busy timeout is 30 s; this session's engine waits 0.1 s so the test does not.)"""
    import sqlite3

    from sqlmodel import create_engine

    from market.orders import cancel_order

    url = get_engine().url
    if get_engine().dialect.name != "sqlite":
        pytest.skip("SQLite's single writer only")
    admin = world.user("admin")
    lot = pool.receive_items(db, admin, world.warehouse.id, world.projector.id, "投影仪", 2, "4500")
    line = _approved(db, world, "staff_edu", "会议", 1, START, START + timedelta(days=2))
    order_id = allocate_from_listing(db, admin, line.id, lot.id, 1).id
    db.commit()
    impatient = create_engine(url, connect_args={"timeout": 0.1})
    holder = sqlite3.connect(url.database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with Session(impatient) as s:
            with pytest.raises(Conflict) as caught:
                cancel_order(s, s.get(User, admin.id), order_id)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        impatient.dispose()
    assert caught.value.code == "conflict" and HAN.search(caught.value.message)
    db.rollback()
    assert db.get(Order, order_id).status == "allocated"
    print(f"\n[sqlite] write lock held elsewhere: 1 service call, 1 conflict: {caught.value.message}")
