"""Splitting a problem into independent components and pruning dominated (lot, request) pairs.

Why this is exact
-----------------
* Categories are independent: a lot or an offer serves only its own category (rule 1),
  and every objective term is a sum over requests.
* Inside a category, two requests whose busy intervals ``[start, end + turnaround]`` (a
  permanent request: ``[start, +inf)``) do not overlap never compete for the same unit
  on the same day, neither for a stock lot (rule 4) nor for a rental offer, whose days
  ``[start, end]`` lie inside the busy interval (rule 5). So the connected components of
  the overlap graph of busy intervals are independent problems, and the lexicographic
  optimum of the whole is the union of the components' lexicographic optima (each level
  is a sum over components, and minimising every component level by level minimises
  every global level in turn).
* Pruning (exchange argument). For a request r let ``O(r)`` be the requests of its
  component whose busy interval meets r's (r included) and ``Q(r)`` their total quantity.
  Sort the lots that may serve r (rules 1, 3) by the policy's preference for r: under
  "tiered" by (warehouse before idle, unit cost), under "cost" by unit cost. Keep the
  shortest prefix whose total quantity reaches ``Q(r)``; drop the other lots for r.
  Suppose an optimal allocation uses a dropped lot k for r. On r's busy days only
  requests of ``O(r)`` use units, so the prefix lots' peak usage over r's busy days sums
  to at most ``Q(r) - 1`` (at least one unit of r comes from k), which is less than their
  total quantity: some prefix lot k' has a unit free on every busy day of r. Moving one
  unit of r from k to k' keeps the allocation feasible, leaves unmet and rental units
  unchanged, and does not worsen (idle_units, money) lexicographically (k' comes first in
  the order), nor money under "cost". Repeating (a finite process: each move lowers the
  number of units on dropped pairs by one) yields an optimal allocation that uses only
  kept pairs.
* Identical lots (merge_key) are merged into one lot before all this and split back
  afterwards (split_merged); warehouse shelves holding many equal lots would otherwise
  make the MIP highly symmetric.
* Classes for the unit-counting levels. weighted_unmet, rental_units and idle_units do not
  depend on what a unit costs, only on its tier and on which requests it may serve. Inside
  a component, lots of one tier whose windows admit exactly the same requests of the
  component (before pruning) are therefore interchangeable for those levels, and are
  merged into one class of their summed quantity: a class's per-day load within its
  quantity splits back among its lots by the same greedy interval partitioning as
  split_merged (every request the class serves is open to every lot of it). A city or
  province component of thousands of lots has a few dozen classes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .geo import haversine_km_array
from .problem import Lot, Problem
from .rules import lot_can_serve, lot_unit_parts, offer_can_serve, offer_unit_parts

INF_DAY = 10**9  # larger than any date ordinal: "forever"
TIER_RANK = {"warehouse": 0, "idle": 1, "rental": 2}


@dataclass(slots=True)
class Pair:
    """A possible supply of request ``req`` from lot or offer ``src`` (indices into the problem)."""

    kind: str  # "lot" | "offer"
    src: int
    req: int
    tier: str  # "warehouse" | "idle" | "rental"
    ub: int
    part_a: float  # handling (lot) or rental price x days (offer), per unit
    part_b: float  # transport per unit
    fee: float  # delivery fee once per (offer, request) used; 0 for lots

    @property
    def unit_cost(self) -> float:
        return self.part_a + self.part_b


@dataclass(slots=True)
class Component:
    category: str
    requests: list[int]
    pairs: list[Pair] = field(default_factory=list)
    pruned: int = 0  # eligible (lot, request) pairs dropped by dominance
    # Identical lots merged into one (see merge_key): representative lot -> member lots, and
    # the representative's total quantity. A lot pair's ``src`` is its representative.
    members: dict[int, list[int]] = field(default_factory=dict)
    lot_qty: dict[int, int] = field(default_factory=dict)
    # Classes (see the module doc): per class its tier, the requests it may serve (all of them
    # eligible to every lot of the class, pruned or not) and its lots (representatives).
    classes: list[LotClass] = field(default_factory=list)


@dataclass(slots=True)
class LotClass:
    tier: str
    requests: tuple[int, ...]
    lots: list[int]
    quantity: int


def merge_key(lot: Lot) -> tuple[object, ...]:
    """Lots with equal keys are interchangeable: same category, tier, place, window, cost.

    Merging them into one lot of the summed quantity is exact: a per-day load within the sum
    can always be split back among the lots (interval graphs are perfect: assigning each
    request's units, by increasing start, to units free on its start day never runs out,
    see split_merged), and every cost and tier is the same for all of them.
    """
    return (lot.category, lot.tier, lot.lat, lot.lon, lot.available_from, lot.available_until,
            lot.handling_cost)


def busy_interval(problem: Problem, r: int) -> tuple[int, int]:
    req = problem.requests[r]
    end = problem.busy_end(req)
    return req.start, INF_DAY if end is None else end


def _components_of(problem: Problem, reqs: list[int]) -> list[list[int]]:
    """Connected components of the overlap graph of busy intervals (a sweep by start)."""
    order = sorted(reqs, key=lambda r: busy_interval(problem, r))
    groups: list[list[int]] = []
    reach = -1
    for r in order:
        s, e = busy_interval(problem, r)
        if not groups or s > reach:
            groups.append([r])
            reach = e
        else:
            groups[-1].append(r)
            reach = max(reach, e)
    return groups


def build_components(problem: Problem, prune: bool = True, merge: bool = True) -> list[Component]:
    """Independent components with their (pruned) candidate pairs."""
    by_cat_req: dict[str, list[int]] = defaultdict(list)
    for req in problem.requests:
        by_cat_req[req.category].append(req.index)
    by_cat_lot: dict[str, list[int]] = defaultdict(list)
    members: dict[int, list[int]] = {}
    lot_qty: dict[int, int] = {}
    reps: dict[tuple[object, ...], int] = {}
    for lot in problem.stock:
        if lot.quantity > 0:
            key = merge_key(lot)
            rep = reps.setdefault(key, lot.index) if merge else lot.index
            if rep == lot.index:
                by_cat_lot[lot.category].append(lot.index)
                members[rep] = [rep]
                lot_qty[rep] = lot.quantity
            else:
                members[rep].append(lot.index)
                lot_qty[rep] += lot.quantity
    by_cat_offer: dict[str, list[int]] = defaultdict(list)
    for offer in problem.rentals:
        by_cat_offer[offer.category].append(offer.index)

    comps: list[Component] = []
    for cat in sorted(by_cat_req):
        lots = by_cat_lot.get(cat, [])
        offers = by_cat_offer.get(cat, [])
        if lots:
            arr_from = np.array(
                [problem.stock[k].available_from if problem.stock[k].available_from is not None else -INF_DAY
                 for k in lots], dtype=np.int64)
            arr_until = np.array(
                [problem.stock[k].available_until if problem.stock[k].available_until is not None else INF_DAY
                 for k in lots], dtype=np.int64)
            arr_qty = np.array([lot_qty[k] for k in lots], dtype=np.int64)
            arr_lat = np.array([problem.stock[k].lat for k in lots], dtype=np.float64)
            arr_lon = np.array([problem.stock[k].lon for k in lots], dtype=np.float64)
            arr_hand = np.array([problem.stock[k].handling_cost for k in lots], dtype=np.float64)
            arr_tier = np.array([TIER_RANK[problem.stock[k].tier] for k in lots], dtype=np.int64)
            arr_idx = np.array(lots, dtype=np.int64)
        rate = problem.rate(cat)
        for group in _components_of(problem, by_cat_req[cat]):
            comp = Component(category=cat, requests=group)
            comp.lot_qty = {k: lot_qty[k] for k in lots}
            comp.members = {k: members[k] for k in lots if len(members[k]) > 1}
            ivs = [busy_interval(problem, r) for r in group]
            qtys = [problem.requests[r].quantity for r in group]
            eligible = np.zeros((len(lots), len(group)), dtype=bool)  # lot x request of the group
            for gi, r in enumerate(group):
                req = problem.requests[r]
                s, e = ivs[gi]
                if lots:
                    mask = (arr_from <= s) & (arr_until >= e)
                    eligible[:, gi] = mask
                    cand = np.nonzero(mask)[0]
                    if prune and len(cand):
                        q_over = sum(q for (s2, e2), q in zip(ivs, qtys, strict=True) if s2 <= e and s <= e2)
                        if int(arr_qty[cand].sum()) > q_over:
                            cost = arr_hand[cand] + rate * haversine_km_array(
                                req.lat, req.lon, arr_lat[cand], arr_lon[cand])
                            if problem.policy == "tiered":
                                order = np.lexsort((cost, arr_tier[cand]))
                            else:
                                order = np.argsort(cost, kind="stable")
                            cum = np.cumsum(arr_qty[cand][order])
                            n_keep = int(np.searchsorted(cum, q_over, side="left")) + 1
                            comp.pruned += len(cand) - n_keep
                            cand = cand[order[:n_keep]]
                    for ci in cand:
                        lot = problem.stock[int(arr_idx[ci])]
                        assert lot_can_serve(problem, lot, req)
                        hand, trans = lot_unit_parts(problem, lot, req)
                        comp.pairs.append(
                            Pair("lot", lot.index, r, lot.tier, min(lot_qty[lot.index], req.quantity), hand, trans,
                                 0.0))
                if not req.permanent:
                    for o in offers:
                        offer = problem.rentals[o]
                        assert offer_can_serve(offer, req)
                        rent, trans = offer_unit_parts(problem, offer, req)
                        ub = req.quantity if offer.capacity is None else min(req.quantity, offer.capacity)
                        comp.pairs.append(Pair("offer", o, r, "rental", ub, rent, trans, offer.delivery_fee))
            if lots:
                comp.classes = _classes(eligible, arr_tier, arr_idx, arr_qty, group)
            comps.append(comp)
    return comps


def _classes(eligible: np.ndarray, tier: np.ndarray, idx: np.ndarray, qty: np.ndarray,
             group: list[int]) -> list[LotClass]:
    """Lots of one tier eligible to the same requests of the group, merged (see the module doc)."""
    used = eligible.any(axis=1)
    keys = np.concatenate([tier[:, None].astype(np.uint8), np.packbits(eligible, axis=1)], axis=1)[used]
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    rows = np.nonzero(used)[0]
    names = {v: k for k, v in TIER_RANK.items()}
    out = []
    for c in range(len(uniq)):
        members = rows[inverse == c]
        first = members[0]
        out.append(LotClass(tier=names[int(tier[first])],
                            requests=tuple(group[g] for g in np.nonzero(eligible[first])[0]),
                            lots=[int(idx[m]) for m in members], quantity=int(qty[members].sum())))
    return out


def split_units(problem: Problem, units: list[tuple[int, int]],
                uses: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Hand ``uses`` [(request, units)] to the units of lots ``units`` [(lot, quantity)], every
    lot open to every request; returns [(lot, request, units)].

    Greedy interval partitioning: requests by increasing start take units that are free on
    their start day (each unit is free again the day after its previous busy interval). When
    the load on every day is at most the summed quantity, at a request's start the busy units
    are those of earlier-starting requests still busy, and enough units are free. Units are
    taken lot by lot, so a request is split over as few lots as the greedy allows.
    """
    free_from: list[tuple[int, int]] = []  # per unit: (lot, first free day)
    for k, q in units:
        free_from.extend((k, -INF_DAY) for _ in range(q))
    out: dict[tuple[int, int], int] = defaultdict(int)
    for r, q in sorted(uses, key=lambda t: busy_interval(problem, t[0])):
        s, e = busy_interval(problem, r)
        need = q
        for u, (k, day) in enumerate(free_from):
            if need == 0:
                break
            if day <= s:
                free_from[u] = (k, e + 1)
                out[(k, r)] += 1
                need -= 1
        if need:  # cannot happen for an allocation within the summed quantity
            raise RuntimeError("merged lot over capacity")
    return [(k, r, q) for (k, r), q in out.items()]


