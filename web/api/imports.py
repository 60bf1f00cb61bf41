"""Importing a unit's asset ledger through the API: the template, an upload that starts a job, its progress."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market.errors import InvalidInput
from market.imports import MAX_FILE_BYTES, check_import, import_units, template_workbook, upload_job
from market.infra.sheets import XLSX_MEDIA
from market.models import User
from web import jobs, params
from web.api.registry import INT, STR, declare
from web.api.schemas import ANY, FILE, shape
from web.responses import download

MEDIA = (XLSX_MEDIA, "text/csv")


@declare("GET", "/api/imports/template", "下载导入模板（.xlsx：表头、示例行、全部末级分类代码、填写说明）", "导入", returns=FILE)
def template(request: Request, db: Session, user: User | None, body: Any) -> Response:
    import_units(db, user)
    return download(template_workbook(db), XLSX_MEDIA, "gongwucang-import-template.xlsx")


@declare("POST", "/api/imports", "导入资产台账：请求体为 .xlsx 或 .csv 文件本身；返回任务编号（202），轮询其进度与逐行错误",
         "导入", upload=(MAX_FILE_BYTES, MEDIA), query=[
             ("unit", INT, "导入到的单位编号"), ("post", {"enum": ["0", "1"]}, "1：导入后把闲置资产挂牌到公物池"),
             ("filename", STR, "文件名（.xlsx 或 .csv；缺省时按文件内容判断）")], returns=shape(job=STR, status=STR, progress_url=STR), status=202)
def start(request: Request, db: Session, user: User | None, body: Any) -> Response:
    q = request.query_params
    unit_id = params.integer(q, "unit", "单位", 1)
    post = q.get("post") == "1"
    check_import(db, user, unit_id, post)
    if not body:
        raise InvalidInput("请求体为空：请把 .xlsx 或 .csv 文件本身作为请求体上传。", "file")
    # the file's own bytes say what it is when no name is given: a workbook is a zip archive
    filename = q.get("filename") or ("upload.xlsx" if body[:2] == b"PK" else "upload.csv")
    job_id = jobs.start(user.id, "import", upload_job(user.id, unit_id, body, filename, post))
    return JSONResponse({"job": job_id, "status": "queued", "progress_url": f"/api/imports/{job_id}"},
                        status_code=202)


@declare("GET", "/api/imports/{job}", "导入任务的进度与结果（完成时：创建件数，或每一行的错误）", "导入", returns=shape(job=STR, status=STR, done=INT, total=INT, result=ANY))
def progress(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    state = jobs.owned(request.path_params["job"], user.id)
    return {"job": state["id"], "status": state["status"], "done": state.get("done", 0),
            "total": state.get("total", 0), "result": state.get("result")}
