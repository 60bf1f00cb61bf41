"""Acquisition requests (配置申请): a unit asks to buy N items of a category. 先调剂后配置: the matcher first looks
for them in the warehouse and the virtual pool (permanent transfer, no rentals) and the unit — or a warehouse
administrator — takes what the pool offers before anything is bought; what is left is checked against the
configuration standards (``market.standards``: the quantity cap of the unit's holdings, the price cap by rank).
Within the standards it becomes a purchase need for central purchasing; over them it is refused with the reason,
or, if the unit asked for it, goes to finance as an exception (特批), whose approval sends it to purchasing.

An acquisition request is a ``Request`` of kind "acquisition" with one permanent line: one list, one status and
one timeline with the other requests; what only it carries is its ``Acquisition`` row."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

import matcher
from market import standards
from market.access import UNIT_ROLES, can, require, require_user, visible
from market.catalogue import leaf_categories
from market.errors import InvalidInput, InvalidTransition, PermissionDenied
from market.fields import amount
from market.fields import text as clean_text
from market.infra.db import transactional
from market.infra.eventlog import history, log_event
from market.infra.rows import get_or_404, locked
from market.lists import Column, Filter, ListSpec, by_id, like, local_time, named, names, numbered
from market.models import (
    ACQUISITION_OUTCOMES,
    REQUEST_STATUSES,
    Acquisition,
    Category,
    Event,
    Order,
    Proposal,
    PurchaseNeed,
    Request,
    RequestLine,
    Unit,
    User,
    utcnow,
)
from market.orders import own_unit_options
from market.proposals import ReviewLine, build_problem, realise, review_lines, store_proposal
from market.requests import LineProgress, line_progress, status_text

MAX_QUANTITY = 10_000
POOL_TIME_LIMIT = 10.0  # seconds for the matcher on one acquisition request (a small problem: one line)
EXCEPTION_DECIDERS = frozenset({"finance"})


# --- the standards check -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapCheck:
    """The remainder of an acquisition request against the standards, with the figures a reader checks."""

    price_cap: Decimal | None  # 元 for the request's rank; None: the standard sets no price cap here
    over_price: bool
    price_text: str
    quantity_cap: int | None  # units the unit may hold in the category's cap group; None: no quantity cap
    holdings: int  # units the unit holds in that group now (before the request)
    asked: int  # units the request asks for (the pool's share included: it is part of what the unit will hold)
    over_quantity: bool
    quantity_text: str

    @property
    def over(self) -> bool:
        return self.over_price or self.over_quantity

    @property
    def reasons(self) -> list[str]:
        return [t for t, over in ((self.price_text, self.over_price), (self.quantity_text, self.over_quantity)) if over]

    def as_json(self) -> dict[str, Any]:
        return {"price_cap": None if self.price_cap is None else str(self.price_cap), "over_price": self.over_price,
                "price_text": self.price_text, "quantity_cap": self.quantity_cap, "holdings": self.holdings,
                "asked": self.asked, "over_quantity": self.over_quantity, "quantity_text": self.quantity_text}


def check_caps(db: Session, unit: Unit, category: Category, quantity: int, unit_price: Decimal, rank: str) -> CapCheck:
    """``quantity`` more of ``category`` at ``unit_price`` for ``unit`` (at ``rank``) against the standards:
    holdings + quantity ≤ the quantity cap of the category's cap group (the confidential-network share for a unit
    that runs one), the unit price ≤ the price cap for the rank."""
    m = category.measure_unit or "件"
    cap = standards.price_cap(db, category.id, rank or None)
    rank_label = standards.RANKS.get(rank, "")
    where = f"{category.name}{'，' + rank_label if rank_label else ''}"
    if cap is None:
        price_text, over_price = f"{where}：配置标准未规定价格上限", False
    else:
        over_price = unit_price > cap
        price_text = (f"拟购单价 {unit_price:,.2f} 元 {'>' if over_price else '≤'} 价格上限 {cap:,.2f} 元（{where}）")
    q = standards.quantity_cap(db, unit, category.id)
    if q.share is None:
        return CapCheck(cap, over_price, price_text, None, 0, quantity, False, f"{category.name}：配置标准未规定数量上限")
    held = standards.holdings(db, unit, q.key)
    if q.cap is None:
        return CapCheck(cap, over_price, price_text, None, held, quantity, False,
                        f"{q.group}：单位未登记编制内实有人数，未能核定数量上限（已有 {held} {m}）")
    over_q = held + quantity > q.cap
    confidential = unit.confidential_network and standards.standard_for(db, category.id).quantity_share_confidential
    basis = f"编制 {q.staff} 人 × {q.share}%{'（涉密网络）' if confidential else ''}"
    quantity_text = (f"{q.group}：已有 {held} {m} + 申请 {quantity} {m} {'>' if over_q else '≤'} 上限 {q.cap} {m}"
                     f"（{basis}）")
    return CapCheck(cap, over_price, price_text, q.cap, held, quantity, over_q, quantity_text)


# --- submit, the pool, the decision ------------------------------------------------------------------------


@dataclass
class AcquisitionInput:
    category_id: int
    quantity: int
    unit_price: Decimal | str | float
    reason: str
    rank: str = ""
    exception_wanted: bool = False  # over a standard: send it to finance instead of taking the refusal


def _check_input(db: Session, data: AcquisitionInput) -> tuple[Category, Decimal, str]:
    """Every field of the form at once: all its mistakes in one message, the first one's field named."""
    errors: list[tuple[str, str]] = []
    cat = db.get(Category, data.category_id) if isinstance(data.category_id, int) else None
    if cat is None or not cat.is_leaf:
        errors.append(("请选择要配置的资产分类（末级分类）。", "category_id"))
    q = data.quantity
    if not isinstance(q, int) or isinstance(q, bool) or not 1 <= q <= MAX_QUANTITY:
        errors.append((f"数量须为 1 至 {MAX_QUANTITY} 的整数。", "quantity"))
    price = Decimal(0)
    try:
        price = amount(data.unit_price, "unit_price", "拟购单价")
        if price <= 0:
            errors.append(("拟购单价须大于 0。", "unit_price"))
    except InvalidInput as exc:
        errors.append((exc.message, "unit_price"))
    if data.rank not in ("", *standards.RANKS):
        errors.append((f"职级须为：{'、'.join(f'{k}（{v}）' for k, v in standards.RANKS.items())}，或不填。", "rank"))
    reason = ""
    try:
        reason = clean_text(data.reason, Acquisition.reason, "reason", "申请理由", required=True)
    except InvalidInput as exc:
        errors.append((exc.message, "reason"))
    if errors:
        raise InvalidInput("；".join(m for m, _ in errors), errors[0][1])
    return cat, price, reason


