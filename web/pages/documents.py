"""Printable documents (单据打印): order slips, count reports, disposal approval forms, proposal summaries."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market import documents as svc
from market.models import COUNT_ISSUES, RESOLUTIONS, User
from web.endpoints import page
from web.params import path_id
from web.templating import render


@page("/orders/{id}/print")
def order_slip(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "print/order.html", {"doc": svc.order_slip(db, user, path_id(request))})


@page("/counts/{id}/print")
def count_report(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "print/count.html", {"doc": svc.count_report(db, user, path_id(request)),
                                                "kinds": COUNT_ISSUES, "resolutions": RESOLUTIONS})


@page("/disposals/{id}/print")
def disposal_form(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "print/disposal.html", {"doc": svc.disposal_form(db, user, path_id(request))})


@page("/proposals/{id}/print")
def proposal_summary(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "print/proposal.html", {"doc": svc.proposal_summary(db, user, path_id(request))})
