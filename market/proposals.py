"""Allocation proposals (调配方案): the database as a docs/matching.md problem, the matcher's solution, edits,
acceptance into orders, and the money saved against renting or buying everything."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

import matcher
from market.access import can, require, scoped, visible
from market.errors import InvalidInput, InvalidTransition
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.infra.rows import locked
from market.lists import Column, Filter, ListSpec, by_id, latest, local_time, numbered
from market.models import (
    USABLE_CONDITIONS,
    Acquisition,
    Asset,
    Category,
    Order,
    OrderItem,
    PoolListing,
    Proposal,
    RentalOffer,
    RentalVendor,
    Request,
    RequestLine,
    Unit,
    User,
    Warehouse,
    money,
    utcnow,
)
from market.models.orders import PROPOSAL_POLICIES, PROPOSAL_STATUSES
from market.orders import (
    TURNAROUND_DAYS,
    Part,
    Span,
    allocate_checked,
    create_rental_order,
    lock_for_allocation,
    rentals_out,
    still_out,
)
from market.purchasing import needs_from_proposal
from matcher.geo import haversine_km

DEFAULT_RATE = 0.5  # 元 per unit-km for a category without its own rate
Progress = Callable[[int, int], None]


@dataclass
class Built:
    problem: dict[str, Any]
    lots: dict[str, dict[str, Any]]  # lot id → {"listing": id, "assets": [ids], "condition": …}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _item_commitments(db: Session, listing_ids: list[int], today: date) -> dict[int, tuple[Span, ...]]:
    """Each item's active loans, reservations and permanent commitments (busy periods, turnaround included)."""
    spans: dict[int, list[Span]] = defaultdict(list)
    for asset_id, b_from, b_until, handed in db.exec(
        select(OrderItem.asset_id, OrderItem.busy_from, OrderItem.busy_until, OrderItem.handed_out_at)
        .join(Asset, Asset.id == OrderItem.asset_id)
        .where(OrderItem.active, Asset.listing_id.in_(listing_ids))
    ):
        spans[asset_id].append(still_out((b_from, b_until), handed is not None, today, TURNAROUND_DAYS))
    return {a: tuple(sorted(s, key=lambda x: (x[0], x[1] or date.max))) for a, s in spans.items()}


def _booked(spans: tuple[Span, ...], units: int) -> list[dict[str, Any]]:
    return [{"start": s.isoformat(), "end": _iso(e), "quantity": units} for s, e in spans]


def _offer_bookings(db: Session, offer_ids: list[int], today: date) -> dict[int, list[dict[str, Any]]]:
    """Every accepted, not yet returned rental as a booking on its offer (docs/matching.md rule 5)."""
    return {o: [{"start": s.isoformat(), "end": e.isoformat(), "quantity": q} for s, e, q in spans]
            for o, spans in rentals_out(db, offer_ids, today).items()}


# A listing's ``mode`` as the lot's ``serves`` (docs/matching.md rule 3).
SERVES = {"both": "any", "loan": "loan", "transfer": "transfer"}


