"""QR codes for asset tags, as inline SVG."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str, scale: int = 4) -> str:
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="svg", scale=scale, xmldecl=False, svgns=True, border=2, omitsize=True)
    return buf.getvalue().decode("utf-8")
