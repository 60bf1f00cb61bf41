"""Issue 14, finding 9: security headers on every response (a CSP the pages' own scripts and styles satisfy,
framing refused, no sniffing, a referrer policy; HSTS behind HTTPS) and an ``Allow`` header on every 405."""

from __future__ import annotations

import re

import pytest
from factories import PASSWORD, add_assets
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from market.infra.config import settings
from market.infra.db import session_scope
from web.app import create_app
from web.headers import CSP

EXPECTED = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
PARAMS = {"id": "1", "step": "approve", "tab": "users", "job": "1"}


def _missing(response) -> list[str]:  # noqa: ANN001
    return [k for k, v in EXPECTED.items() if response.headers.get(k) != v]


def _paths(app) -> list[tuple[str, str]]:  # noqa: ANN001
    out = []
    for route in app.routes:
        if isinstance(route, Mount):
            out += [("GET", "/static/app.css"), ("GET", "/static/app.js"), ("GET", "/static/nope.css")]
        elif isinstance(route, Route):
            path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAMS.get(m.group(1), "x"), route.path)
            out += [(method, path) for method in sorted(route.methods or ["GET"]) if method != "HEAD"]
    return out


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_route_answers_with_the_security_headers(world, who):
    app = create_app()
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    headers = {}
    if who != "anonymous":
        token = client.post("/api/session", json={"username": who, "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        page = client.get("/login")
        client.post("/login", data={"username": who, "password": PASSWORD,
                                    "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]})
    statuses: dict[int, int] = {}
    failures = []
    for method, path in _paths(app):
        if (method, path) in {("POST", "/logout"), ("DELETE", "/api/session")}:
            continue  # would sign this client out half-way
        r = client.request(method, path, headers=headers if path.startswith("/api/") else {})
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if _missing(r):
            failures.append(f"{method} {path} → {r.status_code}: missing {_missing(r)}")
    for method, path in [("GET", "/no/such/page"), ("GET", "/api/no/such"), ("PUT", "/login"),
                         ("PATCH", "/api/requests")]:
        r = client.request(method, path)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if _missing(r):
            failures.append(f"{method} {path} → {r.status_code}: missing {_missing(r)}")
    print(f"\n{who}: {sum(statuses.values())} responses checked, by status {dict(sorted(statuses.items()))}")
    assert not failures, "\n".join(failures)


def test_an_unhandled_error_answers_with_the_security_headers_too(world):
    app = create_app()

    async def boom(request):  # noqa: ANN001, ANN202
        raise RuntimeError("boom")

    app.add_route("/api/boom", boom)
    app.add_route("/boom", boom)
    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/api/boom", "/boom"):
        r = client.get(path)
        assert r.status_code == 500 and not _missing(r), path


def test_hsts_only_behind_https(world, monkeypatch):
    client = TestClient(create_app(), base_url="https://gwc.example")
    assert "strict-transport-security" not in client.get("/login").headers
    monkeypatch.setenv("GONGWUCANG_HTTPS", "1")
    settings.cache_clear()
    try:
        client = TestClient(create_app(), base_url="https://gwc.example")
        r = client.get("/login")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
        assert not _missing(r)
    finally:
        monkeypatch.undo()
        settings.cache_clear()


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/login", "GET, HEAD, POST"),
    ("DELETE", "/logout", "POST"),
    ("PATCH", "/api/requests", "GET, HEAD, POST"),
    ("PUT", "/api/session", "DELETE, POST"),
    ("POST", "/stats", "GET, HEAD"),
    ("DELETE", "/disposals/1/approve", "POST"),
])
def test_a_405_names_the_methods_allowed(world, method, path, allow):
    r = TestClient(create_app()).request(method, path)
    assert r.status_code == 405 and r.headers["allow"] == allow
    if path.startswith("/api/"):
        assert r.json()["error"]["code"] == "http_error"
    else:
        assert "不支持该请求方法" in r.text


# --- the pages in a real browser: no CSP violation --------------------------------------------------------


def _violations(page) -> list[str]:  # noqa: ANN001
    return page.evaluate("window.__csp || []")


PAGES = {
    "staff_edu": ["/", "/?q=hyy", "/requests", "/requests/new", "/orders", "/board", "/assets", "/notices",
                  "/no/such/page"],
    "admin": ["/", "/assets", "/assets/{asset}", "/assets/labels?ids={asset}", "/disposals", "/disposals/{case}",
              "/stats", "/proposals", "/counts", "/purchasing", "/admin", "/imports/new", "/warehouse/receive",
              "/evaluation", "/idle", "/listings", "/transfers"],
    "finance": ["/stats", "/evaluation", "/disposals/{case}"],
    "sysadmin": ["/admin", "/admin/users", "/admin/rules", "/admin/units"],
}


def test_main_pages_load_in_chromium_without_csp_violations(browser, live_server, world):
    from market import disposal as dsp

    with session_scope(write=True) as db:
        assets = add_assets(db, world.edu, world.laptop, 2, name="笔记本电脑", value="5000", status="idle")
        db.commit()
        case = dsp.apply_disposal(db, world.user("mgr_edu"), [assets[1].id], "sale", "超过使用年限")
    ids = {"asset": assets[0].id, "case": case.id}
    checked, problems = 0, []
    for who, paths in PAGES.items():
        context = browser.new_context(base_url=live_server, locale="zh-CN")
        # every violation the page reports, recorded before any of its own scripts run
        context.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                                " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
        page = context.new_page()
        console = []
        page.on("console", lambda m, console=console: console.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e, console=console: console.append(f"page error: {e}"))
        page.goto("/login")
        page.fill("input[name=username]", who)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for path in paths:
            page.goto(path.format(**ids))
            page.wait_for_load_state("networkidle")
            if path == "/":
                page.fill("#q", "hy")  # the suggestions script fetches as one types
                page.wait_for_timeout(400)
            checked += 1
            for v in _violations(page) + console:
                problems.append(f"{who} {path}: {v}")
            console.clear()
        context.close()
    print(f"\n{checked} pages loaded in Chromium, CSP violations and script errors: {len(problems)}")
    assert not problems, "\n".join(problems)


def test_no_template_keeps_inline_script_or_style():
    """What the CSP would block: inline <script> or <style>, style="…", on…= handlers, javascript: links."""
    from pathlib import Path

    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)
    found = [f"{p.name}: {m.group(0)}" for p in sorted(Path("web/templates").glob("**/*.html"))
             for m in inline.finditer(p.read_text(encoding="utf-8"))]
    assert not found, found
