"""The schema lives in Alembic migrations: the models match them, and an upgrade keeps existing data."""

from __future__ import annotations

import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from market.infra.db import alembic_config, get_engine, upgrade
from market.models import metadata


def test_models_and_migrations_agree(database_url):
    with get_engine(database_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_keeps_existing_data(fresh_database_url):
    url = fresh_database_url
    upgrade(url, "0001")
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO unit (id, code, name, short_name, district, address, lat, lng, contact, phone, is_bureau,"
            " created_at) VALUES (1, 'JYJ', '市教育局', '', '涪城区', '', 31.4, 104.7, '', '', false, CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO category (id, code, catalogue, name, measure_unit, transport_rate, reference_price,"
            " typical_weight_kg, is_leaf) VALUES (1, 'A05010201', 'GB/T 14885-2022', '会议椅', '把', 0.8, 350, 8,"
            " true)"))
        for i in (1, 2):
            conn.execute(text(
                "INSERT INTO poollisting (id, title, description, category_id, holder_unit_id, mode, handling_cost,"
                " status, created_at, updated_at) VALUES (:i, '闲置会议椅', '', 1, 1, 'both', 0, 'active',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"i": i})
        conn.execute(text(
            "INSERT INTO asset (id, tag, epc, name, category_id, brand, model, owner_unit_id, custodian,"
            " responsible_person, location, condition, original_value, photos, status, confidential, listing_id,"
            " created_at, updated_at) VALUES (1, 'JYJ-2020-000001', 'ABC', '会议椅', 1, '震旦', 'AD-1', 1, '', '',"
            " '', '良好', 300.00, '[]', 'listed', false, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    upgrade(url)
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        assert conn.execute(text("SELECT name FROM unit")).scalar() == "市教育局"
        assert conn.execute(text("SELECT tag, original_value FROM asset")).one() == ("JYJ-2020-000001", 300)
        # the upgrade queues every listing that existed before for the search index
        assert sorted(conn.execute(text("SELECT listing_id FROM searchoutbox")).scalars()) == [1, 2]


def test_upgrade_turns_rules_into_one_step_chains(fresh_database_url):
    """0009: an approval rule of one role becomes a chain of that one role (issue 16.6); the downgrade keeps it."""
    from alembic import command

    url = fresh_database_url
    upgrade(url, "0006")
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO approvalrule (action, min_value, role) VALUES ('loan', 1000, 'finance')"))
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT action, min_value, steps FROM approvalrule")).all()
    assert [(a, int(v)) for a, v, _ in rows] == [("loan", 1000)]
    steps = rows[0][2]
    assert (steps if isinstance(steps, list) else json.loads(steps)) == ["finance"]
    command.downgrade(alembic_config(url), "0006")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT role FROM approvalrule")).scalar() == "finance"
