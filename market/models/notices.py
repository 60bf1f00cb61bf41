"""Messages inside the product (站内消息) and wishes: saved searches and the demand board (需求广场)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.models.base import UTCDateTime, utcnow

# kind → label: filled from the one table of events → recipients (``market.notify_rules``), row by row.
NOTICE_KINDS: dict[str, str] = {}

CHANNELS = {"email": "邮件", "chat": "工作群"}
DELIVERY_STATUSES = {"queued": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}


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


class Delivery(SQLModel, table=True):
    """One notice to go out through a channel outside the app (e-mail, the work-chat robot): the outbox.

    Written in the transaction of the change that caused the notice; sent after commit by
    ``market.channels.send_pending`` (the app's background task, ``gongwucang notify --send``). A failure is
    retried with back-off up to ``market.channels.MAX_ATTEMPTS`` times and then kept as failed with its error.
    """

    __table_args__ = (Index("ix_delivery_due", "status", "next_at"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    channel: str = Field(max_length=8)  # email, chat
    address: str = Field(max_length=254, default="")  # the e-mail address when it was queued
    subject: str = Field(max_length=200, default="")
    body: str = Field(max_length=2000, default="")
    status: str = Field(max_length=10, default="queued")
    attempts: int = Field(default=0)
    next_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    last_error: str = Field(max_length=300, default="")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))

    @property
    def status_label(self) -> str:
        return DELIVERY_STATUSES.get(self.status, self.status)


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