@transactional
def submit_acquisition(db: Session, actor: User, data: AcquisitionInput, unit_id: int | None = None) -> Request:
    """File the request and look at the pool for it at once (先调剂): if the pool can give any of it, the request
    waits for the unit's answer to that offer; if not, the standards check decides straight away."""
    unit_id = unit_id if unit_id is not None else actor.unit_id
    require(actor, "submit_request", unit_id)
    unit = get_or_404(db, Unit, unit_id, "unit_id")
    cat, price, reason = _check_input(db, data)
    today = utcnow().date()
    req = Request(unit_id=unit.id, created_by=actor.id, kind="acquisition", purpose="日常办公",
                  title=f"配置申请：{cat.name} × {data.quantity}", place=unit.address, lat=unit.lat, lng=unit.lng,
                  status="approved")
    db.add(req)
    db.flush()
    db.add(RequestLine(request_id=req.id, category_id=cat.id, quantity=data.quantity, start_date=today,
                       end_date=None, note=reason[:500]))
    acq = Acquisition(request_id=req.id, rank=data.rank, unit_price=price, reason=reason,
                      exception_wanted=bool(data.exception_wanted), remainder=data.quantity)
    db.add(acq)
    db.flush()
    log_event(db, actor, "request", req.id, "submit",
              f"提交配置申请：{cat.name} {data.quantity} {cat.measure_unit}，拟购单价 {price:,.2f} 元",
              after={"status": "submitted", "kind": "acquisition"})
    _look_at_pool(db, actor, req, acq)
    return req


