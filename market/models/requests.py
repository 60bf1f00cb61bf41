"""Requests for items (需求申请) and their lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from market.models.base import UTCDateTime, utcnow

REQUEST_STATUSES = {
    "submitted": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
    "allocated": "已调配",
    "closed": "已完成",
}
PURPOSES = ["大型会议", "活动保障", "临时机构", "新设机构", "日常办公", "应急保障"]


class Request(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    created_by: int = Field(foreign_key="user.id")
    title: str = Field(max_length=120)
    purpose: str = Field(max_length=20, default="大型会议")
    place: str = Field(max_length=200, default="")  # 送达地点
    lat: float
    lng: float
    status: str = Field(max_length=12, default="submitted", index=True)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    reject_reason: str = Field(max_length=500, default="")

    @property
    def number(self) -> str:
        return f"XQ{self.submitted_at:%Y}{self.id:06d}"

    @property
    def status_label(self) -> str:
        return REQUEST_STATUSES.get(self.status, self.status)


class RequestLine(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    category_id: int = Field(foreign_key="category.id")
    listing_id: int | None = Field(default=None, foreign_key="poollisting.id")  # a listing the unit chose
    quantity: int
    start_date: date
    end_date: date | None = None  # None: a permanent transfer (调剂)
    priority: int = Field(default=1)
    note: str = Field(max_length=500, default="")

    @property
    def is_permanent(self) -> bool:
        return self.end_date is None
