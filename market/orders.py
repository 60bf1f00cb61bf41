"""Orders: allocate a lot or a rental to a request line, hand out, return with inspection, damage."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, or_
from sqlmodel import Session, SQLModel, select

from market import approvals
from market.access import (
    UNIT_ROLES,
    HiddenAsset,
    asset_view,
    can,
    held_by,
    may_handle,
    require,
    require_handler,
    require_user,
    visible,
)
from market.assets import snapshot, stamp
from market.errors import Conflict, InvalidInput, InvalidTransition
from market.infra.db import transactional
from market.infra.eventlog import history, log_event
from market.infra.rows import get_or_404, locked
from market.lists import Column, Filter, ListSpec, by_id, like, named, names, numbered
from market.models import (
    CONDITIONS,
    ORDER_KINDS,
    ORDER_STATUSES,
    USABLE_CONDITIONS,
    Asset,
    DamageRecord,
    Event,
    Order,
    OrderItem,
    PoolListing,
    RentalOffer,
    RentalVendor,
    Request,
    RequestLine,
    Unit,
    User,
    money,
    utcnow,
)
from market.pool.listings import touch_listing

T = TypeVar("T", bound=SQLModel)

MAX_QUEUE = 200  # orders in a holder's queue on the order list
TURNAROUND_DAYS = 1  # days an item stays busy after a loan ends: return, check, cleaning
CONDITION_RANK = {c: i for i, c in enumerate(CONDITIONS)}


# A commitment of an item or an offer: its busy days, inclusive, ``None`` as the end meaning for good.
Span = tuple[date, date | None]
RENTAL_OUT = ("allocated", "on_loan")  # a rental order the vendor has promised and not yet taken back


def still_out(span: Span, out: bool, today: date, after: int) -> Span:
    """A commitment as a plan must count it: a loan or rental that is out past its end is not back yet, so it
    stays busy until ``after`` days from today at least (its return, check and cleaning)."""
    start, end = span
    if out and end is not None and end < today + timedelta(days=after):
        return start, today + timedelta(days=after)
    return span


def rentals_out(db: Session, offer_ids: list[int], today: date) -> dict[int, list[tuple[date, date, int]]]:
    """Each offer's rentals promised and not yet back: (first day, last day, units), an overdue one until today."""
    out: dict[int, list[tuple[date, date, int]]] = defaultdict(list)
    if not offer_ids:
        return out
    for offer_id, qty, start, end, status in db.exec(
        select(Order.rental_offer_id, Order.quantity, Order.start_date, Order.end_date, Order.status)
        .where(Order.kind == "rental", Order.status.in_(RENTAL_OUT), Order.rental_offer_id.in_(offer_ids))
        .order_by(Order.start_date, Order.id)
    ):
        start, end = still_out((start, end or start), status == "on_loan", today, 0)
        out[offer_id].append((start, end, qty))
    return out


def busy_period(line: RequestLine) -> tuple[date, date | None]:
    if line.end_date is None:
        return line.start_date, None
    return line.start_date, line.end_date + timedelta(days=TURNAROUND_DAYS)


def _overlaps(busy_from: date, busy_until: date | None):  # noqa: ANN202
    """SQL condition: an active order item's busy period overlaps [busy_from, busy_until]."""
    cond = [OrderItem.active.is_(True), or_(OrderItem.busy_until.is_(None), OrderItem.busy_until >= busy_from)]
    if busy_until is not None:
        cond.append(OrderItem.busy_from <= busy_until)
    return cond


def free_items(db: Session, listing: PoolListing, busy_from: date, busy_until: date | None,
               among: list[int] | None = None) -> list[Asset]:
    """The lot's items free over the whole period (optionally only ``among`` these), best condition first."""
    taken = select(OrderItem.asset_id).where(*_overlaps(busy_from, busy_until))
    where = [
        Asset.listing_id == listing.id,
        Asset.status.in_(["listed", "reserved", "on_loan"]),
        Asset.condition.in_(USABLE_CONDITIONS),
        Asset.id.not_in(taken),
    ]
    if among is not None:
        where.append(Asset.id.in_(among))
    rows = db.exec(select(Asset).where(*where)).all()
    return sorted(rows, key=lambda a: (CONDITION_RANK[a.condition], a.id))




def lock_for_allocation(db: Session, listing_ids: set[int], line_ids: set[int]) -> None:
    """Lock the lots, then the requests, each in id order, before allocating several rows at once (a proposal):
    two acceptances that share lots or requests then queue on the first shared row instead of deadlocking."""
    if listing_ids:
        db.exec(select(PoolListing.id).where(PoolListing.id.in_(sorted(listing_ids)))
                .order_by(PoolListing.id).with_for_update()).all()
    if line_ids:
        req_ids = select(RequestLine.request_id).where(RequestLine.id.in_(sorted(line_ids)))
        db.exec(select(Request.id).where(Request.id.in_(req_ids)).order_by(Request.id).with_for_update()).all()


