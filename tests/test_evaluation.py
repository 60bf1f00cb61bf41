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
