"""Inventory counts: scans against the ledger, the discrepancy report, settling each line, comparable counts."""

from __future__ import annotations

import re

import pytest
from conftest import login
from factories import add_assets
from sqlmodel import select

from market import counts
from market.errors import InvalidInput, InvalidTransition, PermissionDenied
from market.infra.db import session_scope
from market.models import Asset, DisposalCase
from market.pool import listings as pool


def _warehouse_stock(db, world, n=5):
    listing = pool.receive_items(db, world.user("admin"), world.warehouse.id, world.chair.id, "会议椅", n, "300")
    return list(db.exec(select(Asset).where(Asset.listing_id == listing.id).order_by(Asset.tag)))


def test_count_differences_and_settling(db, world):
    stock = _warehouse_stock(db, world)
    stray = add_assets(db, world.edu, world.laptop, 1, name="笔记本电脑", prefix="STRAY")[0]
    db.commit()
    count = counts.start_count(db, world.user("admin"), warehouse_id=world.warehouse.id)
    assert count.expected == 5
    csv = ("资产编号,时间\n" + "\n".join(a.tag for a in stock[:3]) + f"\n{stock[0].tag}\n{stray.epc}\nNO-SUCH-TAG\n")
    reads = counts.parse_reads(csv.encode("gbk"))
    r = counts.record_reads(db, world.user("admin"), count.id, reads, location="A区3排", condition="良好")
    assert (r.matched, r.unexpected, r.repeated) == (3, 2, 0)
    kinds = sorted(k for k, _, _ in counts.issues(db, count))
    assert kinds.count("missing") == 2 and kinds.count("unexpected") == 2 and kinds.count("wrong_place") == 3
    with pytest.raises(InvalidTransition, match="未处理"):
        counts.close_count(db, world.user("admin"), count.id)
    by = {(k, line.tag): line for k, line, _ in counts.issues(db, count)}
    counts.resolve(db, world.user("admin"), by[("missing", stock[3].tag)].id, "found", "在 B 区找到")
    counts.resolve(db, world.user("admin"), by[("missing", stock[4].tag)].id, "lost")
    with pytest.raises(InvalidInput, match="不能这样处理"):
        counts.resolve(db, world.user("admin"), by[("unexpected", "NO-SUCH-TAG")].id, "lost")
    for (kind, _tag), line in by.items():
        if kind == "unexpected":
            counts.resolve(db, world.user("admin"), line.id, "accepted")
        if kind == "wrong_place":
            counts.resolve(db, world.user("admin"), line.id, "moved")
    counts.close_count(db, world.user("admin"), count.id)
    s = counts.summary(db, count)
    assert s == {"expected": 5, "found": 4, "missing": 1, "unexpected": 2, "accuracy": "80.0%", "accuracy_value": 0.8}
    case = db.exec(select(DisposalCase)).one()
    assert case.method == "loss_writeoff" and case.status == "applied"
    db.refresh(stock[0])
    assert stock[0].location == "A区3排"
    with pytest.raises(InvalidTransition, match="已结束"):
        counts.record_reads(db, world.user("admin"), count.id, [stock[0].tag])


def test_count_permissions_and_bad_files(db, world):
    with pytest.raises(PermissionDenied):
        counts.start_count(db, world.user("mgr_edu"), warehouse_id=world.warehouse.id)
    with pytest.raises(PermissionDenied):
        counts.start_count(db, world.user("mgr_edu"), unit_id=world.health.id)
    assert counts.start_count(db, world.user("mgr_edu"), unit_id=world.edu.id).expected == 0
    with pytest.raises(InvalidInput, match="不是文本"):
        counts.parse_reads(b"\x00\x01\x02")
    with pytest.raises(InvalidInput, match="没有读到"):
        counts.parse_reads(b"")


def test_count_pages(http, world):
    with session_scope(write=True) as db:
        from market.models import User

        admin = db.get(User, world.user("admin").id)
        pool.receive_items(db, admin, world.warehouse.id, world.chair.id, "会议椅", 3, "300")
        tags = [a.tag for a in db.exec(select(Asset).order_by(Asset.tag))]
    login(http, "admin")
    page = http.get("/counts").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = http.post("/counts", data={"csrf_token": token, "scope": f"w:{world.warehouse.id}"})
    assert r.status_code == 303
    url = r.headers["location"]
    files = {"file": ("scan.txt", "\n".join(tags[:2]).encode(), "text/plain")}
    r = http.post(url + "/scan", data={"csrf_token": token}, files=files)
    assert r.status_code == 200 and "账内 2 件" in r.text and "盘亏（未找到）" in r.text
    r = http.post(url + "/scan", data={"csrf_token": token})
    assert r.status_code == 422 and "请扫描或输入标签" in r.text
    r = http.post(url + "/close", data={"csrf_token": token})
    assert r.status_code == 409 and "1 处差异未处理" in r.text
    line = re.search(r'action="(/counts/lines/\d+/resolve)"', http.get(url).text).group(1)
    assert http.post(line, data={"csrf_token": token, "resolution": "found"}).status_code == 303
    assert http.post(url + "/close", data={"csrf_token": token}).status_code == 303
    assert "100.0%" in http.get("/counts").text


@pytest.mark.parametrize("resolution", ["moved", "accepted"])
def test_a_read_outside_the_counts_scope_is_a_tag_and_changes_nothing(db, world, resolution):
    """A unit manager who scans another unit's tags (or warehouse stock) into their own count learns nothing of
    those assets and can change none of them: the line is "not ours", the tag alone."""
    mine = add_assets(db, world.edu, world.chair, 1, prefix="EDU")[0]
    theirs = add_assets(db, world.health, world.laptop, 1, name="卫健委笔记本", prefix="WJW")[0]
    secret = add_assets(db, world.health, world.laptop, 1, name="涉密笔记本", prefix="WJWS", confidential=True)[0]
    stock = _warehouse_stock(db, world, 1)[0]
    db.commit()
    mgr = world.user("mgr_edu")
    before = {a.id: (a.location, a.condition, a.status) for a in (theirs, secret, stock)}
    count = counts.start_count(db, mgr, unit_id=world.edu.id)
    reads = [mine.tag, theirs.tag, secret.epc, stock.tag]
    r = counts.record_reads(db, mgr, count.id, reads, location="教育局三楼", condition="一般")
    db.commit()
    assert (r.matched, r.unexpected) == (1, 3)
    foreign = [(k, line, a) for k, line, a in counts.issues(db, count, mgr) if line.tag != mine.tag]
    assert sorted(line.tag for _, line, _ in foreign) == sorted([theirs.tag, secret.epc, stock.tag])
    assert all(k == "unexpected" and a is None and line.asset_id is None for k, line, a in foreign)
    for _, line, _ in foreign:
        counts.resolve(db, mgr, line.id, resolution)
    db.commit()
    for a in (theirs, secret, stock):
        db.refresh(a)
        assert (a.location, a.condition, a.status) == before[a.id]
