"""Allocation proposals (调配方案): run the matcher, review, edit quantities, accept into orders."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import proposals as svc
from market.access import can
from market.errors import InvalidInput
from market.models import Proposal, User
from web import lists, params
from web.endpoints import form_action, page
from web.params import path_id
from web.templating import render


@page("/proposals")
def proposal_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, svc.PROPOSAL_LIST, "proposals.html", lambda lp: {
        "waiting": svc.waiting_requests(db, user), "can_run": can(user, "run_matcher")})


@page("/proposals/run", "POST")
def proposal_run(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    policy = str(form.get("policy") or "tiered")
    limit = params.integer(form, "time_limit", "求解时间上限（秒）", 1, 600, required=False) or 30
    prop = svc.run_matcher(db, user, policy, float(limit))
    return RedirectResponse(f"/proposals/{prop.id}", status_code=303)


def _review(request: Request, db: Session, user: User, error: str | None = None, status: int = 200) -> Response:
    view = svc.proposal_detail(db, user, path_id(request))
    return render(request, "proposal_detail.html", {"v": view, "prop": view.prop, "error": error}, status_code=status)


@page("/proposals/{id}")
def proposal_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _review(request, db, user)


@page("/proposals/{id}/candidates")
def proposal_candidates(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    c = svc.proposal_candidates(db, user, path_id(request), request.query_params.get("request", ""))
    return render(request, "proposal_candidates.html", {"c": c, "prop": c.prop})


def _review_again(request: Request, db: Session, user: User, error: str, status: int, form: FormData) -> Response:
    return _review(request, db, user, error, status)


@form_action("/proposals/{id}/edit", lambda request, prop: f"/proposals/{prop.id}", _review_again)
def proposal_edit(request: Request, db: Session, user: User, form: FormData) -> Proposal:
    prop = svc.visible_proposal(db, user, path_id(request))
    quantities: dict[tuple[str, str], int] = {}
    for key in form:
        if key.startswith("q|"):
            parts = key.split("|", 2)
            if len(parts) != 3:
                raise InvalidInput("调整项格式不正确，请刷新页面后重试。", key)
            _, rid, source = parts
            quantities[(rid, source)] = params.integer(form, key, f"{rid} ← {source} 的数量", 0)
    return svc.edit_proposal(db, user, prop.id, quantities)


@page("/proposals/{id}/accept", "POST")
def proposal_accept(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    prop = svc.accept_proposal(db, user, path_id(request))
    return RedirectResponse(f"/proposals/{prop.id}", status_code=303)


@page("/proposals/{id}/discard", "POST")
def proposal_discard(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    prop = svc.discard_proposal(db, user, path_id(request))
    return RedirectResponse(f"/proposals/{prop.id}", status_code=303)
