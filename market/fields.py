"""How every value from outside is read: text against its column's declared length, amounts of money and other
numbers against their ranges, and the characters no text may hold. Lengths live on the models (``max_length``);
this module reads them there, so that the validators, the API's schema and both databases agree on what fits.

The API's body schemas are built with ``string`` and ``MONEY_SCHEMA`` (``web.api.registry``), the JSON body is
checked against them before a handler runs (``web.params.check_body``), and page forms read through
``web.params.text`` / ``money`` / ``number``: all of them end here."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from market.errors import InvalidInput
from market.models import Event, money
from market.models.base import MONEY

MAX_AMOUNT = Decimal("100000000")  # 1 亿元: far above any price here, well inside the columns
# the largest amount the money columns can hold (Numeric(14, 2)): MAX_AMOUNT must stay inside it
COLUMN_MAX_AMOUNT = Decimal(10) ** (MONEY.precision - MONEY.scale) - Decimal("0.01")
assert MAX_AMOUNT <= COLUMN_MAX_AMOUNT

# Free text that is kept only in the event log (a withdraw or cancel reason, a settlement note): its own limit,
# the summary it ends up in is cut to the summary's column (``cut``).
REASON_LIMIT = 200

LATITUDE = (-90.0, 90.0)
LONGITUDE = (-180.0, 180.0)

# Characters that reorder how text is shown (U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates,
# the left-to-right / right-to-left / Arabic letter marks): "\u202egnp.exe" is shown as "exe.png". No text
# field of this product needs them; they are refused wherever text comes in.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
BIDI_MESSAGE = "不能含有改变文字显示方向的控制字符（如 U+202E），这类字符会使显示的内容与实际不同，请删除后重试。"


def limit(column: Any) -> int:
    """The declared length of a text column (``Model.field``), or a plain number given for text without one."""
    if isinstance(column, int):
        return column
    length = getattr(column.property.columns[0].type, "length", None)
    if not length:
        raise TypeError(f"{column} declares no length")
    return length


def string(column: Any, label: str) -> dict[str, Any]:
    """The JSON Schema of a text field of the API: the column's length as ``maxLength``, the label as ``title``."""
    return {"type": "string", "maxLength": limit(column), "title": label}


# An amount of 元 in an API body: a string as people type it ("1,200.50") or a number; numbers checked by the
# schema's range, strings by ``amount`` (the same range).
MONEY_SCHEMA: dict[str, Any] = {"type": ["string", "number"], "format": "decimal", "minimum": 0,
                                "maximum": int(MAX_AMOUNT), "title": "金额（元）"}


def bidi_char(value: str) -> str | None:
    """The first bidirectional-control character in ``value``, or None."""
    if value.isascii():
        return None
    return next((c for c in value if c in BIDI_CONTROLS), None)


def too_long(label: str, n: int, got: int) -> str:
    return f"{label}不能超过 {n} 个字（现为 {got} 个）。"


def text(value: Any, column: Any, field: str, label: str, required: bool = False) -> str:
    """Text from outside, stripped, within its column's declared length, free of bidirectional controls; or a
    clear error naming the field and the limit. Too long is refused, never cut: what is stored is what was sent
    (and a unique name is checked as it is stored)."""
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise InvalidInput(f"请填写{label}。", field)
    n = limit(column)
    if len(value) > n:
        raise InvalidInput(too_long(label, n, len(value)), field)
    if bidi_char(value):
        raise InvalidInput(f"{label}{BIDI_MESSAGE}", field)
    return value


def cut(value: str, column: Any) -> str:
    """Text the product writes itself (an event's summary, a notice) cut to its column, an ellipsis at the cut."""
    n = limit(column)
    return value if len(value) <= n else value[: n - 1] + "…"


def summary(value: str) -> str:
    return cut(value, Event.summary)


def amount(value: Decimal | float | str | None, field: str, label: str) -> Decimal:
    """An amount of 元 from a number or from text as people type it ("1,200.50", "¥300"), 0 to 1 亿元, or a clear
    error naming the field. The one reading of money from outside, on every path; NaN and infinities refused."""
    if isinstance(value, str):
        value = value.strip().replace(",", "").replace("，", "").lstrip("¥￥")
        if len(value) > 40:
            raise InvalidInput(f"{label}不是有效金额。", field)
    if isinstance(value, bool):
        raise InvalidInput(f"{label}不是有效金额。", field)
    try:
        d = money(value if value not in (None, "") else "x")
    except (ArithmeticError, ValueError):
        raise InvalidInput(f"{label}不是有效金额。", field) from None
    if not d.is_finite():
        raise InvalidInput(f"{label}不是有效金额。", field)
    if d < 0 or d > MAX_AMOUNT:
        raise InvalidInput(f"{label}须在 0 至 1 亿元之间。", field)
    return d


def number(value: Any, field: str, label: str, minimum: float, maximum: float) -> float:
    """A finite number within [minimum, maximum] from a form's text or a JSON number; NaN and infinities refused."""
    if isinstance(value, bool):
        raise InvalidInput(f"{label}须为数字。", field)
    try:
        x = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(f"{label}须为数字。", field) from None
    if not math.isfinite(x):
        raise InvalidInput(f"{label}须为有限的数字。", field)
    if not minimum <= x <= maximum:
        raise InvalidInput(f"{label}须在 {minimum:g} 至 {maximum:g} 之间。", field)
    return x
