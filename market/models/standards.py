"""Configuration standards (配置标准): per asset category, the price cap, the quantity cap as a share of a
unit's 编制内实有人数, the minimum service life and the depreciation life. One table per installation,
edited by the bureau (``market.standards``)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from market.models.base import MONEY


class ConfigStandard(SQLModel, table=True):
    """The standard of one category. Every figure may be empty: empty means "the standard sets none here";
    for the lives an empty figure is inherited from the nearest ancestor category that sets one."""

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="category.id", unique=True)
    price_cap: Decimal | None = Field(default=None, sa_column=Column(MONEY))  # 元, plain (no rank distinction)
    price_cap_senior: Decimal | None = Field(default=None, sa_column=Column(MONEY))  # 元, 司局级
    price_cap_junior: Decimal | None = Field(default=None, sa_column=Column(MONEY))  # 元, 处级及以下
    quantity_share: int | None = Field(default=None)  # % of 编制内实有人数
    quantity_share_confidential: int | None = Field(default=None)  # % for a unit with a confidential network
    quantity_group: str = Field(max_length=40, default="")  # categories sharing one quantity cap
    min_life_years: int | None = Field(default=None)  # 最低使用年限
    depreciation_years: int | None = Field(default=None)  # 折旧年限
    note: str = Field(max_length=200, default="")  # where the figures come from
