"""Counts in bulk: a place per read (or none), settling many differences at once (ticked, or every one of a kind),
one loss write-off per owner, a closing summary — and a count of 5,000 items done in a handful of actions."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from conftest import ARTIFACTS, login
from factories import PASSWORD, add_assets, epc_for
from sqlalchemy import insert
from sqlmodel import func, select

from market import counts
from market.errors import InvalidInput
from market.infra.db import session_scope
from market.models import Asset, DisposalCase, DisposalItem, Event, User


def test_each_read_keeps_its_own_place_and_none_means_no_place_check(db, world):
    items = add_assets(db, world.edu, world.chair, 4, prefix="EDU")
    db.commit()
    mgr = world.user("mgr_edu")
    here = items[0].location
    count = counts.start_count(db, mgr, unit_id=world.edu.id)
    csv = ("标签,位置\n" f"{items[0].tag},{here}\n" f"{items[1].tag},会议室B\n" f"{items[2].tag},\n").encode()
    reads = counts.parse_reads(csv)
    assert reads == [(items[0].tag, here), (items[1].tag, "会议室B"), (items[2].tag, "")]
    counts.record_reads(db, mgr, count.id, reads)  # no fallback place: the third read checks no place
    counts.record_reads(db, mgr, count.id, [items[3].tag], location="三楼仓库")  # a typed place for a typed read
    db.commit()
    wrong = sorted(line.tag for k, line, _ in counts.issues(db, count) if k == "wrong_place")
    assert wrong == sorted([items[1].tag, items[3].tag])  # not 4 false mismatches from one place for the scan
    # the API takes a place per read too
    count2 = counts.start_count(db, world.user("mgr_edu"), unit_id=world.edu.id)
    counts.record_reads(db, mgr, count2.id, [(items[0].tag, "档案室"), items[1].tag], location=here)
    db.commit()
    assert [line.tag for k, line, _ in counts.issues(db, count2) if k == "wrong_place"] == [items[0].tag]


def test_settling_by_kind_is_all_or_nothing_and_writes_off_per_owner(db, world):
    add_assets(db, world.edu, world.chair, 3, prefix="EDU")
    db.commit()
    count = counts.start_count(db, world.user("mgr_edu"), unit_id=world.edu.id)
    counts.record_reads(db, world.user("mgr_edu"), count.id, ["STRAY-1", "STRAY-2"])
    db.commit()
    mgr = world.user("mgr_edu")
    missing = [line.id for k, line, _ in counts.issues(db, count) if k == "missing"]
    stray = [line.id for k, line, _ in counts.issues(db, count) if k == "unexpected"]
    with pytest.raises(InvalidInput, match="不能“确认丢失（报损核销）”.*未处理任何差异"):
        counts.settle(db, mgr, count.id, "lost", line_ids=missing + stray)  # a mixed choice settles nothing
    db.rollback()
    assert all(not line.resolution for _, line, _ in counts.issues(db, count))
    with pytest.raises(InvalidInput, match="差异类型无效"):
        counts.settle(db, mgr, count.id, "lost", kind="everything")
    done = counts.settle(db, mgr, count.id, "lost", "库房清点未见", kind="missing")
    assert done.lines == 3 and len(done.cases) == 1
    case = db.exec(select(DisposalCase)).one()
    assert case.method == "loss_writeoff" and case.unit_id == world.edu.id
    assert db.exec(select(func.count()).select_from(DisposalItem).where(DisposalItem.case_id == case.id)).one() == 3
    with pytest.raises(InvalidInput, match="已处理或不属于本盘点"):
        counts.settle(db, mgr, count.id, "found", line_ids=missing[:1])
    db.rollback()
    assert counts.settle(db, mgr, count.id, "accepted", line_ids=stray).lines == 2
    with pytest.raises(InvalidInput, match="没有需要处理的差异"):
        counts.settle(db, mgr, count.id, "accepted", kind="unexpected")
    db.rollback()
    counts.close_count(db, mgr, count.id)
    assert counts.settlement(db, count) == {"lost": 3, "accepted": 2}
    closing = db.exec(select(Event).where(Event.entity == "count", Event.action == "close")).one()
    assert "确认丢失（报损核销） 3 处；确认无误 2 处" in closing.summary


def test_a_count_of_5000_items_settled_in_a_handful_of_actions(http, world):
    """Start, upload the scanner's file, settle the missing and the strays by kind, close: five requests."""
    tags = [f"BIG-{i:06d}" for i in range(5000)]
    with session_scope(write=True) as db:  # 5,000 ledger rows in one statement (the ORM would take seconds)
        db.execute(insert(Asset), [Asset(
            tag=t, epc=epc_for(t), name="会议椅", category_id=world.chair.id, brand="震旦", model="AD-01",
            owner_unit_id=world.edu.id, condition="良好", original_value=Decimal(300), purchase_date=date(2023, 5, 1),
            status="in_use", location="教育局").model_dump(exclude={"id"}) for t in tags])
        db.commit()
    login(http, "mgr_edu")
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/counts").text).group(1)
    actions = 0
    r = http.post("/counts", data={"csrf_token": token, "scope": f"u:{world.edu.id}"})
    actions += 1
    url = r.headers["location"]
    scan = "资产编号,位置\n" + "\n".join(f"{t}," for t in tags[:4900]) + "\nSTRAY-A,\nSTRAY-B,\n"
    r = http.post(url + "/scan", data={"csrf_token": token},
                  files={"file": ("scan.csv", scan.encode(), "text/csv")})
    actions += 1
    assert r.status_code == 200 and "账内 4900 件，账外 2 件" in r.text, re.findall(r"<p class=\"(?:ok|alert)\"[^<]*", r.text)
    assert "全部盘亏（未找到）（100 处）" in r.text and "全部位置不符" not in r.text
    r = http.post(url + "/settle", data={"csrf_token": token, "scope": "missing", "resolution": "lost",
                                         "note": "年度盘点未见"})
    actions += 1
    assert r.status_code == 200 and "已处理 100 处差异，已申请损失核销：" in r.text
    r = http.post(url + "/settle", data={"csrf_token": token, "scope": "selected", "resolution": "accepted"})
    assert r.status_code == 422 and "请先勾选" in r.text  # nothing ticked: a clear error, nothing settled
    lines = re.findall(r'name="line" value="(\d+)"', r.text)
    assert len(lines) == 2
    r = http.post(url + "/settle", data={"csrf_token": token, "scope": "selected", "resolution": "accepted",
                                         "line": lines})
    actions += 1
    assert r.status_code == 200 and "已处理 2 处差异" in r.text
    r = http.post(url + "/close", data={"csrf_token": token})
    actions += 1
    assert r.status_code == 303 and actions == 5
    page = http.get(url).text
    assert "已结束" in page and "确认丢失（报损核销） 100 处；确认无误 2 处" in page
    with session_scope() as db:
        assert db.exec(select(func.count()).select_from(DisposalCase)).one() == 1


