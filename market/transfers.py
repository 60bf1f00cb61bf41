"""Ownership transfers between units (调拨): proposed by the owner, approved by the configured role."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import or_
from sqlmodel import Session

from market import approvals
from market.access import require_for_assets, visible
from market.assets import assets_by_ids, snapshot, stamp
from market.errors import InvalidInput, InvalidTransition
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.infra.rows import get_or_404
from market.lists import Column, Filter, ListSpec, by_id, like, local_time, named, numbered
from market.models import ORDER_STATUSES, Order, OrderItem, Unit, User, utcnow
from market.orders import allot_approval, order_items, unit_name, unit_names, unit_options


@transactional
def propose_transfer(db: Session, actor: User, asset_ids: list[int], to_unit_id: int, note: str = "") -> Order:
    if not asset_ids:
        raise InvalidInput("请至少选择一件资产。", "asset_ids")
    assets = assets_by_ids(db, sorted(set(asset_ids)), actor)
    owners = {a.owner_unit_id for a in assets}
    if len(owners) != 1:
        raise InvalidInput("一次调拨的资产须属于同一单位。", "asset_ids")
    owner = owners.pop()
    require_for_assets(actor, "propose_transfer", owner, any(a.warehouse_id is not None for a in assets))
    to_unit = get_or_404(db, Unit, to_unit_id, "to_unit_id")
    if to_unit.id == owner:
        raise InvalidInput("调入单位不能是资产现所属单位。", "to_unit_id")
    for a in assets:
        if a.status not in ("in_use", "idle"):
            raise InvalidTransition(f"资产 {a.tag} 当前状态为“{a.status_label}”，不能调拨（挂牌中的请先撤回）。",
                                    "asset_ids")
    today = utcnow().date()
    order = Order(kind="allot", status="pending", from_unit_id=owner, to_unit_id=to_unit.id,
                  quantity=len(assets), start_date=today, created_by=actor.id, note=note[:500],
                  cost=sum((a.original_value for a in assets), Decimal(0)))
    db.add(order)
    db.flush()
    for a in assets:
        db.add(OrderItem(order_id=order.id, asset_id=a.id, condition_out=a.condition, busy_from=today))
        log_event(db, actor, "asset", a.id, "allot_request", f"申请调拨给{to_unit.name}（{order.number}）",
                  ref=("order", order.id))
    log_event(db, actor, "order", order.id, "create", f"申请调拨 {len(assets)} 件给{to_unit.name}",
              after={"status": "pending"})
    approvals.open_chain(db, allot_approval(order), tell=False)  # the first step: the notice table's transfer_waiting
    return order


def _pending_allot(db: Session, actor: User, order_id: int) -> Order:
    order = visible(db, actor, Order, order_id)
    if order.kind != "allot":
        raise InvalidInput("该单据不是调拨单。")
    approvals.check_turn(db, actor, allot_approval(order))
    if order.status != "pending":
        raise InvalidTransition(f"调拨单 {order.number} 当前状态为“{order.status_label}”，不能审批。")
    return order


@transactional
def approve_transfer(db: Session, actor: User, order_id: int) -> Order:
    order = _pending_allot(db, actor, order_id)
    if approvals.decide(db, actor, allot_approval(order), True) == "next":
        return order
    to_unit = db.get(Unit, order.to_unit_id)
    rows = order_items(db, order.id)
    assets_by_ids(db, [a.id for _, a in rows])  # lock them
    now = utcnow()
    for item, a in rows:
        if a.status not in ("in_use", "idle") or a.owner_unit_id != order.from_unit_id:
            raise InvalidTransition(f"资产 {a.tag} 状态已变为“{a.status_label}”，不能调拨。")
        before = snapshot(a)
        a.owner_unit_id, a.custodian, a.location, a.status = to_unit.id, to_unit.name, to_unit.address, "in_use"
        item.handed_out_at, item.active = now, False
        stamp(a)
        log_event(db, actor, "asset", a.id, "transfer", f"调拨给{to_unit.name}，产权转移", before, snapshot(a),
                  ref=("order", order.id))
    order.status, order.decided_by = "completed", actor.id
    log_event(db, actor, "order", order.id, "approve", f"批准调拨单 {order.number}", {"status": "pending"},
              {"status": "completed"})
    return order


@transactional
def reject_transfer(db: Session, actor: User, order_id: int, reason: str) -> Order:
    if not reason or not reason.strip():
        raise InvalidInput("驳回须填写理由。", "reason")
    order = _pending_allot(db, actor, order_id)
    approvals.decide(db, actor, allot_approval(order), False, reason.strip())
    for item, _ in order_items(db, order.id):
        item.active = False
    order.status, order.decided_by, order.note = "rejected", actor.id, reason.strip()[:500]
    log_event(db, actor, "order", order.id, "reject", f"驳回调拨单 {order.number}：{reason.strip()}",
              {"status": "pending"}, {"status": "rejected"})
    return order


# the states an ownership transfer goes through: proposed, then approved (done at once) or rejected
TRANSFER_STATUSES = {k: ORDER_STATUSES[k] for k in ("pending", "completed", "rejected")}

TRANSFER_LIST = ListSpec(
    key="transfers", title="调拨单", model=Order,
    columns=(
        Column("number", "调拨单号", lambda o, _: o.number),
        Column("from_unit", "调出单位", unit_name("from_unit_id")),
        Column("to_unit", "调入单位", unit_name("to_unit_id")),
        Column("quantity", "数量", lambda o, _: o.quantity),
        Column("cost", "原值合计（元）", lambda o, _: o.cost),
        Column("note", "说明", lambda o, _: o.note),
        Column("created_at", "申请时间", lambda o, _: local_time(o.created_at)),
        Column("status", "状态", lambda o, _: o.status_label),
    ),
    sorts=by_id(Order.id) | {"value": ("原值最高", (Order.cost.desc(), Order.id.desc()))},
    filters=(
        Filter("status", "状态", lambda v: Order.status == v, TRANSFER_STATUSES),
        Filter("unit", "单位", lambda v: or_(Order.to_unit_id == v, Order.from_unit_id == v), options=unit_options),
    ),
    search=(numbered(Order.id), like(Order.note), named(Order.from_unit_id, Unit), named(Order.to_unit_id, Unit)),
    where=lambda actor: Order.kind == "allot",
    lookups=unit_names,
)
