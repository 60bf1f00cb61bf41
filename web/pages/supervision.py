"""The supervision report (监管报表): per unit, holdings against the quantity caps, purchases above the price caps,
disposals before the minimum service life; drill-down per unit, Excel export through the list component."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market import supervision as svc
from market.models import User
from web import lists
from web.endpoints import page
from web.params import path_id
from web.templating import render


@page("/supervision")
def report(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    spec = svc.report_list(db, user)
    return lists.list_page(request, db, user, spec, "supervision.html")


@page("/supervision/units/{id}")
def unit_report(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "supervision_unit.html", {"r": svc.unit_report(db, user, path_id(request))})
