"""Inventory counts (盘点): what should be there, what the scanner saw, and how each difference was settled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from market.models.base import UTCDateTime, utcnow

COUNT_ISSUES = {"missing": "盘亏（未找到）", "unexpected": "盘盈（不在账上）", "wrong_place": "位置不符",
                "wrong_condition": "状况不符"}
COUNT_STATUSES = {"open": "进行中", "closed": "已结束"}
RESOLUTIONS = {"found": "已找到", "lost": "确认丢失（报损核销）", "moved": "更正位置", "condition": "更正状况",
               "accepted": "确认无误"}


class InventoryCount(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id")  # a unit's own assets (outside warehouses)
    title: str = Field(max_length=120)
    status: str = Field(max_length=10, default="open")  # open, closed
    expected: int = Field(default=0)
    started_by: int = Field(foreign_key="user.id")
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))

    @property
    def status_label(self) -> str:
        return COUNT_STATUSES.get(self.status, self.status)


class CountLine(SQLModel, table=True):
    """One item of a count: expected from the ledger, or scanned without being expected."""

    id: int | None = Field(default=None, primary_key=True)
    count_id: int = Field(foreign_key="inventorycount.id", index=True)
    asset_id: int | None = Field(default=None, foreign_key="asset.id")
    tag: str = Field(max_length=64)  # the tag or EPC as read
    expected: bool = Field(default=True)
    seen: bool = Field(default=False)
    seen_location: str = Field(max_length=200, default="")
    seen_condition: str = Field(max_length=8, default="")
    resolution: str = Field(max_length=12, default="")
    note: str = Field(max_length=300, default="")
