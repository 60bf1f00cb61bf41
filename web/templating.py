"""Jinja2 templates with the helpers every page uses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import markupsafe
from jinja2.compiler import CodeGenerator
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from market import fields, models
from market.access import can
from market.models import ROLES
from web.deps import csrf_token
from web.nav import nav_html

SHANGHAI = ZoneInfo("Asia/Shanghai")

try:
    from markupsafe import _escape_inner  # the C function under ``markupsafe.escape`` (MarkupSafe 3)
except ImportError:  # another MarkupSafe: its escape, as text
    def _escape_inner(s: str) -> str:
        return str(markupsafe.escape(s))


def escape_text(value: object) -> str:
    """What ``markupsafe.escape`` makes of a template's ``{{ value }}``, as plain text: the same characters,
    without wrapping each of them in a ``Markup`` (a Python-level ``__new__``, some 200 times a browse page, a
    sixth of its CPU). An output is only ever joined into the page (or, in a ``{% set %}`` block or a macro,
    joined and then marked safe as a whole), so the wrapper carries nothing."""
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with each autoescaped output written as ``environment.escape_text(…)``."""

    def _output_child_pre(self, node, frame, finalize) -> None:  # noqa: ANN001
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("environment.escape_text(")
            if finalize.src is not None:
                self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)


templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.code_generator_class = _CodeGenerator  # (set before any template is compiled)
templates.env.escape_text = escape_text
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
templates.env.globals["nav"] = nav_html
templates.env.filters["yuan"] = yuan
templates.env.globals["ROLES"] = ROLES
templates.env.globals["can"] = can


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200):  # noqa: ANN201
    ctx = {"user": getattr(request.state, "user", None), "unread": getattr(request.state, "unread", 0),
           "csrf_token": csrf_token(request)} | (context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
