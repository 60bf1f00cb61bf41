"""Why a source could or could not serve a request, by the rules of docs/matching.md.

``candidates(problem, solution, request_id)`` answers the reviewer's question "why this lot and not that
one?" for one request: every lot and offer of its category, what the solution takes from it for this
request, how many units it could still give on the request's days, and the rules that stop it, in
Chinese. It reads the same rules as the solver and the checker (:mod:`matcher.rules`) and looks at the
solution only to count what the other requests already take from each source.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from .capacity import INF_DAY, Capacity
from .problem import Lot, Offer, Problem, ProblemError, Request, validate
from .rules import lot_capacity, lot_km, offer_capacity, offer_km, serves_kind

SERVES_TEXT = {"loan": "仅供出借，不用于永久调剂", "transfer": "仅供永久调剂，不用于出借"}


def _day(d: int) -> str:
    return date.fromordinal(d).isoformat()


def _span(start: int, end: int) -> str:
    return f"{_day(start)} 起长期" if end >= INF_DAY else f"{_day(start)} 至 {_day(end)}"


def _availability(problem: Problem, lot: Lot, req: Request, end: int) -> list[str]:
    """Rule 3's window, as reasons (empty when every busy day lies inside it)."""
    reasons = []
    if lot.available_from is not None and req.start < lot.available_from:
        reasons.append(f"可用期外：{_day(lot.available_from)} 起才可用，需求 {_day(req.start)} 开始")
    if lot.available_until is not None and end > lot.available_until:
        if end >= INF_DAY:
            reasons.append(f"可用期外：只能用到 {_day(lot.available_until)}（须归还），不能永久调剂")
        else:
            reasons.append(f"可用期外：只能用到 {_day(lot.available_until)}，需求连同 {problem.turnaround_days} 天"
                           f"周转要占用到 {_day(end)}")
    return reasons


def _tightest(cap: Capacity, others: list[tuple[int, int, int]], start: int, end: int) -> tuple[int, int, int]:
    """(day, units booked, units of other requests) on the day of ``start … end`` with the fewest free
    units. Both loads rise only on the first day of a booking or of a use, so those days suffice."""
    days = {start} | {s for s, _, _ in cap.booked if start < s <= end} | {s for s, _, _ in others if start < s <= end}
    best = (start, 0, 0)
    for d in sorted(days):
        booked = cap.booked_on(d)
        used = sum(q for s, e, q in others if s <= d <= e)
        if booked + used > best[1] + best[2]:
            best = (d, booked, used)
    return best


def _room(cap: Capacity | None, others: list[tuple[int, int, int]], start: int, end: int,
          reasons: list[str], total: str) -> int | None:
    """Units free for this request on all of its days (None: unlimited); appends the reasons it is short."""
    if cap is None:
        return None
    day, booked, used = _tightest(cap, others, start, end)
    free = max(0, cap.base - booked - used)
    if booked:
        spans = "、".join(f"{_span(s, e)} {q} 件" for s, e, q in cap.booked if s <= end and e >= start)
        reasons.append(f"已被占用：{_day(day)} 已有 {booked} 件被其他单据占用（{spans}），{total} {cap.base} 件")
    if used:
        reasons.append(f"本方案中其他需求在 {_day(day)} 已用 {used} 件")
    return free


def _lot_row(problem: Problem, lot: Lot, req: Request, uses: dict[str, list[tuple[int, int, int, str]]],
             taken: int) -> dict[str, Any]:
    end = INF_DAY if req.end is None else req.end + problem.turnaround_days
    reasons: list[str] = []
    if not serves_kind(lot, req):
        reasons.append(SERVES_TEXT[lot.serves])
    reasons += _availability(problem, lot, req, end)
    free: int | None = 0
    if not reasons:  # rules 1 and 3 hold: what rule 4 leaves on the request's days
        others = [(s, e, q) for s, e, q, rid in uses[lot.id] if rid != req.id]
        free = _room(lot_capacity(lot), others, req.start, end, reasons, "共")
    unit = lot.handling_cost + problem.rate(req.category) * lot_km(lot, req)
    return {"source": lot.id, "tier": lot.tier, "holder": lot.holder, "quantity": lot.quantity,
            "taken": taken, "free": free, "km": lot_km(lot, req), "unit_cost": unit, "reasons": reasons}


def _offer_row(problem: Problem, offer: Offer, req: Request, uses: dict[str, list[tuple[int, int, int, str]]],
               taken: int) -> dict[str, Any]:
    reasons: list[str] = []
    if req.permanent:
        reasons.append("市场租赁只能满足出借需求，不能用于永久调剂")
        free: int | None = 0
        unit = 0.0
    else:
        others = [(s, e, q) for s, e, q, rid in uses[offer.id] if rid != req.id]
        free = _room(offer_capacity(offer), others, req.start, req.end, reasons, "供应上限")
        unit = offer.price_per_unit_day * req.days + problem.rate(req.category) * offer_km(offer, req)
    return {"source": offer.id, "tier": "rental", "holder": offer.vendor, "quantity": offer.capacity,
            "taken": taken, "free": free, "km": offer_km(offer, req), "unit_cost": unit,
            "delivery_fee": offer.delivery_fee, "reasons": reasons}


def candidates(problem: Problem | dict[str, Any], solution: dict[str, Any], request_id: str) -> list[dict[str, Any]]:
    """Every lot and offer of the request's category, with what the solution takes from it for this request
    (``taken``), the units it could still give on the request's days beside the solution's other rows
    (``free``; None: unlimited) and the rules that hold it back (``reasons``, Chinese, empty if none).

    Raises ProblemError for a request id the problem does not have.
    """
    prob = problem if isinstance(problem, Problem) else validate(problem)
    req = next((r for r in prob.requests if r.id == request_id), None)
    if req is None:
        raise ProblemError(f"需求 {request_id}", None, "不在本方案中")
    reqs = {r.id: r for r in prob.requests}
    uses: dict[str, list[tuple[int, int, int, str]]] = defaultdict(list)
    taken: dict[str, int] = defaultdict(int)
    rental_ids = {o.id for o in prob.rentals}
    for row in solution.get("assignments", []):
        r = reqs.get(row["request"])
        if r is None or not row.get("quantity"):
            continue
        if row["source"] in rental_ids:
            end = r.end if r.end is not None else r.start
        else:
            end = INF_DAY if r.end is None else r.end + prob.turnaround_days
        uses[row["source"]].append((r.start, end, row["quantity"], r.id))
        if r.id == req.id:
            taken[row["source"]] += row["quantity"]
    rows = [_lot_row(prob, lot, req, uses, taken[lot.id]) for lot in prob.stock if lot.category == req.category]
    rows += [_offer_row(prob, o, req, uses, taken[o.id]) for o in prob.rentals if o.category == req.category]
    return rows
