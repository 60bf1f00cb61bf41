"""Idle-asset alerts: the list for a unit (or the bureau), with one action to post them to the pool."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market.access import can
from market.assets import idle_days_threshold, long_idle
from market.models import LISTING_MODES, Category, User
from web.endpoints import page
from web.params import small_id
from web.templating import render


@page("/idle")
def idle_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    raw = request.query_params.get("days", "")
    days = small_id(raw)
    days = days if days is not None and days < 10000 else idle_days_threshold()
    items = long_idle(db, user, days)
    cats = {c.id: c.name for c in db.exec(select(Category))}
    return render(request, "idle.html", {"items": items, "days": days, "cats": cats, "modes": LISTING_MODES,
                                         "can_post": user.unit_id is not None and can(user, "post_listing",
                                                                                       user.unit_id)})
