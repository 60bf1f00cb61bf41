"""Administration pages: units, accounts, categories, rental vendors and offers, approval rules."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import accounts, admin, approvals, catalogue, standards
from market.accounts import create_user
from market.catalogue import load_categories, read_csv
from market.errors import InvalidInput
from market.fields import LATITUDE, LONGITUDE
from market.infra import sheets
from market.models import ROLES, RentalOffer, RentalVendor, Unit, User
from market.pool import index as pool_index
from web import lists, params
from web.bodylimit import FORM_OVERHEAD
from web.endpoints import form_action, page
from web.params import path_id
from web.responses import download
from web.templating import render

MAX_CSV_BYTES = 2_000_000


def _render(request: Request, db: Session, user: User, tab: str, error: str | None = None,
            status_code: int = 200) -> Response:
    ctx = {"tab": tab, "tabs": admin.tabs(user), "error": error, "roles": ROLES} | admin.tab_content(db, user, tab)
    if tab == "users":
        return lists.list_page(request, db, user, accounts.USER_LIST, "admin.html", lambda lp: ctx,
                                 status_code=status_code)
    if tab == "standards":
        return lists.list_page(request, db, user, standards.STANDARD_LIST, "admin.html", lambda lp: ctx,
                                 status_code=status_code)
    return render(request, "admin.html", ctx, status_code=status_code)


@page("/admin")
def admin_index(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return RedirectResponse(f"/admin/{admin.first_tab(user)}", status_code=303)


@page("/admin/{tab}")
def admin_tab(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _render(request, db, user, request.path_params["tab"])


def _float(form: FormData, name: str, label: str) -> float:
    """A latitude or longitude: a finite number within its declared range."""
    return params.number(form, name, label, *(LATITUDE if name == "lat" else LONGITUDE))


def _act(path: str, tab: str, max_body: int | None = None):  # noqa: ANN202
    """A POST on an admin tab; a user's mistake shows on the same tab with the message."""
    return form_action(path, f"/admin/{tab}", lambda request, db, user, message, status, form: _render(
        request, db, user, tab, message, status), max_body)


@_act("/admin/units", "units")
def unit_save(request: Request, db: Session, user: User, form: FormData) -> None:
    accounts.save_unit(db, user, params.text(form, "code", "单位代码", Unit.code), params.text(form, "name", "单位名称", Unit.name),
                  params.text(form, "district", "区县", Unit.district), _float(form, "lat", "纬度"), _float(form, "lng", "经度"),
                  address=params.text(form, "address", "地址", Unit.address, required=False),
                  contact=params.text(form, "contact", "联系人", Unit.contact, required=False),
                  phone=params.text(form, "phone", "电话", Unit.phone, required=False),
                  unit_id=params.integer(form, "id", "单位", 1, required=False),
                  staff_count=str(form.get("staff_count") or ""), confidential_network=form.get("confidential_network") == "1")


@_act("/admin/units/{id}/staffing", "units")
def unit_staffing(request: Request, db: Session, user: User, form: FormData) -> None:
    accounts.set_staffing(db, user, path_id(request), str(form.get("staff_count") or ""),
                          form.get("confidential_network") == "1")


@_act("/admin/users", "users")
def user_add(request: Request, db: Session, user: User, form: FormData) -> None:
    create_user(db, user, params.text(form, "username", "用户名", User.username), str(form.get("role") or ""),
                str(form.get("password") or ""), params.integer(form, "unit", "所属单位", 1, required=False),
                params.text(form, "display_name", "姓名", User.display_name, required=False),
                email=params.text(form, "email", "电子邮箱", User.email, required=False))


@_act("/admin/users/{id}", "users")
def user_update(request: Request, db: Session, user: User, form: FormData) -> None:
    accounts.update_user(db, user, path_id(request), role=str(form.get("role") or "") or None,
                    unit_id=params.integer(form, "unit", "所属单位", 1, required=False),
                    is_active=form.get("is_active") == "1",
                    password=str(form.get("password") or "") or None,
                    email=params.text(form, "email", "电子邮箱", User.email, required=False) if "email" in form else None)


@_act("/admin/categories/{id}", "categories")
def category_update(request: Request, db: Session, user: User, form: FormData) -> None:
    catalogue.update_category(db, user, path_id(request), str(form.get("transport_rate") or ""),
                        str(form.get("reference_price") or ""))