def _approved_line(db: Session, line_id: int, quantity: int) -> tuple[RequestLine, Request]:
    """The request line, its request locked, if ``quantity`` more can be allocated to it."""
    line = get_or_404(db, RequestLine, line_id, "request_line_id")
    req = locked(db, Request, line.request_id)
    if req.status not in ("approved", "allocated"):
        raise InvalidTransition(f"申请 {req.number} 当前状态为“{req.status_label}”，尚不能调配。")
    # A line is served once: a second proposal for the same requests (or a second hand allocation) must not
    # give the unit its items again. Orders not cancelled or rejected count, rentals included.
    served = db.exec(select(func.coalesce(func.sum(Order.quantity), 0)).where(
        Order.request_line_id == line.id, Order.status.not_in(["cancelled", "rejected"]))).one()
    if isinstance(quantity, int) and served + quantity > line.quantity:
        raise Conflict(f"申请 {req.number} 的这一行共需 {line.quantity} 件，已调配 {served} 件，不能再调配 {quantity} 件"
                       "（可能已有其他调配方案被采纳，请重新运行调配）。", "quantity")
    return line, req


def _mark_allocated(db: Session, actor: User, req: Request) -> None:
    if req.status == "approved":
        req.status = "allocated"
        log_event(db, actor, "request", req.id, "allocate", f"申请 {req.number} 已调配",
                  {"status": "approved"}, {"status": "allocated"})


@dataclass(frozen=True)
class Part:
    """A share of one order: ``quantity`` items of one listing, optionally only among ``among`` (a proposal's lot)."""

    listing_id: int
    quantity: int
    among: list[int] | None = None


@transactional
def allocate_from_listing(
    db: Session,
    actor: User,
    line_id: int,
    listing_id: int,
    quantity: int,
    cost: Decimal | float = 0,
    proposal_id: int | None = None,
    among: list[int] | None = None,
) -> Order:
    """Reserve ``quantity`` concrete items of a listing for a request line: a loan or a transfer order.

    ``among`` limits the pick to these items (a proposal's lot); otherwise any free item of the listing.
    """
    return allocate(db, actor, line_id, [Part(listing_id, quantity, among)], cost, proposal_id)


@transactional
def allocate(db: Session, actor: User, line_id: int, parts: list[Part], cost: Decimal | float = 0,
             proposal_id: int | None = None) -> Order:
    """One loan or transfer order for a request line, its items picked from one or more listings of one
    holder (a warehouse, or a unit's idle items): what the holder hands over in one go."""
    require(actor, "allocate")
    return allocate_checked(db, actor, line_id, parts, cost, proposal_id)


def allocate_checked(db: Session, actor: User, line_id: int, parts: list[Part], cost: Decimal | float = 0,
                     proposal_id: int | None = None) -> Order:
    """``allocate`` once the caller has checked that ``actor`` may: a warehouse administrator (``allocate``), or
    a unit accepting the pool's offer for its own acquisition request (``market.acquisitions``)."""
    # Lock the lots, then the request: two allocations from one lot or for one request queue here, so no item
    # is promised twice and no line served twice. (PostgreSQL's exclusion constraint backs the first up.)
    listings = {p.listing_id: locked(db, PoolListing, p.listing_id, "listing_id")
                for p in sorted(parts, key=lambda p: p.listing_id)}
    quantity = sum(p.quantity for p in parts) if all(isinstance(p.quantity, int) for p in parts) else None
    if not parts or quantity is None or any(p.quantity < 1 for p in parts):
        raise InvalidInput("调配数量须为正整数。", "quantity")
    line, req = _approved_line(db, line_id, quantity)
    first = listings[parts[0].listing_id]
    if len({(lst.warehouse_id, lst.holder_unit_id) for lst in listings.values()}) > 1:
        raise InvalidInput("一张单据的物品须来自同一保管方（同一仓库或同一单位）。", "listing_id")
    kind = "transfer" if line.is_permanent else "loan"
    busy_from, busy_until = busy_period(line)
    picked = []
    for part in parts:
        listing = listings[part.listing_id]
        _check_listing_serves(listing, line, kind, busy_from, busy_until)
        items = free_items(db, listing, busy_from, busy_until, part.among)
        if len(items) < part.quantity:
            raise Conflict(f"挂牌“{listing.title}”在该期间只剩 {len(items)} 件可用，不足 {part.quantity} 件。",
                           "quantity")
        picked += items[:part.quantity]
    order = Order(kind=kind, status="allocated", proposal_id=proposal_id, request_line_id=line.id,
                  listing_id=first.id, from_unit_id=first.holder_unit_id, to_unit_id=req.unit_id,
                  quantity=quantity, start_date=line.start_date, end_date=line.end_date, cost=money(cost),
                  created_by=actor.id)
    db.add(order)
    db.flush()
    for a in picked:
        db.add(OrderItem(order_id=order.id, asset_id=a.id, condition_out=a.condition, busy_from=busy_from,
                         busy_until=busy_until))
        before = snapshot(a)
        if a.status == "listed":
            a.status = "reserved"
        stamp(a)
        log_event(db, actor, "asset", a.id, "allocate",
                  f"调配给{db.get(Unit, req.unit_id).name}（{order.kind_label} {order.number}）", before, snapshot(a),
                  ref=("order", order.id))
    titles = "、".join(f"{listings[p.listing_id].title} × {p.quantity}" for p in parts)
    log_event(db, actor, "order", order.id, "create", f"生成{order.kind_label}：{titles}", after={"status": "allocated"})
    _mark_allocated(db, actor, req)  # the holder of a unit's idle items is told by the notice table (order.create)
    for listing_id in listings:
        touch_listing(db, listing_id)
    return order


