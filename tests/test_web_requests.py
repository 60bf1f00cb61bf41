"""Request pages through real HTTP: a unit asks, the administrator decides, the unit withdraws."""

from __future__ import annotations

from conftest import csrf, login
from sqlmodel import select

from market.infra.db import session_scope
from market.models import Request


def _submit(http, world, **lines):
    form = http.get("/requests/new")
    assert form.status_code == 200 and "新建需求申请" in form.text
    data = {"csrf_token": csrf(form.text), "line_count": "5", "title": "全市教育工作会议", "purpose": "大型会议",
            "place": "锦川市会展中心"} | lines
    return http.post("/requests/new", data=data)


def test_unit_submits_a_request_with_two_lines(http, world):
    login(http, "staff_edu")
    r = _submit(http, world, category_0=str(world.chair.id), quantity_0="120", start_0="2026-12-03",
                end_0="2026-12-05", category_2=str(world.projector.id), quantity_2="4", start_2="2026-12-03",
                permanent_2="1")
    assert r.status_code == 303, r.text
    detail = http.get(r.headers["location"])
    assert "待审批" in detail.text and "120 把" in detail.text and "起永久调剂" in detail.text
    assert "提交申请：全市教育工作会议（2 行，共 124 件）" in detail.text
    assert "批准" not in detail.text.split("办理记录")[0].split("</dl>")[1]  # no approve button for the unit


def test_bad_form_keeps_what_was_typed(http, world):
    login(http, "staff_edu")
    r = _submit(http, world, category_0=str(world.chair.id), quantity_0="0", start_0="2026-12-03", end_0="2026-12-05")
    assert r.status_code == 422 and "第 1 行的数量不能小于 1" in r.text and "全市教育工作会议" in r.text
    r = _submit(http, world, category_0=str(world.chair.id), quantity_0="5", start_0="2026-12-05", end_0="2026-12-03")
    assert r.status_code == 422 and "归还日期不能早于开始日期" in r.text
    r = _submit(http, world, category_0=str(world.chair.id), quantity_0="5", start_0="明天", end_0="2026-12-03")
    assert r.status_code == 422 and "不是有效日期" in r.text
    r = _submit(http, world)
    assert r.status_code == 422 and "至少包含一行" in r.text
    with session_scope() as db:
        assert db.exec(select(Request)).first() is None


def test_admin_approves_and_rejects_from_the_queue(http, world):
    login(http, "staff_edu")
    first = _submit(http, world, category_0=str(world.chair.id), quantity_0="10", start_0="2026-12-03",
                    end_0="2026-12-05").headers["location"]
    second = _submit(http, world, category_0=str(world.chair.id), quantity_0="10", start_0="2026-12-03",
                     end_0="2026-12-05").headers["location"]
    http.cookies.clear()
    login(http, "admin")
    queue = http.get("/requests?status=submitted")
    assert queue.text.count("/requests/") >= 2 and "市教育局" in queue.text
    page = http.get(first)
    assert "批准" in page.text
    assert http.post(first + "/approve", data={"csrf_token": csrf(page.text)}).status_code == 303
    assert "已批准" in http.get(first).text
    page = http.get(second)
    r = http.post(second + "/reject", data={"csrf_token": csrf(page.text), "reason": ""})
    assert r.status_code == 422 and "驳回须填写理由" in r.text
    http.post(second + "/reject", data={"csrf_token": csrf(page.text), "reason": "请与上一申请合并"})
    assert "请与上一申请合并" in http.get(second).text


def test_refusals_for_each_role(http, world):
    login(http, "staff_edu")
    loc = _submit(http, world, category_0=str(world.chair.id), quantity_0="10", start_0="2026-12-03",
                  end_0="2026-12-05").headers["location"]
    token = csrf(http.get(loc).text)
    r = http.post(loc + "/approve", data={"csrf_token": token})
    assert r.status_code == 403 and "须由公物仓管理员审批" in r.text  # unit staff cannot approve
    http.cookies.clear()
    login(http, "staff_health")
    assert http.get(loc).status_code == 403  # another unit's request is not visible
    token = csrf(http.get("/requests").text)
    assert http.post(loc + "/withdraw", data={"csrf_token": token}).status_code == 403
    http.cookies.clear()
    login(http, "finance")
    assert http.get("/requests/new").status_code == 403  # the supervisor reads, never asks
    assert http.post(loc + "/approve", data={"csrf_token": csrf(http.get(loc).text)}).status_code == 403
    assert http.post(loc + "/approve", data={}).status_code == 403  # and without a CSRF token, nobody
    assert http.get("/requests/abc").status_code in (404, 422)


def test_a_forged_line_count_is_a_clear_refusal(http, world):
    """The hidden line count is checked: not a server error, nor a loop over a hundred million empty rows."""
    login(http, "staff_edu")
    for bad in ("abc", "99999999", "0"):
        r = _submit(http, world, line_count=bad, category_0=str(world.chair.id), quantity_0="5", start_0="2026-12-03",
                    end_0="2026-12-05")
        assert r.status_code == 422 and "明细行数" in r.text, (bad, r.status_code)
    with session_scope() as db:
        assert db.exec(select(Request)).first() is None
