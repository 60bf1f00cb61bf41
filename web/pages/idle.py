"""Idle-asset alerts: the list for a unit (or the bureau), with one action to post them to the pool."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market import assets
from market.models import User
from web import lists
from web.endpoints import page


@page("/idle")
def idle_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    days = assets.idle_days(request.query_params.get("days"))
    return lists.list_page(request, db, user, assets.idle_list(days), "idle.html",
                             lambda lp: {"days": days, "can_post": assets.asset_actions(user).post}, keep={"days": days})
