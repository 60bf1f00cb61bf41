"""The exact model of one component: sparse matrices, LP bounds, reduced-cost tightening, a small MIP.

Model (for the candidate pairs of one component, see decompose.py)
------------------------------------------------------------------
* ``x[p]`` integer in ``[0, ub[p]]``: units of pair p (lot or offer -> request).
* ``z[p]`` binary for a rental pair with a positive delivery fee, ``x[p] <= ub[p] * z[p]``:
  the fee is a fixed charge (minimisation sets ``z = 0`` whenever ``x = 0``, so the fee is
  paid exactly once per request an offer serves). Only the money level sees ``z``.
* Demand: ``sum x[p] over pairs of r <= quantity[r]``; the unmet rest is
  ``m[r] = quantity[r] - sum``.
* Stock capacity (rule 4): the load of a lot on a day is the sum of the ``x`` of the
  requests busy that day, and it may not exceed what the lot's bookings leave free that day.
  The load rises only where a busy interval starts and the free units fall only where a
  booking starts, so bounding the load on those days (capacity.capacity_rows, which also
  drops the rows other rows imply) is the same as bounding it on every day; a pair's upper
  bound is the fewest units free on any of its days. Likewise an offer over the rental days
  (rule 5).

Why not a network flow: a lot's units come back after a loan, and a request draws from
several lots, so the stock part is not a single-commodity flow (the per-lot interval rows
plus the per-request rows are not totally unimodular in general), and the delivery fee is a
fixed charge. It is an integer program, but a tight one, so an LP solver does most of the
work and a MIP only finishes what the LP leaves open (below). CP-SAT was tried first: it
needs money scaled to integers, and proving the money optimum to 1e-6 relative took it
seconds to minutes per component; SCIP on the whole model (the previous design) spent most
of its time in presolve on a relaxation that the tightening below closes at once.

How each level is minimised exactly (``LinearModel.minimise``)
--------------------------------------------------------------
1. The LP relaxation is solved (GLOP) over the current bounds and rows.
2. From the LP's row duals ``y`` the bound is recomputed in our own arithmetic as a
   Lagrangian bound, valid for ANY multipliers ``lam = max(0, -y) >= 0`` (so LP solver
   tolerances cannot make it wrong): for every x in the box with ``A x <= b``,
   ``c.x >= L + sum_j |d_j| * dist_j(x)``, where ``d = c + A^T lam``,
   ``L = -lam.b + sum_j min(d_j lb_j, d_j ub_j)``, and ``dist_j`` is x_j's distance from
   the bound at which ``d_j x_j`` is least.
3. Reduced-cost tightening: for a target ``U``, every solution with ``c.x <= U`` has
   ``|d_j| * dist_j(x) <= U - L``, so ``x_j`` moves at most ``floor((U - L) / |d_j|)``
   from that bound. The MIP (SCIP) is solved over the variables left free, the others
   fixed. If its optimum ``v <= U``, it is the optimum of the whole level (any better
   solution would lie in the tightened box). Otherwise the optimum exceeds U, ``v`` is an
   upper bound, and one more round with ``U = v`` is final.
   A feasible solution whose value reaches the bound (``ceil(L)`` for the integer
   levels, ``L`` within the money gap) is optimal outright: an integral LP solution
   usually is, and then no MIP runs. Otherwise ``U`` starts at ``ceil(L)`` for the integer
   levels and at ``L + max(1, 1e-4 L)`` for money.
4. The bounds tightened with ``U = v`` stay for the later levels, which only look at
   solutions meeting the row ``c.x <= v`` that keeps the level.

Levels. "tiered": weighted_unmet (as ``-sum priority*x``), then rental_units and
idle_units merged into ``rental_units*(B3+1) + idle_units`` (``B3`` the most idle units the
component could use; lexicographic while it stays below COMBINE_LIMIT, else one after the
other). These unit-counting levels are solved on the component's lot classes
(decompose.py: lots of one tier open to the same requests, merged; a few dozen instead of
thousands of lots), which is exact because those levels do not look at costs. Their values
are then kept as rows ``level <= value`` on the model of the lots themselves (the levels take
integer values on integer allocations, so the rows are exact; a slack of half a unit would
let the money LP serve half units more cheaply and lose its integrality), together with
what the classes proved: class pairs tightened to 0 stay closed, and an offer pair never
exceeds the rental units the levels allow. The class optimum, split over its lots
(split_units), is the money level's first incumbent. Money is solved last with relative gap
MONEY_REL_GAP = 1e-9 (1000 times inside the contract's 1e-6).
"cost": ``money + sum unmet_cost*(quantity - served)`` in one level on the lots, written with
its constant so that the relative gap refers to the contract's total.
All reported money figures are recomputed in floating point from the integer allocation,
never read back from the solver.

On the generated province problem (bench/matcher_gen.py, seed 1) the money level of every
component without delivery fees is closed by an integral LP solution, and so are most
class levels; SCIP runs on small class models and where delivery fees (fixed charges) open
a gap, on boxes of a few hundred to a few thousand variables.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy import sparse

from .capacity import Capacity, capacity_rows
from .decompose import Component, Pair, busy_interval, split_units
from .problem import Problem
from .rules import lot_unit_parts, offer_capacity

MONEY_REL_GAP = 1e-9
# Levels 2 and 3 are solved as one when the combined integer objective stays this small:
# far below 2**53 and small enough that the solvers' relative epsilon (1e-9) is < 0.5 unit.
COMBINE_LIMIT = 2**24
LP_ENGINE = "glop"
MIP_ENGINE = "scip"
# The boxes SCIP gets are small and their LP is tight (the tightening has done that work): its
# presolve (probing above all) and root cutting rounds cost more than they save there. On the
# province problem they took SCIP's share from 7.6 s to 1.6 s, with the same optimum proven.
# Restarts (after global fixings at the root) re-solve the root LP from scratch: on the "cost"
# province's largest box (14k variables) they took a third of SCIP's time. Each box MIP also
# starts from the incumbent when it lies in the box (a hint), so SCIP prunes from the first node.
SCIP_PARAMS = "separating/maxroundsroot = 0\npresolving/maxrounds = 0\npresolving/maxrestarts = 0\n"
# GLOP's dual simplex: our LPs (box bounds, <= rows, a cost to minimise) start dual feasible, and it
# reached the same optimum 2-3 times faster than the primal simplex on the province's largest LPs.
GLOP_PARAMS = "use_dual_simplex: true"
INT_TOL = 1e-6  # an LP value this close to an integer is that integer


@dataclass(slots=True)
class ComponentResult:
    alloc: list[tuple[Pair, int]]  # pairs given a positive number of units (lots by representative)
    proven: bool
    solves: int


class _Timeout(Exception):
    """The deadline passed: the component keeps the best allocation found so far, unproven."""


class _Stats:
    __slots__ = ("proven", "solves")

    def __init__(self) -> None:
        self.proven = True
        self.solves = 0


class LinearModel:
    """The rows of a list of pairs: demand per request, capacity per lot/class/offer clique."""

    def __init__(self, problem: Problem, requests: list[int], pairs: list[Pair],
                 capacity: dict[tuple[str, int], Capacity], stats: _Stats) -> None:
        self.problem = problem
        self.pairs = pairs
        self.stats = stats
        n = self.n = len(pairs)
        reqs = problem.requests
        ub = np.array([p.ub for p in pairs], dtype=np.float64)
        # per pair: its request's position in ``requests``, and whether it is a rental offer's
        pos = {r: i for i, r in enumerate(requests)}
        self.req_pos = req_pos = np.array([pos[p.req] for p in pairs], dtype=np.int64)
        self.tier = np.array([p.tier for p in pairs], dtype="<U9")
        self.unit_cost = np.array([p.part_a + p.part_b for p in pairs], dtype=np.float64)
        self.fee = np.array([p.fee for p in pairs], dtype=np.float64)
        is_offer = self.tier == "rental"
        r_start = np.array([reqs[r].start for r in requests], dtype=np.int64)
        r_busy = np.array([busy_interval(problem, r)[1] for r in requests], dtype=np.int64)
        r_end = np.array([r_busy[i] if reqs[r].end is None else reqs[r].end for i, r in enumerate(requests)],
                         dtype=np.int64)
        # rules 4 and 5: one row per point of each lot, class or limited offer (capacity.capacity_rows)
        groups: dict[tuple[str, int], int] = {}
        sel, gid = [], []
        for i, p in enumerate(pairs):
            key = (p.kind, p.src)
            if key in capacity:  # not an offer of unlimited capacity
                sel.append(i)
                gid.append(groups.setdefault(key, len(groups)))
        caps = [capacity[key] for key in groups]
        cols = np.array(sel, dtype=np.int64)
        rp = req_pos[cols]
        least, cap_ptr, cap_members, cap_rhs = capacity_rows(
            np.array(gid, dtype=np.int64), r_start[rp], np.where(is_offer[cols], r_end[rp], r_busy[rp]),  # rental days,
            caps, ub[cols])  # busy days
        ub[cols] = np.minimum(ub[cols], least)
        # demand: sum of a request's pairs <= its quantity (rows in the order of ``requests``)
        qty = np.array([reqs[r].quantity for r in requests], dtype=np.int64)
        count = np.bincount(req_pos, minlength=len(requests))
        room = np.bincount(req_pos, weights=ub, minlength=len(requests))
        row_kept = (count > 1) & (room > qty)
        by_req = np.argsort(req_pos, kind="stable")
        indices = by_req[row_kept[req_pos[by_req]]]
        indptr = np.zeros(int(row_kept.sum()) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum(count[row_kept])
        rhs = qty[row_kept].astype(np.float64)
        indptr = np.concatenate([indptr, indptr[-1] + cap_ptr[1:]])
        indices = np.concatenate([indices, cols[cap_members]])
        self.A = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(indptr) - 1, n))
        self.b = np.concatenate([rhs, cap_rhs.astype(np.float64)])
        self.lb = np.zeros(n)
        self.ub = ub
        self.fee_idx = np.nonzero(self.fee > 0)[0]
        self.requests = requests

    def vector(self, f) -> np.ndarray:  # noqa: ANN001 - a function of a pair
        return np.array([f(p) for p in self.pairs], dtype=np.float64)

    def per_request(self, values: list[float]) -> np.ndarray:
        """Per pair, its request's entry of ``values`` (given in the order of ``requests``)."""
        return np.asarray(values, dtype=np.float64)[self.req_pos]

    def keep_level(self, c: np.ndarray, value: float) -> None:
        """Add the row c.x <= value (over x) for the later levels."""
        nz = np.nonzero(c)[0]
        row = sparse.csr_matrix((c[nz], nz, [0, len(nz)]), shape=(1, self.n))
        self.A = sparse.vstack([self.A, row], format="csr")
        self.b = np.append(self.b, value)

    def _matrix(self, with_z: bool) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
        """(A, b, lb, ub) over x, plus the z columns and their link rows when ``with_z``."""
        if not with_z or not len(self.fee_idx):
            return self.A, self.b, self.lb, self.ub
        n, nz = self.n, len(self.fee_idx)
        link = sparse.csr_matrix(
            (np.concatenate([np.ones(nz), -self.ub[self.fee_idx]]),
             (np.tile(np.arange(nz), 2), np.concatenate([self.fee_idx, n + np.arange(nz)]))),
            shape=(nz, n + nz))
        a = sparse.vstack([sparse.hstack([self.A, sparse.csr_matrix((self.A.shape[0], nz))]), link], format="csr")
        return (a, np.concatenate([self.b, np.zeros(nz)]), np.concatenate([self.lb, np.zeros(nz)]),
                np.concatenate([self.ub, np.ones(nz)]))

    def with_z(self, x: np.ndarray) -> np.ndarray:
        """x extended by z = 1 exactly where a pair with a fee is used."""
        return np.concatenate([x, (x[self.fee_idx] > 0).astype(np.float64)])

    def _run(self, engine: str, a: sparse.csr_matrix, b: np.ndarray, lb: np.ndarray, ub: np.ndarray,
             c: np.ndarray, offset: float, integer: bool, gap: float,
             deadline: float | None, hint: np.ndarray | None = None,
             ) -> tuple[bool, np.ndarray, np.ndarray | None] | None:
        """min c.x + offset s.t. a x <= b, lb <= x <= ub: (proven optimal, x, row duals of an LP),
        or None when the solver proved there is no solution. ``hint``: a feasible x for a MIP to
        start from."""
        model = mbh.ModelBuilderHelper()
        model.fill_model_from_sparse_data(lb, ub, c, np.full(len(b), -np.inf), b, a)
        model.set_objective_offset(offset)
        if integer:
            for j in range(len(c)):
                model.set_var_integrality(j, True)
            if hint is not None:
                for j, v in enumerate(hint.tolist()):
                    model.add_hint(j, v)
        solver = mbh.ModelSolverHelper(engine)
        if engine == "scip":
            solver.set_solver_specific_parameters(f"limits/gap = {gap!r}\n{SCIP_PARAMS}")
        elif engine == "glop":
            solver.set_solver_specific_parameters(GLOP_PARAMS)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Timeout
            solver.set_time_limit_in_seconds(left)
        solver.solve(model)
        self.stats.solves += 1
        status = solver.status()
        if status not in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.FEASIBLE) or not solver.has_solution():
            if deadline is not None and time.monotonic() >= deadline:
                raise _Timeout
            if status != mbh.SolveStatus.INFEASIBLE:
                self.stats.proven = False  # the solver gave up without a proof either way
            return None
        optimal = status == mbh.SolveStatus.OPTIMAL
        duals = np.asarray(solver.dual_values()) if not integer and optimal else None
        return optimal, np.asarray(solver.variable_values()), duals

    def minimise(self, c: np.ndarray, integral: bool, offset: float, incumbent: np.ndarray,
                 deadline: float | None) -> np.ndarray:
        """The least c.x + offset (exactly; see the module doc), from a feasible ``incumbent``.

        ``c`` covers x, or x and z (the money level). Returns the optimal integer vector and
        keeps the bounds that every solution at that value lies within.
        """
        with_z = len(c) > self.n
        a, b, lb, ub = self._matrix(with_z)
        gap = 0.0 if integral else MONEY_REL_GAP
        best, best_val = incumbent, float(c @ incumbent)
        lp = self._run(LP_ENGINE, a, b, lb, ub, c, offset, False, 0.0, deadline)
        if lp is None or not lp[0] or lp[2] is None:  # no usable LP bound: the whole MIP
            found, xm = self._mip_in_box(a, b, lb, ub, c, offset, gap, deadline)
            self.stats.proven &= found
            return xm if xm is not None and c @ xm < best_val else best
        x_lp, y = lp[1], lp[2]
        lam = np.maximum(0.0, -y)
        d = c + a.T @ lam
        bound = -float(lam @ b) + float(np.minimum(d * lb, d * ub).sum())
        bound -= 1e-11 * max(1.0, abs(bound))  # float rounding of the sums above
        xr = np.round(x_lp[: self.n])
        if np.all(np.abs(x_lp[: self.n] - xr) <= INT_TOL):
            xr = self.with_z(xr) if with_z else xr
            if self._feasible(a, b, lb, ub, xr) and c @ xr < best_val:
                best, best_val = xr, float(c @ xr)
        tol = 0.5 if integral else MONEY_REL_GAP * max(1.0, abs(best_val + offset))
        least = math.ceil(bound - INT_TOL) if integral else bound  # no solution is below this
        target = least if integral else bound + max(1.0, 1e-4 * abs(bound + offset))
        if best_val > least + tol:
            lo, hi = self._tightened(d, bound, target, lb, ub)
            found, xm = self._mip_in_box(a, b, lo, hi, c, offset, gap, deadline, best)
            if xm is not None and c @ xm < best_val:
                best, best_val = xm, float(c @ xm)
            if not (found and best_val <= target + tol):
                # nothing that good: the optimum lies above the target and best_val bounds it;
                # the box of best_val holds every solution at least as good
                lo, hi = self._tightened(d, bound, best_val, lb, ub)
                found, xm = self._mip_in_box(a, b, lo, hi, c, offset, gap, deadline, best)
                self.stats.proven &= found
                if xm is not None and c @ xm < best_val:
                    best, best_val = xm, float(c @ xm)
        lo, hi = self._tightened(d, bound, best_val, lb, ub)
        self.lb, self.ub = lo[: self.n], hi[: self.n]
        return best

    @staticmethod
    def _tightened(d: np.ndarray, bound: float, target: float, lb: np.ndarray,
                   ub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The box every solution with c.x <= target lies in (reduced-cost tightening)."""
        slack = max(0.0, target - bound)
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = np.floor(slack / np.abs(d) + 1e-9)
        reach[np.abs(d) < 1e-12] = np.inf
        return np.where(d < 0, np.maximum(lb, ub - reach), lb), np.where(d > 0, np.minimum(ub, lb + reach), ub)

    def _mip_in_box(self, a: sparse.csr_matrix, b: np.ndarray, lb: np.ndarray, ub: np.ndarray,
                    c: np.ndarray, offset: float, gap: float, deadline: float | None,
                    incumbent: np.ndarray | None = None) -> tuple[bool, np.ndarray | None]:
        """The MIP over the variables the box leaves free, the others fixed at their bound.

        Returns (proven, x): proven when the solver proved x optimal in the box, or proved the
        box holds no solution (x None).
        """
        free = lb < ub
        fixed_x = np.where(free, 0.0, lb)
        cols = np.nonzero(free)[0]
        sub = a[:, cols]
        b_sub = b - a @ fixed_x
        keep = np.diff(sub.indptr) > 0
        if np.any(b_sub[~keep] < -INT_TOL):
            return True, None  # the fixed part alone breaks a row: nothing in this box
        if not len(cols):
            return True, fixed_x
        hint = None
        if incumbent is not None and np.all(incumbent >= lb) and np.all(incumbent <= ub):
            hint = incumbent[cols]  # in the box: the MIP starts from it
        res = self._run(MIP_ENGINE, sub[keep], b_sub[keep], lb[cols], ub[cols], c[cols],
                        offset + float(c @ fixed_x), True, gap, deadline, hint)
        if res is None:
            return True, None
        x = fixed_x.copy()
        x[cols] = np.round(res[1])
        return res[0], x

    @staticmethod
    def _feasible(a: sparse.csr_matrix, b: np.ndarray, lb: np.ndarray, ub: np.ndarray, x: np.ndarray) -> bool:
        return bool(np.all(x >= lb) and np.all(x <= ub) and np.all(a @ x <= b + 1e-9))


def _offer_capacity(problem: Problem, comp: Component) -> dict[tuple[str, int], Capacity]:
    caps = {("offer", o): offer_capacity(problem.rentals[o]) for o in {p.src for p in comp.pairs if p.kind == "offer"}}
    return {key: cap for key, cap in caps.items() if cap is not None}


def _lot_capacity(problem: Problem, comp: Component) -> dict[tuple[str, int], Capacity]:
    """Every lot's and limited offer's capacity in the component (lots: decompose.Component.lot_capacity)."""
    cap = {("lot", k): comp.lot_capacity(k) for k in comp.lot_qty}
    cap.update(_offer_capacity(problem, comp))
    return cap


def _positive(pairs: list[Pair], x: np.ndarray) -> list[tuple[Pair, int]]:
    return [(p, int(v)) for p, v in zip(pairs, np.round(x[: len(pairs)]), strict=True) if v > 0]


def solve_component(problem: Problem, comp: Component, deadline: float | None) -> ComponentResult:
    if not comp.pairs:
        return ComponentResult([], True, 0)
    stats = _Stats()
    if problem.policy == "tiered":
        alloc = _solve_tiered(problem, comp, deadline, stats)
    else:
        alloc = _solve_cost(problem, comp, deadline, stats)
    return ComponentResult(alloc, stats.proven, stats.solves)


def _solve_cost(problem: Problem, comp: Component, deadline: float | None, stats: _Stats) -> list[tuple[Pair, int]]:
    """money + sum unmet_cost * (quantity - served), the constant kept so that the objective is the
    contract's non-negative total (the relative gap refers to it)."""
    reqs = problem.requests
    model = LinearModel(problem, comp.requests, comp.pairs, _lot_capacity(problem, comp), stats)
    c = model.unit_cost - model.per_request([reqs[r].unmet_cost for r in comp.requests])
    const = sum(reqs[r].unmet_cost * reqs[r].quantity for r in comp.requests)
    x = np.zeros(model.n)
    fees = model.fee[model.fee_idx]
    try:
        x = model.minimise(np.concatenate([c, fees]), False, const, model.with_z(x), deadline)
    except _Timeout:
        stats.proven = False
    return _positive(comp.pairs, x)


def _solve_tiered(problem: Problem, comp: Component, deadline: float | None,
                  stats: _Stats) -> list[tuple[Pair, int]]:
    """The unit-counting levels on the lot classes, then money on the lots themselves."""
    reqs = problem.requests
    offers = [p for p in comp.pairs if p.kind == "offer"]
    cpairs = [Pair("class", ci, r, cl.tier, min(cl.quantity, reqs[r].quantity), 0.0, 0.0, 0.0)
              for ci, cl in enumerate(comp.classes) for r in cl.requests] + offers
    caps = {("class", ci): cl.capacity for ci, cl in enumerate(comp.classes)}
    caps.update(_offer_capacity(problem, comp))
    agg = LinearModel(problem, comp.requests, cpairs, caps, stats)
    b3 = sum(reqs[r].quantity for r in {p.req for p in cpairs if p.tier == "idle"})
    b2 = sum(reqs[r].quantity for r in {p.req for p in cpairs if p.tier == "rental"})
    priority = [-reqs[r].priority for r in comp.requests]
    # the levels as functions of a model (its pairs' vectors)
    level_fns: list[Callable[[LinearModel], np.ndarray]] = [lambda m: m.per_request(priority)]
    if (b2 + 1) * (b3 + 1) <= COMBINE_LIMIT:  # rental_units * (B3 + 1) + idle_units is lexicographic
        level_fns.append(lambda m: ((b3 + 1) * (m.tier == "rental") + (m.tier == "idle")).astype(np.float64))
        max_rental = lambda v: v // (b3 + 1)  # noqa: E731
    else:
        level_fns += [lambda m: (m.tier == "rental").astype(np.float64),
                      lambda m: (m.tier == "idle").astype(np.float64)]
        max_rental = None
    xa = np.zeros(agg.n)
    values: list[float] = []
    try:
        for f in level_fns:
            c = f(agg)
            if c.any():
                xa = agg.minimise(c, True, 0.0, xa, deadline)
            values.append(float(c @ xa))
            agg.keep_level(c, values[-1])
    except _Timeout:
        stats.proven = False
        return _disaggregate(problem, comp, cpairs, xa)[0]

    # money on the lots: the class pairs the levels closed stay closed, offers keep their bounds
    closed = {(p.src, p.req) for p, u in zip(cpairs, agg.ub, strict=True) if p.kind == "class" and u < 0.5}
    rental_cap = None
    if max_rental is not None:
        rental_cap = max_rental(round(values[1]))
    elif len(values) > 1:
        rental_cap = round(values[1])
    offer_ub = {(p.src, p.req): u for p, u in zip(cpairs, agg.ub, strict=True) if p.kind == "offer"}
    class_of = {k: ci for ci, cl in enumerate(comp.classes) for k in cl.lots}
    start, extra = _disaggregate(problem, comp, cpairs, xa)
    pairs: list[Pair] = []
    for p in comp.pairs + extra:
        if p.kind == "lot":
            if (class_of[p.src], p.req) in closed:
                continue
            pairs.append(p)
        else:
            ub = min(p.ub, int(offer_ub[(p.src, p.req)]), p.ub if rental_cap is None else rental_cap)
            if ub > 0:
                pairs.append(Pair(p.kind, p.src, p.req, p.tier, ub, p.part_a, p.part_b, p.fee))
    model = LinearModel(problem, comp.requests, pairs, _lot_capacity(problem, comp), stats)
    for f, v in zip(level_fns, values, strict=True):
        model.keep_level(f(model), v)
    pos = {(p.kind, p.src, p.req): i for i, p in enumerate(pairs)}
    x = np.zeros(model.n)
    for p, q in start:
        x[pos[(p.kind, p.src, p.req)]] = q
    money = model.unit_cost
    fees = model.fee[model.fee_idx]
    try:
        x = model.minimise(np.concatenate([money, fees]), False, 0.0, model.with_z(x), deadline)
    except _Timeout:
        stats.proven = False
    return _positive(pairs, x)


def _disaggregate(problem: Problem, comp: Component, cpairs: list[Pair],
                  xa: np.ndarray) -> tuple[list[tuple[Pair, int]], list[Pair]]:
    """A class allocation as lot pairs (split_units), and the lot pairs it needs that pruning left out."""
    uses: dict[int, list[tuple[int, int]]] = defaultdict(list)
    out: list[tuple[Pair, int]] = []
    for p, v in zip(cpairs, np.round(xa), strict=True):
        if v > 0:
            if p.kind == "class":
                uses[p.src].append((p.req, int(v)))
            else:
                out.append((p, int(v)))
    known = {(p.src, p.req): p for p in comp.pairs if p.kind == "lot"}
    extra: list[Pair] = []
    for ci, u in uses.items():
        cl = comp.classes[ci]
        if len(cl.lots) == 1:  # a class of one lot (its bookings, if any, were the class's)
            split = [(cl.lots[0], r, q) for r, q in u]
        else:
            split = split_units(problem, [(k, comp.lot_qty[k]) for k in cl.lots], u)
        for k, r, q in split:
            p = known.get((k, r))
            if p is None:
                req = problem.requests[r]
                hand, trans = lot_unit_parts(problem, problem.stock[k], req)
                p = Pair("lot", k, r, cl.tier, min(comp.lot_qty[k], req.quantity), hand, trans, 0.0)
                known[(k, r)] = p
                extra.append(p)
            out.append((p, q))
    return out, extra
