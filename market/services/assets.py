"""Reading assets: who may see one, its history, its unit's list."""

from __future__ import annotations

from sqlmodel import Session, select

from ..errors import PermissionDenied
from ..models import Asset, OrderItem, User
from ..permissions import UNIT_ROLES, require_user
from .common import get_or_404


def visible_asset(db: Session, actor: User, asset_id: int) -> Asset:
    """Unit roles see their own unit's assets, items in the pool, and items lent to their unit."""
    actor = require_user(actor)
    asset = get_or_404(db, Asset, asset_id)
    if actor.role not in UNIT_ROLES or asset.owner_unit_id == actor.unit_id:
        return asset
    if asset.confidential:
        raise PermissionDenied("涉密资产仅所属单位可查看。")
    if asset.listing_id is not None:
        return asset
    raise PermissionDenied("只能查看本单位的资产和公物池中的资产。")


def asset_by_tag(db: Session, tag: str) -> Asset | None:
    """The asset with this printed tag or RFID EPC."""
    tag = tag.strip()
    return db.exec(select(Asset).where((Asset.tag == tag) | (Asset.epc == tag.upper()))).first()


def unit_assets(db: Session, actor: User, unit_id: int, status: str | None = None, limit: int = 500) -> list[Asset]:
    actor = require_user(actor)
    if actor.role in UNIT_ROLES and actor.unit_id != unit_id:
        raise PermissionDenied("只能查看本单位的资产。")
    stmt = select(Asset).where(Asset.owner_unit_id == unit_id).order_by(Asset.tag).limit(limit)
    if status:
        stmt = stmt.where(Asset.status == status)
    return list(db.exec(stmt))


def current_order_id(db: Session, asset_id: int) -> int | None:
    return db.exec(select(OrderItem.order_id).where(OrderItem.asset_id == asset_id, OrderItem.active)
                   .order_by(OrderItem.id.desc())).first()
