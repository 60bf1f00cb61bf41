"""Small pieces every service uses: loading rows or failing clearly, asset snapshots, outbox rows."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from ..errors import NotFound
from ..models import Asset, SearchOutbox, utcnow

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


def snapshot(asset: Asset) -> dict[str, Any]:
    return {
        "status": asset.status,
        "owner_unit_id": asset.owner_unit_id,
        "condition": asset.condition,
        "listing_id": asset.listing_id,
        "custodian": asset.custodian,
    }


def touch_listing(db: Session, listing_id: int | None) -> None:
    """Queue a listing for the search index, in the caller's transaction."""
    if listing_id is not None:
        db.add(SearchOutbox(listing_id=listing_id))


def assets_by_ids(db: Session, ids: list[int], lock: bool = True) -> list[Asset]:
    """The assets, locked for update (PostgreSQL; SQLite's writer already holds the database lock)."""
    if not ids:
        return []
    stmt = select(Asset).where(Asset.id.in_(ids)).order_by(Asset.id)
    if lock:
        stmt = stmt.with_for_update()
    rows = list(db.exec(stmt))
    found = {a.id for a in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"资产（编号 {missing[0]}）不存在。", "asset_ids")
    return rows


def stamp(asset: Asset) -> None:
    asset.updated_at = utcnow()
