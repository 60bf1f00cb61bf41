"""Holders act on their own items (issue 16.5): an order that takes a unit's idle items is handed over — and, for a
loan, taken back and inspected — by that unit's manager, with the warehouse's checks; the warehouse still can, and
sees who did what; the holder is told, the warehouse is told when the holder has handed over."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from conftest import login
from factories import PASSWORD, add_assets, add_user
from sqlmodel import select

from market import orders as ords
from market.errors import InvalidInput, PermissionDenied
from market.infra.db import session_scope
from market.models import Asset, DamageRecord, Notice, User
from market.pool import listings as pool
from market.requests import LineInput, approve_request, request_lines, submit_request

D1, D2 = date(2027, 4, 1), date(2027, 4, 2)


def _notices(db, username, kind):
    uid = db.exec(select(User.id).where(User.username == username)).one()
    return [n.text for n in db.exec(select(Notice).where(Notice.user_id == uid, Notice.kind == kind))]


def _held_order(db, world, n=2, end=D2):
    """市卫生健康委员会 borrows (or, with ``end`` None, takes for good) 市教育局's idle chairs."""
    chairs = add_assets(db, world.edu, world.chair, 3, status="idle", prefix="H")
    db.commit()
    listing = pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in chairs], title="闲置会议椅")
    req = submit_request(db, world.user("staff_health"), "培训", [LineInput(world.chair.id, n, D1, end)])
    approve_request(db, world.user("admin"), req.id)
    line = request_lines(db, req.id)[0]
    return ords.allocate_from_listing(db, world.user("admin"), line.id, listing.id, n)


def test_the_holder_hands_over_and_takes_back(db, world):
    order = _held_order(db, world)
    assert order.from_unit_id == world.edu.id
    assert any("已调配给市卫生健康委员会" in t and "请于 2027-04-01 前备好并交接" in t
               for t in _notices(db, "mgr_edu", "holder_handover"))
    assert _notices(db, "mgr_health", "holder_handover") == [] and _notices(db, "staff_edu", "holder_handover") == []
    assert ords.next_step(db, order) == "待持有单位 市教育局 交付（公物仓管理员也可代为办理）"
    assert [o.id for o in ords.holder_queue(db, world.user("mgr_edu"))] == [order.id]
    assert ords.holder_queue(db, world.user("mgr_health")) == [] and ords.holder_queue(db, world.user("admin")) == []
    view = ords.order_view(db, world.user("mgr_edu"), order)
    assert view.can_hand_out and not view.can_cancel
    for other in ("staff_edu", "mgr_health", "staff_health"):  # the holder's staff, the borrowing unit
        assert not ords.order_view(db, world.user(other), order).can_hand_out
        with pytest.raises(PermissionDenied):
            ords.hand_out(db, world.user(other), order.id)
    tags = [a.tag for _, a in ords.order_items(db, order.id)]
    with pytest.raises(InvalidInput, match="扫描结果与拣货单不符"):  # the warehouse's checks, word for word
        ords.hand_out(db, world.user("mgr_edu"), order.id, tags[:1])
    assert _notices(db, "admin", "holder_handed_over") == []
    ords.hand_out(db, world.user("mgr_edu"), order.id, tags)
    assert order.status == "on_loan"
    assert any("市教育局已将出借单" in t and "经办：mgr_edu" in t for t in _notices(db, "admin", "holder_handed_over"))
    events = ords.order_events(db, order)
    assert events[-1][1] == "mgr_edu" and "由持有单位市教育局交付" in events[-1][0].summary
    assert ords.next_step(db, order).endswith("到期后由持有单位 市教育局 收回验收")
    # the return: inspected by the holder, damage recorded exactly as at the warehouse
    with pytest.raises(PermissionDenied):
        ords.return_loan(db, world.user("mgr_health"), order.id, {})
    items = [a for _, a in ords.order_items(db, order.id)]
    with pytest.raises(InvalidInput, match="逐件验收"):
        ords.return_loan(db, world.user("mgr_edu"), order.id, {items[0].id: ords.Inspection("良好")})
    ords.return_loan(db, world.user("mgr_edu"), order.id, {
        items[0].id: ords.Inspection("良好"),
        items[1].id: ords.Inspection("待维修", cause="user", description="椅腿断裂", repair_cost=Decimal("80"))})
    assert order.status == "returned"
    assert _notices(db, "admin", "holder_took_back") == [
        f"市教育局已收回市卫生健康委员会归还的出借单 {order.number} 的 2 件物品并验收，其中 1 件损坏（经办：mgr_edu）。"]
    assert "由持有单位市教育局收回验收" in ords.order_events(db, order)[-1][0].summary
    damage = db.exec(select(DamageRecord).where(DamageRecord.order_id == order.id)).one()
    assert damage.payer_unit_id == world.health.id and damage.amount == Decimal("80")
    assert db.get(Asset, items[0].id).status == "listed" and db.get(Asset, items[1].id).status == "in_repair"
    assert ords.holder_queue(db, world.user("mgr_edu")) == []


