"""Disposal cases (资产处置) under the 《行政事业性国有资产管理条例》."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from market.models.base import MONEY, UTCDateTime, utcnow

DISPOSAL_METHODS = {
    "free_transfer": "无偿划转",
    "donation": "对外捐赠",
    "sale": "转让",
    "exchange": "置换",
    "scrap": "报废",
    "loss_writeoff": "损失核销",
}
DISPOSAL_STATUSES = {
    "early_review": "待提前处置审批",  # younger than its minimum service life: an extra approval comes first
    "applied": "已申请",
    "approved": "已审批",
    "rejected": "已驳回",
    "appraised": "已评估",
    "sale_review": "待财政复核",  # a sale far below book value waits for finance's second approval
    "sold": "已成交",
    "handed_over": "已交接",
    "remitted": "已上缴国库",
    "disposed": "已处置",
    "cancelled": "已撤销",
}


class DisposalCase(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    method: str = Field(max_length=16)
    status: str = Field(max_length=12, default="applied", index=True)
    reason: str = Field(max_length=500, default="")
    book_value: Decimal = Field(default=Decimal("0"), sa_column=Column(MONEY, nullable=False))
    appraised_value: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    appraiser: str = Field(max_length=100, default="")
    appraisal_report: str = Field(max_length=200, default="")
    sale_channel: str = Field(max_length=10, default="")  # 拍卖 or 转让
    buyer: str = Field(max_length=100, default="")  # buyer, recipient or counterparty
    proceeds: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    remittance_ref: str = Field(max_length=60, default="")  # 上缴国库 voucher
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    approved_by: int | None = Field(default=None, foreign_key="user.id")
    sale_approved_by: int | None = Field(default=None, foreign_key="user.id")  # finance's second approval
    # why a disposal before the minimum service life (最低使用年限) is allowed at all: the assets, their dates
    # and the damage found beyond repair; empty for an ordinary case
    early_reason: str = Field(max_length=1000, default="", sa_column_kwargs={"server_default": ""})
    early_approved_by: int | None = Field(default=None, foreign_key="user.id")  # the extra approval
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))

    @property
    def number(self) -> str:
        return f"CZ{self.created_at:%Y}{self.id:06d}"

    @property
    def method_label(self) -> str:
        return DISPOSAL_METHODS.get(self.method, self.method)

    @property
    def status_label(self) -> str:
        return DISPOSAL_STATUSES.get(self.status, self.status)


class DisposalItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="disposalcase.id", index=True)
    asset_id: int = Field(foreign_key="asset.id", index=True)
