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
* Bookings do not join components. A booking is a constant: rules 4 and 5 bound, day by
  day, the load of this problem's requests by what the bookings leave free that day
  (capacity.py), and the requests busy on one day all lie in one component. So each
  component sees a lot or offer with its bookings, day by day, and nothing else; a booking
  that reaches into several components (one for good reaches into all later ones) bounds
  each of them on its own days. A pair whose source has no unit free on some day of the
  request is not a candidate at all, and a pair's bound is the fewest units free on any of
  those days.
* Pruning (exchange argument). For a request r let ``O(r)`` be the requests of its
  component whose busy interval meets r's (r included) and ``Q(r)`` their total quantity.
  For a lot k that may serve r (rules 1, 3) let ``f(k, r)`` be the fewest units k has free
  (its quantity less its bookings) on any busy day of r. Sort those lots by the policy's
  preference for r: under "tiered" by (warehouse before idle, unit cost), under "cost" by
  unit cost. Keep the shortest prefix whose ``f(k, r)`` add up to ``Q(r)``; drop the other
  lots for r. Suppose an optimal allocation uses a dropped lot k for r. On r's busy days
  only requests of ``O(r)`` use units, so the prefix lots' peak usage over r's busy days sums
  to at most ``Q(r) - 1`` (at least one unit of r comes from k), which is less than the sum of
  their ``f(k', r)``: some prefix lot k' has its peak below ``f(k', r)``, so a unit of it is free
  on every busy day of r, bookings counted. Moving one unit of r from k to k' keeps the
  allocation feasible, leaves unmet and rental units unchanged, and does not worsen
  (idle_units, money) lexicographically (k' comes first in the order), nor money under
  "cost". Repeating (a finite process: each move lowers the number of units on dropped pairs
  by one) yields an optimal allocation that uses only kept pairs.
* Under "cost", a pair whose every use costs more than leaving its units unmet is dropped
  too: a lot whose unit cost exceeds ``unmet_cost[r]``, an offer whose unit cost plus its
  delivery fee spread over its upper bound does (for any use x <= ub, fee / x >= fee / ub).
  Moving such units to unmet keeps the allocation feasible and lowers the total strictly,
  so no optimal allocation uses the pair. The prefix above is then taken among the other
  lots (the exchange argument holds unchanged among them).
* Identical lots (merge_key) are merged into one lot before all this and split back
  afterwards (split_merged); warehouse shelves holding many equal lots would otherwise
  make the MIP highly symmetric. A lot with bookings is never merged: its free units
  depend on the day, and a day-wise load within the sum of such lots' free units need not
  split back among them.
* A booked lot whose free units are one number c on every busy day of every request of a
  component it may serve is, in that component, a lot of quantity c without bookings: its
  rows bound only those days. Any other booked lot keeps its quantity and bookings there
  (``Component.lot_booked``).
* Classes for the unit-counting levels. weighted_unmet, rental_units and idle_units do not
  depend on what a unit costs, only on its tier and on which requests it may serve. Inside
  a component, lots of one tier whose windows admit exactly the same requests of the
  component (before pruning) are therefore interchangeable for those levels, and are
  merged into one class of their summed quantity: a class's per-day load within its
  quantity splits back among its lots by the same greedy interval partitioning as
  split_merged (every request the class serves is open to every lot of it). This needs
  each lot's free units to be the same on all the days that matter, so a lot of
  ``Component.lot_booked`` is a class by itself, with its bookings. A city or province
  component of thousands of lots has a few dozen classes (a few hundred with bookings).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .capacity import INF_DAY, Capacity, FreeGrid
from .geo import haversine_km_array
from .problem import Lot, Problem
from .rules import lot_capacity, offer_capacity, offer_unit_parts

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
    # A lot whose bookings leave it a different number of free units on different busy days of the
    # requests it may serve: lot -> its bookings (capacity.Capacity's), over the quantity in lot_qty.
    # Any other lot's lot_qty is the number of units it has free on all those days.
    lot_booked: dict[int, tuple[tuple[int, int, int], ...]] = field(default_factory=dict)
    # Classes (see the module doc): per class its tier, the requests it may serve (all of them
    # eligible to every lot of the class, pruned or not) and its lots (representatives); "tiered" only.
    classes: list[LotClass] = field(default_factory=list)

    def lot_capacity(self, k: int) -> Capacity:
        return Capacity(self.lot_qty[k], self.lot_booked.get(k, ()))


@dataclass(slots=True)
class LotClass:
    tier: str
    requests: tuple[int, ...]
    lots: list[int]
    quantity: int
    booked: tuple[tuple[int, int, int], ...] = ()  # a lot by itself whose free units vary (see _classes)

    @property
    def capacity(self) -> Capacity:
        return Capacity(self.quantity, self.booked)


def merge_key(lot: Lot) -> tuple[object, ...]:
    """Lots with equal keys are interchangeable: same category, tier, place, window, cost.

    Merging them into one lot of the summed quantity is exact: a per-day load within the sum
    can always be split back among the lots (interval graphs are perfect: assigning each
    request's units, by increasing start, to units free on its start day never runs out,
    see split_merged), and every cost and tier is the same for all of them.
    """
    if lot.booked:  # bookings make a lot's free units a function of the day: never merged
        return ("booked", lot.index)
    return (lot.category, lot.tier, lot.lat, lot.lon, lot.available_from, lot.available_until,
            lot.handling_cost, lot.serves)


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
        stock = [problem.stock[k] for k in lots]
        arr_from = np.array([-INF_DAY if k.available_from is None else k.available_from for k in stock], np.int64)
        arr_until = np.array([INF_DAY if k.available_until is None else k.available_until for k in stock], np.int64)
        arr_qty = np.array([lot_qty[k] for k in lots], dtype=np.int64)
        arr_lat = np.array([k.lat for k in stock], dtype=np.float64)
        arr_lon = np.array([k.lon for k in stock], dtype=np.float64)
        arr_hand = np.array([k.handling_cost for k in stock], dtype=np.float64)
        arr_tier = np.array([TIER_RANK[k.tier] for k in stock], dtype=np.int64)
        arr_idx = np.array(lots, dtype=np.int64)
        arr_loans = np.array([k.serves != "transfer" for k in stock], dtype=bool)
        arr_transfers = np.array([k.serves != "loan" for k in stock], dtype=bool)
        booked = np.array([i for i, k in enumerate(stock) if k.booked], dtype=np.int64)  # positions in lots
        booked_caps = [lot_capacity(stock[i]) for i in booked.tolist()]
        grid = FreeGrid(booked_caps) if len(booked) else None
        offers = [(problem.rentals[o], offer_capacity(problem.rentals[o])) for o in by_cat_offer.get(cat, [])]
        rate = problem.rate(cat)
        for group in _components_of(problem, by_cat_req[cat]):
            comp = Component(category=cat, requests=group)
            comp.lot_qty = {k: lot_qty[k] for k in lots}
            comp.members = {k: members[k] for k in lots if len(members[k]) > 1}
            ivs = [busy_interval(problem, r) for r in group]
            qtys = [problem.requests[r].quantity for r in group]
            least = np.zeros((len(booked), len(group)), dtype=np.int64)  # booked lot x request: free units
            most = np.zeros((len(booked), len(group)), dtype=np.int64)
            lot_pairs = _lot_pairs(problem, group, ivs, qtys, prune, arr_from, arr_until, arr_loans, arr_transfers,
                                   arr_qty, arr_lat, arr_lon, arr_hand, arr_tier, arr_idx, grid, booked, least, most, rate)
            eligible, pruned, by_req = lot_pairs
            comp.pruned += pruned
            for gi, r in enumerate(group):
                req = problem.requests[r]
                ks, ts, ubs, hs, tiers = by_req[gi]
                for k, t, ub, h, tier in zip(ks, ts, ubs, hs, tiers, strict=True):
                    comp.pairs.append(Pair("lot", k, r, tier, ub, h, t, 0.0))
                if not req.permanent:
                    for offer, cap in offers:
                        ub = req.quantity if cap is None else min(req.quantity, cap.least_free(req.start, req.end))
                        if ub > 0:
                            rent, trans_o = offer_unit_parts(problem, offer, req)
                            if (prune and problem.policy == "cost"
                                    and rent + trans_o + offer.delivery_fee / ub > req.unmet_cost):
                                comp.pruned += 1  # every use costs more than leaving the units unmet
                                continue
                            comp.pairs.append(Pair("offer", offer.index, r, "rental", ub, rent, trans_o,
                                                   offer.delivery_fee))
            varying = _booked_capacity(comp, eligible, booked, booked_caps, arr_idx, least, most)
            if lots and problem.policy == "tiered":  # only the tiered policy's levels use classes
                comp.classes = _classes(eligible, arr_tier, arr_idx, arr_qty, group, varying, comp)
            comps.append(comp)
    return comps


def _lot_pairs(problem: Problem, group: list[int], ivs: list[tuple[int, int]], qtys: list[int], prune: bool,
               arr_from: np.ndarray, arr_until: np.ndarray, arr_loans: np.ndarray, arr_transfers: np.ndarray,
               arr_qty: np.ndarray, arr_lat: np.ndarray, arr_lon: np.ndarray, arr_hand: np.ndarray,
               arr_tier: np.ndarray, arr_idx: np.ndarray, grid: FreeGrid | None, booked: np.ndarray, least: np.ndarray,
               most: np.ndarray, rate: float) -> tuple[np.ndarray, int, list[tuple[list, ...]]]:
    """The (pruned) lot pairs of a component's requests, all lots x requests at once (numpy).

    Returns the eligibility matrix (lot x request of the group, rules 1, 3 and 4, before pruning), the
    number of pairs pruned, and per request of the group its kept pairs as lists (lot index, transport
    per unit, upper bound, handling per unit, tier), in the policy's order of preference when pruning
    dropped some, else by lot. Fills ``least`` and ``most`` (booked lot x request: fewest and most
    units free on the request's busy days).
    """
    reqs = [problem.requests[r] for r in group]
    g = len(group)
    s_arr = np.array([iv[0] for iv in ivs], dtype=np.int64)
    e_arr = np.array([iv[1] for iv in ivs], dtype=np.int64)
    q_arr = np.array(qtys, dtype=np.int64)
    perm = np.array([r.permanent for r in reqs], dtype=bool)
    free = np.repeat(arr_qty[:, None], g, axis=1)  # lot x request: units free on every busy day (rule 4)
    if grid is not None:
        for gi in range(g):
            least[:, gi], most[:, gi] = grid.range(int(s_arr[gi]), int(e_arr[gi]))
        free[booked] = least
    # rules 1 and 3 (the category is the caller's), and a unit free on every busy day (rule 4)
    eligible = ((arr_from[:, None] <= s_arr[None, :]) & (arr_until[:, None] >= e_arr[None, :])
                & np.where(perm[None, :], arr_transfers[:, None], arr_loans[:, None]) & (free > 0))
    gi_, li_ = np.nonzero(eligible.T)  # by request, then by lot
    rlat = np.array([r.lat for r in reqs], dtype=np.float64)
    rlon = np.array([r.lon for r in reqs], dtype=np.float64)
    trans = rate * haversine_km_array(rlat[gi_], rlon[gi_], arr_lat[li_], arr_lon[li_])
    cost = arr_hand[li_] + trans
    pruned = 0
    if prune and problem.policy == "cost":
        unmet = np.array([r.unmet_cost for r in reqs], dtype=np.float64)
        cheap = cost <= unmet[gi_]  # a dearer lot costs more than leaving the unit unmet
        pruned += int(len(cheap) - cheap.sum())
        gi_, li_, trans, cost = gi_[cheap], li_[cheap], trans[cheap], cost[cheap]
    if prune and len(gi_):
        # Q(r): the units asked for by the requests whose busy interval meets r's (see the module doc)
        meets = (s_arr[None, :] <= e_arr[:, None]) & (s_arr[:, None] <= e_arr[None, :])
        q_over = meets.astype(np.int64) @ q_arr
        fr = free[li_, gi_]
        total = np.zeros(g, dtype=np.int64)
        np.add.at(total, gi_, fr)
        applies = total > q_over  # the request's lots hold more than Q(r): keep the shortest prefix
        if problem.policy == "tiered":
            order = np.lexsort((li_, cost, arr_tier[li_], gi_))
        else:
            order = np.lexsort((li_, cost, gi_))
        gs, fs = gi_[order], fr[order]
        incl = np.cumsum(fs)
        first = np.searchsorted(gs, gs, side="left")
        before = incl - fs - (incl[first] - fs[first])  # units of the request's better lots
        keep_sorted = (before < q_over[gs]) | ~applies[gs]
        pruned += int(len(keep_sorted) - keep_sorted.sum())
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        keep = np.empty(len(order), dtype=bool)
        keep[order] = keep_sorted
        key = np.where(applies[gi_], rank, li_)  # preference order where pruned, else by lot
        final = np.lexsort((key, gi_))
        final = final[keep[final]]
        gi_, li_, trans = gi_[final], li_[final], trans[final]
    bounds = np.searchsorted(gi_, np.arange(g + 1), side="left").tolist()
    ub = np.minimum(free[li_, gi_], q_arr[gi_])
    names = {v: k for k, v in TIER_RANK.items()}
    tiers = [names[t] for t in arr_tier[li_].tolist()]
    cols = (arr_idx[li_].tolist(), trans.tolist(), ub.tolist(), arr_hand[li_].tolist(), tiers)
    by_req = [tuple(col[bounds[gi]:bounds[gi + 1]] for col in cols) for gi in range(g)]
    return eligible, pruned, by_req


def _booked_capacity(comp: Component, eligible: np.ndarray, booked: np.ndarray, caps: list[Capacity],
                     idx: np.ndarray, least: np.ndarray, most: np.ndarray) -> np.ndarray:
    """Settle the component's capacity of each booked lot; returns a mask (over the lots) of those whose
    free units vary over the busy days of the requests they may serve.

    A booked lot whose free units are the same number c on every busy day of every request of the
    component it may serve is, for this component, a lot of quantity c (its rows bound the load only
    on those days). Any other keeps its quantity and bookings (``comp.lot_booked``).
    """
    varying = np.zeros(len(idx), dtype=bool)
    for bi, pos in enumerate(booked.tolist()):
        el = eligible[pos]
        if not el.any():
            continue
        k = int(idx[pos])
        lo, hi = int(least[bi, el].min()), int(most[bi, el].max())
        if lo == hi:
            comp.lot_qty[k] = lo
        else:
            comp.lot_booked[k] = caps[bi].booked
            varying[pos] = True
    return varying


def _classes(eligible: np.ndarray, tier: np.ndarray, idx: np.ndarray, qty: np.ndarray, group: list[int],
             varying: np.ndarray, comp: Component) -> list[LotClass]:
    """Lots of one tier eligible to the same requests of the group, merged (see the module doc); a lot
    whose free units vary over the component is a class by itself."""
    used = eligible.any(axis=1)
    alone = used & varying
    used &= ~varying
    names = {v: k for k, v in TIER_RANK.items()}
    out = [LotClass(tier=names[int(tier[m])], requests=tuple(group[g] for g in np.nonzero(eligible[m])[0]),
                    lots=[int(idx[m])], quantity=int(qty[m]), booked=comp.lot_booked[int(idx[m])])
           for m in np.nonzero(alone)[0]]
    if not used.any():
        return out
    keys = np.concatenate([tier[:, None].astype(np.uint8), np.packbits(eligible, axis=1)], axis=1)[used]
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    rows = np.nonzero(used)[0]
    for c in range(len(uniq)):
        members = rows[inverse == c]
        first = members[0]
        lots = [int(idx[m]) for m in members]
        out.append(LotClass(tier=names[int(tier[first])],
                            requests=tuple(group[g] for g in np.nonzero(eligible[first])[0]),
                            lots=lots, quantity=sum(comp.lot_qty[k] for k in lots)))
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


def split_merged(problem: Problem, members: list[int], uses: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Split the units a merged lot gives to requests, ``[(request, units)]``, among its member
    lots (identical lots, see merge_key); returns ``[(lot, request, units)]``."""
    return split_units(problem, [(k, problem.stock[k].quantity) for k in members], uses)
