"""Import (issue 17.5): exact leaf category codes only, a downloadable template with an example row and a sheet of
the codes, and the same import through the API (upload, poll the progress, read the row errors)."""

from __future__ import annotations

import io
import time

import openpyxl
import pytest
from conftest import ARTIFACTS, login
from factories import PASSWORD
from sqlmodel import func, select
from test_import import csv_bytes, good_row

from market.imports import COLUMNS, ImportRejected, import_assets
from market.infra.db import session_scope
from market.models import Asset, Category


@pytest.mark.parametrize("code, words", [
    ("A0502XXXX", "A0502XXXX 不存在"),           # once filed under the group A0502 it starts with
    ("A05010201X", "A05010201X 不存在"),
    ("A0502", "A0502（会展用具）是分类组，请填写其下的末级分类代码"),
    ("A0502 会展用具", "是分类组"),
])
def test_only_an_exact_leaf_code_files_an_item(db, world, code, words):
    db.add(Category(code="A0502", name="会展用具", is_leaf=False))
    db.commit()
    with pytest.raises(ImportRejected) as err:
        import_assets(db, world.user("mgr_edu"), world.edu.id, csv_bytes([good_row(1, code=code)]), "a.csv")
    assert words in err.value.errors[0].reason
    db.rollback()
    assert db.exec(select(func.count()).select_from(Asset)).one() == 0
    ok = import_assets(db, world.user("mgr_edu"), world.edu.id, csv_bytes([good_row(2, code="A05010201 会议椅")]),
                       "b.csv")
    assert ok.created == 1


def _row(**cells) -> list:
    """A row of the template, its cells by field name, in the template's column order."""
    return [cells.get(c.field, "") for c in COLUMNS]


def _filled(template: bytes, rows: list[list]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["资产台账"]
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_template_round_trip_through_the_page(http, world):
    login(http, "mgr_edu")
    r = http.get("/imports/template.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["资产台账", "分类代码", "填写说明"]
    header = [c.value for c in wb["资产台账"][1]]
    assert header[:3] == ["资产编号", "*资产名称", "*资产分类代码"]
    example = [c.value for c in wb["资产台账"][2]]
    assert example[1] == "会议椅" and example[2] == "A05010201" and example[5] == 10
    codes = {row[0]: row[1] for row in wb["分类代码"].iter_rows(min_row=2, values_only=True)}
    assert codes["A05010201"] == "会议椅" and codes["A02010105"] == "笔记本电脑"
    # the template as downloaded, plus one row of our own, imports as it is
    body = _filled(r.content, [_row(name="投影仪", category="A02020100", model="CB-X06", brand="爱普生", quantity=2,
                                    value=9000, purchase_date="2024-03-01", status="闲置", location="二楼")])
    page = http.get("/imports/new").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert 'href="/imports/template.xlsx"' in page
    r = http.post("/imports", data={"csrf_token": token, "unit": str(world.edu.id)},
                  files={"file": ("台账.xlsx", body, "application/octet-stream")})
    assert r.status_code == 303
    # the result's own line: a queued job's page says "前面的导入完成后…" too
    status = _until_done(lambda: http.get(r.headers["location"]).text, '<p class="ok">导入完成')
    assert "新增 <strong>12</strong> 件资产" in status
    with session_scope() as db:
        assert db.exec(select(func.count()).select_from(Asset).where(Asset.owner_unit_id == world.edu.id)).one() == 12


def _until_done(read, words: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while True:
        text = read()
        if (words in text if isinstance(text, str) else text["status"] in ("done", "failed")):
            return text
        assert time.monotonic() < deadline, text
        time.sleep(0.2)


def test_import_through_the_api(http, world):
    token = http.post("/api/session", json={"username": "mgr_edu", "password": PASSWORD}).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    template = http.get("/api/imports/template", headers=h)
    assert template.status_code == 200
    bad = csv_bytes([good_row(1), good_row(2, code="A0502XXXX"), good_row(3, code="")])
    r = http.post(f"/api/imports?unit={world.edu.id}", content=bad, headers=h | {"Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    state = _until_done(lambda: http.get(r.json()["progress_url"], headers=h).json(), "")
    assert state["status"] == "done" and state["result"]["ok"] is False
    assert [(e["row"], e["column"]) for e in state["result"]["errors"]] == [(3, "资产分类代码"), (4, "资产分类代码")]
    good = _filled(template.content, [])
    r = http.post(f"/api/imports?unit={world.edu.id}&post=1", content=good,
                  headers=h | {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    state = _until_done(lambda: http.get(r.json()["progress_url"], headers=h).json(), "")
    assert state["result"]["ok"] is True and state["result"]["created"] == 10 and state["done"] == 10
    # refusals: another unit, an empty body, a stranger's job, a job that does not exist
    r = http.post(f"/api/imports?unit={world.health.id}", content=good, headers=h)
    assert r.status_code == 403 and r.json()["error"]["message"]
    r = http.post(f"/api/imports?unit={world.edu.id}", content=b"", headers=h)
    assert r.status_code == 422 and "请求体为空" in r.json()["error"]["message"]
    other = http.post("/api/session", json={"username": "mgr_health", "password": PASSWORD}).json()["token"]
    mine = http.post(f"/api/imports?unit={world.edu.id}", content=good, headers=h).json()["job"]
    r = http.get(f"/api/imports/{mine}", headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 403
    assert http.get("/api/imports/nosuchjob", headers=h).status_code == 404
    spec = http.get("/api/openapi.json").json()["paths"]["/api/imports"]["post"]
    assert "text/csv" in spec["requestBody"]["content"]


def test_template_round_trip_in_the_browser(page, world, tmp_path):
    page.goto("/login")
    page.fill("input[name=username]", "mgr_edu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/imports/new")
    with page.expect_download() as got:
        page.click("a[href='/imports/template.xlsx']")
    template = (tmp_path / "template.xlsx")
    got.value.save_as(template)
    filled = tmp_path / "台账.xlsx"
    filled.write_bytes(_filled(template.read_bytes(), [_row(name="折叠桌", category="A05010201", quantity=3, value=600)]))
    page.set_input_files("input[name=file]", str(filled))
    box = page.locator("input[name=post]").bounding_box()
    text = page.locator("label:has(input[name=post])").bounding_box()
    assert abs(box["y"] + box["height"] / 2 - (text["y"] + text["height"] / 2)) < text["height"]  # on its line
    page.click("form[action='/imports'] button[type=submit]")
    page.wait_for_selector("p.ok", timeout=60000)
    page.screenshot(path=str(ARTIFACTS / "import-done.png"), full_page=True)
    assert "新增 13 件资产" in page.locator("p.ok").inner_text()
