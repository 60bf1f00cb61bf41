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


# ---------------------------------------------------------------- booked and serves
# docs/matching.md, "Bookings" and rules 3-5: a booking's days are busy exactly as written (no
# turnaround added), and on a day its bookings hold everything (or more) nothing goes to requests.


def booking(start: str, end: str | None, qty: int) -> dict[str, Any]:
    return {"start": start, "end": end, "quantity": qty}


def test_rental_partly_booked_on_overlapping_days() -> None:
    # M: capacity 10, 1 a day, no fee; 6 units booked 12-02..12-03, so 10, 4, 4, 10, 10, 10 free
    # on 12-01..12-06. R1 (12-01..12-04, 8 units, priority 2) gets at most min(10, 4, 4, 10) = 4.
    # R2 (12-04..12-05, 8 units) shares 12-04 with R1: R1 + R2 <= 10 -> the lexicographic best is
    # R1 4, R2 6 (weighted unmet 2 x 4 + 2 = 10). R3 (12-06, 10 units) meets no booking and no other
    # request (rentals have no turnaround): 10. money = 4 x 4 + 6 x 2 + 10 x 1 = 38.
    p = problem([req("R1", 8, "2026-12-01", "2026-12-04", priority=2), req("R2", 8, "2026-12-04", "2026-12-05"),
                 req("R3", 10, "2026-12-06", "2026-12-06")],
                [], [offer("M", 1.0, 0.0, capacity=10, booked=[booking("2026-12-02", "2026-12-03", 6)])])
    sol = run(p)
    assert alloc(sol) == {("R1", "M"): 4, ("R2", "M"): 6, ("R3", "M"): 10}
    assert sol["objective"] == {"weighted_unmet": 10, "rental_units": 20, "idle_units": 0, "money": 38.0}
    # A second booking overlapping the first (12-03..12-04, 3 units) leaves 10, 4, 1, 7, 10, 10:
    # R1 <= 1; on 12-04 R1 + R2 <= 7 -> R1 1, R2 6; weighted unmet 2 x 7 + 2 = 16.
    p["rentals"][0]["booked"].append(booking("2026-12-03", "2026-12-04", 3))
    sol = run(p)
    assert alloc(sol) == {("R1", "M"): 1, ("R2", "M"): 6, ("R3", "M"): 10}
    assert sol["objective"]["weighted_unmet"] == 16


def test_lot_booked_for_good_still_serves_an_earlier_loan() -> None:
    # K (handling 0): 5 units, all booked for good from 12-10. K2 (handling 1): 5 units, 3 of them
    # booked for good from 12-10. M rents at 1 a day. Turnaround 1.
    # L1 (12-01..12-03, busy to 12-04) ends before the booking: K serves all 5 at 0.
    # L2 (12-06..12-09) is busy to 12-10, the booking's first day: K has 0 free then, K2 has 2;
    #   so K2 2, M 3 (4 days x 1 = 4 a unit).
    # P (permanent from 12-12, 2 units) is busy for ever: K never again, K2 has 2 for good. M never
    #   serves a permanent request.
    # money = 0 + 2 x 1 + 3 x 4 + 2 x 1 = 16, rental_units 3.
    p = problem([req("L1", 5, "2026-12-01", "2026-12-03"), req("L2", 5, "2026-12-06", "2026-12-09"),
                 req("P", 2, "2026-12-12", None)],
                [lot("K", 5, handling_cost=0.0, booked=[booking("2026-12-10", None, 5)]),
                 lot("K2", 5, handling_cost=1.0, booked=[booking("2026-12-10", None, 3)])],
                [offer("M", 1.0, 0.0)])
    sol = run(p)
    assert alloc(sol) == {("L1", "K"): 5, ("L2", "K2"): 2, ("L2", "M"): 3, ("P", "K2"): 2}
    assert sol["objective"] == {"weighted_unmet": 0, "rental_units": 3, "idle_units": 0, "money": 16.0}
    # With turnaround 0, L2 is busy to 12-09 only: K serves it whole, nothing is rented.
    p["turnaround_days"] = 0
    sol = run(p)
    assert alloc(sol) == {("L1", "K"): 5, ("L2", "K"): 5, ("P", "K2"): 2}
    assert sol["objective"]["money"] == 2.0
    # A permanent request from before the booking cannot use K either: it would be busy on 12-10.
    p["requests"][2]["start"] = "2026-12-01"
    p["requests"][2]["quantity"] = 4
    sol = run(p)
    assert ("P", "K") not in alloc(sol) and alloc(sol)[("P", "K2")] == 2 and unmet(sol) == {"P": 2}


