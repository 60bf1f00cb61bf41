"""A person in a real browser: sign in and look through the pool."""

from __future__ import annotations

from conftest import ARTIFACTS
from factories import PASSWORD, add_assets

from market.db import session_scope
from market.models import User
from market.services import pool


def test_sign_in_and_browse_the_pool(page, world):
    with session_scope(write=True) as db:
        chairs = add_assets(db, world.health, world.chair, 15, name="会议椅")
        db.commit()
        pool.post_idle_items(db, db.get(User, world.user("mgr_health").id), [a.id for a in chairs],
                             title="震旦会议椅（闲置）")
        pool.receive_items(db, db.get(User, world.user("admin").id), world.warehouse.id, world.projector.id,
                           "投影仪", 4, "4500", brand="爱普生", model="CB-X06")
    page.goto("/")
    assert "/login" in page.url
    page.fill("input[name=username]", "staff_edu")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".alert").inner_text() == "用户名或密码错误。"
    page.fill("input[name=username]", "staff_edu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".card")
    assert page.locator(".card").count() == 2
    page.screenshot(path=str(ARTIFACTS / "pool.png"), full_page=True)
    page.fill("input[name=q]", "投影")
    page.click("form.filters button")
    page.wait_for_load_state()
    cards = page.locator(".card")
    assert cards.count() == 1 and "爱普生投影仪" in cards.first.inner_text()
    page.select_option("select[name=tier]", "idle")
    page.fill("input[name=q]", "")
    page.click("form.filters button")
    page.wait_for_load_state()
    assert page.locator(".card").count() == 1 and "单位闲置" in page.locator(".card").first.inner_text()
