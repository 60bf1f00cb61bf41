"""The supervisors' dashboard: figures with their method, charts, drill-down to records, Excel export."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market import stats
from market.models import User
from web import lists
from web.endpoints import page
from web.templating import render


@page("/stats")
def dashboard(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "dashboard.html", {"d": stats.dashboard(db, user)})


@page("/stats/records")
def records(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    kind = request.query_params.get("kind", "")
    return lists.list_page(request, db, user, stats.record_list(kind), "records.html",
                             lambda lp: {"kind": kind, "target": stats.RECORD_LINKS[kind]}, keep={"kind": kind})


@page("/stats/export.xlsx")
def export(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    """The dashboard and every record behind it as an Excel workbook."""
    wb = Workbook(write_only=True)
    for title, headers, rows in stats.workbook(db, user):
        sheet = wb.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(buf.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''gongwucang-stats.xlsx"})
