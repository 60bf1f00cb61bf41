"""Allocation proposals, the orders they create (出借单, 调剂单, 租赁单) and damage records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, func, literal_column
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlmodel import Field, SQLModel

from market.models.base import MONEY, UTCDateTime, utcnow

ORDER_KINDS = {"loan": "出借单", "transfer": "调剂单", "rental": "租赁单", "allot": "调拨单"}
ORDER_STATUSES = {
    "pending": "待审批",
    "allocated": "待出库",
    "on_loan": "出借中",
    "returned": "已归还",
    "completed": "已完成",
    "rejected": "已驳回",
    "cancelled": "已取消",
}
PROPOSAL_STATUSES = {"draft": "待采纳", "accepted": "已采纳", "discarded": "已作废"}
PROPOSAL_POLICIES = {"tiered": "分层", "cost": "成本"}
DAMAGE_CAUSES = {"user": "使用人损坏", "wear": "自然损耗"}
DAMAGE_STATUSES = {"pending": "待赔偿", "settled": "已赔偿", "recorded": "已报损"}


class Proposal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    policy: str = Field(max_length=10, default="tiered")
    status: str = Field(max_length=12, default="draft")  # draft, accepted, discarded
    problem: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    solution: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    lots: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # lot id → items
    seconds: float = Field(default=0.0)  # solver wall time
    accepted_by: int | None = Field(default=None, foreign_key="user.id")
    accepted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    cost_total: Decimal = Field(default=Decimal("0"), sa_column=Column(MONEY, nullable=False))
    cost_all_rented: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    cost_all_new: Decimal | None = Field(default=None, sa_column=Column(MONEY))

    @property
    def status_label(self) -> str:
        return PROPOSAL_STATUSES.get(self.status, self.status)

    @property
    def policy_label(self) -> str:
        return PROPOSAL_POLICIES.get(self.policy, self.policy)

    @property
    def solved_label(self) -> str:
        """How the allocation came about, truthfully: proven optimal, edited by hand (checked, not solved
        again), or the best found within the time limit."""
        if self.solution.get("edited_by"):
            return "人工调整（已复核）"
        return "最优" if self.solution.get("status") == "optimal" else "可行（未证明最优）"


class Order(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    status: str = Field(max_length=12, index=True)
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")
    request_line_id: int | None = Field(default=None, foreign_key="requestline.id", index=True)
    listing_id: int | None = Field(default=None, foreign_key="poollisting.id")
    rental_offer_id: int | None = Field(default=None, foreign_key="rentaloffer.id")
    from_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    to_unit_id: int = Field(foreign_key="unit.id", index=True)
    quantity: int
    start_date: date
    end_date: date | None = None
    cost: Decimal = Field(default=Decimal("0"), sa_column=Column(MONEY, nullable=False))
    note: str = Field(max_length=500, default="")
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    decided_by: int | None = Field(default=None, foreign_key="user.id")

    @property
    def number(self) -> str:
        prefix = {"loan": "JC", "transfer": "TJ", "rental": "ZL", "allot": "DB"}.get(self.kind, "DD")
        return f"{prefix}{self.created_at:%Y}{self.id:06d}"

    @property
    def kind_label(self) -> str:
        return ORDER_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return ORDER_STATUSES.get(self.status, self.status)


class OrderItem(SQLModel, table=True):
    """One concrete item on an order's pick list."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True)
    asset_id: int = Field(foreign_key="asset.id", index=True)
    condition_out: str = Field(max_length=8)
    busy_from: date  # the item is spoken for from this day …
    busy_until: date | None = None  # … to this day, turnaround included; None: for good (a transfer)
    active: bool = Field(default=True)  # False once the order is returned, completed or cancelled
    handed_out_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    returned_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    condition_in: str | None = Field(default=None, max_length=8)


# On PostgreSQL the database itself refuses two active bookings of one item on the same day (what
# ``free_items`` checks in the service): a GiST exclusion constraint over the item and its busy period,
# both inclusive, open-ended for a transfer. The item is a one-point int4range so that no extension is
# needed (``asset_id WITH =`` would need btree_gist). SQLite has no such constraint; there the writers are
# serialised (BEGIN IMMEDIATE) and the service's check is enough.
OVERLAP_CONSTRAINT = "orderitem_no_overlap"
_items = OrderItem.__table__.c  # type: ignore[attr-defined]
OrderItem.__table__.append_constraint(  # type: ignore[attr-defined]
    ExcludeConstraint(
        (func.int4range(_items.asset_id, _items.asset_id, literal_column("'[]'")), "&&"),
        (func.daterange(_items.busy_from, _items.busy_until, literal_column("'[]'")), "&&"),
        name=OVERLAP_CONSTRAINT, using="gist", where=literal_column("active"),
    ).ddl_if(dialect="postgresql")
)


class DamageRecord(SQLModel, table=True):
    """Damage found at a return inspection: the user's fault (赔偿) or natural wear (报损)."""

    id: int | None = Field(default=None, primary_key=True)
    asset_id: int = Field(foreign_key="asset.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="order.id")
    cause: str = Field(max_length=8)
    description: str = Field(max_length=500, default="")
    payer_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    amount: Decimal = Field(default=Decimal("0"), sa_column=Column(MONEY, nullable=False))
    basis: str = Field(max_length=20, default="")  # repair_cost or original_value
    status: str = Field(max_length=10, default="pending")  # pending, settled (赔偿) / recorded (报损)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    settled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))

    @property
    def status_label(self) -> str:
        return DAMAGE_STATUSES.get(self.status, self.status)

    @property
    def cause_label(self) -> str:
        return DAMAGE_CAUSES.get(self.cause, self.cause)
