"""Idle-asset alerts: items a unit has left idle longer than a configured period, so they can be
posted to the pool with one action."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from .models import Asset, Event, Unit, User, utcnow
from .permissions import UNIT_ROLES, require_user


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
    stmt = (select(Asset, Unit.name, last_change.c.at).join(Unit, Unit.id == Asset.owner_unit_id)
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