def build_problem(db: Session, policy: str = "tiered", today: date | None = None,
                  request_ids: list[int] | None = None, rentals: bool = True) -> Built:
    """Approved requests, the pool's lots and the active rental offers as a docs/matching.md problem.

    ``request_ids``: only these requests, whatever their status (an acquisition request's look at the pool,
    ``market.acquisitions``); by default every approved request for items (acquisition requests never: they go
    through the pool on their own). ``rentals=False``: no market rentals (a purchase is never replaced by one).

    A lot is a listing's usable items of one condition that have exactly the same commitments: their loans
    (turnaround added), reservations and permanent commitments are the lot's ``booked`` days, so each lot's
    items are interchangeable, and the pick lists that accepting a proposal writes, first fit in start order,
    always realise what the matcher proved feasible.
    """
    today = today or utcnow().date()
    which = (Request.id.in_(request_ids) if request_ids is not None
             else (Request.status == "approved") & (Request.kind == "use"))
    reqs = db.exec(select(Request, RequestLine).join(RequestLine, RequestLine.request_id == Request.id)
                   .where(which).order_by(RequestLine.id)).all()
    cats = {c.id: c for c in db.exec(select(Category))}
    units = {u.id: u for u in db.exec(select(Unit))}
    requests = []
    for req, line in reqs:
        cat = cats[line.category_id]
        requests.append({
            "id": f"R{line.id}", "unit": units[req.unit_id].name, "category": cat.code, "quantity": line.quantity,
            "start": line.start_date.isoformat(), "end": _iso(line.end_date), "location": [req.lat, req.lng],
            "priority": line.priority, "unmet_cost": float(cat.reference_price),
        })
    wanted = {cats[line.category_id].id for _, line in reqs}

    warehouses = {w.id: w for w in db.exec(select(Warehouse))}
    listings = {lst.id: lst for lst in db.exec(select(PoolListing).where(
        PoolListing.status == "active", PoolListing.category_id.in_(wanted)))}
    groups: dict[tuple[int, str, tuple[Span, ...]], list[int]] = defaultdict(list)
    if listings:
        commitments = _item_commitments(db, list(listings), today)
        for a in db.exec(select(Asset).where(Asset.listing_id.in_(list(listings)),
                                             Asset.status.in_(["listed", "reserved", "on_loan"]),
                                             Asset.condition.in_(USABLE_CONDITIONS)).order_by(Asset.id)):
            groups[(a.listing_id, a.condition, commitments.get(a.id, ()))].append(a.id)
    stock, lots = [], {}
    for n, ((listing_id, condition, spans), ids) in enumerate(
            sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], len(kv[0][2]), kv[1][0]))):
        lst = listings[listing_id]
        place = warehouses[lst.warehouse_id] if lst.warehouse_id else units[lst.holder_unit_id]
        lot_id = f"K{listing_id}-{n}"
        lots[lot_id] = {"listing": listing_id, "assets": ids, "condition": condition}
        stock.append({
            "id": lot_id, "tier": lst.tier, "holder": place.name, "category": cats[lst.category_id].code,
            "quantity": len(ids), "location": [place.lat, place.lng],
            "available_from": _iso(lst.available_from), "available_until": _iso(lst.available_until),
            "handling_cost": float(lst.handling_cost), "booked": _booked(spans, len(ids)),
            "serves": SERVES.get(lst.mode, "any"), "listing": listing_id, "condition": condition,
        })
    vendors = {v.id: v for v in db.exec(select(RentalVendor).where(RentalVendor.is_active))}
    offers = [o for o in db.exec(select(RentalOffer).where(RentalOffer.is_active, RentalOffer.category_id.in_(wanted))
                                 .order_by(RentalOffer.id)) if o.vendor_id in vendors] if rentals else []
    out = _offer_bookings(db, [o.id for o in offers], today)
    rentals = []
    for o in offers:
        v = vendors[o.vendor_id]
        rentals.append({"id": f"M{o.id}", "vendor": v.name, "category": cats[o.category_id].code,
                        "capacity": o.capacity, "price_per_unit_day": float(o.price_per_unit_day),
                        "delivery_fee": float(o.delivery_fee), "location": [v.lat, v.lng],
                        "booked": out.get(o.id, [])})
    rates = {c.code: float(c.transport_rate) for c in cats.values() if c.id in wanted}
    rates["*"] = DEFAULT_RATE
    problem = {"version": 1, "policy": policy, "turnaround_days": TURNAROUND_DAYS,
               "transport": {"per_unit_km": rates}, "requests": requests, "stock": stock, "rentals": rentals}
    return Built(problem, lots)


