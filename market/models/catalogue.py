"""The asset category tree (资产分类, GB/T 14885-style codes) and approval rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.models.base import MONEY, RATE, UTCDateTime


class Category(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("catalogue", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, index=True)
    catalogue: str = Field(max_length=40, default="GB/T 14885-2022")  # the catalogue version the code comes from
    name: str = Field(max_length=80)
    parent_id: int | None = Field(default=None, foreign_key="category.id")
    measure_unit: str = Field(max_length=8, default="件")  # 把, 台, 张 …
    transport_rate: Decimal = Field(default=Decimal("0.50"), sa_column=Column(RATE, nullable=False))  # 元/件/km
    reference_price: Decimal = Field(default=Decimal("0"), sa_column=Column(MONEY, nullable=False))  # 元/件, new
    typical_weight_kg: float = Field(default=0.0)  # waste kept out of landfill when an item is reused
    co2e_kg_per_item: float = Field(default=0.0)  # kg CO2e of making one new item (for the savings report)
    is_leaf: bool = Field(default=True)


class ApprovalRule(SQLModel, table=True):
    """Who approves an action: the rule with the highest ``min_value`` not above the value decides. Its ``steps``
    are the approver roles in order (an approval chain); "unit_manager" is the requesting unit's own manager."""

    __table_args__ = (UniqueConstraint("action", "min_value"),)

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=30)  # loan, idle_transfer, ownership_transfer, disposal
    min_value: Decimal = Field(default=Decimal("0"), sa_column=Column(MONEY, nullable=False))
    steps: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


APPROVAL_STEP_STATES = {"waiting": "未开始", "pending": "待审批", "approved": "已批准", "rejected": "已驳回"}


class ApprovalStep(SQLModel, table=True):
    """One step of one document's approval chain (a request, a disposal case, an ownership transfer), laid down
    from its rule when the document is submitted: later edits of the rule do not change a chain under way."""

    __table_args__ = (UniqueConstraint("subject", "subject_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=12)  # request, disposal, order
    subject_id: int = Field(index=True)
    position: int  # 1, 2, …
    role: str = Field(max_length=20)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")  # the unit whose manager approves a unit step
    status: str = Field(max_length=10, default="waiting")  # waiting, pending, approved, rejected
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    reason: str = Field(max_length=500, default="")

    @property
    def status_label(self) -> str:
        return APPROVAL_STEP_STATES.get(self.status, self.status)


class Setting(SQLModel, table=True):
    """A setting the bureau edits in the product (for example the performance indicators' weights)."""

    key: str = Field(primary_key=True, max_length=40)
    value: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
