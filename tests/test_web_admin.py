"""Administration through real HTTP: units, users and roles, categories, vendors and offers, rules."""

from __future__ import annotations

from conftest import csrf, login
from sqlmodel import select

from market.infra.db import session_scope
from market.models import ApprovalRule, Category, Event, RentalOffer, Unit, User


def _as(http, username):
    http.cookies.clear()
    assert login(http, username).status_code == 303


def test_sysadmin_manages_units_and_users(http, world):
    _as(http, "sysadmin")
    assert http.get("/admin").headers["location"] == "/admin/units"
    page = http.get("/admin/units").text
    r = http.post("/admin/units", data={"csrf_token": csrf(page), "code": "TYJ", "name": "市体育局",
                                        "district": "涪城区", "lat": "31.47", "lng": "104.70"})
    assert r.status_code == 303 and "市体育局" in http.get("/admin/units").text
    r = http.post("/admin/units", data={"csrf_token": csrf(page), "code": "TYJ", "name": "市体育局2",
                                        "district": "涪城区", "lat": "31.47", "lng": "104.70"})
    assert r.status_code == 409 and "已存在" in r.text
    r = http.post("/admin/units", data={"csrf_token": csrf(page), "code": "X", "name": "X",
                                        "district": "涪城区", "lat": "91", "lng": "104.70"})
    assert r.status_code == 422 and "纬度" in r.text
    page = http.get("/admin/users").text
    r = http.post("/admin/users", data={"csrf_token": csrf(page), "username": "zhang.wei", "role": "unit_staff",
                                        "unit": str(world.edu.id), "password": "long-enough-1", "display_name": "张伟"})
    assert r.status_code == 303
    assert login(http.__class__(base_url=http.base_url), "zhang.wei", "long-enough-1").status_code == 303
    with session_scope() as db:
        uid = db.exec(select(User.id).where(User.username == "zhang.wei")).one()
    r = http.post(f"/admin/users/{uid}", data={"csrf_token": csrf(page), "role": "unit_manager",
                                                 "unit": str(world.edu.id), "is_active": ""})
    assert r.status_code == 303
    with session_scope() as db:
        u = db.get(User, uid)
        assert u.role == "unit_manager" and not u.is_active
        assert db.exec(select(Event).where(Event.entity == "user", Event.entity_id == uid)).all()
    r = http.post(f"/admin/users/{world.user('sysadmin').id}", data={"csrf_token": csrf(page), "role": "sysadmin"})
    assert r.status_code == 422 and "不能停用自己" in r.text


