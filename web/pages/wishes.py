"""The demand board (需求广场) and a unit's wish list: what units are looking for."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import notices as svc
from market.access import can
from market.catalogue import leaf_categories
from market.models import Category, Unit, User
from web import params
from web.endpoints import form_action, page
from web.templating import render


def _board(request: Request, db: Session, user: User, error: str | None = None, values: FormData | None = None,
           status_code: int = 200) -> Response:
    wishes = svc.demand_board(db)
    mine = svc.my_wishes(db, user) if user.unit_id is not None else []
    units = {u.id: u for u in db.exec(select(Unit))}
    cats = {c.id: c for c in db.exec(select(Category))}
    return render(request, "board.html", {
        "wishes": wishes, "mine": mine, "units": units, "cats": cats, "categories": leaf_categories(db),
        "error": error, "values": values or {}, "can_wish": can(user, "submit_request", user.unit_id),
    }, status_code=status_code)


@page("/board")
def board(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _board(request, db, user)


@form_action("/wishes", "/board", lambda request, db, user, error, status, form: _board(
    request, db, user, error, form, status))
def wish_create(request: Request, db: Session, user: User, form: FormData) -> None:
    svc.create_wish(
            db, user, params.text(form, "title", "想要什么", max_len=120),
            keywords=params.text(form, "keywords", "关键词", required=False, max_len=200),
            category_id=params.integer(form, "category", "资产分类", 1, required=False),
            quantity=params.integer(form, "quantity", "数量", 1, 100000, required=False),
            needed_from=params.day(form, "needed_from", "需要开始日期", required=False),
            needed_until=params.day(form, "needed_until", "需要截止日期", required=False),
            public=form.get("public") == "1")


@page("/wishes/{id}/close", "POST")
def wish_close(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    from web.params import path_id

    svc.close_wish(db, user, path_id(request))
    return RedirectResponse("/board", status_code=303)
