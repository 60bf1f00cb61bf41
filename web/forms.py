"""Reading form fields and query parameters into typed values, or a clear Chinese error naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from market.errors import InvalidInput

MAX_INT = 2**31 - 1


def small_id(raw: object) -> int | None:
    """A positive id from a path or query string: ASCII digits only, within a 32-bit integer; else None."""
    value = str(raw or "").strip()
    if not value or len(value) > 10 or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_INT else None


def text(data: Mapping[str, Any], name: str, label: str, required: bool = True, max_len: int = 500) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        raise InvalidInput(f"请填写{label}。", name)
    if len(value) > max_len:
        raise InvalidInput(f"{label}不能超过 {max_len} 个字。", name)
    return value


def integer(data: Mapping[str, Any], name: str, label: str, minimum: int | None = None,
            maximum: int | None = None, required: bool = True) -> int | None:
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise InvalidInput(f"请填写{label}。", name)
        return None
    if isinstance(raw, bool):
        raise InvalidInput(f"{label}须为整数。", name)
    text_value = str(raw).strip()
    if not isinstance(raw, int) and (len(text_value) > 12 or not text_value.lstrip("-").isascii()):
        raise InvalidInput(f"{label}须为整数。", name)
    try:
        value = int(text_value) if not isinstance(raw, int) else raw
    except ValueError:
        raise InvalidInput(f"{label}须为整数。", name) from None
    if not -MAX_INT <= value <= MAX_INT:
        raise InvalidInput(f"{label}超出范围。", name)
    if minimum is not None and value < minimum:
        raise InvalidInput(f"{label}不能小于 {minimum}。", name)
    if maximum is not None and value > maximum:
        raise InvalidInput(f"{label}不能大于 {maximum}。", name)
    return value


def day(data: Mapping[str, Any], name: str, label: str, required: bool = True) -> date | None:
    raw = str(data.get(name) or "").strip()
    if not raw:
        if required:
            raise InvalidInput(f"请填写{label}。", name)
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{label}“{raw[:20]}”不是有效日期（格式：2026-12-03）。", name) from None


def ids(values: list[Any], name: str, label: str) -> list[int]:
    out = []
    for v in values:
        number = small_id(v)
        if number is None:
            raise InvalidInput(f"{label}编号无效。", name)
        out.append(number)
    return out
