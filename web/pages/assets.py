"""Every asset's page: its QR code, details and whole history as a timeline."""

from __future__ import annotations

from markupsafe import Markup
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market.assets import asset_by_tag, current_order_id, visible_asset
from market.errors import NotFound
from market.infra.eventlog import history
from market.models import Category, PoolListing, Unit, User, Warehouse

from ..forms import small_id
from ..handlers import page
from ..qr import qr_svg
from ..templating import render
from .requests import _path_id


@page
def asset_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    asset = visible_asset(db, user, _path_id(request))
    events = history(db, "asset", asset.id)
    actors = {e.actor_id for e in events if e.actor_id}
    names = {u.id: u.display_name for u in (db.get(User, i) for i in actors) if u}
    return render(request, "asset_detail.html", {
        "asset": asset, "events": events, "names": names, "qr": Markup(qr_svg(asset.tag)),
        "category": db.get(Category, asset.category_id), "owner": db.get(Unit, asset.owner_unit_id),
        "warehouse": db.get(Warehouse, asset.warehouse_id) if asset.warehouse_id else None,
        "listing": db.get(PoolListing, asset.listing_id) if asset.listing_id else None,
        "order_id": current_order_id(db, asset.id),
    })


@page
def asset_lookup(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    """Scan or type a tag (or an RFID EPC) and land on the asset's page."""
    tag = request.query_params.get("tag", "")[:64]
    asset = asset_by_tag(db, tag) if tag.strip() else None
    if asset is None:
        raise NotFound(f"找不到标签为“{tag}”的资产。", "tag")
    return RedirectResponse(f"/assets/{asset.id}", status_code=303)


MAX_LABELS = 600


@page
def labels(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    """A4 sheets of QR labels (3 × 8 a page) for the chosen assets, ready to print."""
    from market.errors import InvalidInput

    raw = request.query_params.getlist("id") + [x for x in request.query_params.get("ids", "").split(",") if x]
    if not raw:
        raise InvalidInput("请先选择要打印标签的资产。", "id")
    if len(raw) > MAX_LABELS:
        raise InvalidInput(f"一次最多打印 {MAX_LABELS} 张标签。", "id")
    ids = [small_id(x) for x in raw]
    if None in ids:
        raise InvalidInput("资产编号无效。", "id")
    assets = [visible_asset(db, user, i) for i in dict.fromkeys(ids)]
    owners = {a.owner_unit_id: db.get(Unit, a.owner_unit_id).name for a in assets}
    cards = [{"asset": a, "owner": owners[a.owner_unit_id], "qr": Markup(qr_svg(a.tag, scale=3))} for a in assets]
    pages = [cards[i:i + 24] for i in range(0, len(cards), 24)]
    return render(request, "labels.html", {"pages": pages})
