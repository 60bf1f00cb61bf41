"""Requests (需求申请): a unit asks for items; the approver decides; the unit can withdraw."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import requests as svc
from market.models import PURPOSES, RequestLine, User
from market.models import Request as Req
from market.requests import LineInput
from web import lists, params
from web.endpoints import form_action, page
from web.params import path_id
from web.templating import render

BLANK_LINES = 5


@page("/requests")
def request_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, svc.REQUEST_LIST, "requests.html")


def _lines_from_form(form: FormData) -> list[LineInput]:
    lines = []
    count = params.integer(form, "line_count", "明细行数", 1, svc.MAX_LINES, required=False) or BLANK_LINES
    for i in range(count):
        cat = str(form.get(f"category_{i}") or "").strip()
        qty = str(form.get(f"quantity_{i}") or "").strip()
        if not cat and not qty:
            continue  # a blank row of the form
        label = f"第 {i + 1} 行"
        permanent = form.get(f"permanent_{i}") == "1"
        lines.append(LineInput(
            category_id=params.integer(form, f"category_{i}", f"{label}的资产分类", 1),
            quantity=params.integer(form, f"quantity_{i}", f"{label}的数量", 1, 100_000),
            start_date=params.day(form, f"start_{i}", f"{label}的开始日期"),
            end_date=None if permanent else params.day(form, f"end_{i}", f"{label}的归还日期"),
            priority=params.integer(form, f"priority_{i}", f"{label}的优先级", 1, 9, required=False) or 1,
            listing_id=params.integer(form, f"listing_{i}", f"{label}的挂牌", 1, required=False),
            note=params.text(form, f"note_{i}", f"{label}的备注", RequestLine.note, required=False),
        ))
    return lines


def _new_context(db: Session, request: Request, user: User | None) -> dict:
    form = svc.new_request_form(db, user, params.small_id(request.query_params.get("listing")))
    return {"categories": form.categories, "purposes": PURPOSES, "blank_lines": BLANK_LINES, "listing": form.listing,
            "unit": form.unit, "values": {}}


@page("/requests/new")
def request_new(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "request_new.html", _new_context(db, request, user))


def _new_again(request: Request, db: Session, user: User, error: str, status: int, form: FormData) -> Response:
    ctx = _new_context(db, request, user) | {"error": error, "values": form}
    return render(request, "request_new.html", ctx, status_code=status)


@form_action("/requests/new", lambda request, req: f"/requests/{req.id}", _new_again)
def request_create(request: Request, db: Session, user: User, form: FormData) -> Request:
    svc.require_submitter(user)
    return svc.submit_request(db, user, params.text(form, "title", "申请事由", Req.title), _lines_from_form(form),
                              purpose=str(form.get("purpose") or ""),
                              place=params.text(form, "place", "送达地点", Req.place, required=False))


@page("/requests/{id}")
def request_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    view = svc.request_detail(db, user, path_id(request))
    if view.req.kind == "acquisition":  # its own page: the pool's offer and the standards check
        return RedirectResponse(f"/acquisitions/{view.req.id}", status_code=303)
    return render(request, "request_detail.html", {"v": view, "req": view.req})


@page("/requests/{id}/approve", "POST")
def request_approve(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    req = svc.approve_request(db, user, path_id(request))
    return RedirectResponse(f"/requests/{req.id}", status_code=303)


@page("/requests/{id}/reject", "POST")
def request_reject(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    req = svc.reject_request(db, user, path_id(request), params.text(form, "reason", "驳回理由", Req.reject_reason, required=False))
    return RedirectResponse(f"/requests/{req.id}", status_code=303)


@page("/requests/{id}/withdraw", "POST")
def request_withdraw(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    req = svc.withdraw_request(db, user, path_id(request))
    return RedirectResponse(f"/requests/{req.id}", status_code=303)
