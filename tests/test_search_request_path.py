"""The per-request work of a search, rewritten for load (bench/load_bench.py): the bearer token's user in one
query, the searcher's place, and the outbox catch-up without a lock around its query."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import select

from market.accounts import issue_token, revoke_token, user_for_token
from market.browse import user_origin
from market.models import ApiToken, utcnow
from search import SearchQuery


def test_token_user_only_while_token_and_account_are_good(db, world):
    staff = world.users["staff_edu"]
    token = issue_token(db, staff)
    assert user_for_token(db, token).id == staff.id
    assert user_for_token(db, token + "x") is None

    row = db.exec(select(ApiToken).where(ApiToken.user_id == staff.id)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert user_for_token(db, token) is None  # expired
    row.expires_at = utcnow() + timedelta(days=1)
    staff.is_active = False
    db.commit()
    assert user_for_token(db, token) is None  # account disabled
    staff.is_active = True
    db.commit()
    assert user_for_token(db, token).id == staff.id
    revoke_token(db, token)
    assert user_for_token(db, token) is None  # signed out


def test_origin_is_the_users_unit_or_the_bureau(db, world):
    assert user_origin(db, world.users["staff_health"]) == (world.health.lat, world.health.lng)
    assert user_origin(db, world.users["finance"]) == (world.bureau.lat, world.bureau.lng)  # no unit of their own


def test_catch_up_from_many_threads_applies_each_change(db, world, clean_db):
    from factories import add_assets

    from market.db import session_scope
    from market.search_index import pool_index, reset_pool_index
    from market.services.pool import post_idle_items

    reset_pool_index()
    index = pool_index(db)
    staff = world.users["mgr_edu"]
    items = add_assets(db, world.edu, world.chair, 6)
    post_idle_items(db, staff, [a.id for a in items], title="会议椅 并发追赶")
    errors: list[BaseException] = []

    def search() -> None:
        try:
            with session_scope(clean_db) as own:
                pool_index(own)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=search) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert index.backend.search(SearchQuery(q="并发追赶")).total == 1
    assert pool_index(db).catch_up(db) == 0  # nothing left, nothing applied twice
