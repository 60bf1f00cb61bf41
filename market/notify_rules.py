"""Events → recipients: the one table that says who is told of what, in what words, with what link.

Each state change logs one event (``market.infra.eventlog.log_event``); every row here whose ``on`` names that
event's (entity, action) turns it into notices, in the same transaction (``market.notices.follow``). Things that
are not a logged change — a loan falling due, a wish matched by a new listing, sign-in failures — are told with
``market.notices.announce(db, kind, facts, key)``, which reads the same rows by kind.

A row: the notice kind and its Chinese label, the recipients (a small spec below: ``unit_users("unit_id")``,
``managers("from_unit_id")``, ``role("finance")``, ``approvers("action", "value")``, ``person("created_by")``,
combined with ``anyone(...)`` and ``not_actor(...)``), the text and link templates (``str.format`` over the
event's facts) and, optionally, a condition on the facts. The facts of an event come from ``FACTS[entity]``.
Every notice reaches the app; the recipients' own choices add e-mail and the work-chat robot
(``market.channels``). **Adding a step means adding a row**: call ``rule(...)`` (and, for a new entity, give its
facts with ``facts_for(entity)``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from market.approvals import current_approvers
from market.models import (
    NOTICE_KINDS,
    Category,
    DamageRecord,
    DisposalCase,
    Event,
    Order,
    PoolListing,
    Proposal,
    RentalOffer,
    RentalVendor,
    Request,
    RequestLine,
    Unit,
    User,
    Warehouse,
)

UNIT_ROLES = ("unit_staff", "unit_manager")

Facts = dict[str, Any]
Recipients = Callable[[Session, Facts], Iterable[int]]  # a Spec below, or any such function


# --- recipients ----------------------------------------------------------------------------------------------


def unit_users(db: Session, unit_id: int | None) -> list[int]:
    """The active people of a unit who request and receive items (staff and managers)."""
    if unit_id is None:
        return []
    return list(db.exec(select(User.id).where(User.unit_id == unit_id, User.role.in_(UNIT_ROLES), User.is_active)
                        .order_by(User.id)))


def role_users(db: Session, role_name: str) -> list[int]:
    return list(db.exec(select(User.id).where(User.role == role_name, User.is_active).order_by(User.id)))


def unit_managers(db: Session, unit_id: int | None) -> list[int]:
    if unit_id is None:
        return []
    return list(db.exec(select(User.id).where(User.unit_id == unit_id, User.role == "unit_manager", User.is_active)
                        .order_by(User.id)))


class Spec:
    """A recipients spec: called with (db, facts) it names the user ids; ``label`` says who in words (the table
    printed by ``python -m market.notify_rules``)."""

    def __init__(self, label: str, fn: Callable[[Session, Facts], Iterable[int]]) -> None:
        self.label, self.fn = label, fn

    def __call__(self, db: Session, facts: Facts) -> list[int]:
        return list(self.fn(db, facts))


# what the unit fields of the facts stand for, in the printed table
UNIT_FIELDS = {"unit_id": "申请/借用/赔付单位", "from_unit_id": "资产保管单位"}


def of_unit(field: str) -> Spec:
    """The users (staff and managers) of the unit whose id is ``facts[field]``."""
    return Spec(f"{UNIT_FIELDS.get(field, field)}的经办人和资产管理员", lambda db, f: unit_users(db, f.get(field)))


def managers(field: str) -> Spec:
    """The asset managers (单位资产管理员) of the unit whose id is ``facts[field]``."""
    return Spec(f"{UNIT_FIELDS.get(field, field)}的资产管理员", lambda db, f: unit_managers(db, f.get(field)))


def role(name: str) -> Spec:
    """Everyone active with this role."""
    from market.models import ROLES

    return Spec(f"全部{ROLES.get(name, name)}", lambda db, f: role_users(db, name))


def chain_approvers(subject_of: Callable[[Session, Facts], Any]) -> Spec:
    """The people who may decide the current step of the document's approval chain (``market.approvals``): for a
    "unit_manager" step the manager of the document's own unit only."""
    return Spec("审批链当前步骤的审批人", lambda db, f: current_approvers(db, subject_of(db, f)))


def _request_subject(db: Session, f: Facts) -> Any:
    from market.requests import approval_subject

    return approval_subject(db, db.get(Request, f["request_id"]))


def _allot_subject(db: Session, f: Facts) -> Any:
    from market.orders import allot_approval

    return allot_approval(db.get(Order, f["order_id"]))


