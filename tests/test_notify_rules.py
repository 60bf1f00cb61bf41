"""The one table of events → recipients: each state change tells exactly the people its rows name."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from factories import add_assets, add_user
from sqlmodel import select

from market import notices, transfers
from market import orders as ords
from market.infra.eventlog import log_event
from market.models import NOTICE_KINDS, DamageRecord, Notice, Order, User
from market.notify_rules import RULES, rule, rules_for_event
from market.pool import listings as pool
from market.proposals import accept_proposal, run_matcher
from market.requests import LineInput, approve_request, request_lines, submit_request


def told(db, kind: str) -> list[str]:
    """Who got notices of ``kind``, by username, sorted (a person once per notice)."""
    rows = db.exec(select(User.username).join(Notice, Notice.user_id == User.id).where(Notice.kind == kind)
                   .order_by(User.username, Notice.id)).all()
    return list(rows)


def texts(db, kind: str) -> list[str]:
    return list(db.exec(select(Notice.text).where(Notice.kind == kind).order_by(Notice.id)).all())


def _loan_with_shortfall(db, world):
    """2 idle chairs of 卫健委 lent to 教育局 with 2 projectors nobody has (they go to purchasing)."""
    add_user(db, "admin2", "warehouse_admin", world.bureau)
    chairs = add_assets(db, world.health, world.chair, 2)
    db.commit()
    pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs])
    req = submit_request(db, world.user("staff_edu"), "培训", [
        LineInput(world.chair.id, 2, date(2027, 1, 5), date(2027, 1, 8)),
        LineInput(world.projector.id, 2, date(2027, 1, 5), date(2027, 1, 8))])
    approve_request(db, world.user("admin"), req.id)
    prop = run_matcher(db, world.user("admin"), today=date(2027, 1, 1))
    accept_proposal(db, world.user("admin"), prop.id)
    order = db.exec(select(Order).where(Order.kind == "loan")).one()
    return req, order, chairs


def test_a_loan_tells_each_person_what_they_must_do_or_know(db, world):
    req, order, chairs = _loan_with_shortfall(db, world)
    assert told(db, "request_waiting") == ["admin", "admin2"]  # the approvers of the default rule
    assert told(db, "request_approved") == ["mgr_edu", "staff_edu"]
    assert told(db, "proposal_waiting") == ["admin2"]  # not who ran it
    assert told(db, "order_allocated") == ["mgr_edu", "staff_edu"]
    assert texts(db, "order_allocated")[0] == (
        f"申请 {req.number} 的会议椅已调配 2 件（共需 2 件），来自市卫生健康委员会；出借单 {order.number}，"
        "请于 2027-01-05 到市卫生健康委员会（游仙区东津路9号）领取。")
    assert told(db, "holder_handover") == ["mgr_health"]  # the holding unit's manager hands them over
    assert "请于 2027-01-05 前备好并交接" in texts(db, "holder_handover")[0]
    assert told(db, "shortfall") == ["mgr_edu", "staff_edu"]
    assert "投影仪 2 件（共需 2 件）。已转集中采购" in texts(db, "shortfall")[0]
    assert told(db, "order_ready") == []
    assert notices.sweep_loans(db, date(2027, 1, 4)) == 2  # ready to collect tomorrow: the requesting unit
    assert told(db, "order_ready") == ["mgr_edu", "staff_edu"]

    ords.hand_out(db, world.user("admin"), order.id)
    assert told(db, "order_handed_out") == ["mgr_edu", "staff_edu"]
    assert "请于 2027-01-08 归还" in texts(db, "order_handed_out")[0]
    ords.return_loan(db, world.user("admin"), order.id, {
        chairs[0].id: ords.Inspection("良好"),
        chairs[1].id: ords.Inspection("待维修", "user", "椅腿断裂", Decimal("80"))})
    assert told(db, "order_returned") == ["mgr_edu", "mgr_health", "staff_edu"]
    assert told(db, "damage_owed") == ["mgr_edu", "staff_edu"]
    assert "市教育局应赔偿 80.00 元" in texts(db, "damage_owed")[0]
    rec = db.exec(select(DamageRecord)).one()
    ords.settle_damage(db, world.user("admin"), rec.id)
    assert told(db, "damage_settled") == ["mgr_edu", "staff_edu"]
    assert told(db, "request_done") == ["mgr_edu", "staff_edu"]  # its orders are done; the projectors are not
    assert texts(db, "request_done")[0] == f"申请 {req.number}“培训”的单据已全部办结（已完成（部分未调配）：2 件转集中采购）。"
    # nobody outside the story was told anything
    assert not db.exec(select(Notice).join(User, User.id == Notice.user_id)
                       .where(User.username.in_(["finance", "sysadmin", "staff_health"]))).first()


def test_an_ownership_transfer_waits_for_finance_and_tells_both_units(db, world):
    items = add_assets(db, world.health, world.laptop, 2, name="笔记本电脑", value="5000")
    db.commit()
    order = transfers.propose_transfer(db, world.user("mgr_health"), [a.id for a in items], world.edu.id)
    assert told(db, "transfer_waiting") == ["finance"]
    assert texts(db, "transfer_waiting") == [f"市卫生健康委员会申请将 2 件资产（原值 10000.00 元）调拨给市教育局"
                                             f"（调拨单 {order.number}），待您审批。"]
    transfers.approve_transfer(db, world.user("finance"), order.id)
    assert told(db, "transfer_approved") == ["mgr_edu", "mgr_health"]


def test_a_refused_transfer_tells_who_proposed_it(db, world):
    items = add_assets(db, world.health, world.laptop, 1, name="笔记本电脑")
    db.commit()
    order = transfers.propose_transfer(db, world.user("mgr_health"), [items[0].id], world.edu.id)
    transfers.reject_transfer(db, world.user("finance"), order.id, "该设备须留用")
    assert told(db, "transfer_rejected") == ["mgr_health"]
    assert texts(db, "transfer_rejected")[0].endswith("被驳回：该设备须留用")


def test_every_kind_has_a_label_and_every_template_reads_known_facts():
    kinds = {r.kind for r in RULES}
    assert kinds <= set(NOTICE_KINDS) and all(NOTICE_KINDS[k] for k in kinds)
    assert len(kinds) >= 20
    for r in RULES:
        assert len(r.kind) <= 20 and r.text and r.link.startswith("/")


def test_adding_a_step_is_adding_a_row(db, world):
    """A new event (a chain's next step, say) needs a row and nothing else: log_event then tells its people."""
    before = len(RULES)
    row = rule("test_step", "测试步骤", lambda db, f: [world.user("finance").id],
               "申请 {number} 到了测试步骤。", "/requests/{request_id}", on=("request", "test_step"))
    try:
        req = submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, 1, date(2027, 1, 5),
                                                                             date(2027, 1, 6))])
        log_event(db, world.user("admin"), "request", req.id, "test_step", "测试")
        db.commit()
        assert told(db, "test_step") == ["finance"]
        assert texts(db, "test_step") == [f"申请 {req.number} 到了测试步骤。"]
    finally:
        RULES.remove(row)
        rules_for_event("request", "test_step").remove(row)
        from market.notify_rules import _BY_KIND

        _BY_KIND.pop("test_step")
        NOTICE_KINDS.pop("test_step")
    assert len(RULES) == before


