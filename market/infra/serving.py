"""Who is using the data directory: a lock file every app process (and every command that writes) holds shared
for as long as it runs, and ``restore`` takes exclusive.

The lock is a POSIX record lock (``fcntl.lockf``) on ``$GONGWUCANG_DATA/serving.lock``. The kernel drops it
when the process ends, however it ends (SIGKILL included), so a crashed server never leaves a stale lock and
there is no pid file to go out of date. Record locks belong to the process, not to the file descriptor: a
process never conflicts with itself, so a test that serves the app in-process can still restore in-process,
while any *other* process holding the lock makes ``restore`` refuse.

A process that starts while a restore runs waits for it to end (a few seconds) and then opens the restored
database.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from market.errors import Conflict
from market.infra.config import settings

log = logging.getLogger("gongwucang.serving")
LOCK_NAME = "serving.lock"
IN_USE = ("公物仓服务（或其他 gongwucang 命令）正在使用数据目录 {dir}：请先停止服务，再恢复备份；"
          "未做任何改动。")

_fds: dict[Path, int] = {}  # lock file → the one descriptor this process keeps open on it
_shared: set[Path] = set()  # lock files this process holds shared (for as long as it lives)
_guard = threading.Lock()


def lock_path(data_dir: Path | None = None) -> Path:
    return (data_dir or settings().data_dir) / LOCK_NAME


def _fd(path: Path) -> int:
    # One descriptor per file and process, never closed: closing *any* descriptor of a file drops all of the
    # process's record locks on it.
    fd = _fds.get(path)
    if fd is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _fds[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return fd


def hold_shared(data_dir: Path | None = None) -> None:
    """Mark this process as using the data directory until it exits (waits while a restore runs)."""
    path = lock_path(data_dir)
    with _guard:
        if path in _shared:
            return
        fd = _fd(path)
        try:
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            log.warning("数据目录 %s 正在恢复备份，等待恢复完成后再启动……", path.parent)
            fcntl.lockf(fd, fcntl.LOCK_SH)
        _shared.add(path)


@contextmanager
def exclusive(data_dir: Path | None = None) -> Iterator[None]:
    """Hold the data directory alone (no other process serving or writing), or raise ``Conflict`` at once."""
    path = lock_path(data_dir)
    with _guard:
        fd = _fd(path)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise Conflict(IN_USE.format(dir=path.parent)) from None
        try:
            yield
        finally:
            # back to what this process held before: shared if it serves, nothing otherwise
            fcntl.lockf(fd, fcntl.LOCK_SH if path in _shared else fcntl.LOCK_UN)
