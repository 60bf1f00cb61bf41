"""A person in a real browser: sign in, search the pool, filter by facets, open a listing, ask for it."""

from __future__ import annotations

from conftest import ARTIFACTS
from factories import PASSWORD, add_assets

from market.infra.db import session_scope
from market.models import User
from market.pool import listings as pool


def test_sign_in_search_filter_and_open(page, world):
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
    assert page.locator(".card").count() == 3  # two lots and one rental offer
    page.screenshot(path=str(ARTIFACTS / "browse.png"), full_page=True)
    page.fill("input[name=q]", "hyy")  # pinyin initials of 会议椅
    page.click("form.search button")
    page.wait_for_load_state()
    cards = page.locator(".card")
    assert "震旦会议椅" in cards.first.inner_text() and "<mark>" in cards.first.inner_html()
    page.fill("input[name=q]", "投影")
    page.click("form.search button")
    page.wait_for_load_state()
    assert page.locator(".card").count() == 1 and "爱普生投影仪" in page.locator(".card").first.inner_text()
    page.goto("/")
    page.click(".facets a:has-text('单位闲置')")  # the tier facet
    page.wait_for_load_state()
    assert page.locator(".card").count() == 1 and "市卫生健康委员会" in page.locator(".card").first.inner_text()
    assert "距离" in page.locator(".card").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "browse-filtered.png"), full_page=True)
    page.click(".card h2 a")
    page.wait_for_url("**/listings/*")
    assert "15</strong> / 15 件" in page.content()
    page.click("text=申请使用")
    page.wait_for_url("**/requests/new*")
    assert page.locator("select[name=category_0] option:checked").inner_text() == "会议椅"


def test_pages_fit_a_tablet(browser, live_server, world):
    """On a warehouse tablet (820 × 1180) no page scrolls sideways."""
    from conftest import ARTIFACTS

    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 820, "height": 1180},
                                  has_touch=True)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    for path in ("/", "/requests", "/requests?status=submitted", "/orders", "/assets", "/warehouse/receive",
                 "/proposals", "/counts", "/stats", "/admin/categories", "/purchasing", "/board"):
        page.goto(path)
        page.wait_for_load_state()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    page.goto("/")
    page.screenshot(path=str(ARTIFACTS / "tablet-browse.png"), full_page=False)
    context.close()
