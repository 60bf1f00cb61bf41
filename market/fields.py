"""Values every concept reads the same way: amounts of money. (Lengths and vocabularies live on the models.)"""

from __future__ import annotations

from decimal import Decimal

from market.errors import InvalidInput
from market.models import money

MAX_AMOUNT = Decimal("100000000")  # 1 亿元: far above any price here, well inside the columns


def amount(value: Decimal | float | str | None, field: str, label: str) -> Decimal:
    """An amount of 元 from a number or from text as people type it ("1,200.50", "¥300"), 0 to 1 亿元, or a clear
    error naming the field. The one reading of money from outside, on every path."""
    if isinstance(value, str):
        value = value.strip().replace(",", "").replace("，", "").lstrip("¥￥")
    try:
        d = money(value if value not in (None, "") else "x")
    except ArithmeticError:
        raise InvalidInput(f"{label}不是有效金额。", field) from None
    if d < 0 or d > MAX_AMOUNT:
        raise InvalidInput(f"{label}须在 0 至 1 亿元之间。", field)
    return d
