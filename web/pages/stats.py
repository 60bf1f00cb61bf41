"""The supervisors' dashboard: figures with their method, charts, drill-down to records, Excel export."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market import stats
from market.infra import sheets
from market.models import User
from web import lists
from web.endpoints import page
from web.responses import download
from web.templating import render


def _period(request: Request) -> stats.Period:
    q = request.query_params
    return stats.period(q.get("from"), q.get("to"))


@page("/stats")
def dashboard(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    d = stats.dashboard(db, user, within=_period(request))
    return render(request, "dashboard.html", {"d": d, "query": urlencode(
        {"from": d.period.start.isoformat(), "to": d.period.end.isoformat()})})


@page("/stats/records")
def records(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    kind = request.query_params.get("kind", "")
    return lists.list_page(request, db, user, stats.record_list(kind), "records.html",
                             lambda lp: {"kind": kind, "target": stats.RECORD_LINKS[kind]}, keep={"kind": kind})


@page("/stats/export.xlsx")
def export(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    """The dashboard and every record behind it as an Excel workbook."""
    return download(sheets.xlsx_bytes(stats.workbook(db, user, _period(request))), sheets.XLSX_MEDIA,
                    "gongwucang-stats.xlsx")
