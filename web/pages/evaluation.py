"""Per-unit performance evaluation: scores with the indicator definitions and weights beside them."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import evaluation as svc
from market.errors import InvalidInput
from market.models import User, utcnow
from web.endpoints import page
from web.params import small_id
from web.templating import render


def _year(request: Request) -> int:
    raw = request.query_params.get("year", "")
    now = utcnow().year
    year = small_id(raw) or 0
    return year if 2000 <= year <= now + 1 else now


@page("/evaluation")
def evaluation(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    year = _year(request)
    return render(request, "evaluation.html", {
        "year": year, "scores": svc.evaluate(db, user, year), "indicators": svc.INDICATORS,
        "weights": svc.weights(db), "can_edit": user.role in ("warehouse_admin", "sysadmin")})


@page("/evaluation/weights", "POST")
def set_weights(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    new = {}
    for key, (label, _) in svc.INDICATORS.items():
        raw = str(form.get(key) or "").strip()
        try:
            new[key] = float(raw)
        except ValueError:
            raise InvalidInput(f"{label}的权重须为数字。", key) from None
    svc.set_weights(db, user, new)
    return RedirectResponse("/evaluation", status_code=303)
