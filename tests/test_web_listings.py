"""Posting idle items, a listing's page, withdrawing, and receiving stock — through real HTTP."""

from __future__ import annotations

from conftest import csrf, login
from factories import add_assets
from sqlmodel import func, select

from market.infra.db import session_scope
from market.models import Asset, PoolListing


def _as(http, username):
    http.cookies.clear()
    assert login(http, username).status_code == 303


def _chairs(world, n=4, **kw):
    with session_scope(write=True) as db:
        ids = [a.id for a in add_assets(db, world.health, world.chair, n, **kw)]
        db.commit()
        return ids


def test_manager_posts_idle_items_and_withdraws(http, world):
    ids = _chairs(world)
    _as(http, "mgr_health")
    page = http.get("/assets").text
    assert "市卫生健康委员会 的资产" in page and page.count('name="asset"') == 4
    r = http.post("/listings", data={"csrf_token": csrf(page), "asset": [str(i) for i in ids[:3]],
                                     "title": "闲置会议椅三把", "mode": "loan"})
    assert r.status_code == 303
    listing = http.get(r.headers["location"]).text
    assert "闲置会议椅三把" in listing and "<strong>3</strong> / 3 件" in listing and "撤回挂牌" in listing
    assert "挂牌 3 件：闲置会议椅三把" in listing and listing.count("挂牌进入公物仓") == 3  # the lot's and its items' history
    assert "闲置会议椅三把" in http.get("/").text
    r = http.post(r.headers["location"] + "/withdraw", data={"csrf_token": csrf(listing), "reason": "自用"})
    assert r.status_code == 303 and "已撤回" in http.get(r.headers["location"]).text


def test_posting_errors_and_refusals(http, world):
    ids = _chairs(world, 2)
    secret = _chairs(world, 1, confidential=True, prefix="S")
    _as(http, "mgr_health")
    page = http.get("/assets").text
    r = http.post("/listings", data={"csrf_token": csrf(page)})
    assert r.status_code == 422 and "请至少选择一件资产" in r.text
    r = http.post("/listings", data={"csrf_token": csrf(page), "asset": secret})
    assert r.status_code == 409 and "涉密" in r.text
    r = http.post("/listings", data={"csrf_token": csrf(page), "asset": [str(ids[0])],
                                     "available_from": "2027-02-01", "available_until": "2027-01-01"})
    assert r.status_code == 422 and "截止日期不能早于开始日期" in r.text
    _as(http, "staff_health")  # unit staff may look but not post
    page = http.get("/assets").text
    assert 'name="asset"' not in page
    assert http.post("/listings", data={"csrf_token": csrf(page), "asset": [str(ids[0])]}).status_code == 403
    _as(http, "mgr_edu")  # another unit's manager cannot post these
    page = http.get("/assets").text
    assert http.post("/listings", data={"csrf_token": csrf(page), "asset": [str(ids[0])]}).status_code == 403
    with session_scope() as db:
        assert db.exec(select(func.count()).select_from(PoolListing)).one() == 0


def test_admin_receives_stock(http, world):
    _as(http, "admin")
    page = http.get("/warehouse/receive").text
    base = {"csrf_token": csrf(page), "warehouse": str(world.warehouse.id), "category": str(world.projector.id),
            "name": "投影仪", "brand": "爱普生", "model": "CB-X06", "condition": "全新", "mode": "both"}
    r = http.post("/warehouse/receive", data=base | {"quantity": "0", "original_value": "4500"})
    assert r.status_code == 422 and "数量不能小于 1" in r.text and "CB-X06" in r.text
    r = http.post("/warehouse/receive", data=base | {"quantity": "3", "original_value": "四千五"})
    assert r.status_code == 422 and "不是有效金额" in r.text
    r = http.post("/warehouse/receive", data=base | {"quantity": "3", "original_value": "4,500.00"})
    assert r.status_code == 303
    assert "<strong>3</strong> / 3 件" in http.get(r.headers["location"]).text
    with session_scope() as db:
        assert db.exec(select(func.count()).select_from(Asset).where(Asset.warehouse_id.is_not(None))).one() == 3
    _as(http, "mgr_edu")
    assert http.get("/warehouse/receive").status_code == 403


def test_label_sheet(http, world):
    ids = _chairs(world, 30)
    _as(http, "mgr_health")
    page = http.get("/assets/labels", params={"id": [str(i) for i in ids]})
    assert page.status_code == 200
    assert page.text.count('class="label"') == 30 and page.text.count('class="sheet"') == 2
    assert page.text.count("<svg") == 30 and 'href="/static/labels.css"' in page.text
    assert "size: A4" in http.get("/static/labels.css").text  # the sheet's layout, outside the page (CSP)
    assert http.get("/assets/labels").status_code == 422
    _as(http, "staff_edu")
    assert http.get("/assets/labels", params={"id": str(ids[0])}).status_code == 403


def test_ownership_transfer_through_pages(http, world):
    ids = _chairs(world, 2)
    _as(http, "mgr_health")
    page = http.get("/assets").text
    r = http.post("/transfers", data={"csrf_token": csrf(page), "asset": [str(i) for i in ids],
                                      "to_unit": str(world.edu.id), "note": "支援教育局"})
    assert r.status_code == 303
    order_url = r.headers["location"]
    assert "调拨单" in http.get(order_url).text and "批准调拨" not in http.get(order_url).text
    _as(http, "admin")
    page = http.get(order_url).text
    assert "批准调拨" not in page
    assert http.post(order_url + "/approve-transfer", data={"csrf_token": csrf(page)}).status_code == 403
    _as(http, "finance")
    page = http.get(order_url).text
    assert "批准调拨" in page
    assert http.post(order_url + "/approve-transfer", data={"csrf_token": csrf(page)}).status_code == 303
    assert "已完成" in http.get(order_url).text
    with session_scope() as db:
        assert {a.owner_unit_id for a in db.exec(select(Asset).where(Asset.id.in_(ids)))} == {world.edu.id}
