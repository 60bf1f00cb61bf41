"""Printable documents (单据): what an office prints, signs and files.

Each document is read through the same scoped view its page uses (so whoever may not read the order, count,
disposal or proposal may not print it either) and carries what every paper form of the bureau carries: the
bureau's name, the form's title and number, the moment it was printed, and the signature lines of the people
who sign it. The templates in ``web/templates/print/`` lay them out on A4.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from market.accounts import display_names
from market.counts import CountView, count_detail
from market.disposal import CaseView, case_detail
from market.models import Order, Unit, User, utcnow
from market.orders import OrderView, order_detail
from market.proposals import ProposalView, proposal_detail


@dataclass
class Document:
    """A form ready to print: ``view`` is the scoped view of its page, ``signatures`` the lines to sign."""

    kind: str  # order, count, disposal, proposal: which template lays it out
    title: str
    number: str
    bureau: str
    printed_at: datetime
    view: Any
    signatures: list[str]
    names: dict[int, str]  # user id → display name, for who applied, approved, accepted


def bureau_name(db: Session) -> str:
    """The bureau that runs the warehouse: the name at the head of every form."""
    return db.exec(select(Unit.name).where(Unit.is_bureau.is_(True)).order_by(Unit.id)).first() or "机关事务管理局"


def slip_title(order: Order) -> str:
    """What the paper for an order is called at the step it has reached."""
    if order.kind == "loan":
        return {"allocated": "出库单（出借）", "returned": "归还验收单"}.get(order.status, "出借单")
    if order.kind == "transfer":
        return "调剂出库单" if order.status == "allocated" else "调剂单"
    if order.kind == "allot":
        return "资产调拨单"
    return "租赁单"


def _signatures(order: Order) -> list[str]:
    if order.kind == "rental":
        return ["租赁供应商", "使用单位经办人", "公物仓经办人"]
    if order.kind == "loan" and order.status == "returned":
        return ["归还单位经办人", "验收人", "公物仓负责人"]
    if order.kind == "allot":
        return ["调出单位负责人", "调入单位负责人", "财政部门审核"]
    return ["发出方经办人", "领用单位经办人", "公物仓负责人"]


def order_slip(db: Session, actor: User, order_id: int) -> Document:
    view: OrderView = order_detail(db, actor, order_id)
    o = view.order
    return Document("order", slip_title(o), o.number, bureau_name(db), utcnow(), view, _signatures(o),
                    display_names(db, [o.created_by, o.decided_by]))


def count_report(db: Session, actor: User, count_id: int) -> Document:
    view: CountView = count_detail(db, actor, count_id)
    c = view.count
    return Document("count", "资产盘点报告", f"PD{c.id:06d}", bureau_name(db), utcnow(), view,
                    ["盘点人", "监盘人", "单位负责人"], display_names(db, [c.started_by]))


def disposal_form(db: Session, actor: User, case_id: int) -> Document:
    view: CaseView = case_detail(db, actor, case_id)
    c = view.case
    return Document("disposal", "国有资产处置审批表", c.number, bureau_name(db), utcnow(), view,
                    ["申请单位负责人", "公物仓（机关事务管理局）意见", "财政部门审批意见"],
                    display_names(db, [c.created_by, c.approved_by, c.sale_approved_by, c.early_approved_by]))


def proposal_summary(db: Session, actor: User, proposal_id: int) -> Document:
    view: ProposalView = proposal_detail(db, actor, proposal_id)
    p = view.prop
    return Document("proposal", "资产调配方案汇总表", f"FA{p.id:06d}", bureau_name(db), utcnow(), view,
                    ["编制人", "审核人", "分管领导"], display_names(db, [p.created_by, p.accepted_by]))