def _disposal_subject(db: Session, f: Facts) -> Any:
    from market.disposal import approval_subject

    return approval_subject(db.get(DisposalCase, f["case_id"]))


def person(field: str, label: str = "提交人") -> Spec:
    """The one user whose id is ``facts[field]``."""
    return Spec(label, lambda db, f: [f[field]] if f.get(field) else [])


def anyone(*specs: Spec) -> Spec:
    """Everyone any of ``specs`` names, once each, in order."""
    return Spec("、".join(s.label for s in specs),
                lambda db, f: list(dict.fromkeys(uid for s in specs for uid in s(db, f))))


def not_actor(spec: Spec) -> Spec:
    """Those ``spec`` names, but not the person who made the change (they know)."""
    return Spec(f"{spec.label}（操作人除外）", lambda db, f: [uid for uid in spec(db, f) if uid != f.get("actor_id")])


# --- the table -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    kind: str  # the notice's kind (at most 20 characters)
    label: str  # its name in the app, and the e-mail's subject
    to: Recipients
    text: str  # a template over the facts
    link: str  # a template over the facts
    on: tuple[str, str] | None = None  # the logged (entity, action); None: told with ``announce``
    when: Callable[[Facts], bool] | None = None

    def applies(self, facts: Facts) -> bool:
        return self.when is None or bool(self.when(facts))


RULES: list[Rule] = []
_BY_EVENT: dict[tuple[str, str], list[Rule]] = defaultdict(list)
_BY_KIND: dict[str, list[Rule]] = defaultdict(list)
FACTS: dict[str, Callable[[Session, Event], list[Facts]]] = {}


def rule(kind: str, label: str, to: Recipients, text: str, link: str, on: tuple[str, str] | None = None,
         when: Callable[[Facts], bool] | None = None) -> Rule:
    """Add a row to the table: who is told of ``on`` (or of ``announce(kind, …)``), in what words."""
    if len(kind) > 20:
        raise ValueError(f"notice kind too long: {kind}")
    if NOTICE_KINDS.get(kind, label) != label:
        raise ValueError(f"notice kind {kind} has two labels")
    if on is not None and on[0] not in FACTS:
        raise ValueError(f"no facts for entity {on[0]}: add them with facts_for()")
    row = Rule(kind, label, to, text, link, on, when)
    RULES.append(row)
    NOTICE_KINDS[kind] = label
    _BY_KIND[kind].append(row)
    if on is not None:
        _BY_EVENT[on].append(row)
    return row


def facts_for(entity: str) -> Callable[[Callable[[Session, Event], list[Facts]]], Callable]:
    """Register the function that reads the facts of an event about ``entity`` (a list: one notice per item)."""
    def register(fn: Callable[[Session, Event], list[Facts]]) -> Callable[[Session, Event], list[Facts]]:
        FACTS[entity] = fn
        return fn
    return register


def rules_for_event(entity: str, action: str) -> list[Rule]:
    """The rows an event of ``entity`` with ``action`` sets off (rows with action "*" take every action)."""
    return _BY_EVENT.get((entity, action), []) + _BY_EVENT.get((entity, "*"), [])


def rules_for_kind(kind: str) -> list[Rule]:
    return _BY_KIND.get(kind, [])


# --- the facts of each entity --------------------------------------------------------------------------------


def _name(db: Session, model: type, ident: int | None) -> str:
    row = db.get(model, ident) if ident else None
    return row.name if row else ""


@facts_for("request")
def _request_facts(db: Session, ev: Event) -> list[Facts]:
    from market.requests import approval_action_and_value, line_progress, status_text

    req = db.get(Request, ev.entity_id)
    action, value = approval_action_and_value(db, req)
    lines = list(db.exec(select(RequestLine).where(RequestLine.request_id == req.id)))
    state = status_text(req, list(line_progress(db, [x.id for x in lines]).values()))
    return [{"request_id": req.id, "number": req.number, "title": req.title, "unit_id": req.unit_id,
             "unit": _name(db, Unit, req.unit_id), "action": action, "value": value, "value_text": f"{value:.2f}",
             "pieces": sum(x.quantity for x in lines), "reason": req.reject_reason or "",
             "created_by": req.created_by, "state": state, "kind": req.kind}]


