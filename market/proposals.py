"""Allocation proposals (调配方案): the database as a docs/matching.md problem, the matcher's solution, edits,
acceptance into orders, and the money saved against renting or buying everything."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

import matcher
from market.access import require, scoped, visible
from market.errors import InvalidInput, InvalidTransition
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.infra.rows import locked
from market.models import (
    USABLE_CONDITIONS,
    Asset,
    Category,
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
from market.notices import notify, role_users
from market.orders import TURNAROUND_DAYS, allocate_from_listing, create_rental_order, lock_for_allocation
from market.purchasing import needs_from_proposal
from matcher.geo import haversine_km

DEFAULT_RATE = 0.5  # 元 per unit-km for a category without its own rate
Progress = Callable[[int, int], None]


@dataclass
class Built:
    problem: dict[str, Any]
    lots: dict[str, dict[str, Any]]  # lot id → {"listing": id, "assets": [ids]}
    transfer_only: list[dict[str, Any]] = field(default_factory=list)  # lots offered for 调剂 only


# The matcher does not read a lot's ``serves`` yet (docs/matching.md, rule 3): any lot may serve any request
# of its category. A listing offered for loan only must come back, so its lot gets an end date (rule 3 keeps
# permanent requests off it). A listing offered for transfer only cannot be expressed: such lots are matched
# in a second pass against the permanent demand the first pass left unmet (see ``run_matcher``).
LOAN_ONLY_HORIZON = timedelta(days=3650)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _free_from(busy: list[tuple[date, date | None]], today: date) -> date | None:
    """The first day an item is free of every commitment it has (None: promised for good)."""
    start = today
    for _, until in busy:
        if until is None:
            return None
        start = max(start, until + timedelta(days=1))
    return start


def build_problem(db: Session, policy: str = "tiered", today: date | None = None) -> Built:
    """Approved requests, the pool's lots and the active rental offers as a docs/matching.md problem."""
    today = today or utcnow().date()
    reqs = db.exec(select(Request, RequestLine).join(RequestLine, RequestLine.request_id == Request.id)
                   .where(Request.status == "approved").order_by(RequestLine.id)).all()
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

    # Lots: a listing's usable items grouped by condition and by the day they are free from.
    warehouses = {w.id: w for w in db.exec(select(Warehouse))}
    listings = {lst.id: lst for lst in db.exec(select(PoolListing).where(
        PoolListing.status == "active", PoolListing.category_id.in_(wanted)))}
    busy: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    if listings:
        for asset_id, b_from, b_until in db.exec(
            select(OrderItem.asset_id, OrderItem.busy_from, OrderItem.busy_until)
            .join(Asset, Asset.id == OrderItem.asset_id)
            .where(OrderItem.active, Asset.listing_id.in_(list(listings)))
        ):
            busy[asset_id].append((b_from, b_until))
    groups: dict[tuple[int, str, date | None], list[int]] = defaultdict(list)
    if listings:
        for a in db.exec(select(Asset).where(Asset.listing_id.in_(list(listings)),
                                             Asset.status.in_(["listed", "reserved", "on_loan"]),
                                             Asset.condition.in_(USABLE_CONDITIONS)).order_by(Asset.id)):
            free = _free_from(busy.get(a.id, []), today)
            if free is not None:
                groups[(a.listing_id, a.condition, free)].append(a.id)
    stock, lots, transfer_only = [], {}, []
    for n, ((listing_id, condition, free), ids) in enumerate(sorted(groups.items(), key=lambda kv: kv[0][:2])):
        lst = listings[listing_id]
        place = warehouses[lst.warehouse_id] if lst.warehouse_id else units[lst.holder_unit_id]
        start = max(d for d in (free, lst.available_from) if d is not None)
        lot_id = f"K{listing_id}-{n}"
        lots[lot_id] = {"listing": listing_id, "assets": ids, "condition": condition}
        until = lst.available_until or (today + LOAN_ONLY_HORIZON if lst.mode == "loan" else None)
        lot = {
            "id": lot_id, "tier": lst.tier, "holder": place.name, "category": cats[lst.category_id].code,
            "quantity": len(ids), "location": [place.lat, place.lng],
            "available_from": start.isoformat() if start > today or lst.available_from else None,
            "available_until": _iso(until), "handling_cost": float(lst.handling_cost),
            "listing": listing_id, "condition": condition,
        }
        (transfer_only if lst.mode == "transfer" else stock).append(lot)
    vendors = {v.id: v for v in db.exec(select(RentalVendor).where(RentalVendor.is_active))}
    rentals = []
    for o in db.exec(select(RentalOffer).where(RentalOffer.is_active, RentalOffer.category_id.in_(wanted))):
        v = vendors.get(o.vendor_id)
        if v is not None:
            rentals.append({"id": f"M{o.id}", "vendor": v.name, "category": cats[o.category_id].code,
                            "capacity": o.capacity, "price_per_unit_day": float(o.price_per_unit_day),
                            "delivery_fee": float(o.delivery_fee), "location": [v.lat, v.lng]})
    rates = {c.code: float(c.transport_rate) for c in cats.values() if c.id in wanted}
    rates["*"] = DEFAULT_RATE
    problem = {"version": 1, "policy": policy, "turnaround_days": TURNAROUND_DAYS,
               "transport": {"per_unit_km": rates}, "requests": requests, "stock": stock, "rentals": rentals}
    return Built(problem, lots, transfer_only)


