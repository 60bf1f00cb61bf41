"""Backup and restore of the SQLite database: a restored backup holds every record."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from factories import add_assets
from sqlmodel import func, select

from market.errors import InvalidInput
from market.infra.backup import backup, check_backup, restore
from market.infra.config import settings
from market.infra.db import session_scope
from market.models import Asset, Event, Unit

pytestmark = pytest.mark.skipif(not settings().is_sqlite, reason="SQLite backups; PostgreSQL uses pg_dump")


def _counts(url):
    with session_scope(url) as db:
        return tuple(db.exec(select(func.count()).select_from(t)).one() for t in (Unit, Asset, Event))


def test_backup_while_writing_then_restore(clean_db, db, world, tmp_path):
    add_assets(db, world.edu, world.chair, 200)
    db.commit()
    stop = threading.Event()

    def writer() -> None:  # keeps writing while the backup copies pages
        n = 0
        while not stop.is_set():
            with session_scope(write=True) as s:
                add_assets(s, world.health, world.laptop, 5, prefix=f"W{n}")
                s.commit()
            n += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        copy = backup(tmp_path / "b.db")
    finally:
        stop.set()
        t.join()
    assert check_backup(copy) == 3
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT count(*) FROM asset WHERE tag LIKE 'JYJ-%'").fetchone()[0] == 200
    conn.close()
    before_restore = _counts(clean_db)
    live = tmp_path / "live.db"
    restore(copy, f"sqlite:///{live}")
    restored = _counts(f"sqlite:///{live}")
    assert restored[0] == before_restore[0] and restored[1] >= 200 and restored[2] == before_restore[2]


def test_restore_refuses_files_that_are_not_backups(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InvalidInput, match="不是公物仓"):
        restore(junk, f"sqlite:///{tmp_path / 'live.db'}")
    with pytest.raises(InvalidInput, match="不存在"):
        check_backup(tmp_path / "missing.db")
