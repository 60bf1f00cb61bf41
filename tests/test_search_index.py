"""The index stays true to the ledger: changes arrive through the outbox, and an incrementally kept index
answers exactly as one rebuilt from the database."""

from __future__ import annotations

from datetime import date

from factories import add_assets

import search
from market.search_index import PoolIndex, pool_index
from market.services import orders as ords
from market.services import pool
from market.services.requests import LineInput, approve_request, request_lines, submit_request

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