def test_the_warehouse_still_acts_and_stock_is_not_held(db, world):
    order = _held_order(db, world, end=None)  # a transfer of the idle chairs
    ords.hand_out(db, world.user("admin"), order.id)
    assert order.status == "completed" and _notices(db, "admin", "holder_handed_over") == []
    loan = _held_order(db, world, n=1)  # a loan the warehouse hands out and takes back itself: no such notice
    ords.hand_out(db, world.user("admin"), loan.id)
    item = ords.order_items(db, loan.id)[0][1]
    ords.return_loan(db, world.user("admin"), loan.id, {item.id: ords.Inspection(item.condition)})
    assert _notices(db, "admin", "holder_took_back") == []
    assert {a.owner_unit_id for _, a in ords.order_items(db, order.id)} == {world.health.id}
    # warehouse stock is held by the bureau on the books, handed out by the warehouse alone
    mgr_bureau = add_user(db, "mgr_bureau", "unit_manager", world.bureau)
    db.commit()
    stock = pool.receive_items(db, world.user("admin"), world.warehouse.id, world.chair.id, "库存会议椅", 2, "350")
    req = submit_request(db, world.user("staff_health"), "会议", [LineInput(world.chair.id, 1, D1, D2)])
    approve_request(db, world.user("admin"), req.id)
    out = ords.allocate_from_listing(db, world.user("admin"), request_lines(db, req.id)[0].id, stock.id, 1)
    assert _notices(db, "mgr_bureau", "holder_handover") == []
    assert ords.next_step(db, out) == "待公物仓管理员出库"
    with pytest.raises(PermissionDenied, match="由公物仓管理员办理"):
        ords.hand_out(db, mgr_bureau, out.id)
    assert ords.holder_queue(db, mgr_bureau) == [] and not ords.order_view(db, mgr_bureau, out).can_hand_out


def test_holder_pages_and_api(http, world):
    with session_scope(write=True) as db:
        order = _held_order(db, world)
        order_id, tags = order.id, [a.tag for _, a in ords.order_items(db, order.id)]
    login(http, "mgr_edu")
    listing = http.get("/orders").text
    assert 'id="holder-queue"' in listing and f"/orders/{order_id}" in listing and "待交付" in listing
    page = http.get(f"/orders/{order_id}").text
    assert "待持有单位 市教育局 交付" in page and f'action="/orders/{order_id}/hand-out"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = http.post(f"/orders/{order_id}/hand-out", data={"csrf_token": token, "tag": tags[:1]})
    assert r.status_code == 422 and "扫描结果与拣货单不符" in r.text
    r = http.post(f"/orders/{order_id}/hand-out", data={"csrf_token": token, "tag": tags})
    assert r.status_code == 303
    page = http.get(f"/orders/{order_id}").text
    assert "出借中" in page and "mgr_edu：出借单" in page and "由持有单位市教育局交付" in page
    assert f'action="/orders/{order_id}/return"' in page
    http.cookies.clear()
    login(http, "mgr_health")
    page = http.get(f"/orders/{order_id}").text  # the borrower reads it, may not act on it
    assert "到期后由持有单位 市教育局 收回验收" in page and f'action="/orders/{order_id}/return"' not in page
    assert 'id="holder-queue"' not in http.get("/orders").text
    r = http.post("/api/session", json={"username": "mgr_edu", "password": PASSWORD})
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    body = http.get(f"/api/orders/{order_id}", headers=auth).json()
    assert body["can_return"] is True and "收回验收" in body["next_step"]
    assert [o["id"] for o in http.get("/api/orders", headers=auth).json()["holder_queue"]] == [order_id]
    r = http.post(f"/api/orders/{order_id}/return", headers=auth, json={"inspections": [
        {"asset_id": i["asset_id"], "condition": "良好"} for i in body["items"]]})
    assert r.status_code == 200 and r.json()["status"] == "returned"
