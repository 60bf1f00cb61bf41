"""Administration through the API: units (and their staffing), users, categories and their configuration
standards, vendors and offers, approval rules."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import accounts, approvals, catalogue, standards
from market.accounts import create_user
from market.models import ApprovalRule, Category, ConfigStandard, RentalOffer, RentalVendor, Unit, User
from web import lists
from web.api.registry import INT, LAT, LNG, MONEY, STR, TEXT, declare, obj
from web.api.schemas import BOOL, arr, listing, model, shape
from web.api.serialize import to_json
from web.params import field, path_id


@declare("GET", "/api/units", "单位列表", "管理", returns=shape(units=arr(model(Unit))))
def units(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return {"units": [to_json(u) for u in accounts.units(db)]}


@declare("POST", "/api/units", "新增单位", "管理", write=True, body=obj(
    ["code", "name", "district", "lat", "lng"], code=TEXT(Unit.code, "单位代码"), name=TEXT(Unit.name, "单位名称"),
    district=TEXT(Unit.district, "区县"), lat=LAT, lng=LNG, address=TEXT(Unit.address, "地址"),
    contact=TEXT(Unit.contact, "联系人"), phone=TEXT(Unit.phone, "电话")), returns=model(Unit))
def create_unit(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(accounts.save_unit(
        db, user, field(body, "code", str), field(body, "name", str), field(body, "district", str),
        float(field(body, "lat", (int, float))), float(field(body, "lng", (int, float))),
        field(body, "address", str, required=False) or "", field(body, "contact", str, required=False) or "",
        (field(body, "phone", str, required=False) or "")))


@declare("GET", "/api/users", "用户列表（系统管理员；分页、搜索、按角色/单位/状态筛选、排序、导出）", "管理",
         query=lists.query_params(accounts.USER_LIST), returns=listing(accounts.USER_LIST, model(User)))
def users(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, accounts.USER_LIST, lambda lp: to_json)


@declare("POST", "/api/users", "创建用户", "管理", write=True, body=obj(
    ["username", "role", "password"], username=TEXT(User.username, "用户名"), role=STR, password=STR, unit_id=INT,
    display_name=TEXT(User.display_name, "姓名"), email=TEXT(User.email, "电子邮箱")), returns=model(User))
def add_user(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(create_user(db, user, field(body, "username", str), field(body, "role", str),
                               field(body, "password", str), field(body, "unit_id", int, required=False),
                               field(body, "display_name", str, required=False) or "",
                               email=field(body, "email", str, required=False)))


@declare("POST", "/api/users/{id}", "修改角色、单位、启用状态或重置密码", "管理", write=True, body=obj(
    [], role=STR, unit_id=INT, is_active={"type": "boolean"}, password=STR, email=TEXT(User.email, "电子邮箱")), returns=model(User))
def update_user(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    body = body or {}
    return to_json(accounts.update_user(db, user, path_id(request), field(body, "role", str, required=False),
                                   field(body, "unit_id", int, required=False),
                                   field(body, "is_active", bool, required=False),
                                   field(body, "password", str, required=False),
                                   field(body, "email", str, required=False)))


@declare("GET", "/api/categories", "资产分类目录", "管理", returns=shape(categories=arr(model(Category))))
def categories(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return {"categories": [to_json(c) for c in catalogue.categories(db)]}


@declare("POST", "/api/categories/{id}", "修改分类的运输费率与参考单价", "管理", write=True, body=obj(
    ["transport_rate", "reference_price"], transport_rate={"type": ["string", "number"], "minimum": 0, "maximum": 1000},
    reference_price=MONEY, name=TEXT(Category.name, "分类名称")), returns=model(Category))
def update_category(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(catalogue.update_category(db, user, path_id(request), str(field(body, "transport_rate", (str, int, float))),
                                       str(field(body, "reference_price", (str, int, float))),
                                       field(body, "name", str, required=False)))


@declare("GET", "/api/vendors", "租赁公司与报价", "管理", returns=shape(vendors=arr(model(RentalVendor)), offers=arr(model(RentalOffer))))
def vendors(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    v = catalogue.vendors(db)
    return {"vendors": [to_json(x) for x in v.vendors], "offers": [to_json(o) for o in v.offers]}


@declare("POST", "/api/vendors", "新增租赁公司", "管理", write=True, body=obj(
    ["name", "lat", "lng"], name=TEXT(RentalVendor.name, "租赁公司名称"), lat=LAT, lng=LNG,
    contact=TEXT(RentalVendor.contact, "联系人"), phone=TEXT(RentalVendor.phone, "电话"),
    address=TEXT(RentalVendor.address, "地址")), returns=model(RentalVendor))
def create_vendor(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(catalogue.save_vendor(db, user, field(body, "name", str), float(field(body, "lat", (int, float))),
                                   float(field(body, "lng", (int, float))),
                                   field(body, "contact", str, required=False) or "",
                                   field(body, "phone", str, required=False) or "",
                                   field(body, "address", str, required=False) or ""))


@declare("POST", "/api/offers", "新增租赁报价", "管理", write=True, body=obj(
    ["vendor_id", "category_id", "price_per_unit_day"], vendor_id=INT, category_id=INT, price_per_unit_day=MONEY,
    delivery_fee=MONEY, capacity={"type": ["integer", "null"], "minimum": 1, "maximum": 1_000_000},
    description=TEXT(RentalOffer.description, "说明")), returns=model(RentalOffer))
def create_offer(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(catalogue.save_offer(db, user, field(body, "vendor_id", int), field(body, "category_id", int),
                                  str(field(body, "price_per_unit_day", (str, int, float))),
                                  str(field(body, "delivery_fee", (str, int, float), required=False, default="0")),
                                  field(body, "capacity", int, required=False),
                                  field(body, "description", str, required=False) or ""))


@declare("GET", "/api/rules", "审批规则", "管理", returns=shape(rules=arr(model(ApprovalRule))))
def rules(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return {"rules": [to_json(r) for r in approvals.rules(db)]}


RULE_BODY = obj(["action", "min_value", "steps"], action={"enum": list(approvals.ACTION_LABELS)}, min_value=MONEY,
                steps={"type": "array", "items": {"enum": list(approvals.APPROVER_ROLES)}, "minItems": 1,
                       "maxItems": approvals.MAX_STEPS, "title": "审批链（按顺序的审批角色）"})


def _rule_fields(body: Any) -> tuple[str, str, Any]:
    return (field(body, "action", str), str(field(body, "min_value", (str, int, float))),
            field(body, "steps", list))


@declare("POST", "/api/rules", "新增审批规则（自某金额起按审批链逐步审批）", "管理", write=True, body=RULE_BODY,
         returns=model(ApprovalRule))
def add_rule(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(approvals.add_rule(db, user, *_rule_fields(body)))


@declare("PUT", "/api/rules/{id}", "修改审批规则", "管理", write=True, body=RULE_BODY,
         returns=model(ApprovalRule))
def edit_rule(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(approvals.edit_rule(db, user, path_id(request), *_rule_fields(body)))


@declare("DELETE", "/api/rules/{id}", "删除审批规则", "管理", write=True, returns=shape(deleted=BOOL))
def delete_rule(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    approvals.delete_rule(db, user, path_id(request))
    return {"deleted": True}


@declare("POST", "/api/units/{id}/staffing", "设置单位的编制内实有人数与是否运行涉密网络", "管理", write=True, body=obj(
    ["staff_count"], staff_count={"type": "integer", "minimum": 0, "maximum": accounts.MAX_STAFF, "title": "编制内实有人数"},
    confidential_network={"type": "boolean", "title": "运行涉密网络"}), returns=model(Unit))
def unit_staffing(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(accounts.set_staffing(db, user, path_id(request), field(body, "staff_count", int),
                                         field(body, "confidential_network", bool, required=False, default=False)))


def standard_json(s: ConfigStandard) -> dict[str, Any]:
    return to_json(s)


@declare("GET", "/api/standards", "配置标准（每个分类的价格上限、数量比例、最低使用年限、折旧年限；分页、搜索、导出）", "管理",
         query=lists.query_params(standards.STANDARD_LIST), returns=listing(standards.STANDARD_LIST, model(ConfigStandard)))
def standard_list(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, standards.STANDARD_LIST, lambda lp: standard_json)


_FIGURE = {"type": ["string", "number", "null"]}


@declare("POST", "/api/standards", "设置一个分类的配置标准（各项留空或 null 表示不作规定）", "管理", write=True, body=obj(
    ["category_id"], category_id=INT, price_cap=_FIGURE, price_cap_senior=_FIGURE, price_cap_junior=_FIGURE,
    quantity_share=_FIGURE, quantity_share_confidential=_FIGURE,
    quantity_group=TEXT(ConfigStandard.quantity_group, "限额组"), min_life_years=_FIGURE, depreciation_years=_FIGURE,
    note=TEXT(ConfigStandard.note, "依据")), returns=model(ConfigStandard))
def standard_save(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    values = {k: body.get(k) for k in standards.FIELDS}
    return standard_json(standards.save_standard(db, user, field(body, "category_id", int), values))


@declare("GET", "/api/categories/{id}/standard", "分类适用的配置标准（各项沿分类树向上取最近的规定）", "管理", returns=model(standards.Standard))
def category_standard(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    s = standards.applicable(db, user, path_id(request))

    def yuan(v: Any) -> str | None:
        return None if v is None else str(v)

    return {"category_id": s.category_id, "price_cap": yuan(s.price_cap), "price_cap_senior": yuan(s.price_cap_senior),
            "price_cap_junior": yuan(s.price_cap_junior), "quantity_share": s.quantity_share,
            "quantity_share_confidential": s.quantity_share_confidential, "quantity_group": s.quantity_group,
            "quantity_category_id": s.quantity_category_id, "min_life_years": s.min_life_years,
            "depreciation_years": s.depreciation_years}