def _alternatives(problem: dict[str, Any], solution: dict[str, Any]) -> list[tuple[int, bool, float | None, float]]:
    """For each request served: (units, permanent?, the cheapest rental of those units for its days — None when
    it is a transfer or nobody rents its category out —, the units bought new at the reference price)."""
    reqs = {r["id"]: r for r in problem["requests"]}
    rates = problem["transport"]["per_unit_km"]
    served: dict[str, int] = defaultdict(int)
    for row in solution.get("assignments", []):
        served[row["request"]] += row["quantity"]
    out = []
    for rid, q in served.items():
        r = reqs[rid]
        offers = [o for o in problem["rentals"] if o["category"] == r["category"]]
        rent = None
        if r["end"] is not None and offers:
            days = (date.fromisoformat(r["end"]) - date.fromisoformat(r["start"])).days + 1
            rate = rates.get(r["category"], rates["*"])
            rent = min(q * (o["price_per_unit_day"] * days + rate * haversine_km(*o["location"], *r["location"]))
                       + o["delivery_fee"] for o in offers)
        out.append((q, r["end"] is None, rent, q * r["unmet_cost"]))
    return out


def counterfactuals(problem: dict[str, Any], solution: dict[str, Any]) -> tuple[Decimal | None, Decimal]:
    """What the units served would cost all rented (cheapest offer each line; None if a line cannot be
    rented: a permanent transfer or no offer for its category) and all bought new (reference price)."""
    alts = _alternatives(problem, solution)
    rented = None if any(rent is None for _, _, rent, _ in alts) else money(sum(rent for _, _, rent, _ in alts))
    return rented, money(sum(new for *_, new in alts))


@dataclass(frozen=True)
class Savings:
    """A proposal's money saved against the alternative that fits each line: a loan against renting the
    items for its days (or buying them, when nobody rents the category out), a transfer against buying new."""

    baseline: Decimal
    saved: Decimal
    loan_units_rent: int
    loan_units_new: int
    transfer_units: int

    @property
    def basis(self) -> str:
        parts = []
        if self.loan_units_rent:
            parts.append(f"出借 {self.loan_units_rent} 件对照市场租金")
        if self.loan_units_new:
            parts.append(f"出借 {self.loan_units_new} 件无租赁报价、对照新购")
        if self.transfer_units:
            parts.append(f"永久调剂 {self.transfer_units} 件对照新购")
        return "，".join(parts) or "未调配任何物品"


def savings(prop: Proposal) -> Savings:
    alts = _alternatives(prop.problem, prop.solution)
    baseline = money(sum(new if permanent or rent is None else rent for _, permanent, rent, new in alts))
    return Savings(baseline, baseline - prop.cost_total,
                   sum(q for q, permanent, rent, _ in alts if not permanent and rent is not None),
                   sum(q for q, permanent, rent, _ in alts if not permanent and rent is None),
                   sum(q for q, permanent, *_ in alts if permanent))


def store_proposal(db: Session, actor: User, built: Built, solution: dict[str, Any], seconds: float) -> Proposal:
    """A solved problem kept as a draft proposal, with its counterfactual costs (a matcher run, an acquisition
    request's look at the pool)."""
    rented, new = counterfactuals(built.problem, solution)
    total = solution.get("cost", {}).get("total", 0.0)
    prop = Proposal(created_by=actor.id, policy=built.problem["policy"], problem=built.problem, solution=solution,
                    lots=built.lots, seconds=seconds, cost_total=money(total), cost_all_rented=rented,
                    cost_all_new=new)
    db.add(prop)
    db.flush()
    return prop


