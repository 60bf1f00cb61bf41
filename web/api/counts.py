"""Inventory counts (盘点) through the API."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import counts
from market.errors import InvalidInput
from market.models import CONDITIONS, COUNT_ISSUES, RESOLUTIONS, CountLine, InventoryCount, User
from web import lists
from web.api.registry import INT, STR, TEXT, declare, obj
from web.api.schemas import NUM, arr, listing, model, opt, shape
from web.api.serialize import to_json
from web.params import field, path_id

SUMMARY = shape(expected=INT, found=INT, missing=INT, unexpected=INT, accuracy=STR, accuracy_value=opt(NUM))
COUNT = model(InventoryCount, summary=SUMMARY)


@declare("GET", "/api/counts", "盘点列表（单位角色只见本单位；分页、搜索、筛选、排序、导出）", "盘点",
         query=lists.query_params(counts.COUNT_LIST), returns=listing(counts.COUNT_LIST, COUNT))
def list_counts(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    lp = lists.read(request, db, user, counts.COUNT_LIST)
    return lp if isinstance(lp, Response) else lists.as_json(
        lp, lambda c: to_json(c, summary=lp.lookups["summary"][c.id]))


@declare("POST", "/api/counts", "开始盘点（仓库或单位）", "盘点", write=True,
         body=obj([], warehouse_id=INT, unit_id=INT, title=TEXT(InventoryCount.title, "盘点名称")), returns=COUNT)
def start(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    body = body or {}
    c = counts.start_count(db, user, field(body, "warehouse_id", int, required=False),
                           field(body, "unit_id", int, required=False), field(body, "title", str, required=False) or "")
    return to_json(c, summary=counts.summary(db, c))


READ = {"oneOf": [STR, obj(["tag"], tag=STR, location=TEXT(CountLine.seen_location, "读取位置"))]}


@declare("POST", "/api/counts/{id}/reads", "提交扫描器读到的标签或 EPC（可逐条带读取位置）", "盘点", write=True, body=obj(
    ["reads"], reads={"type": "array", "items": READ, "maxItems": counts.MAX_READS},
    location=TEXT(CountLine.seen_location, "实际位置（未逐条给出位置的读取）"), condition={"enum": ["", *CONDITIONS]}), returns=model(counts.ScanResult))
def reads(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    items: list[str | counts.Read] = []
    for x in field(body, "reads", list):
        if isinstance(x, dict) and isinstance(x.get("tag"), str) and isinstance(x.get("location", ""), str):
            items.append((x["tag"], x.get("location", "")))
        elif isinstance(x, str):
            items.append(x)
        else:
            raise InvalidInput("reads 的每一项须为标签字符串，或 {\"tag\": …, \"location\": …}。", "reads")
    r = counts.record_reads(db, user, path_id(request), items, field(body, "location", str, required=False) or "",
                            field(body, "condition", str, required=False) or "")
    return asdict(r)


@declare("GET", "/api/counts/{id}", "盘点结果与差异", "盘点", returns=model(InventoryCount, summary=SUMMARY, issues=arr(shape(line_id=INT, kind=STR, tag=STR, asset_id=opt(INT), resolution=STR))))
def get_count(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    v = counts.count_detail(db, user, path_id(request))
    return to_json(v.count, summary=v.summary, issues=[
        {"line_id": line.id, "kind": kind, "tag": line.tag, "asset_id": line.asset_id, "resolution": line.resolution}
        for kind, line, _ in v.issues])


@declare("POST", "/api/counts/lines/{id}/resolve", "处理一处差异", "盘点", write=True,
         body=obj(["resolution"], resolution={"enum": ["found", "lost", "moved", "condition", "accepted"]}, note=TEXT(CountLine.note, "说明")), returns=model(CountLine))
def resolve(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(counts.resolve(db, user, path_id(request), field(body, "resolution", str),
                                  field(body, "note", str, required=False) or ""))


@declare("POST", "/api/counts/{id}/settle", "批量处理差异（所列差异，或某一类全部未处理的差异）", "盘点", write=True,
         body=obj(["resolution"], resolution={"enum": list(RESOLUTIONS)}, note=TEXT(CountLine.note, "说明"),
                  lines={"type": "array", "items": {"type": "integer"}, "maxItems": counts.MAX_READS},
                  kind={"enum": list(COUNT_ISSUES)}), returns=model(counts.Settled))
def settle(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    lines = field(body, "lines", list, required=False)
    if lines is not None and not all(isinstance(x, int) and not isinstance(x, bool) for x in lines):
        raise InvalidInput("lines 须为差异编号（整数）列表。", "lines")
    done = counts.settle(db, user, path_id(request), field(body, "resolution", str),
                         field(body, "note", str, required=False) or "", line_ids=lines,
                         kind=field(body, "kind", str, required=False))
    return asdict(done)


@declare("POST", "/api/counts/{id}/close", "结束盘点", "盘点", write=True, returns=COUNT)
def close(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    c = counts.close_count(db, user, path_id(request))
    return to_json(c, summary=counts.summary(db, c))