def _line(db: Session, req: Request) -> RequestLine:
    return db.exec(select(RequestLine).where(RequestLine.request_id == req.id)).one()


def _look_at_pool(db: Session, actor: User, req: Request, acq: Acquisition) -> None:
    """Run the matcher over the warehouse and the pool for this request alone and keep its offer as a draft
    proposal; no offer: on to the standards."""
    built = build_problem(db, "tiered", request_ids=[req.id], rentals=False)
    offered = 0
    if built.problem["stock"]:
        started = utcnow()
        solution = matcher.solve(built.problem, time_limit=POOL_TIME_LIMIT)
        if solution["status"] == "error":
            raise InvalidTransition(f"公物仓调剂匹配失败：{solution.get('message', '')}")
        offered = sum(a["quantity"] for a in solution["assignments"])
        if offered:
            prop = store_proposal(db, actor, built, solution, (utcnow() - started).total_seconds())
            acq.proposal_id = prop.id
            log_event(db, actor, "proposal", prop.id, "create",
                      f"配置申请 {req.number} 先调剂：公物仓和公物池可调剂 {offered} 件", after={"status": "draft"})
    acq.pool_offered = offered
    if offered:
        before, req.status, acq.outcome = req.status, "pool_offer", "pool"
        log_event(db, actor, "request", req.id, "pool_offer",
                  f"先调剂：公物仓和公物池可调剂 {offered} 件，待申请单位确认", {"status": before},
                  {"status": "pool_offer"})
    else:
        log_event(db, actor, "request", req.id, "pool_none", "先调剂：公物仓和公物池暂无可调剂的同类资产")
        _decide_remainder(db, actor, req, acq)


def _may_answer(db: Session, actor: User | None, req: Request) -> User:
    """The requesting unit's people and the warehouse administrators answer the pool's offer."""
    actor = require_user(actor)
    visible(db, actor, Request, req.id)
    if actor.role in UNIT_ROLES:
        return require(actor, "submit_request", req.unit_id)
    return require(actor, "allocate")


def _acquisition(db: Session, actor: User | None, request_id: int, lock: bool = False) -> tuple[Request, Acquisition]:
    req = visible(db, actor, Request, request_id)
    if req.kind != "acquisition":
        raise InvalidInput(f"申请 {req.number} 不是配置申请。", "id")
    if lock:
        req = locked(db, Request, req.id)
    return req, db.exec(select(Acquisition).where(Acquisition.request_id == req.id)).one()


@transactional
def accept_pool(db: Session, actor: User, request_id: int) -> Request:
    """Take what the pool offers: the proposal's transfer orders are made now (the same path as any accepted
    proposal), before the standards look at what is left."""
    req, acq = _acquisition(db, actor, request_id, lock=True)
    actor = _may_answer(db, actor, req)
    if req.status != "pool_offer" or acq.proposal_id is None:
        raise InvalidTransition(f"配置申请 {req.number} 当前状态为“{req.status_label}”，没有待确认的调剂。")
    prop = locked(db, Proposal, acq.proposal_id)
    if prop.status != "draft":
        raise InvalidTransition("该调剂方案已失效，请重新查询公物池。")
    req.status = "approved"  # the request's line may be allocated now (``market.orders``)
    realise(db, actor, prop, None)
    acq.pool_taken = sum(p.allocated for p in line_progress(db, [_line(db, req).id]).values())
    log_event(db, actor, "proposal", prop.id, "accept", f"配置申请 {req.number} 接收调剂 {acq.pool_taken} 件",
              {"status": "draft"}, {"status": "accepted"})
    log_event(db, actor, "request", req.id, "pool_accept", f"接收公物仓调剂 {acq.pool_taken} 件",
              {"status": "pool_offer"}, {"status": req.status})
    _decide_remainder(db, actor, req, acq)
    return req


