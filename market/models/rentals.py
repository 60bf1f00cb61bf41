"""Market rental vendors and their offers (社会租赁, the 管理+租用 mode)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from market.models.base import MONEY


class RentalVendor(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    contact: str = Field(max_length=40, default="")
    phone: str = Field(max_length=40, default="")
    address: str = Field(max_length=200, default="")
    lat: float
    lng: float
    is_active: bool = Field(default=True)


class RentalOffer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    vendor_id: int = Field(foreign_key="rentalvendor.id", index=True)
    category_id: int = Field(foreign_key="category.id", index=True)
    description: str = Field(max_length=200, default="")
    price_per_unit_day: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    delivery_fee: Decimal = Field(default=Decimal("0"), sa_column=Column(MONEY, nullable=False))
    capacity: int | None = None  # units out on any one day; None = unlimited
    is_active: bool = Field(default=True)
