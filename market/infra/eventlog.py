"""Writing and reading the append-only event log. Each event logged tells the people ``market.notify_rules``
names for it, in the same transaction (``market.notices.follow``)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from market.fields import summary as fit_summary
from market.models import Event, User


def log_event(
    db: Session,
    actor: User | None,
    entity: str,
    entity_id: int,
    action: str,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ref: tuple[str, int] | None = None,
) -> Event:
    ev = Event(
        actor_id=actor.id if actor else None,
        entity=entity,
        entity_id=entity_id,
        action=action,
        summary=fit_summary(summary),  # cut to its column: what a person typed may make it long
        before=before,
        after=after,
        ref_entity=ref[0] if ref else None,
        ref_id=ref[1] if ref else None,
    )
    db.add(ev)
    from market.notices import follow  # the one table of events → recipients (market.notify_rules)

    follow(db, ev)
    return ev


def history(db: Session, entity: str, entity_id: int) -> list[Event]:
    """Every event of one asset or document, oldest first by the time it happened (events written later for an
    earlier moment, as an import or the demo's back-dated history does, take their place in time)."""
    stmt = (select(Event).where(Event.entity == entity, Event.entity_id == entity_id)
            .order_by(Event.at, Event.id))
    return list(db.exec(stmt))


def recent(db: Session, entity: str, ids: list[int], limit: int = 200) -> list[Event]:
    """The latest events of several assets or documents, newest first by the time they happened."""
    if not ids:
        return []
    stmt = (select(Event).where(Event.entity == entity, Event.entity_id.in_(ids))
            .order_by(Event.at.desc(), Event.id.desc()).limit(limit))
    return list(db.exec(stmt))
