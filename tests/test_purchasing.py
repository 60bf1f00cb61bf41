"""Central purchasing: unmet demand → needs → a batch → purchase → received into the warehouse; money saved."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from conftest import login
from sqlmodel import func, select

from market import purchasing, stats
from market.errors import InvalidInput, InvalidTransition, PermissionDenied
from market.infra.db import session_scope
from market.models import Asset, Notice, PurchaseNeed, User
from market.proposals import accept_proposal, run_matcher
from market.requests import LineInput, approve_request, submit_request


def _unmet_laptops(db, world, qty=10):
    req = submit_request(db, world.user("staff_edu"), "新设机构", [LineInput(world.laptop.id, qty, date(2027, 1, 5),
                                                                           None)], purpose="新设机构")
    approve_request(db, world.user("admin"), req.id)
    accept_proposal(db, world.user("admin"), run_matcher(db, world.user("admin"), today=date(2026, 12, 1)).id)


def test_need_batch_purchase_receive_and_saving(db, world):
    _unmet_laptops(db, world, 10)
    needs = purchasing.open_needs(db, world.user("admin"))
    assert [(g.category.name, g.quantity) for g in needs] == [("笔记本电脑", 10)]
    with pytest.raises(PermissionDenied):
        purchasing.create_batch(db, world.user("finance"), world.laptop.id)
    batch = purchasing.create_batch(db, world.user("admin"), world.laptop.id)
    assert batch.quantity == 10 and batch.reference_price == Decimal("6000.00")
    with pytest.raises(InvalidTransition):
        purchasing.create_batch(db, world.user("admin"), world.laptop.id)
    with pytest.raises(InvalidTransition, match="不能入库"):
        purchasing.receive_batch(db, world.user("admin"), batch.id, world.warehouse.id, "笔记本电脑")
    with pytest.raises(InvalidInput):
        purchasing.record_purchase(db, world.user("admin"), batch.id, "联想", "便宜")
    purchasing.record_purchase(db, world.user("admin"), batch.id, "联想（北京）有限公司", "5200")
    assert purchasing.batch_saving(batch) == Decimal("8000.00")  # (6000 − 5200) × 10
    purchasing.receive_batch(db, world.user("admin"), batch.id, world.warehouse.id, "笔记本电脑", "联想", "ThinkPad E14")
    assert db.exec(select(func.count()).select_from(Asset).where(Asset.listing_id == batch.listing_id)).one() == 10
    # the unit whose shortfall was bought is told it has arrived (market/notify_rules.py)
    arrived = db.exec(select(Notice.text, User.username).join(User, User.id == Notice.user_id)
                      .where(Notice.kind == "purchase_arrived").order_by(User.username)).all()
    assert [u for _, u in arrived] == ["mgr_edu", "staff_edu"]
    assert "笔记本电脑 10 件已入库公物仓一号库（采购批次 CG" in arrived[0][0]
    assert purchasing.total_saving(db) == (Decimal("8000.00"), 1)
    fig = {f.label: f for f in stats.dashboard(db, world.user("finance")).figures}
    assert fig["集中采购节约"].value == "¥8,000.00"


def test_purchasing_pages(http, world):
    with session_scope(write=True) as db:
        for key in world.users:
            world.users[key] = db.get(User, world.users[key].id)
        _unmet_laptops(db, world, 4)
        assert db.exec(select(PurchaseNeed)).one().quantity == 4
    login(http, "admin")
    page = http.get("/purchasing").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert "生成采购批次" in page
    assert http.post("/purchasing/batches", data={"csrf_token": token, "category": str(world.laptop.id)}).status_code == 303
    bid = re.search(r'/purchasing/batches/(\d+)/purchase', http.get("/purchasing").text).group(1)
    r = http.post(f"/purchasing/batches/{bid}/purchase", data={"csrf_token": token, "supplier": "", "unit_price": "1"})
    assert r.status_code == 422 and "请填写供应商" in r.text
    http.post(f"/purchasing/batches/{bid}/purchase", data={"csrf_token": token, "supplier": "联想", "unit_price": "5,500"})
    assert "¥2,000.00" in http.get("/purchasing").text  # (6000 − 5500) × 4
    r = http.post(f"/purchasing/batches/{bid}/receive", data={"csrf_token": token, "warehouse": str(world.warehouse.id),
                                                               "name": "笔记本电脑"})
    assert r.status_code == 303 and "入库资产" in http.get("/purchasing").text
