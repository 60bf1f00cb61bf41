"""Requests for items (需求申请) and their lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from market.models.base import MONEY, UTCDateTime, utcnow

REQUEST_STATUSES = {
    "submitted": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
    "allocated": "已调配",
    "closed": "已完成",
    # an acquisition request (配置申请) only:
    "pool_offer": "待确认调剂",  # the pool can give some of it: the unit accepts or declines first
    "over_cap": "超标待特批",  # over a configuration standard, sent to finance as an exception
    "purchasing": "转集中采购",  # nothing from the pool, the rest within the standards: bought centrally
}
REQUEST_KINDS = {"use": "需求申请", "acquisition": "配置申请"}
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
    kind: str = Field(max_length=12, default="use", index=True, sa_column_kwargs={"server_default": "use"})

    @property
    def number(self) -> str:
        return f"{'PZ' if self.kind == 'acquisition' else 'XQ'}{self.submitted_at:%Y}{self.id:06d}"

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


ACQUISITION_OUTCOMES = {
    "pool": "待确认调剂",
    "from_pool": "全部由公物仓调剂",
    "within": "符合配置标准，转集中采购",
    "refused": "超出配置标准，不予配置",
    "exception": "超出配置标准，待财政特批",
    "approved": "超标特批已同意，转集中采购",
    "rejected": "超标特批未同意",
    "withdrawn": "已撤回",
}


class Acquisition(SQLModel, table=True):
    """What an acquisition request (配置申请, ``Request.kind`` "acquisition") carries beside its one line: the
    intended unit price and rank, the reason, the pool's offer (a proposal) and the standards check of what the
    pool could not give."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", unique=True)
    rank: str = Field(max_length=10, default="")  # market.standards.RANKS, or "" (no distinction made)
    unit_price: Decimal = Field(sa_column=Column(MONEY, nullable=False))  # 拟购单价, 元
    reason: str = Field(max_length=500)  # 申请理由
    exception_wanted: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})  # over a cap:
    # ask finance for an exception (特批) instead of being refused
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")  # the pool's offer (先调剂)
    pool_offered: int = Field(default=0)  # units the pool could give when last looked
    pool_taken: int = Field(default=0)  # units the unit accepted from the pool
    decline_reason: str = Field(max_length=500, default="")  # why the unit did not take the pool's offer
    remainder: int = Field(default=0)  # units left to buy after the pool
    check: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # the figures
    outcome: str = Field(max_length=12, default="pool", index=True)  # ACQUISITION_OUTCOMES
    over_price: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    over_quantity: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    decided_by: int | None = Field(default=None, foreign_key="user.id")  # finance, on an exception
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    decision_note: str = Field(max_length=500, default="")

    @property
    def outcome_label(self) -> str:
        return ACQUISITION_OUTCOMES.get(self.outcome, self.outcome)
