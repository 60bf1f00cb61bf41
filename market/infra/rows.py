"""Loading one row or failing clearly (a ``NotFound`` naming the object in Chinese), and loading it locked."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel, select

from market.errors import NotFound

T = TypeVar("T", bound=SQLModel)


NAMES = {
    "Asset": "资产",
    "PoolListing": "挂牌资产",
    "Request": "需求申请",
    "RequestLine": "申请明细",
    "Order": "单据",
    "Unit": "单位",
    "Warehouse": "仓库",
    "Category": "资产分类",
    "User": "用户",
    "DisposalCase": "处置单",
    "DamageRecord": "损坏记录",
    "RentalOffer": "租赁报价",
    "Proposal": "调配方案",
}


def get_or_404(db: Session, model: type[T], ident: int | None, field: str | None = None) -> T:
    row = db.get(model, ident) if ident is not None else None
    if row is None:
        raise NotFound(f"{NAMES.get(model.__name__, model.__name__)}（编号 {ident}）不存在。", field)
    return row


def locked(db: Session, model: type[T], ident: int | None, field: str | None = None) -> T:
    """The row, locked for update until the transaction ends and read afresh (PostgreSQL; on SQLite the
    writer already holds the database). Two services changing one document queue here instead of both
    acting on the state they read before the other committed."""
    row = None
    if ident is not None:
        pk = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
        row = db.exec(select(model).where(pk == ident).with_for_update()
                      .execution_options(populate_existing=True)).first()
    return row if row is not None else get_or_404(db, model, ident, field)
