"""Every asset's page: its QR code, details and whole history as a timeline; the list of assets; labels."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import accounts, assets
from market.errors import NotFound
from market.lists import ListPage
from market.models import DISPOSAL_METHODS, LISTING_MODES, User
from web import lists, params
from web.endpoints import page
from web.params import path_id
from web.qr import asset_qr
from web.templating import render


@page("/assets/{id}")
def asset_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    p = assets.asset_page(db, user, path_id(request))
    return render(request, "asset_detail.html", {
        "asset": p.asset, "events": p.events, "names": p.names, "qr": asset_qr(request, p.asset.id),
        "category": p.category, "owner": p.owner, "warehouse": p.warehouse, "listing": p.listing,
        "order_id": p.order_id, "life": p.life,
    })


@page("/assets/lookup")
def asset_lookup(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    """Scan or type a tag, an RFID EPC or a label's QR link and land on the asset's page; without one, the form."""
    raw = request.query_params.get("tag", "")
    if not raw.strip():
        return render(request, "lookup.html", {"tag": ""})
    try:
        asset = assets.lookup(db, user, raw)
    except NotFound as exc:
        # the miss does not echo what was typed: a page never shows a tag its reader may not see
        return render(request, "lookup.html", {"tag": "", "error": exc.message}, status_code=404)
    return RedirectResponse(f"/assets/{asset.id}", status_code=303)


@page("/assets/labels")
def labels(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    """A4 sheets of QR labels (3 × 8 a page) for the chosen assets, ready to print."""
    raw = request.query_params.getlist("id") + [x for x in request.query_params.get("ids", "").split(",") if x]
    sheet = assets.label_sheet(db, user, params.ids(raw[:assets.MAX_LABELS + 1], "id", "资产"))
    cards = [{"asset": a, "owner": owner, "qr": asset_qr(request, a.id, scale=3)} for a, owner in sheet]
    pages = [cards[i:i + 24] for i in range(0, len(cards), 24)]
    return render(request, "labels.html", {"pages": pages})


def assets_page(request: Request, db: Session, user: User, error: str | None = None, values: FormData | None = None,
                status_code: int = 200) -> Response:
    def extra(lp: ListPage) -> dict:
        actions = assets.asset_actions(user, lp.query.filters.get("unit"))
        return {"unit_name": accounts.unit_name(db, actions.unit_id), "actions": actions,
                "targets": [u for u in accounts.units(db) if u.id != actions.unit_id], "modes": LISTING_MODES,
                "methods": DISPOSAL_METHODS, "error": error, "values": values or {}}

    return lists.list_page(request, db, user, assets.ASSET_LIST, "assets.html", extra, status_code=status_code)


@page("/assets")
def asset_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return assets_page(request, db, user)


def assets_rerender(request: Request, db: Session, user: User, error: str, status: int, form: FormData) -> Response:
    """The asset list again with a form's error (posting, transfer, disposal), the values kept."""
    return assets_page(request, db, user, error, form, status)
