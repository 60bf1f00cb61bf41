"""The daily journey in a real browser, a screenshot per step (artifacts/journey-*.png):
a unit posts idle chairs → another unit asks for chairs for a meeting → the administrator approves,
runs the matcher and accepts → check-out → return with one chair damaged → compensation recorded →
the chair's timeline shows all of it."""

from __future__ import annotations

from conftest import ARTIFACTS
from factories import PASSWORD, add_assets

from market.infra.db import session_scope


def _login(page, username):
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _shot(page, n, name):
    page.screenshot(path=str(ARTIFACTS / f"journey-{n:02d}-{name}.png"), full_page=True)


def test_journey_in_the_browser(page, world):
    with session_scope(write=True) as db:
        add_assets(db, world.health, world.chair, 8, name="会议椅")
        db.commit()

    _login(page, "mgr_health")  # 1. a unit posts its idle chairs
    page.goto("/assets")
    boxes = page.locator("input[name=asset]")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.fill("input[name=title]", "卫健委闲置会议椅")
    _shot(page, 1, "post-idle")
    page.click("fieldset button.primary")
    page.wait_for_url("**/listings/*")
    assert "卫健委闲置会议椅" in page.inner_text("h1")

    _login(page, "staff_edu")  # 2. another unit asks for chairs for a meeting
    page.goto("/")
    page.click("text=卫健委闲置会议椅")
    page.click("text=申请使用")
    page.fill("input[name=title]", "全市教育工作会议")
    page.fill("input[name=quantity_0]", "6")
    page.fill("input[name=start_0]", "2027-01-10")
    page.fill("input[name=end_0]", "2027-01-11")
    _shot(page, 2, "request")
    page.click("button:has-text('提交申请')")
    page.wait_for_url("**/requests/*")
    assert "待审批" in page.inner_text("h1")

    _login(page, "admin")  # 3. the administrator approves, runs the matcher and accepts
    page.goto("/requests?status=submitted")
    page.click("a:has-text('XQ')")
    page.click("button:has-text('批准')")
    page.wait_for_load_state()
    assert "已批准" in page.inner_text("h1")
    page.goto("/proposals")
    page.click("button:has-text('运行调配')")
    page.wait_for_url("**/proposals/*")
    assert "单位闲置" in page.inner_text("table.proposal")
    _shot(page, 3, "proposal")
    page.click("button:has-text('采纳方案并生成单据')")
    page.wait_for_load_state()
    assert "已采纳" in page.inner_text("h1")

    page.click("table.grid >> nth=-1 >> a")  # 4. check-out: tick the pick list
    page.wait_for_url("**/orders/*")
    picks = page.locator("main input[name=tag]")  # the pick list (the header has a scan box of its own)
    assert picks.count() == 6
    for i in range(picks.count()):
        picks.nth(i).check()
    _shot(page, 4, "check-out")
    page.click("button:has-text('确认出库')")
    page.wait_for_load_state()
    assert "出借中" in page.inner_text("h1")

    first = page.locator("select[name^=condition_]").first  # 5. return with one chair damaged
    asset_id = first.get_attribute("name").split("_")[1]
    first.select_option("待维修")
    page.select_option(f"select[name=cause_{asset_id}]", "user")
    page.fill(f"input[name=repair_{asset_id}]", "150")
    page.fill(f"input[name=note_{asset_id}]", "椅腿断裂")
    _shot(page, 5, "return")
    page.click("button:has-text('确认归还')")
    page.wait_for_load_state()
    assert "已归还" in page.inner_text("h1") and "待赔偿" in page.inner_text("body")

    page.click("button:has-text('登记赔偿到账')")  # 6. compensation recorded
    page.wait_for_load_state()
    assert "已赔偿" in page.inner_text("body")
    _shot(page, 6, "compensation")

    page.goto(f"/assets/{asset_id}")  # 7. the chair's whole history
    timeline = page.inner_text("ol.timeline")
    for text in ("挂牌进入公物仓", "调配给市教育局", "出借给市教育局", "归还验收：良好 → 待维修",
                 "赔偿 150.00 元", "收到赔偿 150.00 元"):
        assert text in timeline, text
    assert page.locator(".qr svg").count() == 1
    _shot(page, 7, "timeline")
