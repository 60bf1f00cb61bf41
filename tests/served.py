"""A real server process for tests: ``python -m web.cli serve`` on a free loopback port, with a data directory and
a database of the test's choosing, its resident memory read from /proc."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEADLINE = 120.0  # seconds any one wait may take before the test gives up (not a timing assertion)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def cli_env(data: Path, url: str, **extra: str) -> dict[str, str]:
    env = os.environ.copy()
    env["GONGWUCANG_DATA"] = str(data)
    env["DATABASE_URL"] = url
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def cli(data: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    """``gongwucang ARGS`` (this checkout's code) as a process of its own."""
    return subprocess.run([sys.executable, "-m", "web.cli", *args], cwd=ROOT, env=cli_env(data, url),
                          capture_output=True, text=True, timeout=DEADLINE)


class Served:
    """``gongwucang serve`` (one worker: the process that answers is the one started) in a process group."""

    def __init__(self, data: Path, url: str, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "web.cli", "serve", "--host", HOST, "--port",
                                      str(self.port)], cwd=ROOT, env=cli_env(data, url, **env),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        deadline = time.monotonic() + DEADLINE
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}: {self.proc.stderr.read()}")
            try:
                if httpx.get(f"{self.base}/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0)  # not listening yet: the loop waits and asks again
            if time.monotonic() > deadline:
                raise AssertionError(f"server not ready within {DEADLINE:.0f} s")
            time.sleep(0.1)

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def client(self, **kw) -> httpx.Client:  # noqa: ANN003
        return httpx.Client(base_url=self.base, timeout=DEADLINE, **kw)

    def token(self, username: str, password: str) -> str:
        r = httpx.post(f"{self.base}/api/session", json={"username": username, "password": password},
                       timeout=DEADLINE)
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=DEADLINE)

    def kill(self) -> None:
        """SIGKILL, as a crash would: the kernel drops the process's locks."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=DEADLINE)

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
