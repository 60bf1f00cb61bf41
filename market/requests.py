"""Requests (需求申请): submit, approve, reject, withdraw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from market import approvals
from market.access import can, require, require_user, scoped, visible
from market.catalogue import leaf_categories
from market.errors import InvalidInput, InvalidInputs, InvalidTransition
from market.infra.db import transactional
from market.infra.eventlog import history, log_event
from market.infra.rows import get_or_404
from market.lists import Column, Filter, ListSpec, by_id, like, local_time, named, names, numbered
from market.models import (
    PURPOSES,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    Acquisition,
    Category,
    Event,
    Order,
    PoolListing,
    Proposal,
    PurchaseNeed,
    Request,
    RequestLine,
    Unit,
    User,
    utcnow,
)
from market.orders import own_unit_options

MAX_LINE_QUANTITY = 100_000
# What a line's priority means to the matcher (MATCHING.md: unmet units weigh priority × units): said on the form.
PRIORITY_HELP = "优先级 1～9，数字越大越优先：物品不够分时，先满足优先级高的行；一般填 1。"
MAX_LINES = 200


@dataclass
class LineInput:
    category_id: int
    quantity: int
    start_date: date
    end_date: date | None = None  # None: permanent transfer
    priority: int = 1
    listing_id: int | None = None
    note: str = ""
    row: int | None = None  # the line's place on a form that left some rows out (blank ones): its messages say so


def _check_line(db: Session, actor: User, i: int, line: LineInput) -> list[InvalidInput]:
    """Every mistake of one line (the form shows them all at once)."""
    where = f"第 {i + 1} 行"
    out: list[InvalidInput] = []
    get_or_404(db, Category, line.category_id, f"lines[{i}].category_id")  # a form offers only existing ones
    if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity < 1:
        out.append(InvalidInput(f"{where}：数量须为正整数。", f"lines[{i}].quantity"))
    elif line.quantity > MAX_LINE_QUANTITY:
        out.append(InvalidInput(f"{where}：数量不能超过 {MAX_LINE_QUANTITY}。", f"lines[{i}].quantity"))
    if line.end_date is not None and line.end_date < line.start_date:
        out.append(InvalidInput(f"{where}：归还日期不能早于开始日期。", f"lines[{i}].end_date"))
    if not isinstance(line.priority, int) or isinstance(line.priority, bool) or not 1 <= line.priority <= 9:
        out.append(InvalidInput(f"{where}：优先级须为 1 至 9。", f"lines[{i}].priority"))
    if line.listing_id is not None:
        listing = visible(db, actor, PoolListing, line.listing_id, f"lines[{i}].listing_id")
        if listing.category_id != line.category_id:
            out.append(InvalidInput(f"{where}：所选挂牌资产与资产分类不符。", f"lines[{i}].listing_id"))
    return out


def request_problems(db: Session, actor: User, title: str, lines: list[LineInput], purpose: str,
                     ) -> list[InvalidInput]:
    """Every mistake of a request as submitted (nothing written): the title, the purpose and each line."""
    out: list[InvalidInput] = []
    if not title or not title.strip():
        out.append(InvalidInput("请填写申请事由。", "title"))
    if purpose not in PURPOSES:
        out.append(InvalidInput(f"用途须为：{'、'.join(PURPOSES)}。", "purpose"))
    if len(lines) > MAX_LINES:
        out.append(InvalidInput(f"一次申请最多 {MAX_LINES} 行明细。", "lines"))
    for i, line in enumerate(lines[:MAX_LINES]):
        out += _check_line(db, actor, line.row if line.row is not None else i, line)
    return out


@transactional
def submit_request(
    db: Session,
    actor: User,
    title: str,
    lines: list[LineInput],
    purpose: str = "大型会议",
    place: str = "",
    unit_id: int | None = None,
    location: tuple[float, float] | None = None,
) -> Request:
    unit_id = unit_id if unit_id is not None else actor.unit_id
    require(actor, "submit_request", unit_id)
    unit = get_or_404(db, Unit, unit_id, "unit_id")
    problems = request_problems(db, actor, title, lines, purpose)
    if not lines:
        problems.append(InvalidInput("申请至少包含一行明细。", "lines"))
    if problems:
        raise InvalidInputs(problems)
    lat, lng = location if location else (unit.lat, unit.lng)
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise InvalidInput("送达地点坐标无效。", "location")
    req = Request(unit_id=unit.id, created_by=actor.id, title=title.strip()[:120], purpose=purpose,
                  place=place or unit.address, lat=lat, lng=lng)
    db.add(req)
    db.flush()
    for line in lines:
        db.add(RequestLine(request_id=req.id, category_id=line.category_id, listing_id=line.listing_id,
                           quantity=line.quantity, start_date=line.start_date, end_date=line.end_date,
                           priority=line.priority, note=line.note))
    total = sum(x.quantity for x in lines)
    log_event(db, actor, "request", req.id, "submit", f"提交申请：{req.title}（{len(lines)} 行，共 {total} 件）",
              after={"status": "submitted"})
    db.flush()
    approvals.open_chain(db, approval_subject(db, req), tell=False)  # the first step: the notice table's request_waiting
    return req


def request_lines(db: Session, request_id: int) -> list[RequestLine]:
    return list(db.exec(select(RequestLine).where(RequestLine.request_id == request_id).order_by(RequestLine.id)))


def approval_action_and_value(db: Session, req: Request) -> tuple[str, Decimal]:
    """A request with any permanent line is an idle-item transfer (调剂), else a loan (出借)."""
    lines = request_lines(db, req.id)
    action = "idle_transfer" if any(line.is_permanent for line in lines) else "loan"
    value = sum((db.get(Category, line.category_id).reference_price * line.quantity for line in lines), Decimal(0))
    return action, value


def approval_subject(db: Session, req: Request) -> approvals.Subject:
    """The request as its approval chain sees it: the action and value that choose the rule, its unit."""
    action, value = approval_action_and_value(db, req)
    return approvals.Subject("request", req.id, action, value, req.unit_id, f"申请 {req.number}“{req.title}”",
                             f"/requests/{req.id}")


def _decide(db: Session, actor: User, request_id: int, status: str, reason: str = "") -> Request:
    """One step of the request's approval chain; the last step's approval (or a refusal at any step) decides the
    request as a whole."""
    req = visible(db, actor, Request, request_id)
    subject = approval_subject(db, req)
    approvals.check_turn(db, actor, subject)
    if req.status != "submitted":
        raise InvalidTransition(f"申请当前状态为“{req.status_label}”，不能审批。")
    outcome = approvals.decide(db, actor, subject, status == "approved", reason)
    if outcome == "next":
        return req
    before = req.status
    req.status, req.decided_by, req.decided_at, req.reject_reason = status, actor.id, utcnow(), reason
    approved = status == "approved"
    log_event(db, actor, "request", req.id, "approve" if approved else "reject",
              f"批准申请 {req.number}" if approved else f"驳回申请 {req.number}：{reason}",
              {"status": before}, {"status": status})
    return req


@transactional
def approve_request(db: Session, actor: User, request_id: int) -> Request:
    return _decide(db, actor, request_id, "approved")


@transactional
def reject_request(db: Session, actor: User, request_id: int, reason: str) -> Request:
    if not reason or not reason.strip():
        raise InvalidInput("驳回须填写理由。", "reason")
    return _decide(db, actor, request_id, "rejected", reason.strip()[:500])


@transactional
def withdraw_request(db: Session, actor: User, request_id: int) -> Request:
    req = visible(db, actor, Request, request_id)
    require(actor, "withdraw_request", req.unit_id)
    if req.status not in withdrawable(req):
        raise InvalidTransition(f"申请当前状态为“{req.status_label}”，不能撤回。")
    before = req.status
    req.status = "withdrawn"
    if req.kind == "acquisition":  # the pool's offer waiting for its answer goes with it
        _withdraw_acquisition(db, actor, req)
    log_event(db, actor, "request", req.id, "withdraw", f"撤回申请 {req.number}", {"status": before},
              {"status": "withdrawn"})
    return req


def withdrawable(req: Request) -> tuple[str, ...]:
    """The statuses a request may be withdrawn in: before it is served (an acquisition request: while the pool's
    offer or finance's exception decision waits; once within the standards it is in purchasing)."""
    return ("pool_offer", "over_cap") if req.kind == "acquisition" else ("submitted", "approved")


def _withdraw_acquisition(db: Session, actor: User, req: Request) -> None:
    acq = db.exec(select(Acquisition).where(Acquisition.request_id == req.id)).first()
    prop = db.get(Proposal, acq.proposal_id) if acq and acq.proposal_id else None
    if prop is not None and prop.status == "draft":
        prop.status = "discarded"
        log_event(db, actor, "proposal", prop.id, "discard", f"作废调剂方案 #{prop.id}（配置申请 {req.number} 已撤回）",
                  {"status": "draft"}, {"status": "discarded"})
    if acq is not None:
        acq.outcome = "withdrawn"


def visible_request(db: Session, actor: User, request_id: int) -> Request:
    """A request the actor may read: unit roles see their own unit's, the others see all."""
    return visible(db, actor, Request, request_id)


def can_decide(db: Session, actor: User, req: Request) -> bool:
    if req.status != "submitted":
        return False
    return approvals.may_approve(actor, approvals.current_step(
        approvals.steps_of(db, approval_subject(db, req), True)))


def can_withdraw(actor: User, req: Request) -> bool:
    return req.status in withdrawable(req) and can(actor, "withdraw_request", req.unit_id)


def require_submitter(actor: User | None) -> User:
    """Who may fill in a new request: a unit's people, for their own unit (checked before the form is read)."""
    actor = require_user(actor)
    return require(actor, "submit_request", actor.unit_id)


@dataclass
class NewRequestForm:
    unit: Unit | None
    categories: list[Category]
    listing: PoolListing | None  # the lot the unit came from, its category chosen in the first line


def new_request_form(db: Session, actor: User | None, listing_id: int | None = None) -> NewRequestForm:
    actor = require_submitter(actor)
    listing = visible(db, actor, PoolListing, listing_id, "listing") if listing_id is not None else None
    return NewRequestForm(db.get(Unit, actor.unit_id) if actor.unit_id else None, leaf_categories(db), listing)


@dataclass(frozen=True)
class LineProgress:
    """How far one request line has got: units on orders, units handed to central purchasing, the rest."""

    need: int
    allocated: int  # on orders not cancelled or rejected
    purchasing: int  # recorded as purchase needs (nobody could supply them)

    @property
    def unmet(self) -> int:
        return max(0, self.need - self.allocated - self.purchasing)

    @property
    def state(self) -> str:
        if self.allocated >= self.need:
            return "allocated"
        if self.allocated:
            return "partly"
        return "purchasing" if self.purchasing else "waiting"

    def label(self, decided: bool) -> str:
        """In Chinese; ``decided``: the matcher has run for the request, so what is missing is unmet, not waiting."""
        if self.allocated >= self.need:
            return f"已调配 {self.need} 件"
        parts = [f"已调配 {self.allocated}/{self.need} 件"] if self.allocated else []
        if self.purchasing:
            parts.append(f"{self.purchasing} 件转集中采购")
        if self.unmet:
            parts.append(f"{self.unmet} 件未满足" if decided else f"{self.unmet} 件待调配")
        return "，".join(parts)


DECIDED = ("allocated", "closed")  # statuses in which the request's lines have been matched


def line_progress(db: Session, line_ids: list[int]) -> dict[int, LineProgress]:
    """Each line's progress, in three queries for any number of lines (list pages use it per page)."""
    if not line_ids:
        return {}
    need = dict(db.exec(select(RequestLine.id, RequestLine.quantity).where(RequestLine.id.in_(line_ids))).all())
    allocated = dict(db.exec(select(Order.request_line_id, func.sum(Order.quantity)).where(
        Order.request_line_id.in_(line_ids), Order.status.not_in(["cancelled", "rejected"]))
        .group_by(Order.request_line_id)).all())
    buying = dict(db.exec(select(PurchaseNeed.request_line_id, func.sum(PurchaseNeed.quantity)).where(
        PurchaseNeed.request_line_id.in_(line_ids), PurchaseNeed.status != "cancelled")
        .group_by(PurchaseNeed.request_line_id)).all())
    return {i: LineProgress(q, int(allocated.get(i, 0)), int(buying.get(i, 0))) for i, q in need.items()}


def status_text(req: Request, progress: list[LineProgress]) -> str:
    """The request's status as it truly is: an allocated or closed request with lines short never reads as done."""
    if req.status not in DECIDED or all(p.allocated >= p.need for p in progress):
        return req.status_label
    short = sum(p.need - p.allocated for p in progress)
    buying = sum(p.purchasing for p in progress)
    head = "部分调配" if req.status == "allocated" else "已完成（部分未调配）"
    return head + (f"：{buying} 件转集中采购" if buying else "") + (
        f"，{short - buying} 件未满足" if short > buying else "")


def _progress_by_request(db: Session, rows: list[Request]) -> dict[int, list[LineProgress]]:
    lines = db.exec(select(RequestLine.id, RequestLine.request_id).where(
        RequestLine.request_id.in_([r.id for r in rows] or [0]))).all()
    progress = line_progress(db, [i for i, _ in lines])
    out: dict[int, list[LineProgress]] = {r.id: [] for r in rows}
    for line_id, req_id in lines:
        out[req_id].append(progress[line_id])
    return out


@dataclass
class RequestView:
    """A request as its detail page shows it to ``actor``, with the steps they may take on it now."""

    req: Request
    unit: Unit
    lines: list[RequestLine]
    categories: dict[int, Category]
    orders: list[Order]
    events: list[Event]
    can_decide: bool
    can_withdraw: bool
    progress: dict[int, LineProgress]  # line id → how far it has got
    status_text: str  # status_text(): the request's state, shortfalls said
    chain: list[approvals.StepView]  # the approval chain, each step's state


def request_detail(db: Session, actor: User, request_id: int) -> RequestView:
    req = visible_request(db, actor, request_id)
    lines = request_lines(db, req.id)
    cats = {c.id: c for c in db.exec(select(Category).where(Category.id.in_({x.category_id for x in lines})))}
    orders = list(db.exec(scoped(actor, Order).where(Order.request_line_id.in_([x.id for x in lines]))
                          .order_by(Order.id)))
    progress = line_progress(db, [x.id for x in lines])
    return RequestView(req, db.get(Unit, req.unit_id), lines, cats, orders, history(db, "request", req.id),
                       can_decide(db, actor, req), can_withdraw(actor, req), progress,
                       status_text(req, list(progress.values())),
                       approval_chain(db, req))


def approval_chain(db: Session, req: Request) -> list[approvals.StepView]:
    """The request's approval chain with each step's state (the page and the API)."""
    return approvals.chain_view(db, approval_subject(db, req), req.status == "submitted")


def _needed_from() -> Any:
    """The first day a request's items are needed (its earliest line)."""
    return (select(func.min(RequestLine.start_date)).where(RequestLine.request_id == Request.id)
            .correlate(Request).scalar_subquery())


REQUEST_LIST = ListSpec(
    key="requests", title="需求申请", model=Request,
    columns=(
        Column("number", "申请编号", lambda r, _: r.number),
        Column("kind", "类型", lambda r, _: REQUEST_KINDS.get(r.kind, r.kind)),
        Column("title", "事由", lambda r, _: r.title),
        Column("unit", "申请单位", lambda r, x: x["units"].get(r.unit_id, "")),
        Column("purpose", "用途", lambda r, _: r.purpose),
        Column("place", "送达地点", lambda r, _: r.place),
        Column("submitted_at", "提交时间", lambda r, _: local_time(r.submitted_at)),
        Column("status", "状态", lambda r, x: status_text(r, x["progress"][r.id])),
    ),
    sorts=by_id(Request.id) | {"needed": ("用物日期", (_needed_from(), Request.id))},
    filters=(
        Filter("status", "状态", lambda v: Request.status == v, REQUEST_STATUSES),
        Filter("kind", "类型", lambda v: Request.kind == v, REQUEST_KINDS),
        Filter("purpose", "用途", lambda v: Request.purpose == v, {p: p for p in PURPOSES}),
        Filter("unit", "单位", lambda v: Request.unit_id == v, options=own_unit_options),
    ),
    search=(numbered(Request.id), like(Request.title), like(Request.place), named(Request.unit_id, Unit)),
    lookups=lambda db, rows: {"units": names(db, Unit, [r.unit_id for r in rows]),
                              "progress": _progress_by_request(db, rows)},
)
