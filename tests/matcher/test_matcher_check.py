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


def _rebuilt(sol: dict[str, Any], changes: dict[tuple[str, str], int]) -> None:
    """Replace ``sol`` by a solution with consistent figures for the changed allocation, so
    that only the feasibility rule under test is broken."""
    prob = matcher.validate(copy.deepcopy(PROBLEM))
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