@transactional
def decline_pool(db: Session, actor: User, request_id: int, reason: str) -> Request:
    """Decline the pool's offer, saying why (the reason stays on the request for the supervisors); the whole
    quantity then goes to the standards check."""
    req, acq = _acquisition(db, actor, request_id, lock=True)
    actor = _may_answer(db, actor, req)
    reason = clean_text(reason, Acquisition.decline_reason, "reason", "不接收调剂的理由", required=True)
    if req.status != "pool_offer":
        raise InvalidTransition(f"配置申请 {req.number} 当前状态为“{req.status_label}”，没有待确认的调剂。")
    _discard(db, actor, acq)
    acq.decline_reason = reason
    log_event(db, actor, "request", req.id, "pool_decline", f"不接收公物仓调剂：{reason}", {"status": "pool_offer"})
    _decide_remainder(db, actor, req, acq)
    return req


@transactional
def look_again(db: Session, actor: User, request_id: int) -> Request:
    """Look at the pool again (the offer has gone stale: items taken by others, new ones posted)."""
    req, acq = _acquisition(db, actor, request_id, lock=True)
    actor = _may_answer(db, actor, req)
    if req.status != "pool_offer":
        raise InvalidTransition(f"配置申请 {req.number} 当前状态为“{req.status_label}”，不能重新查询公物池。")
    _discard(db, actor, acq)
    _look_at_pool(db, actor, req, acq)
    return req


def _discard(db: Session, actor: User, acq: Acquisition) -> None:
    prop = db.get(Proposal, acq.proposal_id) if acq.proposal_id else None
    if prop is not None and prop.status == "draft":
        prop.status = "discarded"
        log_event(db, actor, "proposal", prop.id, "discard", f"作废调剂方案 #{prop.id}（配置申请未接收或重新查询）",
                  {"status": "draft"}, {"status": "discarded"})


def _to_purchasing(db: Session, req: Request, line: RequestLine, acq: Acquisition) -> None:
    db.add(PurchaseNeed(request_line_id=line.id, proposal_id=acq.proposal_id, category_id=line.category_id,
                        quantity=acq.remainder))


def _decide_remainder(db: Session, actor: User, req: Request, acq: Acquisition) -> None:
    """What the pool did not give, against the standards: to purchasing, refused, or to finance."""
    line = _line(db, req)
    taken = line_progress(db, [line.id])[line.id].allocated
    acq.pool_taken, acq.remainder = taken, line.quantity - taken
    before = req.status
    if acq.remainder <= 0:
        acq.outcome, req.status = "from_pool", "allocated"
        log_event(db, actor, "request", req.id, "decide", "全部由公物仓调剂，无需采购", {"status": before},
                  {"status": req.status})
        return
    unit, cat = db.get(Unit, req.unit_id), db.get(Category, line.category_id)
    check = check_caps(db, unit, cat, line.quantity, acq.unit_price, acq.rank)
    acq.check, acq.over_price, acq.over_quantity = check.as_json(), check.over_price, check.over_quantity
    if not check.over:
        acq.outcome, req.status = "within", "allocated" if taken else "purchasing"
        _to_purchasing(db, req, line, acq)
        log_event(db, actor, "request", req.id, "decide",
                  f"符合配置标准，{acq.remainder} {cat.measure_unit}转集中采购（{'；'.join([check.price_text, check.quantity_text])}）",
                  {"status": before}, {"status": req.status})
        return
    reasons = "；".join(check.reasons)
    if acq.exception_wanted:
        acq.outcome, req.status = "exception", "over_cap"
        log_event(db, actor, "request", req.id, "over_cap", f"超出配置标准，报财政特批：{reasons}", {"status": before},
                  {"status": "over_cap"})
        return
    acq.outcome, req.status, req.reject_reason = "refused", "rejected", f"超出配置标准，不予配置：{reasons}"[:500]
    req.decided_at = utcnow()
    log_event(db, actor, "request", req.id, "refuse", req.reject_reason, {"status": before}, {"status": "rejected"})


def rank_label(acq: Acquisition) -> str:
    return standards.RANKS.get(acq.rank, "")


def decision(raw: Any) -> bool:
    """"approve" → True, "reject" → False (a form's or the API's answer to an exception), else a clear error."""
    if raw not in ("approve", "reject"):
        raise InvalidInput("审批结论须为 approve（同意）或 reject（不同意）。", "decision")
    return raw == "approve"


