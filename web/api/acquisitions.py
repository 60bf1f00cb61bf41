"""Acquisition requests (配置申请) through the API: submit (the pool is looked at at once), read with the pool's
offer and the standards check, answer the offer, finance's exception decision."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import acquisitions as svc
from market import standards
from market.acquisitions import AcquisitionInput
from market.models import Acquisition, User
from market.models import Request as Req
from web import lists
from web.api.registry import INT, MONEY, TEXT, declare, obj
from web.api.schemas import BOOL, CELL, NUM, STR, arr, fields, listing, mapping, model, opt, shape
from web.api.serialize import to_json
from web.params import field, path_id

# the standards check as last stored (empty until the request is checked)
CHECK = {"type": "object", "properties": fields(svc.CapCheck), "additionalProperties": False}
# a source the pool offers: ``conditions`` and ``make`` are the page's text ("全新 2 件 · 良好 1 件", a rental's
# "每件每天 12.00 元"), ``by_condition`` (件 by condition) and ``price_per_unit_day`` (元 per item and day) their numbers
POOL_ROW = shape(title=opt(STR), holder=opt(STR), tier=STR, make=STR, conditions=STR, quantity=INT, km=NUM,
                 link=opt(STR), by_condition=mapping(INT), price_per_unit_day=opt(NUM))
ACQ = model(Req, status_text=STR, unit=STR, category_id=INT, category=STR, quantity=INT,
            acquisition=model(Acquisition, outcome_label=STR, rank_label=STR, check=CHECK),
            pool_offer=shape(status=STR, offered=INT, taken=INT, rows=arr(POOL_ROW)),
            standards=model(svc.CapCheck, checked=BOOL),
            progress=shape(allocated=INT, purchasing=INT, unmet=INT),
            orders=arr(shape(id=INT, number=STR, kind=STR, quantity=INT, status=STR)),
            purchase_needs=arr(shape(id=INT, quantity=INT, status=STR, batch_id=opt(INT))),
            may=shape(answer_pool=BOOL, decide_exception=BOOL, withdraw=BOOL))


def acquisition_json(db: Session, user: User | None, request_id: int) -> dict[str, Any]:
    v = svc.acquisition_detail(db, user, request_id)
    check = v.check or v.preview
    return to_json(v.req, status_text=v.status_text, unit=v.unit.name, category_id=v.category.id,
                   category=v.category.name, quantity=v.line.quantity,
                   acquisition=to_json(v.acq, outcome_label=v.acq.outcome_label, rank_label=svc.rank_label(v.acq)),
                   pool_offer={"status": v.offer_status, "offered": v.acq.pool_offered, "taken": v.acq.pool_taken,
                               "rows": [{"title": r["title"], "holder": r["holder"], "tier": r["tier"],
                                         "make": r["make"], "conditions": r["conditions"], "quantity": r["quantity"],
                                         "km": r["km"], "link": r["link"], "by_condition": r["by_condition"],
                                         "price_per_unit_day": r["price_per_unit_day"]}
                                        for line in v.offer for r in line.rows]},
                   standards={"checked": v.check is not None} | check.as_json(),
                   progress={"allocated": v.progress.allocated, "purchasing": v.progress.purchasing,
                             "unmet": v.progress.unmet},
                   orders=[{"id": o.id, "number": o.number, "kind": o.kind, "quantity": o.quantity,
                            "status": o.status} for o in v.orders],
                   purchase_needs=[{"id": n.id, "quantity": n.quantity, "status": n.status, "batch_id": n.batch_id}
                                   for n in v.needs],
                   may={"answer_pool": v.may_answer, "decide_exception": v.may_decide, "withdraw": v.may_withdraw})


@declare("GET", "/api/acquisitions", "配置申请列表（单位角色只见本单位；分页、搜索、筛选、排序、导出）", "配置申请",
         query=lists.query_params(svc.ACQUISITION_LIST), returns=listing(svc.ACQUISITION_LIST, model(Req, status_text=STR, category=STR, quantity=INT, outcome=CELL, reason=CELL)))
def list_acquisitions(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, svc.ACQUISITION_LIST, lambda lp: lambda r: to_json(
        r, status_text=lp.cell(r, "status"), category=lp.cell(r, "category"), quantity=lp.cell(r, "quantity"),
        outcome=lp.cell(r, "outcome"), reason=lp.cell(r, "reason")))


@declare("POST", "/api/acquisitions", "提交配置申请（先在公物仓和公物池中匹配可调剂资产）", "配置申请", write=True,
         body=obj(["category_id", "quantity", "unit_price", "reason"], category_id=INT,
                  quantity={"type": "integer", "minimum": 1, "maximum": svc.MAX_QUANTITY}, unit_price=MONEY,
                  rank={"enum": ["", *standards.RANKS]}, reason=TEXT(Acquisition.reason, "申请理由"),
                  exception_wanted={"type": "boolean"}), returns=ACQ)
def create(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    req = svc.submit_acquisition(db, user, AcquisitionInput(
        category_id=field(body, "category_id", int), quantity=field(body, "quantity", int),
        unit_price=str(field(body, "unit_price", (str, int, float))), reason=field(body, "reason", str),
        rank=field(body, "rank", str, required=False) or "",
        exception_wanted=field(body, "exception_wanted", bool, required=False, default=False)))
    return acquisition_json(db, user, req.id)


@declare("GET", "/api/acquisitions/{id}", "配置申请详情：调剂方案、配置标准审核与状态", "配置申请", returns=ACQ)
def get(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return acquisition_json(db, user, path_id(request))


@declare("POST", "/api/acquisitions/{id}/accept", "接收公物仓调剂（随后余下部分按配置标准审核）", "配置申请", write=True, returns=ACQ)
def accept(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return acquisition_json(db, user, svc.accept_pool(db, user, path_id(request)).id)


@declare("POST", "/api/acquisitions/{id}/decline", "不接收公物仓调剂（须填理由）", "配置申请", write=True,
         body=obj(["reason"], reason=TEXT(Acquisition.decline_reason, "不接收的理由")), returns=ACQ)
def decline(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return acquisition_json(db, user, svc.decline_pool(db, user, path_id(request), field(body, "reason", str)).id)


@declare("POST", "/api/acquisitions/{id}/look-again", "重新查询公物池", "配置申请", write=True, returns=ACQ)
def look_again(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return acquisition_json(db, user, svc.look_again(db, user, path_id(request)).id)


@declare("POST", "/api/acquisitions/{id}/exception", "财政监管审批超标特批（approve 同意 / reject 不同意，不同意须填意见）",
         "配置申请", write=True, body=obj(["decision"], decision={"enum": ["approve", "reject"]},
                                        note=TEXT(Acquisition.decision_note, "审批意见")), returns=ACQ)
def exception(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    req = svc.decide_exception(db, user, path_id(request), svc.decision(field(body, "decision", str)),
                               field(body, "note", str, required=False) or "")
    return acquisition_json(db, user, req.id)
