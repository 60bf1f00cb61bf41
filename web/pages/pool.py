"""The pool page: listings in the warehouse and units' idle items."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market.listings import districts, leaf_categories, pool_page
from market.models import User

from ..forms import small_id
from ..handlers import page
from ..templating import render


def _int_param(request: Request, name: str) -> int | None:
    return small_id(request.query_params.get(name))


@page
def pool(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    params = request.query_params
    tier = params.get("tier") if params.get("tier") in ("warehouse", "idle") else None
    result = pool_page(db, q=params.get("q", "")[:100], category_id=_int_param(request, "category"), tier=tier,
                       district=params.get("district") or None, page=_int_param(request, "page") or 1)
    return render(request, "pool.html", {
        "result": result, "q": params.get("q", ""), "tier": tier or "", "district": params.get("district", ""),
        "category": _int_param(request, "category"), "categories": leaf_categories(db),
        "districts": districts(db),
    })