def test_categories_vendors_and_rules(http, world):
    _as(http, "admin")  # the warehouse administrator keeps the catalogue and the vendors
    page = http.get("/admin/categories").text
    r = http.post(f"/admin/categories/{world.chair.id}", data={"csrf_token": csrf(page), "transport_rate": "0.75",
                                                               "reference_price": "360"})
    assert r.status_code == 303
    r = http.post(f"/admin/categories/{world.chair.id}", data={"csrf_token": csrf(page), "transport_rate": "-1",
                                                               "reference_price": "360"})
    assert r.status_code == 422 and "运输费率" in r.text
    files = {"file": ("cats.csv", "分类代码,分类名称,参考单价\nA05010301,折叠椅,120\n".encode(), "text/csv")}
    assert http.post("/admin/categories/import", data={"csrf_token": csrf(page)}, files=files).status_code == 303
    files = {"file": ("cats.xlsx", b"PK\x03\x04", "application/octet-stream")}
    r = http.post("/admin/categories/import", data={"csrf_token": csrf(page)}, files=files)
    assert r.status_code == 422 and "只接受 .csv" in r.text
    page = http.get("/admin/vendors").text
    r = http.post("/admin/offers", data={"csrf_token": csrf(page), "vendor": str(world.vendor.id),
                                         "category": str(world.projector.id), "price_per_unit_day": "80",
                                         "delivery_fee": "200", "capacity": ""})
    assert r.status_code == 303
    r = http.post("/admin/offers", data={"csrf_token": csrf(page), "vendor": str(world.vendor.id),
                                         "category": str(world.projector.id), "price_per_unit_day": "abc"})
    assert r.status_code == 422 and "日租金不是有效金额" in r.text
    with session_scope() as db:
        cat = db.get(Category, world.chair.id)
        assert str(cat.transport_rate) == "0.7500" and str(cat.reference_price) == "360.00"
        assert db.exec(select(Category).where(Category.code == "A05010301")).one().name == "折叠椅"
        assert db.exec(select(RentalOffer).where(RentalOffer.category_id == world.projector.id)).one().capacity is None
    assert http.get("/admin/rules").status_code == 403  # rules are the system administrator's
    assert http.get("/admin/users").status_code == 403
    _as(http, "sysadmin")
    page = http.get("/admin/rules").text
    token = csrf(page)
    r = http.post("/admin/rules", data={"csrf_token": token, "action": "loan", "min_value": "50000",
                                        "step1": "unit_manager", "step2": "warehouse_admin", "step3": "finance"})
    assert r.status_code == 303
    with session_scope() as db:
        rule = db.exec(select(ApprovalRule)).one()
        assert rule.steps == ["unit_manager", "warehouse_admin", "finance"]
    page = http.get("/admin/rules").text
    assert "申请单位资产管理员 → 公物仓管理员 → 财政监管" in page and f'action="/admin/rules/{rule.id}/delete"' in page
    # refused with a Chinese message on the same tab, nothing written: an empty chain, a role twice, a duplicate start
    for data, message in [({"step1": ""}, "审批链不能为空"), ({"step1": "finance", "step2": "finance"}, "只能出现一次"),
                          ({"step1": "sysadmin"}, "未知的审批角色")]:
        r = http.post("/admin/rules", data={"csrf_token": token, "action": "loan", "min_value": "1000"} | data)
        assert r.status_code == 422 and message in r.text, message
    r = http.post("/admin/rules", data={"csrf_token": token, "action": "loan", "min_value": "50000.00", "step1": "finance"})
    assert r.status_code == 422 and "的规则已存在" in r.text
    # edit: the chain and the starting amount
    r = http.post(f"/admin/rules/{rule.id}", data={"csrf_token": token, "action": "loan", "min_value": "20000",
                                                  "step1": "unit_manager", "step2": "finance"})
    assert r.status_code == 303
    with session_scope() as db:
        rule = db.get(ApprovalRule, rule.id)
        assert rule.steps == ["unit_manager", "finance"] and rule.min_value == 20000
    r = http.post(f"/admin/rules/{rule.id}", data={"csrf_token": token, "action": "loan", "min_value": "20000"})
    assert r.status_code == 422 and "审批链不能为空" in r.text
    assert http.post(f"/admin/rules/{rule.id}/delete", data={"csrf_token": token}).status_code == 303
    with session_scope() as db:
        assert db.exec(select(ApprovalRule)).all() == []
        assert [e.action for e in db.exec(select(Event).where(Event.entity == "rule").order_by(Event.id))] == [
            "create", "update", "delete"]
    assert http.post(f"/admin/rules/{rule.id}/delete", data={"csrf_token": token}).status_code == 404


def test_admin_refused_to_other_roles(http, world):
    for who in ("staff_edu", "mgr_edu", "finance"):
        _as(http, who)
        assert http.get("/admin").status_code == 403
        page = http.get("/").text
        r = http.post("/admin/units", data={"csrf_token": csrf(page), "code": "Z", "name": "Z", "district": "Z",
                                            "lat": "1", "lng": "1"})
        assert r.status_code == 403
    with session_scope() as db:
        assert db.exec(select(Unit).where(Unit.code == "Z")).first() is None
    _as(http, "sysadmin")
    assert http.get("/admin/nothing").status_code == 404


def test_synonyms_extend_search_without_a_code_change(http, world):
    from factories import add_assets

    from market.models import User
    from market.pool import listings as pool

    with session_scope(write=True) as db:
        tents = add_assets(db, world.health, world.chair, 2, name="帐篷", prefix="T")
        db.commit()
        pool.post_idle_items(db, db.get(User, world.user("mgr_health").id), [a.id for a in tents], title="救灾帐篷")
    _as(http, "admin")
    assert http.get("/", params={"q": "天幕"}).text.count('class="card"') == 0
    page = http.get("/admin/synonyms").text
    r = http.post("/admin/synonyms", data={"csrf_token": csrf(page), "synonyms": "天幕 => 帐篷\n"})
    assert r.status_code == 303
    assert http.get("/", params={"q": "天幕"}).text.count('class="card"') == 1
    r = http.post("/admin/synonyms", data={"csrf_token": csrf(page), "synonyms": "=> 帐篷\n"})
    assert r.status_code == 422 and "同义词表有误" in r.text
    assert "天幕 =&gt; 帐篷" in http.get("/admin/synonyms").text  # the bad save changed nothing
    _as(http, "mgr_edu")
    assert http.get("/admin/synonyms").status_code == 403
