"""``check`` rejects corrupted solutions."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

import matcher
from matcher.solve import build_solution

HERE = [30.0, 104.0]

# Two categories; a loan and a permanent request of C; a loan of D.
PROBLEM: dict[str, Any] = {
    "version": 1, "policy": "tiered", "turnaround_days": 1,
    "transport": {"per_unit_km": {"*": 0.5}},
    "requests": [
        {"id": "L", "category": "C", "quantity": 12, "start": "2026-12-01", "end": "2026-12-03",
         "location": [30.01, 104.0]},
        {"id": "P", "category": "C", "quantity": 3, "start": "2026-12-02", "end": None, "location": HERE},
        {"id": "D1", "category": "D", "quantity": 4, "start": "2026-12-01", "end": "2026-12-02",
         "location": HERE},
    ],
    "stock": [
        {"id": "K", "tier": "warehouse", "category": "C", "quantity": 10, "location": HERE, "handling_cost": 1.0},
        {"id": "KD", "tier": "idle", "category": "D", "quantity": 2, "location": HERE},
    ],
    "rentals": [
        {"id": "M", "category": "C", "capacity": 5, "price_per_unit_day": 2.0, "delivery_fee": 7.0,
         "location": HERE},
        {"id": "MD", "category": "D", "capacity": None, "price_per_unit_day": 1.0, "delivery_fee": 0.0,
         "location": HERE},
    ],
}


@pytest.fixture(scope="module")
def solution() -> dict[str, Any]:
    sol = matcher.solve(copy.deepcopy(PROBLEM))
    assert sol["status"] == "optimal"
    assert matcher.check(PROBLEM, sol) == []
    # K serves 7 of L and 3 of P (10 busy on 12-02), M rents 5 to L; D1: 2 idle + 2 rented.
    obj = sol["objective"]
    assert (obj["weighted_unmet"], obj["rental_units"], obj["idle_units"]) == (0, 7, 2)
    return sol


def _row(sol: dict[str, Any], req: str, src: str) -> dict[str, Any]:
    return next(a for a in sol["assignments"] if a["request"] == req and a["source"] == src)


def _rebuilt(sol: dict[str, Any], changes: dict[tuple[str, str], int], problem: dict[str, Any] = PROBLEM) -> None:
    """Replace ``sol`` by a solution with consistent figures for the changed allocation, so
    that only the feasibility rule under test is broken."""
    prob = matcher.validate(copy.deepcopy(problem))
    req_ix = {r.id: r.index for r in prob.requests}
    src_ix = {k.id: ("lot", k.index) for k in prob.stock} | {o.id: ("offer", o.index) for o in prob.rentals}
    alloc = {(a["request"], a["source"]): a["quantity"] for a in sol["assignments"]}
    alloc.update(changes)
    new = build_solution(prob, {(*src_ix[s], req_ix[r]): q for (r, s), q in alloc.items() if q > 0},
                         sol["status"])
    sol.clear()
    sol.update(new)


def over_capacity(sol: dict[str, Any]) -> None:
    # K already has 10 busy on 12-02; one more unit for L from K instead of M.
    _rebuilt(sol, {("L", "K"): 8, ("L", "M"): 4})


def rental_over_capacity(sol: dict[str, Any]) -> None:
    _rebuilt(sol, {("L", "K"): 6, ("L", "M"): 6})


def wrong_category(sol: dict[str, Any]) -> None:
    _row(sol, "D1", "KD")["source"] = "K"


def wrong_cost(sol: dict[str, Any]) -> None:
    _row(sol, "L", "K")["cost"] *= 1.0001


def wrong_objective(sol: dict[str, Any]) -> None:
    sol["objective"]["money"] *= 0.999


def wrong_idle_units(sol: dict[str, Any]) -> None:
    sol["objective"]["idle_units"] -= 1


def wrong_total(sol: dict[str, Any]) -> None:
    sol["cost"]["transport"] += 0.01


def rental_for_permanent(sol: dict[str, Any]) -> None:
    _rebuilt(sol, {("P", "K"): 2})
    sol["assignments"].append({"request": "P", "source": "M", "tier": "rental", "quantity": 1, "cost": 7.0})
    sol["unmet"] = [u for u in sol["unmet"] if u["request"] != "P"]


def status_error(sol: dict[str, Any]) -> None:
    sol.clear()
    sol.update({"status": "error", "message": "求解失败"})


def wrong_unmet(sol: dict[str, Any]) -> None:
    sol["unmet"].append({"request": "L", "quantity": 1})


def wrong_tier(sol: dict[str, Any]) -> None:
    _row(sol, "D1", "KD")["tier"] = "warehouse"


def duplicate_row(sol: dict[str, Any]) -> None:
    sol["assignments"].append(dict(sol["assignments"][0]))


def too_much_for_request(sol: dict[str, Any]) -> None:
    _rebuilt(sol, {("D1", "MD"): 3})


def unknown_source(sol: dict[str, Any]) -> None:
    _row(sol, "L", "M")["source"] = "NOPE"


EXPECT = {"over_capacity": "超过数量", "rental_over_capacity": "超过 capacity",
          "rental_for_permanent": "永久调剂", "too_much_for_request": "超过 quantity",
          "wrong_category": "类别不符", "status_error": "status"}

CORRUPTIONS: list[Callable[[dict[str, Any]], None]] = [
    over_capacity, rental_over_capacity, wrong_category, wrong_cost, wrong_objective, wrong_idle_units,
    wrong_total, rental_for_permanent, status_error, wrong_unmet, wrong_tier, duplicate_row,
    too_much_for_request, unknown_source,
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__)
def test_check_rejects(solution: dict[str, Any], corrupt: Callable[[dict[str, Any]], None]) -> None:
    bad = copy.deepcopy(solution)
    corrupt(bad)
    errs = matcher.check(PROBLEM, bad)
    assert errs, corrupt.__name__
    assert all(e.startswith("错误：") for e in errs)
    if corrupt.__name__ in EXPECT:
        assert any(EXPECT[corrupt.__name__] in e for e in errs), errs


def test_check_cost_policy_total() -> None:
    p = copy.deepcopy(PROBLEM)
    p["policy"] = "cost"
    sol = matcher.solve(p)
    assert matcher.check(p, sol) == []
    sol["objective"]["total"] += 1.0
    assert any("total" in e for e in matcher.check(p, sol))


def test_check_policy_mismatch(solution: dict[str, Any]) -> None:
    p = copy.deepcopy(PROBLEM)
    p["policy"] = "cost"
    assert matcher.check(p, solution)


# ---------------------------------------------------------------- booked and serves
# Turnaround 0. KB: 5 units, 3 booked 12-02..12-03 (2 free those days). KG: 4 units, all booked for
# good from 12-06. KL serves loans only, KT transfers only. MB: capacity 6, 4 booked on 12-02.
# MU: unlimited, a large booking (which changes nothing).
BOOKED: dict[str, Any] = {
    "version": 1, "policy": "tiered", "turnaround_days": 0,
    "transport": {"per_unit_km": {"*": 0.5}},
    "requests": [
        {"id": "L", "category": "C", "quantity": 9, "start": "2026-12-01", "end": "2026-12-03", "location": HERE},
        {"id": "L2", "category": "C", "quantity": 2, "start": "2026-12-05", "end": "2026-12-06", "location": HERE},
        {"id": "P", "category": "C", "quantity": 2, "start": "2026-12-01", "end": None, "location": HERE},
    ],
    "stock": [
        {"id": "KB", "tier": "warehouse", "category": "C", "quantity": 5, "location": HERE,
         "booked": [{"start": "2026-12-02", "end": "2026-12-03", "quantity": 3}]},
        {"id": "KG", "tier": "warehouse", "category": "C", "quantity": 4, "location": HERE,
         "booked": [{"start": "2026-12-06", "end": None, "quantity": 4}]},
        {"id": "KL", "tier": "idle", "category": "C", "quantity": 3, "location": HERE, "serves": "loan"},
        {"id": "KT", "tier": "idle", "category": "C", "quantity": 3, "location": HERE, "serves": "transfer"},
    ],
    "rentals": [
        {"id": "MB", "category": "C", "capacity": 6, "price_per_unit_day": 2.0, "delivery_fee": 0.0,
         "location": HERE, "booked": [{"start": "2026-12-02", "end": "2026-12-02", "quantity": 4}]},
        {"id": "MU", "category": "C", "capacity": None, "price_per_unit_day": 3.0, "delivery_fee": 0.0,
         "location": HERE, "booked": [{"start": "2026-12-01", "end": "2026-12-31", "quantity": 1000}]},
    ],
}
# A feasible allocation: L 2 from KB, 4 from KG, 3 from KL; L2 2 from KB (its booking is over);
# P 2 from KT. Each change below breaks one rule and nothing else.
FEASIBLE = {("L", "KB"): 2, ("L", "KG"): 4, ("L", "KL"): 3, ("L2", "KB"): 2, ("P", "KT"): 2}
BROKEN: dict[str, tuple[dict[tuple[str, str], int], str]] = {
    # rule 4: 3 + 3 booked > 5 on 12-02
    "lot_over_its_bookings": ({("L", "KB"): 3, ("L", "KL"): 2}, "库存 KB 在 2026-12-02 3 件（另有 booked 预订 3 件）"),
    # rule 4: L2 is busy on 12-06, where the bookings hold all of KG
    "lot_on_a_day_booked_whole": ({("L2", "KB"): 0, ("L2", "KG"): 2}, "库存 KG 在 2026-12-06 2 件（另有 booked 预订 4 件）"),
    # rule 4: a permanent request is busy for ever, KG is booked whole for good from 12-06 (L makes
    # room for P on KG's first days and rents the difference)
    "permanent_on_a_lot_booked_for_good": ({("P", "KT"): 0, ("P", "KG"): 2, ("L", "KG"): 2, ("L", "MU"): 2},
                                           "库存 KG 在 2026-12-06 2 件（另有 booked 预订 4 件）"),
    # rule 5: 3 + 4 booked > 6 on 12-02
    "offer_over_its_bookings": ({("L", "KL"): 0, ("L", "MB"): 3}, "租赁 MB 在 2026-12-02 3 件（另有 booked 预订 4 件）"),
    # rule 3: serves
    "loan_only_lot_to_a_permanent_request": ({("P", "KT"): 0, ("P", "KL"): 2, ("L", "KL"): 1}, "违反 serves：KL"),
    "transfer_only_lot_to_a_loan": ({("L", "KL"): 0, ("L", "KT"): 1}, "违反 serves：KT"),
}


def _booked_solution(changes: dict[tuple[str, str], int]) -> dict[str, Any]:
    sol = {"status": "feasible", "assignments": []}
    _rebuilt(sol, {**FEASIBLE, **changes}, BOOKED)
    return sol


def test_booked_feasible_allocation_and_optimum_pass() -> None:
    assert matcher.check(BOOKED, _booked_solution({})) == []
    sol = matcher.solve(copy.deepcopy(BOOKED))
    assert sol["status"] == "optimal" and matcher.check(BOOKED, sol) == []
    # the optimum: everything served, L's 9 from stock (2 KB + 4 KG + 3 KL), nothing rented
    assert sol["objective"]["weighted_unmet"] == 0 and sol["objective"]["rental_units"] == 0


def test_booking_on_an_unlimited_offer_is_no_limit() -> None:
    sol = _booked_solution({("L", "KL"): 0, ("L", "KG"): 0, ("L", "MU"): 7})
    assert matcher.check(BOOKED, sol) == []


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_check_rejects_with_bookings_and_serves(name: str) -> None:
    changes, expect = BROKEN[name]
    errs = matcher.check(BOOKED, _booked_solution(changes))
    assert len(errs) == 1, errs  # that rule, and nothing else
    assert expect in errs[0], errs
