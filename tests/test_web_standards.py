"""The configuration standards on the administration pages and in the API: listed, edited per row (a bad value
refused in Chinese, nothing saved), imported and exported as CSV; a unit's staff count and confidential network."""

from __future__ import annotations

from decimal import Decimal

from conftest import csrf, login
from factories import PASSWORD
from sqlmodel import select

from market.infra.db import session_scope
from market.models import ConfigStandard, Unit


def _std(category_id: int) -> ConfigStandard:
    with session_scope() as db:
        return db.exec(select(ConfigStandard).where(ConfigStandard.category_id == category_id)).one()


def test_admin_lists_edits_and_refuses_a_bad_value(http, world):
    assert login(http, "admin").status_code == 303
    page = http.get("/admin/standards")
    assert page.status_code == 200 and "笔记本电脑" in page.text and "7,000.00" not in page.text  # inputs, raw
    assert 'value="7000.00"' in page.text and "财资〔2016〕27号" in page.text
    row = _std(world.laptop.id)
    token = csrf(page.text)
    base = {"csrf_token": token, "price_cap": "7000", "quantity_share": "50", "min_life_years": "6"}
    r = http.post(f"/admin/standards/{row.id}", data=base | {"quantity_share": "五十"})
    assert r.status_code == 422 and "数量比例须为整数" in r.text
    assert _std(world.laptop.id).quantity_share == 50
    r = http.post(f"/admin/standards/{row.id}", data=base | {"price_cap": "6500", "min_life_years": "8"})
    assert r.status_code == 303
    s = _std(world.laptop.id)
    assert (s.price_cap, s.min_life_years, s.quantity_share) == (Decimal("6500.00"), 8, 50)
    # a new row for a category without one
    r = http.post("/admin/standards", data={"csrf_token": token, "category": str(world.chair.id),
                                            "price_cap": "800", "min_life_years": "15", "depreciation_years": "15"})
    assert r.status_code == 303 and _std(world.chair.id).depreciation_years == 15
    # the unit manager may not
    http.cookies.clear()
    assert login(http, "mgr_edu").status_code == 303
    r = http.post(f"/admin/standards/{row.id}", data=base | {"csrf_token": csrf(http.get("/assets").text)})
    assert r.status_code == 403 and _std(world.laptop.id).price_cap == Decimal("6500.00")


def test_csv_export_and_import_through_the_page(http, world):
    assert login(http, "admin").status_code == 303
    r = http.get("/admin/standards/export")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    assert text.startswith("分类代码,分类名称,价格上限") and "A02010105,笔记本电脑,7000.00" in text
    token = csrf(http.get("/admin/standards").text)
    bad = text.replace("A02010105,笔记本电脑,7000.00", "A02010105,笔记本电脑,七千")
    r = http.post("/admin/standards/import", data={"csrf_token": token},
                  files={"file": ("标准.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422 and "价格上限不是有效金额" in r.text
    changed = "# 本市标准\n" + text.replace("A02010105,笔记本电脑,7000.00", "A02010105,笔记本电脑,5000")
    r = http.post("/admin/standards/import", data={"csrf_token": token},
                  files={"file": ("标准.csv", changed.encode(), "text/csv")})
    assert r.status_code == 303 and _std(world.laptop.id).price_cap == Decimal("5000.00")


def test_unit_staffing_on_the_unit_form(http, world):
    assert login(http, "sysadmin").status_code == 303
    page = http.get("/admin/units")
    assert "编制内实有人数" in page.text
    token = csrf(page.text)
    r = http.post(f"/admin/units/{world.health.id}/staffing", data={"csrf_token": token, "staff_count": "-3"})
    assert r.status_code == 422 and "编制内实有人数须为 0 至" in r.text
    r = http.post(f"/admin/units/{world.health.id}/staffing", data={"csrf_token": token, "staff_count": "86",
                                                                    "confidential_network": "1"})
    assert r.status_code == 303
    with session_scope() as db:
        u = db.get(Unit, world.health.id)
        assert (u.staff_count, u.confidential_network) == (86, True)


def _auth(http, username):
    r = http.post("/api/session", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_the_api(http, world):
    admin, mgr = _auth(http, "admin"), _auth(http, "mgr_edu")
    r = http.get("/api/standards", headers=mgr, params={"q": "笔记本"})
    assert r.status_code == 200 and r.json()["standards"][0]["price_cap"] == "7000.00"
    r = http.post("/api/standards", headers=admin, json={"category_id": world.laptop.id, "price_cap": "abc"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "price_cap"
    r = http.post("/api/standards", headers=mgr, json={"category_id": world.laptop.id, "price_cap": 6000})
    assert r.status_code == 403
    r = http.post("/api/standards", headers=admin, json={"category_id": world.laptop.id, "price_cap": 6000,
                                                         "quantity_share": 60, "min_life_years": 6})
    assert r.status_code == 200 and r.json()["quantity_share"] == 60
    r = http.get(f"/api/categories/{world.laptop.id}/standard", headers=mgr)
    assert r.json()["price_cap"] == "6000.00" and r.json()["min_life_years"] == 6
    r = http.post(f"/api/units/{world.edu.id}/staffing", headers=_auth(http, "sysadmin"),
                  json={"staff_count": 120, "confidential_network": True})
    assert r.status_code == 200 and r.json()["staff_count"] == 120 and r.json()["confidential_network"] is True
    assert http.post(f"/api/units/{world.edu.id}/staffing", headers=admin, json={"staff_count": 1}).status_code == 403
