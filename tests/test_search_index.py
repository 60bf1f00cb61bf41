"""The index stays true to the ledger: changes arrive through the outbox, and an incrementally kept index
answers exactly as one rebuilt from the database."""

from __future__ import annotations

from datetime import date

import pytest
from factories import add_assets

import search
from market import orders as ords
from market.infra.config import settings
from market.pool import listings as pool
from market.pool.index import PoolIndex, pool_index
from market.requests import LineInput, approve_request, request_lines, submit_request

QUERIES = ["会议椅", "椅子", "hyy", "huiyiyi", "投影", "爱普生", "cbx06", "笔记本", "电脑", ""]


def _answers(backend):
    out = []
    for q in QUERIES:
        for tier in (None, "idle", "warehouse", "rental"):
            r = backend.search(search.SearchQuery(q=q, tier=tier, per_page=100, facets=("category", "tier", "district")))
            out.append((q, tier, r.total, [(h["id"], h["quantity"]) for h in r.hits], r.facets))
    return out


def test_incremental_index_equals_a_rebuilt_one(db, world):
    live = pool_index(db)  # built now, then kept by the outbox only
    chairs = add_assets(db, world.health, world.chair, 10)
    laptops = add_assets(db, world.edu, world.laptop, 3, name="笔记本电脑")
    db.commit()
    chair_lot = pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs], title="闲置会议椅")
    laptop_lot = pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in laptops], title="联想笔记本电脑")
    pool.receive_items(db, world.user("admin"), world.warehouse.id, world.projector.id, "投影仪", 5, "4500",
                       brand="爱普生", model="CB-X06")
    req = submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, 4, date(2027, 1, 5), None)])
    approve_request(db, world.user("admin"), req.id)
    order = ords.allocate_from_listing(db, world.user("admin"), request_lines(db, req.id)[0].id, chair_lot.id, 4)
    ords.hand_out(db, world.user("admin"), order.id)  # four chairs change hands for good
    pool.withdraw_listing(db, world.user("mgr_edu"), laptop_lot.id)
    live = pool_index(db)
    rebuilt = PoolIndex(search.open_backend("embedded", None))
    rebuilt.rebuild(db)
    assert _answers(live.backend) == _answers(rebuilt.backend)
    hit = live.backend.search(search.SearchQuery(q="会议椅", tier="idle")).hits[0]
    assert hit["quantity"] == 6
    assert live.backend.search(search.SearchQuery(q="笔记本")).total == 0


def test_a_change_is_searchable_at_once(db, world):
    index = pool_index(db)
    assert index.backend.search(search.SearchQuery(q="帐篷")).total == 0
    tents = add_assets(db, world.health, world.chair, 2, name="帐篷", prefix="T")
    db.commit()
    pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in tents], title="救灾帐篷")
    assert pool_index(db).backend.search(search.SearchQuery(q="帐篷")).total == 1


def test_documents_updated_many_times_rank_as_in_a_rebuilt_index():
    """Upserts leave dead slots behind; they must not count in relevance, or equally good hits come out in
    another order than a rebuilt index gives (found by tests/test_crash.py after a large acceptance)."""

    def lots(now: list[int]) -> list[dict]:
        names = [("震旦会议椅", "A05010201", "会议椅"), ("联想笔记本电脑", "A02010105", "笔记本电脑"),
                 ("爱普生投影仪", "A02020100", "投影仪")]
        return [{"id": f"L{i}", "title": title, "category_code": code, "category_name": name,
                 "category_path": [name], "brand": "", "model": "CB-X06", "tier": "warehouse", "holder": "公物仓一号库",
                 "district": "涪城区", "conditions": ["全新"], "modes": ["loan"], "quantity": 200,
                 "available_now": now[i - 1], "created_at": f"2026-12-02T19:11:2{i}+00:00"}
                for i, (title, code, name) in enumerate(names, start=1)]

    kept = search.open_backend("embedded", None)
    for k in range(30):  # every acceptance rewrites the lots' documents
        kept.index(lots([200 - k, 200 - 2 * k, 200 - 3 * k]))
    rebuilt = search.open_backend("embedded", None)
    rebuilt.index(lots([171, 142, 113]))
    for q in ("cbx06", "CB-X06", "x06"):
        assert ([h["id"] for h in kept.search(search.SearchQuery(q=q)).hits]
                == [h["id"] for h in rebuilt.search(search.SearchQuery(q=q)).hits])


