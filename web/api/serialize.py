"""Rows as JSON: the table's fields (money as strings of 元, dates ISO) plus the Chinese labels."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel

LABELS = ("status_label", "kind_label", "number", "tier", "role_label", "method_label")


def to_json(row: SQLModel, **extra: Any) -> dict[str, Any]:
    data = row.model_dump(mode="json", exclude={"password_hash", "token_hash"})
    for name in LABELS:
        if hasattr(type(row), name):
            data[name] = getattr(row, name)
    return data | extra
