"""Timelines read in the order things happened, whatever order they were written in (issue 16: 06-30 above 07-01)."""

from __future__ import annotations

from datetime import UTC, datetime

from factories import add_assets

from market.assets import asset_page
from market.infra.eventlog import history, log_event, recent


def test_history_and_recent_follow_event_time_not_insertion(db, world):
    (chair,) = add_assets(db, world.health, world.chair, 1)
    admin = world.user("admin")
    # written in this order, as a back-dated import or the demo would: 07-01 first, then 06-30, then 07-02
    for day, action in ((1, "b-second"), (None, "a-first"), (2, "c-third")):
        ev = log_event(db, admin, "asset", chair.id, action, action)
        ev.at = datetime(2026, 6, 30, 9, tzinfo=UTC) if day is None else datetime(2026, 7, day, 9, tzinfo=UTC)
    db.commit()
    assert [e.action for e in history(db, "asset", chair.id)] == ["a-first", "b-second", "c-third"]
    assert [e.action for e in recent(db, "asset", [chair.id])] == ["c-third", "b-second", "a-first"]
    view = asset_page(db, admin, chair.id)
    actions = [e.action for e in view.events]
    assert actions.index("a-first") < actions.index("b-second") < actions.index("c-third")