@transactional
def run_matcher(db: Session, actor: User, policy: str = "tiered", time_limit: float | None = 30.0,
                progress: Progress | None = None, today: date | None = None) -> Proposal:
    """Solve the approved requests against the pool and keep the result as a draft proposal."""
    require(actor, "run_matcher")
    if policy not in ("tiered", "cost"):
        raise InvalidInput("调配策略须为 tiered（分层）或 cost（成本）。", "policy")
    built = build_problem(db, policy, today)
    if not built.problem["requests"]:
        raise InvalidTransition("没有待调配的已批准申请。")
    started = utcnow()
    solution = matcher.solve(built.problem, time_limit=time_limit, progress=progress)
    if solution["status"] == "error":
        raise InvalidTransition(f"调配求解失败：{solution.get('message', '')}")
    prop = store_proposal(db, actor, built, solution, (utcnow() - started).total_seconds())
    served = sum(a["quantity"] for a in solution["assignments"])
    log_event(db, actor, "proposal", prop.id, "create",
              f"运行调配：{len(built.problem['requests'])} 行需求，调配 {served} 件，费用 {prop.cost_total:.2f} 元",
              after={"status": "draft", "solver_status": solution["status"]})
    return prop


def _draft(db: Session, proposal_id: int) -> Proposal:
    prop = locked(db, Proposal, proposal_id)  # accept, edit and discard of one proposal queue here
    if prop.status != "draft":
        raise InvalidTransition(f"调配方案 #{prop.id} 已{'采纳' if prop.status == 'accepted' else '作废'}，不能再修改。")
    return prop


@transactional
def edit_proposal(db: Session, actor: User, proposal_id: int, quantities: dict[tuple[str, str], int]) -> Proposal:
    """Set the quantities of (request, source) rows; the edited allocation is checked by the same rules.

    A source is a listing (``L<id>``: its quantity is spread over the listing's lots, keeping what each
    already gives where it can), a rental offer (``M<id>``) or one lot (``K…``). Errors name requests and
    sources by their numbers and titles. The result is re-checked, not re-solved, and says so.
    """
    require(actor, "run_matcher")
    prop = _draft(db, proposal_id)
    prob = matcher.validate(prop.problem)
    names = proposal_names(db, prop)
    lots_of = _lots_by_listing(prop.problem)
    offers = {o.id for o in prob.rentals}
    lots = {k.id for k in prob.stock}
    wanted = {r.id: r.quantity for r in prob.requests}
    rows = {(a["request"], a["source"]): a["quantity"] for a in prop.solution["assignments"]}
    for (rid, source), qty in quantities.items():
        if rid not in wanted:
            raise InvalidInput(f"方案中没有需求行 {rid}。", "request")
        if source not in offers and source not in lots and source not in lots_of:
            raise InvalidInput(f"方案中没有来源 {source}。", "source")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
            raise InvalidInput(f"{names.of(rid)} ← {names.of(source)}：数量须为非负整数。", "quantity")
    totals: dict[str, int] = defaultdict(int)  # units per request after the edit, checked before spreading
    for (rid, _), qty in rows.items():
        totals[rid] += qty
    for (rid, source), qty in quantities.items():
        before = sum(rows.get((rid, k), 0) for k in lots_of[source]) if source in lots_of else rows.get((rid, source), 0)
        totals[rid] += qty - before
    for rid, got in totals.items():
        if got > wanted[rid]:
            raise InvalidInput(f"{names.of(rid)} 共需 {wanted[rid]} 件，调整后分配了 {got} 件。", "quantity")
    for (rid, source), qty in quantities.items():
        if source in lots_of:
            rows |= _spread(prob, rows, rid, lots_of[source], qty, names.of(source))
        else:
            rows[(rid, source)] = qty
    solution = matcher.evaluate(prob, [{"request": r, "source": s, "quantity": q} for (r, s), q in rows.items()])
    errors = matcher.check(prob, solution)
    if errors:
        raise InvalidInput("调整后的方案不可行：" + "；".join(names.readable(e) for e in errors[:3]), "quantity")
    # The first sentence of the matcher's explanation is its status; an edit is checked, not solved.
    solution["explanation"] = EDITED + solution["explanation"].split("。", 1)[-1]
    solution["edited_by"] = actor.username
    prop.solution = solution
    rented, new = counterfactuals(prop.problem, solution)
    prop.cost_total, prop.cost_all_rented, prop.cost_all_new = money(solution["cost"]["total"]), rented, new
    log_event(db, actor, "proposal", prop.id, "edit", f"调整调配方案 {len(quantities)} 处，费用 {prop.cost_total:.2f} 元")
    return prop


