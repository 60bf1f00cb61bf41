"""Units, warehouses, people and their sign-in tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from market.models.base import UTCDateTime, utcnow

ROLES = {
    "unit_staff": "单位经办人",
    "unit_manager": "单位资产管理员",
    "warehouse_admin": "公物仓管理员",
    "finance": "财政监管",
    "sysadmin": "系统管理员",
}


class Unit(SQLModel, table=True):
    """A 行政事业单位 of the city."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100, unique=True)
    short_name: str = Field(max_length=40, default="")
    district: str = Field(max_length=40, index=True)
    address: str = Field(max_length=200, default="")
    lat: float
    lng: float
    contact: str = Field(max_length=40, default="")
    phone: str = Field(max_length=40, default="")
    is_bureau: bool = Field(default=False)  # the 机关事务管理局 that runs the warehouse
    staff_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # 编制内实有人数; 0 = unknown
    confidential_network: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})  # 涉密网络
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Warehouse(SQLModel, table=True):
    """A physical 公物仓 run by the bureau."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100, unique=True)
    operator_unit_id: int = Field(foreign_key="unit.id")
    district: str = Field(max_length=40)
    address: str = Field(max_length=200, default="")
    lat: float
    lng: float


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=64, default="")
    role: str = Field(max_length=20)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # Where notices reach this user besides the app (``market.channels``): an e-mail address, and whether they
    # want notices by e-mail and in the work-chat group. Notices in the app are always on.
    email: str | None = Field(default=None, max_length=254)
    notify_email: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    notify_chat: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)


TOKEN_KINDS = {"api": "API 令牌", "cookie": "网页会话"}


class ApiToken(SQLModel, table=True):
    """A sign-in kept on the server: a bearer token of the JSON API (``kind`` "api") or the session a page
    cookie names (``kind`` "cookie"). Only its SHA-256 is kept. Revoked when its holder signs out, and every
    one of a user's when their password, role, unit or active state changes (``market.accounts``)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=8, default="api", sa_column_kwargs={"server_default": "api"})
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    revoked: bool = Field(default=False)


class LoginAttempt(SQLModel, table=True):
    """Every sign-in attempt, for throttling repeated failures and for the audit trail. A ``throttled``
    attempt was refused before its password was looked at: it does not count towards the back-off."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    ip: str = Field(max_length=64, default="", index=True)
    ok: bool = Field(default=False)
    throttled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True))
