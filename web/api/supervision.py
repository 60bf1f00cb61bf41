"""The supervision report (监管报表) through the API: the list (page, filters, export) and one unit's details."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import supervision as svc
from market.models import User
from web import lists
from web.api.registry import declare
from web.api.schemas import BOOL, INT, MOMENT, STR, YUAN, arr, listing, opt, shape
from web.params import path_id

CAP = shape(group=STR, holdings=INT, cap=opt(INT), share=opt(INT), staff=INT, over=BOOL, text=STR)
REPORT = shape(unit_id=INT, unit=STR, staff_count=opt(INT), confidential_network=BOOL, caps=arr(CAP), over_caps=INT,
               over_price_units=INT, over_price_exception_units=INT,
               purchases_over_price=arr(shape(request_id=INT, request=STR, category=STR, quantity=INT,
                                              batch_id=INT, batch=STR, price=YUAN, cap=YUAN, exception=BOOL)),
               early_disposals=arr(shape(allowed=BOOL, at=MOMENT, summary=STR, link=STR)), early_refused=INT,
               early_allowed=INT)


def _caps(r: svc.UnitReport) -> list[dict[str, Any]]:
    return [{"group": c.group.label, "holdings": c.holdings, "cap": c.cap, "share": c.share, "staff": c.staff,
             "over": c.over, "text": c.text} for c in r.caps]


def report_json(r: svc.UnitReport) -> dict[str, Any]:
    return {"unit_id": r.unit.id, "unit": r.unit.name, "staff_count": r.unit.staff_count,
            "confidential_network": r.unit.confidential_network, "caps": _caps(r),
            "over_caps": len(r.over_caps), "over_price_units": r.over_price,
            "over_price_exception_units": r.over_price_exceptions,
            "purchases_over_price": [{"request_id": p.request_id, "request": p.request_number, "category": p.category,
                                      "quantity": p.quantity, "batch_id": p.batch_id, "batch": p.batch_number,
                                      "price": str(p.price), "cap": str(p.cap), "exception": p.exception}
                                     for p in r.prices],
            "early_disposals": [{"allowed": e.allowed, "at": e.at.isoformat(), "summary": e.summary, "link": e.link}
                                for e in r.early],
            "early_refused": r.early_refused, "early_allowed": r.early_allowed}


@declare("GET", "/api/supervision", "监管报表：各单位数量上限、超价采购、未到年限处置（超标单位在前；分页、筛选、导出）",
         "监管报表", query=lists.query_params(svc.REPORT_LIST), returns=listing(svc.REPORT_LIST, REPORT))
def report(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    spec = svc.report_list(db, user)
    return lists.list_json(request, db, user, spec, lambda lp: lambda u: report_json(lp.lookups[u.id]))


@declare("GET", "/api/supervision/units/{id}", "监管报表：一个单位的明细", "监管报表", returns=REPORT)
def unit(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return report_json(svc.unit_report(db, user, path_id(request)))
