"""The daily journey through real HTTP: idle chairs → a request → approval → matcher → check-out →
return with damage → compensation → the chair's timeline."""

from __future__ import annotations

import re

from conftest import csrf, login
from factories import add_assets
from sqlmodel import select

from market.infra.db import session_scope
from market.models import Asset, DamageRecord, Order, User
from market.pool import listings as pool


def _as(http, username):
    http.cookies.clear()
    assert login(http, username).status_code == 303


def test_journey(http, world):
    with session_scope(write=True) as db:
        chairs = add_assets(db, world.health, world.chair, 6, name="会议椅")
        db.commit()
        pool.post_idle_items(db, db.get(User, world.user("mgr_health").id), [a.id for a in chairs],
                             title="闲置会议椅")

    _as(http, "staff_edu")
    form = http.get("/requests/new").text
    r = http.post("/requests/new", data={
        "csrf_token": csrf(form), "line_count": "5", "title": "教育系统座谈会", "purpose": "大型会议",
        "category_0": str(world.chair.id), "quantity_0": "4", "start_0": "2027-01-10", "end_0": "2027-01-11"})
    req_url = r.headers["location"]

    _as(http, "admin")
    http.post(req_url + "/approve", data={"csrf_token": csrf(http.get(req_url).text)})
    page = http.get("/proposals")
    assert "待调配的已批准申请：<strong>1</strong>" in page.text
    r = http.post("/proposals/run", data={"csrf_token": csrf(page.text), "policy": "tiered", "time_limit": "20"})
    assert r.status_code == 303, r.text
    prop_url = r.headers["location"]
    review = http.get(prop_url).text
    assert "市卫生健康委员会" in review and "单位闲置" in review and "若全部新购" in review and "¥1,400.00" in review
    # Edit: take 3 instead of 4, then accept
    field = re.search(r'name="(q\|R\d+\|L\d+)"', review).group(1)
    r = http.post(prop_url + "/edit", data={"csrf_token": csrf(review), field: "3"})
    assert r.status_code == 303
    assert "未满足 <strong>1</strong> 件" in http.get(prop_url).text
    bad = http.post(prop_url + "/edit", data={"csrf_token": csrf(review), field: "99"})
    assert bad.status_code == 422 and "共需 4 件" in bad.text
    r = http.post(prop_url + "/accept", data={"csrf_token": csrf(review)})
    assert r.status_code == 303
    accepted = http.get(prop_url).text
    assert "已采纳" in accepted
    order_url = re.search(r'href="(/orders/\d+)"', accepted).group(1)

    order_page = http.get(order_url).text
    tags = re.findall(r'name="tag" value="([^"]+)"', order_page)
    assert len(tags) == 3
    wrong = http.post(order_url + "/hand-out", data={"csrf_token": csrf(order_page), "tags": tags[0]})
    assert wrong.status_code == 422 and "未扫描 2 件" in wrong.text
    r = http.post(order_url + "/hand-out", data={"csrf_token": csrf(order_page), "tags": "\n".join(tags)})
    assert r.status_code == 303
    order_page = http.get(order_url).text
    assert "归还验收" in order_page and "出借中" in order_page

    with session_scope() as db:
        assets = {a.tag: a.id for a in db.exec(select(Asset).where(Asset.tag.in_(tags)))}
    broken = assets[tags[0]]
    data = {"csrf_token": csrf(order_page)}
    for aid in assets.values():
        data[f"condition_{aid}"] = "良好"
    data |= {f"condition_{broken}": "待维修", f"cause_{broken}": "user", f"repair_{broken}": "120",
             f"note_{broken}": "椅背断裂"}
    r = http.post(order_url + "/return", data=data)
    assert r.status_code == 303, r.text
    order_page = http.get(order_url).text
    assert "已归还" in order_page and "¥120.00" in order_page and "待赔偿" in order_page
    with session_scope() as db:
        damage = db.exec(select(DamageRecord)).one()
    assert http.post(f"/damages/{damage.id}/settle", data={"csrf_token": csrf(order_page)}).status_code == 303

    timeline = http.get(f"/assets/{broken}").text
    for text in ("挂牌进入公物仓", "调配给市教育局", "出借给市教育局", "归还验收：良好 → 待维修",
                 "市教育局应按维修费赔偿 120.00 元", "收到赔偿 120.00 元", "<svg"):
        assert text in timeline, text
    assert http.get(f"/assets/lookup?tag={tags[0]}").headers["location"] == f"/assets/{broken}"

    # the borrowing unit sees its order; another unit does not
    _as(http, "staff_edu")
    assert http.get(order_url).status_code == 200
    _as(http, "staff_health")
    assert http.get(order_url).status_code == 200  # the lender's unit too
    with session_scope() as db:
        assert db.exec(select(Order)).one().status == "returned"


def test_asset_page_visibility(http, world):
    with session_scope(write=True) as db:
        mine = add_assets(db, world.edu, world.laptop, 1, name="笔记本电脑", prefix="E")[0]
        secret = add_assets(db, world.health, world.laptop, 1, name="涉密笔记本", prefix="S", confidential=True)[0]
        other = add_assets(db, world.health, world.laptop, 1, name="笔记本电脑", prefix="H")[0]
        db.commit()
        ids = mine.id, secret.id, other.id
    _as(http, "staff_edu")
    assert http.get(f"/assets/{ids[0]}").status_code == 200
    assert "涉密资产仅所属单位和财政监管可查看" in http.get(f"/assets/{ids[1]}").text
    assert http.get(f"/assets/{ids[2]}").status_code == 403
    assert http.get("/assets/lookup?tag=NOPE").status_code == 404
    _as(http, "finance")
    assert http.get(f"/assets/{ids[1]}").status_code == 200
    assert http.get("/proposals").status_code == 200
    _as(http, "mgr_edu")
    assert http.get("/proposals").status_code == 403
