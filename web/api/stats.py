"""Statistics, performance evaluation and idle alerts through the API."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import assets, evaluation, stats
from market.errors import InvalidInput
from market.lists import ListPage
from market.models import User
from web import lists
from web.api.registry import DATE, INT, declare
from web.api.schemas import CELL, NUM, STR, arr, cells, mapping, model, opt, shape
from web.responses import table_file


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat() if isinstance(value, date | datetime) else value


def cells_json(lp: ListPage, id_key: str = "id") -> dict[str, Any]:
    """A page of a list whose rows are shown as their columns (records, idle alerts), as JSON."""
    return lists.as_json(lp, lambda r: {id_key: r.id} | {c.key: _plain(c.value(r, lp.lookups))
                                                         for c in lp.spec.columns}) | {
        "headers": [c.label for c in lp.spec.columns]}


def _record_params() -> list[tuple[str, dict[str, Any], str]]:
    """Every record list's parameters, once each (the sorts of all kinds together)."""
    out: dict[str, tuple[str, dict[str, Any], str]] = {}
    for spec in stats.RECORD_LISTS.values():
        for name, schema, text in lists.query_params(spec):
            out.setdefault(name, (name, schema, text))
    sorts = list(dict.fromkeys(k for spec in stats.RECORD_LISTS.values() for k in spec.sorts))
    out["sort"] = ("sort", {"enum": sorts}, "排序（可选的排序随明细类型）")
    return list(out.values())


# a page of one kind of records: the list envelope, the rows under that kind's list key (a row: its columns)
RECORD_ROW = {"type": "object", "required": ["id"], "properties": {"id": INT}, "additionalProperties": CELL}
_KEYS = [spec.key for spec in stats.RECORD_LISTS.values()]
_PAGE = cells(stats.RECORD_LISTS[next(iter(stats.RECORD_LISTS))], kind=STR)
RECORDS = {"type": "object", "required": [k for k in _PAGE["required"] if k not in _KEYS], "minProperties": 7,
           "additionalProperties": False,
           "properties": {k: v for k, v in _PAGE["properties"].items() if k not in _KEYS}
           | {k: arr(RECORD_ROW) for k in _KEYS}}
EVALUATION = shape(year=INT, weights=mapping(NUM), indicators=mapping(shape(label=STR, method=STR)),
                   units=arr(shape(unit=STR, unit_id=INT, values=mapping(opt(NUM)), points=mapping(opt(NUM)),
                                   score=opt(NUM))))


@declare("GET", "/api/stats", "运行统计：各项指标（数值 number 与单位 unit 分开，含计算方法）与图表数据；from/to 为统计区间",
         "统计与监管", query=[("from", DATE, "统计区间开始日期（缺省：12 个月前的月初）"), ("to", DATE, "统计区间结束日期（缺省：今天）")], returns=model(stats.Dashboard, period=shape(**{"from": DATE, "to": DATE})))
def dashboard(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    q = request.query_params
    d = stats.dashboard(db, user, within=stats.period(q.get("from"), q.get("to")))
    return asdict(d) | {"period": {"from": d.period.start.isoformat(), "to": d.period.end.isoformat()}}


@declare("GET", "/api/stats/records", "指标背后的明细记录（分页、搜索、筛选、排序、导出；筛选项随明细类型）", "统计与监管",
         query=[("kind", {"enum": list(stats.RECORD_KINDS)}, "明细类型"), *_record_params()], returns=RECORDS)
def records(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    kind = request.query_params.get("kind", "")
    lp = lists.read(request, db, user, stats.record_list(kind))
    return lp if isinstance(lp, Response) else cells_json(lp) | {"kind": kind}


@declare("GET", "/api/evaluation", "单位绩效评价", "统计与监管",
         query=[("year", INT, "年度"), ("export", {"enum": list(lists.EXPORT_FORMATS)}, "导出：xlsx 或 csv")], returns=EVALUATION)
def scores(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    year = evaluation.year(request.query_params.get("year", ""))
    fmt = lists.export_format(request)
    if fmt:
        title, headers, rows = evaluation.export_table(evaluation.evaluate(db, user, year), year)
        return table_file(headers, rows, fmt, f"evaluation-{year}", title)
    return {"year": year, "weights": evaluation.weights(db),
            "indicators": {k: {"label": v[0], "method": v[1]} for k, v in evaluation.INDICATORS.items()},
            "units": [{"unit": s.unit.name, "unit_id": s.unit.id, "values": s.values, "points": s.points,
                       "score": s.score}
                      for s in evaluation.evaluate(db, user, year)]}


@declare("POST", "/api/evaluation/weights", "设置绩效指标权重", "统计与监管", write=True,
         body={"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 100}}, returns=shape(weights=mapping(NUM)))
def weights(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 {指标: 权重} 对象。")
    return {"weights": evaluation.set_weights(db, user, body)}


@declare("GET", "/api/idle", "长期闲置资产（闲置超过 days 天、尚未进入公物池；分页、搜索、筛选、排序、导出）", "统计与监管",
         query=[("days", INT, "闲置天数（默认 GONGWUCANG_IDLE_DAYS，180）"), *lists.query_params(assets.IDLE_LIST)], returns=cells(assets.IDLE_LIST, "asset_id", days=INT))
def idle(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    days = assets.idle_days(request.query_params.get("days"))
    lp = lists.read(request, db, user, assets.idle_list(days))
    return lp if isinstance(lp, Response) else cells_json(lp, "asset_id") | {"days": days}
