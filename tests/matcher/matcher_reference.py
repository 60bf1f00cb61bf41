"""An independent reference for docs/matching.md: the rules as one plain MILP on scipy/HiGHS.

Written from the contract only; it shares no code with ``matcher`` (own date parsing, own
haversine, own reading of ``booked`` and ``serves``, no decomposition, no pruning, one capacity row
per lot and offer per day from the first day it could be used to past the last request or booking
boundary, lexicographic levels solved one after the other). Used by the property tests and by the bench baseline.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix


def _day(s: str | None) -> int | None:
    return None if s is None else date.fromisoformat(s).toordinal()


def _booked(record: dict[str, Any], day: int) -> int:
    """Units the record's ``booked`` entries hold on ``day`` (an entry ending null holds them for good)."""
    held = 0
    for b in record.get("booked") or []:
        end = _day(b["end"])
        if _day(b["start"]) <= day and (end is None or day <= end):
            held += b["quantity"]
    return held


def _booking_days(records: list[dict[str, Any]]) -> list[int]:
    """Every first and last day of a booking: the capacity rows must reach past them."""
    days = []
    for rec in records:
        for b in rec.get("booked") or []:
            days.append(_day(b["start"]))
            if b["end"] is not None:
                days.append(_day(b["end"]) + 1)
    return days