def maximal_cliques(intervals: list[tuple[int, int, int]]) -> list[list[int]]:
    """Maximal sets of pairwise-overlapping closed intervals ``(start, end, key)``; returns keys.

    In an interval family the load peaks at some start point, and the active set at a
    start point t is contained in the active set at the next start point t' whenever no
    active interval ends before t'. So the active sets at the remaining start points are
    all the constraints a per-day capacity needs.
    """
    if not intervals:
        return []
    order = sorted(intervals)
    starts = sorted({s for s, _, _ in order})
    cliques: list[list[int]] = []
    active: list[tuple[int, int]] = []  # (end, key)
    i = 0
    for si, t in enumerate(starts):
        active = [(e, k) for e, k in active if e >= t]
        while i < len(order) and order[i][0] == t:
            active.append((order[i][1], order[i][2]))
            i += 1
        nxt = starts[si + 1] if si + 1 < len(starts) else None
        if nxt is None or min(e for e, _ in active) < nxt:
            cliques.append([k for _, k in active])
    return cliques


def split_merged(problem: Problem, members: list[int], uses: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Split the units a merged lot gives to requests, ``[(request, units)]``, among its member
    lots (identical lots, see merge_key); returns ``[(lot, request, units)]``."""
    return split_units(problem, [(k, problem.stock[k].quantity) for k in members], uses)
