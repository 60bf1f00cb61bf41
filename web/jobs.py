"""Long work in the background with progress a page can show: one JSON file per job in the data
directory, so every app worker (and a restarted one) sees the same state."""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from market.config import settings


def _dir() -> Path:
    path = settings().data_dir / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(job_id: str) -> Path:
    if not job_id.isalnum() or len(job_id) > 40:
        raise KeyError(job_id)
    return _dir() / f"{job_id}.json"


def read(job_id: str) -> dict[str, Any] | None:
    try:
        return json.loads(_path(job_id).read_text(encoding="utf-8"))
    except (KeyError, FileNotFoundError, json.JSONDecodeError):
        return None


def write(job_id: str, state: dict[str, Any]) -> None:
    path = _path(job_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)  # readers never see half a file


def start(owner_id: int, kind: str, work: Callable[[Callable[[int, int], None]], dict[str, Any]]) -> str:
    """Run ``work(progress)`` in a thread; its returned dict (or error) is kept as the job's result."""
    job_id = secrets.token_hex(12)
    state: dict[str, Any] = {"id": job_id, "owner": owner_id, "kind": kind, "status": "running", "done": 0,
                             "total": 0, "result": None}
    write(job_id, state)
    last = [0]

    def progress(done: int, total: int) -> None:
        if done == total or done - last[0] >= max(1, total // 50):  # about 50 writes a job
            last[0] = done
            write(job_id, state | {"done": done, "total": total})

    def run() -> None:
        try:
            result = work(progress)
            write(job_id, state | {"status": "done", "done": result.get("total", 0), "total": result.get("total", 0),
                                   "result": result})
        except Exception as exc:  # noqa: BLE001  the job's page shows it; the thread must not die silently
            write(job_id, state | {"status": "failed", "result": {"message": getattr(exc, "message", None)
                                                                  or "服务器内部错误，导入未完成，未写入任何数据。"}})

    threading.Thread(target=run, name=f"job-{job_id}", daemon=True).start()
    return job_id