def _post_in_open_transaction(db_url, actor_id, asset_ids, title):
    """Post a listing in a transaction left open (a second connection): its outbox id is taken, not committed."""
    from sqlmodel import Session

    from market.infra.db import get_engine
    from market.models import User

    held = Session(get_engine(db_url), expire_on_commit=False)
    held.info["in_service"] = True  # the service joins this transaction instead of committing
    pool.post_idle_items(held, held.get(User, actor_id), asset_ids, title=title)
    held.flush()
    held.info["in_service"] = False
    return held


@pytest.mark.skipif(not settings().database_url.startswith("postgresql"),
                    reason="SQLite has one writer at a time: outbox ids commit in id order")
def test_an_outbox_row_committed_after_a_higher_one_is_not_skipped(db, world, clean_db):
    """PostgreSQL hands out ids at insert and transactions commit in any order: a catch-up that saw id n+1 must
    still apply id n when its transaction commits later (it was skipped until the process restarted)."""
    index = pool_index(db)
    tents = add_assets(db, world.health, world.chair, 2, name="帐篷", prefix="T")
    stoves = add_assets(db, world.edu, world.chair, 2, name="炉子", prefix="S")
    db.commit()
    slow = _post_in_open_transaction(clean_db, world.user("mgr_health").id, [a.id for a in tents], "救灾帐篷")
    try:
        pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in stoves], title="取暖炉子")  # commits first
        assert pool_index(db).backend.search(search.SearchQuery(q="炉子")).total == 1
        slow.commit()  # the lower outbox id becomes visible only now
    finally:
        slow.close()
    assert pool_index(db).backend.search(search.SearchQuery(q="帐篷")).total == 1
    assert index is pool_index(db)


@pytest.mark.skipif(not settings().database_url.startswith("postgresql"),
                    reason="SQLite has one writer at a time: outbox ids commit in id order")
def test_a_rolled_back_outbox_id_does_not_hold_up_later_changes(db, world, clean_db):
    pool_index(db)
    tents = add_assets(db, world.health, world.chair, 2, name="帐篷", prefix="T")
    stoves = add_assets(db, world.edu, world.chair, 2, name="炉子", prefix="S")
    lamps = add_assets(db, world.edu, world.chair, 2, name="台灯", prefix="L")
    db.commit()
    slow = _post_in_open_transaction(clean_db, world.user("mgr_health").id, [a.id for a in tents], "救灾帐篷")
    try:
        pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in stoves], title="取暖炉子")
        pool_index(db)
        slow.rollback()  # the id it took never appears
    finally:
        slow.close()
    pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in lamps], title="护眼台灯")
    index = pool_index(db)
    assert index.backend.search(search.SearchQuery(q="台灯")).total == 1
    assert index.backend.search(search.SearchQuery(q="炉子")).total == 1
    assert index.backend.search(search.SearchQuery(q="帐篷")).total == 0


def test_a_change_after_the_outbox_was_pruned_empty_is_found(db, world):
    """Pruning must not empty the outbox: SQLite hands the id 1 out again, below every process's cursor."""
    from datetime import timedelta

    from sqlalchemy import update

    from market.models import SearchOutbox, utcnow
    from market.pool.index import prune_outbox

    index = pool_index(db)
    chairs = add_assets(db, world.health, world.chair, 2)
    tents = add_assets(db, world.edu, world.chair, 2, name="帐篷", prefix="T")
    db.commit()
    pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs], title="会议椅")
    assert pool_index(db).backend.search(search.SearchQuery(q="会议椅", tier="idle")).total == 1
    db.exec(update(SearchOutbox).values(created_at=utcnow() - timedelta(days=2)))  # a quiet day went by
    db.commit()
    prune_outbox(db)
    pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in tents], title="救灾帐篷")
    assert index.catch_up(db) == 1
    assert index.backend.search(search.SearchQuery(q="帐篷")).total == 1
