"""Run a function on untrusted input in a process of its own, with a memory and a time limit (issue 14,
finding 2): reading an uploaded workbook can cost far more memory than the file's size, and whatever the
readers' own limits miss must not grow the server. The server keeps only the function's result.

``run(function, *args)`` starts ``python -m market.infra.worker``, sends ``(module, name, args)`` pickled on
its stdin, and reads ``("ok", result)`` or ``("error", …)`` pickled from its stdout. The child sets
``RLIMIT_AS`` (address space) and ``RLIMIT_CPU`` before it imports anything of ours; the parent also kills it
after ``TIME_LIMIT`` seconds of wall time. A ``MarketError`` raised in the child is raised again in the parent
(same class, message, field and attributes); a child that ran out of memory or time, or died, is an
``InvalidInput`` saying the file is too large or too complex. At most ``MAX_WORKERS`` children run at once in
a process; the others wait their turn.

The arguments and the result travel through pickle between this code and itself; nothing is unpickled from
anywhere else.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from market.errors import InvalidInput, MarketError

MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of address space for a child
TIME_LIMIT = 120  # seconds (CPU in the child, wall time from the parent)
MAX_WORKERS = 2  # children of one process at once
ROOT = Path(__file__).resolve().parents[2]

TOO_BIG = "文件过大或过于复杂（读取时超出了内存上限），无法导入；请删去无关的表、行和列，或拆分后分批导入。"
TOO_SLOW = f"文件过于复杂，{TIME_LIMIT} 秒内未能读完，无法导入；请删去无关的表、行和列，或拆分后分批导入。"
FAILED = "读取文件时出错，无法导入；请检查文件能否在 Excel 中正常打开。"

_slots = threading.BoundedSemaphore(MAX_WORKERS)


def run(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a bounded child process (``function`` is a module-level function)."""
    payload = pickle.dumps((function.__module__, function.__qualname__, args), protocol=pickle.HIGHEST_PROTOCOL)
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    with _slots:
        proc = subprocess.Popen([sys.executable, "-m", "market.infra.worker"], cwd=ROOT, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        late = threading.Event()

        def too_late() -> None:
            late.set()
            proc.kill()

        timer = threading.Timer(TIME_LIMIT, too_late)
        timer.start()
        err: list[bytes] = []
        drain = threading.Thread(target=lambda: err.append(proc.stderr.read()[-10_000:]), daemon=True)
        drain.start()
        try:
            try:
                with proc.stdin:
                    proc.stdin.write(payload)  # the child reads all of it before it writes anything
            except BrokenPipeError:
                payload = b""  # the child died at once: nothing more to send; its exit status below tells why
            try:
                # unpickled straight from the pipe: the answer's bytes are never held whole beside its objects
                answer = pickle.load(proc.stdout)  # noqa: S301  our own child's answer
            except (EOFError, pickle.UnpicklingError, OSError):
                answer = None
            proc.stdout.close()
            proc.wait()
            drain.join()
        finally:
            timer.cancel()
    if late.is_set():
        raise InvalidInput(TOO_SLOW, "file")
    if proc.returncode != 0 or answer is None:
        if b"MemoryError" in b"".join(err):
            raise InvalidInput(TOO_BIG, "file")
        if proc.returncode in (-9, -24):  # SIGKILL or SIGXCPU: the CPU limit
            raise InvalidInput(TOO_SLOW, "file")
        raise InvalidInput(FAILED, "file")
    kind, *rest = answer
    if kind == "ok":
        return rest[0]
    if kind == "memory":
        raise InvalidInput(TOO_BIG, "file")
    cls, args, state = rest
    exc = cls.__new__(cls)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    raise exc


def _limit() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (TIME_LIMIT, TIME_LIMIT + 5))


def _main() -> int:
    _limit()
    out = sys.stdout.buffer
    module, name, args = pickle.loads(sys.stdin.buffer.read())  # noqa: S301  from our own parent
    function: Any = importlib.import_module(module)
    for part in name.split("."):
        function = getattr(function, part)
    try:
        answer: tuple[Any, ...] = ("ok", function(*args))
    except MemoryError:
        answer = ("memory",)
    except MarketError as exc:
        answer = ("error", type(exc), exc.args, exc.__dict__)
    try:
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data = pickle.dumps(("memory",))
    out.write(data)
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
