"""A rental offer's page (租赁报价): vendor, price, and the units free on the coming days."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market import rentals as svc
from market.models import User
from web.endpoints import page
from web.params import path_id
from web.templating import render


@page("/rentals/{id}")
def offer_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "rental_detail.html", {"v": svc.offer_page(db, user, path_id(request))})
