"""Disposal pages: 申请 → 审批 → 评估 (report attached) → 拍卖/转让 or 交接 → 上缴国库 → 核销, each step by
the role allowed to take it, each kept in the assets' history."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

from sqlmodel import Session, select
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from market import disposal as svc
from market.errors import InvalidInput, NotFound
from market.infra.config import settings
from market.infra.eventlog import history
from market.models import DISPOSAL_STATUSES, Unit, User, money

from .. import forms
from ..handlers import page
from ..templating import render
from .requests import _path_id

REPORT_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
MAX_REPORT = 10 * 1024 * 1024


@page
def case_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    status = request.query_params.get("status") or None
    rows = svc.list_cases(db, user, status if status in DISPOSAL_STATUSES else None)
    units = {u.id: u for u in db.exec(select(Unit))}
    return render(request, "disposals.html", {"rows": rows, "units": units, "status": status or "",
                                              "statuses": DISPOSAL_STATUSES})


@page(write=True)
def case_apply(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    case = svc.apply_disposal(db, user, forms.ids(form.getlist("asset"), "asset_ids", "资产"),
                              str(form.get("method") or ""), forms.text(form, "reason", "处置理由"))
    return RedirectResponse(f"/disposals/{case.id}", status_code=303)


def _detail(request: Request, db: Session, user: User, case, error: str | None = None, status: int = 200):  # noqa: ANN001, ANN202
    return render(request, "disposal_detail.html", {
        "case": case, "assets": svc.case_assets(db, case.id), "unit": db.get(Unit, case.unit_id),
        "events": history(db, "disposal", case.id), "steps": svc.next_steps(db, user, case), "error": error,
        "floor": settings().sale_floor_share,
        "floor_amount": None if case.appraised_value is None
        else money(case.appraised_value * Decimal(str(settings().sale_floor_share))),
    }, status_code=status)


@page
def case_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _detail(request, db, user, svc.visible_case(db, user, _path_id(request)))


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


@page(write=True)
def case_step(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    case = svc.visible_case(db, user, _path_id(request))
    step = request.path_params["step"]
    try:
        if step == "approve":
            svc.approve_disposal(db, user, case.id)
        elif step == "reject":
            svc.reject_disposal(db, user, case.id, str(form.get("reason") or ""))
        elif step == "appraise":
            report = _save_report(case.id, form.get("report"))
            try:
                svc.appraise(db, user, case.id, forms.text(form, "value", "评估价值", max_len=20).replace(",", ""),
                             forms.text(form, "appraiser", "评估机构", max_len=100), report)
            except BaseException:  # refused, wrong state or bad input: the upload must not stay behind
                if report:
                    (settings().data_dir / "uploads" / report).unlink(missing_ok=True)
                raise
        elif step == "sell":
            svc.sell(db, user, case.id, str(form.get("channel") or ""), forms.text(form, "buyer", "买受人", max_len=100),
                     forms.text(form, "proceeds", "成交价", max_len=20).replace(",", ""))
        elif step == "hand_over":
            svc.hand_over(db, user, case.id, forms.text(form, "recipient", "接收方", max_len=100),
                          forms.text(form, "value_received", "换入价值", required=False, max_len=20).replace(",", ""))
        elif step == "remit":
            svc.remit(db, user, case.id, forms.text(form, "voucher", "缴款凭证号", max_len=60))
        elif step == "write_off":
            svc.write_off(db, user, case.id)
        elif step == "cancel":
            svc.cancel_disposal(db, user, case.id)
        else:
            raise NotFound("没有这个处置步骤。")
    except (InvalidInput, ArithmeticError) as exc:
        db.rollback()
        message = exc.message if isinstance(exc, InvalidInput) else "金额格式不正确。"
        return _detail(request, db, user, svc.visible_case(db, user, case.id), message, 422)
    return RedirectResponse(f"/disposals/{case.id}", status_code=303)


@page
def case_report(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    case = svc.visible_case(db, user, _path_id(request))
    name = case.appraisal_report
    if not name or not re.fullmatch(r"disposal-\d+-[0-9a-f]+\.\w+", name):
        raise NotFound("该处置单没有评估报告附件。")
    path = settings().data_dir / "uploads" / name
    if not path.is_file():
        raise NotFound("评估报告文件不存在。")
    suffix = path.suffix.lower()
    return FileResponse(path, media_type=REPORT_TYPES.get(suffix, "application/octet-stream"),
                        filename=f"评估报告-{case.number}{suffix}")

