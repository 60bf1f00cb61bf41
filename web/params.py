"""Reading form fields and query parameters into typed values, or a clear Chinese error naming the field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.requests import Request

from market import fields
from market.errors import InvalidInput, NotFound
from market.fields import amount

MAX_INT = 2**31 - 1


def small_id(raw: object) -> int | None:
    """A positive id from a path or query string: ASCII digits only, within a 32-bit integer; else None."""
    value = str(raw or "").strip()
    if not value or len(value) > 10 or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_INT else None


def text(data: Mapping[str, Any], name: str, label: str, column: Any, required: bool = True) -> str:
    """A form's text field within the length ``column`` declares (``Model.field``, or ``fields.REASON_LIMIT``
    for text kept only in the event log): ``market.fields.text``."""
    return fields.text(data.get(name), column, name, label, required)


def number(data: Mapping[str, Any], name: str, label: str, minimum: float, maximum: float) -> float:
    """A form's number field: finite, within [minimum, maximum] (``market.fields.number``)."""
    return fields.number(data.get(name) or "", name, label, minimum, maximum)


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


def bidi_at(value: Any, where: str = "") -> str | None:
    """The name of the first field of a JSON body or form whose text holds a bidirectional-control character
    (``market.fields.BIDI_CONTROLS``), or None. Passwords are never shown, and are left as typed."""
    if isinstance(value, str):
        return where or "body" if fields.bidi_char(value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            name = f"{where}.{k}" if where else str(k)
            if "password" in str(k):
                continue
            found = bidi_at(k, name) if isinstance(k, str) else None
            found = found or bidi_at(v, name)
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = bidi_at(v, f"{where}[{i}]")
            if found:
                return found
    return None


def check_body(value: Any, schema: dict[str, Any] | None, where: str = "") -> None:
    """A JSON body against the limits its endpoint declares (``web.api.registry``: text ``maxLength`` from the
    columns, number ``minimum`` / ``maximum``, array ``maxItems``), and no number anywhere NaN or infinite;
    InvalidInput naming the field and the limit. Types are checked where the handler reads the field."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"字段 {where or 'body'} 须为有限的数字。", where or None)
    if isinstance(value, dict):
        props = (schema or {}).get("properties") or {}
        extra = (schema or {}).get("additionalProperties")
        for k, v in value.items():
            check_body(v, props.get(k) or (extra if isinstance(extra, dict) else None),
                       f"{where}.{k}" if where else str(k))
        return
    if isinstance(value, list):
        items = (schema or {}).get("items")
        most = (schema or {}).get("maxItems")
        if most is not None and len(value) > most:
            raise InvalidInput(f"字段 {where} 最多 {most} 项（现为 {len(value)} 项）。", where)
        for i, v in enumerate(value):
            check_body(v, items, f"{where}[{i}]")
        return
    if not schema:
        return
    label = f"字段 {where}" + (f"（{schema['title']}）" if schema.get("title") else "")
    if schema.get("format") == "decimal" and value not in (None, ""):
        amount(value, where, label)  # an amount of 元: read as the handler will, NaN and beyond 1 亿 refused
        return
    # (the length as sent: a handler may store it unstripped)
    if isinstance(value, str) and schema.get("maxLength") is not None and len(value) > schema["maxLength"]:
        raise InvalidInput(fields.too_long(label, schema["maxLength"], len(value)), where)
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            raise InvalidInput(f"{label}须在 {low if low is not None else '-∞'} 至 "
                               f"{high if high is not None else '∞'} 之间。", where)


def has_nul(value: Any) -> bool:
    """True if a NUL character hides anywhere in a value (PostgreSQL refuses them in text)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def query_dict(request: Request) -> dict[str, str]:
    """The query string as a plain dict, a repeated name's last value winning: what ``request.query_params``
    gives, in two thirds of the time (the search API is the hot path; Starlette builds a multidict and
    unquotes through ``parse_qsl``). A query string that is not plain ASCII takes Starlette's way."""
    raw: bytes = request.scope["query_string"]
    if not raw.isascii():
        return dict(request.query_params.items())
    out: dict[str, str] = {}
    for part in raw.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            out[_unquote(name)] = _unquote(value)
    return out


def _unquote(part: bytes) -> str:
    if b"%" not in part and b"+" not in part:
        return part.decode("ascii")
    return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8", "replace")


def small_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT


def int_list(body: Any, name: str, max_items: int = 10000) -> list[int]:
    """A list of ids from a JSON body, every one a 32-bit integer."""
    from market.errors import InvalidInput

    value = field(body, name, list)
    if not value or len(value) > max_items or not all(small_int(i) for i in value):
        raise InvalidInput(f"{name} 须为 1 至 {max_items} 个整数编号的列表。", name)
    return value


def field(body: Any, name: str, kind: type, required: bool = True, default: Any = None) -> Any:
    """One field of a JSON object body, checked for type, with a structured error naming it."""
    from market.errors import InvalidInput

    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 JSON 对象。")
    if name not in body or body[name] is None:
        if required:
            raise InvalidInput(f"缺少字段 {name}。", name)
        return default
    value = body[name]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidInput(f"字段 {name} 须为整数。", name)
    if isinstance(value, int) and not isinstance(value, bool) and not small_int(value):
        raise InvalidInput(f"字段 {name} 超出范围。", name)
    if kind is not int and not isinstance(value, kind):
        raise InvalidInput(f"字段 {name} 类型不对。", name)
    return value


def path_id(request: Request) -> int:
    number = small_id(request.path_params["id"])
    if number is None:
        raise NotFound("编号不存在。", "id")
    return number


def opt_date(body: Any, name: str) -> date | None:
    raw = field(body, name, str, required=False)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"字段 {name} 须为日期（YYYY-MM-DD）。", name) from None


def money(data: Mapping[str, Any], name: str, label: str, required: bool = False) -> Decimal | None:
    """An amount of 元 from a form field (``market.fields.amount``); empty is None unless ``required``."""
    raw = data.get(name)
    if raw is None or not str(raw).strip():
        if required:
            raise InvalidInput(f"请填写{label}。", name)
        return None
    return amount(str(raw), name, label)
