"""The per-request work of a search, rewritten for load (bench/load_bench.py): the bearer token's user in one
query, the searcher's place, and the outbox catch-up without a lock around its query."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from sqlmodel import select

from market.accounts import issue_token, revoke_token, user_for_token
from market.infra.db import session_scope
from market.models import ApiToken, utcnow
from market.pool.browse import user_origin
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

    from market.infra.db import session_scope
    from market.pool.index import pool_index, reset_pool_index
    from market.pool.listings import post_idle_items

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

    from market.infra.db import get_engine
    from market.models import SearchOutbox
    from market.pool.index import index_for_search, pool_index, reset_pool_index
    from market.pool.listings import post_idle_items

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


# --- search and suggest answered from memory: who may still ask, and when the database is asked -----------

def _token(http, username):
    from factories import PASSWORD

    r = http.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _search(http, token, q="会议椅"):
    return http.get("/api/search", params={"q": q}, headers={"Authorization": f"Bearer {token}"})


def test_a_signed_out_token_is_refused_by_the_next_search(http, world):
    from market.infra import principals

    token = _token(http, "staff_edu")
    assert _search(http, token).status_code == 200
    assert principals.cached_for_token(token) is not None  # remembered: the next search asks no database
    assert http.delete("/api/session", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert _search(http, token).status_code == 401
    r = http.get("/api/suggest", params={"q": "hy"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_a_disabled_account_or_new_password_is_refused_by_the_next_search(http, world):
    from conftest import login

    staff, other = _token(http, "staff_edu"), _token(http, "staff_health")
    admin = {"Authorization": f"Bearer {_token(http, 'sysadmin')}"}
    assert login(http, "staff_health").status_code == 303  # and a browser session of the same account
    assert http.get("/api/suggest", params={"q": "hy"}).status_code == 200
    assert _search(http, staff).status_code == 200 and _search(http, other).status_code == 200
    r = http.post(f"/api/users/{world.users['staff_edu'].id}", headers=admin, json={"is_active": False})
    assert r.status_code == 200, r.text
    assert _search(http, staff).status_code == 401
    r = http.post(f"/api/users/{world.users['staff_health'].id}", headers=admin, json={"password": "new-pass-123"})
    assert r.status_code == 200, r.text
    assert http.get("/api/suggest", params={"q": "hy"}).status_code == 401  # the cookie was signed for the old one
    assert _search(http, other).status_code == 401  # the reset ended the account's bearer tokens too


def test_an_expired_token_is_refused_though_remembered(http, world, monkeypatch):
    from market.infra import principals

    token = _token(http, "staff_edu")
    assert _search(http, token).status_code == 200
    later = utcnow() + timedelta(days=8)  # the token lives seven days
    monkeypatch.setattr(principals, "utcnow", lambda: later)
    assert _search(http, token).status_code == 401


def test_another_process_revoking_a_token_is_seen_within_the_ttl(http, world, clean_db, monkeypatch):
    """A revocation committed by another process (no session event here) is not seen by this one's cache at
    once: the token may search for at most TTL_SECONDS more, then the database is asked again."""
    from sqlalchemy import update

    from market.infra import principals
    from market.infra.db import get_engine
    from market.infra.principals import digest

    monkeypatch.setattr(principals, "REFRESH_SECONDS", principals.TTL_SECONDS)  # no refresh ahead of expiry
    token = _token(http, "staff_edu")
    assert _search(http, token).status_code == 200
    with get_engine(clean_db).begin() as conn:
        conn.execute(update(ApiToken.__table__).where(ApiToken.__table__.c.token_hash == digest(token))
                     .values(revoked=True))
    assert _search(http, token).status_code == 200  # still remembered: at most TTL_SECONDS
    monkeypatch.setattr(principals, "TTL_SECONDS", 0.0)  # the TTL has passed
    assert _search(http, token).status_code == 401


def test_a_remembered_search_asks_the_database_nothing(http, world, clean_db):
    from sqlalchemy import event

    from market.infra.db import get_engine
    from market.pool.index import pool_index

    token = _token(http, "staff_edu")
    assert _search(http, token).status_code == 200
    with session_scope(clean_db) as db:
        index = pool_index(db)
    index.next_probe = float("inf")  # the outbox was looked at just now
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    engine = get_engine(clean_db)
    event.listen(engine, "before_cursor_execute", count)
    try:
        first = _search(http, token, "椅子")
        again = _search(http, token, "椅子")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert statements == []


def test_search_answers_from_memory_as_from_the_database(http, world):
    """The same hits, facets and distances whichever way a search is answered."""
    from factories import add_assets

    from market.models import User
    from market.pool import browse
    from market.pool.listings import post_idle_items

    with session_scope(write=True) as db:
        post_idle_items(db, db.get(User, world.users["mgr_health"].id),
                        [a.id for a in add_assets(db, world.health, world.chair, 4)], title="闲置会议椅")
    token = _token(http, "staff_edu")
    for params in ({"q": "会议椅"}, {"q": "hyy", "sort": "distance"}, {}, {"tier": "rental", "page": "1"}):
        r = http.get("/api/search", params=params, headers={"Authorization": f"Bearer {token}"})
        with session_scope() as db:
            result = browse.search_pool(db, db.get(User, world.users["staff_edu"].id), params)
        hits = [h | {"condition": (h.get("conditions") or [None])[0]} for h in result.hits]
        assert r.json() == json.loads(json.dumps({"total": result.total, "hits": hits, "facets": result.facets}))


def _age_cached_token(token: str, seconds: float) -> None:
    """Make the remembered entry of ``token`` as old as ``seconds``."""
    import dataclasses
    import time

    from market.infra import principals

    p = principals.cached_for_token(token)
    assert p is not None
    principals._cache[("token", token)] = dataclasses.replace(p, read_at=time.monotonic() - seconds)


def _concurrent_searches(live_server: str, token: str, n: int) -> list[int]:
    """``n`` searches at once, each on a connection of its own."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    barrier = threading.Barrier(n)

    def one(_: int) -> int:
        with httpx.Client(base_url=live_server, timeout=30) as client:
            barrier.wait()
            return _search(client, token).status_code

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def _token_reads(clean_db: str):  # noqa: ANN202
    """A list that fills with the statements reading a bearer token, while the context is open."""
    from contextlib import contextmanager

    from sqlalchemy import event

    from market.infra.db import get_engine

    @contextmanager
    def watching():
        seen: list[str] = []

        def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
            if "token_hash" in statement:
                seen.append(statement)

        engine = get_engine(clean_db)
        event.listen(engine, "before_cursor_execute", count)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", count)

    return watching()


