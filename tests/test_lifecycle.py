"""Every lifecycle transition of the ledger, the refused ones included."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from factories import add_assets
from sqlmodel import select

from market import disposal as dsp
from market import orders as ords
from market import transfers
from market.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    MarketError,
    NotAuthenticated,
    PermissionDenied,
)
from market.infra.eventlog import history
from market.models import ApprovalRule, Asset, DamageRecord, Event, Order, Request
from market.pool import listings as pool
from market.requests import LineInput, approve_request, reject_request, submit_request, withdraw_request

D1, D2 = date(2026, 12, 3), date(2026, 12, 5)


def _post_chairs(db, world, n=10, **kw):
    assets = add_assets(db, world.health, world.chair, n)
    db.commit()
    return pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in assets], title="闲置会议椅", **kw), assets


def _approved_request(db, world, qty=5, end=D2, start=D1):
    req = submit_request(db, world.user("staff_edu"), "全市教育工作会议", [LineInput(world.chair.id, qty, start, end)])
    approve_request(db, world.user("admin"), req.id)
    return req


def _line(db, req):
    from market.requests import request_lines

    return request_lines(db, req.id)[0]


# --- pool -------------------------------------------------------------------------------------------


def test_post_idle_items_lists_them_and_logs(db, world):
    listing, assets = _post_chairs(db, world)
    assert listing.tier == "idle" and listing.holder_unit_id == world.health.id
    assert pool.listing_quantity(db, listing.id) == 10
    db.refresh(assets[0])
    assert assets[0].status == "listed" and assets[0].listing_id == listing.id
    assert [e.action for e in history(db, "asset", assets[0].id)] == ["list"]


def test_post_refuses_other_units_assets_and_staff(db, world):
    assets = add_assets(db, world.health, world.chair, 2)
    db.commit()
    with pytest.raises(PermissionDenied):
        pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in assets])
    with pytest.raises(PermissionDenied):
        pool.post_idle_items(db, world.user("staff_health"), [a.id for a in assets])
    with pytest.raises(NotAuthenticated):
        pool.post_idle_items(db, None, [a.id for a in assets])
    assert db.exec(select(Asset).where(Asset.status == "listed")).first() is None


def test_confidential_broken_and_mixed_assets_are_never_listed(db, world):
    secret = add_assets(db, world.health, world.chair, 1, confidential=True, prefix="S")
    broken = add_assets(db, world.health, world.chair, 1, condition="报废", prefix="B")
    laptops = add_assets(db, world.health, world.laptop, 1, name="笔记本电脑", prefix="L")
    chairs = add_assets(db, world.health, world.chair, 1, prefix="C")
    db.commit()
    mgr = world.user("mgr_health")
    with pytest.raises(InvalidTransition, match="涉密"):
        pool.post_idle_items(db, mgr, [secret[0].id])
    with pytest.raises(InvalidTransition, match="报废"):
        pool.post_idle_items(db, mgr, [broken[0].id])
    with pytest.raises(InvalidInput, match="同一资产分类"):
        pool.post_idle_items(db, mgr, [laptops[0].id, chairs[0].id])
    with pytest.raises(InvalidInput, match="截止日期"):
        pool.post_idle_items(db, mgr, [chairs[0].id], available_from=D2, available_until=D1)
    assert db.exec(select(Asset).where(Asset.status == "listed")).first() is None


def test_withdraw_listing_returns_items_and_refuses_twice(db, world):
    listing, assets = _post_chairs(db, world, 3)
    pool.withdraw_listing(db, world.user("mgr_health"), listing.id, "自用")
    db.refresh(assets[0])
    assert listing.status == "withdrawn" and assets[0].status == "in_use" and assets[0].listing_id is None
    with pytest.raises(InvalidTransition):
        pool.withdraw_listing(db, world.user("mgr_health"), listing.id)


def test_withdraw_refused_while_items_are_allocated(db, world):
    listing, _ = _post_chairs(db, world, 5)
    req = _approved_request(db, world, 2)
    ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 2)
    with pytest.raises(InvalidTransition, match="已调配或出借中"):
        pool.withdraw_listing(db, world.user("mgr_health"), listing.id)


def test_receive_items_into_warehouse(db, world):
    listing = pool.receive_items(db, world.user("admin"), world.warehouse.id, world.chair.id, "折叠会议椅", 20,
                                 "280.00", brand="震旦", model="AD-2")
    assert listing.tier == "warehouse" and pool.listing_quantity(db, listing.id) == 20
    tags = db.exec(select(Asset.tag).where(Asset.listing_id == listing.id)).all()
    assert len(set(tags)) == 20 and all(t.startswith("JGSW-") for t in tags)
    with pytest.raises(PermissionDenied):
        pool.receive_items(db, world.user("mgr_edu"), world.warehouse.id, world.chair.id, "椅", 1, "1")
    with pytest.raises(InvalidInput, match="数量"):
        pool.receive_items(db, world.user("admin"), world.warehouse.id, world.chair.id, "椅", 0, "1")


# --- requests ---------------------------------------------------------------------------------------


def test_request_submit_approve_reject_withdraw(db, world):
    staff = world.user("staff_edu")
    req = submit_request(db, staff, "会议", [LineInput(world.chair.id, 5, D1, D2)])
    assert req.status == "submitted" and req.number.startswith("XQ")
    with pytest.raises(PermissionDenied):
        approve_request(db, staff, req.id)
    with pytest.raises(PermissionDenied, match="公物仓管理员"):
        approve_request(db, world.user("finance"), req.id)
    approve_request(db, world.user("admin"), req.id)
    assert req.status == "approved"
    with pytest.raises(InvalidTransition):
        reject_request(db, world.user("admin"), req.id, "重复")
    withdraw_request(db, staff, req.id)
    assert req.status == "withdrawn"
    with pytest.raises(InvalidTransition):
        withdraw_request(db, staff, req.id)
    req2 = submit_request(db, staff, "会议2", [LineInput(world.chair.id, 5, D1, D2)])
    with pytest.raises(InvalidInput, match="理由"):
        reject_request(db, world.user("admin"), req2.id, "  ")
    reject_request(db, world.user("admin"), req2.id, "库存不足，请自行租用")
    assert req2.status == "rejected" and req2.reject_reason.startswith("库存不足")
    assert [e.action for e in history(db, "request", req2.id)] == ["submit", "reject_step", "reject"]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        (dict(quantity=0), "正整数"),
        (dict(quantity=-3), "正整数"),
        (dict(quantity=10**9), "不能超过"),
        (dict(start_date=D2, end_date=D1), "早于"),
        (dict(category_id=999999), "不存在"),
        (dict(priority=0), "优先级"),
    ],
)
def test_request_bad_lines_write_nothing(db, world, line, match):
    args = dict(category_id=world.chair.id, quantity=5, start_date=D1, end_date=D2) | line
    with pytest.raises(MarketError, match=match):
        submit_request(db, world.user("staff_edu"), "会议", [LineInput(**args)])
    assert db.exec(select(Event).where(Event.entity == "request")).first() is None


def test_request_for_another_unit_refused(db, world):
    with pytest.raises(PermissionDenied):
        submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, 1, D1, D2)],
                       unit_id=world.health.id)


def test_approval_threshold_rule_is_configurable(db, world):
    # Above 1,000 元 a loan needs the finance role: 5 chairs × 350 = 1,750 元.
    db.add(ApprovalRule(action="loan", min_value=Decimal("1000"), steps=["finance"]))
    db.commit()
    req = submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, 5, D1, D2)])
    with pytest.raises(PermissionDenied, match="财政监管"):
        approve_request(db, world.user("admin"), req.id)
    approve_request(db, world.user("finance"), req.id)
    small = submit_request(db, world.user("staff_edu"), "小会", [LineInput(world.chair.id, 2, D1, D2)])
    approve_request(db, world.user("admin"), small.id)  # 700 元: still the warehouse administrator


# --- orders -----------------------------------------------------------------------------------------


def test_allocate_needs_approved_request_and_enough_items(db, world):
    listing, _ = _post_chairs(db, world, 3)
    req = submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, 5, D1, D2)])
    with pytest.raises(InvalidTransition, match="尚不能调配"):
        ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 2)
    approve_request(db, world.user("admin"), req.id)
    with pytest.raises(Conflict, match="只剩 3 件"):
        ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 4)
    with pytest.raises(PermissionDenied):
        ords.allocate_from_listing(db, world.user("mgr_edu"), _line(db, req).id, listing.id, 2)
    order = ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 3)
    assert order.kind == "loan" and req.status == "allocated"
    assert db.exec(select(Order)).all() == [order]


def test_pick_list_best_condition_first(db, world):
    assets = (add_assets(db, world.health, world.chair, 2, condition="一般", prefix="A")
              + add_assets(db, world.health, world.chair, 2, condition="全新", prefix="B"))
    db.commit()
    listing = pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in assets])
    req = _approved_request(db, world, 2)
    order = ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 2)
    assert {a.condition for _, a in ords.order_items(db, order.id)} == {"全新"}


def test_same_item_serves_back_to_back_loans_only_after_turnaround(db, world):
    listing, _ = _post_chairs(db, world, 2)
    first = _approved_request(db, world, 2, start=date(2026, 12, 1), end=date(2026, 12, 3))
    ords.allocate_from_listing(db, world.user("admin"), _line(db, first).id, listing.id, 2)
    # Busy until 12-04 (one turnaround day): a loan from 12-04 cannot have them, one from 12-05 can.
    clash = _approved_request(db, world, 2, start=date(2026, 12, 4), end=date(2026, 12, 6))
    with pytest.raises(Conflict):
        ords.allocate_from_listing(db, world.user("admin"), _line(db, clash).id, listing.id, 1)
    later = _approved_request(db, world, 2, start=date(2026, 12, 5), end=date(2026, 12, 6))
    assert ords.allocate_from_listing(db, world.user("admin"), _line(db, later).id, listing.id, 2).quantity == 2


def test_listing_window_and_mode_are_enforced(db, world):
    listing, _ = _post_chairs(db, world, 4, mode="loan", available_until=date(2026, 12, 4))
    req = _approved_request(db, world, 2)  # busy to 12-06 with turnaround
    with pytest.raises(InvalidInput, match="前归还"):
        ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 2)
    perm = _approved_request(db, world, 1, end=None)
    with pytest.raises(InvalidInput, match="只出借"):
        ords.allocate_from_listing(db, world.user("admin"), _line(db, perm).id, listing.id, 1)


def test_hand_out_checks_scanned_tags(db, world):
    listing, _ = _post_chairs(db, world, 3)
    req = _approved_request(db, world, 2)
    order = ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 2)
    tags = [a.tag for _, a in ords.order_items(db, order.id)]
    with pytest.raises(InvalidInput, match="未扫描 1 件"):
        ords.hand_out(db, world.user("admin"), order.id, tags[:1])
    with pytest.raises(PermissionDenied):
        ords.hand_out(db, world.user("mgr_edu"), order.id, tags)
    ords.hand_out(db, world.user("admin"), order.id, tags)
    assert order.status == "on_loan"
    assert {a.status for _, a in ords.order_items(db, order.id)} == {"on_loan"}
    with pytest.raises(InvalidTransition):
        ords.hand_out(db, world.user("admin"), order.id, tags)


def _lent(db, world, n=3):
    listing, _ = _post_chairs(db, world, n)
    req = _approved_request(db, world, n)
    order = ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, n)
    ords.hand_out(db, world.user("admin"), order.id)
    return order, [a for _, a in ords.order_items(db, order.id)]


def test_return_with_user_damage_and_wear(db, world):
    order, items = _lent(db, world, 3)
    a, b, c = items
    ins = {a.id: ords.Inspection("良好"),
           b.id: ords.Inspection("待维修", "user", "椅腿断裂", Decimal("80")),
           c.id: ords.Inspection("一般", "wear", "坐垫磨损")}
    ords.return_loan(db, world.user("admin"), order.id, ins)
    assert order.status == "returned"
    db.refresh(a), db.refresh(b), db.refresh(c)
    assert (a.status, b.status, c.status) == ("listed", "in_repair", "listed")
    recs = {r.asset_id: r for r in db.exec(select(DamageRecord))}
    assert recs[b.id].payer_unit_id == world.edu.id and recs[b.id].amount == Decimal("80.00")
    assert recs[b.id].basis == "repair_cost" and recs[c.id].cause == "wear" and recs[c.id].payer_unit_id is None
    ords.settle_damage(db, world.user("admin"), recs[b.id].id)
    with pytest.raises(InvalidTransition):
        ords.settle_damage(db, world.user("admin"), recs[b.id].id)
    with pytest.raises(InvalidTransition):
        ords.settle_damage(db, world.user("admin"), recs[c.id].id)


def test_destroyed_item_is_owed_at_original_value(db, world):
    order, items = _lent(db, world, 1)
    ords.return_loan(db, world.user("admin"), order.id, {items[0].id: ords.Inspection("报废", "user", "烧毁")})
    rec = db.exec(select(DamageRecord)).one()
    assert rec.amount == Decimal("300.00") and rec.basis == "original_value"


def test_return_refusals(db, world):
    order, items = _lent(db, world, 2)
    a, b = items
    with pytest.raises(InvalidInput, match="逐件验收"):
        ords.return_loan(db, world.user("admin"), order.id, {a.id: ords.Inspection("良好")})
    with pytest.raises(InvalidInput, match="须注明原因"):
        ords.return_loan(db, world.user("admin"), order.id,
                         {a.id: ords.Inspection("待维修"), b.id: ords.Inspection("良好")})
    with pytest.raises(InvalidInput, match="不应登记"):
        ords.return_loan(db, world.user("admin"), order.id,
                         {a.id: ords.Inspection("良好", "user"), b.id: ords.Inspection("良好")})
    with pytest.raises(PermissionDenied):
        ords.return_loan(db, world.user("mgr_edu"), order.id,
                         {a.id: ords.Inspection("良好"), b.id: ords.Inspection("良好")})
    assert order.status == "on_loan" and db.exec(select(DamageRecord)).first() is None
    ords.return_loan(db, world.user("admin"), order.id, {a.id: ords.Inspection("良好"), b.id: ords.Inspection("良好")})
    with pytest.raises(InvalidTransition):
        ords.return_loan(db, world.user("admin"), order.id,
                         {a.id: ords.Inspection("良好"), b.id: ords.Inspection("良好")})


def test_permanent_transfer_moves_ownership(db, world):
    listing, _ = _post_chairs(db, world, 3)
    req = _approved_request(db, world, 2, end=None)
    order = ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 2)
    assert order.kind == "transfer"
    ords.hand_out(db, world.user("admin"), order.id)
    assert order.status == "completed"
    owners = {a.owner_unit_id for _, a in ords.order_items(db, order.id)}
    assert owners == {world.edu.id} and pool.listing_quantity(db, listing.id) == 1


def test_rental_order_and_refusal_for_permanent(db, world):
    req = _approved_request(db, world, 50)
    order = ords.create_rental_order(db, world.user("admin"), _line(db, req).id, world.chair_offer.id, 50, 1800)
    ords.hand_out(db, world.user("admin"), order.id)
    ords.return_loan(db, world.user("admin"), order.id, {})
    assert order.status == "returned"
    perm = _approved_request(db, world, 1, end=None)
    with pytest.raises(InvalidInput, match="不能以租赁"):
        ords.create_rental_order(db, world.user("admin"), _line(db, perm).id, world.chair_offer.id, 1)


def test_cancel_order_frees_items(db, world):
    listing, _ = _post_chairs(db, world, 2)
    req = _approved_request(db, world, 2)
    order = ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 2)
    ords.cancel_order(db, world.user("admin"), order.id, "会议取消")
    assert order.status == "cancelled" and pool.listing_quantity(db, listing.id) == 2
    with pytest.raises(InvalidTransition):
        ords.cancel_order(db, world.user("admin"), order.id)
    again = _approved_request(db, world, 2)
    assert ords.allocate_from_listing(db, world.user("admin"), _line(db, again).id, listing.id, 2)


# --- ownership transfers (调拨) ----------------------------------------------------------------------


def test_ownership_transfer_needs_finance(db, world):
    assets = add_assets(db, world.edu, world.laptop, 2, name="笔记本电脑", value="6000")
    db.commit()
    ids = [a.id for a in assets]
    with pytest.raises(PermissionDenied):
        transfers.propose_transfer(db, world.user("mgr_health"), ids, world.health.id)
    with pytest.raises(InvalidInput, match="不能是"):
        transfers.propose_transfer(db, world.user("mgr_edu"), ids, world.edu.id)
    order = transfers.propose_transfer(db, world.user("mgr_edu"), ids, world.health.id, "支援")
    with pytest.raises(PermissionDenied, match="财政监管"):
        transfers.approve_transfer(db, world.user("admin"), order.id)
    transfers.approve_transfer(db, world.user("finance"), order.id)
    db.refresh(assets[0])
    assert order.status == "completed" and assets[0].owner_unit_id == world.health.id
    with pytest.raises(InvalidTransition):
        transfers.approve_transfer(db, world.user("finance"), order.id)
    other = transfers.propose_transfer(db, world.user("mgr_health"), ids, world.edu.id)
    transfers.reject_transfer(db, world.user("finance"), other.id, "无必要")
    assert other.status == "rejected"


# --- disposal ---------------------------------------------------------------------------------------


def _disposal(db, world, method="sale", n=2):
    assets = add_assets(db, world.edu, world.laptop, n, name="笔记本电脑", value="5000", status="idle")
    db.commit()
    return dsp.apply_disposal(db, world.user("mgr_edu"), [a.id for a in assets], method, "超过使用年限"), assets


def test_sale_disposal_full_path(db, world):
    case, assets = _disposal(db, world, "sale")
    assert case.status == "applied" and case.book_value == Decimal("10000.00")
    with pytest.raises(PermissionDenied):
        dsp.approve_disposal(db, world.user("admin"), case.id)
    dsp.approve_disposal(db, world.user("finance"), case.id)
    with pytest.raises(InvalidTransition):
        dsp.sell(db, world.user("admin"), case.id, "拍卖", "张三", "100")  # not appraised yet
    dsp.appraise(db, world.user("admin"), case.id, "6000", "锦川正信资产评估有限公司", "评报字〔2026〕12号")
    with pytest.raises(InvalidInput, match="低于评估价值"):
        dsp.sell(db, world.user("admin"), case.id, "拍卖", "张三", "5399.99")
    assert case.status == "appraised"
    dsp.sell(db, world.user("admin"), case.id, "拍卖", "张三", "5400")  # above half the book value: no review
    with pytest.raises(InvalidTransition):
        dsp.write_off(db, world.user("admin"), case.id)  # proceeds not yet remitted
    with pytest.raises(PermissionDenied):
        dsp.remit(db, world.user("finance"), case.id, "JK2026-001")
    dsp.remit(db, world.user("admin"), case.id, "JK2026-001")
    dsp.write_off(db, world.user("admin"), case.id)
    db.refresh(assets[0])
    assert case.status == "disposed" and assets[0].status == "disposed"
    assert [e.action for e in history(db, "disposal", case.id)] == [
        "apply", "approve_step", "approve", "appraise", "sell", "remit", "write_off"]


def test_loss_writeoff_and_handover_paths(db, world):
    case, assets = _disposal(db, world, "loss_writeoff", 1)
    dsp.approve_disposal(db, world.user("finance"), case.id)
    with pytest.raises(InvalidTransition):
        dsp.appraise(db, world.user("admin"), case.id, "0", "某评估")
    dsp.write_off(db, world.user("admin"), case.id)
    db.refresh(assets[0])
    assert assets[0].status == "lost"
    gift, _ = _disposal(db, world, "donation", 1)
    dsp.approve_disposal(db, world.user("finance"), gift.id)
    with pytest.raises(PermissionDenied):  # the applicant unit does not value what it gives up
        dsp.appraise(db, world.user("mgr_edu"), gift.id, "500", "某评估")
    dsp.appraise(db, world.user("admin"), gift.id, "500", "某评估")
    with pytest.raises(InvalidTransition):
        dsp.sell(db, world.user("admin"), gift.id, "转让", "x", "500")
    dsp.hand_over(db, world.user("admin"), gift.id, "锦川市希望小学")
    dsp.write_off(db, world.user("admin"), gift.id)
    assert gift.status == "disposed"


def test_disposal_refusals(db, world):
    case, assets = _disposal(db, world, "scrap", 1)
    with pytest.raises(InvalidInput, match="处置方式"):
        dsp.apply_disposal(db, world.user("mgr_edu"), [assets[0].id], "burn", "x")
    with pytest.raises(InvalidTransition, match="处置中"):
        dsp.apply_disposal(db, world.user("mgr_edu"), [assets[0].id], "scrap", "重复申请")
    with pytest.raises(PermissionDenied):
        dsp.apply_disposal(db, world.user("mgr_health"), [assets[0].id], "scrap", "x")
    dsp.reject_disposal(db, world.user("finance"), case.id, "尚可使用")
    db.refresh(assets[0])
    assert case.status == "rejected" and assets[0].status == "idle"
    again = dsp.apply_disposal(db, world.user("mgr_edu"), [assets[0].id], "scrap", "确已损坏")
    dsp.cancel_disposal(db, world.user("mgr_edu"), again.id)
    assert again.status == "cancelled"
    with pytest.raises(InvalidTransition):
        dsp.approve_disposal(db, world.user("finance"), again.id)


def test_a_refused_role_is_told_so_whatever_it_sends(db, world):
    """Steps after approval check who acts before what they sent: a role that may not act gets a refusal,
    not a complaint about its input (which would tell it more than it may know)."""
    sale, _ = _disposal(db, world, "sale", 1)
    gift, _ = _disposal(db, world, "donation", 1)
    for case in (sale, gift):
        dsp.approve_disposal(db, world.user("finance"), case.id)
    outsiders = [world.user(u) for u in ("finance", "staff_edu", "mgr_health")]
    bad_steps = [
        lambda who: dsp.appraise(db, who, sale.id, "-5", ""),  # negative value, no appraiser
        lambda who: dsp.appraise(db, who, sale.id, "abc", "某评估"),  # not a sum of money
        lambda who: dsp.sell(db, who, sale.id, "赠送", "", "-1"),  # unknown channel, no buyer
        lambda who: dsp.hand_over(db, who, gift.id, ""),  # no recipient
        lambda who: dsp.remit(db, who, sale.id, ""),  # no voucher
    ]
    for who in outsiders:
        for step in bad_steps:
            with pytest.raises(PermissionDenied):
                step(who)
    with pytest.raises(InvalidInput):  # the operator is told what is wrong with the input
        dsp.appraise(db, world.user("admin"), sale.id, "-5", "某评估")
    assert (sale.status, gift.status) == ("approved", "approved")


# --- the whole life of one asset ---------------------------------------------------------------------


def test_asset_history_posting_loan_damage_compensation_disposal(db, world):
    listing, assets = _post_chairs(db, world, 1)
    chair = assets[0]
    req = _approved_request(db, world, 1)
    order = ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 1)
    ords.hand_out(db, world.user("admin"), order.id, [chair.tag])
    ords.return_loan(db, world.user("admin"), order.id,
                     {chair.id: ords.Inspection("报废", "user", "会后搬运时摔坏")})
    rec = db.exec(select(DamageRecord)).one()
    ords.settle_damage(db, world.user("admin"), rec.id, "市教育局已转账")
    case = dsp.apply_disposal(db, world.user("mgr_health"), [chair.id], "scrap", "损坏无法修复")
    dsp.approve_disposal(db, world.user("finance"), case.id)
    dsp.appraise(db, world.user("admin"), case.id, "20", "锦川正信资产评估有限公司")
    dsp.sell(db, world.user("admin"), case.id, "拍卖", "锦川再生资源公司", "20")
    dsp.confirm_sale(db, world.user("finance"), case.id)  # 20 of a book value of 300: finance approves again
    dsp.remit(db, world.user("admin"), case.id, "JK-0001")
    dsp.write_off(db, world.user("admin"), case.id)
    actions = [e.action for e in history(db, "asset", chair.id)]
    assert actions == ["list", "allocate", "hand_out", "return", "damage", "compensation", "dispose_apply",
                       "dispose_approve", "appraise", "sell_review", "confirm_sale", "remit", "write_off", "disposed"]
    events = history(db, "asset", chair.id)
    assert all(e.at <= f.at for e, f in zip(events, events[1:], strict=False))
    assert "赔偿 300.00 元" in events[4].summary


def test_tag_sequence_ignores_odd_tags(db, world):
    from market.assets import epc_for
    from market.models import Asset as A

    year = __import__("market.models", fromlist=["utcnow"]).utcnow().year
    for tag in (f"JGSW-{year}-A1", f"JGSW-{year}-000007"):
        db.add(A(tag=tag, epc=epc_for(tag), name="椅", category_id=world.chair.id, owner_unit_id=world.bureau.id))
    db.commit()
    listing = pool.receive_items(db, world.user("admin"), world.warehouse.id, world.chair.id, "会议椅", 2, "300")
    tags = sorted(db.exec(select(Asset.tag).where(Asset.listing_id == listing.id)))
    assert tags == [f"JGSW-{year}-000008", f"JGSW-{year}-000009"]


def test_damaged_item_hands_its_later_booking_to_a_spare(db, world):
    listing, _ = _post_chairs(db, world, 3)
    first = _approved_request(db, world, 2, start=date(2026, 12, 1), end=date(2026, 12, 3))
    o1 = ords.allocate_from_listing(db, world.user("admin"), _line(db, first).id, listing.id, 2)
    later = _approved_request(db, world, 2, start=date(2026, 12, 10), end=date(2026, 12, 11))
    o2 = ords.allocate_from_listing(db, world.user("admin"), _line(db, later).id, listing.id, 2)
    ords.hand_out(db, world.user("admin"), o1.id)
    out = [a for _, a in ords.order_items(db, o1.id)]
    booked = {a.id for _, a in ords.order_items(db, o2.id)}
    broken = next(a for a in out if a.id in booked)
    ords.return_loan(db, world.user("admin"), o1.id, {a.id: ords.Inspection("待维修", "user", "断腿")
                                                     if a.id == broken.id else ords.Inspection("良好") for a in out})
    now_booked = {a.id for it, a in ords.order_items(db, o2.id) if it.active}
    assert broken.id not in now_booked and len(now_booked) == 2
    ords.hand_out(db, world.user("admin"), o2.id)  # goes out whole
    assert db.get(Request, first.id).status == "closed"


def test_transferring_the_last_item_withdraws_the_listing(db, world):
    listing, _ = _post_chairs(db, world, 2)
    req = _approved_request(db, world, 2, end=None)
    order = ords.allocate_from_listing(db, world.user("admin"), _line(db, req).id, listing.id, 2)
    ords.hand_out(db, world.user("admin"), order.id)
    assert listing.status == "withdrawn" and req.status == "closed"
