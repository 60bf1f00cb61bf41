"""Hand-made cases whose optimum is worked out on paper (arithmetic in the comments).

Unless said otherwise every place is at the same point (km = 0), so a stock unit costs its
handling cost and a rental unit costs price x days, plus the delivery fee once per request.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

import matcher

HERE = [30.0, 104.0]
KM_PER_DEG = 6371.0 * math.pi / 180.0  # one degree of latitude along a meridian: 111.19492664... km

EXAMPLE = {
    "version": 1,
    "policy": "tiered",
    "turnaround_days": 1,
    "transport": {"per_unit_km": {"A05010201": 0.8, "*": 0.5}},
    "requests": [
        {"id": "R1", "unit": "市教育局", "category": "A05010201", "quantity": 120,
         "start": "2026-12-03", "end": "2026-12-05",
         "location": [31.4675, 104.6796], "priority": 2, "unmet_cost": 350.0}
    ],
    "stock": [
        {"id": "K1", "tier": "warehouse", "holder": "公物仓一号库", "category": "A05010201",
         "quantity": 80, "location": [31.4521, 104.7012],
         "available_from": None, "available_until": None, "handling_cost": 2.0}
    ],
    "rentals": [
        {"id": "M1", "vendor": "某租赁公司", "category": "A05010201", "capacity": 500,
         "price_per_unit_day": 6.0, "delivery_fee": 300.0, "location": [31.50, 104.65]}
    ],
}


def req(rid: str, qty: int, start: str, end: str | None, **kw: Any) -> dict[str, Any]:
    return {"id": rid, "category": "C", "quantity": qty, "start": start, "end": end, "location": HERE, **kw}


def lot(lid: str, qty: int, tier: str = "warehouse", **kw: Any) -> dict[str, Any]:
    return {"id": lid, "tier": tier, "category": "C", "quantity": qty, "location": HERE, **kw}


def offer(oid: str, price: float, fee: float, capacity: int | None = None, **kw: Any) -> dict[str, Any]:
    return {"id": oid, "category": "C", "capacity": capacity, "price_per_unit_day": price,
            "delivery_fee": fee, "location": HERE, **kw}


def problem(requests: list, stock: list = (), rentals: list = (), policy: str = "tiered",
            turnaround: int = 1, rate: float = 0.0) -> dict[str, Any]:
    return {"version": 1, "policy": policy, "turnaround_days": turnaround,
            "transport": {"per_unit_km": {"*": rate}},
            "requests": list(requests), "stock": list(stock), "rentals": list(rentals)}


def run(p: dict[str, Any]) -> dict[str, Any]:
    sol = matcher.solve(copy.deepcopy(p))
    assert sol["status"] == "optimal", sol
    assert matcher.check(p, sol) == []
    # the JSON round trip is what the CLI writes
    assert matcher.check(p, json.loads(json.dumps(sol))) == []
    return sol


def alloc(sol: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(a["request"], a["source"]): a["quantity"] for a in sol["assignments"]}


def unmet(sol: dict[str, Any]) -> dict[str, int]:
    return {u["request"]: u["quantity"] for u in sol["unmet"]}


def test_example_of_matching_md() -> None:
    sol = run(EXAMPLE)
    obj = sol["objective"]
    assert (obj["weighted_unmet"], obj["rental_units"], obj["idle_units"]) == (0, 40, 0)
    # 80 x (2.0 + 0.8 x 2.67015687 km) + 40 x (6.0 x 3 days + 0.8 x 4.57582390 km) + 300
    assert math.isclose(obj["money"], 1497.3164, rel_tol=1e-7)
    assert math.isclose(sol["cost"]["handling"], 160.0)
    assert math.isclose(sol["cost"]["rental"], 720.0)
    assert math.isclose(sol["cost"]["delivery"], 300.0)
    assert math.isclose(sol["cost"]["transport"], 317.3164, rel_tol=1e-7)
    rows = {a["source"]: a for a in sol["assignments"]}
    assert rows["K1"]["quantity"] == 80 and math.isclose(rows["K1"]["cost"], 330.8900, abs_tol=5e-5)
    assert rows["M1"]["quantity"] == 40 and math.isclose(rows["M1"]["cost"], 1166.4264, abs_tol=5e-5)
    assert sol["unmet"] == []


def test_back_to_back_only_when_turnaround_allows() -> None:
    # Lot K (10 units, handling 1). R1 loan 12-01..12-03 is busy 12-01..12-04 with turnaround 1.
    # R2 from 12-05: both served from K, money = 20 x 1 = 20.
    p = problem([req("R1", 10, "2026-12-01", "2026-12-03"), req("R2", 10, "2026-12-05", "2026-12-06")],
                [lot("K", 10, handling_cost=1.0)])
    sol = run(p)
    assert alloc(sol) == {("R1", "K"): 10, ("R2", "K"): 10}
    assert sol["objective"]["money"] == 20.0
    # R2 from 12-04 falls on R1's turnaround day: only one of them, weighted_unmet = 10 x 1.
    p["requests"][1]["start"] = "2026-12-04"
    sol = run(p)
    assert sol["objective"]["weighted_unmet"] == 10
    assert sum(unmet(sol).values()) == 10
    # With turnaround 0 they fit again.
    p["turnaround_days"] = 0
    sol = run(p)
    assert sol["objective"]["weighted_unmet"] == 0


def test_availability_windows() -> None:
    # A (handling 1) available 12-02..12-04; B (handling 5) always.
    # R1 starts 12-01 < 12-02: only B -> 5 x 5 = 25.
    # R2 12-02..12-03 is busy to 12-04 (turnaround 1) inside A's window: A -> 5 x 1 = 5.
    # R3 12-10..12-11 ends after A: B (B is free again by then) -> 5 x 5 = 25. money = 55.
    p = problem([req("R1", 5, "2026-12-01", "2026-12-01"), req("R2", 5, "2026-12-02", "2026-12-03"),
                 req("R3", 5, "2026-12-10", "2026-12-11")],
                [lot("A", 10, available_from="2026-12-02", available_until="2026-12-04", handling_cost=1.0),
                 lot("B", 5, handling_cost=5.0)])
    sol = run(p)
    assert alloc(sol) == {("R1", "B"): 5, ("R2", "A"): 5, ("R3", "B"): 5}
    assert sol["objective"]["money"] == 55.0
    # R2 ending 12-04 would be busy until 12-05, past A's window: it must use B, which R1
    # (busy 12-01..12-02) leaves free from 12-03 -- so R2 now collides with R1 on 12-02:
    # B has 5 units, R1 and R2 both need 5 on 12-02 -> 5 unmet.
    p["requests"][1]["end"] = "2026-12-04"
    sol = run(p)
    assert sol["objective"]["weighted_unmet"] == 5


def test_permanent_request_needs_open_ended_lot() -> None:
    # Permanent R (8 units from 12-01): A (handling 1) ends 2027-06-30, so only B (handling 3).
    # money = 8 x 3 = 24; A is unused although cheaper.
    p = problem([req("R", 8, "2026-12-01", None)],
                [lot("A", 8, available_until="2027-06-30", handling_cost=1.0), lot("B", 8, handling_cost=3.0)],
                [offer("M", 0.0, 0.0)])
    sol = run(p)
    assert alloc(sol) == {("R", "B"): 8}
    assert sol["objective"] == {"weighted_unmet": 0, "rental_units": 0, "idle_units": 0, "money": 24.0}
    # A permanent transfer also blocks a later loan forever: L (12-20..12-21, 8 units) gets A
    # (its busy days 12-20..12-22 are inside A's window): money 24 + 8 = 32.
    p["requests"].append(req("L", 8, "2026-12-20", "2026-12-21"))
    sol = run(p)
    assert alloc(sol) == {("R", "B"): 8, ("L", "A"): 8}
    assert sol["objective"]["money"] == 32.0
    # Without A, L cannot use B (taken forever) and rents: 8 x 0 + fee 0, rental_units 8.
    p["stock"] = [lot("B", 8, handling_cost=3.0)]
    sol = run(p)
    assert sol["objective"]["rental_units"] == 8 and alloc(sol)[("L", "M")] == 8


def test_rental_never_serves_permanent() -> None:
    p = problem([req("R", 3, "2026-12-01", None)], [], [offer("M", 1.0, 0.0)])
    sol = run(p)
    assert sol["assignments"] == [] and unmet(sol) == {"R": 3}
    assert sol["objective"]["weighted_unmet"] == 3


def test_rental_capacity_over_overlapping_days() -> None:
    # Offer capacity 10. R1 12-01..12-03 (8) and R2 12-03..12-05 (8) overlap on 12-03:
    # at most 10 out that day -> 6 unmet. R3 12-04..12-05 (8) does not overlap R1 (rentals have
    # no turnaround) but overlaps R2.
    p = problem([req("R1", 8, "2026-12-01", "2026-12-03"), req("R2", 8, "2026-12-03", "2026-12-05")],
                [], [offer("M", 1.0, 0.0, capacity=10)])
    sol = run(p)
    assert sol["objective"]["weighted_unmet"] == 6 and sol["objective"]["rental_units"] == 10
    p["requests"][1]["start"] = "2026-12-04"
    sol = run(p)
    # no overlap now: 16 rented, 8 x 3 + 8 x 2 = 40 yuan.
    assert sol["objective"] == {"weighted_unmet": 0, "rental_units": 16, "idle_units": 0, "money": 40.0}


def test_one_offer_cheaper_than_two_because_of_delivery_fee() -> None:
    # R: 10 units for 2 days. M1: 10/day, fee 100, unlimited. M2: 9/day, fee 100, capacity 5.
    # M1 only: 10 x 20 + 100 = 300.  M2 5 + M1 5: 5 x 18 + 5 x 20 + 200 = 390.  -> M1 only.
    p = problem([req("R", 10, "2026-12-01", "2026-12-02")], [],
                [offer("M1", 10.0, 100.0), offer("M2", 9.0, 100.0, capacity=5)])
    sol = run(p)
    assert alloc(sol) == {("R", "M1"): 10}
    assert sol["objective"]["money"] == 300.0
    assert sol["cost"] == {"handling": 0.0, "transport": 0.0, "rental": 200.0, "delivery": 100.0, "total": 300.0}
    # With a fee of 0 for M2 the split wins: 5 x 18 + 5 x 20 + 100 = 290 < 300.
    p["rentals"][1]["delivery_fee"] = 0.0
    sol = run(p)
    assert alloc(sol) == {("R", "M1"): 5, ("R", "M2"): 5} and sol["objective"]["money"] == 290.0


def test_tier_order_beats_cost_under_tiered() -> None:
    # R: 10 units, 1 day. W warehouse 6 units at 50; I idle 10 units at 1; M rental 0.1/day.
    # tiered: rental_units 0 (stock covers 10), then idle_units 4 -> money 6 x 50 + 4 x 1 = 304.
    # cost: all rented, 10 x 0.1 = 1.0.
    stock = [lot("W", 6, handling_cost=50.0), lot("I", 10, tier="idle", handling_cost=1.0)]
    p = problem([req("R", 10, "2026-12-01", "2026-12-01", unmet_cost=1000.0)], stock, [offer("M", 0.1, 0.0)])
    sol = run(p)
    assert alloc(sol) == {("R", "W"): 6, ("R", "I"): 4}
    assert sol["objective"] == {"weighted_unmet": 0, "rental_units": 0, "idle_units": 4, "money": 304.0}
    p["policy"] = "cost"
    sol = run(p)
    assert alloc(sol) == {("R", "M"): 10}
    assert math.isclose(sol["objective"]["total"], 1.0)


def test_cost_prefers_rental_over_far_away_stock() -> None:
    # Stock S one degree of latitude north: 111.19492664 km x 0.5 = 55.597463 per unit.
    # Rental next door: 6 x 1 day = 6 per unit + fee 30. R: 10 units.
    # cost: stock 555.97463 vs rental 60 + 30 = 90 -> rental.  tiered: stock (rental_units 0).
    far = [HERE[0] + 1.0, HERE[1]]
    p = problem([req("R", 10, "2026-12-01", "2026-12-01", unmet_cost=500.0)],
                [lot("S", 10, location=far)], [offer("M", 6.0, 30.0)], policy="cost", rate=0.5)
    sol = run(p)
    assert alloc(sol) == {("R", "M"): 10}
    assert math.isclose(sol["objective"]["total"], 90.0)
    p["policy"] = "tiered"
    sol = run(p)
    assert alloc(sol) == {("R", "S"): 10}
    assert math.isclose(sol["objective"]["money"], 10 * 0.5 * KM_PER_DEG, rel_tol=1e-9)
    # cost with unmet_cost 5 < 9 per unit of renting: leaving it unmet costs 50 < 90.
    p["policy"] = "cost"
    p["requests"][0]["unmet_cost"] = 5.0
    sol = run(p)
    assert unmet(sol) == {"R": 10} and math.isclose(sol["objective"]["total"], 50.0)


def test_priorities_decide_who_stays_unmet() -> None:
    # One lot of 10; R1 (priority 1) and R2 (priority 3), 10 units each, overlapping.
    # tiered: serve R2, weighted_unmet = 1 x 10 = 10 (serving R1 instead would give 30).
    p = problem([req("R1", 10, "2026-12-01", "2026-12-05", priority=1, unmet_cost=100.0),
                 req("R2", 10, "2026-12-03", "2026-12-04", priority=3, unmet_cost=50.0)],
                [lot("K", 10)])
    sol = run(p)
    assert alloc(sol) == {("R2", "K"): 10} and unmet(sol) == {"R1": 10}
    assert sol["objective"]["weighted_unmet"] == 10
    # cost: unmet R1 costs 1000, unmet R2 500 -> serve R1, total 500.
    p["policy"] = "cost"
    sol = run(p)
    assert alloc(sol) == {("R1", "K"): 10} and math.isclose(sol["objective"]["total"], 500.0)


def test_stock_comes_back_and_is_reused_across_lots() -> None:
    # Two lots of 5; R1 12-01..12-02 (10) uses both; R2 12-04 (10) uses both again: 20 served.
    p = problem([req("R1", 10, "2026-12-01", "2026-12-02"), req("R2", 10, "2026-12-04", "2026-12-04")],
                [lot("A", 5), lot("B", 5)])
    sol = run(p)
    assert sol["objective"]["weighted_unmet"] == 0 and len(sol["assignments"]) == 4


def test_cli_solve_and_check(tmp_path: Path) -> None:
    from matcher.cli import main
    prob = tmp_path / "p.json"
    prob.write_text(json.dumps(EXAMPLE, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "s.json"
    assert main(["solve", str(prob), "-o", str(out), "--time-limit", "10"]) == 0
    assert main(["check", str(prob), str(out)]) == 0


@pytest.mark.parametrize("policy", ["tiered", "cost"])
def test_empty_problem(policy: str) -> None:
    p = problem([], policy=policy)
    sol = run(p)
    assert sol["assignments"] == [] and sol["unmet"] == []
