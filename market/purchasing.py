"""Central purchasing (集中采购): unmet demand becomes purchase needs; an administrator groups them by
category into a batch, records the purchase and receives the items into the warehouse with tags. The money
saved is what the same items would have cost bought unit by unit at the category's reference price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from market import standards
from market.access import can, require, require_user, scoped, visible
from market.counts import warehouse_options
from market.errors import InvalidInput, InvalidTransition
from market.fields import amount
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.infra.rows import get_or_404
from market.lists import Column, Filter, ListSpec, by_id, latest, like, local_time, named, names, numbered
from market.models import (
    BATCH_STATUSES,
    Acquisition,
    Category,
    Proposal,
    PurchaseBatch,
    PurchaseNeed,
    Request,
    RequestLine,
    User,
    money,
    utcnow,
)
from market.pool.listings import receive_items


def needs_from_proposal(db: Session, prop: Proposal) -> int:
    """Record the proposal's unmet units as purchase needs (called when it is accepted)."""
    codes = {r["id"]: r["category"] for r in prop.problem["requests"]}
    cats = {c.code: c.id for c in db.exec(select(Category))}
    n = 0
    for row in prop.solution.get("unmet", []):
        db.add(PurchaseNeed(request_line_id=int(row["request"][1:]), proposal_id=prop.id,
                            category_id=cats[codes[row["request"]]], quantity=row["quantity"]))
        n += row["quantity"]
    return n


@dataclass
class NeedGroup:
    category: Category
    quantity: int
    lines: int


def open_needs(db: Session, actor: User) -> list[NeedGroup]:
    require(actor, "allocate")
    rows = db.exec(select(PurchaseNeed.category_id, func.sum(PurchaseNeed.quantity), func.count())
                   .where(PurchaseNeed.status == "open").group_by(PurchaseNeed.category_id)).all()
    return [NeedGroup(db.get(Category, cid), int(q), n) for cid, q, n in rows]


@transactional
def create_batch(db: Session, actor: User, category_id: int) -> PurchaseBatch:
    """Group every open need of one category into a batch."""
    require(actor, "allocate")
    cat = get_or_404(db, Category, category_id, "category_id")
    needs = list(db.exec(select(PurchaseNeed).where(PurchaseNeed.status == "open",
                                                    PurchaseNeed.category_id == category_id)))
    if not needs:
        raise InvalidTransition(f"“{cat.name}”没有待采购的需求。")
    batch = PurchaseBatch(category_id=cat.id, quantity=sum(x.quantity for x in needs), created_by=actor.id,
                          reference_price=cat.reference_price)
    db.add(batch)
    db.flush()
    for x in needs:
        x.status, x.batch_id = "batched", batch.id
    log_event(db, actor, "purchase", batch.id, "create", f"生成采购批次：{cat.name} {batch.quantity} 件（{len(needs)} 项需求）")
    return batch


@dataclass(frozen=True)
class PriceCheck:
    """One purchase need of a batch against the price cap of its category for its request's rank."""

    need: PurchaseNeed
    request: Request
    rank: str  # the acquisition request's rank, "" for a request for items (checked against the general cap)
    cap: Decimal | None
    exception_price: Decimal | None  # finance approved this request over the standard: bought up to this price


def price_checks(db: Session, batch: PurchaseBatch) -> list[PriceCheck]:
    rows = db.exec(select(PurchaseNeed, Request).join(RequestLine, RequestLine.id == PurchaseNeed.request_line_id)
                   .join(Request, Request.id == RequestLine.request_id)
                   .where(PurchaseNeed.batch_id == batch.id).order_by(PurchaseNeed.id)).all()
    acqs = {a.request_id: a for a in db.exec(select(Acquisition).where(
        Acquisition.request_id.in_([r.id for _, r in rows] or [0])))}
    out = []
    for need, req in rows:
        acq = acqs.get(req.id)
        rank = acq.rank if acq else ""
        out.append(PriceCheck(need, req, rank, standards.price_cap(db, batch.category_id, rank or None),
                              acq.unit_price if acq and acq.outcome == "approved" else None))
    return out


def price_refusal(db: Session, batch: PurchaseBatch, price: Decimal) -> str | None:
    """Why ``price`` may not be recorded for the batch, or None: above the price cap of the standard for a need's
    rank, unless finance approved that request as an exception at that price or more (the one check, for the page
    and the API alike)."""
    over = []
    for c in price_checks(db, batch):
        if c.cap is None or price <= c.cap:
            continue
        if c.exception_price is not None and price <= c.exception_price:
            continue
        rank = standards.RANKS.get(c.rank, "")
        why = (f"特批单价 {c.exception_price:,.2f} 元" if c.exception_price is not None else "未经超标特批")
        over.append(f"{c.request.number}（价格上限 {c.cap:,.2f} 元{'，' + rank if rank else ''}，{why}）")
    if not over:
        return None
    return (f"成交单价 {price:,.2f} 元超过配置标准的价格上限，不能登记：" + "；".join(over[:5])
            + (f" 等 {len(over)} 项" if len(over) > 5 else "") + "。超标采购须先经财政特批。")


