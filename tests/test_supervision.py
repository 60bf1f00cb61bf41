"""The supervision report (监管报表): the figures per unit on a small hand-built world, over-cap units first, the
drill-down, the export, who may read it, and the evaluation's indicators fed from it."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from conftest import login
from factories import add_assets

from market import acquisitions as acq
from market import disposal as dsp
from market import evaluation, purchasing, supervision
from market.acquisitions import AcquisitionInput
from market.errors import PermissionDenied
from market.infra.db import session_scope
from market.lists import export, parse_query, read_list
from market.models import PurchaseBatch, PurchaseNeed, Request, RequestLine, User, utcnow


def _world(db, world):
    """市教育局: 40 staff, 25 laptops (cap 50 % = 20: over by 5), one purchase above the cap approved by finance.
    市卫健委: 20 staff, 3 laptops (cap 10), 2 bought above the price cap with finance's approval, a historical
    purchase above the cap without approval (recorded before purchasing checked prices), one early disposal refused,
    one allowed for damage beyond repair and one of a laptop past its minimum life."""
    world.health.staff_count = 20
    db.add(world.health)
    add_assets(db, world.edu, world.laptop, 25, name="笔记本电脑")
    add_assets(db, world.health, world.laptop, 3, name="笔记本电脑", prefix="WJW")
    db.commit()
    admin, finance = world.user("admin"), world.user("finance")
    special = acq.submit_acquisition(db, world.user("staff_edu"), AcquisitionInput(
        world.laptop.id, 2, "8000", "测绘专用", "", True))
    assert special.status == "over_cap"  # 25 + 2 > 20 and 8,000 > 7,000: waits for finance (not decided here)
    # the health commission: within the quantity cap, over the price cap, approved
    ok = acq.submit_acquisition(db, world.user("staff_health"), AcquisitionInput(
        world.laptop.id, 2, "8000", "测绘专用", "", True))
    acq.decide_exception(db, finance, ok.id, True, "同意")
    batch = purchasing.create_batch(db, admin, world.laptop.id)
    purchasing.record_purchase(db, admin, batch.id, "联想", "7800")
    # a historical purchase for the health commission above the cap with no approval (hand-built)
    req = Request(unit_id=world.health.id, created_by=world.user("staff_health").id, title="旧采购", lat=0, lng=0,
                  status="closed")
    db.add(req)
    db.flush()
    line = RequestLine(request_id=req.id, category_id=world.laptop.id, quantity=1, start_date=utcnow().date())
    db.add(line)
    db.flush()
    old = PurchaseBatch(category_id=world.laptop.id, quantity=1, status="purchased", supplier="某公司",
                        unit_price=Decimal("9500"), created_by=admin.id, purchased_at=utcnow())
    db.add(old)
    db.flush()
    db.add(PurchaseNeed(request_line_id=line.id, category_id=world.laptop.id, quantity=1, batch_id=old.id,
                        status="batched"))
    # disposals through market.disposal: one young laptop refused, one damaged beyond repair allowed by finance,
    # one past its minimum life
    young, broken = add_assets(db, world.health, world.laptop, 2, name="笔记本电脑", prefix="WJWY",
                               purchased=date(utcnow().year - 2, 3, 1))
    aged = add_assets(db, world.health, world.laptop, 1, name="笔记本电脑", prefix="WJWO")[0]
    db.commit()
    mgr = world.user("mgr_health")
    with pytest.raises(dsp.EarlyDisposalRefused):
        dsp.apply_disposal(db, mgr, [young.id], "scrap", "性能落后")
    case = dsp.apply_disposal(db, mgr, [broken.id], "scrap", "主板烧毁", True, "检测报告 A-1")
    dsp.approve_early(db, finance, case.id)
    dsp.apply_disposal(db, mgr, [aged.id], "scrap", "超过使用年限")
    db.commit()
    return ok, old


def test_figures_per_unit(db, world):
    ok, old = _world(db, world)
    reports = supervision.unit_reports(db, supervision.report_units(db))
    edu, health = reports[world.edu.id], reports[world.health.id]
    laptops = next(c for c in edu.caps if c.group.label == "笔记本电脑")
    assert (laptops.holdings, laptops.cap, laptops.share, laptops.staff, laptops.over) == (25, 20, 50, 40, True)
    assert laptops.text == "笔记本电脑：已有 25 > 上限 20（编制 40 人 × 50%）"
    assert [c.group.label for c in edu.over_caps] == ["笔记本电脑"]
    h = next(c for c in health.caps if c.group.label == "笔记本电脑")
    assert (h.holdings, h.cap, h.over) == (6, 10, False)  # 3 + the three of the disposals, still on the books
    assert edu.prices == [] and health.over_price == 3 and health.over_price_exceptions == 2
    rows = {(p.request_number, p.price, p.cap, p.exception) for p in health.prices}
    assert (ok.number, Decimal("7800.00"), Decimal("7000.00"), True) in rows
    assert any(p.price == Decimal("9500.00") and not p.exception for p in health.prices)
    assert (health.early_refused, health.early_allowed) == (1, 1) and edu.early == []
    world.edu.staff_count = 0  # unknown staff count: no cap is set, nobody is called over
    db.add(world.edu)
    db.commit()
    unknown = supervision.unit_reports(db, [world.edu])[world.edu.id]
    assert unknown.over_caps == [] and "未登记编制内实有人数" in unknown.caps[0].text


def test_list_over_cap_first_export_and_filters(db, world):
    _world(db, world)
    finance = world.user("finance")
    spec = supervision.report_list(db, finance)
    lp = read_list(db, finance, spec, parse_query(spec, {}))
    assert [u.name for u in lp.rows][0] == "市教育局"  # over a cap, first
    assert lp.cell(lp.rows[0], "over_caps") == 1
    labels, rows = export(db, finance, spec, parse_query(spec, {"flag": "early"}))
    assert [r[1] for r in rows] == ["市卫生健康委员会"]
    health = dict(zip(labels, rows[0], strict=True))
    assert health["超价格上限采购（件）"] == 3 and health["其中特批（件）"] == 2
    for who in ("staff_edu", "mgr_edu", "sysadmin"):
        with pytest.raises(PermissionDenied):
            supervision.report_list(db, world.user(who))
        with pytest.raises(PermissionDenied):
            supervision.unit_report(db, world.user(who), world.edu.id)
        with pytest.raises(PermissionDenied):  # the static spec (the API schema's) refuses too
            read_list(db, world.user(who), supervision.REPORT_LIST, parse_query(supervision.REPORT_LIST, {}))


def test_evaluation_indicators_from_the_report(db, world):
    _world(db, world)
    scores = {s.unit.name: s for s in evaluation.evaluate(db, world.user("finance"), utcnow().year)}
    edu, health = scores["市教育局"], scores["市卫生健康委员会"]
    assert edu.values["within_caps"] == 0.0 and edu.points["within_caps"] == 0.0
    assert health.values["within_caps"] == 1.0
    # health: 3 units bought, 1 above the cap without approval → 2 / 3
    assert health.values["price_compliance"] == pytest.approx(2 / 3)
    assert health.points["price_compliance"] == pytest.approx(200 / 3)
    # assets put up for disposal: 2 in cases (one young, damaged) + 1 refused → 2 young of 3
    assert health.values["early_disposals"] == pytest.approx(2 / 3)
    assert health.points["early_disposals"] == pytest.approx(100 / 3)
    assert edu.values["price_compliance"] is None and edu.values["early_disposals"] is None
    assert "配置数量达标率" in evaluation.INDICATORS["within_caps"][0]


def test_pages_drill_down_and_excel(http, world):
    with session_scope(write=True) as db:
        for key in world.users:
            world.users[key] = db.get(User, world.users[key].id)
        world.edu, world.health = db.merge(world.edu), db.merge(world.health)
        _world(db, world)
        edu_id, health_id, laptop_id = world.edu.id, world.health.id, world.laptop.id
    login(http, "finance")
    page = http.get("/supervision").text
    assert page.index("市教育局") < page.index("市卫生健康委员会")
    assert "笔记本电脑：已有 25 &gt; 上限 20（编制 40 人 × 50%）" in page
    detail = http.get(f"/supervision/units/{health_id}").text
    assert "经财政特批" in detail and "未经特批" in detail and "不予处置" in detail and "损毁准予处置" in detail
    assert f"/assets?unit={health_id}&amp;category={laptop_id}" in detail
    x = http.get("/supervision?export=xlsx")
    values = list(openpyxl.load_workbook(io.BytesIO(x.content)).active.iter_rows(values_only=True))
    assert values[0][1] == "单位" and values[1][1] == "市教育局" and len(values) == 3
    r = http.post("/api/session", json={"username": "finance", "password": "secret-pass-1"})
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    body = http.get("/api/supervision", headers=headers).json()
    assert body["supervision"][0]["unit"] == "市教育局" and body["supervision"][0]["over_caps"] == 1
    one = http.get(f"/api/supervision/units/{health_id}", headers=headers).json()
    assert one["over_price_units"] == 3 and one["early_refused"] == 1
    http.post("/logout", data={"csrf_token": __import__("conftest").csrf(page)})
    login(http, "staff_edu")
    assert http.get("/supervision").status_code == 403
    assert http.get(f"/supervision/units/{edu_id}").status_code == 403
