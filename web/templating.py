"""Jinja2 templates with the helpers every page uses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from market import fields, models
from market.access import can
from market.models import ROLES
from web.deps import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Each template is compiled once per process and kept: no look at the files' times on every page (they change
# only with a new release, which restarts the app).
templates.env.auto_reload = False


def local_time(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


def yuan(value) -> str:  # noqa: ANN001
    return "" if value is None else f"¥{value:,.2f}"


def maxlen(ref: str) -> int:
    """A form field's ``maxlength`` from the declaration the server reads it with: ``"Model.field"`` (the column's
    length), ``"REASON"`` (text kept only in the event log) or ``"LOOKUP"`` (a scan box)."""
    if ref == "REASON":
        return fields.REASON_LIMIT
    if ref == "LOOKUP":
        return fields.LOOKUP_LIMIT
    model, name = ref.split(".")
    return fields.limit(getattr(getattr(models, model), name))


templates.env.filters["local_time"] = local_time
templates.env.globals["maxlen"] = maxlen
templates.env.filters["yuan"] = yuan
templates.env.globals["ROLES"] = ROLES
templates.env.globals["can"] = can


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200):  # noqa: ANN201
    ctx = {"user": getattr(request.state, "user", None), "unread": getattr(request.state, "unread", 0),
           "csrf_token": csrf_token(request)} | (context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