@transactional
def record_purchase(db: Session, actor: User, batch_id: int, supplier: str, unit_price: Decimal | str,
                    quantity: int | None = None) -> PurchaseBatch:
    require(actor, "allocate")
    batch = visible(db, actor, PurchaseBatch, batch_id)
    if batch.status != "planned":
        raise InvalidTransition(f"采购批次当前状态为“{batch.status_label}”，不能登记采购。")
    if not supplier or not supplier.strip():
        raise InvalidInput("请填写供应商。", "supplier")
    price = amount(unit_price, "unit_price", "成交单价")
    refusal = price_refusal(db, batch, price)
    if refusal:
        raise InvalidInput(refusal, "unit_price")
    if quantity is not None:
        if not 1 <= quantity <= 100000:
            raise InvalidInput("采购数量须为 1 至 100000。", "quantity")
        batch.quantity = quantity
    batch.supplier, batch.unit_price, batch.status, batch.purchased_at = supplier.strip()[:100], price, "purchased", utcnow()
    log_event(db, actor, "purchase", batch.id, "purchase",
              f"登记采购：{batch.supplier}，{batch.quantity} 件 × {price:.2f} 元（参考单价 {batch.reference_price:.2f} 元）")
    return batch


@transactional
def receive_batch(db: Session, actor: User, batch_id: int, warehouse_id: int, name: str, brand: str = "",
                  model: str = "") -> PurchaseBatch:
    """Receive the bought items into a warehouse: tagged one by one and put in the pool."""
    require(actor, "receive_items")
    batch = visible(db, actor, PurchaseBatch, batch_id)
    if batch.status != "purchased":
        raise InvalidTransition(f"采购批次当前状态为“{batch.status_label}”，不能入库。")
    listing = receive_items(db, actor, warehouse_id, batch.category_id, name, batch.quantity, batch.unit_price,
                            brand=brand, model=model, purchase_date=utcnow().date(), source=f"集中采购 {batch.number}")
    batch.status, batch.received_at, batch.warehouse_id, batch.listing_id = "received", utcnow(), warehouse_id, listing.id
    log_event(db, actor, "purchase", batch.id, "receive", f"采购批次入库：{batch.quantity} 件")
    return batch


def batch_saving(batch: PurchaseBatch) -> Decimal:
    if batch.unit_price is None:
        return Decimal(0)
    return money((batch.reference_price - batch.unit_price) * batch.quantity)


def total_saving(db: Session, condition: Any = None) -> tuple[Decimal, int]:
    """What buying centrally saved against the categories' reference prices, and in how many batches (those bought;
    ``condition`` narrows them, e.g. to a period)."""
    stmt = select(PurchaseBatch).where(PurchaseBatch.status.in_(["purchased", "received"]))
    batches = db.exec(stmt if condition is None else stmt.where(condition)).all()
    return sum((batch_saving(b) for b in batches), Decimal(0)), len(batches)


def _category_options(db: Session, actor: User) -> dict[str, str]:
    """The categories batches have been bought in."""
    used = select(PurchaseBatch.category_id).distinct()
    return {str(i): n for i, n in db.exec(select(Category.id, Category.name).where(Category.id.in_(used))
                                          .order_by(Category.code))}


def batch_actions(actor: User, batch: PurchaseBatch) -> set[str]:
    """The steps ``actor`` may take on the batch now: "purchase" (record the purchase), "receive" (into a
    warehouse)."""
    steps = set()
    if batch.status == "planned" and can(actor, "allocate"):
        steps.add("purchase")
    if batch.status == "purchased" and can(actor, "receive_items"):
        steps.add("receive")
    return steps


@dataclass
class Board:
    """The purchasing page beside its list of batches: the open needs, the money saved, and what ``actor`` may do."""

    needs: list[NeedGroup]
    saved: Decimal
    bought: int  # batches purchased or received
    can_batch: bool  # may group the open needs of a category into a batch
    warehouses: dict[str, str]  # where bought items may be received (none if the actor may not receive them)


def board(db: Session, actor: User | None) -> Board:
    actor = require_user(actor)
    scoped(actor, PurchaseBatch)  # the planners' page: refused to anybody else, as their list is
    saved, bought = total_saving(db)
    may_batch = can(actor, "allocate")
    return Board(open_needs(db, actor) if may_batch else [], saved, bought, may_batch,
                 warehouse_options(db, actor) if can(actor, "receive_items") else {})


BATCH_LIST = ListSpec(
    key="batches", title="采购批次", model=PurchaseBatch,
    columns=(
        Column("number", "批次", lambda b, _: b.number),
        Column("category", "分类", lambda b, x: x["categories"].get(b.category_id, "")),
        Column("quantity", "数量", lambda b, _: b.quantity),
        Column("reference_price", "参考单价（元）", lambda b, _: b.reference_price),
        Column("unit_price", "成交单价（元）", lambda b, _: b.unit_price),
        Column("supplier", "供应商", lambda b, _: b.supplier),
        Column("saving", "节约（元）", lambda b, _: None if b.unit_price is None else batch_saving(b)),
        Column("created_at", "生成时间", lambda b, _: local_time(b.created_at)),
        Column("status", "状态", lambda b, _: b.status_label),
    ),
    sorts=by_id(PurchaseBatch.id) | {"purchased": ("采购时间", latest(PurchaseBatch.purchased_at, PurchaseBatch.id))},
    filters=(
        Filter("status", "状态", lambda v: PurchaseBatch.status == v, BATCH_STATUSES),
        Filter("category", "分类", lambda v: PurchaseBatch.category_id == v, options=_category_options),
    ),
    search=(numbered(PurchaseBatch.id), like(PurchaseBatch.supplier), named(PurchaseBatch.category_id, Category)),
    lookups=lambda db, rows: {"categories": names(db, Category, [b.category_id for b in rows])},
)