def may_decide_exception(actor: User | None) -> bool:
    return actor is not None and actor.is_active and actor.role in EXCEPTION_DECIDERS


@transactional
def decide_exception(db: Session, actor: User, request_id: int, approve: bool, note: str = "") -> Request:
    """Finance's answer to an over-standard request: approved, the remainder goes to central purchasing (and may
    be bought at up to the requested unit price); refused, the request is rejected with the note."""
    actor = require_user(actor)
    if not may_decide_exception(actor):
        raise PermissionDenied("超标配置的特批由财政监管审批。")
    req, acq = _acquisition(db, actor, request_id, lock=True)
    note = clean_text(note, Acquisition.decision_note, "note", "审批意见", required=not approve)
    if req.status != "over_cap":
        raise InvalidTransition(f"配置申请 {req.number} 当前状态为“{req.status_label}”，没有待特批的事项。")
    acq.decided_by, acq.decided_at, acq.decision_note = actor.id, utcnow(), note
    req.decided_by, req.decided_at = actor.id, utcnow()
    line = _line(db, req)
    if approve:
        acq.outcome = "approved"
        req.status = "allocated" if acq.pool_taken else "purchasing"
        _to_purchasing(db, req, line, acq)
        text = f"同意超标特批，{acq.remainder} 件转集中采购" + (f"：{note}" if note else "")
    else:
        acq.outcome, req.status = "rejected", "rejected"
        req.reject_reason = f"超标特批未同意：{note}"[:500]
        text = req.reject_reason
    log_event(db, actor, "request", req.id, "exception_approve" if approve else "exception_reject", text,
              {"status": "over_cap"}, {"status": req.status})
    return req


# --- reading -----------------------------------------------------------------------------------------------


@dataclass
class AcquisitionView:
    """An acquisition request as its page shows it to ``actor``: the pool's offer (先调剂), the standards check with
    its figures, the state, the orders and purchase needs it led to, and the steps the actor may take."""

    req: Request
    acq: Acquisition
    unit: Unit
    line: RequestLine
    category: Category
    offer: list[ReviewLine]  # the pool's offer, one row per listing (title, holder, condition, link)
    offer_status: str  # the proposal's status: draft (waiting), accepted, discarded; "" when the pool had nothing
    check: CapCheck | None  # the check made (None until the pool's offer is answered)
    preview: CapCheck  # the same check over the whole quantity now, shown before the answer
    progress: LineProgress
    status_text: str
    orders: list[Order]
    needs: list[PurchaseNeed]
    events: list[Event]
    may_answer: bool  # accept or decline the pool's offer, look again
    may_decide: bool  # finance: approve or refuse the exception
    may_withdraw: bool


def _check_from_json(raw: dict[str, Any]) -> CapCheck | None:
    if not raw:
        return None
    cap = raw.get("price_cap")
    return CapCheck(None if cap is None else Decimal(cap), raw["over_price"], raw["price_text"], raw["quantity_cap"],
                    raw["holdings"], raw["asked"], raw["over_quantity"], raw["quantity_text"])


def acquisition_detail(db: Session, actor: User | None, request_id: int) -> AcquisitionView:
    req, acq = _acquisition(db, actor, request_id)
    actor = require_user(actor)
    line = _line(db, req)
    cat, unit = db.get(Category, line.category_id), db.get(Unit, req.unit_id)
    prop = db.get(Proposal, acq.proposal_id) if acq.proposal_id else None
    offer = [r for r in review_lines(db, prop) if r.rows] if prop else []
    progress = line_progress(db, [line.id])[line.id]
    orders = list(db.exec(select(Order).where(Order.request_line_id == line.id).order_by(Order.id)))
    needs = list(db.exec(select(PurchaseNeed).where(PurchaseNeed.request_line_id == line.id).order_by(PurchaseNeed.id)))
    answering = req.status == "pool_offer"
    may_answer = answering and (can(actor, "submit_request", req.unit_id) if actor.role in UNIT_ROLES
                                else can(actor, "allocate"))
    return AcquisitionView(
        req, acq, unit, line, cat, offer, prop.status if prop else "", _check_from_json(acq.check),
        check_caps(db, unit, cat, line.quantity, acq.unit_price, acq.rank), progress,
        status_text(req, [progress]), orders, needs, history(db, "request", req.id), may_answer,
        req.status == "over_cap" and may_decide_exception(actor),
        req.status in ("pool_offer", "over_cap") and can(actor, "withdraw_request", req.unit_id))