def _check_listing_serves(listing: PoolListing, line: RequestLine, kind: str, busy_from: date,
                          busy_until: date | None) -> None:
    """The listing is active, of the line's category, offered for this kind and free over its days."""
    if listing.status != "active":
        raise InvalidTransition(f"挂牌“{listing.title}”已撤回。", "listing_id")
    if listing.category_id != line.category_id:
        raise InvalidInput("挂牌资产与申请的资产分类不符。", "listing_id")
    if kind == "loan" and listing.mode == "transfer":
        raise InvalidInput("该挂牌只接受调剂，不出借。", "listing_id")
    if kind == "transfer" and listing.mode == "loan":
        raise InvalidInput("该挂牌只出借，不接受调剂。", "listing_id")
    if listing.available_from and busy_from < listing.available_from:
        raise InvalidInput(f"该挂牌 {listing.available_from} 起才可用。", "listing_id")
    if listing.available_until and (busy_until is None or busy_until > listing.available_until):
        raise InvalidInput(f"该挂牌须在 {listing.available_until} 前归还（含整理时间），期限不符。", "listing_id")


@transactional
def create_rental_order(
    db: Session,
    actor: User,
    line_id: int,
    offer_id: int,
    quantity: int,
    cost: Decimal | float = 0,
    proposal_id: int | None = None,
) -> Order:
    """Rent from a market vendor for a loan line (rentals never serve permanent transfers)."""
    require(actor, "allocate")
    line, req = _approved_line(db, line_id, quantity)
    offer = get_or_404(db, RentalOffer, offer_id, "rental_offer_id")
    if offer.category_id != line.category_id:
        raise InvalidInput("租赁报价与申请的资产分类不符。", "rental_offer_id")
    if line.is_permanent:
        raise InvalidInput("永久调剂的需求不能以租赁满足。", "rental_offer_id")
    if not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput("租赁数量须为正整数。", "quantity")
    order = Order(kind="rental", status="allocated", proposal_id=proposal_id, request_line_id=line.id,
                  rental_offer_id=offer.id, to_unit_id=req.unit_id, quantity=quantity, start_date=line.start_date,
                  end_date=line.end_date, cost=money(cost), created_by=actor.id)
    db.add(order)
    db.flush()
    log_event(db, actor, "order", order.id, "create", f"生成租赁单：{quantity} 件", after={"status": "allocated"})
    _mark_allocated(db, actor, req)
    return order


def _lock_items(db: Session, rows: list[tuple[OrderItem, Asset]]) -> None:
    """Lock an order's items in id order and read them afresh (PostgreSQL): hand-outs and returns of orders
    that share items queue on them in one order instead of deadlocking, and see each other's changes."""
    if rows:
        db.exec(select(Asset).where(Asset.id.in_(sorted(a.id for _, a in rows))).order_by(Asset.id)
                .with_for_update().execution_options(populate_existing=True)).all()


def order_items(db: Session, order_id: int, pick_list: bool = True, viewer: User | None = None,
                ) -> list[tuple[OrderItem, Asset | HiddenAsset]]:
    """The order's items; ``pick_list``: only those it still counts on (not given up for a spare); with
    ``viewer``, each asset as they may see it (``market.access.asset_view``)."""
    stmt = select(OrderItem, Asset).join(Asset, Asset.id == OrderItem.asset_id).where(OrderItem.order_id == order_id)
    if pick_list:
        stmt = stmt.where((OrderItem.active.is_(True)) | (OrderItem.handed_out_at.is_not(None)))
    rows = list(db.exec(stmt.order_by(OrderItem.id)).all())
    return rows if viewer is None else [(it, asset_view(viewer, a)) for it, a in rows]


