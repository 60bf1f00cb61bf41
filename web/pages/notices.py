"""Messages inside the product (站内消息): the list, and marking them read."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import notices as svc
from market.models import User
from web import lists, params
from web.endpoints import page


@page("/notices")
def notice_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, svc.NOTICE_LIST, "notices.html")


@page("/notices/read", "POST")
def notice_read(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    notice_id = params.integer(form, "id", "消息编号", 1, required=False)
    svc.mark_read(db, user, notice_id)
    target = str(form.get("next") or "/notices")
    return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/notices", 303)
