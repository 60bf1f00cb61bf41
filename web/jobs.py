"""Long work in the background with progress a page can show: one JSON file per job in the data
directory, so every app worker (and a restarted one) sees the same state.

At most ``JOB_CONNECTIONS`` jobs of a process run at once — the database connections its pool keeps for
them beside the request threads (``market.infra.db``). A job started beyond that is "queued" and starts when one
ends, so many imports at once wait their turn instead of running out of connections.

A job records the process running it. A process that dies (a crash, SIGKILL, a restart) cannot write its
job's end, so ``read`` reports a running job whose process is gone as failed: its work was one transaction,
rolled back with the process, so nothing was written.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.exc import TimeoutError as PoolTimeout

from market.errors import NotFound, PermissionDenied
from market.infra.config import settings
from market.infra.db import JOB_CONNECTIONS


def _dir() -> Path:
    path = settings().data_dir / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(job_id: str) -> Path:
    if not job_id.isalnum() or len(job_id) > 40:
        raise KeyError(job_id)
    return _dir() / f"{job_id}.json"


INTERRUPTED = "导入被中断（服务进程已退出或重启），未写入任何数据，请重新导入。"
FAILED = "服务器内部错误，导入未完成，未写入任何数据。"
BUSY = "数据库连接繁忙，导入未写入任何数据，请稍后重新导入。"
_slots = threading.BoundedSemaphore(JOB_CONNECTIONS)  # jobs of this process running at once


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), which tells a reused pid apart;
    "" where /proc is not there; None for no such process or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    return None if fields[0] in ("Z", "X") else fields[19]


def _this_process() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or ''}"


def _alive(process: str) -> bool:
    host, pid, started = process.rsplit(":", 2)
    if host != socket.gethostname():
        return True  # a worker on another machine: cannot tell from here
    now = _start_time(int(pid))
    if now == "":  # no /proc: ask the kernel whether the pid exists
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # it exists, under another user: alive
        return True
    return now is not None and (not started or now == started)


def read(job_id: str) -> dict[str, Any] | None:
    try:
        state = json.loads(_path(job_id).read_text(encoding="utf-8"))
    except (KeyError, FileNotFoundError, json.JSONDecodeError):
        return None
    if state.get("status") in ("queued", "running") and state.get("process") and not _alive(state["process"]):
        return state | {"status": "failed", "result": {"message": INTERRUPTED}}
    return state


def write(job_id: str, state: dict[str, Any]) -> None:
    path = _path(job_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)  # readers never see half a file


def start(owner_id: int, kind: str, work: Callable[[Callable[[int, int], None]], dict[str, Any]]) -> str:
    """Run ``work(progress)`` in a thread, once a slot is free ("queued" until then); its returned dict (or
    error) is kept as the job's result."""
    job_id = secrets.token_hex(12)
    state: dict[str, Any] = {"id": job_id, "owner": owner_id, "kind": kind, "status": "queued", "done": 0,
                             "total": 0, "result": None, "process": _this_process()}
    write(job_id, state)
    last = [0]

    def progress(done: int, total: int) -> None:
        if done == total or done - last[0] >= max(1, total // 50):  # about 50 writes a job
            last[0] = done
            write(job_id, state | {"done": done, "total": total})

    def run() -> None:
        with _slots:
            state["status"] = "running"
            write(job_id, state)
            try:
                result = work(progress)
                write(job_id, state | {"status": "done", "done": result.get("total", 0),
                                       "total": result.get("total", 0), "result": result})
            except PoolTimeout:
                write(job_id, state | {"status": "failed", "result": {"message": BUSY}})
            except Exception as exc:  # noqa: BLE001  the job's page shows it; the thread must not die silently
                write(job_id, state | {"status": "failed", "result": {"message": getattr(exc, "message", None)
                                                                      or FAILED}})

    threading.Thread(target=run, name=f"job-{job_id}", daemon=True).start()
    return job_id


def owned(job_id: str, user_id: int) -> dict[str, Any]:
    """A job's state for the person who started it (the status page and the API alike)."""
    state = read(job_id)
    if state is None:
        raise NotFound("导入任务不存在或已过期。")
    if state["owner"] != user_id:
        raise PermissionDenied("只能查看自己发起的导入。")
    return state
