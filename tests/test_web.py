"""The first pages and the API, through real HTTP against uvicorn."""

from __future__ import annotations

import re

from conftest import login
from factories import PASSWORD, add_assets, lengthen_back_off

from market.infra.db import session_scope
from market.pool import listings as pool


def _listing(world):
    with session_scope(write=True) as db:
        assets = add_assets(db, world.health, world.chair, 12, name="会议椅")
        db.commit()
        mgr = db.get(type(world.user("mgr_health")), world.user("mgr_health").id)
        return pool.post_idle_items(db, mgr, [a.id for a in assets], title="震旦会议椅（闲置）")


def test_pages_need_login(http):
    r = http.get("/")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    page = http.get("/login")
    assert page.status_code == 200 and "登录公物仓" in page.text and 'lang="zh-CN"' in page.text


def test_login_and_pool_page(http, world):
    _listing(world)
    r = login(http, "staff_edu")
    assert r.status_code == 303 and r.headers["location"] == "/"
    page = http.get("/")
    assert page.status_code == 200
    assert "震旦会议椅（闲置）" in page.text and "单位闲置" in page.text and "市卫生健康委员会" in page.text
    assert "12" in page.text
    assert re.search(r'href="/\?category=A05010201"[^>]*>会议椅</a>', page.text)  # the facet names the category
    assert http.get("/", params={"q": "投影"}).text.count('class="card"') == 0
    assert http.get("/", params={"q": "会议椅", "tier": "idle"}).text.count('class="card"') == 1


def test_wrong_password_is_a_chinese_message(http):
    r = login(http, "staff_edu", "wrong-password")
    assert r.status_code == 401 and "用户名或密码错误" in r.text and "Traceback" not in r.text


def test_login_without_csrf_token_is_refused(http):
    r = http.post("/login", data={"username": "staff_edu", "password": PASSWORD})
    assert r.status_code == 403 and "CSRF" in r.text


def test_login_redirect_stays_on_site(http):
    page = http.get("/login", params={"next": "//evil.example/x"})
    assert 'name="next" value="/"' in page.text


def test_session_cookie_flags(http):
    r = login(http, "staff_edu")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_logout(http):
    login(http, "staff_edu")
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/").text).group(1)
    assert http.post("/logout", data={"csrf_token": token}).status_code == 303
    assert http.get("/").status_code == 303


def test_unknown_page_is_chinese_404(http):
    login(http, "staff_edu")
    r = http.get("/no-such-page")
    assert r.status_code == 404 and "页面不存在" in r.text


# --- API ----------------------------------------------------------------------------------------------


def _token(http, username="staff_edu"):
    r = http.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def test_api_token_flow(http, world):
    _listing(world)
    token = _token(http)
    auth = {"Authorization": f"Bearer {token}"}
    me = http.get("/api/me", headers=auth).json()
    assert me["username"] == "staff_edu" and me["role"] == "unit_staff"
    body = http.get("/api/search", headers=auth, params={"tier": "idle", "q": "会议椅"}).json()
    assert body["total"] == 1 and body["hits"][0]["quantity"] == 12 and body["facets"]["tier"]["idle"] == 1
    assert "rental" in body["facets"]["tier"]  # a facet counts without its own selection (the offer stays to choose)
    assert body["hits"][0]["category_code"] == "A05010201" and "<mark>" in body["hits"][0]["title_highlighted"]
    assert http.delete("/api/session", headers=auth).status_code == 200
    assert http.get("/api/me", headers=auth).status_code == 401


def test_api_errors_are_structured(http):
    r = http.get("/api/search")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    r = http.post("/api/session", json={"username": "staff_edu", "password": "nope"})
    assert r.status_code == 401 and r.json()["error"]["message"] == "用户名或密码错误。"
    r = http.post("/api/session", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = http.post("/api/session", json={"username": "staff_edu"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "password"
    auth = {"Authorization": f"Bearer {_token(http)}"}
    r = http.get("/api/search", headers=auth, params={"tier": "'; drop table asset; --"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "tier"
    r = http.get("/api/nothing", headers=auth)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_repeated_failures_slow_the_name_down_for_a_while(http):
    for _ in range(5):
        assert login(http, "staff_edu", "wrong-password").status_code == 401
    lengthen_back_off("staff_edu")
    r = login(http, "staff_edu")  # even the right password is refused now
    assert r.status_code == 429 and "秒后再试" in r.text
    r = http.post("/api/session", json={"username": "staff_edu", "password": PASSWORD})
    assert r.status_code == 429 and r.json()["error"]["code"] == "throttled"
    assert login(http, "staff_health").status_code == 303  # other names are not affected
