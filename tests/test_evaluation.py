"""Performance evaluation: indicator values from the ledger, weights from the bureau, missing data left out."""

from __future__ import annotations

import re

import pytest
from conftest import login
from factories import add_assets

from market import evaluation
from market.errors import InvalidInput, PermissionDenied
from market.models import utcnow
from market.pool import listings as pool


def test_scores_follow_the_definitions(db, world):
    add_assets(db, world.edu, world.chair, 6, status="in_use", prefix="U")
    idle = add_assets(db, world.edu, world.chair, 4, status="idle", prefix="I")
    db.commit()
    pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in idle[:1]])
    year = utcnow().year
    scores = {s.unit.name: s for s in evaluation.evaluate(db, world.user("finance"), year)}
    edu = scores["市教育局"]
    # the rate is shown as measured (issue 16: the column 闲置率 used to show the score), the score beside it
    assert edu.values["idle_rate"] == pytest.approx(4 / 10) and edu.points["idle_rate"] == pytest.approx(60.0)
    assert edu.values["posted_share"] == pytest.approx(1 / 4) and edu.points["posted_share"] == pytest.approx(25.0)
    assert edu.points["count_accuracy"] is None
    assert edu.values["count_accuracy"] is None and edu.values["on_time_returns"] is None
    # only two indicators have data: (30 × 60 + 20 × 25) / 50 = 46
    assert edu.score == pytest.approx(46.0)
    evaluation.set_weights(db, world.user("admin"), {"idle_rate": 10, "posted_share": 40})
    edu = {s.unit.name: s for s in evaluation.evaluate(db, world.user("finance"), year)}["市教育局"]
    assert edu.score == pytest.approx((10 * 60 + 40 * 25) / 50)
    with pytest.raises(PermissionDenied):
        evaluation.set_weights(db, world.user("finance"), {"idle_rate": 5})
    with pytest.raises(InvalidInput):
        evaluation.set_weights(db, world.user("admin"), {"idle_rate": 500})
    own = evaluation.evaluate(db, world.user("mgr_edu"), year)
    assert [s.unit.name for s in own] == ["市教育局"]


def test_evaluation_page(http, world):
    from market.infra.db import session_scope

    with session_scope(write=True) as db:
        add_assets(db, world.edu, world.chair, 6, status="in_use", prefix="U")
        add_assets(db, world.edu, world.chair, 4, status="idle", prefix="I")
        db.commit()
    login(http, "admin")
    page = http.get("/evaluation").text
    assert "40.0%<br><small class=\"muted\">得分 60.0</small>" in page  # 闲置率 as measured, its score beside
    assert "闲置资产入池率" in page and "指标定义" in page and "权重 30" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, "idle_rate": "25", "posted_share": "25", "count_accuracy": "20",
            "on_time_returns": "15", "damages_settled": "x", "within_caps": "10", "price_compliance": "10",
            "early_disposals": "5"}
    r = http.post("/evaluation/weights", data=data)
    assert r.status_code == 422 and "赔偿结清率的权重须为数字" in r.text
    assert http.post("/evaluation/weights", data=data | {"damages_settled": "15"}).status_code == 303
    assert "权重 25" in http.get("/evaluation").text


def test_evaluation_exports_numbers_as_numbers(http, world):
    """/evaluation?export=xlsx (and the API's): each indicator's measured value and score in columns of their own,
    numeric cells, an indicator without data an empty cell (issue 16.7)."""
    import io

    from openpyxl import load_workbook

    from market.infra.db import session_scope

    with session_scope(write=True) as db:
        add_assets(db, world.edu, world.chair, 6, status="in_use", prefix="U")
        add_assets(db, world.edu, world.chair, 4, status="idle", prefix="I")
        db.commit()
    login(http, "admin")
    year = utcnow().year
    assert f"/evaluation?year={year}&amp;export=xlsx" in http.get("/evaluation").text
    r = http.get(f"/evaluation?year={year}&export=xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    head = [c.value for c in ws[1]]
    assert head[:3] == ["单位", "闲置率（实测值）", "闲置率（得分）"] and head[-1] == "综合得分"
    assert len(head) == 2 + 2 * len(evaluation.INDICATORS)
    rows = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    edu = rows["市教育局"]
    col = {h: i for i, h in enumerate(head)}
    rate, score = edu[col["闲置率（实测值）"]], edu[col["闲置率（得分）"]]
    assert rate.data_type == "n" and rate.value == pytest.approx(0.4)
    assert score.data_type == "n" and score.value == pytest.approx(60.0)
    assert edu[col["综合得分"]].data_type == "n" and edu[col["综合得分"]].value == pytest.approx(36.0)  # (30 × 60 + 20 × 0) / 50
    assert edu[col["盘点准确率（实测值）"]].value in (None, "")  # no data: empty, not 0
    assert http.get(f"/evaluation?year={year}&export=pdf").status_code == 422
    csv = http.get(f"/evaluation?year={year}&export=csv").content.decode("utf-8-sig")
    assert "市教育局,0.4,60.0," in csv
    from factories import PASSWORD

    r = http.post("/api/session", json={"username": "finance", "password": PASSWORD})
    token = {"Authorization": f"Bearer {r.json()['token']}"}
    api = http.get(f"/api/evaluation?year={year}&export=xlsx", headers=token)
    assert api.status_code == 200
    ws = load_workbook(io.BytesIO(api.content)).active
    assert ws.cell(row=2, column=3).data_type == "n"
