"""Requests: submit, list, read, approve, reject, withdraw."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import approvals
from market import requests as svc
from market.errors import InvalidInput
from market.models import PURPOSES, RequestLine, User
from market.models import Request as Req
from market.requests import LineInput
from web import lists
from web.api.registry import DATE, INT, TEXT, declare, obj
from web.api.schemas import STR, arr, listing, model, shape
from web.api.serialize import to_json
from web.params import field, path_id

LINE = obj(["category_id", "quantity", "start_date"], category_id=INT,
           quantity={"type": "integer", "minimum": 1, "maximum": 100000}, start_date=DATE,
           end_date={"type": ["string", "null"], "format": "date"}, priority={"type": "integer", "minimum": 1,
                                                                               "maximum": 9},
           listing_id={"type": ["integer", "null"]}, note=TEXT(RequestLine.note, "备注"))


REQUEST = model(Req, status_text=STR, approval=arr(model(approvals.StepView)), lines=arr(model(RequestLine, progress=shape(
    allocated=INT, purchasing=INT, unmet=INT, state=STR, label=STR))))


def _date(raw: Any, name: str, required: bool) -> date | None:
    if raw is None and not required:
        return None
    if not isinstance(raw, str):
        raise InvalidInput(f"{name} 须为日期（YYYY-MM-DD）。", name)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} 须为日期（YYYY-MM-DD）。", name) from None


def _line(i: int, raw: Any) -> LineInput:
    where = f"lines[{i}]"
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where} 须为对象。", where)
    return LineInput(
        category_id=field(raw, "category_id", int), quantity=field(raw, "quantity", int),
        start_date=_date(raw.get("start_date"), f"{where}.start_date", True),
        end_date=_date(raw.get("end_date"), f"{where}.end_date", False),
        priority=field(raw, "priority", int, required=False, default=1),
        listing_id=field(raw, "listing_id", int, required=False), note=(field(raw, "note", str, required=False) or "").strip(),
    )


def request_json(db: Session, req) -> dict[str, Any]:  # noqa: ANN001
    lines = svc.request_lines(db, req.id)
    progress = svc.line_progress(db, [x.id for x in lines])
    decided = req.status in svc.DECIDED
    chain = [asdict(s) for s in svc.approval_chain(db, req)]
    return to_json(req, status_text=svc.status_text(req, list(progress.values())), approval=chain, lines=[to_json(
        x, progress={"allocated": progress[x.id].allocated, "purchasing": progress[x.id].purchasing,
                     "unmet": progress[x.id].unmet, "state": progress[x.id].state,
                     "label": progress[x.id].label(decided)}) for x in lines])


@declare("GET", "/api/requests", "申请列表（单位角色只见本单位；分页、搜索、筛选、排序、导出）", "申请",
         query=lists.query_params(svc.REQUEST_LIST), returns=listing(svc.REQUEST_LIST, model(Req, status_text=STR)))
def list_requests(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, svc.REQUEST_LIST,
                           lambda lp: lambda r: to_json(r, status_text=lp.cell(r, "status")))


@declare("POST", "/api/requests", "提交需求申请（可多行）", "申请", write=True, body=obj(
    ["title", "lines"], title=TEXT(Req.title, "申请事由"), purpose={"enum": PURPOSES}, place=TEXT(Req.place, "送达地点"),
    lines={"type": "array", "items": LINE, "minItems": 1, "maxItems": 200}), returns=REQUEST)
def create_request(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    lines = field(body, "lines", list)
    req = svc.submit_request(db, user, field(body, "title", str).strip(), [_line(i, x) for i, x in enumerate(lines)],
                             purpose=field(body, "purpose", str, required=False) or "大型会议",
                             place=(field(body, "place", str, required=False) or "").strip())
    return request_json(db, req)


@declare("GET", "/api/requests/{id}", "申请详情", "申请", returns=REQUEST)
def get_request(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return request_json(db, svc.visible_request(db, user, path_id(request)))


@declare("POST", "/api/requests/{id}/approve", "批准申请", "申请", write=True, returns=REQUEST)
def approve(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return request_json(db, svc.approve_request(db, user, path_id(request)))


@declare("POST", "/api/requests/{id}/reject", "驳回申请（须填理由）", "申请", write=True,
         body=obj(["reason"], reason=TEXT(Req.reject_reason, "驳回理由")), returns=REQUEST)
def reject(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return request_json(db, svc.reject_request(db, user, path_id(request), field(body, "reason", str)))


@declare("POST", "/api/requests/{id}/withdraw", "撤回申请", "申请", write=True, returns=REQUEST)
def withdraw(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return request_json(db, svc.withdraw_request(db, user, path_id(request)))
