"""Depreciation: straight-line by month, nothing in the month of acquisition, never below zero, the last month
taking the remainder; checked at month boundaries and against a month-by-month sum."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from factories import add_assets
from hypothesis import given, settings
from hypothesis import strategies as st

from market.depreciation import for_asset, months_between, net_value, net_values, total_net
from market.standards import save_standard

D = Decimal


def month_by_month(original: Decimal, acquired: date, life_years: int, on: date) -> Decimal:
    """The direct sum: walk the months after acquisition up to ``on``, charging each one."""
    fen = int(original * 100)
    life = life_years * 12
    monthly = int((D(fen) / life).quantize(D(1), rounding="ROUND_HALF_UP"))
    acc, y, m, k = 0, acquired.year, acquired.month, 0
    while True:
        m += 1
        if m == 13:
            y, m = y + 1, 1
        if (y, m) > (on.year, on.month):
            break
        k += 1
        charge = monthly if k < life else fen - acc  # the last month of the life takes the remainder
        charge = max(0, min(charge, fen - acc))  # never past the original value
        acc += charge
    return D(acc) / 100


@settings(max_examples=300, deadline=None)
@given(original=st.decimals(min_value=0, max_value=D("9999999.99"), places=2),
       acquired=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
       life=st.integers(min_value=1, max_value=50),
       days=st.integers(min_value=-400, max_value=60 * 365))
def test_closed_form_equals_the_month_by_month_sum(original, acquired, life, days):
    on = date.fromordinal(acquired.toordinal() + days)
    d = net_value(original, acquired, life, on)
    assert d.accumulated == month_by_month(original, acquired, life, on)
    assert d.original == d.accumulated + d.net
    assert D(0) <= d.net <= d.original


@pytest.mark.parametrize(("acquired", "on", "months", "accumulated"), [
    (date(2020, 1, 1), date(2020, 1, 31), 0, "0.00"),  # the month of acquisition: nothing
    (date(2020, 1, 31), date(2020, 1, 31), 0, "0.00"),
    (date(2020, 1, 31), date(2020, 2, 1), 1, "100.00"),  # the 31st, then the 1st of the next month: one month
    (date(2020, 1, 1), date(2020, 2, 29), 1, "100.00"),
    (date(2020, 1, 15), date(2020, 12, 31), 11, "1100.00"),
    (date(2020, 1, 15), date(2025, 12, 31), 71, "7100.00"),  # the last month but one
    (date(2020, 1, 15), date(2026, 1, 1), 72, "7200.00"),  # exactly fully depreciated
    (date(2020, 1, 15), date(2040, 6, 1), 72, "7200.00"),  # years later: still the original, never more
    (date(2020, 1, 15), date(2019, 12, 31), 0, "0.00"),  # a date before acquisition
])
def test_month_boundaries(acquired, on, months, accumulated):
    d = net_value(D("7200.00"), acquired, 6, on)  # 100 元 a month over 72 months
    assert (d.months, d.accumulated, d.net) == (months, D(accumulated), D("7200.00") - D(accumulated))
    assert d.life_months == 72


def test_the_last_month_takes_the_remainder():
    # 5,000 / 72 = 69.444… → 69.44 a month; 71 months = 4,930.24; the 72nd takes 69.76
    assert net_value(D("5000"), date(2020, 3, 10), 6, date(2026, 2, 1)).accumulated == D("4930.24")
    d = net_value(D("5000"), date(2020, 3, 10), 6, date(2026, 3, 1))
    assert (d.accumulated, d.net, d.fully_depreciated) == (D("5000.00"), D("0.00"), True)
    # a cheap item whose rounded-up charge (0.50 / 72 → 0.01) reaches the original early stops there
    assert net_value(D("0.50"), date(2020, 1, 1), 6, date(2024, 2, 1)).accumulated == D("0.49")
    d = net_value(D("0.50"), date(2020, 1, 1), 6, date(2024, 3, 1))  # 50 months
    assert (d.accumulated, d.net, d.months) == (D("0.50"), D("0.00"), 50)


def test_unknown_life_or_date_is_not_depreciated():
    d = net_value(D("300"), None, 6, date(2026, 1, 1))
    assert (d.known, d.net, d.age_text) == (False, D("300.00"), "取得日期不详")
    d = net_value(D("300"), date(2020, 1, 1), None, date(2026, 1, 1))
    assert (d.known, d.net, d.age_months) == (False, D("300.00"), 72)
    assert net_value(D("300"), date(2020, 1, 1), 6, date(2023, 3, 5)).age_text == "3 年 2 个月"
    assert months_between(date(2020, 12, 31), date(2021, 1, 1)) == 1


def test_by_the_category_life(db, world):
    # 会议椅 has no depreciation life in the flat test tree until one is set
    chair = add_assets(db, world.edu, world.chair, 1, value="1800", purchased=date(2024, 1, 20))[0]
    assert not for_asset(db, chair, date(2026, 1, 1)).known
    save_standard(db, world.user("admin"), world.chair.id, {"price_cap": "800", "min_life_years": "15",
                                                             "depreciation_years": "15"})
    d = for_asset(db, chair, date(2026, 1, 1))
    assert (d.months, d.accumulated) == (24, D("240.00"))  # Feb 2024 … Jan 2026; 1,800 / 180 = 10 元 a month
    laptop = add_assets(db, world.edu, world.laptop, 1, value="7200", purchased=date(2025, 12, 5))[0]
    many = net_values(db, [chair, laptop], date(2026, 1, 1))
    assert [m.accumulated for m in many] == [D("240.00"), D("0.00")]  # the laptop's category has no life here
    assert total_net(db, [chair, laptop], date(2026, 1, 1)) == D("8760.00")


def test_shown_on_the_asset_page_in_the_export_on_the_dashboard_and_in_appraisal(http, world):
    from conftest import login

    from market import disposal as dsp
    from market.depreciation import beijing_today, net_value
    from market.infra.db import session_scope

    with session_scope(write=True) as db:
        save_standard(db, world.user("admin"), world.laptop.id, {"price_cap": "7000", "quantity_share": "50",
                                                                  "min_life_years": "6", "depreciation_years": "6"})
        young = add_assets(db, world.edu, world.laptop, 1, name="笔记本电脑", value="7200",
                           purchased=date(2024, 3, 15))[0]
        old = add_assets(db, world.edu, world.laptop, 1, name="笔记本电脑", value="7200", purchased=date(2010, 1, 1),
                         status="idle")[0]
        add_assets(db, world.edu, world.laptop, 2, name="笔记本电脑", value="7200", purchased=date(2024, 3, 15),
                   status="listed")
        db.commit()
        case = dsp.apply_disposal(db, world.user("mgr_edu"), [old.id], "sale", "到期")
        dsp.approve_disposal(db, world.user("finance"), case.id)
    today = beijing_today()
    d = net_value(D("7200"), date(2024, 3, 15), 6, today)
    assert login(http, "mgr_edu").status_code == 303
    page = http.get(f"/assets/{young.id}").text
    assert f"¥{d.net:,.2f}" in page and f"¥{d.accumulated:,.2f}" in page and "折旧年限 6 年" in page
    assert "最低使用年限" in page and "未达到" in page and "2030-03-15" in page and d.age_text in page
    export = http.get("/assets", params={"export": "csv"}).content.decode("utf-8-sig")
    assert "累计折旧（元）" in export and "净值（元）" in export and f"{young.tag}," in export
    line = next(r for r in export.splitlines() if r.startswith(young.tag))
    assert f"{d.accumulated}" in line and f"{d.net}" in line and "2024-03-15" in line
    http.cookies.clear()
    assert login(http, "admin").status_code == 303
    page = http.get(f"/disposals/{case.id}").text
    assert "账面净值" in page and 'name="value" required inputmode="decimal" value="0.00"' in page
    http.cookies.clear()
    assert login(http, "finance").status_code == 303
    stats = http.get("/stats").text
    assert "在池资产净值" in stats and f"¥{2 * d.net:,.2f}" in stats and "调剂资产净值" in stats