@transactional
def hand_out(db: Session, actor: User, order_id: int, scanned_tags: list[str] | None = None) -> Order:
    """Check items out (出库). A loan goes out; a transfer hands ownership to the receiving unit. The warehouse
    administrators do it, or — for a unit's idle items — the manager of the holding unit (``access.holds``)."""
    require_user(actor)
    order = locked(db, Order, order_id)  # two scans of one order: the second waits and finds it gone
    require_handler(db, actor, order, "hand_out")
    if order.status != "allocated":
        raise InvalidTransition(f"{order.kind_label} {order.number} 当前状态为“{order.status_label}”，不能出库。")
    to_unit = db.get(Unit, order.to_unit_id)
    if order.kind == "rental":
        order.status = "on_loan"
        log_event(db, actor, "order", order.id, "hand_out", f"租赁物品已送达{to_unit.name}",
                  {"status": "allocated"}, {"status": "on_loan"})
        return order
    rows = order_items(db, order.id, pick_list=True)
    if scanned_tags is not None:
        expected = {a.tag for _, a in rows}
        scanned = {t.strip() for t in scanned_tags if t.strip()}
        if scanned != expected:
            missing, extra = sorted(expected - scanned), sorted(scanned - expected)
            parts = ([f"未扫描 {len(missing)} 件（如 {missing[0]}）"] if missing else []) + (
                [f"多扫描 {len(extra)} 件不在拣货单上（如 {extra[0]}）"] if extra else [])
            raise InvalidInput("扫描结果与拣货单不符：" + "；".join(parts) + "。", "tags")
    # Another order holding the same items (for other days) that goes out at this moment is seen as gone.
    _lock_items(db, rows)
    listing_ids = _listings_of(order, rows)  # before a transfer takes the items out of their listings
    now = utcnow()
    for item, a in rows:
        if a.status not in ("listed", "reserved"):
            why = "（上一次出借尚未归还）" if a.status == "on_loan" else ""
            raise Conflict(f"资产 {a.tag} 当前状态为“{a.status_label}”{why}，不能出库。", "tags")
        before = snapshot(a)
        item.handed_out_at = now
        if order.kind == "loan":
            a.status, a.custodian = "on_loan", to_unit.name
            summary = f"出借给{to_unit.name}，应于 {order.end_date} 归还"
        else:
            a.status, a.owner_unit_id, a.listing_id, a.warehouse_id = "in_use", to_unit.id, None, None
            a.custodian, a.location = to_unit.name, to_unit.address
            item.active = False
            summary = f"调剂给{to_unit.name}，产权转移"
        stamp(a)
        log_event(db, actor, "asset", a.id, "hand_out" if order.kind == "loan" else "transfer", summary, before,
                  snapshot(a), ref=("order", order.id))
    before_status = order.status
    order.status = "on_loan" if order.kind == "loan" else "completed"
    by_holder = not can(actor, "hand_out")  # the holding unit's manager (``require_handler`` let them in)
    log_event(db, actor, "order", order.id, "hand_out", f"{order.kind_label} {order.number} 出库 {len(rows)} 件"
              + (f"（由持有单位{db.get(Unit, order.from_unit_id).name}交付）" if by_holder else ""),
              {"status": before_status}, {"status": order.status})
    if by_holder:
        tell_handed_over(db, actor, order, len(rows))
    for listing_id in listing_ids:
        touch_listing(db, listing_id)
        if order.kind == "transfer":
            _withdraw_if_empty(db, actor, listing_id)
    if order.kind == "transfer":
        close_request_if_done(db, actor, order)
    return order


def holder_managers(db: Session, unit_id: int | None) -> list[int]:
    return list(db.exec(select(User.id).where(User.unit_id == unit_id, User.role == "unit_manager", User.is_active)
                        .order_by(User.id)))


def tell_handed_over(db: Session, actor: User, order: Order, count: int) -> int:
    """The holding unit has handed the items over: the warehouse is told (the notice table's
    ``holder_handed_over`` row)."""
    from market.notices import announce

    return announce(db, "holder_handed_over", {
        "holder": _unit_name(db, order.from_unit_id), "to_unit": _unit_name(db, order.to_unit_id),
        "kind_label": order.kind_label, "number": order.number, "count": count, "order_id": order.id,
        "actor": actor.display_name or actor.username}, f"handed_over:{order.id}")


