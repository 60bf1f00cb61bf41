"""Idle-asset alerts: items idle longer than the period are listed, and posted to the pool in one action."""

from __future__ import annotations

import re
from datetime import timedelta

from conftest import login
from factories import add_assets
from sqlmodel import select

from market.assets import idle_list
from market.infra.db import session_scope
from market.infra.eventlog import log_event
from market.lists import ListQuery, read_list
from market.models import Asset, utcnow


def _old_idle(db, world, n=3, days=200):
    assets = add_assets(db, world.edu, world.laptop, n, name="笔记本电脑", status="idle", prefix=f"I{days}")
    db.flush()
    for a in assets:
        a.updated_at = utcnow() - timedelta(days=days)
        ev = log_event(db, None, "asset", a.id, "import", "从台账导入")
        ev.at = utcnow() - timedelta(days=days)
    db.commit()
    return assets


def _idle(db, user, days):
    return read_list(db, user, idle_list(days), ListQuery())


def test_long_idle_lists_only_items_idle_long_enough(db, world):
    old = _old_idle(db, world, 3, 200)
    _old_idle(db, world, 2, 30)
    page = _idle(db, world.user("admin"), 180)
    assert sorted(a.id for a in page.rows) == sorted(a.id for a in old) and page.total == 3
    assert all(page.lookups["days"][a.id] >= 199 for a in page.rows)
    assert _idle(db, world.user("admin"), 20).total == 5
    assert _idle(db, world.user("staff_health"), 20).rows == []  # another unit's items are not shown


def test_post_them_in_one_action(http, world):
    with session_scope(write=True) as db:
        ids = [a.id for a in _old_idle(db, world, 3, 200)]
    login(http, "mgr_edu")
    page = http.get("/idle").text
    assert page.count('name="asset"') == 3 and "一键挂牌" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = http.post("/listings", data={"csrf_token": token, "asset": [str(i) for i in ids], "mode": "both"})
    assert r.status_code == 303
    with session_scope() as db:
        assert {a.status for a in db.exec(select(Asset).where(Asset.id.in_(ids)))} == {"listed"}
    assert "没有长期闲置的资产" in http.get("/idle").text
