"""Solving a problem: decomposition, one exact model per component, the solution JSON."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .decompose import Component, build_components, split_merged
from .model import LP_ENGINE, MIP_ENGINE, MONEY_REL_GAP, ComponentResult, solve_component
from .problem import Problem, validate
from .rules import lot_km, offer_km

Progress = Callable[[int, int], None]
PARALLEL_MIN_PAIRS = 30_000  # below this, forking costs more than it saves

_SHARED: tuple[Problem, list[Component], float | None] | None = None  # inherited by forked workers


def _solve_index(i: int) -> ComponentResult:
    assert _SHARED is not None
    prob, comps, deadline = _SHARED
    return solve_component(prob, comps[i], deadline)


def _solve_all(prob: Problem, comps: list[Component], deadline: float | None,
               workers: int) -> Iterator[tuple[Component, ComponentResult]]:
    """Solve the independent components, in ``workers`` forked processes when > 1."""
    if workers <= 1 or len(comps) < 2 or "fork" not in mp.get_all_start_methods():
        for comp in comps:
            yield comp, solve_component(prob, comp, deadline)
        return
    global _SHARED
    _SHARED = (prob, comps, deadline)
    order = sorted(range(len(comps)), key=lambda i: -len(comps[i].pairs))  # big ones first
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
            for i, res in zip(order, pool.map(_solve_index, order), strict=True):
                yield comps[i], res
    finally:
        _SHARED = None

TIER_NAMES = {"warehouse": "公物仓库存", "idle": "闲置资产", "rental": "市场租赁"}


def solve(problem: dict[str, Any] | Problem, time_limit: float | None = None,
          progress: Progress | None = None, workers: int | None = None) -> dict[str, Any]:
    """Solve a problem (a parsed JSON dict or a validated :class:`Problem`).

    Returns the solution dict of docs/matching.md. Raises :class:`ProblemError` for a malformed
    problem. ``progress(done, total)`` is called after each independent component.
    ``time_limit`` (seconds) bounds the whole solve; when it stops the solver the status is
    "feasible" and the best allocation found is returned. ``workers``: processes solving
    components in parallel (default: up to 2 on large problems, else 1).
    """
    prob = problem if isinstance(problem, Problem) else validate(problem)
    t0 = time.monotonic()
    deadline = None if time_limit is None else t0 + max(0.0, float(time_limit))
    try:
        comps = build_components(prob)
        alloc: dict[tuple[str, int, int], int] = {}
        proven = True
        solves = 0
        n_pairs = sum(len(c.pairs) for c in comps)
        if workers is None:
            workers = min(2, os.cpu_count() or 1) if n_pairs >= PARALLEL_MIN_PAIRS else 1
        for n, (comp, res) in enumerate(_solve_all(prob, comps, deadline, workers)):
            proven &= res.proven
            solves += res.solves
            merged: dict[int, list[tuple[int, int]]] = {}
            for p, v in res.alloc:
                if p.kind == "lot" and p.src in comp.members:
                    merged.setdefault(p.src, []).append((p.req, v))
                else:
                    alloc[(p.kind, p.src, p.req)] = v
            for rep, uses in merged.items():
                for k, r, v in split_merged(prob, comp.members[rep], uses):
                    alloc[("lot", k, r)] = v
            if progress is not None:
                progress(n + 1, len(comps))
    except Exception as exc:  # the solver must never crash the caller
        return {"status": "error", "policy": prob.policy, "message": f"求解失败：{type(exc).__name__}: {exc}"}
    sol = build_solution(prob, alloc, "optimal" if proven else "feasible")
    sol["solver"] = {
        "engine": f"ortools-{LP_ENGINE}+{MIP_ENGINE}",
        "components": len(comps),
        "pairs": sum(len(c.pairs) for c in comps),
        "pruned_pairs": sum(c.pruned for c in comps),
        "solves": solves,
        "workers": workers,
        "seconds": round(time.monotonic() - t0, 4),
        "money_rel_gap": MONEY_REL_GAP,
    }
    return sol


def build_solution(prob: Problem, alloc: dict[tuple[str, int, int], int], status: str) -> dict[str, Any]:
    """The solution dict for an allocation {(kind, source index, request index): units}."""
    reqs = prob.requests
    rows: list[tuple[int, int, int, dict[str, Any]]] = []
    handling = transport = rental = delivery = 0.0
    served = [0] * len(reqs)
    rental_units = idle_units = 0
    for (kind, src, r), q in alloc.items():
        req = reqs[r]
        rate = prob.rate(req.category)
        served[r] += q
        if kind == "lot":
            lot = prob.stock[src]
            km = lot_km(lot, req)
            h, t = q * lot.handling_cost, q * rate * km
            cost = h + t
            handling += h
            transport += t
            unit_cost = lot.handling_cost + rate * km
            if lot.tier == "idle":
                idle_units += q
            who = lot.holder or lot.id
            expl = (f"{TIER_NAMES[lot.tier]}：{who} 的 {lot.id} 调出 {q} 件，距离 {km:.1f} 公里，"
                    f"每件 {unit_cost:.2f} 元（处置 {lot.handling_cost:.2f} + 运输 {rate * km:.2f}）")
            row = {"request": req.id, "source": lot.id, "tier": lot.tier, "quantity": q, "cost": cost,
                   "km": km, "unit_cost": unit_cost, "explanation": expl}
            rows.append((r, 0, lot.index, row))
        else:
            offer = prob.rentals[src]
            km = offer_km(offer, req)
            days = req.days if req.end is not None else 0  # a rental for a permanent request: check rejects it
            rent = q * offer.price_per_unit_day * days
            t = q * rate * km
            cost = rent + t + offer.delivery_fee
            rental += rent
            transport += t
            delivery += offer.delivery_fee
            rental_units += q
            unit_cost = offer.price_per_unit_day * days + rate * km
            who = offer.vendor or offer.id
            expl = (f"市场租赁：{who}（{offer.id}）租用 {q} 件 {days} 天，距离 {km:.1f} 公里，"
                    f"每件 {unit_cost:.2f} 元，另加送货费 {offer.delivery_fee:.2f} 元")
            row = {"request": req.id, "source": offer.id, "tier": "rental", "quantity": q, "cost": cost,
                   "km": km, "unit_cost": unit_cost, "explanation": expl}
            rows.append((r, 1, offer.index, row))
    rows.sort(key=lambda t: t[:3])
    unmet = []
    weighted_unmet = 0
    unmet_money = 0.0
    for req in reqs:
        m = req.quantity - served[req.index]
        if m > 0:
            unmet.append({"request": req.id, "quantity": m})
            weighted_unmet += req.priority * m
            unmet_money += req.unmet_cost * m
    money = handling + transport + rental + delivery
    if prob.policy == "tiered":
        objective: dict[str, Any] = {"weighted_unmet": weighted_unmet, "rental_units": rental_units,
                                     "idle_units": idle_units, "money": money}
    else:
        objective = {"total": money + unmet_money}
    total_units = sum(r.quantity for r in reqs)
    n_unmet = sum(u["quantity"] for u in unmet)
    head = "已证明最优" if status == "optimal" else "达到时间上限，给出目前找到的最好方案（未证明最优）"
    policy_text = ("分层策略：先满足需求（按优先级），再少租用、少动用其他单位闲置资产，最后省钱"
                   if prob.policy == "tiered" else "成本策略：总费用（含未满足需求的代价）最低")
    explanation = (f"{head}。{policy_text}。共需 {total_units} 件，满足 {total_units - n_unmet} 件"
                   f"（公物仓库存 {total_units - n_unmet - rental_units - idle_units} 件、闲置资产 {idle_units} 件、"
                   f"租赁 {rental_units} 件），未满足 {n_unmet} 件；费用合计 {money:.2f} 元。")
    return {
        "status": status,
        "policy": prob.policy,
        "objective": objective,
        "assignments": [row for *_, row in rows],
        "unmet": unmet,
        "cost": {"handling": handling, "transport": transport, "rental": rental, "delivery": delivery,
                 "total": money},
        "explanation": explanation,
    }
