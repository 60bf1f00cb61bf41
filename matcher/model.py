"""The exact model of one component, solved as a MIP with OR-Tools (pywraplp, SCIP).

Model (for the candidate pairs of one component, see decompose.py)
------------------------------------------------------------------
* ``x[p]`` integer in ``[0, ub[p]]``: units of pair p (lot or offer -> request).
* ``z[p]`` binary for a rental pair with a positive delivery fee, ``x[p] <= ub[p] * z[p]``:
  the fee is a fixed charge, which a network flow cannot express, hence an integer model.
  (Minimisation sets ``z = 0`` whenever ``x = 0``, so the fee is paid exactly once per
  request an offer serves.)
* Demand: ``sum x[p] over pairs of r <= quantity[r]``; the unmet rest is
  ``m[r] = quantity[r] - sum``.
* Stock capacity (rule 4): the load of a lot on a day is the sum of the ``x`` of the
  requests busy that day; it peaks at the start of some busy interval, so bounding it on
  the maximal cliques of busy intervals (decompose.maximal_cliques) is the same as bounding
  it on every day. Likewise the capacity of an offer over the rental days ``[start, end]``
  (rule 5).

Why MIP rather than network flow or CP-SAT: a lot's units come back after a loan, and a
request draws from several lots, so the stock part is not a single-commodity flow (the
per-lot interval rows plus the per-request rows are not totally unimodular in general),
and the delivery fee is a fixed charge. CP-SAT was tried first: it is fast on the integer
levels but needs money scaled to integers, and proving the money optimum to the precision
the contract compares at (1e-6 relative) with 2**50-scale coefficients took it seconds to
minutes on components of a few hundred variables, where SCIP's LP bound closes the gap in
milliseconds.

Objective and exactness
-----------------------
"tiered": the levels are solved one after the other on the same model. Levels 1-3
(weighted_unmet as ``-sum priority*x``, rental_units, idle_units) have integer
coefficients (levels 2 and 3 are merged into ``rental_units*(B3+1) + idle_units`` with
``B3`` the most idle units the component could use, which is lexicographic, whenever that
stays below COMBINE_LIMIT); each is solved with relative gap 0 (so the optimum is proven: the objective
takes integer values and the remaining gap is below 1), the solution is rounded (integer
variables are within the solver's 1e-6 integrality tolerance of integers, so rounding keeps
every integer constraint satisfied), and the level is then fixed with
``level <= value + 0.5`` (which, for integer allocations, is ``level <= value``).
Money is solved last in double precision with relative gap MONEY_REL_GAP = 1e-9, so the
money found is within 1e-9 relative (plus SCIP's 1e-9 absolute epsilon) of the true
optimum at those levels: 1000 times inside the contract's 1e-6 tolerance. "cost":
``money + sum unmet_cost*(quantity - served)`` in one solve, written with its constant so
that the objective is the non-negative contract total the relative gap refers to.
All reported money figures are recomputed in floating point from the rounded integer
allocation, never read back from the solver's objective.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from .decompose import Component, busy_interval, maximal_cliques
from .problem import Problem

MONEY_REL_GAP = 1e-9
# Levels 2 and 3 are solved as one when the combined integer objective stays this small:
# far below 2**53 and small enough that the solver's relative epsilon (1e-9) is < 0.5 unit.
COMBINE_LIMIT = 2**24
MIP_ENGINE = "SCIP"  # HiGHS (also in OR-Tools) is exact too but was ~2x slower here


@dataclass(slots=True)
class ComponentResult:
    values: list[int]  # x per pair
    proven: bool
    solves: int


class ComponentModel:
    def __init__(self, problem: Problem, comp: Component) -> None:
        self.problem = problem
        self.comp = comp
        s = pywraplp.Solver.CreateSolver(MIP_ENGINE)
        if s is None:  # pragma: no cover - OR-Tools without the engine
            raise RuntimeError(f"OR-Tools 不含求解器 {MIP_ENGINE}")
        s.SuppressOutput()
        self.s = s
        pairs = comp.pairs
        self.x = [s.IntVar(0, p.ub, "") for p in pairs]
        self.z: dict[int, pywraplp.Variable] = {}
        by_req: dict[int, list[int]] = {r: [] for r in comp.requests}
        by_lot: dict[int, list[int]] = {}
        by_offer: dict[int, list[int]] = {}
        for i, p in enumerate(pairs):
            by_req[p.req].append(i)
            if p.kind == "lot":
                by_lot.setdefault(p.src, []).append(i)
            else:
                by_offer.setdefault(p.src, []).append(i)
                if p.fee > 0:
                    z = s.BoolVar("")
                    self.z[i] = z
                    s.Add(self.x[i] <= p.ub * z)
        self.by_req = by_req
        for r, idx in by_req.items():
            q = problem.requests[r].quantity
            if len(idx) > 1 and sum(pairs[i].ub for i in idx) > q:
                s.Add(s.Sum([self.x[i] for i in idx]) <= q)
        for k, idx in by_lot.items():
            cap = comp.lot_qty.get(k, problem.stock[k].quantity)
            ivs = [(*busy_interval(problem, pairs[i].req), i) for i in idx]
            for clique in maximal_cliques(ivs):
                if len(clique) > 1 and sum(pairs[i].ub for i in clique) > cap:
                    s.Add(s.Sum([self.x[i] for i in clique]) <= cap)
        for o, idx in by_offer.items():
            cap_o = problem.rentals[o].capacity
            if cap_o is None:
                continue
            ivs = []
            for i in idx:
                req = problem.requests[pairs[i].req]
                assert req.end is not None
                ivs.append((req.start, req.end, i))
            for clique in maximal_cliques(ivs):
                if len(clique) > 1 and sum(pairs[i].ub for i in clique) > cap_o:
                    s.Add(s.Sum([self.x[i] for i in clique]) <= cap_o)
        self.solves = 0
        self.proven = True

    def _run(self, coefs: list[float], fees: dict[int, float], offset: float, integral: bool,
             deadline: float | None, hint: list[int] | None = None) -> tuple[bool, list[int]] | None:
        """Minimise the given objective; None if no solution, else (proven, rounded x)."""
        s = self.s
        if hint is not None and any(hint):
            # the previous level's solution is feasible here: start from it (speed only)
            zs = list(self.z)
            s.SetHint(self.x + [self.z[i] for i in zs], [float(v) for v in hint] + [float(hint[i] > 0) for i in zs])
        obj = s.Objective()
        obj.Clear()
        for v, c in zip(self.x, coefs, strict=True):
            if c:
                obj.SetCoefficient(v, c)
        for i, f in fees.items():
            if f:
                obj.SetCoefficient(self.z[i], f)
        obj.SetOffset(offset)
        obj.SetMinimization()
        if deadline is not None:
            s.SetTimeLimit(max(1, int(1000 * (deadline - time.monotonic()))))
        opts = ["output_flag=false", "log_to_console=false"] if MIP_ENGINE == "HIGHS" else []
        if integral and MIP_ENGINE == "HIGHS":
            # integer coefficients: any gap below 1 proves optimality
            opts.append("mip_abs_gap=0.5")
        s.SetSolverSpecificParametersAsString("\n".join(opts) + "\n")
        prm = pywraplp.MPSolverParameters()
        prm.SetDoubleParam(prm.RELATIVE_MIP_GAP, 0.0 if integral else MONEY_REL_GAP)
        status = s.Solve(prm)
        self.solves += 1
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return None
        return status == pywraplp.Solver.OPTIMAL, [round(v.solution_value()) for v in self.x]

    def _minimise_level(self, coefs: list[int], deadline: float | None, current: list[int]) -> list[int]:
        """Minimise an integer level, then keep it at the value found for the next levels."""
        if not any(coefs):
            return current
        res = self._run([float(c) for c in coefs], {}, 0.0, True, deadline)
        if res is None:
            self.proven = False
            vals = current
        else:
            self.proven &= res[0]
            vals = res[1]
        value = sum(c * v for c, v in zip(coefs, vals, strict=True))
        self.s.Add(self.s.Sum([c * self.x[i] for i, c in enumerate(coefs) if c]) <= value + 0.5)
        return vals

    def solve(self, deadline: float | None) -> ComponentResult:
        pairs = self.comp.pairs
        reqs = self.problem.requests
        current = [0] * len(pairs)
        if self.problem.policy == "tiered":
            l1 = [-reqs[p.req].priority for p in pairs]  # weighted_unmet = const - sum priority * x
            l2 = [1 if p.tier == "rental" else 0 for p in pairs]
            l3 = [1 if p.tier == "idle" else 0 for p in pairs]
            b3 = sum(reqs[r].quantity for r in {p.req for p in pairs if p.tier == "idle"})
            b2 = sum(reqs[r].quantity for r in {p.req for p in pairs if p.tier == "rental"})
            if (b2 + 1) * (b3 + 1) <= COMBINE_LIMIT:
                # rental_units * (B3 + 1) + idle_units is lexicographic since 0 <= idle_units <= B3
                levels = [l1, [a * (b3 + 1) + b for a, b in zip(l2, l3, strict=True)]]
            else:
                levels = [l1, l2, l3]
            for level in levels:
                current = self._minimise_level(level, deadline, current)
            coefs = [p.unit_cost for p in pairs]
            const = 0.0
        else:
            # money + sum unmet_cost * (quantity - served): the constant keeps the objective >= 0,
            # so that the relative gap is relative to the contract's total.
            coefs = [p.unit_cost - reqs[p.req].unmet_cost for p in pairs]
            const = sum(reqs[r].unmet_cost * reqs[r].quantity for r in self.comp.requests)
        fees = {i: pairs[i].fee for i in self.z}
        if any(coefs) or any(fees.values()):
            res = self._run(coefs, fees, const, False, deadline)
            if res is None:
                self.proven = False
            else:
                self.proven &= res[0]
                current = res[1]
        return ComponentResult(current, self.proven, self.solves)


def solve_component(problem: Problem, comp: Component, deadline: float | None) -> ComponentResult:
    if not comp.pairs:
        return ComponentResult([], True, 0)
    return ComponentModel(problem, comp).solve(deadline)
