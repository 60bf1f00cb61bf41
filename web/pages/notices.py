"""Messages inside the product (站内消息): the list, marking them read, and where else they reach me (通知方式)."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import accounts
from market import notices as svc
from market.models import User
from web import lists, params
from web.endpoints import form_action, page
from web.templating import render


@page("/notices")
def notice_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, svc.NOTICE_LIST, "notices.html")


@page("/notices/read", "POST")
def notice_read(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    notice_id = params.integer(form, "id", "消息编号", 1, required=False)
    svc.mark_read(db, user, notice_id)
    target = str(form.get("next") or "/notices")
    return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/notices", 303)


def _channels(request: Request, db: Session, user: User, error: str | None = None, status_code: int = 200,
              form: FormData | None = None) -> Response:
    return render(request, "notify_settings.html", {
        "error": error, "values": form or {}, "me": user, "channels": svc.channel_status(),
    }, status_code=status_code)


@page("/settings/notify")
def notify_settings(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _channels(request, db, user)


@form_action("/settings/notify", "/settings/notify?saved=1", lambda request, db, user, error, status, form: _channels(
    request, db, user, error, status, form))
def notify_settings_save(request: Request, db: Session, user: User, form: FormData) -> None:
    accounts.set_notice_channels(db, user, params.text(form, "email", "电子邮箱", User.email, required=False),
                                 form.get("by_email") == "1", form.get("by_chat") == "1")