EDITED = "已人工调整：按同样的规则复核可行，未重新求解，不保证最优。"


def _lots_by_listing(problem: dict[str, Any]) -> dict[str, list[str]]:
    """Listing key ``L<id>`` → the ids of its lots in the problem, in problem order."""
    out: dict[str, list[str]] = defaultdict(list)
    for k in problem["stock"]:
        out[f"L{k['listing']}"].append(k["id"])
    return out


def _spread(prob: matcher.Problem, rows: dict[tuple[str, str], int], rid: str, lots: list[str], qty: int,
            name: str) -> dict[tuple[str, str], int]:
    """The per-lot quantities that give request ``rid`` ``qty`` units of one listing: fewer taken from the lots
    given last, more added where the lots have room on the request's days (bookings and the other rows)."""
    now = {k: rows.get((rid, k), 0) for k in lots}
    extra = qty - sum(now.values())
    if extra < 0:
        for k in reversed(lots):
            cut = min(now[k], -extra)
            now[k] -= cut
            extra += cut
    elif extra > 0:
        current = matcher.evaluate(prob, [{"request": r, "source": s, "quantity": q} for (r, s), q in rows.items()])
        room = {c["source"]: (c["free"] or 0) - c["taken"]
                for c in matcher.candidates(prob, current, rid) if c["source"] in now}
        for k in sorted(lots, key=lambda k: -room.get(k, 0)):
            add = max(0, min(room.get(k, 0), extra))
            now[k] += add
            extra -= add
        if extra > 0:
            raise InvalidInput(f"{name} 在该需求的日期内最多能调出 {qty - extra} 件，不足 {qty} 件。", "quantity")
    return {(rid, k): q for k, q in now.items()}


@transactional
def accept_proposal(db: Session, actor: User, proposal_id: int, progress: Progress | None = None) -> Proposal:
    """Turn a proposal into loan, transfer and rental orders with pick lists, all or nothing: one order per
    request line and holder (a warehouse, a unit, a vendor's offer), however many listings and lots it takes.

    ``progress(done, total)`` is called after each order (the orders are committed together at the end).
    """
    require(actor, "allocate")
    prop = _draft(db, proposal_id)
    if db.exec(select(Acquisition.request_id).where(Acquisition.proposal_id == prop.id)).first() is not None:
        raise InvalidTransition(f"调配方案 #{prop.id} 是配置申请的公物仓调剂方案，请在该配置申请的页面确认。")
    orders = realise(db, actor, prop, progress)
    # What nobody could supply becomes purchase needs for central purchasing.
    needs_from_proposal(db, prop)
    log_event(db, actor, "proposal", prop.id, "accept", f"采纳调配方案 #{prop.id}，生成 {orders} 张单据",
              {"status": "draft"}, {"status": "accepted"})
    return prop


