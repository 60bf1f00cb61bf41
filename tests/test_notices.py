"""Messages inside the product, wishes that tell a unit at once, and the demand board."""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import login
from factories import PASSWORD, add_assets
from sqlmodel import select

from market import notices
from market import orders as ords
from market.infra.config import settings
from market.infra.db import session_scope
from market.lists import ListQuery, read_list
from market.models import Notice, User
from market.pool import listings as pool
from market.proposals import accept_proposal, run_matcher
from market.requests import LineInput, approve_request, reject_request, submit_request


def _texts(db, username):
    uid = db.exec(select(User.id).where(User.username == username)).one()
    return [n.text for n in db.exec(select(Notice).where(Notice.user_id == uid).order_by(Notice.id))]


def test_decisions_and_proposals_notify(db, world):
    req = submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, 5, date(2027, 1, 5),
                                                                         date(2027, 1, 6))])
    approve_request(db, world.user("admin"), req.id)
    other = submit_request(db, world.user("staff_edu"), "小会", [LineInput(world.chair.id, 5, date(2027, 1, 5),
                                                                           date(2027, 1, 6))])
    reject_request(db, world.user("admin"), other.id, "已合并")
    texts = _texts(db, "mgr_edu")
    assert any("已批准" in t for t in texts) and any("被驳回：已合并" in t for t in texts)
    assert _texts(db, "staff_health") == []
    from factories import add_user

    add_user(db, "admin2", "warehouse_admin", world.bureau)
    db.commit()
    run_matcher(db, world.user("admin"), today=date(2026, 11, 23))
    # the one who ran the matcher is not told of their own proposal (they were told of the requests to approve)
    assert any("待审核" in t for t in _texts(db, "admin2")) and not any("待审核" in t for t in _texts(db, "admin"))


def _two_chairs_out(db, world):
    """Two idle chairs lent to 教育局 for 5–8 January 2027 and handed out."""
    chairs = add_assets(db, world.health, world.chair, 2)
    db.commit()
    pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs])
    req = submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, 2, date(2027, 1, 5),
                                                                         date(2027, 1, 8))])
    approve_request(db, world.user("admin"), req.id)
    accept_proposal(db, world.user("admin"), run_matcher(db, world.user("admin"), today=date(2027, 1, 1)).id)
    ords.hand_out(db, world.user("admin"), read_list(db, world.user("admin"), ords.ORDER_LIST, ListQuery()).rows[0].id)


def test_due_and_overdue_reminders_once(db, world):
    _two_chairs_out(db, world)
    assert notices.sweep_loans(db, date(2027, 1, 4)) == 0  # four days before: nothing yet
    assert notices.sweep_loans(db, date(2027, 1, 5)) == 2  # due in three days: the two unit users
    assert notices.sweep_loans(db, date(2027, 1, 6)) == 0  # told once
    assert notices.sweep_loans(db, date(2027, 1, 10)) == 3  # overdue: unit users and the administrator
    assert any("已逾期 2 天" in t for t in _texts(db, "admin"))


def test_wish_tells_the_unit_when_a_match_is_posted(db, world):
    notices.create_wish(db, world.user("staff_edu"), "折叠会议椅", keywords="会议椅", category_id=world.chair.id,
                        public=True)
    laptops = add_assets(db, world.health, world.laptop, 1, name="笔记本电脑", prefix="L")
    chairs = add_assets(db, world.health, world.chair, 3, prefix="C")
    db.commit()
    pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in laptops])
    assert _texts(db, "staff_edu") == []
    pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs], title="震旦会议椅")
    assert _texts(db, "staff_edu") == ["您关注的“折叠会议椅”有新资产进入公物池：震旦会议椅"]
    board = read_list(db, world.user("staff_health"), notices.BOARD_LIST, ListQuery())
    assert [w.title for w in board.rows] == ["折叠会议椅"]


def test_pages_and_api(http, world):
    login(http, "staff_edu")
    page = http.get("/board").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = http.post("/wishes", data={"csrf_token": token, "title": "", "keywords": "帐篷"})
    assert r.status_code == 422 and "请填写想要什么" in r.text
    r = http.post("/wishes", data={"csrf_token": token, "title": "应急帐篷", "keywords": "帐篷", "public": "1"})
    assert r.status_code == 303 and "应急帐篷" in http.get("/board").text
    with session_scope(write=True) as db:
        tents = add_assets(db, world.health, world.chair, 2, name="帐篷", prefix="T")
        db.commit()
        pool.post_idle_items(db, db.get(User, world.user("mgr_health").id), [a.id for a in tents],
                             title="救灾帐篷")
    home = http.get("/").text
    assert '<span class="count">1</span>' in home
    inbox = http.get("/notices").text
    assert "救灾帐篷" in inbox
    r = http.post("/notices/read", data={"csrf_token": token})
    assert r.status_code == 303 and '<span class="count">' not in http.get("/").text
    auth = {"Authorization": "Bearer " + http.post("/api/session", json={
        "username": "staff_edu", "password": PASSWORD}).json()["token"]}
    body = http.get("/api/notices", headers=auth).json()
    assert body["unread"] == 0 and len(body["notices"]) == 1
    r = http.post("/api/wishes", headers=auth, json={"title": "投影仪", "keywords": "投影", "public": False})
    assert r.status_code == 200 and r.json()["public"] is False
    assert http.post("/api/wishes", headers=auth, json={"title": "x"}).json()["error"]["field"] == "keywords"
    assert len(http.get("/api/board", headers=auth).json()["wishes"]) == 1
    finance = {"Authorization": "Bearer " + http.post("/api/session", json={
        "username": "finance", "password": PASSWORD}).json()["token"]}
    assert http.post("/api/wishes", headers=finance, json={"title": "x", "keywords": "y"}).status_code == 403


@pytest.mark.skipif(not settings().database_url.startswith("postgresql"),
                    reason="SQLite has one writer at a time: the second sweep starts after the first committed")
def test_two_workers_sweeping_at_once_send_each_reminder_once(db, world, clean_db):
    """Every app worker sweeps loans when it starts. On PostgreSQL the second sweep's insert waited for the first
    one's uncommitted reminder and then failed on the unique key (a logged error); now it adds nothing."""
    import threading
    import time

    from sqlalchemy import text
    from sqlmodel import Session

    from market.infra.db import get_engine, session_scope

    _two_chairs_out(db, world)

    first = Session(get_engine(clean_db), expire_on_commit=False)
    first.info["in_service"] = True  # the sweep joins this transaction, left open: the first worker
    assert notices.sweep_loans(first, date(2027, 1, 5)) == 2
    first.flush()
    first.info["in_service"] = False
    second: dict = {}

    def sweep_again() -> None:
        try:
            with session_scope(clean_db, write=True) as own:
                second["pid"] = own.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
                second["added"] = notices.sweep_loans(own, date(2027, 1, 5))
        except BaseException as exc:  # noqa: BLE001 - reported below
            second["error"] = exc

    worker = threading.Thread(target=sweep_again)
    worker.start()
    try:
        waiting = None
        for _ in range(600):  # until the second sweep waits for the first one's row lock
            pid = second.get("pid")
            if pid is not None:
                waiting = db.connection().execute(text(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar()
                db.rollback()
                if waiting == "Lock" or "added" in second or "error" in second:
                    break
            time.sleep(0.05)
        assert waiting == "Lock", "the second sweep never reached the first one's reminders"
        first.commit()
    finally:
        first.close()
        worker.join(30)
    assert "error" not in second, second.get("error")
    assert second["added"] == 0
    assert sum("将于 2027-01-08 到期" in t for t in _texts(db, "staff_edu")) == 1
