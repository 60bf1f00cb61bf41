"""Issue 14, finding 10: separation of duties in disposal. The applicant unit neither appraises nor sells; a sale
far below book value waits for finance's second approval (the threshold is configurable); the people who must
act next are told; the pages show the true state."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import csrf, login
from factories import add_assets
from sqlmodel import select

from market import disposal as dsp
from market.errors import InvalidInput, InvalidTransition, PermissionDenied
from market.infra.config import settings
from market.infra.db import session_scope
from market.models import Notice


def _case(db, world, value="4881.72", method="sale"):
    assets = add_assets(db, world.edu, world.laptop, 1, name="笔记本电脑", value=value, status="idle")
    db.commit()
    case = dsp.apply_disposal(db, world.user("mgr_edu"), [a.id for a in assets], method, "超过使用年限")
    dsp.approve_disposal(db, world.user("finance"), case.id)
    return case


def _notices(db, user) -> list[Notice]:
    db.expire_all()
    return list(db.exec(select(Notice).where(Notice.user_id == user.id, Notice.kind == "disposal_waiting")
                        .order_by(Notice.id)))


def test_the_issue_s_case_the_applicant_can_neither_appraise_nor_sell(db, world):
    case = _case(db, world)
    mgr = world.user("mgr_edu")
    with pytest.raises(PermissionDenied, match="公物仓管理员"):
        dsp.appraise(db, mgr, case.id, "100", "某评估")
    assert "appraise" not in dsp.next_steps(db, mgr, case)
    dsp.appraise(db, world.user("admin"), case.id, "100", "锦川正信资产评估有限公司")
    with pytest.raises(PermissionDenied, match="公物仓管理员"):
        dsp.sell(db, mgr, case.id, "拍卖", "张三", "100")
    assert dsp.next_steps(db, mgr, case) == []
    assert case.status == "appraised"


def test_a_sale_far_below_book_value_waits_for_finance(db, world):
    case = _case(db, world)  # book value 4,881.72, as in the issue
    admin, finance = world.user("admin"), world.user("finance")
    dsp.appraise(db, admin, case.id, "100", "锦川正信资产评估有限公司")
    dsp.sell(db, admin, case.id, "拍卖", "张三", "100")
    assert case.status == "sale_review" and case.proceeds == Decimal("100.00")
    with pytest.raises(InvalidTransition):
        dsp.remit(db, admin, case.id, "JK-1")  # not sold yet
    with pytest.raises(PermissionDenied):
        dsp.confirm_sale(db, admin, case.id)  # the seller cannot approve its own sale
    with pytest.raises(PermissionDenied):
        dsp.confirm_sale(db, world.user("mgr_edu"), case.id)
    assert dsp.next_steps(db, finance, case) == ["confirm_sale", "reject_sale"]
    dsp.confirm_sale(db, finance, case.id)
    assert case.status == "sold" and case.sale_approved_by == finance.id
    dsp.remit(db, admin, case.id, "JK-1")
    dsp.write_off(db, admin, case.id)
    assert case.status == "disposed"


def test_finance_can_send_a_cheap_sale_back(db, world):
    case = _case(db, world)
    admin, finance = world.user("admin"), world.user("finance")
    dsp.appraise(db, admin, case.id, "100", "某评估")
    dsp.sell(db, admin, case.id, "拍卖", "张三", "100")
    with pytest.raises(InvalidInput):
        dsp.reject_sale(db, finance, case.id, " ")
    dsp.reject_sale(db, finance, case.id, "评估价明显偏低，请重新评估或公开拍卖")
    assert case.status == "appraised" and case.proceeds is None and case.buyer == ""
    dsp.sell(db, admin, case.id, "拍卖", "李四", "2500")  # above half the book value: sold at once
    assert case.status == "sold" and case.sale_approved_by is None


def test_a_sale_at_or_above_the_threshold_needs_no_second_approval(db, world):
    case = _case(db, world, value="1000")
    dsp.appraise(db, world.user("admin"), case.id, "500", "某评估")
    dsp.sell(db, world.user("admin"), case.id, "转让", "张三", "500")  # exactly half the book value
    assert case.status == "sold"


@pytest.mark.parametrize(("share", "price", "status"), [("0.8", "700", "sale_review"), ("0.8", "800", "sold"),
                                                         ("0", "1", "sold")])
def test_the_threshold_is_configurable(db, world, monkeypatch, share, price, status):
    monkeypatch.setenv("GONGWUCANG_SALE_REVIEW", share)
    settings.cache_clear()
    try:
        case = _case(db, world, value="1000")
        dsp.appraise(db, world.user("admin"), case.id, price, "某评估")
        dsp.sell(db, world.user("admin"), case.id, "转让", "张三", price)
        assert case.status == status
    finally:
        monkeypatch.undo()
        settings.cache_clear()


def test_the_people_who_must_act_next_are_told(db, world):
    mgr, admin, finance = world.user("mgr_edu"), world.user("admin"), world.user("finance")
    assets = add_assets(db, world.edu, world.laptop, 1, name="笔记本电脑", value="4881.72", status="idle")
    db.commit()
    case = dsp.apply_disposal(db, mgr, [assets[0].id], "sale", "超过使用年限")
    assert "待审批" in _notices(db, finance)[-1].text
    dsp.approve_disposal(db, finance, case.id)
    assert "待评估" in _notices(db, admin)[-1].text
    dsp.appraise(db, admin, case.id, "100", "某评估")
    dsp.sell(db, admin, case.id, "拍卖", "张三", "100")
    told = _notices(db, finance)[-1]
    assert "财政监管复核" in told.text and "100.00" in told.text and told.link == f"/disposals/{case.id}"
    dsp.reject_sale(db, finance, case.id, "偏低")
    before = len(_notices(db, admin))
    dsp.sell(db, admin, case.id, "拍卖", "张三", "100")  # proposed again: finance is told again
    assert sum("财政监管复核" in n.text for n in _notices(db, finance)) == 2
    dsp.confirm_sale(db, finance, case.id)
    after = _notices(db, admin)
    assert len(after) > before and "待上缴国库" in after[-1].text
    assert "待上缴国库" in _notices(db, mgr)[-1].text  # the unit's manager may remit its own sale
    assert not _notices(db, world.user("staff_edu"))  # unit staff have nothing to do in a disposal


def _as(http, username: str) -> None:
    http.cookies.clear()
    assert login(http, username).status_code == 303


def test_the_pages_show_the_true_state(http, world):
    with session_scope(write=True) as db:
        case = _case(db, world)
        dsp.appraise(db, world.user("admin"), case.id, "100", "某评估")
    url = f"/disposals/{case.id}"
    _as(http, "mgr_edu")
    page = http.get(url).text
    assert "登记成交" not in page and "等待公物仓管理员登记拍卖或转让成交" in page
    r = http.post(url + "/sell", data={"csrf_token": csrf(page), "channel": "拍卖", "buyer": "张三", "proceeds": "100"})
    assert r.status_code == 403 and "公物仓管理员" in r.text
    _as(http, "admin")
    page = http.get(url).text
    assert "须经财政监管复核" in page and "¥2,440.86" in page  # the threshold, half of 4,881.72
    r = http.post(url + "/sell", data={"csrf_token": csrf(page), "channel": "拍卖", "buyer": "张三", "proceeds": "100"})
    assert r.status_code == 303
    page = http.get(url).text
    assert "待财政复核" in page and "拟成交价" in page and "复核通过" not in page
    assert http.post(url + "/confirm_sale", data={"csrf_token": csrf(page)}).status_code == 403
    _as(http, "finance")
    page = http.get(url).text
    assert "复核通过，确认成交" in page and "退回重新出售" in page
    assert http.post(url + "/confirm_sale", data={"csrf_token": csrf(page)}).status_code == 303
    page = http.get(url).text
    assert "已成交" in page and "已复核通过" in page
    assert "等待公物仓管理员或本单位资产管理员登记上缴国库" in page


def test_the_api_takes_the_review_steps(http, world):
    def auth(username):
        token = http.post("/api/session", json={"username": username, "password": "secret-pass-1"}).json()["token"]
        return {"Authorization": f"Bearer {token}"}

    with session_scope(write=True) as db:
        case = _case(db, world)
        dsp.appraise(db, world.user("admin"), case.id, "100", "某评估")
    admin, finance, mgr = auth("admin"), auth("finance"), auth("mgr_edu")
    step = f"/api/disposals/{case.id}/step"
    r = http.post(step, headers=mgr, json={"step": "sell", "channel": "拍卖", "buyer": "张三", "proceeds": "100"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = http.post(step, headers=admin, json={"step": "sell", "channel": "拍卖", "buyer": "张三", "proceeds": "100"})
    assert r.status_code == 200 and r.json()["status"] == "sale_review"
    assert http.post(step, headers=admin, json={"step": "confirm_sale"}).status_code == 403
    r = http.post(step, headers=finance, json={"step": "reject_sale", "reason": "偏低"})
    assert r.status_code == 200 and r.json()["status"] == "appraised"