def realise(db: Session, actor: User, prop: Proposal, progress: Progress | None = None) -> int:
    """The orders of a draft proposal (its status set to accepted): the part of accepting it that an acquisition
    request's acceptance of the pool's offer shares (``market.acquisitions``), the caller having checked who may.
    Returns the number of orders."""
    reqs = {r["id"]: r for r in prop.problem["requests"]}
    listing_ids = {prop.lots[a["source"]]["listing"] for a in prop.solution["assignments"] if a["tier"] != "rental"}
    holder = {i: f"W{w}" if w else f"U{u}" for i, w, u in db.exec(
        select(PoolListing.id, PoolListing.warehouse_id, PoolListing.holder_unit_id)
        .where(PoolListing.id.in_(listing_ids or {0}))).all()}
    # Earliest start first: within each lot, first fit in start order always fits what the matcher proved
    # feasible, and every lot's share of an order is picked among that lot's own items.
    orders: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for a in sorted(prop.solution["assignments"], key=lambda a: (reqs[a["request"]]["start"], a["request"])):
        source = a["source"] if a["tier"] == "rental" else holder.get(prop.lots[a["source"]]["listing"], "?")
        orders[(a["request"], source)].append(a)
    lock_for_allocation(db, listing_ids, {int(r[1:]) for r, _ in orders})
    for done, ((rid, source), rows) in enumerate(orders.items(), start=1):
        line_id, qty, cost = int(rid[1:]), sum(a["quantity"] for a in rows), sum(a["cost"] for a in rows)
        if source.startswith("M"):
            create_rental_order(db, actor, line_id, int(source[1:]), qty, cost, prop.id)
        else:
            allocate_checked(db, actor, line_id, [Part(prop.lots[a["source"]]["listing"], a["quantity"],
                                                       prop.lots[a["source"]]["assets"]) for a in rows], cost,
                             prop.id)
        if progress:
            progress(done, len(orders))
    prop.status, prop.accepted_by, prop.accepted_at = "accepted", actor.id, utcnow()
    return len(orders)


@transactional
def discard_proposal(db: Session, actor: User, proposal_id: int) -> Proposal:
    require(actor, "run_matcher")
    prop = _draft(db, proposal_id)
    prop.status = "discarded"
    log_event(db, actor, "proposal", prop.id, "discard", f"作废调配方案 #{prop.id}", {"status": "draft"},
              {"status": "discarded"})
    return prop


def visible_proposal(db: Session, actor: User, proposal_id: int) -> Proposal:
    """Proposals are read by the warehouse administrators and the finance supervisors."""
    return visible(db, actor, Proposal, proposal_id)


def waiting_requests(db: Session, actor: User | None) -> int:
    """Approved requests not yet allocated: what a run of the matcher would take up."""
    stmt = scoped(actor, Request, select(func.count()).select_from(Request)).where(Request.status == "approved",
                                                                                  Request.kind == "use")
    return db.exec(stmt).one()


@dataclass
class ProposalView:
    """A proposal as its review page shows it to ``actor``."""

    prop: Proposal
    lines: list[ReviewLine]
    orders: list[Order]
    editable: bool  # a draft, and the actor may edit, accept or discard it
    savings: Savings


def proposal_detail(db: Session, actor: User, proposal_id: int) -> ProposalView:
    prop = visible_proposal(db, actor, proposal_id)
    orders = list(db.exec(scoped(actor, Order).where(Order.proposal_id == prop.id).order_by(Order.id)))
    return ProposalView(prop, review_lines(db, prop), orders, prop.status == "draft" and can(actor, "run_matcher"),
                        savings(prop))


@dataclass
class ReviewLine:
    """One request line of a proposal, with the sources that serve it, for the review page: one row per
    listing or rental offer (a listing's lots added up), with what a reader needs to know the items."""

    request: dict[str, Any]
    category_name: str
    number: str  # the request's number (XQ…)
    rows: list[dict[str, Any]]
    unmet: int


@dataclass
class Names:
    """The proposal's request lines and sources as a reader knows them (numbers and titles, not ids)."""

    names: dict[str, str]

    def of(self, key: str) -> str:
        return self.names.get(key, key)

    def readable(self, text: str) -> str:
        """A matcher message with every request, lot and offer id replaced by its name."""
        return _IDS.sub(lambda m: self.of(m[1]), text)


_IDS = re.compile(r"(?<![A-Za-z0-9-])([RKM][0-9]+(?:-[0-9]+)?)(?![A-Za-z0-9-])")