def _km(a: list[float], b: list[float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def reference_objective(problem: dict[str, Any], time_limit: float | None = None) -> dict[str, Any]:
    """Optimal objective values of ``problem`` per docs/matching.md (plus ``status``)."""
    policy = problem.get("policy", "tiered")
    turn = problem.get("turnaround_days", 1)
    rates = problem["transport"]["per_unit_km"]
    reqs = problem.get("requests", [])
    stock = problem.get("stock", [])
    rentals = problem.get("rentals", [])

    def rate(cat: str) -> float:
        return rates[cat] if cat in rates else rates["*"]

    cols: list[dict[str, Any]] = []  # each: kind, req, src, cost, ub, tier
    for ri, r in enumerate(reqs):
        s, e = _day(r["start"]), _day(r.get("end"))
        busy_end = None if e is None else e + turn
        for ki, k in enumerate(stock):
            if k["category"] != r["category"] or k["quantity"] <= 0:
                continue
            serves = k.get("serves", "any")
            if (serves == "loan" and e is None) or (serves == "transfer" and e is not None):
                continue
            af, au = _day(k.get("available_from")), _day(k.get("available_until"))
            if af is not None and s < af:
                continue
            if au is not None and (busy_end is None or busy_end > au):
                continue
            cost = k.get("handling_cost", 0.0) + rate(r["category"]) * _km(k["location"], r["location"])
            cols.append({"kind": "x", "req": ri, "src": ki, "cost": cost, "ub": min(k["quantity"], r["quantity"]),
                         "tier": k["tier"], "days": (s, busy_end)})
        if e is None:
            continue
        for oi, o in enumerate(rentals):
            if o["category"] != r["category"]:
                continue
            cap = o.get("capacity")
            ub = r["quantity"] if cap is None else min(cap, r["quantity"])
            cost = o["price_per_unit_day"] * (e - s + 1) + rate(r["category"]) * _km(o["location"], r["location"])
            y = len(cols)
            cols.append({"kind": "y", "req": ri, "src": oi, "cost": cost, "ub": ub, "tier": "rental",
                         "days": (s, e)})
            cols.append({"kind": "z", "req": ri, "src": oi, "cost": o["delivery_fee"], "ub": 1, "tier": None,
                         "y": y})
    n = len(cols)
    rows: list[tuple[dict[int, float], float, float]] = []
    for ri, r in enumerate(reqs):
        rows.append(({j: 1.0 for j, c in enumerate(cols) if c["req"] == ri and c["kind"] != "z"},
                     -np.inf, r["quantity"]))
    for j, c in enumerate(cols):
        if c["kind"] == "z":
            rows.append(({c["y"]: 1.0, j: -float(cols[c["y"]]["ub"])}, -np.inf, 0.0))
    # One capacity row per lot / offer per day: its units out to these requests at most what the
    # bookings leave of its quantity / capacity that day (none when they hold it all).
    last = max([c["days"][0] for c in cols if c["kind"] != "z"]
               + [c["days"][1] for c in cols if c["kind"] != "z" and c["days"][1] is not None]
               + _booking_days(stock) + _booking_days(rentals) + [0])
    for kind, srcs, capf in (("x", stock, lambda k: k["quantity"]), ("y", rentals, lambda o: o.get("capacity"))):
        for si, src in enumerate(srcs):
            cap = capf(src)
            mine = [j for j, c in enumerate(cols) if c["kind"] == kind and c["src"] == si]
            if cap is None or not mine:
                continue
            first = min(cols[j]["days"][0] for j in mine)
            for d in range(first, last + 1):
                on = {j: 1.0 for j in mine
                      if cols[j]["days"][0] <= d and (cols[j]["days"][1] is None or d <= cols[j]["days"][1])}
                if on:
                    rows.append((on, -np.inf, max(0, cap - _booked(src, d))))

    served = np.zeros(n)
    for j, c in enumerate(cols):
        if c["kind"] != "z":
            served[j] = 1.0
    money = np.array([c["cost"] for c in cols])
    ub = np.array([c["ub"] for c in cols], dtype=float)

    def run(obj: np.ndarray, extra: list[tuple[np.ndarray, float]]) -> np.ndarray | None:
        if n == 0:
            return np.zeros(0)
        data, ri_, ci_ = [], [], []
        lo, hi = [], []
        for i, (coefs, lb, hb) in enumerate(rows):
            for j, v in coefs.items():
                ri_.append(i)
                ci_.append(j)
                data.append(v)
            lo.append(lb)
            hi.append(hb)
        base = len(rows)
        for i, (vec, bound) in enumerate(extra):
            for j in np.nonzero(vec)[0]:
                ri_.append(base + i)
                ci_.append(int(j))
                data.append(float(vec[j]))
            lo.append(-np.inf)
            hi.append(bound)
        cons = []
        if lo:
            a = coo_matrix((data, (ri_, ci_)), shape=(len(lo), n)).tocsr()
            cons = [LinearConstraint(a, np.array(lo), np.array(hi))]
        opts: dict[str, Any] = {"mip_rel_gap": 0.0}
        if time_limit is not None:
            opts["time_limit"] = time_limit
        res = milp(obj, constraints=cons, integrality=np.ones(n), bounds=Bounds(np.zeros(n), ub), options=opts)
        if res.x is None:
            return None
        return np.round(res.x)

    prio = np.array([reqs[c["req"]].get("priority", 1) if c["kind"] != "z" else 0 for c in cols], dtype=float)
    total_q = sum(r["quantity"] for r in reqs)
    if policy == "tiered":
        weighted_total = sum(r.get("priority", 1) * r["quantity"] for r in reqs)
        rent = np.array([1.0 if c["tier"] == "rental" else 0.0 for c in cols])
        idle = np.array([1.0 if c["tier"] == "idle" else 0.0 for c in cols])
        extra: list[tuple[np.ndarray, float]] = []
        for vec in (-prio * served, rent, idle):
            x = run(vec, extra)
            if x is None:
                return {"status": "error"}
            extra.append((vec, float(vec @ x) + 0.5))
        x = run(money, extra)
        if x is None:
            return {"status": "error"}
        return {"status": "optimal", "weighted_unmet": int(round(weighted_total - (prio * served) @ x)),
                "rental_units": int(round(rent @ x)), "idle_units": int(round(idle @ x)),
                "money": float(money @ x), "served": int(round(served @ x)), "total_quantity": total_q}
    unmet_c = np.array([reqs[c["req"]].get("unmet_cost", 0.0) if c["kind"] != "z" else 0.0 for c in cols])
    const = sum(r.get("unmet_cost", 0.0) * r["quantity"] for r in reqs)
    x = run(money - unmet_c * served, [])
    if x is None:
        return {"status": "error"}
    return {"status": "optimal", "total": float(const + (money - unmet_c * served) @ x)}
