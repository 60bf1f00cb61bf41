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


def test_a_period_narrows_the_sums_not_the_state_of_the_ledger(db, world):
    """Issue 17.7: a date range for every figure and chart; every month of it shown; the ledger's state stays today's."""
    import pytest

    from market.errors import InvalidInput

    _scenario(db, world)
    now = stats.dashboard(db, world.user("finance"))
    before = stats.dashboard(db, world.user("finance"), within=stats.Period(date(2026, 1, 1), date(2026, 11, 30)))
    fig_now, fig_before = ({f.label: f for f in d.figures} for d in (now, before))
    assert fig_now["调配批次"].number == 2 and fig_before["调配批次"].number == 0 and fig_before["调配件数"].number == 0
    assert fig_before["在账资产"].number == fig_now["在账资产"].number == 22 and fig_before["在账资产"].current
    assert fig_before["节约资金（相对新购）"].number == 0 and fig_now["节约资金（相对新购）"].number > 0
    assert [r.label for r in before.months] == [f"2026-{m:02d}" for m in range(1, 12)]
    assert all(r.value == 0 for r in before.months)
    assert stats.period("2026-03-15", "2026-05-02").months() == ["2026-03", "2026-04", "2026-05"]
    default = stats.period(today=date(2027, 1, 20))
    assert (default.start, default.end) == (date(2026, 2, 1), date(2027, 1, 20))
    for start, end, words in (("2026-13-01", "", "不是有效日期"), ("2026-05-02", "2026-03-15", "不能晚于"),
                              ("2010-01-01", "2026-01-01", "最长十年")):
        with pytest.raises(InvalidInput, match=words):
            stats.period(start, end)


def test_the_workbook_keeps_numbers_as_numbers_for_the_period(http, world):
    with session_scope(write=True) as db:
        for key in world.users:
            world.users[key] = db.get(User, world.users[key].id)
        _scenario(db, world)
    login(http, "finance")
    page = http.get("/stats?from=2026-01-01&to=2026-11-30").text
    assert 'value="2026-01-01"' in page and "导出 Excel" in page and "from=2026-01-01" in page
    wb = load_workbook(io.BytesIO(http.get("/stats/export.xlsx?from=2026-01-01&to=2026-11-30").content))
    rows = {r[0]: r for r in wb["指标"].iter_rows(min_row=2, values_only=True)}
    assert rows["在账资产"][1:4] == (22, "件", "当前") and isinstance(rows["在账资产"][1], int)
    assert rows["调配批次"][1:4] == (0, "批次", "2026-01-01 至 2026-11-30")
    assert isinstance(rows["闲置率"][1], float) and rows["闲置率"][2] == "%"
    assert wb["已采纳的调配方案"].max_row == 1  # no batch in that period: the header alone
    wb = load_workbook(io.BytesIO(http.get("/stats/export.xlsx").content))
    assert wb["已采纳的调配方案"].max_row == 3 and isinstance(wb["每月调配"]["B2"].value, (int, float))
    r = http.get("/stats?from=2026-05-02&to=2026-03-15")
    assert r.status_code == 422 and "开始日期不能晚于结束日期" in r.text
    api = http.get("/api/stats?from=2026-01-01&to=2026-11-30").json()
    assert api["period"] == {"from": "2026-01-01", "to": "2026-11-30"}
    assert {f["label"]: (f["number"], f["unit"]) for f in api["figures"]}["在账资产"] == (22, "件")
