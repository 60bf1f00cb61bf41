"""An access-log line per request (issue 17.6): method, path, status, time and the user, never the query."""

from __future__ import annotations

import asyncio
import io
import re
import time

from conftest import login

from web import accesslog


def test_one_line_per_request_with_status_and_user(http, world):
    out = io.StringIO()
    accesslog.enable(out)  # the live server runs in this process (a thread): its middleware writes here
    try:
        login(http, "staff_edu")
        http.get("/requests", params={"q": "机密的查询词"})
        http.get("/no/such/page")
        # the server writes its lines in a batch, at most half a second after the answer: wait for them
        deadline = time.monotonic() + 5
        while "/no/such/page" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        accesslog.disable()
    lines = out.getvalue().splitlines()
    user_id = world.user("staff_edu").id
    assert any(re.search(rf"GET /requests 200 [0-9.]+ms user={user_id}$", x) for x in lines), lines
    assert any(re.search(r"GET /no/such/page 404 [0-9.]+ms user=-$", x) for x in lines), lines
    assert any(re.search(r"POST /login 303 ", x) for x in lines), lines
    assert "机密的查询词" not in out.getvalue()


def _held_or_written(sink: accesslog.Sink, out: io.StringIO, text: str) -> bool:
    """Whether the server thread has logged ``text`` yet (it logs once its answer has gone out)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if text in out.getvalue() or any(text in x for x in list(sink.lines)):
            return True
        time.sleep(0.01)
    return False


def test_lines_are_written_in_a_batch_and_a_control_character_stays_on_its_line(http, world):
    out = io.StringIO()
    sink = accesslog.enable(out)
    try:
        login(http, "staff_edu")
        for _ in range(3):
            http.get("/requests")
        http.get("/a%0Ab")  # a newline in the path must not start a line of its own
        assert _held_or_written(sink, out, "/a\\nb")
        accesslog.disable()  # what the log holds is written when it stops (and when the app stops)
        written = out.getvalue()
        http.get("/orders")  # stopped: nothing more
    finally:
        accesslog.disable()
    lines = written.splitlines()
    assert sum(" GET /requests 200 " in x for x in lines) == 3, lines
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} GET /a\\nb 404 [0-9.]+ms user=-", x)
               for x in lines), lines
    assert "/orders" not in out.getvalue()


def test_a_batch_waits_half_a_second_unless_it_is_full():
    async def scenario() -> tuple[int, int, int]:
        out = io.StringIO()
        sink = accesslog.Sink(out)
        for i in range(accesslog.FLUSH_LINES - 1):
            sink.add(f"line {i}")
        held = out.getvalue().count("\n")  # none yet: the batch is not full
        sink.add("the last")
        full = out.getvalue().count("\n")  # a full batch goes at once
        sink.add("one more")
        await asyncio.sleep(accesslog.FLUSH_SECONDS + 0.2)
        return held, full, out.getvalue().count("\n")  # and a short one after FLUSH_SECONDS

    assert asyncio.run(scenario()) == (0, accesslog.FLUSH_LINES, accesslog.FLUSH_LINES + 1)


def test_a_batch_begun_in_a_loop_that_stopped_is_written_from_the_next():
    out = io.StringIO()
    sink = accesslog.Sink(out)

    async def first() -> None:
        sink.add("one")  # its loop ends before the batch is due

    async def second() -> None:
        sink.add("two")
        await asyncio.sleep(accesslog.FLUSH_SECONDS + 0.2)

    asyncio.run(first())
    asyncio.run(second())
    assert out.getvalue() == "one\ntwo\n"


def test_a_broken_log_stream_loses_the_log_not_the_request():
    class Broken(io.StringIO):
        def write(self, _text: str) -> int:
            raise BrokenPipeError("stdout is gone")

    sink = accesslog.Sink(Broken())
    for i in range(accesslog.FLUSH_LINES + 1):
        sink.add(f"line {i}")  # no event loop: each line is written (and fails) at once, quietly
    assert sink.lines == [] and sink.lost == accesslog.FLUSH_LINES + 1
