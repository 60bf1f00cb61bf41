"""Why a source could or could not serve a request line, on the proposal page and in the API (real HTTP)."""

from __future__ import annotations

from datetime import date

from conftest import login
from factories import PASSWORD, add_assets

from market.infra.db import session_scope
from market.pool import listings as pool
from market.proposals import accept_proposal, run_matcher
from market.requests import LineInput, approve_request, submit_request


def _approved(db, world, qty, start, end):
    req = submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, qty, start, end)])
    approve_request(db, world.user("admin"), req.id)


def _scene(world):
    """Four chairs reserved for 12-14 … 12-18 by an accepted proposal, two more loan-only; then a transfer
    and a loan overlapping the reservation wait in a new proposal."""
    with session_scope(write=True) as db:
        admin = world.user("admin")
        pool.receive_items(db, admin, world.warehouse.id, world.chair.id, "会议椅", 4, "300", handling_cost="2")
        loan_only = add_assets(db, world.health, world.chair, 2, prefix="LO")
        db.commit()
        pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in loan_only], mode="loan", title="闲置折叠椅")
        _approved(db, world, 4, date(2026, 12, 14), date(2026, 12, 18))
        accept_proposal(db, admin, run_matcher(db, admin, today=date(2026, 12, 1)).id)
        _approved(db, world, 2, date(2026, 12, 16), None)
        _approved(db, world, 3, date(2026, 12, 10), date(2026, 12, 15))
        prop = run_matcher(db, admin, today=date(2026, 12, 1))
        return prop.id, {("P" if r["end"] is None else "L"): r["id"] for r in prop.problem["requests"]}


def _bearer(http, username):
    r = http.post("/api/session", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_api_explains_every_source_of_a_line(http, world):
    pid, rid = _scene(world)
    admin = _bearer(http, "admin")
    r = http.get(f"/api/proposals/{pid}/candidates", params={"request": rid["P"]}, headers=admin)
    assert r.status_code == 200, r.text
    by_tier = {s["tier"]: s for s in r.json()["sources"]}
    assert by_tier["warehouse"]["free"] == 0 and by_tier["warehouse"]["reasons"][0].startswith(
        "已被占用：2026-12-16 已有 4 件被其他单据占用（2026-12-14 至 2026-12-19 4 件）")
    assert by_tier["idle"]["reasons"] == ["仅供出借，不用于永久调剂"] and by_tier["idle"]["title"] == "闲置折叠椅"
    assert by_tier["rental"]["reasons"] == ["市场租赁只能满足出借需求，不能用于永久调剂"]
    loan = http.get(f"/api/proposals/{pid}/candidates", params={"request": rid["L"]}, headers=admin).json()
    by_tier = {s["tier"]: s for s in loan["sources"]}
    assert by_tier["idle"]["taken"] == 2 and by_tier["idle"]["reasons"] == []
    assert by_tier["warehouse"]["free"] == 0 and by_tier["warehouse"]["taken"] == 0
    assert loan["request"]["quantity"] == 3 and loan["category_name"] == world.chair.name


def test_api_refuses_bad_lines_and_other_roles(http, world):
    pid, rid = _scene(world)
    admin = _bearer(http, "admin")
    for bad in ("", "X1", "R" + "9" * 40):
        r = http.get(f"/api/proposals/{pid}/candidates", params={"request": bad}, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["field"] == "request", (bad, r.text)
    r = http.get(f"/api/proposals/{pid}/candidates", params={"request": "R999999"}, headers=admin)
    assert r.status_code == 422 and "没有需求行 R999999" in r.json()["error"]["message"]
    r = http.get(f"/api/proposals/{pid}/candidates", params={"request": rid["L"]}, headers=_bearer(http, "staff_edu"))
    assert r.status_code == 403


def test_page_links_and_shows_the_reasons(http, world):
    pid, rid = _scene(world)
    login(http, "admin")
    detail = http.get(f"/proposals/{pid}")
    assert f'/proposals/{pid}/candidates?request={rid["P"]}' in detail.text
    page = http.get(f"/proposals/{pid}/candidates", params={"request": rid["P"]})
    assert page.status_code == 200
    for text in ("候选来源", "闲置折叠椅", "仅供出借，不用于永久调剂", "已被占用：2026-12-16", "市场租赁只能满足出借需求"):
        assert text in page.text, text
    bad = http.get(f"/proposals/{pid}/candidates", params={"request": "R999999"})
    assert bad.status_code == 422 and "没有需求行 R999999" in bad.text