def test_overlapping_bookings_above_capacity() -> None:
    # K: 4 units; bookings 12-03..12-05 (3) and 12-05..12-07 (3) hold 6 > 4 on 12-05: K has
    # 4, 4, 1, 1, 0, 1, 1, 4 free on 12-01..12-08 (nothing at all on 12-05, and that is no error).
    # M: capacity 5; bookings 12-04..12-05 (4) and 12-05..12-06 (3): 1 free on 12-04, 0 on 12-05.
    # R2 (12-01, busy to 12-02) and R3 (12-08..12-09): K, 4 each. R4 (12-04, busy 12-04..12-05)
    # meets K's empty day: M rents it 1. R1 (12-05) finds nothing anywhere.
    p = problem([req("R1", 1, "2026-12-05", "2026-12-05"), req("R2", 4, "2026-12-01", "2026-12-01"),
                 req("R3", 4, "2026-12-08", "2026-12-09"), req("R4", 1, "2026-12-04", "2026-12-04")],
                [lot("K", 4, booked=[booking("2026-12-03", "2026-12-05", 3), booking("2026-12-05", "2026-12-07", 3)])],
                [offer("M", 1.0, 0.0, capacity=5,
                       booked=[booking("2026-12-04", "2026-12-05", 4), booking("2026-12-05", "2026-12-06", 3)])])
    sol = run(p)
    assert alloc(sol) == {("R2", "K"): 4, ("R3", "K"): 4, ("R4", "M"): 1}
    assert unmet(sol) == {"R1": 1}
    # With turnaround 0, R4 is busy on 12-04 only, where K has 1 free: the warehouse unit wins.
    p["turnaround_days"] = 0
    sol = run(p)
    assert alloc(sol) == {("R2", "K"): 4, ("R3", "K"): 4, ("R4", "K"): 1}


def test_booking_ending_the_day_before_a_request_starts() -> None:
    # K (3 units) and M (capacity 3) are booked whole until 12-04; R (12-05..12-06, 6 units) starts
    # the day after: both are free for it (the matcher adds no turnaround to a booking).
    p = problem([req("R", 6, "2026-12-05", "2026-12-06")],
                [lot("K", 3, booked=[booking("2026-12-01", "2026-12-04", 3)])],
                [offer("M", 2.0, 0.0, capacity=3, booked=[booking("2026-12-01", "2026-12-04", 3)])])
    sol = run(p)
    assert alloc(sol) == {("R", "K"): 3, ("R", "M"): 3}
    assert sol["objective"] == {"weighted_unmet": 0, "rental_units": 3, "idle_units": 0, "money": 12.0}
    # One day longer and the bookings meet R's first day: nothing is free.
    for src in p["stock"] + p["rentals"]:
        src["booked"][0]["end"] = "2026-12-05"
    sol = run(p)
    assert sol["assignments"] == [] and unmet(sol) == {"R": 6}


def test_booking_on_an_unlimited_offer_changes_nothing() -> None:
    # M has no capacity limit: a booking of 1000 units over R's days leaves it unlimited.
    p = problem([req("R", 50, "2026-12-02", "2026-12-03")], [],
                [offer("M", 1.0, 5.0, booked=[booking("2026-12-01", "2026-12-10", 1000)])])
    sol = run(p)
    assert alloc(sol) == {("R", "M"): 50}
    assert sol["objective"] == {"weighted_unmet": 0, "rental_units": 50, "idle_units": 0, "money": 105.0}


@pytest.mark.parametrize("policy", ["tiered", "cost"])
def test_serves_loan_or_transfer_only(policy: str) -> None:
    # KL serves loans only, KT transfers only; 4 units each, handling 1. P is permanent, L a loan,
    # overlapping, 6 units each: P can only have KT's 4, L only KL's 4.
    p = problem([req("P", 6, "2026-12-01", None, unmet_cost=100.0),
                 req("L", 6, "2026-12-01", "2026-12-03", unmet_cost=100.0)],
                [lot("KL", 4, handling_cost=1.0, serves="loan"), lot("KT", 4, handling_cost=1.0, serves="transfer")],
                policy=policy)
    sol = run(p)
    assert alloc(sol) == {("P", "KT"): 4, ("L", "KL"): 4} and unmet(sol) == {"P": 2, "L": 2}
    # Alone, a loan-only lot leaves a permanent request unmet, and a transfer-only lot a loan.
    sol = run(problem([p["requests"][0]], [p["stock"][0]], policy=policy))
    assert sol["assignments"] == [] and unmet(sol) == {"P": 6}
    sol = run(problem([p["requests"][1]], [p["stock"][1]], policy=policy))
    assert sol["assignments"] == [] and unmet(sol) == {"L": 6}
    # "any" (the default) serves both.
    sol = run(problem(p["requests"], [lot("K", 8, handling_cost=1.0, serves="any")], policy=policy))
    assert sum(alloc(sol).values()) == 8


def test_identical_lots_that_serve_different_requests_are_not_merged() -> None:
    # Two lots on one shelf, equal but for serves: each must go to its own kind of request.
    p = problem([req("P", 2, "2026-12-01", None), req("L", 2, "2026-12-01", "2026-12-02")],
                [lot("KL", 2, serves="loan", handling_cost=2.0), lot("KT", 2, serves="transfer", handling_cost=2.0)])
    sol = run(p)
    assert alloc(sol) == {("P", "KT"): 2, ("L", "KL"): 2}
