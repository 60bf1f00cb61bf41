"""The demand board (需求广场) and a unit's wish list: what units are looking for."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import notices as svc
from market.catalogue import leaf_categories
from market.models import User, Wish
from web import lists, params
from web.endpoints import form_action, page
from web.params import path_id


def _board(request: Request, db: Session, user: User, error: str | None = None, values: FormData | None = None,
           status_code: int = 200) -> Response:
    can_wish = svc.may_wish(user)
    mine = svc.my_wishes(db, user) if can_wish else []
    return lists.list_page(request, db, user, svc.BOARD_LIST, "board.html", lambda lp: {
        "mine": mine, "mine_names": svc.wish_names(db, mine), "categories": leaf_categories(db),
        "error": error, "values": values or {}, "can_wish": can_wish,
    }, status_code=status_code)


@page("/board")
def board(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _board(request, db, user)


@form_action("/wishes", "/board", lambda request, db, user, error, status, form: _board(
    request, db, user, error, form, status))
def wish_create(request: Request, db: Session, user: User, form: FormData) -> None:
    svc.create_wish(
            db, user, params.text(form, "title", "想要什么", Wish.title),
            keywords=params.text(form, "keywords", "关键词", Wish.keywords, required=False),
            category_id=params.integer(form, "category", "资产分类", 1, required=False),
            quantity=params.integer(form, "quantity", "数量", 1, 100000, required=False),
            needed_from=params.day(form, "needed_from", "需要开始日期", required=False),
            needed_until=params.day(form, "needed_until", "需要截止日期", required=False),
            public=form.get("public") == "1")


@page("/wishes/{id}/close", "POST")
def wish_close(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    svc.close_wish(db, user, path_id(request))
    return RedirectResponse("/board", status_code=303)