def counterfactuals(problem: dict[str, Any], solution: dict[str, Any]) -> tuple[Decimal | None, Decimal]:
    """What the units served would cost all rented (cheapest offer each line; None if a line cannot be
    rented: a permanent transfer or no offer for its category) and all bought new (reference price)."""
    reqs = {r["id"]: r for r in problem["requests"]}
    rates = problem["transport"]["per_unit_km"]
    served: dict[str, int] = defaultdict(int)
    for row in solution.get("assignments", []):
        served[row["request"]] += row["quantity"]
    rented, new, all_rentable = 0.0, 0.0, True
    for rid, q in served.items():
        r = reqs[rid]
        new += q * r["unmet_cost"]
        offers = [o for o in problem["rentals"] if o["category"] == r["category"]]
        if r["end"] is None or not offers:
            all_rentable = False
            continue
        days = (date.fromisoformat(r["end"]) - date.fromisoformat(r["start"])).days + 1
        rate = rates.get(r["category"], rates["*"])
        rented += min(q * (o["price_per_unit_day"] * days + rate * haversine_km(*o["location"], *r["location"]))
                      + o["delivery_fee"] for o in offers)
    return (money(rented) if all_rentable else None), money(new)


def _second_pass(built: Built, solution: dict[str, Any], time_limit: float | None) -> dict[str, Any]:
    """Transfer-only lots against the permanent demand left unmet; the stored problem then holds every lot,
    and the merged allocation is reported as feasible (each pass was optimal, the whole is not proven so)."""
    cats = {lot["category"] for lot in built.transfer_only}
    reqs = {r["id"]: r for r in built.problem["requests"]}
    unmet = [dict(reqs[u["request"]], quantity=u["quantity"]) for u in solution["unmet"]
             if reqs[u["request"]]["end"] is None and reqs[u["request"]]["category"] in cats]
    if not unmet:
        return solution  # the stored problem stays the one that was solved, optimum and all
    second = matcher.solve(dict(built.problem, requests=unmet, stock=built.transfer_only, rentals=[]),
                           time_limit=time_limit)
    if not second.get("assignments"):
        return solution
    built.problem["stock"] = built.problem["stock"] + built.transfer_only
    rows = solution["assignments"] + second["assignments"]
    merged = matcher.evaluate(built.problem, rows, status="feasible")
    merged["explanation"] = "分两阶段求解：先按全部挂牌求解，再以“仅调剂”挂牌满足剩余的永久调剂需求。" + merged["explanation"]
    return merged


def _store(db: Session, actor: User, built: Built, solution: dict[str, Any], seconds: float) -> Proposal:
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
    solution = _second_pass(built, solution, time_limit)
    prop = _store(db, actor, built, solution, (utcnow() - started).total_seconds())
    served = sum(a["quantity"] for a in solution["assignments"])
    log_event(db, actor, "proposal", prop.id, "create",
              f"运行调配：{len(built.problem['requests'])} 行需求，调配 {served} 件，费用 {prop.cost_total:.2f} 元",
              after={"status": "draft", "solver_status": solution["status"]})
    others = [uid for uid in role_users(db, "warehouse_admin") if uid != actor.id]
    notify(db, others, "proposal_waiting", f"调配方案 #{prop.id} 待审核：调配 {served} 件，费用 {prop.cost_total:.2f} 元。",
           f"/proposals/{prop.id}", f"proposal:{prop.id}")
    return prop


def _draft(db: Session, proposal_id: int) -> Proposal:
    prop = locked(db, Proposal, proposal_id)  # accept, edit and discard of one proposal queue here
    if prop.status != "draft":
        raise InvalidTransition(f"调配方案 #{prop.id} 已{'采纳' if prop.status == 'accepted' else '作废'}，不能再修改。")
    return prop


