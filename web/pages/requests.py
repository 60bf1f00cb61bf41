"""Requests (需求申请): a unit asks for items; the approver decides; the unit can withdraw."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import requests as svc
from market.errors import InvalidInput, InvalidInputs, MarketError
from market.models import PURPOSES, RequestLine, User, utcnow
from market.models import Request as Req
from market.requests import LineInput
from web import lists, params
from web.endpoints import page
from web.params import path_id
from web.templating import render

FIRST_LINES = 1  # a new request starts with one line; "添加一行" adds more (in the page, or by a round trip)
LINE_FIELDS = {"category_id": "category", "quantity": "quantity", "start_date": "start", "end_date": "end",
               "priority": "priority", "listing_id": "listing", "note": "note"}


@page("/requests")
def request_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, svc.REQUEST_LIST, "requests.html")


def _line_count(form: FormData, strict: bool = True) -> int:
    """The form's number of line rows (a hidden field); a forged one is refused, or (``strict`` False, to show the
    form again) taken as the first count."""
    try:
        return params.integer(form, "line_count", "明细行数", 1, svc.MAX_LINES, required=False) or FIRST_LINES
    except InvalidInput:
        if strict:
            raise
        return FIRST_LINES


def _read(problems: list[InvalidInput], read: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One field read from the form; a mistake is kept in ``problems`` (and None returned) so that all are shown."""
    try:
        return read(*args, **kwargs)
    except InvalidInput as exc:
        problems.append(exc)
        return _MISSING


_MISSING = object()


def _lines_from_form(form: FormData, problems: list[InvalidInput]) -> list[LineInput]:
    """The lines a form filled in (blank rows skipped); every mistake reading them is added to ``problems``."""
    lines: list[LineInput] = []
    for i in range(_line_count(form)):
        cat = str(form.get(f"category_{i}") or "").strip()
        qty = str(form.get(f"quantity_{i}") or "").strip()
        if not cat and not qty:
            continue  # a blank row of the form
        label = f"第 {i + 1} 行"
        permanent = form.get(f"permanent_{i}") == "1"
        got = {
            "category_id": _read(problems, params.integer, form, f"category_{i}", f"{label}的资产分类", 1),
            "quantity": _read(problems, params.integer, form, f"quantity_{i}", f"{label}的数量", 1, 100_000),
            # a permanent transfer has no return date, and starts today unless a day is given
            "start_date": _read(problems, params.day, form, f"start_{i}", f"{label}的开始日期",
                                required=not permanent) or utcnow().date(),
            "end_date": None if permanent else _read(problems, params.day, form, f"end_{i}", f"{label}的归还日期"),
            "priority": _read(problems, params.integer, form, f"priority_{i}", f"{label}的优先级", 1, 9,
                              required=False) or 1,
            "listing_id": _read(problems, params.integer, form, f"listing_{i}", f"{label}的挂牌", 1, required=False),
            "note": _read(problems, params.text, form, f"note_{i}", f"{label}的备注", RequestLine.note, required=False),
        }
        if _MISSING not in got.values():
            lines.append(LineInput(**got, row=i))
    return lines


def _new_context(db: Session, request: Request, user: User | None) -> dict:
    form = svc.new_request_form(db, user, params.small_id(request.query_params.get("listing")))
    return {"categories": form.categories, "purposes": PURPOSES, "line_count": FIRST_LINES, "listing": form.listing,
            "unit": form.unit, "values": {}, "errors": {}, "priorities": svc.PRIORITY_HELP}


@page("/requests/new")
def request_new(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "request_new.html", _new_context(db, request, user))


def _field_errors(exc: MarketError) -> dict[str, str]:
    """Each mistake under the name of the form field it belongs to ("quantity_2"), for the page to show beside it."""
    out: dict[str, str] = {}
    for p in getattr(exc, "problems", [exc]):
        field = p.field or ""
        if field.startswith("lines["):
            row, _, name = field[len("lines["):].partition("].")
            field = f"{LINE_FIELDS.get(name, name)}_{row}"
        out.setdefault(field, p.message)
    return out


def _new_again(request: Request, db: Session, user: User, error: str, status: int, form: FormData,
               exc: MarketError | None = None) -> Response:
    ctx = _new_context(db, request, user) | {"error": error, "values": form, "line_count": _line_count(form, strict=False),
                                             "errors": _field_errors(exc) if exc is not None else {}}
    return render(request, "request_new.html", ctx, status_code=status)


@page("/requests/new", "POST")
def request_create(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    svc.require_submitter(user)
    if form.get("add_line"):  # "添加一行" without script: the same form again, one line longer, nothing sent
        more = FormData([(k, v) for k, v in form.multi_items() if k != "line_count"]
                        + [("line_count", str(min(_line_count(form) + 1, svc.MAX_LINES)))])
        return _new_again(request, db, user, None, 200, more)
    try:
        problems: list[InvalidInput] = []
        title = _read(problems, params.text, form, "title", "申请事由", Req.title)
        lines = _lines_from_form(form, problems)
        purpose = str(form.get("purpose") or "")
        if problems:  # what the service finds in the readable lines is shown beside what could not be read
            found = problems + svc.request_problems(db, user, "-" if title is _MISSING else title, lines, purpose)
            raise InvalidInputs(sorted(found, key=_form_order(form)))
        req = svc.submit_request(db, user, title, lines, purpose=purpose,
                                 place=params.text(form, "place", "送达地点", Req.place, required=False))
    except MarketError as exc:
        db.rollback()
        if exc.status in (401, 403, 404):
            raise
        return _new_again(request, db, user, exc.message, exc.status, form, exc)
    return RedirectResponse(f"/requests/{req.id}", status_code=303)


def _form_order(form: FormData):  # noqa: ANN202
    """Mistakes in the order their fields appear on the page."""
    order = {name: n for n, name in enumerate(dict.fromkeys(form.keys()))}
    return lambda p: order.get(next(iter(_field_errors(p))), len(order))


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
