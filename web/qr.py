"""QR codes for asset labels and pages, as inline SVG: each holds the asset page's address."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup
from starlette.requests import Request

from market.assets import asset_link
from market.infra.config import settings


def qr_svg(text: str, scale: int = 4) -> str:
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="svg", scale=scale, xmldecl=False, svgns=True, border=2, omitsize=True)
    return buf.getvalue().decode("utf-8")


def asset_qr(request: Request, asset_id: int, scale: int = 4) -> Markup:
    """The QR code of an asset's page: ``GONGWUCANG_PUBLIC_URL`` when set (what phones reach), else the address
    this request came in on."""
    base = settings().public_url or str(request.base_url)
    return Markup(qr_svg(asset_link(base, asset_id), scale))
