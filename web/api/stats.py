"""Statistics, performance evaluation and idle alerts through the API."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from market import evaluation, stats
from market.assets import long_idle
from market.errors import InvalidInput
from market.models import User, utcnow
from web.api.registry import INT, STR, declare
from web.params import small_id


@declare("GET", "/api/stats", "运行统计：各项指标（含计算方法）与图表数据", "统计与监管")
def dashboard(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return asdict(stats.dashboard(db, user))


@declare("GET", "/api/stats/records", "指标背后的明细记录", "统计与监管", query=[
    ("kind", {"enum": list(stats.RECORD_KINDS)}, "明细类型"), ("category", INT, "分类"), ("unit", INT, "单位"),
    ("month", STR, "月份 YYYY-MM")])
def records(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    q = request.query_params
    headers, rows = stats.records(
        db, user, q.get("kind", ""), small_id(q.get("category")), small_id(q.get("unit")),
        q.get("month") if len(q.get("month", "")) == 7 else None)
    return {"headers": headers, "rows": rows}


@declare("GET", "/api/evaluation", "单位绩效评价", "统计与监管", query=[("year", INT, "年度")])
def scores(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    raw = request.query_params.get("year", "")
    year = small_id(raw) or 0
    year = year if 2000 <= year <= 2100 else utcnow().year
    return {"year": year, "weights": evaluation.weights(db),
            "indicators": {k: {"label": v[0], "method": v[1]} for k, v in evaluation.INDICATORS.items()},
            "units": [{"unit": s.unit.name, "unit_id": s.unit.id, "values": s.values, "score": s.score}
                      for s in evaluation.evaluate(db, user, year)]}


@declare("POST", "/api/evaluation/weights", "设置绩效指标权重", "统计与监管", write=True,
         body={"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 100}})
def weights(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 {指标: 权重} 对象。")
    return {"weights": evaluation.set_weights(db, user, body)}


@declare("GET", "/api/idle", "长期闲置资产", "统计与监管", query=[("days", INT, "闲置天数")])
def idle(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    raw = request.query_params.get("days", "")
    days = small_id(raw)
    days = days if days is not None and days < 10000 else None
    return {"items": [{"asset_id": i.asset.id, "tag": i.asset.tag, "name": i.asset.name, "unit": i.unit,
                       "since": i.since.isoformat(), "days": i.days} for i in long_idle(db, user, days)]}