def test_a_rule_for_an_entity_without_facts_is_refused():
    with pytest.raises(ValueError, match="no facts"):
        rule("nothing", "无", lambda db, f: [], "x", "/", on=("nowhere", "x"))


def test_a_later_loan_that_loses_a_damaged_item_tells_its_borrower(db, world):
    """An item booked by two loans comes back broken from the first; the lot has no spare: the second loan
    shrinks (and, left with none, is cancelled) and its unit is told — it may need to ask again."""
    stock = pool.receive_items(db, world.user("admin"), world.warehouse.id, world.chair.id, "库存会议椅", 1, "350")
    first = submit_request(db, world.user("staff_edu"), "培训", [LineInput(world.chair.id, 1, date(2027, 1, 5),
                                                                          date(2027, 1, 6))])
    later = submit_request(db, world.user("staff_health"), "会议", [LineInput(world.chair.id, 1, date(2027, 2, 5),
                                                                            date(2027, 2, 6))])
    orders = []
    for req in (first, later):
        approve_request(db, world.user("admin"), req.id)
        line = request_lines(db, req.id)[0]
        orders.append(ords.allocate_from_listing(db, world.user("admin"), line.id, stock.id, 1))
    ords.hand_out(db, world.user("admin"), orders[0].id)
    chair = ords.order_items(db, orders[0].id)[0][1]
    ords.return_loan(db, world.user("admin"), orders[0].id, {
        chair.id: ords.Inspection("待维修", cause="user", description="椅背开裂", repair_cost=Decimal("60"))})
    db.refresh(orders[1])
    assert orders[1].quantity == 0 and orders[1].status == "cancelled"
    assert told(db, "order_shrunk") == ["mgr_health", "staff_health"]
    assert texts(db, "order_shrunk")[0] == (
        f"出借单 {orders[1].number}（会议椅）：{chair.tag} 归还时损坏且无可替换资产，单据减少 1 件，"
        "单据已取消；如仍需要，请重新申请。")
