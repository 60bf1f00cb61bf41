"""Central purchasing (集中采购): demand nobody could meet, grouped into batches bought at once."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from market.models.base import MONEY, UTCDateTime, utcnow

BATCH_STATUSES = {"planned": "待采购", "purchased": "已采购", "received": "已入库", "cancelled": "已取消"}


class PurchaseNeed(SQLModel, table=True):
    """Units of a request line that no stock, idle item or rental could serve."""

    id: int | None = Field(default=None, primary_key=True)
    request_line_id: int = Field(foreign_key="requestline.id", index=True)
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")
    category_id: int = Field(foreign_key="category.id", index=True)
    quantity: int
    batch_id: int | None = Field(default=None, foreign_key="purchasebatch.id", index=True)
    status: str = Field(max_length=10, default="open")  # open, batched, cancelled
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class PurchaseBatch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="category.id")
    quantity: int
    status: str = Field(max_length=10, default="planned")
    supplier: str = Field(max_length=100, default="")
    unit_price: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    reference_price: Decimal = Field(default=Decimal("0"), sa_column=Column(MONEY, nullable=False))  # at batching
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id")
    listing_id: int | None = Field(default=None, foreign_key="poollisting.id")
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    purchased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    received_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))

    @property
    def status_label(self) -> str:
        return BATCH_STATUSES.get(self.status, self.status)

    @property
    def number(self) -> str:
        return f"CG{self.created_at:%Y}{self.id:06d}"
