"""Disposal (处置) through the API."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import disposal as dsp
from market.fields import REASON_LIMIT
from market.models import DISPOSAL_METHODS, DisposalCase, User
from web import lists
from web.api.registry import IDS, MONEY, TEXT, declare, obj
from web.api.schemas import INT, YUAN, arr, listing, model
from web.api.serialize import to_json
from web.params import field, int_list, path_id

CASE = model(DisposalCase, assets=arr(INT), net_value=YUAN, accumulated_depreciation=YUAN)


def case_json(db: Session, case) -> dict[str, Any]:  # noqa: ANN001
    net, acc = dsp.book_net_value(db, case)
    return to_json(case, assets=[a.id for a in dsp.case_assets(db, case.id)], net_value=str(net),
                   accumulated_depreciation=str(acc))


@declare("GET", "/api/disposals", "处置单列表（单位角色只见本单位；分页、搜索、筛选、排序、导出）", "调拨与处置",
         query=lists.query_params(dsp.DISPOSAL_LIST), returns=listing(dsp.DISPOSAL_LIST, model(DisposalCase)))
def list_cases(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, dsp.DISPOSAL_LIST, lambda lp: to_json)


@declare("POST", "/api/disposals", "申请处置", "调拨与处置", write=True, body=obj(
    ["asset_ids", "method", "reason"], asset_ids=IDS, method={"enum": list(DISPOSAL_METHODS)},
    reason=TEXT(DisposalCase.reason, "处置理由"),
    beyond_repair={"type": "boolean", "title": "损毁且无法修复（未达到最低使用年限的资产须有此项）"},
    damage_report=TEXT(REASON_LIMIT, "检验/鉴定报告编号")), returns=CASE)
def apply(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return case_json(db, dsp.apply_disposal(db, user, int_list(body, "asset_ids"), field(body, "method", str),
                                            field(body, "reason", str), field(body, "beyond_repair", bool, False, False),
                                            field(body, "damage_report", str, False, "")))


@declare("GET", "/api/disposals/{id}", "处置单详情", "调拨与处置", returns=CASE)
def get_case(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return case_json(db, dsp.visible_case(db, user, path_id(request)))


@declare("POST", "/api/disposals/{id}/step", "办理处置的下一步", "调拨与处置", write=True, body=obj(
    ["step"], step={"enum": list(dsp.STEPS)},
    reason=TEXT(REASON_LIMIT, "驳回理由"), value=MONEY, appraiser=TEXT(DisposalCase.appraiser, "评估机构"),
    channel={"enum": list(dsp.SALE_CHANNELS)}, buyer=TEXT(DisposalCase.buyer, "买受人"), proceeds=MONEY,
    recipient=TEXT(DisposalCase.buyer, "接收方"), value_received=MONEY,
    voucher=TEXT(DisposalCase.remittance_ref, "缴款凭证号")), returns=CASE)
def step(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    case = dsp.visible_case(db, user, path_id(request))
    dsp.take_step(db, user, case.id, field(body, "step", str), body)
    return case_json(db, dsp.visible_case(db, user, case.id))
