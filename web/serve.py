"""Serving an ASGI app with uvicorn: one worker in this process, or N worker processes with a socket each.

Why a socket per worker: uvicorn's own multiprocess mode binds one listening socket that every worker accepts
from, and an asyncio worker accepts up to a whole backlog each time it wakes. Under a burst of keep-alive
connections (wrk's 50, or nginx's upstream keep-alive pool) the worker that wakes first takes nearly all of
them: measured 98 % / 2 % CPU over two workers, and a p99 three times as long. Here each worker has its own
listening socket, all bound to the same address with SO_REUSEPORT, and the kernel spreads new connections over
them by a hash of the connection's addresses and ports.

SO_REUSEPORT's hazard: a socket of the same user bound with it to the same address joins the group silently,
so a server started on a port another server (of the same user, with SO_REUSEPORT) already listens on would
share that port's connections instead of failing. So the address is first bound once without SO_REUSEPORT,
which fails on a port in use, and that becomes one clear line.

The supervisor reuses uvicorn's worker (``uvicorn.supervisors.multiprocess.Process``: a spawned process that
serves the sockets it is given and answers health-check pings). The supervisor keeps every socket listening;
a worker that dies or stops answering is replaced on its own socket, so the connections queued on that socket
wait for the replacement instead of being refused.
"""

from __future__ import annotations

import errno
import logging
import signal
import socket
import sys
import time

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

logger = logging.getLogger("uvicorn.error")

# Linux spreads connections over SO_REUSEPORT sockets; BSD and macOS do not, Windows has no such option.
REUSEPORT_SPREADS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGQUIT") if hasattr(signal, name))


class PortUnavailable(Exception):
    """The address cannot be listened on (in use, or not ours); the message is one line in Chinese."""


def serve(app: str, *, host: str, port: int, workers: int = 1, factory: bool = False,
          log_level: str = "warning", proxy_headers: bool = True, forwarded_allow_ips: str = "127.0.0.1") -> None:
    """Serve ``app`` ("module:attribute") on host:port until SIGINT/SIGTERM; ``PortUnavailable`` up front."""
    options = {"host": host, "port": port, "factory": factory, "log_level": log_level,
               "proxy_headers": proxy_headers, "forwarded_allow_ips": forwarded_allow_ips}
    check_port_free(host, port)
    if workers == 1 or not REUSEPORT_SPREADS:
        uvicorn.run(app, workers=workers, **options)  # several workers here share uvicorn's one socket
        return
    config = uvicorn.Config(app, workers=workers, **options)
    sockets: list[socket.socket] = []
    try:
        for _ in range(workers):
            sockets.append(_listening_socket(config))
        _supervise(config, sockets)
    finally:
        for sock in sockets:
            sock.close()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_port_free(host: str, port: int) -> None:
    """Bind host:port once without SO_REUSEPORT: fails if anything listens there, even with SO_REUSEPORT."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR as uvicorn binds: connections of a previous run left in TIME_WAIT do not make the port
        # "in use", while a listening socket still does (on Linux, with or without the option).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortUnavailable(f"端口 {port} 已被占用：{host}:{port} 上已有程序在监听，请换一个端口（--port）"
                               "或先停止它。") from None
            raise PortUnavailable(f"无法在 {host}:{port} 上监听：{exc.strerror or exc}") from None


def _listening_socket(config: uvicorn.Config) -> socket.socket:
    """One worker's socket, as ``Config.bind_socket`` makes it, plus SO_REUSEPORT and listening already."""
    sock = socket.socket(_family(config.host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((config.host, config.port))
        sock.listen(config.backlog)  # listening from now on, whether or not its worker is up
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _start(config: uvicorn.Config, sock: socket.socket) -> Process:
    worker = Process(config, [sock])
    worker.start()
    return worker


def _supervise(config: uvicorn.Config, sockets: list[socket.socket]) -> None:
    """One worker per socket until a stop signal; a dead or hung worker is replaced on its own socket."""
    received: list[int] = []  # a signal handler only appends: it may interrupt the loop anywhere
    previous = {sig: signal.signal(sig, lambda sig, frame: received.append(sig)) for sig in STOP_SIGNALS}
    workers = [_start(config, sock) for sock in sockets]
    failed = None
    try:
        while not received and failed is None:
            time.sleep(0.5)
            for i, worker in enumerate(workers):
                if received or worker.is_alive(timeout=config.timeout_worker_healthcheck):
                    continue
                worker.kill()  # dead already, or hung
                worker.join()
                if worker.exitcode == STARTUP_FAILURE:  # the app cannot start: every replacement would fail too
                    failed = worker.pid
                    break
                logger.warning("工作进程 %s 已退出（退出码 %s），正在重新启动。", worker.pid, worker.exitcode)
                workers[i] = _start(config, sockets[i])
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed is not None:
        logger.error("工作进程 %s 启动失败，服务已停止。", failed)
        sys.exit(STARTUP_FAILURE)
