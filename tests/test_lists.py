"""The one list component (market/lists.py) through the orders list: paging past any cap, the total of every
page, search, filters, sort, the same refusal on page and API, and the export of exactly what is filtered."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
from conftest import login
from factories import PASSWORD
from sqlmodel import select

from market.infra.db import session_scope
from market.models import Order


def _auth(http, username):
    r = http.post("/api/session", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _orders(world, n_edu=60, n_health=5):
    with session_scope(write=True) as db:
        for i in range(n_edu + n_health):
            unit = world.edu if i < n_edu else world.health
            db.add(Order(kind="loan", status="allocated" if i % 2 else "on_loan", to_unit_id=unit.id,
                         from_unit_id=world.bureau.id, quantity=1 + i % 3, start_date=date(2026, 12, 1 + i % 20),
                         end_date=date(2026, 12, 25), note="卫健委会议" if unit is world.health else "教育局培训",
                         created_by=world.user("admin").id))
        db.commit()
        return [o.id for o in db.exec(select(Order).order_by(Order.id))]


def test_pages_totals_and_scope(http, world):
    ids = _orders(world)
    admin, staff = _auth(http, "admin"), _auth(http, "staff_edu")
    r = http.get("/api/orders?per_page=20&page=4", headers=admin).json()
    assert (r["total"], r["pages"], r["page"], len(r["orders"])) == (65, 4, 4, 5)
    seen = [o["id"] for p in range(1, 5) for o in http.get(f"/api/orders?per_page=20&page={p}", headers=admin)
            .json()["orders"]]
    assert sorted(seen) == ids  # every row once, newest first by default
    assert seen == sorted(ids, reverse=True)
    mine = http.get("/api/orders?per_page=200", headers=staff).json()
    assert mine["total"] == 60 and {o["to_unit_id"] for o in mine["orders"]} == {world.edu.id}


def test_search_filters_and_sort(http, world):
    ids = _orders(world)
    admin = _auth(http, "admin")
    assert http.get("/api/orders?q=卫健委", headers=admin).json()["total"] == 5
    assert http.get("/api/orders?q=市卫生健康", headers=admin).json()["total"] == 5  # by the unit's name
    number = http.get(f"/api/orders?q={ids[7]}", headers=admin).json()["orders"][0]
    assert http.get(f"/api/orders?q=JC2026{ids[7]:06d}", headers=admin).json()["orders"] == [number]
    on_loan = http.get("/api/orders?status=on_loan&per_page=200", headers=admin).json()
    assert on_loan["total"] == 33 and {o["status"] for o in on_loan["orders"]} == {"on_loan"}
    unit = http.get(f"/api/orders?unit={world.health.id}", headers=admin).json()
    assert unit["total"] == 5
    starts = [o["start_date"] for o in http.get("/api/orders?sort=start&per_page=200", headers=admin).json()["orders"]]
    assert starts == sorted(starts)
    login(http, "admin")
    page = http.get("/orders?q=卫健委&status=on_loan")  # the page reads the same parameters
    assert page.status_code == 200 and "共 3 条" in page.text and page.text.count('href="/orders/') == 3


def test_page_and_api_refuse_the_same_way(http, world):
    admin = _auth(http, "admin")
    login(http, "admin")
    for query, field in (("status=bogus", "status"), ("sort=bogus", "sort"), ("page=0", "page"),
                         ("per_page=100000", "per_page"), ("unit=abc", "unit"), ("export=pdf", "export")):
        api = http.get(f"/api/orders?{query}", headers=admin)
        page = http.get(f"/orders?{query}")
        assert api.status_code == page.status_code == 422, query
        assert api.json()["error"]["field"] == field
        assert api.json()["error"]["message"] in page.text


def test_export_is_exactly_what_is_filtered(http, world):
    _orders(world)
    staff = _auth(http, "staff_edu")
    r = http.get("/api/orders?export=csv", headers=staff)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["单号", "类型"] and len(rows) == 61
    assert all(row[3] == "市教育局" for row in rows[1:])
    login(http, "admin")
    x = http.get("/orders?status=allocated&export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(x.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 1 + 32 and {v[-1] for v in values[1:]} == {"待出库"}
