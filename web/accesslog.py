"""One access-log line per request: method, path, status, time taken and who asked (an operator's first look).

    2026-12-05 20:20:35,211 GET /orders/12 200 8.4ms user=5

The lines are written in batches, as a web server's access log is (nginx's ``buffer=`` and ``flush=``): at
most ``FLUSH_LINES`` lines or ``FLUSH_SECONDS`` after the first of them, and whatever is left when the app
stops. One write per line (and the ``logging`` record, formatter and flush behind it) cost every request
some 20 µs — more than the browse page's facet panel."""

from __future__ import annotations

import asyncio
import atexit
import sys
import threading
import time
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FLUSH_LINES = 200
FLUSH_SECONDS = 0.5


class Sink:
    """Lines kept until a batch is due, then written to ``stream`` together."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lines: list[str] = []
        self.timer: asyncio.TimerHandle | None = None
        self.timer_loop: asyncio.AbstractEventLoop | None = None
        self.lock = threading.Lock()  # ``flush`` may run in another thread (``disable``, at exit)
        self.lost = 0  # lines a broken stream did not take
        self._second, self._stamp = -1, ""

    def stamp(self, now: float) -> str:
        """Local time as ``logging`` writes it (``2026-12-05 20:20:35,211``), the date part made once a second."""
        second = int(now)
        if second != self._second:
            self._second, self._stamp = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._stamp},{int((now - second) * 1000):03d}"

    def add(self, line: str) -> None:
        with self.lock:
            self.lines.append(line)
            full = len(self.lines) >= FLUSH_LINES
        if full:
            self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop here: write it now
            self.flush()
            return
        # a timer of a loop that has stopped (a test's) would never fire: this loop takes it over
        if self.timer is None or self.timer_loop is not loop:
            if self.timer is not None:
                self.timer.cancel()
            self.timer, self.timer_loop = loop.call_later(FLUSH_SECONDS, self.flush), loop

    def flush(self) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            lines, self.lines = self.lines, []
        if lines:
            try:
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # stdout closed or broken: the lines are lost, never the request
                self.lost += len(lines)


sink: Sink | None = None


def enable(stream: TextIO | None = None) -> Sink:
    """Print the access log to ``stream`` (stdout by default; ``gongwucang serve`` and ``demo`` call it,
    GONGWUCANG_ACCESS_LOG=0 turns it off)."""
    global sink
    disable()
    sink = Sink(stream or sys.stdout)
    return sink


def disable() -> None:
    """Stop the access log, writing what it holds first."""
    global sink
    if sink is not None:
        sink.flush()
    sink = None


def flush() -> None:
    if sink is not None:
        sink.flush()


atexit.register(flush)


def _printable(path: str) -> str:
    """The path as one line: a control character (a decoded %0A) written as its escape."""
    return path if path.isprintable() else path.encode("unicode_escape").decode("ascii")


class AccessLog:
    """``GET /orders/12 200 8.4ms user=5``; the query string is left out (it may carry search words)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or sink is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            took = (time.perf_counter() - started) * 1000
            out = sink
            if out is not None:
                user = scope.get("state", {}).get("user")
                out.add(f"{out.stamp(time.time())} {scope['method']} {_printable(scope['path'])} {status} "
                        f"{took:.1f}ms user={getattr(user, 'id', None) or '-'}")
