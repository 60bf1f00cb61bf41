"""The page session's cookie (web/sessions.py): read once per cookie, written back only when the session changed
or the cookie is due for a new expiry, refused when forged or expired, and the same cookie Starlette's
``SessionMiddleware`` writes (a browser signed in before an upgrade stays signed in)."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from web import sessions
from web.sessions import CookieSession

SECRET, NAME, MAX_AGE = "a-test-secret", "gwc_session", 3600


async def show(request: Request) -> JSONResponse:
    return JSONResponse(dict(request.session))


async def put(request: Request) -> JSONResponse:
    request.session.update(request.query_params)
    return JSONResponse(dict(request.session))


async def clear(request: Request) -> JSONResponse:
    request.session.clear()
    return JSONResponse({})


def _app(middleware: type = CookieSession) -> Starlette:
    return Starlette(routes=[Route("/show", show), Route("/put", put), Route("/clear", clear)],
                     middleware=[Middleware(middleware, secret_key=SECRET, session_cookie=NAME, max_age=MAX_AGE,
                                            same_site="lax", https_only=False)])


@pytest.fixture
def clock(monkeypatch):
    """The middleware's clock, moved by hand."""
    now = {"t": 1_800_000_000.0}
    real = sessions.time.time
    monkeypatch.setattr(sessions.time, "time", lambda: now["t"])
    yield now
    monkeypatch.setattr(sessions.time, "time", real)


def test_an_unchanged_session_sets_no_cookie_until_it_is_due_again(clock):
    client = TestClient(_app())
    first = client.get("/put", params={"sid": "s1", "csrf": "c1"})
    assert "set-cookie" in first.headers and "Max-Age=3600" in first.headers["set-cookie"]
    assert "httponly" in first.headers["set-cookie"] and "samesite=lax" in first.headers["set-cookie"]
    cookie = client.cookies[NAME]
    again = client.get("/show")
    assert again.json() == {"sid": "s1", "csrf": "c1"} and "set-cookie" not in again.headers
    changed = client.get("/put", params={"csrf": "c2"})
    assert "set-cookie" in changed.headers and client.cookies[NAME] != cookie
    clock["t"] += sessions.REFRESH + 1  # the cookie is due for a new expiry: signed again, same session
    due = client.get("/show")
    assert "set-cookie" in due.headers and due.json() == {"sid": "s1", "csrf": "c2"}
    assert "set-cookie" not in client.get("/show").headers


def test_a_forged_or_expired_cookie_opens_nothing(clock):
    client = TestClient(_app())
    client.get("/put", params={"sid": "s1"})
    good = client.cookies[NAME]
    payload, stamp, signature = good.split(".")
    forged = TestClient(_app())
    forged.cookies.set(NAME, f"{payload}.{stamp}.{signature[::-1]}")
    assert forged.get("/show").json() == {}
    forged.cookies.set(NAME, "not a cookie at all")
    assert forged.get("/show").json() == {}
    assert client.get("/show").json() == {"sid": "s1"}  # remembered now
    clock["t"] += MAX_AGE + 1  # remembered, but too old: refused all the same (by a browser that kept it)
    keeper = TestClient(client.app)
    keeper.cookies.set(NAME, good)
    late = keeper.get("/show")
    assert late.json() == {} and "set-cookie" not in late.headers


def test_clearing_the_session_makes_the_browser_forget_the_cookie(clock):
    client = TestClient(_app())
    client.get("/put", params={"sid": "s1"})
    gone = client.get("/clear")
    assert "expires=Thu, 01 Jan 1970 00:00:00 GMT" in gone.headers["set-cookie"]
    assert client.get("/show").json() == {}


def test_a_request_changing_its_session_leaves_the_remembered_one_alone(clock):
    app = _app()
    client = TestClient(app)
    client.get("/put", params={"sid": "s1"})
    saved = client.cookies[NAME]
    client.get("/put", params={"sid": "changed"})
    other = TestClient(app)
    other.cookies.set(NAME, saved)  # the old cookie still reads as what it says
    assert other.get("/show").json() == {"sid": "s1"}


def test_only_so_many_cookies_are_remembered(clock, monkeypatch):
    monkeypatch.setattr(sessions, "REMEMBERED", 3)
    app = _app()
    client = TestClient(app)
    for i in range(10):
        client.get("/put", params={"sid": f"s{i}"})
        assert client.get("/show").json() == {"sid": f"s{i}"}
    middleware = app.middleware_stack
    while not isinstance(middleware, CookieSession):
        middleware = middleware.app
    assert len(middleware._checked) <= 3


def test_a_cookie_starlettes_session_middleware_wrote_is_read(clock):
    old = TestClient(_app(SessionMiddleware))
    old.get("/put", params={"sid": "s1", "csrf": "c1"})
    new = TestClient(_app())
    new.cookies.set(NAME, old.cookies[NAME])
    assert new.get("/show").json() == {"sid": "s1", "csrf": "c1"}
