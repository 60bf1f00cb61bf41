"""Allocation proposals: run the matcher, read, edit, accept, discard."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import proposals as svc
from market.errors import InvalidInput
from market.models import Proposal, User
from web import lists
from web.api.registry import STR, declare, obj
from web.api.schemas import INT, NUM, YUAN, arr, listing, mapping, model, opt, shape, some
from web.api.serialize import to_json
from web.params import field, path_id

ITEM = some(("id",), id=STR)
REQUEST_ROW = some(("id", "category", "quantity", "start"), id=STR, category=STR, quantity=INT, start=STR,
                   end=opt(STR), priority=INT, unit=STR, location=arr(NUM), unmet_cost=NUM)
PROBLEM = some(("version", "policy", "requests", "stock", "rentals"), version=INT, policy=STR, turnaround_days=INT,
               transport=some(per_unit_km=mapping(NUM)), requests=arr(ITEM), stock=arr(ITEM), rentals=arr(ITEM))
ASSIGNMENT = some(("request", "source", "tier", "quantity", "cost"), request=STR, source=STR, tier=STR, quantity=INT,
                  cost=NUM, km=NUM, unit_cost=NUM, explanation=STR)
SOLUTION = some(("status", "policy"), status=STR, policy=STR, objective=mapping(NUM), assignments=arr(ASSIGNMENT),
                unmet=arr(shape(request=STR, quantity=INT)), cost=mapping(NUM), explanation=STR, edited_by=STR,
                message=STR)
SOURCE = some(("source", "tier", "holder", "quantity", "taken", "free", "km", "unit_cost", "reasons", "title",
               "condition"), source=STR, tier=STR, holder=opt(STR), quantity=opt(INT), taken=INT, free=opt(INT),
              km=NUM, unit_cost=NUM, delivery_fee=NUM, reasons=arr(STR), title=opt(STR), condition=opt(STR))
SAVED = {"saved_vs_rent": opt(YUAN), "saved_vs_new": opt(YUAN)}
PROPOSAL = model(Proposal, drop=("lots",), problem=PROBLEM, solution=SOLUTION, **SAVED)


def proposal_json(prop) -> dict[str, Any]:  # noqa: ANN001
    data = to_json(prop)
    data.pop("lots", None)
    data["saved_vs_rent"] = (str(prop.cost_all_rented - prop.cost_total) if prop.cost_all_rented is not None
                             else None)
    data["saved_vs_new"] = str(prop.cost_all_new - prop.cost_total) if prop.cost_all_new is not None else None
    return data


@declare("GET", "/api/proposals", "调配方案列表（分页、筛选、排序、导出）", "调配",
         query=lists.query_params(svc.PROPOSAL_LIST), returns=listing(svc.PROPOSAL_LIST, model(Proposal, drop=("lots", "problem", "solution"), **SAVED)))
def list_proposals(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, svc.PROPOSAL_LIST,
                           lambda lp: lambda p: {k: v for k, v in proposal_json(p).items()
                                                 if k not in ("problem", "solution")})


@declare("POST", "/api/proposals", "对已批准的申请运行调配求解", "调配", write=True, body=obj(
    [], policy={"enum": ["tiered", "cost"]}, time_limit={"type": "number", "minimum": 1, "maximum": 600}), returns=PROPOSAL)
def run(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    body = body or {}
    limit = field(body, "time_limit", (int, float), required=False, default=30)
    if isinstance(limit, bool) or not 1 <= limit <= 600:
        raise InvalidInput("time_limit 须在 1 至 600 秒之间。", "time_limit")
    return proposal_json(svc.run_matcher(db, user, field(body, "policy", str, required=False) or "tiered",
                                         float(limit)))


@declare("GET", "/api/proposals/{id}", "调配方案（含问题与解 JSON）", "调配", returns=PROPOSAL)
def get_proposal(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return proposal_json(svc.visible_proposal(db, user, path_id(request)))


@declare("GET", "/api/proposals/{id}/candidates", "某需求行的全部候选来源：可用数量与不能调配的原因", "调配",
         query=[("request", STR, "需求行编号，如 R12")], returns=shape(proposal=INT, request=REQUEST_ROW, category_name=STR, sources=arr(SOURCE)))
def candidates(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    c = svc.proposal_candidates(db, user, path_id(request), request.query_params.get("request", ""))
    return {"proposal": c.prop.id, "request": c.request, "category_name": c.category_name, "sources": c.rows}


@declare("POST", "/api/proposals/{id}/edit", "调整数量（按同样规则复核）", "调配", write=True, body=obj(
    ["changes"], changes={"type": "array", "minItems": 1, "maxItems": 10000, "items": obj(
        ["request", "source", "quantity"], request=STR, source=STR, quantity={"type": "integer", "minimum": 0})}), returns=PROPOSAL)
def edit(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    changes = field(body, "changes", list)
    quantities: dict[tuple[str, str], int] = {}
    for i, c in enumerate(changes):
        if not isinstance(c, dict):
            raise InvalidInput(f"changes[{i}] 须为对象。", "changes")
        quantities[(field(c, "request", str), field(c, "source", str))] = field(c, "quantity", int)
    return proposal_json(svc.edit_proposal(db, user, path_id(request), quantities))


@declare("POST", "/api/proposals/{id}/accept", "采纳方案，生成出借、调剂、租赁单", "调配", write=True, returns=PROPOSAL)
def accept(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return proposal_json(svc.accept_proposal(db, user, path_id(request)))


@declare("POST", "/api/proposals/{id}/discard", "作废方案", "调配", write=True, returns=PROPOSAL)
def discard(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return proposal_json(svc.discard_proposal(db, user, path_id(request)))


