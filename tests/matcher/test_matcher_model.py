"""The model's machinery: lot classes for the unit-counting levels, and the paths of
LinearModel.minimise that an integral LP does not close (reduced-cost boxes solved by SCIP).

Each case is checked against the independent plain MILP of matcher_reference.py."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from matcher_reference import reference_objective

import matcher
from matcher import model
from matcher.decompose import build_components

BASE = date(2026, 12, 1)


def _d(offset: int) -> str:
    return (BASE + timedelta(days=offset)).isoformat()


def _same(sol: dict[str, Any], ref: dict[str, Any]) -> bool:
    return all(abs(v - ref[k]) <= 1e-6 * max(1.0, abs(ref[k])) for k, v in sol["objective"].items())


def seeded_problem(seed: int) -> dict[str, Any]:
    """A small contested problem of one category (found by searching seeds for the paths below)."""
    rng = random.Random(seed)
    requests = []
    for i in range(rng.randint(3, 6)):
        s = rng.randint(0, 8)
        requests.append({"id": f"R{i}", "category": "A", "quantity": rng.randint(1, 4), "start": _d(s),
                         "end": _d(s + rng.randint(0, 3)),
                         "location": [30 + rng.random() * 0.3, 104 + rng.random() * 0.3],
                         "priority": rng.randint(1, 3)})
    stock = []
    for i in range(rng.randint(2, 5)):
        af = rng.choice([None, rng.randint(0, 6)])
        au = rng.choice([None, rng.randint(4, 14)])
        stock.append({"id": f"K{i}", "tier": rng.choice(["warehouse", "idle"]), "category": "A",
                      "quantity": rng.randint(1, 3),
                      "location": [30 + rng.random() * 0.3, 104 + rng.random() * 0.3],
                      "available_from": None if af is None else _d(af),
                      "available_until": None if au is None else _d(au),
                      "handling_cost": rng.choice([0, 1.5, 3])})
    rentals = []
    if rng.random() < 0.5:
        rentals.append({"id": "M0", "category": "A", "capacity": rng.randint(1, 4), "price_per_unit_day": 4.5,
                        "delivery_fee": rng.choice([0, 35.0]), "location": [30.1, 104.1]})
    return {"version": 1, "policy": "tiered", "turnaround_days": 1, "transport": {"per_unit_km": {"*": 0.5}},
            "requests": requests, "stock": stock, "rentals": rentals}


@pytest.mark.parametrize(("seed", "path"), [
    (15, ("lot", model.MONEY_REL_GAP)),  # money: delivery fee gap, box MIP on the lots
    (278, ("offer", model.MONEY_REL_GAP)),  # money: a model whose first pair is a rental offer
    (576, ("class", 0.0)),  # a unit-counting level whose class LP is fractional
])
def test_levels_the_lp_leaves_open_are_finished_by_the_mip(seed: int, path: tuple[str, float],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    mips: list[tuple[str, float]] = []
    run = model.LinearModel._run

    def spy(self, engine, a, b, lb, ub, c, offset, integer, gap, deadline, hint=None):  # noqa: ANN001, ANN202
        if integer:
            mips.append((self.pairs[0].kind, gap))
        return run(self, engine, a, b, lb, ub, c, offset, integer, gap, deadline, hint)

    monkeypatch.setattr(model.LinearModel, "_run", spy)
    problem = seeded_problem(seed)
    sol = matcher.solve(problem)
    assert path in mips  # the case really exercises that path
    assert sol["status"] == "optimal"
    assert matcher.check(problem, sol) == []
    assert _same(sol, reference_objective(problem))


def test_lots_open_to_the_same_requests_form_one_class() -> None:
    # K1 (open all the time) and K2 (open from day 0 to day 30) admit the same two loans, so
    # they are one class; K3 (warehouse) is another tier; K4 closes on day 3 and serves only R1.
    lot = {"category": "A", "location": [30.0, 104.0], "handling_cost": 1.0, "available_from": None,
           "available_until": None}
    problem = {
        "version": 1, "policy": "tiered", "transport": {"per_unit_km": {"*": 0.5}},
        "requests": [
            {"id": "R1", "category": "A", "quantity": 5, "start": _d(0), "end": _d(1), "location": [30.0, 104.1]},
            {"id": "R2", "category": "A", "quantity": 4, "start": _d(1), "end": _d(5), "location": [30.1, 104.0]},
        ],
        "stock": [
            {**lot, "id": "K1", "tier": "idle", "quantity": 2},
            {**lot, "id": "K2", "tier": "idle", "quantity": 3, "location": [30.2, 104.2],
             "available_from": _d(0), "available_until": _d(30)},
            {**lot, "id": "K3", "tier": "warehouse", "quantity": 1},
            {**lot, "id": "K4", "tier": "idle", "quantity": 4, "available_until": _d(3)},
        ],
        "rentals": [],
    }
    (comp,) = build_components(matcher.validate(problem))
    by_lots = {tuple(sorted(problem["stock"][k]["id"] for k in cl.lots)): (cl.tier, cl.quantity, len(cl.requests))
               for cl in comp.classes}
    assert by_lots == {("K1", "K2"): ("idle", 5, 2), ("K3",): ("warehouse", 1, 2), ("K4",): ("idle", 4, 1)}
    # R1 and R2 overlap, 9 units at once: R2 can only use K1, K2 and K3 (6 units), R1 also K4;
    # everything is served, and the class's units split back over K1 and K2 within each lot.
    sol = matcher.solve(problem)
    assert matcher.check(problem, sol) == []
    assert _same(sol, reference_objective(problem))
    assert sol["objective"]["weighted_unmet"] == 0


def test_cost_policy_drops_pairs_dearer_than_leaving_the_units_unmet() -> None:
    # Under "cost" a unit of R1 left unmet costs 40. K1 is 1 km away (0.5 per unit); K2 is about
    # 111 km away (55.6 per unit: dearer than unmet); M1 costs 10 per unit plus a fee of 200, at
    # least 10 + 200 / 5 = 50 per unit for any use: dearer too. Only K1 may serve R1.
    lot = {"category": "A", "tier": "idle", "handling_cost": 0.0}
    problem = {
        "version": 1, "policy": "cost", "transport": {"per_unit_km": {"*": 0.5}},
        "requests": [{"id": "R1", "category": "A", "quantity": 5, "start": _d(0), "end": _d(0),
                      "location": [30.0, 104.0], "unmet_cost": 40.0}],
        "stock": [{**lot, "id": "K1", "quantity": 2, "location": [30.0, 104.0104]},
                  {**lot, "id": "K2", "quantity": 5, "location": [31.0, 104.0]}],
        "rentals": [{"id": "M1", "category": "A", "capacity": None, "price_per_unit_day": 10.0,
                     "delivery_fee": 200.0, "location": [30.0, 104.0]}],
    }
    (comp,) = build_components(matcher.validate(problem))
    assert [(p.kind, p.src) for p in comp.pairs] == [("lot", 0)]
    assert comp.pruned == 2
    (unpruned,) = build_components(matcher.validate(problem), prune=False)
    assert len(unpruned.pairs) == 3  # the rules alone admit all three
    sol = matcher.solve(problem)
    assert [(a["source"], a["quantity"]) for a in sol["assignments"]] == [("K1", 2)]
    assert sol["unmet"] == [{"request": "R1", "quantity": 3}]
    assert matcher.check(problem, sol) == []
    assert _same(sol, reference_objective(problem))
