"""Reading assets: who may see one, its history, its unit's list."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from market.access import UNIT_ROLES, check_visible, may_see, require_user, scoped, visible
from market.errors import NotFound, PermissionDenied
from market.models import Asset, Event, OrderItem, Unit, User, utcnow


def visible_asset(db: Session, actor: User, asset_id: int) -> Asset:
    """Unit roles see their own unit's assets, items in the pool, and items lent to their unit (``market.access``)."""
    return visible(db, actor, Asset, asset_id)


def asset_by_tag(db: Session, actor: User, tag: str) -> Asset | None:
    """The asset with this printed tag or RFID EPC, if ``actor`` may see it (else None, as for a tag nobody has:
    a lookup is no way to learn which tags exist)."""
    tag = tag.strip()
    asset = db.exec(select(Asset).where((Asset.tag == tag) | (Asset.epc == tag.upper()))).first() if tag else None
    return asset if asset is not None and may_see(db, actor, asset) else None


def unit_assets(db: Session, actor: User, unit_id: int, status: str | None = None, limit: int = 500) -> list[Asset]:
    actor = require_user(actor)
    if actor.role in UNIT_ROLES and actor.unit_id != unit_id:
        raise PermissionDenied("只能查看本单位的资产。")
    stmt = scoped(actor, Asset).where(Asset.owner_unit_id == unit_id).order_by(Asset.tag).limit(limit)
    if status:
        stmt = stmt.where(Asset.status == status)
    return list(db.exec(stmt))


def current_order_id(db: Session, asset_id: int) -> int | None:
    return db.exec(select(OrderItem.order_id).where(OrderItem.asset_id == asset_id, OrderItem.active)
                   .order_by(OrderItem.id.desc())).first()


def snapshot(asset: Asset) -> dict[str, Any]:
    return {
        "status": asset.status,
        "owner_unit_id": asset.owner_unit_id,
        "condition": asset.condition,
        "listing_id": asset.listing_id,
        "custodian": asset.custodian,
    }


def assets_by_ids(db: Session, ids: list[int], actor: User | None = None, lock: bool = True) -> list[Asset]:
    """The assets, locked for update (PostgreSQL; SQLite's writer already holds the database lock); with
    ``actor``, each one checked by the visibility policy (an asset they may not see is refused, not acted on)."""
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
    if actor is not None:
        for a in rows:
            check_visible(db, actor, a)
    return rows


def stamp(asset: Asset) -> None:
    asset.updated_at = utcnow()


def epc_for(tag: str) -> str:
    """A 96-bit EPC (24 hex digits) derived from the tag, so a reader's EPC maps back to one asset."""
    return hashlib.sha256(tag.encode("utf-8")).hexdigest()[:24].upper()


def tag_for(unit_code: str, year: int, seq: int) -> str:
    return f"{unit_code}-{year}-{seq:06d}"


def idle_days_threshold() -> int:
    """GONGWUCANG_IDLE_DAYS (default 180): how long idle before an item is flagged."""
    raw = os.environ.get("GONGWUCANG_IDLE_DAYS", "180")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 180


@dataclass
class IdleItem:
    asset: Asset
    unit: str
    since: datetime
    days: int


def long_idle(db: Session, actor: User, days: int | None = None, unit_id: int | None = None) -> list[IdleItem]:
    """Items idle (闲置, not in the pool) since before ``days`` ago; unit roles see only their unit's."""
    actor = require_user(actor)
    days = days or idle_days_threshold()
    if actor.role in UNIT_ROLES:
        unit_id = actor.unit_id
    last_change = (select(Event.entity_id, func.max(Event.at).label("at"))
                   .where(Event.entity == "asset").group_by(Event.entity_id).subquery())
    stmt = (scoped(actor, Asset, select(Asset, Unit.name, last_change.c.at)).join(Unit, Unit.id == Asset.owner_unit_id)
            .outerjoin(last_change, last_change.c.entity_id == Asset.id)
            .where(Asset.status == "idle", Asset.warehouse_id.is_(None)).order_by(Unit.name, Asset.tag))
    if unit_id is not None:
        stmt = stmt.where(Asset.owner_unit_id == unit_id)
    now = utcnow()
    cutoff = now - timedelta(days=days)
    out = []
    for asset, unit, at in db.exec(stmt):
        since = max(x for x in (at, asset.updated_at) if x is not None)
        if since.tzinfo is None:
            since = since.replace(tzinfo=now.tzinfo)
        if since <= cutoff:
            out.append(IdleItem(asset, unit, since, (now - since).days))
    return out
