"""Bulk import in the browser's path: upload, a background job with progress, the row-error report."""

from __future__ import annotations

import time

from conftest import csrf, login
from sqlmodel import func, select

from market.infra.db import session_scope
from market.models import Asset


def _wait(http, url):
    for _ in range(200):
        page = http.get(url).text
        if 'http-equiv="refresh"' not in page:
            return page
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def test_upload_progress_and_result(http, world):
    login(http, "mgr_edu")
    page = http.get("/imports/new").text
    assert "市教育局" in page and "从台账导入" not in page
    good = "资产名称,资产分类代码,规格型号,数量,原值,取得日期,使用状况,存放地点\n" + "".join(
        f"会议椅,A05010201,AD-{i},2,600,2023-05-01,良好,三楼会议室\n" for i in range(50))
    r = http.post("/imports", data={"csrf_token": csrf(page), "unit": str(world.edu.id)},
                  files={"file": ("台账.csv", good.encode("utf-8"), "text/csv")})
    assert r.status_code == 303 and r.headers["location"].startswith("/imports/")
    done = _wait(http, r.headers["location"])
    assert "导入完成：新增 <strong>100</strong> 件资产" in done
    with session_scope() as db:
        assert db.exec(select(func.count()).select_from(Asset).where(Asset.owner_unit_id == world.edu.id)).one() == 100
    bad = "资产名称,资产分类代码,数量,原值\n会议椅,A05010201,2,600\n投影仪,X9999,1,abc\n,A05010201,0,1\n"
    r = http.post("/imports", data={"csrf_token": csrf(page), "unit": str(world.edu.id)},
                  files={"file": ("坏台账.csv", bad.encode("utf-8"), "text/csv")})
    report = _wait(http, r.headers["location"])
    assert "未导入任何数据" in report and "X9999" in report and report.count("<tr>") >= 4
    with session_scope() as db:
        assert db.exec(select(func.count()).select_from(Asset).where(Asset.owner_unit_id == world.edu.id)).one() == 100


def test_import_refusals(http, world):
    login(http, "mgr_edu")
    page = http.get("/imports/new").text
    r = http.post("/imports", data={"csrf_token": csrf(page), "unit": str(world.health.id)},
                  files={"file": ("a.csv", b"x", "text/csv")})
    assert r.status_code == 403
    r = http.post("/imports", data={"csrf_token": csrf(page), "unit": str(world.edu.id)})
    assert r.status_code == 422 and "请选择要导入" in r.text
    http.cookies.clear()
    login(http, "staff_edu")
    assert http.get("/imports/new").status_code == 403
    http.cookies.clear()
    login(http, "mgr_health")
    assert http.get("/imports/0123456789abcdef01234567").status_code == 404


def test_bulk_posting_idle_items_from_a_spreadsheet(http, world):
    login(http, "mgr_edu")
    page = http.get("/imports/new").text
    sheet = ("资产名称,资产分类代码,数量,原值,资产状态,是否涉密\n会议椅,A05010201,6,1800,闲置,否\n"
             "笔记本电脑,A02010105,2,12000,闲置,否\n笔记本电脑,A02010105,1,6000,闲置,是\n投影仪,A02020100,1,4500,在用,否\n")
    r = http.post("/imports", data={"csrf_token": csrf(page), "unit": str(world.edu.id), "post": "1"},
                  files={"file": ("闲置资产.csv", sheet.encode("utf-8"), "text/csv")})
    done = _wait(http, r.headers["location"])
    assert "新增 <strong>10</strong> 件资产" in done and "已挂牌到公物池" in done
    assert "（6 件）" in done and "（2 件）" in done  # the confidential laptop and the projector in use stay
    http.cookies.clear()
    login(http, "staff_health")
    assert "会议椅" in http.get("/", params={"q": "会议椅", "tier": "idle"}).text