def _csv_upload(form: FormData) -> bytes:
    """The CSV file an administrator uploads (the category tree, the configuration standards)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("请选择 CSV 文件。", "file")
    if not upload.filename.lower().endswith(".csv"):
        raise InvalidInput("只接受 .csv 文件。", "file")
    data = upload.file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise InvalidInput("文件超过 2 MB。", "file")
    return data


@_act("/admin/categories/import", "categories", MAX_CSV_BYTES + FORM_OVERHEAD)
def category_import(request: Request, db: Session, user: User, form: FormData) -> None:
    load_categories(db, user, read_csv(_csv_upload(form)))


def _standard_values(form: FormData) -> dict[str, str]:
    return {k: str(form.get(k) or "") for k in standards.FIELDS}


@_act("/admin/standards", "standards")
def standard_add(request: Request, db: Session, user: User, form: FormData) -> None:
    standards.save_standard(db, user, params.integer(form, "category", "资产分类", 1), _standard_values(form))


@_act("/admin/standards/import", "standards", MAX_CSV_BYTES + FORM_OVERHEAD)
def standard_import(request: Request, db: Session, user: User, form: FormData) -> None:
    standards.load_standards(db, user, standards.read_standards_csv(_csv_upload(form)))


@page("/admin/standards/export")
def standard_export(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    admin.tab_content(db, user, "standards")  # the tab's permission: whoever may edit the table exports it
    return download(sheets.csv_bytes(*standards.export_rows(db)), sheets.CSV_MEDIA, "gongwucang-standards.csv")


@_act("/admin/standards/{id}", "standards")
def standard_update(request: Request, db: Session, user: User, form: FormData) -> None:
    standards.save_standard(db, user, standards.get_standard(db, path_id(request)).category_id, _standard_values(form))


@_act("/admin/vendors", "vendors")
def vendor_save(request: Request, db: Session, user: User, form: FormData) -> None:
    catalogue.save_vendor(db, user, params.text(form, "name", "公司名称", RentalVendor.name), _float(form, "lat", "纬度"),
                    _float(form, "lng", "经度"), contact=params.text(form, "contact", "联系人", RentalVendor.contact, required=False),
                    phone=params.text(form, "phone", "电话", RentalVendor.phone, required=False),
                    address=params.text(form, "address", "地址", RentalVendor.address, required=False))


@_act("/admin/offers", "vendors")
def offer_save(request: Request, db: Session, user: User, form: FormData) -> None:
    catalogue.save_offer(db, user, params.integer(form, "vendor", "租赁公司", 1), params.integer(form, "category", "资产分类", 1),
                   str(form.get("price_per_unit_day") or ""), str(form.get("delivery_fee") or "0"),
                   params.integer(form, "capacity", "日供应能力", 1, required=False),
                   params.text(form, "description", "说明", RentalOffer.description, required=False),
                   offer_id=params.integer(form, "id", "报价", 1, required=False),
                   is_active=form.get("is_active", "1") == "1")


def _rule_fields(form: FormData) -> tuple[str, str, list[str]]:
    """A rule's form: the action, the starting amount and the chain's roles in order (step1, step2, …)."""
    steps = [str(form.get(f"step{i}") or "") for i in range(1, approvals.MAX_STEPS + 1)]
    return str(form.get("action") or ""), str(form.get("min_value") or ""), [s for s in steps if s]


@_act("/admin/rules", "rules")
def rule_add(request: Request, db: Session, user: User, form: FormData) -> None:
    approvals.add_rule(db, user, *_rule_fields(form))


@_act("/admin/rules/{id}", "rules")
def rule_edit(request: Request, db: Session, user: User, form: FormData) -> None:
    approvals.edit_rule(db, user, path_id(request), *_rule_fields(form))


@_act("/admin/rules/{id}/delete", "rules")
def rule_delete(request: Request, db: Session, user: User, form: FormData) -> None:
    approvals.delete_rule(db, user, path_id(request))


@_act("/admin/synonyms", "synonyms")
def synonyms_save(request: Request, db: Session, user: User, form: FormData) -> None:
    pool_index.save_synonyms(db, user, str(form.get("synonyms") or ""))
