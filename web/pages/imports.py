"""Bulk import of a unit's asset ledger from a spreadsheet, with a progress bar and a row-error report."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market.errors import InvalidInput, NotFound, PermissionDenied
from market.imports import check_import, import_units
from market.models import User
from web import jobs, params
from web.bodylimit import FORM_OVERHEAD
from web.endpoints import page
from web.templating import render

MAX_BYTES = 20 * 1024 * 1024


@page("/imports/new")
def import_form(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "import.html", {"units": import_units(db, user)})


def _run_import(user_id: int, unit_id: int, data: bytes, filename: str, post: bool = False):  # noqa: ANN202
    def work(progress) -> dict:  # noqa: ANN001
        from market.imports import ImportRejected, import_upload

        try:
            # read in a worker process, checked, then written (and posted) in one transaction
            result = import_upload(user_id, unit_id, data, filename, progress=progress, post_idle=post)
        except ImportRejected as exc:
            return {"ok": False, "message": exc.message, "total": 0,
                    "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in exc.errors]}
        return {"ok": True, "created": result.created, "seconds": round(result.seconds, 2),
                "total": result.created, "listings": result.listings}

    return work


@page("/imports", "POST", max_body=MAX_BYTES + FORM_OVERHEAD, write=False)  # the job writes, later
def import_submit(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    unit_id = params.integer(form, "unit", "单位", 1)
    post = form.get("post") == "1"
    check_import(db, user, unit_id, post)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("请选择要导入的 .xlsx 或 .csv 文件。", "file")
    data = upload.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidInput("文件超过 20 MB，请拆分后导入。", "file")
    job_id = jobs.start(user.id, "import", _run_import(user.id, unit_id, data, upload.filename, post))
    return RedirectResponse(f"/imports/{job_id}", status_code=303)


@page("/imports/{job}")
def import_status(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    state = jobs.read(request.path_params["job"])
    if state is None:
        raise NotFound("导入任务不存在或已过期。")
    if state["owner"] != user.id:
        raise PermissionDenied("只能查看自己发起的导入。")
    return render(request, "import_status.html", {"job": state})
