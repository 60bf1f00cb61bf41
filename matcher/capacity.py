"""Day-wise capacity of a stock lot or a rental offer (docs/matching.md, rules 4 and 5) and its rows.

A lot of quantity Q (an offer of capacity Q) whose bookings hold ``B(d)`` units on day d has
``free(d) = max(0, Q - B(d))`` units for this problem's requests that day: rule 4 (and rule 5 on the
days of the requests an offer serves) says the load ``L(d)`` of this problem's requests satisfies
``L(d) + B(d) <= Q`` on every day it is positive, which is ``L(d) <= free(d)`` on every day. Bookings
may overlap and add up to more than Q: ``free(d)`` is then 0.

Both ``L`` and ``free`` are step functions. ``L`` rises only on the first day of a request's interval
and ``free`` falls only on the first day of a booking, so on the days from one such day to the day
before the next, ``L`` never exceeds its value on the first of them and ``free`` never drops below
its value there. Bounding the load at those days (the *points*: request starts and booking starts)
is therefore the same as bounding it on every day; :func:`capacity_rows` writes one row per point
and drops a point whose row another point's row implies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INF_DAY = 10**9  # larger than any date ordinal: "forever"
_SHIFT = 32  # point key = group << _SHIFT | day (days and INF_DAY < 2**31)


@dataclass(frozen=True, slots=True)
class Capacity:
    """``base`` units (a lot's quantity, an offer's capacity) less the units ``booked`` holds each day.

    ``booked``: ``(start, end, units)`` with inclusive day ordinals, ``end`` INF_DAY for good.
    """

    base: int
    booked: tuple[tuple[int, int, int], ...] = ()

    def booked_on(self, day: int) -> int:
        return sum(q for s, e, q in self.booked if s <= day <= e)

    def least_free(self, start: int, end: int) -> int:
        """The fewest units free on any day of ``start … end``: the booked load peaks on ``start`` or on
        the first day of a booking."""
        if not self.booked:
            return self.base
        days = [start] + [s for s, _, _ in self.booked if start < s <= end]
        return max(0, self.base - max(self.booked_on(d) for d in days))


def booking_tuples(booked: tuple) -> tuple[tuple[int, int, int], ...]:  # noqa: ANN001 - problem.Booking
    """A lot's or offer's ``booked`` (problem.Booking) as Capacity's ``(start, end, units)``."""
    return tuple((b.start, INF_DAY if b.end is None else b.end, b.quantity) for b in booked)


