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


def test_a_search_catches_up_at_once_after_a_change_of_this_process_and_probes_for_others(db, world, clean_db):
    """Searches answer from memory between outbox probes (at most one per PROBE_SECONDS), except that a change
    this process committed is applied before its next search; another process's change waits for the probe."""
    from factories import add_assets
    from sqlalchemy import insert

    from market.db import get_engine
    from market.models import SearchOutbox
    from market.search_index import index_for_search, pool_index, reset_pool_index
    from market.services.pool import post_idle_items

    reset_pool_index()
    index = pool_index(db)
    chairs = add_assets(db, world.edu, world.chair, 3)
    tents = add_assets(db, world.health, world.chair, 2, name="帐篷", prefix="T")
    db.commit()
    index.next_probe = float("inf")  # no probe due: only this process's own commits make a search catch up
    post_idle_items(db, world.users["mgr_edu"], [a.id for a in chairs], title="会议椅 本进程")
    assert index_for_search(db).backend.search(SearchQuery(q="本进程")).total == 1

    # another process: its listing and outbox row commit without this process's session seeing it
    post_idle_items(db, world.users["mgr_health"], [a.id for a in tents], title="救灾帐篷 别的进程")
    listing_id = db.exec(select(SearchOutbox.listing_id).order_by(SearchOutbox.id.desc())).first()
    index.catch_up(db)
    index.backend.delete([f"L{listing_id}"])  # as if this process had not seen the listing yet
    with get_engine(clean_db).begin() as conn:
        conn.execute(insert(SearchOutbox.__table__).values(listing_id=listing_id, created_at=utcnow()))
    db.commit()  # a new request: its transaction starts after that commit
    assert index_for_search(db).backend.search(SearchQuery(q="帐篷")).total == 0  # not looked for yet
    index.next_probe = 0.0  # PROBE_SECONDS have passed
    assert index_for_search(db).backend.search(SearchQuery(q="帐篷")).total == 1