def _source(db: Session, order: Order) -> tuple[str, str, bool]:
    """Where an order's items come from, where they are collected, and whether a unit (not a warehouse) holds them."""
    if order.kind == "rental":
        offer = db.get(RentalOffer, order.rental_offer_id) if order.rental_offer_id else None
        vendor = db.get(RentalVendor, offer.vendor_id) if offer else None
        return (f"租赁公司{vendor.name}" if vendor else "租赁公司"), "由租赁公司送达申请地点", False
    listing = db.get(PoolListing, order.listing_id) if order.listing_id else None
    if listing is not None and listing.warehouse_id:
        wh = db.get(Warehouse, listing.warehouse_id)
        return wh.name, f"{wh.name}（{wh.address}）" if wh.address else wh.name, False
    unit = db.get(Unit, order.from_unit_id) if order.from_unit_id else None
    if unit is None:
        return "", "", False
    return unit.name, f"{unit.name}（{unit.address}）" if unit.address else unit.name, True


@facts_for("order")
def _order_facts(db: Session, ev: Event) -> list[Facts]:
    order = db.get(Order, ev.entity_id)
    line = db.get(RequestLine, order.request_line_id) if order.request_line_id else None
    req = db.get(Request, line.request_id) if line else None
    cat = db.get(Category, line.category_id) if line else None
    listing = db.get(PoolListing, order.listing_id) if order.listing_id else None
    source, pickup, unit_held = _source(db, order)
    return [{"order_id": order.id, "number": order.number, "kind": order.kind, "kind_label": order.kind_label,
             "status": order.status, "quantity": order.quantity, "need": line.quantity if line else order.quantity,
             "what": cat.name if cat else (listing.title if listing else "资产"),
             "request": req.number if req else "", "request_id": req.id if req else None,
             "unit_id": order.to_unit_id, "to_unit": _name(db, Unit, order.to_unit_id),
             "from_unit_id": order.from_unit_id, "from_unit": _name(db, Unit, order.from_unit_id),
             "unit_held": unit_held, "source": source, "pickup": pickup, "start": order.start_date,
             "end": order.end_date or "长期", "value": order.cost, "value_text": f"{order.cost:.2f}",
             "action": "ownership_transfer", "created_by": order.created_by, "reason": order.note or "",
             "actor_id": ev.actor_id, "summary": ev.summary}]


