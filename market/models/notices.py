"""Messages inside the product (站内消息) and wishes: saved searches and the demand board (需求广场)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.models.base import UTCDateTime, utcnow

NOTICE_KINDS = {
    "request_approved": "申请已批准",
    "request_rejected": "申请被驳回",
    "proposal_waiting": "调配方案待审核",
    "loan_due": "出借即将到期",
    "loan_overdue": "出借已逾期",
    "wish_matched": "心愿单有新资产",
    "disposal_waiting": "处置单待办理",
    "login_failures": "登录失败告警",
    "approval_waiting": "待审批",
    "handover_waiting": "待交付闲置资产",
    "holder_handed_over": "持有单位已交付",
    "transfer_rejected": "调拨单被驳回",
}


class Notice(SQLModel, table=True):
    """One message to one user. ``key`` makes a reminder idempotent (one per loan per kind)."""

    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=20)
    text: str = Field(max_length=300)
    link: str = Field(max_length=200, default="")
    key: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))

    @property
    def kind_label(self) -> str:
        return NOTICE_KINDS.get(self.kind, self.kind)


class Wish(SQLModel, table=True):
    """What a unit is looking for: a saved search, or — when public — a post on the demand board."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    created_by: int = Field(foreign_key="user.id")
    title: str = Field(max_length=120)
    keywords: str = Field(max_length=200, default="")  # every word must appear in the listing's text
    category_id: int | None = Field(default=None, foreign_key="category.id")
    quantity: int | None = None
    needed_from: date | None = None
    needed_until: date | None = None
    public: bool = Field(default=False)  # shown on the demand board (需求广场)
    status: str = Field(max_length=10, default="active")  # active, closed
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
