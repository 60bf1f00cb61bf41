"""Per-unit performance evaluation: scores with the indicator definitions and weights beside them."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import evaluation as svc
from market.models import User
from web import lists, params
from web.endpoints import page
from web.responses import table_file
from web.templating import render


@page("/evaluation")
def evaluation(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    year = svc.year(request.query_params.get("year", ""))
    fmt = lists.export_format(request)
    scores = svc.evaluate(db, user, year)
    if fmt:
        title, headers, rows = svc.export_table(scores, year)
        return table_file(headers, rows, fmt, f"evaluation-{year}", title)
    return render(request, "evaluation.html", {
        "year": year, "scores": scores, "indicators": svc.INDICATORS,
        "weights": svc.weights(db), "can_edit": svc.may_set_weights(user)})


@page("/evaluation/weights", "POST")
def set_weights(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    new = {}
    for key, (label, _) in svc.INDICATORS.items():
        new[key] = params.number(form, key, f"{label}的权重", 0, 100)
    svc.set_weights(db, user, new)
    return RedirectResponse("/evaluation", status_code=303)