@dataclass
class NewAcquisitionForm:
    unit: Unit | None
    categories: list[Category]
    ranks: dict[str, str]


def new_acquisition_form(db: Session, actor: User | None) -> NewAcquisitionForm:
    actor = require_user(actor)
    require(actor, "submit_request", actor.unit_id)
    return NewAcquisitionForm(db.get(Unit, actor.unit_id) if actor.unit_id else None, leaf_categories(db), dict(standards.RANKS))


def acquisition_of(db: Session, request_ids: list[int]) -> dict[int, Acquisition]:
    """request id → its Acquisition row, for a page of requests."""
    if not request_ids:
        return {}
    return {a.request_id: a for a in db.exec(select(Acquisition).where(Acquisition.request_id.in_(request_ids)))}


def waiting_exceptions(db: Session) -> int:
    """Acquisition requests over a standard waiting for finance."""
    return db.exec(select(func.count()).select_from(Request).where(Request.kind == "acquisition",
                                                                   Request.status == "over_cap")).one()


def _outcomes(db: Session, rows: list[Request]) -> dict[str, Any]:
    acqs = acquisition_of(db, [r.id for r in rows])
    lines = dict(db.exec(select(RequestLine.request_id, RequestLine.id).where(
        RequestLine.request_id.in_([r.id for r in rows] or [0]))).all())
    progress = line_progress(db, list(lines.values()))
    cats = dict(db.exec(select(RequestLine.request_id, Category.name).join(Category, Category.id == RequestLine.category_id)
                        .where(RequestLine.request_id.in_([r.id for r in rows] or [0]))).all())
    return {"acq": acqs, "units": names(db, Unit, [r.unit_id for r in rows]), "categories": cats,
            "progress": {rid: [progress[lid]] for rid, lid in lines.items()},
            "quantity": {rid: progress[lid].need for rid, lid in lines.items()}}


ACQUISITION_LIST = ListSpec(
    key="acquisitions", title="配置申请", model=Request,
    columns=(
        Column("number", "申请编号", lambda r, _: r.number),
        Column("unit", "申请单位", lambda r, x: x["units"].get(r.unit_id, "")),
        Column("category", "资产分类", lambda r, x: x["categories"].get(r.id, "")),
        Column("quantity", "申请数量", lambda r, x: x["quantity"].get(r.id)),
        Column("unit_price", "拟购单价（元）", lambda r, x: x["acq"][r.id].unit_price if r.id in x["acq"] else None),
        Column("rank", "职级", lambda r, x: rank_label(x["acq"][r.id]) if r.id in x["acq"] else ""),
        Column("pool_taken", "调剂（件）", lambda r, x: x["acq"][r.id].pool_taken if r.id in x["acq"] else None),
        Column("reason", "申请理由", lambda r, x: x["acq"][r.id].reason if r.id in x["acq"] else ""),
        Column("outcome", "结果", lambda r, x: x["acq"][r.id].outcome_label if r.id in x["acq"] else ""),
        Column("submitted_at", "提交时间", lambda r, _: local_time(r.submitted_at)),
        Column("status", "状态", lambda r, x: status_text(r, x["progress"].get(r.id, []))),
    ),
    sorts=by_id(Request.id),
    filters=(
        Filter("status", "状态", lambda v: Request.status == v, REQUEST_STATUSES),
        Filter("outcome", "结果", lambda v: Request.id.in_(select(Acquisition.request_id).where(Acquisition.outcome == v)),
               ACQUISITION_OUTCOMES),
        Filter("unit", "单位", lambda v: Request.unit_id == v, options=own_unit_options),
    ),
    search=(numbered(Request.id), like(Request.title), named(Request.unit_id, Unit)),
    where=lambda actor: Request.kind == "acquisition",
    lookups=_outcomes,
)
