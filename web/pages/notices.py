"""Messages inside the product, the demand board and a unit's wish list."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import notices as svc
from market.access import can
from market.catalogue import leaf_categories
from market.errors import InvalidInput
from market.models import Category, Unit, User

from .. import forms
from ..handlers import page
from ..templating import render


@page
def notice_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "notices.html", {"rows": svc.inbox(db, user)})


@page(write=True)
def notice_read(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    notice_id = forms.integer(form, "id", "消息编号", 1, required=False)
    svc.mark_read(db, user, notice_id)
    target = str(form.get("next") or "/notices")
    return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/notices", 303)


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


@page
def board(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _board(request, db, user)


@page(write=True)
def wish_create(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    try:
        svc.create_wish(
            db, user, forms.text(form, "title", "想要什么", max_len=120),
            keywords=forms.text(form, "keywords", "关键词", required=False, max_len=200),
            category_id=forms.integer(form, "category", "资产分类", 1, required=False),
            quantity=forms.integer(form, "quantity", "数量", 1, 100000, required=False),
            needed_from=forms.day(form, "needed_from", "需要开始日期", required=False),
            needed_until=forms.day(form, "needed_until", "需要截止日期", required=False),
            public=form.get("public") == "1")
    except InvalidInput as exc:
        db.rollback()
        return _board(request, db, user, exc.message, form, exc.status)
    return RedirectResponse("/board", status_code=303)


@page(write=True)
def wish_close(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    from .requests import _path_id

    svc.close_wish(db, user, _path_id(request))
    return RedirectResponse("/board", status_code=303)
