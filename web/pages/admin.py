"""Administration pages: units, accounts, categories, rental vendors and offers, approval rules."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import accounts, approvals, catalogue
from market.access import can
from market.accounts import create_user
from market.approvals import ACTION_LABELS, DEFAULT_APPROVERS
from market.catalogue import load_categories, read_csv
from market.errors import InvalidInput, NotFound, PermissionDenied
from market.models import ROLES, ApprovalRule, Category, RentalOffer, RentalVendor, Unit, User
from market.pool import index as pool_index
from web import params
from web.endpoints import form_action, page
from web.params import path_id
from web.templating import render

TABS = {"units": ("单位", "manage_accounts"), "users": ("用户与角色", "manage_accounts"),
        "categories": ("资产分类", "manage_catalogue"), "vendors": ("租赁公司与报价", "manage_catalogue"),
        "rules": ("审批规则", "manage_settings"), "synonyms": ("搜索同义词", "manage_catalogue")}
MAX_CSV_BYTES = 2_000_000


def _tabs(user: User) -> dict[str, str]:
    return {k: label for k, (label, cap) in TABS.items() if can(user, cap)}


def _render(request: Request, db: Session, user: User, tab: str, error: str | None = None,
            status_code: int = 200) -> Response:
    tabs = _tabs(user)
    if tab not in TABS:
        raise NotFound("页面不存在。")
    if tab not in tabs:
        raise PermissionDenied("无权进入该管理页面。")
    ctx: dict = {"tab": tab, "tabs": tabs, "error": error, "roles": ROLES}
    units = list(db.exec(select(Unit).order_by(Unit.code)))
    ctx["units"] = units
    if tab == "users":
        ctx["users"] = list(db.exec(select(User).order_by(User.username)))
        ctx["unit_names"] = {u.id: u.name for u in units}
    elif tab == "categories":
        ctx["categories"] = list(db.exec(select(Category).order_by(Category.code)))
    elif tab == "vendors":
        ctx["vendors"] = list(db.exec(select(RentalVendor).order_by(RentalVendor.id)))
        ctx["offers"] = list(db.exec(select(RentalOffer).order_by(RentalOffer.vendor_id, RentalOffer.id)))
        ctx["categories"] = list(db.exec(select(Category).where(Category.is_leaf).order_by(Category.code)))
        ctx["cat_names"] = {c.id: c.name for c in ctx["categories"]}
        ctx["vendor_names"] = {v.id: v.name for v in ctx["vendors"]}
    elif tab == "synonyms":
        from market.pool.index import synonyms_path

        path = synonyms_path()
        ctx["synonyms"] = path.read_text(encoding="utf-8") if path.exists() else ""
        import search

        ctx["defaults"] = search.default_synonyms()
    elif tab == "rules":
        ctx["rules"] = list(db.exec(select(ApprovalRule).order_by(ApprovalRule.action, ApprovalRule.min_value)))
        ctx["defaults"] = DEFAULT_APPROVERS
        ctx["actions"] = ACTION_LABELS
    return render(request, "admin.html", ctx, status_code=status_code)


@page("/admin")
def admin_index(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    tabs = _tabs(user)
    if not tabs:
        raise PermissionDenied("无权进入系统管理。")
    return RedirectResponse(f"/admin/{next(iter(tabs))}", status_code=303)


@page("/admin/{tab}")
def admin_tab(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _render(request, db, user, request.path_params["tab"])


def _float(form: FormData, name: str, label: str) -> float:
    raw = str(form.get(name) or "").strip()
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"{label}须为数字。", name) from None


def _act(path: str, tab: str):  # noqa: ANN202
    """A POST on an admin tab; a user's mistake shows on the same tab with the message."""
    return form_action(path, f"/admin/{tab}", lambda request, db, user, message, status, form: _render(
        request, db, user, tab, message, status))


@_act("/admin/units", "units")
def unit_save(request: Request, db: Session, user: User, form: FormData) -> None:
    accounts.save_unit(db, user, params.text(form, "code", "单位代码", max_len=32), params.text(form, "name", "单位名称", max_len=100),
                  params.text(form, "district", "区县", max_len=40), _float(form, "lat", "纬度"), _float(form, "lng", "经度"),
                  address=params.text(form, "address", "地址", required=False, max_len=200),
                  contact=params.text(form, "contact", "联系人", required=False, max_len=40),
                  phone=params.text(form, "phone", "电话", required=False, max_len=40),
                  unit_id=params.integer(form, "id", "单位", 1, required=False))


@_act("/admin/users", "users")
def user_add(request: Request, db: Session, user: User, form: FormData) -> None:
    create_user(db, user, params.text(form, "username", "用户名", max_len=64), str(form.get("role") or ""),
                str(form.get("password") or ""), params.integer(form, "unit", "所属单位", 1, required=False),
                params.text(form, "display_name", "姓名", required=False, max_len=64))


@_act("/admin/users/{id}", "users")
def user_update(request: Request, db: Session, user: User, form: FormData) -> None:
    accounts.update_user(db, user, path_id(request), role=str(form.get("role") or "") or None,
                    unit_id=params.integer(form, "unit", "所属单位", 1, required=False),
                    is_active=form.get("is_active") == "1",
                    password=str(form.get("password") or "") or None)


@_act("/admin/categories/{id}", "categories")
def category_update(request: Request, db: Session, user: User, form: FormData) -> None:
    catalogue.update_category(db, user, path_id(request), str(form.get("transport_rate") or ""),
                        str(form.get("reference_price") or ""))


@_act("/admin/categories/import", "categories")
def category_import(request: Request, db: Session, user: User, form: FormData) -> None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("请选择 CSV 文件。", "file")
    if not upload.filename.lower().endswith(".csv"):
        raise InvalidInput("只接受 .csv 文件。", "file")
    data = upload.file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise InvalidInput("文件超过 2 MB。", "file")
    load_categories(db, user, read_csv(data))


@_act("/admin/vendors", "vendors")
def vendor_save(request: Request, db: Session, user: User, form: FormData) -> None:
    catalogue.save_vendor(db, user, params.text(form, "name", "公司名称", max_len=100), _float(form, "lat", "纬度"),
                    _float(form, "lng", "经度"), contact=params.text(form, "contact", "联系人", required=False, max_len=40),
                    phone=params.text(form, "phone", "电话", required=False, max_len=40),
                    address=params.text(form, "address", "地址", required=False, max_len=200))


@_act("/admin/offers", "vendors")
def offer_save(request: Request, db: Session, user: User, form: FormData) -> None:
    catalogue.save_offer(db, user, params.integer(form, "vendor", "租赁公司", 1), params.integer(form, "category", "资产分类", 1),
                   str(form.get("price_per_unit_day") or ""), str(form.get("delivery_fee") or "0"),
                   params.integer(form, "capacity", "日供应能力", 1, required=False),
                   params.text(form, "description", "说明", required=False, max_len=200),
                   offer_id=params.integer(form, "id", "报价", 1, required=False),
                   is_active=form.get("is_active", "1") == "1")


@_act("/admin/rules", "rules")
def rule_save(request: Request, db: Session, user: User, form: FormData) -> None:
    approvals.set_approval_rule(db, user, str(form.get("action") or ""), str(form.get("min_value") or ""),
                          str(form.get("role") or ""))


@_act("/admin/synonyms", "synonyms")
def synonyms_save(request: Request, db: Session, user: User, form: FormData) -> None:
    from market.pool.index import reload_synonyms

    pool_index.save_synonyms(db, user, str(form.get("synonyms") or ""))
    reload_synonyms(db)
