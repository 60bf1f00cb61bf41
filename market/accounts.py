"""Accounts: password hashing (argon2), sign-in, API bearer tokens; the units, warehouses and people as the
other modules read them, and the list of users (``USER_LIST``)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import bindparam, true, update
from sqlmodel import Session, select

from market import fields
from market.access import UNIT_ROLES, can, require, require_user
from market.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.infra.rows import get_or_404
from market.lists import Column, Filter, ListSpec, like, names
from market.models import ROLES, ApiToken, Unit, User, Warehouse, utcnow

_hasher = PasswordHasher()
TOKEN_LIFETIME = timedelta(days=7)  # an API bearer token
SESSION_LIFETIME = timedelta(hours=12)  # a page session (the cookie's max_age in web/app.py is the same)
LIFETIMES = {"api": TOKEN_LIFETIME, "cookie": SESSION_LIFETIME}
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 128
MIN_STRENGTH = 3  # zxcvbn's score, 0–4: 3 is "safely unguessable" (about 10^8 guesses and more)
# zxcvbn's frequency lists are English; these are the trivial passwords people here choose (pinyin, dates,
# keyboard runs it already scores low), checked after lower-casing and dropping digits and symbols at the end.
LOCAL_COMMON = frozenset({
    "woaini", "woaini1314", "aini1314", "iloveyou", "zhongguo", "beijing", "shanghai", "mima", "mimamima",
    "gongwucang", "gongwuchang", "zhengfu", "caizheng", "admin", "administrator", "guanliyuan", "yonghu",
    "zhangwei", "wangwei", "liwei", "wangfang", "liuyang", "huawei", "xiaomi", "qq", "wechat", "weixin",
})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def check_password(password: str, *personal: str) -> None:
    """The password rule, for every new or changed password: at least ``MIN_PASSWORD`` characters, and not a
    common, trivial or personal one (zxcvbn's estimate, with the username and name as the user's own words,
    and ``LOCAL_COMMON``)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位。", "password")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"密码不能超过 {MAX_PASSWORD} 位。", "password")
    from zxcvbn import zxcvbn  # (its dictionaries load on first use, not when the app starts)

    words = [w for w in personal if w]
    core = re.sub(r"[\d\W_]+$", "", password.lower())
    if core in LOCAL_COMMON or zxcvbn(password[:72], user_inputs=words)["score"] < MIN_STRENGTH:
        raise InvalidInput("密码过于简单或常见（如连续字符、键盘序列、常用密码、用户名或姓名），"
                           "请换用更长、不易猜到的密码，例如由几个不相关的词和数字组成。", "password")


EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def check_email(value: str | None) -> str | None:
    """An e-mail address as kept (trimmed), None for none; a malformed one is refused."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 254 or not EMAIL_RE.match(value) or len(value.split("@")[0]) > 64:
        raise InvalidInput("电子邮箱格式不正确（如 zhangsan@example.gov.cn）。", "email")
    return value


def _check_new_user(db: Session, username: str, role: str, unit_id: int | None, password: str,
                    display_name: str = "") -> None:
    if not USERNAME_RE.match(username or ""):
        raise InvalidInput("用户名须为 3–64 位字母、数字、点、下划线或连字符。", "username")
    if role not in ROLES:
        raise InvalidInput(f"未知角色：{role}（可选：{'、'.join(ROLES)}）。", "role")
    check_password(password, username, display_name)
    if role in {"unit_staff", "unit_manager"} and unit_id is None:
        raise InvalidInput("单位用户必须指定所属单位。", "unit")
    if unit_id is not None and db.get(Unit, unit_id) is None:
        raise NotFound("所属单位不存在。", "unit")
    if db.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"用户名 {username} 已存在。", "username")


@transactional
def create_user(
    db: Session,
    actor: User | None,
    username: str,
    role: str,
    password: str,
    unit_id: int | None = None,
    display_name: str = "",
    email: str | None = None,
) -> User:
    """Create an account. ``actor`` None is the command line (the machine's owner), else a sysadmin."""
    if actor is not None:
        require(actor, "manage_accounts")
    _check_new_user(db, username, role, unit_id, password, display_name)
    user = User(
        username=username,
        role=role,
        unit_id=unit_id,
        display_name=display_name or username,
        password_hash=hash_password(password),
        email=check_email(email),
    )
    db.add(user)
    db.flush()
    log_event(db, actor, "user", user.id, "create", f"创建用户 {username}（{ROLES[role]}）", after={"role": role})
    return user


# --- sessions: API bearer tokens and page sessions, both kept on the server ------------------------------
#
# A page cookie carries only the random id of a session row (``kind`` "cookie"); an API client holds a bearer
# token (``kind`` "api"). Every request looks its row up. Signing out revokes the row; a new password, role or
# unit, or a disabled account, revokes every row of that user (``end_sessions``) in the same transaction.


@transactional
def issue_token(db: Session, user: User, kind: str = "api") -> str:
    """A new bearer token (``kind`` "api", 7 days) or page session id (``kind`` "cookie", 12 hours)."""
    token = secrets.token_urlsafe(32)
    db.add(
        ApiToken(
            user_id=user.id,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            kind=kind,
            expires_at=utcnow() + LIFETIMES[kind],
        )
    )
    return token


_TOKEN_USER = (select(User, ApiToken.expires_at, ApiToken.revoked, ApiToken.kind)
               .join(ApiToken, ApiToken.user_id == User.id)
               .where(ApiToken.token_hash == bindparam("digest")))  # built once: building it cost more than running it


def user_for_token(db: Session, token: str, kind: str = "api") -> User | None:
    """The active user of a live token of ``kind``, in one query (every request asks)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = db.exec(_TOKEN_USER, params={"digest": digest}).first()
    if row is None:
        return None
    user, expires_at, revoked, token_kind = row
    if revoked or token_kind != kind or expires_at < utcnow() or not user.is_active:
        return None
    return user


@transactional
def revoke_token(db: Session, token: str) -> None:
    """Sign out: the bearer token or page session ends on the server."""
    row = db.exec(select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest())).first()
    if row is not None:
        row.revoked = True


def end_sessions(db: Session, user_id: int) -> int:
    """Revoke every live token and page session of the user (in the caller's transaction); how many."""
    result = db.exec(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
                     .values(revoked=True).execution_options(synchronize_session=False))
    return result.rowcount or 0


def check_coordinates(lat: float, lng: float) -> None:
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise InvalidInput("坐标无效：纬度须在 ±90 之间，经度须在 ±180 之间。", "lat")


@transactional
def save_unit(db: Session, actor: User, code: str, name: str, district: str, lat: float, lng: float,
              address: str = "", contact: str = "", phone: str = "", unit_id: int | None = None,
              staff_count: Any = None, confidential_network: bool | None = None) -> Unit:
    """Add or change a unit; ``staff_count`` and ``confidential_network`` left None keep what the unit has."""
    require(actor, "manage_accounts")
    staff = None if staff_count is None else staff_number(staff_count)
    # refused when too long, never cut: the code and name checked for a clash below are the ones stored
    code, name = fields.text(code, Unit.code, "code", "单位代码"), fields.text(name, Unit.name, "name", "单位名称")
    district = fields.text(district, Unit.district, "district", "区县")
    address = fields.text(address, Unit.address, "address", "地址")
    contact, phone = fields.text(contact, Unit.contact, "contact", "联系人"), fields.text(phone, Unit.phone, "phone", "电话")
    if not code or not name or not district:
        raise InvalidInput("单位代码、名称和区县不能为空。", "code")
    check_coordinates(lat, lng)
    clash = db.exec(select(Unit).where((Unit.code == code) | (Unit.name == name))).first()
    if clash is not None and clash.id != unit_id:
        raise Conflict("单位代码或名称已存在。", "code")
    unit = get_or_404(db, Unit, unit_id) if unit_id else Unit(code=code, name=name, district=district, lat=lat,
                                                              lng=lng)
    before = None if unit_id is None else {"name": unit.name, "district": unit.district}
    unit.code, unit.name, unit.district, unit.lat, unit.lng = code, name, district, lat, lng
    unit.address, unit.contact, unit.phone = address, contact, phone
    if staff is not None:
        unit.staff_count = staff
    if confidential_network is not None:
        unit.confidential_network = confidential_network
    db.add(unit)
    db.flush()
    log_event(db, actor, "unit", unit.id, "update" if unit_id else "create", f"{'修改' if unit_id else '新增'}单位 {name}",
              before, {"name": name, "district": district})
    return unit


MAX_STAFF = 1_000_000


def staff_number(value: Any) -> int:
    """编制内实有人数 from a form or a body: a whole number 0 … 1,000,000 (0: not known)."""
    text = "" if value is None else str(value).strip()
    if text == "":
        return 0
    if isinstance(value, bool) or not text.isascii() or not text.isdigit() or len(text) > 7 or int(text) > MAX_STAFF:
        raise InvalidInput(f"编制内实有人数须为 0 至 {MAX_STAFF:,} 的整数（0 表示未填）。", "staff_count")
    return int(text)


@transactional
def set_staffing(db: Session, actor: User, unit_id: int, staff_count: Any, confidential_network: bool) -> Unit:
    """A unit's 编制内实有人数 and whether it runs a confidential network (the quantity caps of the configuration
    standards are worked out from them)."""
    require(actor, "manage_accounts")
    unit = get_or_404(db, Unit, unit_id)
    staff = staff_number(staff_count)
    before = {"staff_count": unit.staff_count, "confidential_network": unit.confidential_network}
    unit.staff_count, unit.confidential_network = staff, bool(confidential_network)
    db.add(unit)
    log_event(db, actor, "unit", unit.id, "staffing", f"修改单位 {unit.name} 的编制内实有人数（{staff} 人）"
              f"{'，运行涉密网络' if unit.confidential_network else ''}", before,
              {"staff_count": staff, "confidential_network": unit.confidential_network})
    return unit


@transactional
def set_notice_channels(db: Session, actor: User, email: str | None, by_email: bool, by_chat: bool) -> User:
    """A user's own choice of where notices reach them besides the app (我的设置 · 通知方式)."""
    actor = require_user(actor)
    user = db.get(User, actor.id)
    address = check_email(email)
    if by_email and address is None:
        raise InvalidInput("选择邮件通知须填写电子邮箱。", "email")
    user.email, user.notify_email, user.notify_chat = address, by_email, by_chat
    log_event(db, actor, "user", user.id, "channels",
              "修改通知方式：站内" + ("、邮件" if by_email else "") + ("、工作群" if by_chat else ""))
    return user


@transactional
def update_user(db: Session, actor: User, user_id: int, role: str | None = None, unit_id: int | None = None,
                is_active: bool | None = None, password: str | None = None, email: str | None = None) -> User:
    """Change an account. A new password, role or unit, or disabling it, ends every session and token it has.
    ``email`` None leaves the address as it is; "" removes it."""
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
        check_password(password, user.username, user.display_name)
        user.password_hash = hash_password(password)
    if email is not None:
        user.email = check_email(email)
    after = {"role": user.role, "unit_id": user.unit_id, "is_active": user.is_active}
    ended = 0
    if password or before["role"] != user.role or before["unit_id"] != user.unit_id or not user.is_active:
        ended = end_sessions(db, user.id)
    log_event(db, actor, "user", user.id, "update", f"修改用户 {user.username}" + ("（重置密码）" if password else "")
              + (f"，已结束其 {ended} 个登录会话" if ended else ""), before, after)
    return user


# --- reads: units, warehouses and people as the other modules and the pages need them ------------------------


def units(db: Session) -> list[Unit]:
    """Every unit, by code (the units' list is public to anyone signed in: forms choose from it)."""
    return list(db.exec(select(Unit).order_by(Unit.code)))


def every_unit(db: Session, actor: User) -> dict[str, str]:
    """Every unit, for a list's unit filter (id → name)."""
    return {str(i): n for i, n in db.exec(select(Unit.id, Unit.name).order_by(Unit.code))}


def unit_options(db: Session, actor: User) -> dict[str, str]:
    """Units a list of unit documents may be narrowed to: a unit role's own unit, every unit for the others."""
    if actor.role in UNIT_ROLES:
        return {str(actor.unit_id): unit_name(db, actor.unit_id)}
    return every_unit(db, actor)


def unit_name(db: Session, unit_id: int | None) -> str:
    return names(db, Unit, [unit_id]).get(unit_id, "") if unit_id is not None else ""


def warehouses(db: Session) -> list[Warehouse]:
    return list(db.exec(select(Warehouse).order_by(Warehouse.code)))


def unit_by_code_or_name(db: Session, text: str) -> Unit | None:
    """The unit with this code or full name (the command line names units so)."""
    return db.exec(select(Unit).where((Unit.code == text) | (Unit.name == text))).first()


def user_by_name(db: Session, username: str) -> User | None:
    return db.exec(select(User).where(User.username == username)).first()


def user_by_id(db: Session, user_id: int) -> User:
    """The account a background job acts as (it was signed in when the job started)."""
    return get_or_404(db, User, user_id)


def display_names(db: Session, ids: list[int | None]) -> dict[int, str]:
    """id → display name of the people among ``ids`` (who did what in a history)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.exec(select(User.id, User.display_name).where(User.id.in_(wanted))).all())


# --- the list of users ------------------------------------------------------------------------------------

ACTIVE_CHOICES = {"1": "启用", "0": "已停用"}


def _account_managers_only(actor: User) -> Any:
    if not can(actor, "manage_accounts"):
        raise PermissionDenied("只有系统管理员可以查看用户列表。")
    return true()


def _user_units(db: Session, rows: list[User]) -> dict[str, Any]:
    return {"units": names(db, Unit, [u.unit_id for u in rows])}


USER_LIST = ListSpec(
    key="users", title="用户", model=User,
    columns=(
        Column("username", "用户名", lambda u, _: u.username),
        Column("display_name", "姓名", lambda u, _: u.display_name),
        Column("role", "角色", lambda u, _: u.role_label),
        Column("unit", "所属单位", lambda u, x: x["units"].get(u.unit_id, "")),
        Column("active", "状态", lambda u, _: ACTIVE_CHOICES["1" if u.is_active else "0"]),
        Column("created", "创建时间", lambda u, _: u.created_at),
    ),
    sorts={"username": ("用户名", (User.username,)), "newest": ("最新创建", (User.id.desc(),)),
           "role": ("角色", (User.role, User.username))},
    filters=(
        Filter("role", "角色", lambda v: User.role == v, ROLES),
        Filter("unit", "所属单位", lambda v: User.unit_id == v, options=unit_options),
        Filter("active", "状态", lambda v: User.is_active.is_(v == "1"), ACTIVE_CHOICES),
    ),
    search=(like(User.username), like(User.display_name)),
    where=_account_managers_only,
    lookups=_user_units,
)