def test_settle_through_the_api(http, world):
    with session_scope(write=True) as db:
        items = add_assets(db, world.edu, world.chair, 3, prefix="API")
        tags = [a.tag for a in items]
        db.commit()
    token = http.post("/api/session", json={"username": "mgr_edu", "password": PASSWORD}).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    c = http.post("/api/counts", json={"unit_id": world.edu.id}, headers=h).json()
    r = http.post(f"/api/counts/{c['id']}/reads", headers=h,
                  json={"reads": [{"tag": tags[0], "location": "会议室B"}, tags[1]]})
    assert r.status_code == 200, r.text
    issues = http.get(f"/api/counts/{c['id']}", headers=h).json()["issues"]
    assert sorted(i["kind"] for i in issues) == ["missing", "wrong_place"]
    r = http.post(f"/api/counts/{c['id']}/settle", headers=h, json={"resolution": "found", "lines": "all"})
    assert r.status_code == 422 and r.json()["error"]
    r = http.post(f"/api/counts/{c['id']}/settle", headers=h, json={"resolution": "moved", "kind": "wrong_place"})
    assert r.status_code == 200 and r.json() == {"lines": 1, "cases": []}
    wrong = [i["line_id"] for i in issues if i["kind"] == "missing"]
    r = http.post(f"/api/counts/{c['id']}/settle", headers=h, json={"resolution": "found", "lines": wrong})
    assert r.json()["lines"] == 1
    assert http.post(f"/api/counts/{c['id']}/close", headers=h).status_code == 200


def test_bulk_settle_in_the_browser(page, world):
    with session_scope(write=True) as db:
        add_assets(db, world.edu, world.chair, 6, prefix="WEB")
        db.commit()
        mgr = db.get(User, world.user("mgr_edu").id)
        count = counts.start_count(db, mgr, unit_id=world.edu.id)
        tags = list(db.exec(select(Asset.tag).order_by(Asset.tag)))
        counts.record_reads(db, mgr, count.id, tags[:2] + ["STRAY-X"])
    page.goto("/login")
    page.fill("input[name=username]", "mgr_edu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/counts/{count.id}")
    page.check("input[data-check-all=line]")  # 全选: every unsettled line is ticked
    assert page.locator("input[name=line]:checked").count() == 5
    page.locator("input[name=line][data-kind=unexpected]").uncheck()
    page.select_option("#settle select[name=resolution]", "found")
    page.click("#settle button[type=submit]")
    page.wait_for_selector("p.ok")
    assert "已处理 4 处差异" in page.locator("p.ok").inner_text()
    page.select_option("#settle select[name=scope]", "unexpected")
    page.select_option("#settle select[name=resolution]", "accepted")
    page.click("#settle button[type=submit]")
    page.wait_for_selector("p.ok")
    page.screenshot(path=str(ARTIFACTS / "count-bulk.png"), full_page=True)
    page.click("form[action$='/close'] button")
    page.wait_for_load_state()
    assert "已找到 4 处；确认无误 1 处" in page.locator("p.summary").inner_text()