def _listing_facts(db: Session, prop: Proposal) -> dict[int, dict[str, Any]]:
    """Title and brand / model of every listing the proposal's lots come from (from the lots' own items, which
    stay known after they are transferred away)."""
    first = {}
    for k in prop.problem["stock"]:
        ids = prop.lots.get(k["id"], {}).get("assets") or []
        if ids:
            first.setdefault(k["listing"], ids[0])
    facts: dict[int, dict[str, Any]] = {}
    if first:
        titles = dict(db.exec(select(PoolListing.id, PoolListing.title).where(PoolListing.id.in_(list(first)))).all())
        assets = {a.id: a for a in db.exec(select(Asset).where(Asset.id.in_(list(first.values()))))}
        for listing_id, asset_id in first.items():
            a = assets.get(asset_id)
            facts[listing_id] = {"title": titles.get(listing_id, f"挂牌 #{listing_id}"),
                                 "make": " ".join(x for x in (a.brand, a.model) if x) if a else ""}
    return facts


def _offer_facts(db: Session, prop: Proposal) -> dict[str, str]:
    ids = [int(o["id"][1:]) for o in prop.problem["rentals"]]
    if not ids:
        return {}
    return {f"M{i}": d for i, d in db.exec(select(RentalOffer.id, RentalOffer.description)
                                           .where(RentalOffer.id.in_(ids))).all()}


def proposal_names(db: Session, prop: Proposal) -> Names:
    names: dict[str, str] = {}
    line_ids = [int(r["id"][1:]) for r in prop.problem["requests"]]
    numbers = dict(db.exec(select(RequestLine.id, Request).join(Request, Request.id == RequestLine.request_id)
                           .where(RequestLine.id.in_(line_ids or [0]))).all())
    cats = {c.code: c.name for c in db.exec(select(Category))}
    for r in prop.problem["requests"]:
        req = numbers.get(int(r["id"][1:]))
        names[r["id"]] = (f"{r.get('unit') or ''} 申请 {req.number if req else r['id']}"
                          f"（{cats.get(r['category'], r['category'])} × {r['quantity']}）")
    facts = _listing_facts(db, prop)
    for k in prop.problem["stock"]:
        f = facts.get(k["listing"], {"title": f"挂牌 #{k['listing']}"})
        listing = f"挂牌 #{k['listing']}「{f['title']}」（{k.get('holder') or ''}）"
        names[f"L{k['listing']}"] = listing
        names[k["id"]] = f"{listing}中{k.get('condition') or ''}的一批"
    offers = _offer_facts(db, prop)
    for o in prop.problem["rentals"]:
        names[o["id"]] = f"租赁 {o.get('vendor') or ''}「{offers.get(o['id']) or o['id']}」"
    return Names(names)


def review_lines(db: Session, prop: Proposal) -> list[ReviewLine]:
    cats = {c.code: c.name for c in db.exec(select(Category))}
    names = proposal_names(db, prop)
    facts = _listing_facts(db, prop)
    offers = _offer_facts(db, prop)
    stock = {k["id"]: k for k in prop.problem.get("stock", [])}
    rentals = {o["id"]: o for o in prop.problem.get("rentals", [])}
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for a in prop.solution.get("assignments", []):
        lot = stock.get(a["source"])
        key = f"L{lot['listing']}" if lot else a["source"]
        row = groups.get((a["request"], key))
        if row is None:
            if lot:
                f = facts.get(lot["listing"], {})
                row = {"key": key, "tier": a["tier"], "holder": lot.get("holder"), "title": f.get("title"),
                       "make": f.get("make", ""), "link": f"/listings/{lot['listing']}", "parts": defaultdict(int),
                       "price_per_unit_day": None}
            else:
                o = rentals.get(a["source"], {})
                row = {"key": key, "tier": "rental", "holder": o.get("vendor"), "title": offers.get(key) or "",
                       "make": f"每件每天 {o.get('price_per_unit_day', 0):.2f} 元", "link": None,
                       "parts": defaultdict(int), "price_per_unit_day": float(o.get("price_per_unit_day", 0))}
            row |= {"quantity": 0, "cost": 0.0, "km": a["km"]}
            groups[(a["request"], key)] = row
        row["quantity"] += a["quantity"]
        row["cost"] += a["cost"]
        if lot and lot.get("condition"):
            row["parts"][lot["condition"]] += a["quantity"]
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (rid, _), row in groups.items():
        row["unit_cost"] = row["cost"] / row["quantity"] if row["quantity"] else 0.0
        # the text the page shows ("全新 2 件 · 良好 1 件"), and the same as numbers for the API
        row["by_condition"] = dict(row.pop("parts"))
        row["conditions"] = " · ".join(f"{c} {q} 件" for c, q in row["by_condition"].items())
        rows[rid].append(row)
    unmet = {u["request"]: u["quantity"] for u in prop.solution.get("unmet", [])}
    out = []
    for r in prop.problem["requests"]:
        served = sorted(rows.get(r["id"], []), key=lambda x: (("warehouse", "idle", "rental").index(x["tier"]),
                                                               -x["quantity"]))
        number = names.of(r["id"]).split("申请 ", 1)[-1].split("（", 1)[0]
        out.append(ReviewLine(r, cats.get(r["category"], r["category"]), number, served, unmet.get(r["id"], 0)))
    return out


