"""Administration: units, accounts and roles, category rates and prices, rental vendors and offers,
approval rules. Every change is in the event log."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from .accounts import hash_password
from .db import transactional
from .errors import Conflict, InvalidInput
from .eventlog import log_event
from .models import ROLES, ApprovalRule, Category, RentalOffer, RentalVendor, Unit, User, money
from .permissions import DEFAULT_APPROVERS, require
from .services.common import get_or_404

MAX_AMOUNT = Decimal("100000000")  # 1 亿元: far above any price here, well inside the columns


def amount(value: Decimal | float | str | None, field: str, label: str) -> Decimal:
    try:
        d = money(value if value not in (None, "") else "x")
    except ArithmeticError:
        raise InvalidInput(f"{label}须为金额。", field) from None
    if d < 0 or d > MAX_AMOUNT:
        raise InvalidInput(f"{label}须在 0 至 1 亿元之间。", field)
    return d


def _coords(lat: float, lng: float) -> None:
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise InvalidInput("坐标无效：纬度须在 ±90 之间，经度须在 ±180 之间。", "lat")


@transactional
def save_unit(db: Session, actor: User, code: str, name: str, district: str, lat: float, lng: float,
              address: str = "", contact: str = "", phone: str = "", unit_id: int | None = None) -> Unit:
    require(actor, "manage_accounts")
    code, name, district = code.strip(), name.strip(), district.strip()
    if not code or not name or not district:
        raise InvalidInput("单位代码、名称和区县不能为空。", "code")
    _coords(lat, lng)
    clash = db.exec(select(Unit).where((Unit.code == code) | (Unit.name == name))).first()
    if clash is not None and clash.id != unit_id:
        raise Conflict("单位代码或名称已存在。", "code")
    unit = get_or_404(db, Unit, unit_id) if unit_id else Unit(code=code, name=name, district=district, lat=lat,
                                                              lng=lng)
    before = None if unit_id is None else {"name": unit.name, "district": unit.district}
    unit.code, unit.name, unit.district, unit.lat, unit.lng = code, name, district, lat, lng
    unit.address, unit.contact, unit.phone = address.strip()[:200], contact.strip()[:40], phone.strip()[:40]
    db.add(unit)
    db.flush()
    log_event(db, actor, "unit", unit.id, "update" if unit_id else "create", f"{'修改' if unit_id else '新增'}单位 {name}",
              before, {"name": name, "district": district})
    return unit


@transactional
def update_user(db: Session, actor: User, user_id: int, role: str | None = None, unit_id: int | None = None,
                is_active: bool | None = None, password: str | None = None) -> User:
    require(actor, "manage_accounts")
    user = get_or_404(db, User, user_id)
    before = {"role": user.role, "unit_id": user.unit_id, "is_active": user.is_active}
    if role is not None:
        if role not in ROLES:
            raise InvalidInput("未知角色。", "role")
        user.role = role
    if unit_id is not None:
        get_or_404(db, Unit, unit_id, "unit_id")
        user.unit_id = unit_id
    if user.role in ("unit_staff", "unit_manager") and user.unit_id is None:
        raise InvalidInput("单位用户必须指定所属单位。", "unit_id")
    if is_active is not None:
        if user.id == actor.id and not is_active:
            raise InvalidInput("不能停用自己的账号。", "is_active")
        user.is_active = is_active
    if password:
        if len(password) < 8:
            raise InvalidInput("密码至少 8 位。", "password")
        user.password_hash = hash_password(password)
    after = {"role": user.role, "unit_id": user.unit_id, "is_active": user.is_active}
    log_event(db, actor, "user", user.id, "update", f"修改用户 {user.username}" + ("（重置密码）" if password else ""),
              before, after)
    return user


@transactional
def update_category(db: Session, actor: User, category_id: int, transport_rate: str | Decimal,
                    reference_price: str | Decimal, name: str | None = None) -> Category:
    require(actor, "manage_catalogue")
    cat = get_or_404(db, Category, category_id)
    before = {"transport_rate": str(cat.transport_rate), "reference_price": str(cat.reference_price)}
    try:
        rate = Decimal(str(transport_rate).strip())
    except ArithmeticError:
        raise InvalidInput("运输费率须为数字（元/件/公里）。", "transport_rate") from None
    if not rate.is_finite() or rate < 0 or rate > 1000:
        raise InvalidInput("运输费率须在 0 至 1000 元/件/公里之间。", "transport_rate")
    cat.transport_rate = rate.quantize(Decimal("0.0001"))
    cat.reference_price = amount(reference_price, "reference_price", "参考单价")
    if name is not None and name.strip():
        cat.name = name.strip()[:80]
    log_event(db, actor, "category", cat.id, "update", f"修改分类 {cat.code} {cat.name} 的费率与参考价", before,
              {"transport_rate": str(cat.transport_rate), "reference_price": str(cat.reference_price)})
    return cat


@transactional
def save_vendor(db: Session, actor: User, name: str, lat: float, lng: float, contact: str = "", phone: str = "",
                address: str = "", vendor_id: int | None = None, is_active: bool = True) -> RentalVendor:
    require(actor, "manage_catalogue")
    name = name.strip()
    if not name:
        raise InvalidInput("请填写租赁公司名称。", "name")
    _coords(lat, lng)
    clash = db.exec(select(RentalVendor).where(RentalVendor.name == name)).first()
    if clash is not None and clash.id != vendor_id:
        raise Conflict("租赁公司名称已存在。", "name")
    v = get_or_404(db, RentalVendor, vendor_id) if vendor_id else RentalVendor(name=name, lat=lat, lng=lng)
    v.name, v.lat, v.lng, v.contact, v.phone, v.address = name[:100], lat, lng, contact[:40], phone[:40], address[:200]
    v.is_active = is_active
    db.add(v)
    db.flush()
    log_event(db, actor, "vendor", v.id, "update" if vendor_id else "create", f"{'修改' if vendor_id else '新增'}租赁公司 {name}")
    return v


@transactional
def save_offer(db: Session, actor: User, vendor_id: int, category_id: int, price_per_unit_day: str | Decimal,
               delivery_fee: str | Decimal, capacity: int | None, description: str = "",
               offer_id: int | None = None, is_active: bool = True) -> RentalOffer:
    require(actor, "manage_catalogue")
    get_or_404(db, RentalVendor, vendor_id, "vendor_id")
    get_or_404(db, Category, category_id, "category_id")
    if capacity is not None and not 1 <= capacity <= 1_000_000:
        raise InvalidInput("日供应能力须为 1 至 100 万，或留空表示不限。", "capacity")
    o = get_or_404(db, RentalOffer, offer_id) if offer_id else RentalOffer(
        vendor_id=vendor_id, category_id=category_id, price_per_unit_day=Decimal(0))
    o.vendor_id, o.category_id, o.capacity, o.description = vendor_id, category_id, capacity, description[:200]
    o.price_per_unit_day = amount(price_per_unit_day, "price_per_unit_day", "日租金")
    o.delivery_fee = amount(delivery_fee, "delivery_fee", "送货费")
    o.is_active = is_active
    db.add(o)
    db.flush()
    log_event(db, actor, "offer", o.id, "update" if offer_id else "create",
              f"{'修改' if offer_id else '新增'}租赁报价：{o.price_per_unit_day} 元/件/天，送货费 {o.delivery_fee} 元")
    return o


@transactional
def set_approval_rule(db: Session, actor: User, action: str, min_value: str | Decimal, role: str) -> ApprovalRule:
    """From ``min_value`` 元 up, ``action`` is approved by ``role`` (until a higher rule takes over)."""
    require(actor, "manage_settings")
    if action not in DEFAULT_APPROVERS:
        raise InvalidInput(f"审批事项须为：{'、'.join(DEFAULT_APPROVERS)}。", "action")
    if role not in ("warehouse_admin", "finance", "sysadmin"):
        raise InvalidInput("审批角色须为公物仓管理员、财政监管或系统管理员。", "role")
    value = amount(min_value, "min_value", "起点金额")
    rule = db.exec(select(ApprovalRule).where(ApprovalRule.action == action, ApprovalRule.min_value == value)).first()
    rule = rule or ApprovalRule(action=action, min_value=value, role=role)
    rule.role = role
    db.add(rule)
    db.flush()
    log_event(db, actor, "rule", rule.id, "update", f"审批规则：{action} 自 {value} 元起由 {ROLES[role]} 审批")
    return rule


@transactional
def save_synonyms(db: Session, actor: User, text: str) -> int:
    """Replace the administrators' synonym file (one group per line; ``a b => c`` one-way); checked first."""
    import search

    from .search_index import synonyms_path

    require(actor, "manage_catalogue")
    if len(text) > 100_000:
        raise InvalidInput("同义词表过长（上限 10 万字）。", "synonyms")
    path = synonyms_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text.replace("\r\n", "\n"), encoding="utf-8")
    try:
        groups = search.load_synonyms(tmp)
    except (ValueError, search.SearchError) as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"同义词表有误：{getattr(exc, 'message', None) or exc}", "synonyms") from None
    tmp.replace(path)
    log_event(db, actor, "setting", 0, "synonyms", f"修改搜索同义词：{len(groups)} 组")
    return len(groups)
