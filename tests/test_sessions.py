"""Issue 14, finding 5: a session ends on the server when its user signs out, and every session and token of a
user ends when their password, role or unit changes or the account is disabled. The cookie carries no part of
the password hash."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from conftest import csrf, login
from factories import PASSWORD


def _token(http, username: str) -> str:
    r = http.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _browser(live_server: str) -> httpx.Client:
    return httpx.Client(base_url=live_server, follow_redirects=False, timeout=30)


def _cookie_fields(client: httpx.Client) -> dict:
    raw = client.cookies["gwc_session"]
    payload = raw.split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


def _change(http, world, who: str, body: dict) -> None:
    admin = _bearer(_token(http, "sysadmin"))
    r = http.post(f"/api/users/{world.users[who].id}", headers=admin, json=body)
    assert r.status_code == 200, r.text


def test_an_old_bearer_token_is_refused_after_a_sysadmin_resets_the_password(http, world):
    token = _token(http, "staff_edu")
    assert http.post("/api/wishes", headers=_bearer(token), json={"title": "会议椅", "keywords": "会议椅"}
                     ).status_code in (200, 201)
    _change(http, world, "staff_edu", {"password": "Plum-orchard-river-42"})
    r = http.post("/api/wishes", headers=_bearer(token), json={"title": "投影仪", "keywords": "投影仪"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    assert http.get("/api/me", headers=_bearer(token)).status_code == 401
    r = http.post("/api/session", json={"username": "staff_edu", "password": "Plum-orchard-river-42"})
    assert r.status_code == 200  # the new password opens a new session


def test_a_cookie_saved_before_logout_opens_nothing_afterwards(live_server, world):
    with _browser(live_server) as browser:
        assert login(browser, "finance").status_code == 303
        assert browser.get("/stats").status_code == 200
        saved = browser.cookies["gwc_session"]
        page = browser.get("/stats")
        assert browser.post("/logout", data={"csrf_token": csrf(page.text)}).status_code == 303
    with _browser(live_server) as thief:
        thief.cookies.set("gwc_session", saved)
        r = thief.get("/stats")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert thief.get("/api/me").status_code == 401


def test_the_cookie_carries_no_part_of_the_password_hash(live_server, world, db):
    from market.models import User

    with _browser(live_server) as browser:
        assert login(browser, "staff_edu").status_code == 303
        fields = _cookie_fields(browser)
    assert "pw" not in fields and set(fields) <= {"sid", "csrf"}
    pw_hash = db.get(User, world.users["staff_edu"].id).password_hash
    text = json.dumps(fields)
    # no 8-character stretch of the hash's salt-and-digest part appears in the cookie
    secret = pw_hash.rsplit("$", 2)[-2] + pw_hash.rsplit("$", 1)[-1]
    assert not any(secret[i:i + 8] in text for i in range(len(secret) - 7))


@pytest.mark.parametrize(("change", "label"), [
    ({"password": "Plum-orchard-river-42"}, "password reset"),
    ({"is_active": False}, "disabled"),
    ({"role": "unit_manager"}, "role changed"),
    ("health", "unit changed"),
])
def test_a_change_of_the_account_ends_its_cookie_and_its_tokens(live_server, http, world, change, label):
    token = _token(http, "staff_edu")
    with _browser(live_server) as browser:
        assert login(browser, "staff_edu").status_code == 303
        assert browser.get("/requests").status_code == 200
        _change(http, world, "staff_edu", {"unit_id": world.health.id} if change == "health" else change)
        r = browser.get("/requests")
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), label
        assert browser.get("/api/me").status_code == 401, label
        assert browser.get("/api/suggest", params={"q": "hy"}).status_code == 401, label
    assert http.get("/api/me", headers=_bearer(token)).status_code == 401, label
    assert http.get("/api/search", headers=_bearer(token)).status_code == 401, label


def test_a_change_that_touches_no_credential_leaves_sessions_alone(http, world):
    token = _token(http, "staff_edu")
    _change(http, world, "staff_edu", {"is_active": True})  # already active: nothing changes
    assert http.get("/api/me", headers=_bearer(token)).status_code == 200


def test_signing_out_of_the_api_ends_only_that_token(http, world):
    first, second = _token(http, "staff_edu"), _token(http, "staff_edu")
    assert http.delete("/api/session", headers=_bearer(first)).status_code == 200
    assert http.get("/api/me", headers=_bearer(first)).status_code == 401
    assert http.get("/api/me", headers=_bearer(second)).status_code == 200


def test_a_page_session_id_is_no_bearer_token(live_server, http, world):
    with _browser(live_server) as browser:
        assert login(browser, "staff_edu").status_code == 303
        sid = _cookie_fields(browser)["sid"]
    assert http.get("/api/me", headers=_bearer(sid)).status_code == 401


def test_signing_out_through_the_api_with_the_cookie_ends_the_page_session(live_server, world):
    with _browser(live_server) as browser:
        assert login(browser, "staff_edu").status_code == 303
        saved = browser.cookies["gwc_session"]
        token = csrf(browser.get("/requests").text)
        assert browser.delete("/api/session", headers={"X-CSRF-Token": token}).status_code == 200
    with _browser(live_server) as thief:
        thief.cookies.set("gwc_session", saved)
        assert thief.get("/api/me").status_code == 401
