"""Backups of the SQLite database with SQLite's online backup API (safe while the app runs), and
restoring one, which refuses while any other process serves or writes the data directory
(``market.infra.serving``): a server that kept its open database would go on acknowledging writes into a
file the restore has just replaced. PostgreSQL is backed up with pg_dump and restored with pg_restore, the
app stopped (see the README's deployment guide); ``restore`` says so, after the same check."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from market.errors import InvalidInput
from market.infra.config import settings
from market.infra.serving import exclusive

POSTGRES = ("当前使用 PostgreSQL：请先停止服务，再用 pg_restore --clean --if-exists 恢复 pg_dump 的备份"
            "（见 README 部署指南）；未做任何改动。")


def _sqlite_path(url: str, message: str = "当前使用 PostgreSQL：请用 pg_dump / pg_restore 备份和恢复（见 README 部署指南）。",
                 ) -> Path:
    if not url.startswith("sqlite"):
        raise InvalidInput(message)
    return Path(url.split("///", 1)[1])


def backup(target: Path | None = None, url: str | None = None) -> Path:
    """Copy the live database to ``target`` (default: data/backups/gongwucang-YYYYmmdd-HHMMSS.db)."""
    source = _sqlite_path(url or settings().database_url)
    if not source.exists():
        raise InvalidInput(f"数据库文件不存在：{source}")
    if target is None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = settings().data_dir / "backups" / f"gongwucang-{stamp}.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise InvalidInput(f"备份文件已存在：{target}")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=1024)  # page by page; writers keep working in between
    finally:
        dst.close()
        src.close()
    return target


def check_backup(path: Path) -> int:
    """The number of units in a backup file, or an error if it is not a 公物仓 database."""
    if not path.is_file():
        raise InvalidInput(f"备份文件不存在：{path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise InvalidInput("备份文件已损坏（完整性检查未通过）。")
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return conn.execute("SELECT count(*) FROM unit").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise InvalidInput("该文件不是公物仓的数据库备份。") from None


def restore(path: Path, url: str | None = None) -> Path:
    """Replace the database with a backup. The current file is kept beside it. Refused (``Conflict``) while
    another process serves or writes the data directory; the lock is held until the new file is in place."""
    with exclusive():
        live = _sqlite_path(url or settings().database_url, POSTGRES)
        check_backup(path)
        return _replace(path, live)


def _replace(path: Path, live: Path) -> Path:
    kept = None
    if live.exists():
        kept = live.with_name(f"{live.name}.before-restore-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}")
        backup(kept, f"sqlite:///{live}")
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    tmp = live.with_name(live.name + ".restoring")
    shutil.copyfile(path, tmp)
    tmp.replace(live)
    return kept or live
