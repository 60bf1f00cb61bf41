"""Depreciation (折旧) under 《政府会计准则第3号——固定资产》: straight-line, by month, over the category's
depreciation life (``market.standards.depreciation_life_years``), no residual value (不考虑预计净残值).

- No depreciation in the month of acquisition: the first month depreciated is the month after it (当月增加的
  固定资产当月不提折旧，从下月起计提).
- A month's charge counts from the first day of that month: on 2026-03-01 an asset bought in January has two
  months (February and March) behind it.
- The monthly charge is original ÷ (life × 12), rounded to the 分 (half up); the last month of the life takes
  whatever remains, so that accumulated depreciation reaches the original value exactly; none after that (never a
  net value below 0). Where the rounding up would reach the original value early, depreciation stops there.
- An asset without an acquisition date, or of a category without a depreciation life, is not depreciated
  (``Depreciation.known`` is False; its net value is its original value).

Everything is worked in whole 分 (integers), so the figures are exact.

``net_value(asset, on, life_years)`` is the rule; ``for_asset(db, asset, on)`` looks the life up;
``net_values(db, rows, on)`` does many at once with one read of the standards (statistics, exports).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from market.models import utcnow
from market.standards import Standard, standard_for, standards_by_category

FEN = Decimal("0.01")
SHANGHAI = timezone(timedelta(hours=8))


def beijing_today() -> date:
    """Today in Beijing (the demo's frozen clock included): the day depreciation and service life are read on."""
    return utcnow().astimezone(SHANGHAI).date()


def life_ends(acquired: date, years: int) -> date:
    """The day a life of ``years`` is reached: the same day ``years`` later (29 February → 28 February)."""
    try:
        return acquired.replace(year=acquired.year + years)
    except ValueError:
        return acquired.replace(year=acquired.year + years, day=28)


@dataclass(frozen=True)
class Depreciation:
    original: Decimal  # 原值, 元
    accumulated: Decimal  # 累计折旧, 元
    net: Decimal  # 净值, 元
    months: int  # months depreciated so far
    life_months: int | None  # None: no depreciation life (or no acquisition date)
    age_months: int | None  # whole calendar months since the month of acquisition (None: no date)

    @property
    def known(self) -> bool:
        return self.life_months is not None

    @property
    def fully_depreciated(self) -> bool:
        return self.known and self.accumulated == self.original

    @property
    def age_text(self) -> str:
        """已使用 n 年 m 月, as the asset page says it."""
        if self.age_months is None:
            return "取得日期不详"
        y, m = divmod(self.age_months, 12)
        return f"{y} 年 {m} 个月" if y else f"{m} 个月"


def months_between(acquired: date, on: date) -> int:
    """Calendar months from the month of ``acquired`` to the month of ``on`` (0 in the same month; negative
    before it)."""
    return (on.year - acquired.year) * 12 + on.month - acquired.month


def accumulated_fen(original_fen: int, life_months: int, months: int) -> int:
    """Accumulated depreciation in 分 after ``months`` months depreciated: the closed form of the monthly sum."""
    if original_fen <= 0 or months <= 0:
        return 0
    if months >= life_months:
        return original_fen
    monthly = (2 * original_fen + life_months) // (2 * life_months)  # original / life, half up, in 分
    return min(monthly * months, original_fen)


def net_value(original: Decimal, acquired: date | None, life_years: int | None, on: date) -> Depreciation:
    """The depreciation of one asset of ``original`` 元 acquired on ``acquired``, on the day ``on``."""
    original = Decimal(original).quantize(FEN)
    age = None if acquired is None else max(0, months_between(acquired, on))
    if acquired is None or not life_years:
        return Depreciation(original, Decimal(0).quantize(FEN), original, 0, None, age)
    life = life_years * 12
    months = min(age, life)
    fen = int(original * 100)
    acc = Decimal(accumulated_fen(fen, life, months)) / 100
    acc = acc.quantize(FEN)
    return Depreciation(original, acc, original - acc, months, life, age)


def for_asset(db: Session, asset: Any, on: date) -> Depreciation:
    """An asset's depreciation on ``on``, by its category's depreciation life."""
    return life_of(db, asset, on).depreciation


@dataclass(frozen=True)
class Life:
    """An asset's value and age against its category's lives, as its page shows them."""

    depreciation: Depreciation
    min_life_years: int | None  # 最低使用年限 (None: the standard sets none)
    min_life_ends: date | None  # the day it is reached (None: no minimum life or no acquisition date)
    on: date

    @property
    def below_min_life(self) -> bool:
        return self.min_life_ends is not None and self.on < self.min_life_ends


def life_of(db: Session, asset: Any, on: date | None = None) -> Life:
    on = on or beijing_today()
    s = standard_for(db, asset.category_id)
    d = net_value(asset.original_value, asset.purchase_date, s.depreciation_years, on)
    ends = life_ends(asset.purchase_date, s.min_life_years) if s.min_life_years and asset.purchase_date else None
    return Life(d, s.min_life_years, ends, on)


def net_values(db: Session, rows: Iterable[Any], on: date) -> list[Depreciation]:
    """Many assets at once (anything with ``original_value``, ``purchase_date`` and ``category_id``, such as
    rows of ``select(Asset.original_value, Asset.purchase_date, Asset.category_id)``), reading the standards
    once."""
    table: dict[int, Standard] = standards_by_category(db)
    return [net_value(r.original_value, r.purchase_date,
                      table[r.category_id].depreciation_years if r.category_id in table else None, on) for r in rows]


def total_net(db: Session, rows: Iterable[Any], on: date) -> Decimal:
    return sum((d.net for d in net_values(db, rows, on)), Decimal(0)).quantize(FEN)