def test_an_ageing_asker_is_read_again_by_one_request_while_the_others_answer(http, world, clean_db,
                                                                            live_server, monkeypatch):
    """Past REFRESH_SECONDS one request reads the token again; the other connections of the same client go
    on answering from memory — not one database read per connection when the entry expires."""
    from market.infra import principals

    # the entry must not expire while the 20 searches run, however slow the machine: only the refresh is tested
    monkeypatch.setattr(principals, "TTL_SECONDS", 60.0)
    token = _token(http, "staff_edu")
    assert _search(http, token).status_code == 200
    _age_cached_token(token, principals.REFRESH_SECONDS + 0.5)
    with _token_reads(clean_db) as reads:
        codes = _concurrent_searches(live_server, token, 20)
    assert codes == [200] * 20
    assert len(reads) == 1
    fresh = principals.cached_for_token(token)
    assert fresh is not None and not principals.refresh_due(fresh)  # read again: young once more


def test_a_refresh_that_finds_the_token_revoked_drops_it_before_the_ttl(http, world, clean_db, monkeypatch):
    """A revocation committed by another process is seen at the next refresh (REFRESH_SECONDS), not only
    when the entry expires."""
    from sqlalchemy import update

    from market.infra import principals
    from market.infra.db import get_engine
    from market.infra.principals import digest

    monkeypatch.setattr(principals, "TTL_SECONDS", 60.0)  # far from expiry: only the refresh can see it
    token = _token(http, "staff_edu")
    assert _search(http, token).status_code == 200
    with get_engine(clean_db).begin() as conn:
        conn.execute(update(ApiToken.__table__).where(ApiToken.__table__.c.token_hash == digest(token))
                     .values(revoked=True))
    _age_cached_token(token, principals.REFRESH_SECONDS + 0.5)  # still trusted
    assert _search(http, token).status_code == 401  # this request read it again
    assert principals.cached_for_token(token) is None
    assert _search(http, token).status_code == 401


def test_refresh_is_claimed_once_per_entry(db, world):
    import dataclasses
    import time

    from market.infra import principals

    token = issue_token(db, world.users["staff_edu"])
    db.commit()
    p = principals.for_token(db, token)
    assert p is not None and not principals.refresh_due(p)  # young
    old = dataclasses.replace(p, read_at=time.monotonic() - principals.REFRESH_SECONDS)
    principals._cache[("token", token)] = old
    assert principals.refresh_due(old) is True
    assert principals.refresh_due(old) is False  # claimed: the others answer from the entry
    again = principals.for_token(db, token, again=True)
    assert again is not None and again is not old and principals.cached_for_token(token) is again


# --- the search API's query string, read without Starlette's multidict ------------------------------------

def _scope_request(raw: bytes):  # noqa: ANN202
    from starlette.requests import Request

    return Request({"type": "http", "method": "GET", "path": "/api/search", "query_string": raw, "headers": []})


def test_query_dict_reads_what_starlette_reads():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from web.params import query_dict

    pieces = st.sampled_from(["q", "sort", "page", "=", "&", "+", "%", "%E4%BC%9A", "%e6%a4%85", "%2B", "%26",
                              "%3D", "%00", "%zz", "%E4", "a", "1", " ", "会", "é", "\x7f", ""])

    @settings(max_examples=400, deadline=None, database=None)
    @given(st.lists(pieces, max_size=12))
    def same(parts):  # noqa: ANN001, ANN202
        raw = "".join(parts).encode("utf-8")
        request = _scope_request(raw)
        assert query_dict(request) == dict(request.query_params.items()), raw

    same()
    assert query_dict(_scope_request(b"q=a&q=b&district=%E9%94%A6%E5%9F%8E%E5%8C%BA&x")) == {
        "q": "b", "district": "锦城区", "x": ""}
