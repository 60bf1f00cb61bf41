"""Disposal pages: 申请 → 审批 → 评估 (report attached) → 拍卖/转让 or 交接 → 上缴国库 → 核销, each step by
the role allowed to take it, each kept in the assets' history."""

from __future__ import annotations

import re
import secrets

from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from market import disposal as svc
from market.errors import InvalidInput, NotFound
from market.infra.config import settings
from market.models import DisposalCase, User
from web import lists, params
from web.bodylimit import FORM_OVERHEAD
from web.endpoints import form_action, page
from web.params import path_id
from web.templating import render

REPORT_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
MAX_REPORT = 10 * 1024 * 1024


@page("/disposals")
def case_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, svc.DISPOSAL_LIST, "disposals.html")


@page("/disposals", "POST")
def case_apply(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    case = svc.apply_disposal(db, user, params.ids(form.getlist("asset"), "asset_ids", "资产"),
                              str(form.get("method") or ""), params.text(form, "reason", "处置理由", DisposalCase.reason),
                              form.get("beyond_repair") == "1", str(form.get("damage_report") or ""))
    return RedirectResponse(f"/disposals/{case.id}", status_code=303)


def _detail(request: Request, db: Session, user: User, error: str | None = None, status: int = 200) -> Response:
    view = svc.case_detail(db, user, path_id(request))
    return render(request, "disposal_detail.html", {"v": view, "case": view.case, "error": error}, status_code=status)


@page("/disposals/{id}")
def case_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _detail(request, db, user)


def _save_report(case_id: int, upload: UploadFile | None) -> str:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return ""
    suffix = "." + upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    if suffix not in REPORT_TYPES:
        raise InvalidInput("评估报告须为 PDF、JPG 或 PNG 文件。", "report")
    data = upload.file.read(MAX_REPORT + 1)
    if len(data) > MAX_REPORT:
        raise InvalidInput("评估报告文件超过 10 MB。", "report")
    if not data:
        raise InvalidInput("评估报告文件是空的。", "report")
    folder = settings().data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"disposal-{case_id}-{secrets.token_hex(6)}{suffix}"
    (folder / name).write_bytes(data)
    return name


def _detail_again(request: Request, db: Session, user: User, error: str, status: int, form: FormData) -> Response:
    return _detail(request, db, user, error, status)


@form_action("/disposals/{id}/{step}", lambda request, case: f"/disposals/{case.id}", _detail_again,
             MAX_REPORT + FORM_OVERHEAD)
def case_step(request: Request, db: Session, user: User, form: FormData) -> DisposalCase:
    case = svc.visible_case(db, user, path_id(request))
    step = request.path_params["step"]
    if step not in svc.STEPS:
        raise NotFound("没有这个处置步骤。")
    report = _save_report(case.id, form.get("report")) if step == "appraise" else ""
    try:
        return svc.take_step(db, user, case.id, step, form, report)
    except BaseException:  # refused, wrong state or bad input: the upload must not stay behind
        if report:
            (settings().data_dir / "uploads" / report).unlink(missing_ok=True)
        raise


@page("/disposals/{id}/report")
def case_report(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    case = svc.visible_case(db, user, path_id(request))
    name = case.appraisal_report
    if not name or not re.fullmatch(r"disposal-\d+-[0-9a-f]+\.\w+", name):
        raise NotFound("该处置单没有评估报告附件。")
    path = settings().data_dir / "uploads" / name
    if not path.is_file():
        raise NotFound("评估报告文件不存在。")
    suffix = path.suffix.lower()
    return FileResponse(path, media_type=REPORT_TYPES.get(suffix, "application/octet-stream"),
                        filename=f"评估报告-{case.number}{suffix}")