def tell_taken_back(db: Session, actor: User, order: Order, count: int, damaged: int) -> int:
    """The holding unit has taken a loan back and inspected it: the warehouse is told (``holder_took_back``)."""
    from market.notices import announce

    return announce(db, "holder_took_back", {
        "holder": _unit_name(db, order.from_unit_id), "to_unit": _unit_name(db, order.to_unit_id),
        "kind_label": order.kind_label, "number": order.number, "count": count, "order_id": order.id,
        "damage": f"，其中 {damaged} 件损坏" if damaged else "", "actor": actor.display_name or actor.username},
        f"taken_back:{order.id}")


def _unit_name(db: Session, unit_id: int | None) -> str:
    unit = db.get(Unit, unit_id) if unit_id else None
    return unit.name if unit else ""


def _listings_of(order: Order, rows: list[tuple[OrderItem, Asset]]) -> list[int]:
    """The listings an order's items come from (an order may take items of several listings of one holder)."""
    return sorted({a.listing_id for _, a in rows if a.listing_id is not None}
                  | ({order.listing_id} if order.listing_id else set()))


def _withdraw_if_empty(db: Session, actor: User, listing_id: int | None) -> None:
    """A lot whose last item has been transferred away (or taken out for repair) leaves the pool."""
    listing = db.get(PoolListing, listing_id) if listing_id else None
    if listing is None or listing.status != "active":
        return
    if db.exec(select(Asset.id).where(Asset.listing_id == listing.id)).first() is None:
        listing.status, listing.updated_at = "withdrawn", utcnow()
        log_event(db, actor, "listing", listing.id, "withdraw", "挂牌资产已全部调剂或退出公物池，挂牌自动撤回")


def close_request_if_done(db: Session, actor: User, order: Order) -> None:
    """A request whose every order is returned, completed or cancelled is 已完成."""
    line = db.get(RequestLine, order.request_line_id) if order.request_line_id else None
    req = db.get(Request, line.request_id) if line else None
    if req is None or req.status != "allocated":
        return
    line_ids = select(RequestLine.id).where(RequestLine.request_id == req.id)
    open_orders = db.exec(select(Order.id).where(Order.request_line_id.in_(line_ids),
                                                 Order.status.in_(["allocated", "on_loan", "pending"]))).first()
    if open_orders is None:
        req.status = "closed"
        log_event(db, actor, "request", req.id, "close", f"申请 {req.number} 已完成", {"status": "allocated"},
                  {"status": "closed"})


@dataclass
class Inspection:
    """What the return inspection found for one item."""

    condition: str
    cause: str | None = None  # None: no new damage; "user": the borrower pays; "wear": natural wear (报损)
    description: str = ""
    repair_cost: Decimal | None = None  # None with cause "user": the original value is owed


@transactional
def return_loan(db: Session, actor: User, order_id: int, inspections: dict[int, Inspection]) -> Order:
    """Take a loan back (归还) with an inspection of every item (the warehouse, or the holding unit's manager)."""
    require_user(actor)
    order = locked(db, Order, order_id)
    require_handler(db, actor, order, "take_return")
    if order.kind == "rental":
        if order.status != "on_loan":
            raise InvalidTransition(f"租赁单 {order.number} 当前状态为“{order.status_label}”，不能归还。")
        order.status = "returned"
        log_event(db, actor, "order", order.id, "return", "租赁物品已退还供应商", {"status": "on_loan"},
                  {"status": "returned"})
        close_request_if_done(db, actor, order)
        return order
    if order.kind != "loan" or order.status != "on_loan":
        raise InvalidTransition(f"{order.kind_label} {order.number} 当前状态为“{order.status_label}”，不能归还。")
    rows = order_items(db, order.id, pick_list=True)
    _lock_items(db, rows)
    ids = {a.id for _, a in rows}
    if set(inspections) != ids:
        raise InvalidInput(f"归还须逐件验收：拣货单共 {len(ids)} 件，验收了 {len(set(inspections) & ids)} 件。",
                           "inspections")
    listing_ids = _listings_of(order, rows)
    listings = {i: db.get(PoolListing, i) for i in listing_ids}
    borrower = db.get(Unit, order.to_unit_id)
    holder_name = db.get(Unit, order.from_unit_id).name if order.from_unit_id else ""
    now = utcnow()
    damaged = 0
    for item, a in rows:
        ins = inspections[a.id]
        if ins.condition not in CONDITIONS:
            raise InvalidInput(f"资产 {a.tag}：状况须为{'、'.join(CONDITIONS)}之一。", "inspections")
        worse = CONDITION_RANK[ins.condition] > CONDITION_RANK[item.condition_out]
        if worse and ins.cause not in ("user", "wear"):
            raise InvalidInput(f"资产 {a.tag} 状况变差，须注明原因：使用人损坏或自然损耗。", "inspections")
        if not worse and ins.cause is not None:
            raise InvalidInput(f"资产 {a.tag} 状况未变差，不应登记损坏。", "inspections")
        before = snapshot(a)
        listing = listings.get(a.listing_id) if a.listing_id else None
        item.returned_at, item.condition_in, item.active = now, ins.condition, False
        a.condition, a.custodian = ins.condition, holder_name
        if ins.condition in USABLE_CONDITIONS and listing is not None and listing.status == "active":
            promised = db.exec(select(OrderItem.id).where(OrderItem.asset_id == a.id, OrderItem.active)).first()
            a.status = "reserved" if promised else "listed"
        else:  # out of the pool: to repair (待维修), or idle awaiting disposal (报废) or a new listing
            a.status = "in_repair" if ins.condition == "待维修" else "idle"
            a.listing_id = None
            if listing is not None:
                _rebook(db, actor, a, listing)
        stamp(a)
        log_event(db, actor, "asset", a.id, "return", f"归还验收：{item.condition_out} → {ins.condition}", before,
                  snapshot(a), ref=("order", order.id))
        if worse:
            damaged += 1
            _record_damage(db, actor, a, order, borrower, ins)
    order.status = "returned"
    by_holder = not can(actor, "take_return")  # the holding unit's manager (``require_handler`` let them in)
    log_event(db, actor, "order", order.id, "return",
              f"出借单 {order.number} 归还 {len(rows)} 件" + (f"，其中 {damaged} 件损坏" if damaged else "")
              + (f"（由持有单位{holder_name}收回验收）" if by_holder else ""),
              {"status": "on_loan"}, {"status": "returned"})
    if by_holder:
        tell_taken_back(db, actor, order, len(rows), damaged)
    for listing_id in listing_ids:
        touch_listing(db, listing_id)
        _withdraw_if_empty(db, actor, listing_id)
    close_request_if_done(db, actor, order)
    return order


