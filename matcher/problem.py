"""Parsing and validation of the problem JSON (docs/matching.md, format version 1).

Every malformed input raises :class:`ProblemError`, which names the record and the
field; its message (in Simplified Chinese, shown to users) is one line.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

TIERS = ("warehouse", "idle")
POLICIES = ("tiered", "cost")
SERVES = ("any", "loan", "transfer")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Documented input limits (keep every quantity inside int64 arithmetic of the solver).
MAX_INT = 10**9
MAX_MONEY = 1e12


class ProblemError(ValueError):
    """A malformed problem. ``record`` and ``field`` name where; ``str(err)`` is the user message."""

    def __init__(self, record: str, field: str | None, detail: str) -> None:
        self.record = record
        self.field = field
        self.detail = detail
        if field is None:
            message = f"错误：{record}{detail}"
        else:
            message = f"错误：{record}的字段 {field} {detail}"
        super().__init__(one_line(message))

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True, slots=True)
class Request:
    index: int
    id: str
    unit: str | None
    category: str
    quantity: int
    start: int  # day ordinal (date.toordinal)
    end: int | None  # inclusive; None = permanent transfer
    lat: float
    lon: float
    priority: int
    unmet_cost: float

    @property
    def permanent(self) -> bool:
        return self.end is None

    @property
    def days(self) -> int:
        """Rental days, end - start + 1 (only meaningful for loans)."""
        assert self.end is not None
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True)
class Booking:
    """Units of a lot or offer committed elsewhere on the days ``start … end`` (inclusive)."""

    start: int  # day ordinal
    end: int | None  # inclusive; None = for good (stock lots only)
    quantity: int


@dataclass(frozen=True, slots=True)
class Lot:
    index: int
    id: str
    tier: str
    holder: str | None
    category: str
    quantity: int
    lat: float
    lon: float
    available_from: int | None
    available_until: int | None
    handling_cost: float
    booked: tuple[Booking, ...] = ()
    serves: str = "any"  # "any" | "loan" | "transfer"


@dataclass(frozen=True, slots=True)
class Offer:
    index: int
    id: str
    vendor: str | None
    category: str
    capacity: int | None  # None = unlimited
    price_per_unit_day: float
    delivery_fee: float
    lat: float
    lon: float
    booked: tuple[Booking, ...] = ()


@dataclass(slots=True)
class Problem:
    policy: str
    turnaround_days: int
    rates: dict[str, float]
    requests: list[Request]
    stock: list[Lot]
    rentals: list[Offer]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def rate(self, category: str) -> float:
        if category in self.rates:
            return self.rates[category]
        return self.rates["*"]

    def busy_end(self, r: Request) -> int | None:
        """Last busy day of a stock unit given to ``r`` (None = forever)."""
        if r.end is None:
            return None
        return r.end + self.turnaround_days


# ---------------------------------------------------------------- JSON reading


def _reject_constant(name: str) -> Any:
    raise ValueError(f"非法的数值 {name}")


def parse_json(text: str | bytes, what: str = "问题") -> Any:
    """Parse JSON text, rejecting NaN/Infinity; raises ProblemError on any failure."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise ProblemError(f"{what}文件", None, f"不是有效的 JSON：{_one_line(str(exc))}") from None


def _one_line(s: str) -> str:
    return " ".join(s.split())[:200]


