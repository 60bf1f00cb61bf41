"""Facet counts for the embedded index: every facet of a search from one gather, one bincount and one sort.

On a few hundred hits numpy's cost per call, not per element, is most of the work, so the six facets are
not counted one by one. Each slot's facet values are kept as a row of small integers (``rows``): a column per
single-valued field (the value's number) and a column per value of a multi-valued field (1 if the slot has
it). A ``_Plan`` places every column's values in one range of bins; a search takes its hits' rows, shifts them
into their bins and counts all bins in one ``bincount``. The bins that occur are put in the facets' order —
by field, most frequent first, then by value — by one ``argsort`` of a key made of the field, the count and
the value's rank by name. Python touches only the values that occur.

A multi-valued field with more than ``MAX_BIT_COLUMNS`` values is counted bit by bit instead, so that a
field with many values cannot make every row long.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np

from .fields import FACET_FIELDS

if TYPE_CHECKING:
    from .embedded import EmbeddedBackend

MAX_BIT_COLUMNS = 10  # values of a multi-valued field given a column each
# sort key, in an int64: field << 60 | (2**31 - 1 - count) << 29 | rank by name (counts of int32 slots; up to
# 2**29 values a field; six fields)
_COUNT_SHIFT, _FIELD_SHIFT = 29, 60
_first, _second = itemgetter(0), itemgetter(1)


class _Plan:
    """The columns of the rows, and the bins their values are counted in; made again when a field gains a
    value (``FacetCounter.changed``)."""

    def __init__(self, single: tuple[str, ...], values: dict[str, list[str]], bit_values: dict[str, list[str]]):
        self.columns: list[tuple[str, int | None]] = []  # (field, None) or (multi-valued field, bit)
        offsets: list[int] = []
        self.value: list[str] = []  # per bin: the value counted there ("" for none: never reported)
        self.field: list[str] = []  # per bin: its facet field
        key: list[int] = []
        self.wide: list[str] = []  # multi-valued fields counted bit by bit
        for order, f in enumerate(FACET_FIELDS.values()):
            if f in single:
                names = values[f]
                self.columns.append((f, None))
                offsets.append(len(self.value))
                self._add_bins(f, order, names, _ranks(names), key)
            elif len(bit_values[f]) > MAX_BIT_COLUMNS:
                self.wide.append(f)
            else:
                names = bit_values[f]
                ranks = _ranks(names)
                for b, name in enumerate(names):
                    self.columns.append((f, b))
                    offsets.append(len(self.value))
                    self._add_bins(f, order, ["", name], [0, ranks[b]], key)
        self.offsets = np.array(offsets, dtype=np.int64)
        self.size = len(self.value)
        self.key = np.array(key, dtype=np.int64)
        self.empty = np.array([i for i, v in enumerate(self.value) if not v], dtype=np.int64)

    def _add_bins(self, f: str, order: int, names: list[str], ranks: list[int], key: list[int]) -> None:
        self.value += names
        self.field += [f] * len(names)
        key += [(order << _FIELD_SHIFT) + ((2**31 - 1) << _COUNT_SHIFT) + r for r in ranks]


def _ranks(names: list[str]) -> list[int]:
    ranks = [0] * len(names)
    for r, i in enumerate(sorted(range(len(names)), key=names.__getitem__)):
        ranks[i] = r
    return ranks


class FacetCounter:
    """Counts the facets of one ``EmbeddedBackend``; its rows are derived from the backend's columns and
    extended as slots are added (a slot's values never change: an upsert takes a new slot, and compaction and
    loading start a new counter)."""

    def __init__(self, backend: EmbeddedBackend):
        self.backend = backend
        self.plan: _Plan | None = None
        self.rows = np.zeros((0, 0), dtype=np.int32)
        self.rows_n = 0  # slots in ``rows``
        self.columns: list[tuple[str, int | None]] = []  # the layout of ``rows``

    def changed(self) -> None:
        """A field gained a value: the bins move (and the columns, for a multi-valued field)."""
        self.plan = None

    def count(self, names: tuple[str, ...], idx: np.ndarray) -> dict[str, dict[str, int]]:
        """Value → count over the hits ``idx`` (ascending slots) for each facet in ``names``."""
        if not names:
            return {}
        if not len(idx):
            return {name: {} for name in names}
        plan = self.plan or self._new_plan()
        rows = self._rows(plan).take(idx, axis=0)
        counts = np.bincount((rows + plan.offsets).ravel(), minlength=plan.size)
        counts[plan.empty] = 0
        nz = counts.nonzero()[0]
        cz = counts.take(nz)
        order = (plan.key.take(nz) - (cz << _COUNT_SHIFT)).argsort()
        out: dict[str, dict[str, int]] = {f: {} for f in FACET_FIELDS.values()}
        value, field = plan.value, plan.field
        for g, c in zip(nz.take(order).tolist(), cz.take(order).tolist(), strict=True):
            out[field[g]][value[g]] = c
        wanted = [FACET_FIELDS[name] for name in names]
        for f in plan.wide:
            if f in wanted:
                out[f] = self._bit_by_bit(f, idx)
        return {name: out[f] for name, f in zip(names, wanted, strict=True)}

    def _bit_by_bit(self, f: str, idx: np.ndarray) -> dict[str, int]:
        sub = self.backend.bits[f].a.take(idx)
        items = [(v, int(np.count_nonzero(sub & (1 << b)))) for b, v in enumerate(self.backend.bit_values[f])]
        items = [item for item in items if item[1] and item[0]]  # "" is no value, as in the columns
        items.sort(key=_first)
        items.sort(key=_second, reverse=True)  # stable: equal counts stay in value order
        return dict(items)

    def _new_plan(self) -> _Plan:
        b = self.backend
        self.plan = _Plan(tuple(b.single), b.values, b.bit_values)
        return self.plan

    def _rows(self, plan: _Plan) -> np.ndarray:
        n = self.backend.n
        if plan.columns != self.columns:  # a multi-valued field gained a column: lay the rows out again
            self.columns, self.rows_n = plan.columns, 0
            self.rows = np.zeros((0, len(plan.columns)), dtype=np.int32)
        have = self.rows_n
        if have < n:
            if len(self.rows) < n:
                grown = np.zeros((max(n, 2 * len(self.rows), 1024), len(self.columns)), dtype=np.int32)
                grown[:have] = self.rows[:have]
                self.rows = grown
            b = self.backend
            for col, (f, bit) in enumerate(self.columns):
                if bit is None:
                    self.rows[have:n, col] = b.single[f].a[have:n]
                else:
                    self.rows[have:n, col] = (b.bits[f].a[have:n] >> bit) & 1
            self.rows_n = n
        return self.rows