def _rebook(db: Session, actor: User, asset: Asset, listing: PoolListing) -> None:
    """Later orders that counted on an item now out of use get another free item of the lot, or one fewer."""
    for later in db.exec(select(OrderItem).where(OrderItem.asset_id == asset.id, OrderItem.active)):
        order = db.get(Order, later.order_id)
        spare = [x for x in free_items(db, listing, later.busy_from, later.busy_until) if x.id != asset.id]
        later.active = False
        if spare:
            db.add(OrderItem(order_id=order.id, asset_id=spare[0].id, condition_out=spare[0].condition,
                             busy_from=later.busy_from, busy_until=later.busy_until))
            if spare[0].status == "listed":
                spare[0].status = "reserved"
            log_event(db, actor, "order", order.id, "rebook", f"{asset.tag} 归还时损坏，改由 {spare[0].tag} 出借",
                      ref=("asset", spare[0].id))
        else:
            order.quantity -= 1
            log_event(db, actor, "order", order.id, "shrink", f"{asset.tag} 归还时损坏且无可替换资产，单据减少 1 件",
                      ref=("asset", asset.id))
            if order.quantity == 0:
                order.status = "cancelled"


def _record_damage(db: Session, actor: User, a: Asset, order: Order, borrower: Unit, ins: Inspection) -> None:
    if ins.cause == "user":
        if ins.repair_cost is not None and money(ins.repair_cost) < 0:
            raise InvalidInput(f"资产 {a.tag}：维修费用不能为负数。", "inspections")
        # Pay the repair where it can be repaired for less than the item is worth, else its original value.
        if ins.condition != "报废" and ins.repair_cost is not None and money(ins.repair_cost) < a.original_value:
            amount, basis = money(ins.repair_cost), "repair_cost"
        else:
            amount, basis = a.original_value, "original_value"
        rec = DamageRecord(asset_id=a.id, order_id=order.id, cause="user", description=ins.description,
                           payer_unit_id=borrower.id, amount=amount, basis=basis, status="pending",
                           created_by=actor.id)
        db.add(rec)
        db.flush()
        what = "维修费" if basis == "repair_cost" else "原值"
        log_event(db, actor, "asset", a.id, "damage", f"使用人损坏：{borrower.name}应按{what}赔偿 {amount:.2f} 元",
                  after={"damage_id": rec.id, "amount": str(amount)}, ref=("damage", rec.id))
    else:
        rec = DamageRecord(asset_id=a.id, order_id=order.id, cause="wear", description=ins.description,
                           status="recorded", created_by=actor.id)
        db.add(rec)
        db.flush()
        log_event(db, actor, "asset", a.id, "wear", f"自然损耗报损：{ins.description or ins.condition}",
                  after={"damage_id": rec.id}, ref=("damage", rec.id))