@facts_for("proposal")
def _proposal_facts(db: Session, ev: Event) -> list[Facts]:
    prop = db.get(Proposal, ev.entity_id)
    base = {"proposal_id": prop.id, "cost": f"{prop.cost_total:.2f}", "actor_id": ev.actor_id,
            "served": sum(a["quantity"] for a in prop.solution.get("assignments", []))}
    if ev.action != "accept":
        return [base]
    # one notice per request with lines nobody could supply: what is short, and that it goes to purchasing
    short: dict[int, list[str]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    for row in prop.solution.get("unmet", []):
        line = db.get(RequestLine, int(row["request"][1:]))
        if line is None or not row["quantity"]:
            continue
        short[line.request_id].append(f"{_name(db, Category, line.category_id)} {row['quantity']} 件"
                                      f"（共需 {line.quantity} 件）")
        counts[line.request_id] += row["quantity"]
    out = []
    for req_id, parts in sorted(short.items()):
        req = db.get(Request, req_id)
        out.append(base | {"request_id": req.id, "number": req.number, "title": req.title, "unit_id": req.unit_id,
                           "short": counts[req_id], "short_detail": "、".join(parts)})
    return out


@facts_for("disposal")
def _disposal_facts(db: Session, ev: Event) -> list[Facts]:
    from market.disposal import case_sale_text, operators
    from market.infra.config import settings

    case = db.get(DisposalCase, ev.entity_id)
    steps = len(db.exec(select(Event.id).where(Event.entity == "disposal", Event.entity_id == case.id)).all())
    return [{"case_id": case.id, "number": case.number, "status": case.status, "method": case.method,
             "method_label": case.method_label, "unit_id": case.unit_id, "unit": _name(db, Unit, case.unit_id),
             "value": case.book_value, "value_text": f"{case.book_value:.2f}", "action": "disposal",
             "created_by": case.created_by, "operators": operators(db, case), "steps": steps,
             "sale": case_sale_text(case) if case.status == "sale_review" else "",
             "review_share": f"{settings().sale_review_share * 100:.0f}", "actor_id": ev.actor_id}]


@facts_for("asset")
def _asset_facts(db: Session, ev: Event) -> list[Facts]:
    """An asset's event that refers to a damage record: compensation owed or settled."""
    if ev.ref_entity != "damage":
        return []
    rec = db.get(DamageRecord, ev.ref_id)
    order = db.get(Order, rec.order_id) if rec.order_id else None
    from market.models import Asset

    asset = db.get(Asset, rec.asset_id)
    return [{"damage_id": rec.id, "cause": rec.cause, "unit_id": rec.payer_unit_id,
             "unit": _name(db, Unit, rec.payer_unit_id), "amount": f"{rec.amount:.2f}", "tag": asset.tag,
             "asset": asset.name, "order": order.number if order else "", "order_id": order.id if order else None,
             "description": rec.description, "actor_id": ev.actor_id}]


@facts_for("purchase")
def _purchase_facts(db: Session, ev: Event) -> list[Facts]:
    """A purchase batch received: one set of facts per request whose shortfall it was bought for."""
    from market.models import PurchaseBatch, PurchaseNeed

    batch = db.get(PurchaseBatch, ev.entity_id)
    if ev.action != "receive" or batch.listing_id is None:
        return []
    listing = db.get(PoolListing, batch.listing_id)
    wh = db.get(Warehouse, batch.warehouse_id) if batch.warehouse_id else None
    per_request: dict[int, int] = defaultdict(int)
    for line_id, qty in db.exec(select(PurchaseNeed.request_line_id, PurchaseNeed.quantity)
                                .where(PurchaseNeed.batch_id == batch.id)).all():
        line = db.get(RequestLine, line_id)
        per_request[line.request_id] += qty
    out = []
    for req_id, qty in sorted(per_request.items()):
        req = db.get(Request, req_id)
        out.append({"request_id": req.id, "number": req.number, "title": req.title, "unit_id": req.unit_id,
                    "quantity": qty, "what": listing.title, "warehouse": wh.name if wh else "",
                    "listing_id": listing.id, "batch": batch.number, "actor_id": ev.actor_id})
    return out


# --- the rows ------------------------------------------------------------------------------------------------

_loan = lambda f: f["kind"] == "loan"  # noqa: E731
_transfer = lambda f: f["kind"] == "transfer"  # noqa: E731
_rental = lambda f: f["kind"] == "rental"  # noqa: E731
_allot = lambda f: f["kind"] == "allot"  # noqa: E731

# requests
rule("request_waiting", "申请待审批", chain_approvers(_request_subject),
     "{unit}的申请 {number}“{title}”（共 {pieces} 件，参考价值 {value_text} 元）待您审批。",
     "/requests/{request_id}", on=("request", "submit"), when=lambda f: f["kind"] != "acquisition")
rule("request_approved", "申请已批准", of_unit("unit_id"),
     "申请 {number}“{title}”已批准，等待调配。", "/requests/{request_id}", on=("request", "approve"))
rule("request_rejected", "申请被驳回", of_unit("unit_id"),
     "申请 {number}“{title}”被驳回：{reason}", "/requests/{request_id}", on=("request", "reject"))
rule("request_done", "申请已完成", of_unit("unit_id"),
     "申请 {number}“{title}”的单据已全部办结（{state}）。", "/requests/{request_id}", on=("request", "close"))

# acquisition requests (配置申请): the pool's offer, the check against the standards, finance's exception
_ACQ = "/acquisitions/{request_id}"
rule("acq_pool_offer", "配置申请可调剂", of_unit("unit_id"), "配置申请 {number}：{summary}，请先确认是否接收。", _ACQ,
     on=("request", "pool_offer"))
rule("acq_exception", "超标配置待特批", role("finance"), "配置申请 {number}（{unit}）{summary}", _ACQ,
     on=("request", "over_cap"))
for _action in ("decide", "refuse", "exception_approve", "exception_reject"):
    rule("acq_decided", "配置申请已办结", of_unit("unit_id"), "配置申请 {number}：{summary}", _ACQ,
         on=("request", _action))

# the matcher's proposal and what it could not supply
rule("proposal_waiting", "调配方案待审核", not_actor(role("warehouse_admin")),
     "调配方案 #{proposal_id} 待审核：调配 {served} 件，费用 {cost} 元。", "/proposals/{proposal_id}",
     on=("proposal", "create"))
rule("shortfall", "部分未能调配", of_unit("unit_id"),
     "申请 {number}“{title}”有 {short} 件未能从公物仓或租赁调配：{short_detail}。已转集中采购，采购入库时另行通知。",
     "/requests/{request_id}", on=("proposal", "accept"))

rule("purchase_arrived", "采购已入库", of_unit("unit_id"),
     "为申请 {number}“{title}”集中采购的{what} {quantity} 件已入库{warehouse}（采购批次 {batch}）。",
     "/requests/{request_id}", on=("purchase", "receive"))

# orders of a request: allocated per line, the holder's hand-over, out, back
rule("order_allocated", "已调配", of_unit("unit_id"),
     "申请 {request} 的{what}已调配 {quantity} 件（共需 {need} 件），来自{source}；{kind_label} {number}，"
     "请于 {start} 到{pickup}领取。", "/orders/{order_id}", on=("order", "create"), when=lambda f: f["kind"] in (
         "loan", "transfer"))
rule("order_allocated", "已调配", of_unit("unit_id"),
     "申请 {request} 的{what}已安排租赁 {quantity} 件（共需 {need} 件），由{source}于 {start} 送达，{end} 取回；"
     "租赁单 {number}。", "/orders/{order_id}", on=("order", "create"), when=_rental)
rule("holder_handover", "闲置资产待交接", managers("from_unit_id"),
     "贵单位挂牌的{what} {quantity} 件已调配给{to_unit}（{kind_label} {number}），请于 {start} 前备好并交接。",
     "/orders/{order_id}", on=("order", "create"), when=lambda f: f["unit_held"] and f["kind"] != "allot")
rule("order_ready", "物品待领取", of_unit("unit_id"),
     "{kind_label} {number} 的{what} {quantity} 件已备好，请于 {start} 到{pickup}领取。", "/orders/{order_id}")
rule("order_handed_out", "已出库", of_unit("unit_id"),
     "{kind_label} {number}：{what} {quantity} 件已交付{to_unit}，请于 {end} 归还。", "/orders/{order_id}",
     on=("order", "hand_out"), when=_loan)
rule("order_handed_out", "已出库", of_unit("unit_id"),
     "{kind_label} {number}：{what} {quantity} 件已交付{to_unit}，产权已转入贵单位。", "/orders/{order_id}",
     on=("order", "hand_out"), when=_transfer)
rule("order_handed_out", "已出库", of_unit("unit_id"),
     "租赁单 {number}：{what} {quantity} 件已由{source}送达，租期至 {end}。", "/orders/{order_id}",
     on=("order", "hand_out"), when=_rental)
rule("order_returned", "已归还", anyone(of_unit("unit_id"), managers("from_unit_id")),
     "{kind_label} {number}（{to_unit}，{what} {quantity} 件）已归还并验收。", "/orders/{order_id}",
     on=("order", "return"))
rule("order_shrunk", "单据减少", of_unit("unit_id"),
     "{kind_label} {number}（{what}）：{summary}，现为 {quantity} 件。", "/orders/{order_id}",
     on=("order", "shrink"), when=lambda f: f["quantity"] > 0)
rule("order_shrunk", "单据减少", of_unit("unit_id"),
     "{kind_label} {number}（{what}）：{summary}，单据已取消；如仍需要，请重新申请。", "/orders/{order_id}",
     on=("order", "shrink"), when=lambda f: f["quantity"] == 0)
rule("order_cancelled", "单据已取消", of_unit("unit_id"),
     "{kind_label} {number}（{what} {quantity} 件）已取消：{reason}", "/orders/{order_id}", on=("order", "cancel"))
rule("loan_due", "出借即将到期", of_unit("unit_id"),
     "{kind_label} {number}（{quantity} 件）将于 {end} 到期，请按时归还。", "/orders/{order_id}")
rule("loan_overdue", "出借已逾期", anyone(of_unit("unit_id"), role("warehouse_admin")),
     "{kind_label} {number}（{to_unit}，{quantity} 件）已逾期 {late} 天，应于 {end} 归还。", "/orders/{order_id}")

# damage found at a return, and its compensation
rule("damage_owed", "损坏待赔偿", of_unit("unit_id"),
     "{order} 归还验收发现 {tag}（{asset}）损坏：{description}，{unit}应赔偿 {amount} 元。", "/orders/{order_id}",
     on=("asset", "damage"))
rule("damage_settled", "赔偿已到账", of_unit("unit_id"),
     "{tag}（{asset}）的损坏赔偿 {amount} 元已收讫。", "/orders/{order_id}", on=("asset", "compensation"))

# ownership transfers (调拨) between units: waiting for the approver (finance by default), then decided
rule("transfer_waiting", "调拨待审批", chain_approvers(_allot_subject),
     "{from_unit}申请将 {quantity} 件资产（原值 {value_text} 元）调拨给{to_unit}（调拨单 {number}），待您审批。",
     "/orders/{order_id}", on=("order", "create"), when=_allot)
rule("transfer_approved", "调拨已批准", anyone(person("created_by", "申请人"), managers("from_unit_id"),
                                             managers("unit_id")),
     "调拨单 {number}（{from_unit} → {to_unit}，{quantity} 件）已批准，产权已转移。", "/orders/{order_id}",
     on=("order", "approve"), when=_allot)
rule("transfer_rejected", "调拨被驳回", anyone(person("created_by", "申请人"), managers("from_unit_id")),
     "调拨单 {number}（{from_unit} → {to_unit}，{quantity} 件）被驳回：{reason}", "/orders/{order_id}",
     on=("order", "reject"), when=_allot)

# disposal: at every step the people who act next (was disposal.NEXT_ACTORS)
_DISPOSAL_TEXT = "处置单 {number}（{unit}，{method_label}，账面价值 {value_text} 元）"
_ops = Spec("办理人员（公物仓管理员；单位自有资产另含该单位资产管理员）", lambda db, f: f["operators"])
for _status, _to, _what in (
    ("early_review", role("finance"), "未达到最低使用年限（称损毁且无法修复），待提前处置审批"),
    ("applied", chain_approvers(_disposal_subject), "待审批"),
    ("approved", Spec("公物仓管理员（损失核销：办理单位）", lambda db, f: f["operators"] if f["method"] == "loss_writeoff"
                      else role_users(db, "warehouse_admin")), "已审批，待评估"),
    ("appraised", role("warehouse_admin"), "已评估，待成交或交接"),
    ("sold", _ops, "已成交，待上缴国库"),
    ("handed_over", _ops, "已交接，待核销"),
    ("remitted", _ops, "已上缴国库，待核销"),
    ("rejected", person("created_by", "申请人"), "已被驳回"),
):
    # a step of an approval chain leaves the case "applied": its next approvers are told by approval_waiting
    rule("disposal_waiting", "处置单待办理", _to, _DISPOSAL_TEXT + _what + "。", "/disposals/{case_id}",
         on=("disposal", "*"), when=lambda f, s=_status: f["status"] == s and f.get("event") != "approve_step")
rule("disposal_waiting", "处置单待办理", role("finance"),
     "处置单 {number} 拟{sale}，低于账面价值 {value_text} 元的 {review_share}%，须经财政监管复核。",
     "/disposals/{case_id}", on=("disposal", "*"), when=lambda f: f["status"] == "sale_review")

# told without a logged change of their own
rule("approval_waiting", "待审批", Spec("审批链下一步骤的审批人", lambda db, f: f["approvers"]),
     "{name}（{action_label}，{value_text} 元）待您审批：第 {position}/{total} 步，{who}。", "/{path}/{subject_id}")
rule("holder_handed_over", "持有单位已交付", role("warehouse_admin"),
     "{holder}已将{kind_label} {number} 的 {count} 件物品交付给{to_unit}（经办：{actor}）。", "/orders/{order_id}")
rule("holder_took_back", "持有单位已收回", role("warehouse_admin"),
     "{holder}已收回{to_unit}归还的{kind_label} {number} 的 {count} 件物品并验收{damage}（经办：{actor}）。",
     "/orders/{order_id}")
rule("wish_matched", "心愿单有新资产", of_unit("unit_id"),
     "您关注的“{wish}”有新资产进入公物池：{listing}", "/listings/{listing_id}")
rule("login_failures", "登录失败告警", role("sysadmin"), "{text}", "/admin/users")


def table() -> list[tuple[str, str, str, str, str]]:
    """The table in words: (kind, label, event, recipients, text), one line per row."""
    out = []
    for r in RULES:
        event = f"{r.on[0]}.{r.on[1]}" if r.on else "提醒 / announce"
        out.append((r.kind, r.label, event, getattr(r.to, "label", getattr(r.to, "__doc__", "") or "—"), r.text))
    return out


if __name__ == "__main__":  # print the table (Markdown) for the documentation
    print("| kind | 名称 | event | 收件人 | 内容 |\n|---|---|---|---|---|")
    for row in table():
        print("| " + " | ".join(x.replace("|", "/") for x in row) + " |")
