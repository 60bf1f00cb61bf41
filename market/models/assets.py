"""Physical items (资产) and the lots offered in the pool (公物仓 listings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from market.models.base import MONEY, UTCDateTime, utcnow

CONDITIONS = ["全新", "良好", "一般", "待维修", "报废"]
USABLE_CONDITIONS = ["全新", "良好", "一般"]

ASSET_STATUSES = {
    "in_use": "在用",
    "idle": "闲置",
    "listed": "在池",
    "reserved": "已调配",
    "on_loan": "出借中",
    "in_repair": "维修中",
    "disposing": "处置中",
    "disposed": "已处置",
    "lost": "已核销",
}

LISTING_MODES = {"loan": "出借", "transfer": "调剂", "both": "出借或调剂"}
LISTING_STATUSES = {"active": "在池", "withdrawn": "已撤回"}


class Asset(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    tag: str = Field(max_length=40, unique=True, index=True)  # 资产编号, lifelong, printed as QR
    epc: str = Field(max_length=24, unique=True)  # the RFID EPC written to the tag (96-bit hex)
    name: str = Field(max_length=120)
    category_id: int = Field(foreign_key="category.id", index=True)
    brand: str = Field(max_length=60, default="")
    model: str = Field(max_length=80, default="")  # 规格型号
    owner_unit_id: int = Field(foreign_key="unit.id", index=True)
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id", index=True)
    custodian: str = Field(max_length=60, default="")  # 使用人 / 保管人
    responsible_person: str = Field(max_length=60, default="")  # 责任人
    location: str = Field(max_length=200, default="")  # 存放地点
    condition: str = Field(max_length=8, default="良好")
    original_value: Decimal = Field(default=Decimal("0"), sa_column=Column(MONEY, nullable=False))
    purchase_date: date | None = None
    photos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16, default="in_use", index=True)
    confidential: bool = Field(default=False)  # 涉密: never listed in the pool
    listing_id: int | None = Field(default=None, foreign_key="poollisting.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

    @property
    def status_label(self) -> str:
        return ASSET_STATUSES.get(self.status, self.status)


class PoolListing(SQLModel, table=True):
    """A lot in the pool: warehouse stock (``warehouse_id`` set) or one unit's idle items."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    description: str = Field(max_length=2000, default="")
    category_id: int = Field(foreign_key="category.id", index=True)
    holder_unit_id: int = Field(foreign_key="unit.id", index=True)
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id")
    mode: str = Field(max_length=10, default="both")
    available_from: date | None = None
    available_until: date | None = None
    handling_cost: Decimal = Field(default=Decimal("0"), sa_column=Column(MONEY, nullable=False))  # 元/件
    status: str = Field(max_length=12, default="active", index=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

    @property
    def tier(self) -> str:
        return "warehouse" if self.warehouse_id is not None else "idle"
