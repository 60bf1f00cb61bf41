"""Honest status (issue 16.2): a request shows each line's progress, and one with lines short never reads as done."""

from __future__ import annotations

from datetime import date

from conftest import login
from factories import PASSWORD, add_assets

from market.infra.db import session_scope
from market.pool import listings as pool
from market.proposals import accept_proposal, run_matcher
from market.requests import (
    LineInput,
    approve_request,
    line_progress,
    request_detail,
    status_text,
    submit_request,
)


def _short_request(db, world):
    """10 chairs asked for, 7 idle ones in the pool, no rental: 7 allocated and 3 to central purchasing."""
    admin = world.user("admin")
    from market.models import RentalOffer

    db.get(RentalOffer, world.chair_offer.id).is_active = False
    chairs = add_assets(db, world.health, world.chair, 7, prefix="PRG")
    db.commit()
    pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs], title="闲置会议椅")
    req = submit_request(db, world.user("staff_edu"), "培训", [
        LineInput(world.chair.id, 10, date(2026, 12, 3), date(2026, 12, 5))])
    approve_request(db, admin, req.id)
    accept_proposal(db, admin, run_matcher(db, admin, today=date(2026, 11, 23)).id)
    return req


def test_line_progress_and_status_text(db, world):
    req = _short_request(db, world)
    view = request_detail(db, world.user("staff_edu"), req.id)
    (progress,) = view.progress.values()
    assert (progress.need, progress.allocated, progress.purchasing, progress.unmet) == (10, 7, 3, 0)
    assert progress.state == "partly" and progress.label(True) == "已调配 7/10 件，3 件转集中采购"
    assert view.req.status == "allocated" and view.status_text == "部分调配：3 件转集中采购"
    assert line_progress(db, []) == {}
    view.req.status = "closed"  # every order back, yet 3 chairs never came: not simply 已完成
    assert status_text(view.req, list(view.progress.values())) == "已完成（部分未调配）：3 件转集中采购"
    db.rollback()


def test_page_api_and_list_say_the_shortfall(http, world):
    with session_scope(write=True) as db:
        req = _short_request(db, world)
    login(http, "staff_edu")
    page = http.get(f"/requests/{req.id}").text
    assert "部分调配：3 件转集中采购" in page and "已调配 7/10 件，3 件转集中采购" in page
    assert "部分调配：3 件转集中采购" in http.get("/requests").text
    token = http.post("/api/session", json={"username": "staff_edu", "password": PASSWORD}).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    data = http.get(f"/api/requests/{req.id}", headers=h).json()
    assert data["status"] == "allocated" and data["status_text"] == "部分调配：3 件转集中采购"
    assert data["lines"][0]["progress"] == {"allocated": 7, "purchasing": 3, "unmet": 0, "state": "partly",
                                            "label": "已调配 7/10 件，3 件转集中采购"}
    listed = http.get("/api/requests", headers=h).json()
    (row,) = [r for r in listed["requests"] if r["id"] == req.id]
    assert row["status_text"] == "部分调配：3 件转集中采购"
