"""The supervisors' dashboard: figures with their method, charts, drill-down to records, Excel export."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market import stats
from market.models import User
from web.endpoints import page
from web.params import small_id
from web.templating import render


@page("/stats")
def dashboard(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "dashboard.html", {"d": stats.dashboard(db, user)})


def _records_args(request: Request) -> dict:
    q = request.query_params
    return {"kind": q.get("kind", ""), "category": small_id(q.get("category")), "unit": small_id(q.get("unit")),
            "month": q.get("month") if len(q.get("month", "")) == 7 else None}


@page("/stats/records")
def records(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    args = _records_args(request)
    headers, rows = stats.records(db, user, **args)
    return render(request, "records.html", {"title": stats.RECORD_KINDS.get(args["kind"], ""), "headers": headers,
                                            "rows": rows, "query": request.url.query})


@page("/stats/export.xlsx")
def export(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    """The dashboard and its records as an Excel workbook."""
    d = stats.dashboard(db, user)
    wb = Workbook()
    ws = wb.active
    ws.title = "指标"
    ws.append(["指标", "数值", "计算方法"])
    for f in d.figures:
        ws.append([f.label, f.value, f.method])
    for title, rows, col in (("每月调配", d.months, "件数"), ("每月批次", d.batches, "批次"),
                             ("每月节约", d.savings, "节约（元）"), ("闲置分类", d.idle_categories, "闲置件数"),
                             ("单位闲置率", d.idle_units, "闲置率（%）"), ("分类利用率", d.utilisation, "利用率（%）")):
        sheet = wb.create_sheet(title)
        sheet.append(["项目", col])
        for r in rows:
            sheet.append([r.label, round(r.value, 2)])
    for kind in ("idle", "overdue", "batches"):
        headers, rows = stats.records(db, user, kind)
        sheet = wb.create_sheet(stats.RECORD_KINDS[kind][:31])
        sheet.append(headers[:-1])
        for row in rows:
            sheet.append(row[:-1])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(buf.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''gongwucang-stats.xlsx"})
