"""Request bodies are limited while they arrive (issue 14, finding 4), against a real server process.

Three unauthenticated 100 MB bodies to ``POST /api/session`` — two with their ``Content-Length``, one chunked
(no length: counted as it arrives) — are answered 413 with a Chinese message, and the server's resident memory
stays where it was (figures printed). Per route: JSON and plain forms up to 1 MB, the ledger import's upload up
to its 20 MB.
"""

from __future__ import annotations

import json
import select
import socket
import time

import pytest
from factories import build_world
from served import HOST, Served

from market.infra.db import session_scope, upgrade

MB = 1024 * 1024
CHUNK = b"x" * (256 * 1024)


def _send(port: int, path: str, size: int, chunked: bool = False, content_type: str = "application/json",
          ) -> tuple[int, str, int, float]:
    """Send ``size`` bytes of body (stopping when the server answers or closes): (status, body, bytes sent, s)."""
    started = time.perf_counter()
    sock = socket.create_connection((HOST, port))
    head = f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {content_type}\r\n"
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {size}\r\n"
    sock.sendall((head + "\r\n").encode())
    sent = 0
    try:
        while sent < size:
            if select.select([sock], [], [], 0)[0]:
                break  # the server answered (or closed) before the body was all sent
            piece = CHUNK[: size - sent]
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
        if chunked and sent >= size:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        size = sent  # the server closed mid-body (what a refused body gets): its answer is read below
    raw = b""
    try:
        sock.settimeout(60)
        while b"\r\n\r\n" not in raw or len(raw) < raw.index(b"\r\n\r\n") + 4 + _length(raw):
            data = sock.recv(65536)
            if not data:
                break
            raw += data
    except (ConnectionResetError, TimeoutError):
        raw = raw or b""  # the server closed or went quiet: what arrived so far is the answer
    finally:
        sock.close()
    elapsed = time.perf_counter() - started
    status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else 0
    return status, raw.partition(b"\r\n\r\n")[2].decode("utf-8", "replace"), sent, elapsed


def _length(raw: bytes) -> int:
    for line in raw.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


@pytest.fixture()
def server(fresh_database_url, tmp_path):
    upgrade(fresh_database_url)
    with session_scope(fresh_database_url, write=True) as db:
        build_world(db)
        db.commit()
    with Served(tmp_path / "data", fresh_database_url) as s:
        yield s


def test_unauthenticated_100mb_bodies_get_413_and_memory_stays_flat(server):
    before = server.rss_mb()
    rows = []
    for chunked in (False, False, True):
        status, body, sent, seconds = _send(server.port, "/api/session", 100 * MB, chunked=chunked)
        rows.append((chunked, status, sent, seconds, server.rss_mb()))
        assert status == 413, body
        error = json.loads(body)["error"]
        assert error["code"] == "too_large" and "过大" in error["message"]
        assert sent < 100 * MB  # the server did not wait for the rest
    after = server.rss_mb()
    print(f"\nserver RSS before {before:.1f} MB, after three 100 MB bodies {after:.1f} MB "
          f"(+{after - before:.1f} MB)")
    for chunked, status, sent, seconds, rss in rows:
        print(f"  {'chunked' if chunked else 'Content-Length'}: {status} after {seconds * 1000:.0f} ms, "
              f"{sent / MB:.2f} MB sent, server RSS {rss:.1f} MB")
    assert after - before < 100


def test_limits_are_per_route(server):
    # JSON under the limit reaches the endpoint (which refuses it for what it is, not for its size)
    status, body, _, _ = _send(server.port, "/api/session", 900_000)
    assert status == 400 and json.loads(body)["error"]["code"] == "invalid_json"
    status, body, _, _ = _send(server.port, "/api/wishes", 2 * MB, chunked=True)
    assert status == 413
    # the ledger import takes 20 MB files: 5 MB reaches the page (refused there: not a well-formed form)
    status, body, _, _ = _send(server.port, "/imports", 5 * MB, content_type="multipart/form-data; boundary=x")
    assert status == 400
    status, body, _, _ = _send(server.port, "/imports", 25 * MB, content_type="multipart/form-data; boundary=x")
    assert status == 413 and "提交的内容过大（此处上限 20 MB）" in body
    status, body, _, _ = _send(server.port, "/login", 2 * MB, content_type="application/x-www-form-urlencoded")
    assert status == 413 and "提交的内容过大" in body