@transactional
def edit_proposal(db: Session, actor: User, proposal_id: int, quantities: dict[tuple[str, str], int]) -> Proposal:
    """Set the quantities of (request, source) rows; the edited allocation is checked by the same rules."""
    require(actor, "run_matcher")
    prop = _draft(db, proposal_id)
    prob = matcher.validate(prop.problem)
    sources = {k.id for k in prob.stock} | {o.id for o in prob.rentals}
    wanted = {r.id: r.quantity for r in prob.requests}
    rows = {(a["request"], a["source"]): a["quantity"] for a in prop.solution["assignments"]}
    for (rid, source), qty in quantities.items():
        if rid not in wanted:
            raise InvalidInput(f"方案中没有需求 {rid}。", "request")
        if source not in sources:
            raise InvalidInput(f"方案中没有来源 {source}。", "source")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
            raise InvalidInput(f"{rid} ← {source}：数量须为非负整数。", "quantity")
        rows[(rid, source)] = qty
    for rid, need in wanted.items():
        got = sum(q for (r, _), q in rows.items() if r == rid)
        if got > need:
            raise InvalidInput(f"需求 {rid} 共需 {need} 件，调整后分配了 {got} 件。", "quantity")
    solution = matcher.evaluate(prob, [{"request": r, "source": s, "quantity": q} for (r, s), q in rows.items()])
    errors = matcher.check(prob, solution)
    if errors:
        raise InvalidInput("调整后的方案不可行：" + "；".join(errors[:3]), "quantity")
    solution["edited_by"] = actor.username
    prop.solution = solution
    rented, new = counterfactuals(prop.problem, solution)
    prop.cost_total, prop.cost_all_rented, prop.cost_all_new = money(solution["cost"]["total"]), rented, new
    log_event(db, actor, "proposal", prop.id, "edit", f"调整调配方案 {len(quantities)} 处，费用 {prop.cost_total:.2f} 元")
    return prop


@transactional
def accept_proposal(db: Session, actor: User, proposal_id: int, progress: Progress | None = None) -> Proposal:
    """Turn a proposal into loan, transfer and rental orders with pick lists, all or nothing.

    ``progress(done, total)`` is called after each order (the orders are committed together at the end).
    """
    require(actor, "allocate")
    prop = _draft(db, proposal_id)
    reqs = {r["id"]: r for r in prop.problem["requests"]}
    # Earliest start first per lot: first-fit in start order always fits what the matcher proved feasible.
    rows = sorted(prop.solution["assignments"], key=lambda a: (reqs[a["request"]]["start"], a["request"]))
    lock_for_allocation(db, {prop.lots[a["source"]]["listing"] for a in rows if a["tier"] != "rental"},
                        {int(a["request"][1:]) for a in rows})
    for done, row in enumerate(rows, start=1):
        line_id = int(row["request"][1:])
        if row["tier"] == "rental":
            create_rental_order(db, actor, line_id, int(row["source"][1:]), row["quantity"], row["cost"], prop.id)
        else:
            lot = prop.lots[row["source"]]
            allocate_from_listing(db, actor, line_id, lot["listing"], row["quantity"], row["cost"], prop.id,
                                  among=lot["assets"])
        if progress:
            progress(done, len(rows))
    prop.status, prop.accepted_by, prop.accepted_at = "accepted", actor.id, utcnow()
    # What nobody could supply becomes purchase needs for central purchasing.
    needs_from_proposal(db, prop)
    log_event(db, actor, "proposal", prop.id, "accept", f"采纳调配方案 #{prop.id}，生成 {len(rows)} 张单据",
              {"status": "draft"}, {"status": "accepted"})
    return prop


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


def list_proposals(db: Session, actor: User, limit: int = 100) -> list[Proposal]:
    return list(db.exec(scoped(actor, Proposal).order_by(Proposal.id.desc()).limit(limit)))


@dataclass
class ReviewLine:
    """One request line of a proposal, with the rows that serve it, for the review page."""

    request: dict[str, Any]
    category_name: str
    rows: list[dict[str, Any]]
    unmet: int


def review_lines(db: Session, prop: Proposal) -> list[ReviewLine]:
    names = {c.code: c.name for c in db.exec(select(Category))}
    holders = {k["id"]: k.get("holder") for k in prop.problem.get("stock", [])}
    holders |= {o["id"]: o.get("vendor") for o in prop.problem.get("rentals", [])}
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in prop.solution.get("assignments", []):
        rows[a["request"]].append(dict(a, holder=holders.get(a["source"])))
    unmet = {u["request"]: u["quantity"] for u in prop.solution.get("unmet", [])}
    out = []
    for r in prop.problem["requests"]:
        served = sorted(rows.get(r["id"], []), key=lambda a: ("warehouse", "idle", "rental").index(a["tier"]))
        out.append(ReviewLine(r, names.get(r["category"], r["category"]), served, unmet.get(r["id"], 0)))
    return out