def one_line(s: str) -> str:
    """A message safe to print as one line: control characters shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)


# ---------------------------------------------------------------- field checks


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    if _is_int(v):
        return abs(v) <= MAX_MONEY
    return isinstance(v, float) and math.isfinite(v)


def _show(v: Any) -> str:
    try:
        s = json.dumps(v, ensure_ascii=False)
    except (TypeError, ValueError):
        s = repr(v)
    return _one_line(s)[:80]


_MISSING = object()


class _Rec:
    """Helper reading one JSON object (a record) with error messages naming it."""

    def __init__(self, obj: Any, label: str) -> None:
        self.label = label
        if not isinstance(obj, dict):
            raise ProblemError(label, None, f" 应为 JSON 对象，实际为 {_show(obj)}")
        self.obj = obj

    def relabel(self, label: str) -> None:
        self.label = label

    def err(self, fld: str, detail: str) -> ProblemError:
        return ProblemError(self.label, fld, detail)

    def get(self, fld: str, default: Any = _MISSING) -> Any:
        if fld not in self.obj:
            if default is _MISSING:
                raise self.err(fld, "缺失")
            return default
        return self.obj[fld]

    def string(self, fld: str, optional: bool = False) -> str | None:
        v = self.get(fld, None if optional else _MISSING)
        if v is None and optional:
            return None
        if not isinstance(v, str) or (not optional and v == ""):
            raise self.err(fld, f"应为非空字符串，实际为 {_show(v)}")
        return v

    def integer(self, fld: str, minimum: int, default: Any = _MISSING, nullable: bool = False) -> int | None:
        v = self.get(fld, default)
        if v is None and nullable:
            return None
        if not _is_int(v):
            raise self.err(fld, f"应为整数，实际为 {_show(v)}")
        if v < minimum:
            raise self.err(fld, f"应为不小于 {minimum} 的整数，实际为 {v}")
        if v > MAX_INT:
            raise self.err(fld, f"超出允许范围（不大于 {MAX_INT}），实际为 {v}")
        return v

    def number(self, fld: str, default: Any = _MISSING) -> float:
        v = self.get(fld, default)
        if not _is_num(v):
            raise self.err(fld, f"应为数值，实际为 {_show(v)}")
        if v < 0:
            raise self.err(fld, f"不能为负数，实际为 {v}")
        if v > MAX_MONEY:
            raise self.err(fld, f"超出允许范围（不大于 {MAX_MONEY:g}），实际为 {v}")
        return float(v)

    def day(self, fld: str, nullable: bool, default: Any = _MISSING) -> int | None:
        v = self.get(fld, default)
        if v is None:
            if nullable:
                return None
            raise self.err(fld, "不能为 null，应为 ISO 日期（YYYY-MM-DD）")
        if not isinstance(v, str) or not _DATE_RE.match(v):
            raise self.err(fld, f"不是有效的 ISO 日期（YYYY-MM-DD）：{_show(v)}")
        try:
            return date.fromisoformat(v).toordinal()
        except ValueError:
            raise self.err(fld, f"不是有效的日期：{_show(v)}") from None

    def location(self) -> tuple[float, float]:
        v = self.get("location")
        if not isinstance(v, list) or len(v) != 2 or not all(_is_num(c) for c in v):
            raise self.err("location", f"应为 [纬度, 经度] 两个数值，实际为 {_show(v)}")
        lat, lon = float(v[0]), float(v[1])
        if not -90.0 <= lat <= 90.0:
            raise self.err("location", f"的纬度 {lat} 超出 ±90 范围")
        if not -180.0 <= lon <= 180.0:
            raise self.err("location", f"的经度 {lon} 超出 ±180 范围")
        return lat, lon


def _bookings(rec: _Rec, open_end: bool) -> tuple[Booking, ...]:
    """The ``booked`` list of a lot (``open_end``: an entry may end null, taken for good) or an offer."""
    v = rec.get("booked", None)
    if v is None:
        return ()
    if not isinstance(v, list):
        raise rec.err("booked", f"应为数组，实际为 {_show(v)}")
    out = []
    for j, entry in enumerate(v):
        where = f"booked[{j}]"
        if not isinstance(entry, dict):
            raise rec.err(where, f"应为 {{\"start\", \"end\", \"quantity\"}} 对象，实际为 {_show(entry)}")
        b = _Rec(entry, rec.label)
        for fld in ("start", "end", "quantity"):
            if fld not in entry:
                raise rec.err(f"{where}.{fld}", "缺失（start、end、quantity 三个字段都必须给出）")
        try:
            start = b.day("start", nullable=False)
            end = b.day("end", nullable=True)
            qty = b.integer("quantity", 1)
        except ProblemError as exc:
            raise rec.err(f"{where}.{exc.field}", exc.detail) from None
        assert start is not None and qty is not None
        if end is None and not open_end:
            raise rec.err(f"{where}.end", "不能为 null（只有库存的预订可以长期占用，租赁的预订必须给出结束日期）")
        if end is not None and end < start:
            raise rec.err(f"{where}.end", "早于 start")
        out.append(Booking(start, end, qty))
    return tuple(out)


def _label(section: str, i: int, obj: Any) -> str:
    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
        return f"{section}[{i}]（id={obj['id']}）"
    return f"{section}[{i}]"


def _list(top: _Rec, fld: str) -> list[Any]:
    v = top.get(fld, [])
    if not isinstance(v, list):
        raise top.err(fld, f"应为数组，实际为 {_show(v)}")
    return v


def validate(problem: Any) -> Problem:
    """Validate a problem (a parsed JSON value) and return the typed :class:`Problem`.

    Raises :class:`ProblemError` naming the first malformed record and field.
    """
    top = _Rec(problem, "问题")
    top.relabel("问题顶层")
    version = top.get("version")
    if not _is_int(version) or version != 1:
        raise top.err("version", f"应为 1，实际为 {_show(version)}")
    policy = top.get("policy", "tiered")
    if policy not in POLICIES:
        raise top.err("policy", f"应为 \"tiered\" 或 \"cost\"，实际为 {_show(policy)}")
    turnaround = top.integer("turnaround_days", 0, default=1)
    assert turnaround is not None

    transport = _Rec(top.get("transport"), "transport")
    per = transport.get("per_unit_km")
    if not isinstance(per, dict):
        raise ProblemError("transport", "per_unit_km", f"应为对象（类别代码 → 费率），实际为 {_show(per)}")
    rates: dict[str, float] = {}
    for cat, rate in per.items():
        if not _is_num(rate) or rate < 0 or rate > MAX_MONEY:
            raise ProblemError("transport.per_unit_km", cat, f"应为不小于 0 的数值，实际为 {_show(rate)}")
        rates[cat] = float(rate)

    raw_requests = _list(top, "requests")
    raw_stock = _list(top, "stock")
    raw_rentals = _list(top, "rentals")

    seen: dict[str, str] = {}

    def ident(rec: _Rec) -> str:
        rid = rec.string("id")
        assert rid is not None
        if rid in seen:
            raise rec.err("id", f"与 {seen[rid]} 重复（id 在 requests、stock、rentals 中必须唯一）")
        seen[rid] = rec.label
        return rid

    def category(rec: _Rec) -> str:
        cat = rec.string("category")
        assert cat is not None
        if cat not in rates and "*" not in rates:
            raise rec.err("category", f"“{cat}”在 transport.per_unit_km 中既没有费率也没有 \"*\"")
        return cat

    requests: list[Request] = []
    for i, obj in enumerate(raw_requests):
        rec = _Rec(obj, _label("requests", i, obj))
        rid = ident(rec)
        cat = category(rec)
        qty = rec.integer("quantity", 1)
        start = rec.day("start", nullable=False)
        end = rec.day("end", nullable=True)
        assert qty is not None and start is not None
        if end is not None and end < start:
            raise rec.err("end", "早于 start")
        lat, lon = rec.location()
        prio = rec.integer("priority", 1, default=1)
        assert prio is not None
        requests.append(
            Request(
                index=i, id=rid, unit=rec.string("unit", optional=True), category=cat, quantity=qty,
                start=start, end=end, lat=lat, lon=lon, priority=prio,
                unmet_cost=rec.number("unmet_cost", default=0.0),
            )
        )

    stock: list[Lot] = []
    for i, obj in enumerate(raw_stock):
        rec = _Rec(obj, _label("stock", i, obj))
        sid = ident(rec)
        tier = rec.get("tier")
        if tier not in TIERS:
            raise rec.err("tier", f"应为 \"warehouse\" 或 \"idle\"，实际为 {_show(tier)}")
        cat = category(rec)
        qty = rec.integer("quantity", 0)
        assert qty is not None
        lat, lon = rec.location()
        serves = rec.get("serves", "any")
        if serves not in SERVES:
            raise rec.err("serves", f"应为 \"any\"、\"loan\" 或 \"transfer\"，实际为 {_show(serves)}")
        stock.append(
            Lot(
                index=i, id=sid, tier=tier, holder=rec.string("holder", optional=True), category=cat,
                quantity=qty, lat=lat, lon=lon,
                available_from=rec.day("available_from", nullable=True, default=None),
                available_until=rec.day("available_until", nullable=True, default=None),
                handling_cost=rec.number("handling_cost", default=0.0),
                booked=_bookings(rec, open_end=True), serves=serves,
            )
        )

    rentals: list[Offer] = []
    for i, obj in enumerate(raw_rentals):
        rec = _Rec(obj, _label("rentals", i, obj))
        oid = ident(rec)
        cat = category(rec)
        cap = rec.integer("capacity", 1, default=None, nullable=True)
        price = rec.number("price_per_unit_day")
        fee = rec.number("delivery_fee")
        lat, lon = rec.location()
        rentals.append(
            Offer(
                index=i, id=oid, vendor=rec.string("vendor", optional=True), category=cat, capacity=cap,
                price_per_unit_day=price, delivery_fee=fee, lat=lat, lon=lon,
                booked=_bookings(rec, open_end=False),
            )
        )

    return Problem(
        policy=policy, turnaround_days=turnaround, rates=rates, requests=requests, stock=stock,
        rentals=rentals, raw=problem,
    )
