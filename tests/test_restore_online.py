"""``gongwucang restore`` while the app serves (issue 14, finding 1): with a real server and four clients writing,
the restore refuses in one Chinese line (exit 2) and changes nothing; every write the server acknowledged, before
and after the attempt, is in the database. Once the server is gone (SIGKILL: the kernel drops its lock), the
restore runs, and the database it replaced — kept beside it — still holds every acknowledged write.

On PostgreSQL the same refusal while the app runs; with the app stopped, one line pointing to pg_restore.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from factories import PASSWORD, build_world
from served import Served, cli
from sqlalchemy import text

from market.infra.backup import backup
from market.infra.db import dispose_engines, session_scope, upgrade

CLIENTS = 4


def _acknowledged_writes(server: Served, stop: threading.Event, acked: list[str], failures: list[str]) -> None:
    token = server.token("staff_edu", PASSWORD)
    with server.client(headers={"Authorization": f"Bearer {token}"}) as c:
        n = 0
        while not stop.is_set():
            title = f"心愿-{threading.get_ident()}-{n}"
            r = c.post("/api/wishes", json={"title": title, "keywords": "会议椅"})
            if r.status_code == 200:
                acked.append(title)
            else:
                failures.append(f"{r.status_code} {r.text[:200]}")
            n += 1


def _titles(url: str) -> set[str]:
    with session_scope(url) as db:
        return set(db.exec(text("SELECT title FROM wish")).scalars())


def test_restore_refuses_while_served_and_no_acknowledged_write_is_lost(fresh_database_url, tmp_path):
    url = fresh_database_url
    sqlite = url.startswith("sqlite")
    upgrade(url)
    with session_scope(url, write=True) as db:
        build_world(db)
        db.commit()
    data = tmp_path / "data"
    b1 = backup(tmp_path / "b1.db", url) if sqlite else None
    acked: list[str] = []
    failures: list[str] = []
    stop = threading.Event()
    with Served(data, url) as server:
        writers = [threading.Thread(target=_acknowledged_writes, args=(server, stop, acked, failures))
                   for _ in range(CLIENTS)]
        for w in writers:
            w.start()
        while len(acked) < 40:
            time.sleep(0.05)
        before = len(acked)
        refused = cli(data, url, "restore", str(b1 or tmp_path / "b1.dump"))
        during = len(acked)
        while len(acked) < during + 40:  # the server goes on acknowledging after the refusal
            time.sleep(0.05)
        stop.set()
        for w in writers:
            w.join()
        print(f"\nrestore while serving: exit {refused.returncode}, {refused.stderr.strip()!r}; "
              f"writes acknowledged before it {before}, in all {len(acked)}, failed {len(failures)}")
        assert refused.returncode == 2
        assert refused.stderr.count("\n") == 1 and "正在使用数据目录" in refused.stderr and "请先停止服务" in refused.stderr
        assert not failures
    dispose_engines()  # the test's own pool must not hide what is in the file
    stored = _titles(url)
    assert set(acked) <= stored, f"{len(set(acked) - stored)} acknowledged writes are not in the database"

    after = cli(data, url, "restore", str(b1 or tmp_path / "b1.dump"))  # the server is gone: its lock too
    print(f"restore after SIGKILL of the server: exit {after.returncode}, {(after.stdout or after.stderr).strip()!r}")
    if sqlite:
        assert after.returncode == 0, after.stderr
        dispose_engines()  # connections opened before the restore still read the replaced file
        assert _titles(url) == set()  # the backup was taken before any wish
        kept = Path(after.stdout.split("另存为 ", 1)[1].split("）", 1)[0])
        conn = sqlite3.connect(kept)
        try:
            in_kept = {row[0] for row in conn.execute("SELECT title FROM wish")}
        finally:
            conn.close()
        assert set(acked) <= in_kept  # nothing acknowledged is lost: the replaced database is kept whole
    else:
        assert after.returncode == 2 and "pg_restore" in after.stderr and after.stderr.count("\n") == 1
        assert set(acked) <= _titles(url)
