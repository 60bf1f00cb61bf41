"""Acquisition requests (配置申请): a unit asks to buy; the pool first (先调剂), then the standards, then finance's
exception or central purchasing."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import acquisitions as svc
from market import requests as requests_svc
from market.acquisitions import AcquisitionInput
from market.models import Acquisition, User
from web import lists, params
from web.endpoints import form_action, page
from web.params import path_id
from web.templating import render


@page("/acquisitions")
def acquisition_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, svc.ACQUISITION_LIST, "acquisitions.html")


def _new_context(db: Session, user: User | None) -> dict:
    f = svc.new_acquisition_form(db, user)
    return {"unit": f.unit, "categories": f.categories, "ranks": f.ranks, "values": {}}


@page("/acquisitions/new")
def acquisition_new(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "acquisition_new.html", _new_context(db, user))


def _new_again(request: Request, db: Session, user: User, error: str, status: int, form: FormData) -> Response:
    return render(request, "acquisition_new.html", _new_context(db, user) | {"error": error, "values": form},
                  status_code=status)


def _input(form: FormData) -> AcquisitionInput:
    """The form as typed: every field is checked by the service at once, so all mistakes are shown together."""
    def whole(name: str) -> int | str:
        raw = str(form.get(name) or "").strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else raw

    return AcquisitionInput(category_id=whole("category"), quantity=whole("quantity"),
                            unit_price=str(form.get("unit_price") or ""), reason=str(form.get("reason") or ""),
                            rank=str(form.get("rank") or ""), exception_wanted=form.get("exception") == "1")


@form_action("/acquisitions/new", lambda request, req: f"/acquisitions/{req.id}", _new_again)
def acquisition_create(request: Request, db: Session, user: User, form: FormData) -> Request:
    svc.new_acquisition_form(db, user)
    return svc.submit_acquisition(db, user, _input(form))


def _detail(request: Request, db: Session, user: User, error: str | None = None, status: int = 200) -> Response:
    view = svc.acquisition_detail(db, user, path_id(request))
    return render(request, "acquisition_detail.html", {"v": view, "req": view.req, "error": error,
                                                     "rank_label": svc.rank_label},
                  status_code=status)


@page("/acquisitions/{id}")
def acquisition_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _detail(request, db, user)


def _act(path: str):  # noqa: ANN202
    return form_action(path, lambda request, req: f"/acquisitions/{req.id}",
                       lambda request, db, user, error, status, form: _detail(request, db, user, error, status))


@_act("/acquisitions/{id}/accept")
def acquisition_accept(request: Request, db: Session, user: User, form: FormData) -> Request:
    return svc.accept_pool(db, user, path_id(request))


@_act("/acquisitions/{id}/decline")
def acquisition_decline(request: Request, db: Session, user: User, form: FormData) -> Request:
    return svc.decline_pool(db, user, path_id(request), str(form.get("reason") or ""))


@_act("/acquisitions/{id}/look-again")
def acquisition_look_again(request: Request, db: Session, user: User, form: FormData) -> Request:
    return svc.look_again(db, user, path_id(request))


@_act("/acquisitions/{id}/exception")
def acquisition_exception(request: Request, db: Session, user: User, form: FormData) -> Request:
    return svc.decide_exception(db, user, path_id(request), svc.decision(form.get("decision")),
                                params.text(form, "note", "审批意见", Acquisition.decision_note, required=False))


@page("/acquisitions/{id}/withdraw", "POST")
def acquisition_withdraw(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    req = requests_svc.withdraw_request(db, user, path_id(request))
    return RedirectResponse(f"/acquisitions/{req.id}", status_code=303)
