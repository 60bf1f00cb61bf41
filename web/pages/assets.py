"""Every asset's page: its QR code, details and whole history as a timeline."""

from __future__ import annotations

from markupsafe import Markup
from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market.access import UNIT_ROLES, can
from market.assets import asset_by_tag, current_order_id, unit_assets, visible_asset
from market.errors import NotFound
from market.infra.eventlog import history
from market.infra.rows import get_or_404
from market.models import (
    ASSET_STATUSES,
    DISPOSAL_METHODS,
    LISTING_MODES,
    Category,
    PoolListing,
    Unit,
    User,
    Warehouse,
)
from web import params
from web.endpoints import page
from web.params import path_id, small_id
from web.qr import qr_svg
from web.templating import render


@page("/assets/{id}")
def asset_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    asset = visible_asset(db, user, path_id(request))
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


@page("/assets/lookup")
def asset_lookup(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    """Scan or type a tag (or an RFID EPC) and land on the asset's page."""
    tag = request.query_params.get("tag", "")[:64]
    asset = asset_by_tag(db, user, tag)
    if asset is None:
        raise NotFound("找不到该标签对应的资产，或无权查看。", "tag")
    return RedirectResponse(f"/assets/{asset.id}", status_code=303)


MAX_LABELS = 600


@page("/assets/labels")
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


def _unit_for(request: Request, db: Session, user: User) -> Unit:
    if user.role in UNIT_ROLES:
        return db.get(Unit, user.unit_id)
    unit_id = params.small_id(request.query_params.get("unit"))
    if unit_id is not None:
        return get_or_404(db, Unit, unit_id, "unit")
    return db.exec(select(Unit).where(Unit.is_bureau)).first() or db.exec(select(Unit).order_by(Unit.id)).first()


def assets_page(request: Request, db: Session, user: User, error: str | None = None, values: FormData | None = None,
                 status_code: int = 200) -> Response:
    unit = _unit_for(request, db, user)
    status = request.query_params.get("status") or None
    rows = unit_assets(db, user, unit.id, status if status in ASSET_STATUSES else None) if unit else []
    cats = {c.id: c for c in db.exec(select(Category))}
    units = list(db.exec(select(Unit).order_by(Unit.code))) if user.role not in UNIT_ROLES else []
    targets = [u for u in db.exec(select(Unit).order_by(Unit.code)) if unit is None or u.id != unit.id]
    return render(request, "assets.html", {
        "unit": unit, "rows": rows, "cats": cats, "status": status or "", "statuses": ASSET_STATUSES,
        "units": units, "modes": LISTING_MODES, "error": error, "values": values or {},
        "can_post": unit is not None and can(user, "post_listing", unit.id), "targets": targets,
        "can_transfer": unit is not None and can(user, "propose_transfer", unit.id),
        "can_dispose": unit is not None and can(user, "apply_disposal", unit.id), "methods": DISPOSAL_METHODS,
    }, status_code=status_code)


@page("/assets")
def asset_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return assets_page(request, db, user)


def assets_rerender(request: Request, db: Session, user: User, error: str, status: int, form: FormData) -> Response:
    """The unit's asset page again with a form's error (posting, transfer, disposal), the values kept."""
    return assets_page(request, db, user, error, form, status)