@transactional
def settle_damage(db: Session, actor: User, damage_id: int, note: str = "") -> DamageRecord:
    """Record that the borrower has paid the compensation (赔偿到账)."""
    require(actor, "settle_damage")
    rec = visible(db, actor, DamageRecord, damage_id)
    if rec.cause != "user" or rec.status != "pending":
        raise InvalidTransition("该损坏记录无待收赔偿。")
    rec.status, rec.settled_at = "settled", utcnow()
    log_event(db, actor, "asset", rec.asset_id, "compensation",
              f"收到赔偿 {rec.amount:.2f} 元{('：' + note) if note else ''}", {"status": "pending"},
              {"status": "settled"}, ref=("damage", rec.id))
    return rec


@transactional
def cancel_order(db: Session, actor: User, order_id: int, reason: str = "") -> Order:
    """Cancel an order that has not gone out; its items are free again."""
    require(actor, "allocate")
    order = locked(db, Order, order_id)
    if order.status != "allocated":
        raise InvalidTransition(f"{order.kind_label} {order.number} 当前状态为“{order.status_label}”，不能取消。")
    rows = order_items(db, order.id, pick_list=False)
    for item, a in rows:
        item.active = False
        if a.status == "reserved":
            before = snapshot(a)
            a.status = "listed"
            stamp(a)
            log_event(db, actor, "asset", a.id, "release", f"取消{order.kind_label} {order.number}", before,
                      snapshot(a), ref=("order", order.id))
    order.status = "cancelled"
    log_event(db, actor, "order", order.id, "cancel", f"取消{('：' + reason) if reason else ''}",
              {"status": "allocated"}, {"status": "cancelled"})
    for listing_id in _listings_of(order, rows):
        touch_listing(db, listing_id)
    return order


def visible_order(db: Session, actor: User, order_id: int) -> Order:
    """An order the actor may read: unit roles see orders to or from their unit."""
    return visible(db, actor, Order, order_id)


@dataclass
class OrderView:
    """An order as its detail page and the API show it to ``actor``, with the steps they may take on it now."""

    order: Order
    items: list[tuple[OrderItem, Asset | HiddenAsset]]
    to_unit: Unit
    from_unit: Unit | None
    vendor: RentalVendor | None
    damages: list[DamageRecord]
    can_hand_out: bool
    can_return: bool
    can_cancel: bool
    can_settle: bool
    can_decide_allot: bool
    next_step: str  # who must act next, in Chinese ("待持有单位 XX 交付" …); "" when nobody must
    events: list[tuple[Event, str]]  # the order's record, each with who did it (who handed over what, when)
    chain: list[approvals.StepView]  # an ownership transfer's approval chain (empty for other orders)

    @property
    def tags(self) -> dict[int, str]:
        """Asset id → the tag a person reads (hidden for a confidential item the viewer may not see)."""
        return {a.id: a.tag for _, a in self.items}


def order_view(db: Session, actor: User, order: Order) -> OrderView:
    """An order already loaded through the policy (``visible_order``), with what the page and the API show."""
    vendor = None
    if order.rental_offer_id:
        offer = db.get(RentalOffer, order.rental_offer_id)
        vendor = db.get(RentalVendor, offer.vendor_id) if offer else None
    damages = list(db.exec(select(DamageRecord).where(DamageRecord.order_id == order.id).order_by(DamageRecord.id)))
    return OrderView(
        order=order, items=order_items(db, order.id, viewer=actor), to_unit=db.get(Unit, order.to_unit_id),
        from_unit=db.get(Unit, order.from_unit_id) if order.from_unit_id else None, vendor=vendor, damages=damages,
        can_hand_out=order.status == "allocated" and may_handle(db, actor, order, "hand_out"),
        can_return=(order.status == "on_loan" and order.kind in ("loan", "rental")
                    and may_handle(db, actor, order, "take_return")),
        can_cancel=order.status == "allocated" and can(actor, "allocate"),
        can_settle=can(actor, "settle_damage"),
        can_decide_allot=(order.kind == "allot" and order.status == "pending" and approvals.may_approve(
            actor, approvals.current_step(approvals.steps_of(db, allot_approval(order), True)))),
        next_step=next_step(db, order), events=order_events(db, order),
        chain=approvals.chain_view(db, allot_approval(order), order.status == "pending") if order.kind == "allot"
        else [])


def _held(db: Session, order: Order) -> bool:
    """Are the order's items a unit's idle items, at the holding unit's site (``access.held_by``)?"""
    return order.from_unit_id is not None and db.exec(
        select(Order.id).where(Order.id == order.id, held_by(order.from_unit_id))).first() is not None


