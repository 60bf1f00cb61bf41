"""The demo city: counts in range, coherent pool, deterministic, accounts that work, work for the admin."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from market.accounts import authenticate
from market.db import get_engine, session_scope
from market.demo import DEMO_ACCOUNTS, build_demo
from market.models import Asset, DamageRecord, Event, Order, PoolListing, Request, metadata

TODAY = date(2026, 11, 23)


def _wipe(url: str) -> None:
    engine = get_engine(url)
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        else:
            for t in tables:
                conn.exec_driver_sql(f'DELETE FROM "{t}"')
            if conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'").first():
                conn.exec_driver_sql("DELETE FROM sqlite_sequence")


def _fingerprint(url: str) -> list[tuple]:
    with session_scope(url) as db:
        return [tuple(r) for r in db.execute(
            select(Asset.tag, Asset.name, Asset.brand, Asset.model, Asset.original_value, Asset.status,
                   Asset.listing_id).order_by(Asset.id))]


@pytest.fixture(scope="module")
def demo(database_url: str):
    _wipe(database_url)
    with session_scope(database_url, write=True) as db:
        summary = build_demo(db, seed=2026, today=TODAY)
    yield database_url, summary, _fingerprint(database_url)
    _wipe(database_url)


def test_counts_in_expected_ranges(demo):
    _, s, _ = demo
    assert 55 <= s.units <= 65 and s.warehouses == 2 and 40 <= s.categories <= 60
    assert 7000 <= s.assets <= 9500
    assert s.listings > 100 and 8 <= s.vendors <= 12 and s.offers > 30
    assert s.requests >= 45 and s.orders > 100 and s.events > s.assets


def test_pool_is_coherent_with_the_ledger(demo):
    url, _, _ = demo
    with session_scope(url) as db:
        assert db.execute(select(func.count()).select_from(Asset).where(
            Asset.confidential.is_(True), Asset.listing_id.is_not(None))).scalar_one() == 0
        assert db.execute(select(func.count()).select_from(Asset).where(Asset.confidential.is_(True))).scalar_one() > 0
        with_items = select(Asset.listing_id).where(Asset.listing_id.is_not(None))
        assert db.execute(select(func.count()).select_from(PoolListing).where(
            PoolListing.status == "active", PoolListing.id.not_in(with_items))).scalar_one() == 0
        bad = db.execute(select(func.count()).select_from(Asset).where(
            Asset.listing_id.is_not(None), Asset.status.not_in(["listed", "reserved", "on_loan"]))).scalar_one()
        assert bad == 0
        logged = select(Event.entity_id).where(Event.entity == "asset")
        assert db.execute(select(func.count()).select_from(Asset).where(Asset.id.not_in(logged))).scalar_one() == 0


def test_admin_has_work_and_history_has_damage(demo):
    url, _, _ = demo
    with session_scope(url) as db:
        statuses = dict(db.execute(select(Request.status, func.count()).group_by(Request.status)).all())
        assert statuses.get("submitted", 0) > 0 and statuses.get("approved", 0) > 0
        assert db.execute(select(func.count()).select_from(Order).where(Order.status == "returned")).scalar_one() > 0
        causes = {c for (c,) in db.execute(select(DamageRecord.cause))}
        assert causes == {"user", "wear"}
        assert db.execute(select(func.count()).select_from(Order).where(
            Order.kind == "allot", Order.status == "pending")).scalar_one() == 1


def test_demo_accounts_sign_in(demo):
    url, _, _ = demo
    with session_scope(url) as db:
        for username, _label, password in DEMO_ACCOUNTS:
            assert authenticate(db, username, password).username == username


def test_same_seed_gives_the_same_city(demo):
    url, summary, first = demo
    _wipe(url)
    with session_scope(url, write=True) as db:
        again = build_demo(db, seed=2026, today=TODAY)
    assert again.assets == summary.assets
    assert _fingerprint(url) == first


def test_a_year_of_proposals_feeds_the_dashboard(demo):
    from market import stats
    from market.models import Proposal, User

    url, _, _ = demo
    with session_scope(url) as db:
        months = {p.accepted_at.strftime("%Y-%m") for p in db.execute(select(Proposal).where(
            Proposal.status == "accepted")).scalars()}
        assert len(months) >= 8  # accepted across the year, not all at build time
        finance = db.execute(select(User).where(User.username == "czj")).scalar_one()
        d = stats.dashboard(db, finance)
        assert len(d.months) >= 8 and d.idle_categories and d.utilisation
        fig = {f.label: f.value for f in d.figures}
        assert fig["节约资金（相对新购）"] != "¥0.00"
