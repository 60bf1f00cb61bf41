"""Inventory counts (盘点): start, scan (file or one by one), differences, settle, close."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import counts as svc
from market.errors import InvalidInput
from market.models import CONDITIONS, COUNT_ISSUES, RESOLUTIONS, CountLine, InventoryCount, User
from web import lists, params
from web.bodylimit import FORM_OVERHEAD
from web.endpoints import page
from web.params import path_id
from web.templating import render

MAX_FILE = 10 * 1024 * 1024


@page("/counts")
def count_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, svc.COUNT_LIST, "counts.html",
                           lambda lp: {"scopes": svc.count_scopes(db, user)})


@page("/counts", "POST")
def count_start(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    scope = str(form.get("scope") or "")
    kind, _, ident = scope.partition(":")
    number = params.small_id(ident)
    if kind not in ("w", "u") or number is None:
        raise InvalidInput("请选择盘点的仓库或单位。", "scope")
    count = svc.start_count(db, user, warehouse_id=number if kind == "w" else None,
                            unit_id=number if kind == "u" else None,
                            title=params.text(form, "title", "盘点名称", InventoryCount.title, required=False))
    return RedirectResponse(f"/counts/{count.id}", status_code=303)


def _detail(request: Request, db: Session, user: User, count_id: int, message: str | None = None,
            error: str | None = None, status: int = 200) -> Response:
    view = svc.count_detail(db, user, count_id)
    return render(request, "count_detail.html", {
        "v": view, "count": view.count, "kinds": COUNT_ISSUES, "resolutions": RESOLUTIONS, "allowed": svc.ALLOWED,
        "conditions": CONDITIONS, "message": message, "error": error}, status_code=status)


@page("/counts/{id}")
def count_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _detail(request, db, user, path_id(request))


@page("/counts/{id}/scan", "POST", max_body=MAX_FILE + FORM_OVERHEAD, write=False)
def count_scan(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    # The file is read before any write transaction; the reads are then recorded in one of their own.
    count = svc.visible_count(db, user, path_id(request))
    try:
        reads = [t for t in str(form.get("tags") or "").split() if t]
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            data = upload.file.read(MAX_FILE + 1)
            if len(data) > MAX_FILE:
                raise InvalidInput("文件超过 10 MB。", "file")
            reads += svc.parse_reads(data)
        if not reads:
            raise InvalidInput("请扫描或输入标签，或上传扫描器导出的文件。", "tags")
        r = svc.record_scan(user.id, count.id, reads, params.text(form, "location", "实际位置", CountLine.seen_location,
                                                                   required=False), str(form.get("condition") or ""))
    except InvalidInput as exc:
        db.rollback()
        return _detail(request, db, user, count.id, error=exc.message, status=exc.status)
    msg = f"读取 {len(reads)} 条：账内 {r.matched} 件，账外 {r.unexpected} 件，重复 {r.repeated} 条。"
    db.rollback()  # end the read begun before the write: the page shows what was just recorded
    return _detail(request, db, user, count.id, message=msg)


@page("/counts/lines/{id}/resolve", "POST")
def count_resolve(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    line = svc.resolve(db, user, path_id(request), str(form.get("resolution") or ""),
                       params.text(form, "note", "说明", CountLine.note, required=False))
    return RedirectResponse(f"/counts/{line.count_id}", status_code=303)


@page("/counts/{id}/settle", "POST")
def count_settle(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    """Settle many differences at once: the ticked lines, or every unsettled one of a kind."""
    count_id = path_id(request)
    scope = str(form.get("scope") or "selected")
    ids = [params.small_id(v) for v in form.getlist("line")] if scope == "selected" else None
    try:
        if ids is not None and (not ids or None in ids):
            raise InvalidInput("请先勾选要处理的差异，或在“处理范围”中选择一类差异。", "lines")
        done = svc.settle(db, user, count_id, str(form.get("resolution") or ""),
                          params.text(form, "note", "说明", CountLine.note, required=False),
                          line_ids=ids, kind=None if ids is not None else scope)
    except InvalidInput as exc:
        db.rollback()
        return _detail(request, db, user, count_id, error=exc.message, status=exc.status)
    cases = f"，已申请损失核销：{'、'.join(done.cases)}" if done.cases else ""
    return _detail(request, db, user, count_id, message=f"已处理 {done.lines} 处差异{cases}。")


@page("/counts/{id}/close", "POST")
def count_close(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    count = svc.close_count(db, user, path_id(request))
    return RedirectResponse(f"/counts/{count.id}", status_code=303)
