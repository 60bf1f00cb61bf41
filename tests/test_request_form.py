"""The request form (issue 17.4): lines added and removed as needed, every mistake shown at once beside its field,
permanent lines without a return date (and with today as their start), priority explained; the API lists every
mistake too."""

from __future__ import annotations

import re
from datetime import date

from conftest import ARTIFACTS, csrf, login
from factories import PASSWORD
from sqlmodel import select

from market.infra.db import session_scope
from market.models import Request, RequestLine
from market.requests import PRIORITY_HELP


def _post(http, **fields):
    token = csrf(http.get("/requests/new").text)
    return http.post("/requests/new", data={"csrf_token": token, "title": "全市教育工作会议", "purpose": "大型会议"}
                     | fields)


def test_every_mistake_is_shown_at_once_beside_its_field(http, world):
    login(http, "staff_edu")
    r = _post(http, title="", line_count="3",
              category_0=str(world.chair.id), quantity_0="0", start_0="2026-12-03", end_0="2026-12-05",
              category_1=str(world.projector.id), quantity_1="4", start_1="2026-12-09", end_1="2026-12-01",
              category_2=str(world.laptop.id), quantity_2="2", start_2="明天", end_2="2026-12-05", priority_2="12")
    assert r.status_code == 422
    shown = dict(re.findall(r'<span class="field-error" id="err-([\w]+)">([^<]+)</span>', r.text))
    assert shown == {
        "title": "请填写申请事由。",
        "quantity_0": "第 1 行的数量不能小于 1。",
        "end_1": "第 2 行：归还日期不能早于开始日期。",
        "start_2": "第 3 行的开始日期“明天”不是有效日期（格式：2026-12-03）。",
        "priority_2": "第 3 行的优先级不能大于 9。",
    }, shown
    assert "共 5 处需要修改" in r.text and r.text.count('aria-invalid="true"') == 5
    assert 'value="4"' in r.text and 'value="2026-12-09"' in r.text  # what was typed is kept
    with session_scope() as db:
        assert db.exec(select(Request)).first() is None


def test_a_permanent_line_needs_no_dates(http, world):
    login(http, "staff_edu")
    r = _post(http, line_count="2", category_0=str(world.chair.id), quantity_0="6", permanent_0="1",
              end_0="2020-01-01",  # a return date left in a permanent line is not asked about
              category_1=str(world.projector.id), quantity_1="1", start_1="2026-12-10", end_1="2026-12-12",
              priority_1="9")
    assert r.status_code == 303, r.text
    with session_scope() as db:
        lines = db.exec(select(RequestLine).order_by(RequestLine.id)).all()
    assert [(x.quantity, x.end_date, x.priority) for x in lines] == [(6, None, 1), (1, date(2026, 12, 12), 9)]
    assert lines[0].start_date >= date(2026, 12, 5)  # today


def _rows(html: str) -> int:
    """The line rows of the form (not the one kept in its <template> for adding lines in the page)."""
    return html.split("<template")[0].count("<tr data-line>")


def test_add_a_line_without_script_keeps_what_was_typed(http, world):
    login(http, "staff_edu")
    page = http.get("/requests/new").text
    assert _rows(page) == 1 and PRIORITY_HELP in page
    r = _post(http, line_count="1", add_line="1", title="座谈会", category_0=str(world.chair.id), quantity_0="3")
    assert r.status_code == 200 and _rows(r.text) == 2 and 'value="座谈会"' in r.text and 'value="3"' in r.text
    assert 'name="line_count" value="2"' in r.text and "field-error" not in r.text
    with session_scope() as db:
        assert db.exec(select(Request)).first() is None


def test_the_api_lists_every_mistake(http, world):
    token = http.post("/api/session", json={"username": "staff_edu", "password": PASSWORD}).json()["token"]
    r = http.post("/api/requests", headers={"Authorization": f"Bearer {token}"}, json={
        "title": "座谈会", "purpose": "大型会议", "lines": [
            {"category_id": world.chair.id, "quantity": 5, "start_date": "2026-12-05", "end_date": "2026-12-01"},
            {"category_id": world.chair.id, "quantity": 5, "start_date": "2026-12-05"},
            {"category_id": world.chair.id, "quantity": 5, "start_date": "2026-12-09", "end_date": "2026-12-08"}]})
    assert r.status_code == 422
    err = r.json()["error"]
    assert [e["field"] for e in err["errors"]] == ["lines[0].end_date", "lines[2].end_date"]
    assert err["field"] == "lines[0].end_date" and "共 2 处需要修改" in err["message"]


def test_lines_added_and_removed_in_the_browser(page, world):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.fill("input[name=username]", "staff_edu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/requests/new")
    page.fill("input[name=title]", "教育系统座谈会")
    page.click("[data-add-line]")
    page.click("[data-add-line]")
    assert page.locator("[data-lines] [data-line]").count() == 3
    page.locator("[data-lines] [data-line]").nth(1).locator("[data-remove-line]").click()
    assert page.locator("[data-lines] [data-line]").count() == 2
    page.select_option("select[name=category_0]", str(world.chair.id))
    page.fill("input[name=quantity_0]", "20")
    page.check("input[name=permanent_0]")
    assert page.locator("input[name=end_0]").is_disabled()
    page.select_option("select[name=category_2]", str(world.projector.id))
    page.fill("input[name=quantity_2]", "2")
    page.fill("input[name=start_2]", "2026-12-10")
    page.fill("input[name=end_2]", "2026-12-08")
    page.click("form[action='/requests/new'] button.primary")
    page.wait_for_selector(".field-error")
    assert page.locator("#err-end_2").inner_text() == "第 3 行：归还日期不能早于开始日期。"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.screenshot(path=str(ARTIFACTS / "request-form-390.png"), full_page=True)
    page.fill("input[name=end_2]", "2026-12-12")
    page.click("form[action='/requests/new'] button.primary")
    page.wait_for_url("**/requests/*")
    with session_scope() as db:
        lines = db.exec(select(RequestLine).order_by(RequestLine.id)).all()
    assert [(x.quantity, x.end_date) for x in lines] == [(20, None), (2, date(2026, 12, 12))]
