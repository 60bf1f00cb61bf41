"""Disposal through the pages: each step by the role allowed to take it, the report kept, the floor enforced."""

from __future__ import annotations

from conftest import csrf, login
from factories import add_assets
from sqlmodel import select

from market.infra.db import session_scope
from market.models import Asset


def _as(http, username):
    http.cookies.clear()
    assert login(http, username).status_code == 303


def test_sale_disposal_through_pages(http, world):
    with session_scope(write=True) as db:
        ids = [a.id for a in add_assets(db, world.edu, world.laptop, 2, name="笔记本电脑", value="5000",
                                        status="idle")]
        db.commit()
    _as(http, "mgr_edu")
    page = http.get("/assets").text
    r = http.post("/disposals", data={"csrf_token": csrf(page), "asset": [str(i) for i in ids], "method": "sale",
                                      "reason": "超过使用年限"})
    assert r.status_code == 303
    url = r.headers["location"]
    assert "已申请" in http.get(url).text and "审批通过" not in http.get(url).text
    _as(http, "finance")
    page = http.get(url).text
    assert "审批通过" in page
    http.post(url + "/approve", data={"csrf_token": csrf(page)})
    _as(http, "admin")
    page = http.get(url).text
    assert "登记评估" in page
    files = {"report": ("report.pdf", b"%PDF-1.4 appraisal", "application/pdf")}
    r = http.post(url + "/appraise", data={"csrf_token": csrf(page), "appraiser": "锦川正信资产评估有限公司",
                                           "value": "6,000"}, files=files)
    assert r.status_code == 303
    page = http.get(url).text
    assert "评估报告" in page and "¥5,400.00" in page  # the 90% floor shown
    assert "¥5,000.00" in page  # and half the book value, below which finance must approve the sale again
    assert http.get(url + "/report").content == b"%PDF-1.4 appraisal"
    r = http.post(url + "/sell", data={"csrf_token": csrf(page), "channel": "拍卖", "buyer": "张三",
                                       "proceeds": "1500"})
    assert r.status_code == 422 and "不得成交" in r.text
    http.post(url + "/sell", data={"csrf_token": csrf(page), "channel": "拍卖", "buyer": "张三", "proceeds": "5900"})
    http.post(url + "/remit", data={"csrf_token": csrf(page), "voucher": "FS2026-0088"})
    r = http.post(url + "/write_off", data={"csrf_token": csrf(page)})
    assert r.status_code == 303
    page = http.get(url).text
    assert "已处置" in page and "FS2026-0088" in page and "上缴国库" in page
    with session_scope() as db:
        assert {a.status for a in db.exec(select(Asset).where(Asset.id.in_(ids)))} == {"disposed"}
    timeline = http.get(f"/assets/{ids[0]}").text
    assert "申请转让" in timeline and "拍卖成交" in timeline and "已处置（转让）" in timeline


def test_disposal_refusals(http, world):
    with session_scope(write=True) as db:
        ids = [a.id for a in add_assets(db, world.edu, world.laptop, 1, name="笔记本电脑", status="idle")]
        db.commit()
    _as(http, "mgr_edu")
    page = http.get("/assets").text
    r = http.post("/disposals", data={"csrf_token": csrf(page), "asset": [str(ids[0])], "method": "sale"})
    assert r.status_code == 422 and "请填写处置理由" in r.text
    url = http.post("/disposals", data={"csrf_token": csrf(page), "asset": [str(ids[0])], "method": "scrap",
                                        "reason": "损坏"}).headers["location"]
    r = http.post(url + "/approve", data={"csrf_token": csrf(page)})
    assert r.status_code == 403  # the unit cannot approve its own disposal
    _as(http, "staff_health")
    assert http.get(url).status_code == 403
    _as(http, "admin")
    page = http.get(url).text
    assert http.post(url + "/explode", data={"csrf_token": csrf(page)}).status_code == 404
    files = {"report": ("report.exe", b"MZ", "application/octet-stream")}
    _as(http, "finance")
    http.post(url + "/approve", data={"csrf_token": csrf(http.get(url).text)})
    _as(http, "admin")
    page = http.get(url).text
    r = http.post(url + "/appraise", data={"csrf_token": csrf(page), "appraiser": "x", "value": "10"}, files=files)
    assert r.status_code == 422 and "PDF、JPG 或 PNG" in r.text