def next_step(db: Session, order: Order) -> str:
    """Who must act on the order next, as its page says it."""
    if order.kind == "allot":
        if order.status != "pending":
            return ""
        step = approvals.current_step(approvals.steps_of(db, allot_approval(order), True))
        return f"待{approvals.step_role_text(db, step)}审批" if step else ""
    held = _held(db, order)
    holder = db.get(Unit, order.from_unit_id).name if held else ""
    if order.status == "allocated":
        if order.kind == "rental":
            return "待供应商送达，由公物仓管理员确认"
        return f"待持有单位 {holder} 交付（公物仓管理员也可代为办理）" if held else "待公物仓管理员出库"
    if order.status == "on_loan":
        if order.kind == "rental":
            return f"出借中，{order.end_date} 到期后退还供应商"
        return (f"出借中，{order.end_date} 到期后由持有单位 {holder} 收回验收" if held
                else f"出借中，{order.end_date} 到期后归还公物仓验收")
    return ""


def order_events(db: Session, order: Order) -> list[tuple[Event, str]]:
    """The order's record with the name of who did each step."""
    events = history(db, "order", order.id)
    who = {u.id: u.display_name or u.username for u in db.exec(
        select(User).where(User.id.in_({e.actor_id for e in events if e.actor_id} or {0})))}
    return [(e, who.get(e.actor_id, "系统")) for e in events]


def holder_queue(db: Session, actor: User) -> list[Order]:
    """The orders whose items ``actor``'s unit holds and must hand over or take back now (its managers' queue on
    the order list): allocated ones to hand over, loans out to take back, earliest first."""
    if actor.role != "unit_manager" or actor.unit_id is None:
        return []
    return list(db.exec(select(Order).where(held_by(actor.unit_id), Order.status.in_(["allocated", "on_loan"]))
                        .order_by(Order.status, Order.start_date, Order.id).limit(MAX_QUEUE)))


def allot_approval(order: Order) -> approvals.Subject:
    """An ownership transfer (调拨单) as its approval chain sees it: its original value, the owning unit."""
    return approvals.Subject("order", order.id, "ownership_transfer", order.cost, order.from_unit_id,
                             f"调拨单 {order.number}", f"/orders/{order.id}")


def order_detail(db: Session, actor: User, order_id: int) -> OrderView:
    return order_view(db, actor, visible_order(db, actor, order_id))


def unit_names(db: Session, rows: list[Order]) -> dict[str, Any]:
    """The names of the units a page of orders names (``lookups`` of the order lists)."""
    return {"units": names(db, Unit, [u for o in rows for u in (o.to_unit_id, o.from_unit_id)])}


def unit_options(db: Session, actor: User) -> dict[str, str]:
    """Every unit, for a list's unit filter."""
    return {str(i): n for i, n in db.exec(select(Unit.id, Unit.name).order_by(Unit.code))}


def own_unit_options(db: Session, actor: User) -> dict[str, str]:
    """The units a list of one unit's documents can show ``actor``: their own, or (the ledger) every unit."""
    if actor.role in UNIT_ROLES:
        unit = db.get(Unit, actor.unit_id) if actor.unit_id else None
        return {str(unit.id): unit.name} if unit else {}
    return unit_options(db, actor)


def period(o: Order) -> str:
    return f"{o.start_date} 至 {o.end_date}" if o.end_date else f"{o.start_date} 起"


def unit_name(key: str) -> Any:
    """A column's cell: the name of the unit in ``key`` of the row (from ``unit_names``)."""
    return lambda o, x: x["units"].get(getattr(o, key), "")


ORDER_LIST = ListSpec(
    key="orders", title="单据", model=Order,
    columns=(
        Column("number", "单号", lambda o, _: o.number),
        Column("kind", "类型", lambda o, _: o.kind_label),
        Column("from_unit", "调出", lambda o, x: x["units"].get(o.from_unit_id, "") if o.from_unit_id else "市场租赁"),
        Column("to_unit", "调入", unit_name("to_unit_id")),
        Column("quantity", "数量", lambda o, _: o.quantity),
        Column("period", "期间", lambda o, _: period(o)),
        Column("cost", "费用（元）", lambda o, _: o.cost),
        Column("status", "状态", lambda o, _: o.status_label),
    ),
    sorts=by_id(Order.id) | {"start": ("开始日期", (Order.start_date, Order.id)),
                             "due": ("归还日期", (Order.end_date.is_(None), Order.end_date, Order.id))},
    filters=(
        Filter("status", "状态", lambda v: Order.status == v, ORDER_STATUSES),
        Filter("kind", "类型", lambda v: Order.kind == v, ORDER_KINDS),
        Filter("unit", "单位", lambda v: or_(Order.to_unit_id == v, Order.from_unit_id == v), options=unit_options),
    ),
    search=(numbered(Order.id), like(Order.note), named(Order.to_unit_id, Unit), named(Order.from_unit_id, Unit)),
    lookups=unit_names,
)
