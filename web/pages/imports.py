"""Bulk import of a unit's asset ledger from a spreadsheet, with a progress bar and a row-error report."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market.errors import InvalidInput
from market.imports import check_import, import_units, template_workbook, upload_job
from market.infra.sheets import XLSX_MEDIA
from market.models import User
from web import jobs, params
from web.bodylimit import FORM_OVERHEAD
from web.endpoints import page
from web.responses import download
from web.templating import render

MAX_BYTES = 20 * 1024 * 1024


@page("/imports/new")
def import_form(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return render(request, "import.html", {"units": import_units(db, user)})


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
    job_id = jobs.start(user.id, "import", upload_job(user.id, unit_id, data, upload.filename, post))
    return RedirectResponse(f"/imports/{job_id}", status_code=303)


@page("/imports/template.xlsx")
def import_template(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    import_units(db, user)  # the template is for those who may import
    return download(template_workbook(db), XLSX_MEDIA, "gongwucang-import-template.xlsx")


@page("/imports/{job}")
def import_status(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    state = jobs.owned(request.path_params["job"], user.id)
    return render(request, "import_status.html", {"job": state})