PROPOSAL_LIST = ListSpec(
    key="proposals", title="调配方案", model=Proposal,
    columns=(
        Column("id", "方案", lambda p, _: f"#{p.id}"),
        Column("created_at", "生成时间", lambda p, _: local_time(p.created_at)),
        Column("policy", "策略", lambda p, _: p.policy_label),
        Column("solved", "求解", lambda p, _: p.solved_label),
        Column("cost_total", "费用（元）", lambda p, _: p.cost_total),
        Column("cost_all_new", "全部新购（元）", lambda p, _: p.cost_all_new),
        Column("status", "状态", lambda p, _: p.status_label),
    ),
    sorts=by_id(Proposal.id) | {"accepted": ("采纳时间", latest(Proposal.accepted_at, Proposal.id)),
                                "cost": ("费用最低", (Proposal.cost_total, Proposal.id.desc()))},
    filters=(
        Filter("status", "状态", lambda v: Proposal.status == v, PROPOSAL_STATUSES),
        Filter("policy", "策略", lambda v: Proposal.policy == v, PROPOSAL_POLICIES),
    ),
    search=(numbered(Proposal.id),),
)


@dataclass
class Candidates:
    """Every source of one request line's category, and why each could or could not serve it."""

    prop: Proposal
    request: dict[str, Any]
    category_name: str
    rows: list[dict[str, Any]]  # matcher.why.candidates rows, plus "title" and "condition" for lots


def proposal_candidates(db: Session, actor: User, proposal_id: int, request_id: str) -> Candidates:
    """For the reviewer: the lots and offers that could serve ``request_id`` in this proposal (taken, free on
    its days, cost per unit) and the rules that hold the others back (booked, loan- or transfer-only, outside
    the listing's availability, used by other lines)."""
    prop = visible_proposal(db, actor, proposal_id)
    if not re.fullmatch(r"R[0-9]{1,10}", request_id or ""):
        raise InvalidInput("需求行编号须形如 R12。", "request")
    request = next((r for r in prop.problem["requests"] if r["id"] == request_id), None)
    if request is None:
        raise InvalidInput(f"调配方案 #{prop.id} 中没有需求行 {request_id}。", "request")
    rows = matcher.candidates(prop.problem, prop.solution, request_id)
    stock = {k["id"]: k for k in prop.problem["stock"]}
    titles = dict(db.exec(select(PoolListing.id, PoolListing.title).where(
        PoolListing.id.in_({stock[r["source"]]["listing"] for r in rows if r["source"] in stock} or {0}))).all())
    for r in rows:
        lot = stock.get(r["source"])
        r["title"] = titles.get(lot.get("listing")) if lot else None
        r["condition"] = lot.get("condition") if lot else None
    rows.sort(key=lambda r: (-r["taken"], r["free"] == 0, r["unit_cost"]))
    category = db.exec(select(Category.name).where(Category.code == request["category"])).first()
    return Candidates(prop, request, category or request["category"], rows)