class FreeGrid:
    """The free units of many lots on many intervals at once (numpy): each lot's ``free(d)`` on the
    cells between consecutive booking boundaries."""

    def __init__(self, caps: list[Capacity]) -> None:
        edges = {-INF_DAY}
        for c in caps:
            for s, e, _ in c.booked:
                edges.add(s)
                if e < INF_DAY:
                    edges.add(e + 1)
        self.edges = np.array(sorted(edges), dtype=np.int64)
        load = np.zeros((len(caps), len(self.edges) + 1), dtype=np.int64)
        for i, c in enumerate(caps):
            for s, e, q in c.booked:
                load[i, np.searchsorted(self.edges, s)] += q
                if e < INF_DAY:
                    load[i, np.searchsorted(self.edges, e + 1)] -= q
        base = np.array([c.base for c in caps], dtype=np.int64)
        self.free = np.maximum(0, base[:, None] - np.cumsum(load, axis=1)[:, :-1])

    def range(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """(least, most) free units of every lot over the days ``start … end``."""
        a = int(np.searchsorted(self.edges, start, side="right")) - 1
        b = int(np.searchsorted(self.edges, end, side="right"))
        cells = self.free[:, a:b]
        return cells.min(axis=1), cells.max(axis=1)


def capacity_rows(group: np.ndarray, start: np.ndarray, end: np.ndarray, caps: list[Capacity],
                  ub: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The capacity rows of pairs drawing on shared sources.

    Pair i draws on source ``caps[group[i]]`` on the days ``start[i] … end[i]`` and takes at most
    ``ub[i]`` units. Returns ``(least, indptr, members, rhs)``: ``least[i]`` the fewest units the
    source has free on any day of pair i (a bound on pair i by itself), and the rows in CSR form,
    row j being ``sum of x[i] for i in members[indptr[j]:indptr[j+1]] <= rhs[j]``. Rows that the
    pair bounds ``min(ub, least)`` already imply (one member, or members summing to at most the
    right-hand side) are left out.

    A point is a (source, day) on which a pair starts or a booking starts. The row of a point is
    implied by the next point's of the same source when no pair ends between them (its members are
    among the next's) and the next has no more free units; and by the previous point's when no pair
    starts on it and the previous has fewer free units (strictly, so that two equal rows do not
    drop each other; and two neighbours can never drop each other).
    """
    m = len(group)
    if m == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(1, dtype=np.int64), empty, empty
    group = group.astype(np.int64)
    key_s = (group << _SHIFT) | start
    key_e = (group << _SHIFT) | end
    b_key, b_end, b_qty = [], [], []
    for gid in np.unique(group).tolist():
        for s, e, q in caps[gid].booked:
            b_key.append((gid << _SHIFT) | s)
            b_end.append((gid << _SHIFT) | e)
            b_qty.append(q)
    bk = np.array(b_key, dtype=np.int64)
    points = np.unique(np.concatenate([key_s, bk]))
    n_pt = len(points)
    load = np.zeros(n_pt + 1, dtype=np.int64)
    if len(bk):
        np.add.at(load, np.searchsorted(points, bk), b_qty)
        np.add.at(load, np.searchsorted(points, np.array(b_end, dtype=np.int64), side="right"), np.negative(b_qty))
    base = np.array([c.base for c in caps], dtype=np.int64)
    pt_group = points >> _SHIFT
    free = np.maximum(0, base[pt_group] - np.cumsum(load)[:-1])

    lo = np.searchsorted(points, key_s)
    hi = np.searchsorted(points, key_e, side="right") - 1
    bounds = np.empty(2 * m, dtype=np.int64)
    bounds[0::2], bounds[1::2] = lo, hi + 1
    least = np.minimum.reduceat(np.append(free, 0), bounds)[0::2]
    ub = np.minimum(ub, least)

    cover = np.zeros(n_pt + 1, dtype=np.int64)
    np.add.at(cover, lo, 1)
    np.add.at(cover, hi + 1, -1)
    covered = np.cumsum(cover)[:-1] > 0
    has_end = np.zeros(n_pt, dtype=bool)
    has_end[hi] = True
    has_start = np.zeros(n_pt, dtype=bool)
    has_start[lo] = True
    same_next = pt_group[:-1] == pt_group[1:]
    drop = ~covered
    drop[:-1] |= ~has_end[:-1] & same_next & (free[1:] <= free[:-1])
    drop[1:] |= ~has_start[1:] & same_next & (free[:-1] < free[1:])
    kept = np.nonzero(~drop)[0]

    first = np.searchsorted(kept, lo)
    count = np.searchsorted(kept, hi, side="right") - first
    total = int(count.sum())
    member = np.repeat(np.arange(m), count)
    row = np.repeat(first, count) + (np.arange(total) - np.repeat(np.cumsum(count) - count, count))
    rhs = free[kept]
    size = np.bincount(row, minlength=len(kept))
    room = np.bincount(row, weights=ub[member].astype(np.float64), minlength=len(kept))
    useful = (size > 1) & (room > rhs)
    new_id = np.cumsum(useful) - 1
    sel = useful[row]
    row, member = new_id[row[sel]], member[sel]
    order = np.argsort(row, kind="stable")
    indptr = np.zeros(int(useful.sum()) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(row, minlength=len(indptr) - 1))
    return least, indptr, member[order], rhs[useful]
