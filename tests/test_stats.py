"""The dashboard's figures against counts computed independently from the ledger (raw SQL)."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

from conftest import login
from factories import add_assets
from openpyxl import load_workbook
from sqlalchemy import text

from market import orders as ords
from market import stats
from market.infra.db import session_scope
from market.lists import ListQuery, read_list
from market.models import Category, User
from market.pool import listings as pool
from market.proposals import accept_proposal, run_matcher
from market.requests import LineInput, approve_request, submit_request


def _scenario(db, world):
    db.get(Category, world.chair.id).co2e_kg_per_item = 25.0
    add_assets(db, world.edu, world.laptop, 10, name="笔记本电脑", status="idle", prefix="IDLE")
    chairs = add_assets(db, world.health, world.chair, 12, prefix="C")
    add_assets(db, world.health, world.chair, 5, prefix="D", status="disposed")
    db.commit()
    pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs])
    for qty, start, end in ((8, date(2027, 1, 5), date(2027, 1, 6)), (20, date(2027, 2, 5), date(2027, 2, 6))):
        req = submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, qty, start, end)])
        approve_request(db, world.user("admin"), req.id)
        accept_proposal(db, world.user("admin"), run_matcher(db, world.user("admin"), today=date(2026, 12, 1)).id)
    first = [o for o in read_list(db, world.user("admin"), ords.ORDER_LIST, ListQuery()).rows if o.kind == "loan"][-1]
    ords.hand_out(db, world.user("admin"), first.id)


def _sql(db, q):
    return db.exec(text(q)).scalar()


def test_figures_match_the_ledger(db, world):
    _scenario(db, world)
    d = stats.dashboard(db, world.user("finance"), today=date(2027, 1, 20))
    fig = {f.label: f for f in d.figures}
    active = _sql(db, "SELECT count(*) FROM asset WHERE status NOT IN ('disposed', 'lost')")
    idle = _sql(db, "SELECT count(*) FROM asset WHERE status IN ('idle', 'listed')")
    assert fig["在账资产"].value == f"{active:,} 件" and active == 22
    assert fig["闲置率"].value == f"{idle / active * 100:.1f}%"
    pool_n = _sql(db, "SELECT count(*) FROM asset WHERE status IN ('listed', 'reserved', 'on_loan')")
    used = _sql(db, "SELECT count(DISTINCT asset_id) FROM orderitem WHERE handed_out_at IS NOT NULL")
    assert fig["公物池利用率"].value == f"{used / pool_n * 100:.1f}%" and used == 8
    batches = _sql(db, "SELECT count(*) FROM proposal WHERE status = 'accepted'")
    units = _sql(db, "SELECT sum(quantity) FROM \"order\" WHERE proposal_id IS NOT NULL")
    assert fig["调配批次"].value == f"{batches} 批次、{units} 件" == "2 批次、28 件"
    saved = _sql(db, "SELECT sum(cost_all_new - cost_total) FROM proposal WHERE status = 'accepted'")
    assert fig["节约资金（相对新购）"].value == f"¥{Decimal(str(saved)).quantize(Decimal('0.01')):,.2f}"
    stock_units = _sql(db, "SELECT sum(quantity) FROM \"order\" WHERE proposal_id IS NOT NULL AND kind != 'rental'")
    assert fig["减少碳排放"].value == f"{stock_units * 25.0 / 1000:,.2f} 吨 CO₂e"
    overdue = _sql(db, "SELECT count(*) FROM \"order\" WHERE status = 'on_loan' AND end_date < '2027-01-20'")
    assert fig["逾期出借"].value == f"{overdue:,} 单" and overdue == 1
    assert sum(r.value for r in d.months) == units
    # every one of the last twelve months, the quiet ones too (issue 17: February was missing)
    assert [r.label for r in d.months] == [r.label for r in d.batches] == [r.label for r in d.savings]
    assert len(d.months) == 12 and d.months[-1].label == "2027-01" and d.months[0].label == "2026-02"
    assert sum(1 for r in d.months if r.value == 0) >= 10
    assert {r.label for r in d.idle_categories} == {"笔记本电脑", "会议椅"} or d.idle_categories[0].label == "笔记本电脑"


def test_dashboard_page_charts_drilldown_and_excel(http, world):
    with session_scope(write=True) as db:
        for key in world.users:
            world.users[key] = db.get(User, world.users[key].id)
        _scenario(db, world)
    login(http, "finance")
    page = http.get("/stats").text
    assert page.count("<svg") >= 4 and "闲置率" in page and "计算方法" not in page and "÷" in page
    link = re.search(r'href="(/stats/records\?kind=batches&amp;month=[0-9-]+)"', page).group(1).replace("&amp;", "&")
    rec = http.get(link)
    assert rec.status_code == 200 and "已采纳的调配方案" in rec.text
    assert "逾期出借单" in http.get("/stats/records?kind=overdue").text
    xlsx = http.get("/stats/export.xlsx")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames[0] == "指标" and wb["指标"]["A2"].value == "在账资产"
    http.cookies.clear()
    login(http, "staff_edu")
    assert http.get("/stats").status_code == 403
    assert http.get("/stats/export.xlsx").status_code == 403
