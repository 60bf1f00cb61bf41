"""``gongwucang serve --workers 2`` as a real process: a listening socket per worker, connections spread over
both, a killed worker replaced on its own socket, SIGTERM stops everything, a port in use is one line.

Workers and their sockets are read from Linux's /proc (children of the server process, their socket inodes,
and /proc/net/tcp), so these tests run only where SO_REUSEPORT spreads connections (Linux).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from web.serve import REUSEPORT_SPREADS

pytestmark = pytest.mark.skipif(not REUSEPORT_SPREADS, reason="needs Linux's SO_REUSEPORT and /proc")

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEADLINE = 60.0  # seconds any one wait may take before the test gives up (not a timing assertion)
LISTEN, ESTABLISHED = "0A", "01"  # states in /proc/net/tcp


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def gwc_env(data: Path) -> dict[str, str]:
    env = os.environ.copy()  # DATABASE_URL (SQLite or the PostgreSQL leg's schema), GONGWUCANG_SECRET, …
    env["GONGWUCANG_DATA"] = str(data)
    return env


class Served:
    """``gongwucang serve --workers N`` on a free loopback port, in a process group of its own."""

    def __init__(self, data: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "web.cli", "serve", "--workers", str(workers),
                                      "--host", HOST, "--port", str(self.port)], cwd=ROOT, env=gwc_env(data),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)

    def workers(self) -> list[int]:
        """Pids of the worker processes (multiprocessing's resource tracker is a child too, not a worker)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != self.proc.pid:
                    continue
                if b"spawn_main" in (stat.parent / "cmdline").read_bytes():
                    pids.append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue  # the process went away meanwhile
        return sorted(pids)

    def wait_until(self, ready, what: str):  # noqa: ANN001, ANN201
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"server exited with {self.proc.returncode}: {self.proc.stderr.read()}"
            if result := ready():
                return result
            time.sleep(0.1)
        raise AssertionError(f"{what} within {DEADLINE:.0f} s")

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=DEADLINE)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture()
def served(database_url: str, tmp_path: Path):
    server = Served(tmp_path / "data")
    try:
        server.wait_until(lambda: len(server.workers()) == 2, "two workers")
        assert get(server.connect(), "/login") == 200  # migrated, started, answering
        yield server
    finally:
        server.stop()


def get(conn: http.client.HTTPConnection, path: str) -> int:
    """One request on a keep-alive connection; the connection stays open."""
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    return resp.status


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def tcp_sockets(port: int, state: str) -> set[int]:
    """Inodes of the IPv4 TCP sockets on local port ``port`` in ``state``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            inodes.add(int(fields[9]))
    return inodes


def listening_socket(server: Served, pid: int) -> int:
    (inode,) = socket_inodes(pid) & tcp_sockets(server.port, LISTEN)
    return inode


def test_each_worker_has_its_own_socket_and_connections_reach_both(served):
    workers = served.workers()
    listening = {pid: listening_socket(served, pid) for pid in workers}
    assert len(set(listening.values())) == 2, "each worker listens on a socket of its own"
    assert set(listening.values()) <= socket_inodes(served.proc.pid), "the supervisor keeps them listening"

    conns = [served.connect() for _ in range(40)]
    try:
        assert [get(conn, "/login") for conn in conns] == [200] * 40
        established = tcp_sockets(served.port, ESTABLISHED)
        held = {pid: len(socket_inodes(pid) & established) for pid in workers}
        assert sum(held.values()) >= 40
        # 40 connections hashed over two sockets all reaching one worker: probability 2^-39
        assert all(n > 0 for n in held.values()), held
    finally:
        for conn in conns:
            conn.close()


def test_a_killed_worker_is_replaced_on_its_own_socket(served):
    workers = served.workers()
    victim, survivor = workers
    victim_socket = listening_socket(served, victim)
    os.kill(victim, signal.SIGKILL)
    replacement = served.wait_until(lambda: [p for p in served.workers() if p not in workers], "a replacement")[0]
    assert sorted(served.workers()) == sorted([survivor, replacement])
    assert listening_socket(served, replacement) == victim_socket
    # new connections land on both sockets again: none refused, every one answered
    conns = [served.connect() for _ in range(20)]
    try:
        assert [get(conn, "/login") for conn in conns] == [200] * 20
    finally:
        for conn in conns:
            conn.close()


def test_sigterm_stops_the_server_and_its_workers(served):
    workers = served.workers()
    conn = served.connect()
    assert get(conn, "/login") == 200  # an idle keep-alive connection does not hold up the stop
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=10) == 0
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    conn.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((HOST, served.port), timeout=5).close()


@pytest.mark.parametrize("reuseport", [False, True], ids=["plain listener", "SO_REUSEPORT listener"])
@pytest.mark.parametrize("workers", [2, 1])
def test_a_port_in_use_is_one_line(database_url, tmp_path, reuseport, workers):
    """Also a listener of the same user with SO_REUSEPORT, which the workers' sockets would silently join."""
    with socket.socket() as other:
        if reuseport:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind((HOST, 0))
        other.listen()
        port = other.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "web.cli", "serve", "--workers", str(workers), "--host", HOST,
                            "--port", str(port)], cwd=ROOT, env=gwc_env(tmp_path / "data"), capture_output=True,
                           text=True, timeout=DEADLINE)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == f"gongwucang: 端口 {port} 已被占用：{HOST}:{port} 上已有程序在监听，请换一个端口（--port）或先停止它。"
