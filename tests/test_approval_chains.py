"""Approval chains (issue 16.6): rules with an ordered list of approver roles, each step logged and its approvers
told, a refusal at any step ending the chain, the requesting unit's own manager as a step."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from conftest import login
from factories import PASSWORD, add_assets
from sqlmodel import select

from market import approvals, transfers
from market import disposal as dsp
from market import orders as ords
from market.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from market.infra.db import session_scope
from market.infra.eventlog import history
from market.models import ApprovalRule, ApprovalStep, Notice, User
from market.requests import (
    LineInput,
    approval_chain,
    approve_request,
    reject_request,
    submit_request,
    withdraw_request,
)

D1, D2 = date(2027, 3, 1), date(2027, 3, 3)
THREE = ["unit_manager", "warehouse_admin", "finance"]


def _notices(db, username, kind=None):
    uid = db.exec(select(User.id).where(User.username == username)).one()
    stmt = select(Notice).where(Notice.user_id == uid)
    if kind:
        stmt = stmt.where(Notice.kind == kind)
    return [n.text for n in db.exec(stmt.order_by(Notice.id))]


def _request(db, world, title="年会"):
    return submit_request(db, world.user("staff_edu"), title, [LineInput(world.chair.id, 2, D1, D2)])


def test_three_step_chain_walked_to_approval(db, world):
    approvals.add_rule(db, world.user("sysadmin"), "loan", "0", THREE)
    req = _request(db, world)
    assert [s.status for s in approval_chain(db, req)] == ["pending", "waiting", "waiting"]
    # step 1 is the requesting unit's manager: told at once (the request's own "waiting" row); the later not yet
    assert any("待您审批" in t for t in _notices(db, "mgr_edu", "request_waiting"))
    assert _notices(db, "mgr_health", "request_waiting") == [] and _notices(db, "admin", "request_waiting") == []
    assert _notices(db, "admin", "approval_waiting") == []
    # another unit's manager may not approve step one (nor see the request); the warehouse not before its turn
    with pytest.raises(PermissionDenied):
        approve_request(db, world.user("mgr_health"), req.id)
    with pytest.raises(PermissionDenied, match="第 1/3 步须由申请单位资产管理员（市教育局）审批"):
        approve_request(db, world.user("admin"), req.id)
    with pytest.raises(PermissionDenied):
        approve_request(db, world.user("staff_edu"), req.id)
    approve_request(db, world.user("mgr_edu"), req.id)
    assert req.status == "submitted"
    assert any("第 2/3 步" in t for t in _notices(db, "admin", "approval_waiting"))
    assert _notices(db, "finance", "approval_waiting") == []
    with pytest.raises(PermissionDenied, match="公物仓管理员"):
        approve_request(db, world.user("finance"), req.id)
    approve_request(db, world.user("admin"), req.id)
    assert req.status == "submitted" and any("第 3/3 步" in t for t in _notices(db, "finance", "approval_waiting"))
    assert not any("已批准" in t for t in _notices(db, "staff_edu"))
    approve_request(db, world.user("finance"), req.id)
    assert req.status == "approved" and req.decided_by == world.user("finance").id
    assert any("已批准" in t for t in _notices(db, "staff_edu"))
    chain = approval_chain(db, req)
    assert [(s.status_label, s.decided_by) for s in chain] == [
        ("已批准", "mgr_edu"), ("已批准", "admin"), ("已批准", "finance")]
    assert all(s.decided_at for s in chain) and chain[0].who == "申请单位资产管理员（市教育局）"
    assert [e.action for e in history(db, "request", req.id)] == [
        "submit", "approve_step", "approve_step", "approve_step", "approve"]
    with pytest.raises(InvalidTransition):
        approve_request(db, world.user("finance"), req.id)


def test_refusal_at_step_two_ends_the_chain(db, world):
    approvals.add_rule(db, world.user("sysadmin"), "loan", "0", THREE)
    req = _request(db, world)
    approve_request(db, world.user("mgr_edu"), req.id)
    with pytest.raises(InvalidInput, match="理由"):
        reject_request(db, world.user("admin"), req.id, " ")
    reject_request(db, world.user("admin"), req.id, "与另一场会议冲突")
    assert req.status == "rejected" and req.reject_reason == "与另一场会议冲突"
    assert any("被驳回：与另一场会议冲突" in t for t in _notices(db, "staff_edu"))
    steps = approval_chain(db, req)
    assert [s.status for s in steps] == ["approved", "rejected", "ended"] and steps[1].reason == "与另一场会议冲突"
    assert steps[2].status_label.startswith("未进行")
    assert _notices(db, "finance") == []  # step three is never asked
    with pytest.raises(InvalidTransition):
        approve_request(db, world.user("finance"), req.id)
    assert db.exec(select(ApprovalStep).where(ApprovalStep.subject_id == req.id, ApprovalStep.subject == "request",
                                              ApprovalStep.position == 3)).one().decided_by is None


def test_rules_choose_by_value_and_edits_spare_chains_under_way(db, world):
    sysadmin = world.user("sysadmin")
    small = approvals.add_rule(db, sysadmin, "loan", "0", ["unit_manager"])
    big = approvals.add_rule(db, sysadmin, "loan", "50000", THREE)
    assert approvals.chain_for(db, "loan", Decimal("49999.99")) == ["unit_manager"]
    assert approvals.chain_for(db, "loan", Decimal("50000")) == THREE
    assert approvals.chain_for(db, "disposal", Decimal("1")) == ["finance"]  # no rule: the default
    withdrawn = _request(db, world, "取消的会")
    withdraw_request(db, world.user("staff_edu"), withdrawn.id)
    assert [s.status for s in approval_chain(db, withdrawn)] == ["ended"]
    req = _request(db, world)  # 2 chairs: the one-step rule
    approvals.edit_rule(db, sysadmin, small.id, "loan", "0", ["finance"])
    approve_request(db, world.user("mgr_edu"), req.id)  # the chain it was given still holds
    assert req.status == "approved"
    with pytest.raises(InvalidInput, match="已存在"):
        approvals.edit_rule(db, sysadmin, small.id, "loan", "50000", ["finance"])
    with pytest.raises(InvalidInput, match="审批链不能为空"):
        approvals.add_rule(db, sysadmin, "loan", "100", [])
    with pytest.raises(InvalidInput, match="未知的审批角色"):
        approvals.add_rule(db, sysadmin, "loan", "100", ["boss"])
    with pytest.raises(InvalidInput, match="审批事项"):
        approvals.add_rule(db, sysadmin, "party", "100", ["finance"])
    with pytest.raises(PermissionDenied):
        approvals.add_rule(db, world.user("admin"), "loan", "100", ["finance"])
    approvals.delete_rule(db, sysadmin, big.id)
    assert approvals.chain_for(db, "loan", Decimal("60000")) == ["finance"]
    with pytest.raises(NotFound):
        approvals.delete_rule(db, sysadmin, big.id)


def test_transfer_and_disposal_follow_their_chains(db, world):
    sysadmin = world.user("sysadmin")
    approvals.add_rule(db, sysadmin, "ownership_transfer", "0", ["unit_manager", "warehouse_admin"])
    approvals.add_rule(db, sysadmin, "disposal", "0", ["unit_manager", "finance"])
    a, b = add_assets(db, world.edu, world.chair, 2, status="idle", prefix="C")
    db.commit()
    order = transfers.propose_transfer(db, world.user("mgr_edu"), [a.id], world.health.id)
    with pytest.raises(PermissionDenied):
        transfers.approve_transfer(db, world.user("mgr_health"), order.id)  # the receiving unit's manager
    transfers.approve_transfer(db, world.user("mgr_edu"), order.id)
    assert order.status == "pending"
    view = ords.order_view(db, world.user("admin"), order)
    assert view.can_decide_allot and [s.status for s in view.chain] == ["approved", "pending"]
    assert ords.next_step(db, order) == "待公物仓管理员审批"
    transfers.approve_transfer(db, world.user("admin"), order.id)
    assert order.status == "completed"
    refused = transfers.propose_transfer(db, world.user("mgr_edu"), [b.id], world.health.id)
    transfers.reject_transfer(db, world.user("mgr_edu"), refused.id, "暂不调拨")
    assert refused.status == "rejected" and any("被驳回：暂不调拨" in t for t in _notices(db, "mgr_edu",
                                                                                   "transfer_rejected"))
    case = dsp.apply_disposal(db, world.user("mgr_edu"), [b.id], "scrap", "无法修复")
    assert any("待审批" in t for t in _notices(db, "mgr_edu", "disposal_waiting"))
    with pytest.raises(PermissionDenied):
        dsp.approve_disposal(db, world.user("finance"), case.id)
    dsp.approve_disposal(db, world.user("mgr_edu"), case.id)
    assert case.status == "applied" and dsp.waiting_for(db, case) == "等待财政监管审批"
    assert [(s.status, s.decided_by) for s in dsp.case_detail(db, world.user("finance"), case.id).chain] == [
        ("approved", "mgr_edu"), ("pending", "")]
    dsp.reject_disposal(db, world.user("finance"), case.id, "仍可使用")
    assert case.status == "rejected"


def test_chain_on_the_request_page_and_the_api(http, world):
    with session_scope() as db:
        approvals.add_rule(db, world.user("sysadmin"), "loan", "0", THREE)
        req = _request(db, world)
        req_id = req.id
    login(http, "mgr_edu")
    page = http.get(f"/requests/{req_id}").text
    assert "审批流程" in page and "第 1 步 · 申请单位资产管理员（市教育局）：<strong>待审批</strong>" in page
    assert "第 3 步 · 财政监管：<strong>未开始</strong>" in page and "/approve" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert http.post(f"/requests/{req_id}/approve", data={"csrf_token": token}).status_code == 303
    page = http.get(f"/requests/{req_id}").text
    assert re.search(r"第 1 步 · [^<]*：<strong>已批准</strong>（mgr_edu，20\d\d-", page)
    assert "第 2 步 · 公物仓管理员：<strong>待审批</strong>" in page and f"/requests/{req_id}/approve" not in page
    http.cookies.clear()
    login(http, "mgr_health")
    assert http.get(f"/requests/{req_id}").status_code == 403
    # the API: the chain in the request, a step approved, refused for someone whose turn it is not
    r = http.post("/api/session", json={"username": "finance", "password": PASSWORD})
    finance = {"Authorization": f"Bearer {r.json()['token']}"}
    r = http.post("/api/session", json={"username": "admin", "password": PASSWORD})
    admin = {"Authorization": f"Bearer {r.json()['token']}"}
    body = http.get(f"/api/requests/{req_id}", headers=admin).json()
    assert [s["status"] for s in body["approval"]] == ["approved", "pending", "waiting"]
    r = http.post(f"/api/requests/{req_id}/approve", headers=finance)
    assert r.status_code == 403 and "公物仓管理员" in r.json()["error"]["message"]
    assert http.post(f"/api/requests/{req_id}/approve", headers=admin).status_code == 200
    assert http.post(f"/api/requests/{req_id}/approve", headers=finance).json()["status"] == "approved"


def test_rules_through_the_api(http, world):
    r = http.post("/api/session", json={"username": "sysadmin", "password": PASSWORD})
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    r = http.post("/api/rules", headers=auth, json={"action": "ownership_transfer", "min_value": "50000",
                                                    "steps": THREE})
    assert r.status_code == 200 and r.json()["steps"] == THREE
    rule_id = r.json()["id"]
    r = http.post("/api/rules", headers=auth, json={"action": "ownership_transfer", "min_value": 50000,
                                                    "steps": ["finance"]})
    assert r.status_code == 422 and "已存在" in r.json()["error"]["message"]
    r = http.post("/api/rules", headers=auth, json={"action": "loan", "min_value": "0", "steps": []})
    assert r.status_code == 422
    r = http.put(f"/api/rules/{rule_id}", headers=auth, json={"action": "ownership_transfer", "min_value": "40000",
                                                               "steps": ["unit_manager", "finance"]})
    assert r.status_code == 200 and r.json()["steps"] == ["unit_manager", "finance"]
    assert [x["min_value"] for x in http.get("/api/rules", headers=auth).json()["rules"]] in (["40000.00"], [40000.0])
    assert http.delete(f"/api/rules/{rule_id}", headers=auth).status_code == 200
    assert http.delete(f"/api/rules/{rule_id}", headers=auth).status_code == 404
    with session_scope() as db:
        assert db.exec(select(ApprovalRule)).all() == []
