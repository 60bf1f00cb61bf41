"""An access-log line per request (issue 17.6): method, path, status, time and the user, never the query."""

from __future__ import annotations

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
        # the server writes its line once the answer has gone out: give its thread a moment
        deadline = time.monotonic() + 5
        while "/no/such/page" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        accesslog.log.handlers.clear()
        accesslog.log.setLevel("WARNING")
    lines = out.getvalue().splitlines()
    user_id = world.user("staff_edu").id
    assert any(re.search(rf"GET /requests 200 [0-9.]+ms user={user_id}$", x) for x in lines), lines
    assert any(re.search(r"GET /no/such/page 404 [0-9.]+ms user=-$", x) for x in lines), lines
    assert any(re.search(r"POST /login 303 ", x) for x in lines), lines
    assert "机密的查询词" not in out.getvalue()
