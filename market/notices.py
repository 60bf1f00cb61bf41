"""Messages inside the product (站内消息), the demand board and wish lists.

Notices are written in the same transaction as the change that causes them. Reminders for loans
due in three days or overdue come from ``sweep_loans``, which the app runs every hour (and
``gongwucang notify`` runs on demand); a key per (user, loan, kind) keeps each reminder single.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from market.access import UNIT_ROLES, can, require, require_user, scoped, visible
from market.accounts import every_unit
from market.catalogue import category_options
from market.errors import InvalidInput, InvalidTransition, PermissionDenied
from market.fields import cut
from market.infra.db import transactional
from market.infra.rows import get_or_404
from market.lists import Column, Filter, ListSpec, like, named, names
from market.models import NOTICE_KINDS, Asset, Category, Notice, Order, PoolListing, Unit, User, Wish, utcnow

DUE_SOON_DAYS = 3


def notify(db: Session, user_ids: list[int], kind: str, text: str, link: str, key: str) -> int:
    """Add a notice for each user who has not had this ``key`` yet; returns how many were added.

    The rows go in with ON CONFLICT DO NOTHING: two processes sending the same reminder at once (every app
    worker sweeps loans when it starts) both find it missing, and on PostgreSQL the second one's insert waited
    for the first one's commit and then failed on the unique key; now it adds nothing.
    """
    if not user_ids:
        return 0
    had = set(db.exec(select(Notice.user_id).where(Notice.key == key, Notice.user_id.in_(user_ids))))
    new = [uid for uid in dict.fromkeys(user_ids) if uid not in had]
    if not new:
        return 0
    now = utcnow()
    rows = [{"user_id": uid, "kind": kind, "text": cut(text, Notice.text), "link": link[:200], "key": key[:80],
             "created_at": now} for uid in new]
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(Notice.__table__).values(rows).on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(Notice.__table__.c.id))
    return len(db.exec(stmt).all())  # the rows added (rowcount of a multi-row insert is not reliable)


def unit_users(db: Session, unit_id: int) -> list[int]:
    return list(db.exec(select(User.id).where(User.unit_id == unit_id, User.role.in_(UNIT_ROLES), User.is_active)))


def role_users(db: Session, role: str) -> list[int]:
    return list(db.exec(select(User.id).where(User.role == role, User.is_active)))


def unread_count(db: Session, user: User) -> int:
    return db.exec(select(func.count()).select_from(Notice).where(Notice.user_id == user.id,
                                                                  Notice.read_at.is_(None))).one()


READ_STATES = {"1": "未读", "0": "已读"}

NOTICE_LIST = ListSpec(
    key="notices", title="站内消息", model=Notice,
    columns=(
        Column("kind", "类型", lambda n, _: n.kind_label),
        Column("text", "内容", lambda n, _: n.text),
        Column("created", "时间", lambda n, _: n.created_at),
        Column("read", "状态", lambda n, _: READ_STATES["0" if n.read_at else "1"]),
    ),
    sorts={"newest": ("最新在前", (Notice.id.desc(),)), "oldest": ("最早在前", (Notice.id,))},
    filters=(
        Filter("kind", "类型", lambda v: Notice.kind == v, NOTICE_KINDS),
        Filter("unread", "状态", lambda v: Notice.read_at.is_(None) if v == "1" else Notice.read_at.is_not(None),
               READ_STATES),
    ),
    search=(like(Notice.text),),
)


@transactional
def mark_read(db: Session, user: User, notice_id: int | None = None) -> int:
    """Mark one notice (or, with None, all) of this user as read."""
    require_user(user)
    stmt = select(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
    if notice_id is not None:
        stmt = stmt.where(Notice.id == notice_id)
    rows = list(db.exec(stmt))
    now = utcnow()
    for n in rows:
        n.read_at = now
    return len(rows)


@transactional
def sweep_loans(db: Session, today: date | None = None) -> int:
    """Remind borrowers (and the warehouse administrators) of loans due within three days or overdue."""
    today = today or utcnow().date()
    admins = role_users(db, "warehouse_admin")
    added = 0
    loans = db.exec(select(Order).where(Order.status == "on_loan", Order.end_date.is_not(None),
                                        Order.end_date <= today + timedelta(days=DUE_SOON_DAYS)))
    for order in loans:
        unit = db.get(Unit, order.to_unit_id)
        link = f"/orders/{order.id}"
        if order.end_date < today:
            late = (today - order.end_date).days
            added += notify(db, unit_users(db, order.to_unit_id) + admins, "loan_overdue",
                            f"{order.kind_label} {order.number}（{unit.name}，{order.quantity} 件）已逾期 {late} 天，"
                            f"应于 {order.end_date} 归还。", link, f"overdue:{order.id}")
        else:
            added += notify(db, unit_users(db, order.to_unit_id), "loan_due",
                            f"{order.kind_label} {order.number}（{order.quantity} 件）将于 {order.end_date} 到期，请按时归还。",
                            link, f"due:{order.id}")
    return added


# --- wishes and the demand board ---------------------------------------------------------------------


def may_wish(actor: User) -> bool:
    """Keeps a wish list: the people who submit requests for their unit."""
    return can(actor, "submit_request", actor.unit_id)


@transactional
def create_wish(db: Session, actor: User, title: str, keywords: str = "", category_id: int | None = None,
                quantity: int | None = None, needed_from: date | None = None, needed_until: date | None = None,
                public: bool = False) -> Wish:
    require(actor, "submit_request", actor.unit_id)
    title = (title or "").strip()
    if not title:
        raise InvalidInput("请填写想要什么。", "title")
    if len(title) > 120 or len(keywords or "") > 200:
        raise InvalidInput("标题或关键词过长。", "title")
    if category_id is not None:
        get_or_404(db, Category, category_id, "category_id")
    if not (keywords or "").strip() and category_id is None:
        raise InvalidInput("请至少填写关键词或选择资产分类。", "keywords")
    if quantity is not None and not 1 <= quantity <= 100_000:
        raise InvalidInput("数量须为 1 至 100000。", "quantity")
    if needed_from and needed_until and needed_until < needed_from:
        raise InvalidInput("需要的截止日期不能早于开始日期。", "needed_until")
    wish = Wish(unit_id=actor.unit_id, created_by=actor.id, title=title, keywords=(keywords or "").strip(),
                category_id=category_id, quantity=quantity, needed_from=needed_from, needed_until=needed_until,
                public=public)
    db.add(wish)
    return wish


@transactional
def close_wish(db: Session, actor: User, wish_id: int) -> Wish:
    wish = visible(db, actor, Wish, wish_id)
    require(actor, "submit_request", wish.unit_id)
    if wish.status != "active":
        raise InvalidTransition("该心愿已关闭。")
    wish.status = "closed"
    return wish


def my_wishes(db: Session, actor: User) -> list[Wish]:
    actor = require_user(actor)
    if actor.unit_id is None:
        raise PermissionDenied("只有单位用户有心愿单。")
    return list(db.exec(scoped(actor, Wish).where(Wish.unit_id == actor.unit_id).order_by(Wish.id.desc())))


def wish_names(db: Session, rows: list[Wish]) -> dict[str, Any]:
    """The names a list of wishes shows: units and categories."""
    return {"units": names(db, Unit, [w.unit_id for w in rows]),
            "categories": names(db, Category, [w.category_id for w in rows])}


def _needed(w: Wish) -> str:
    return f"{w.needed_from or ''} 至 {w.needed_until or ''}" if w.needed_from or w.needed_until else ""


# The demand board (需求广场): every unit's public, active wishes, for anyone signed in.
BOARD_LIST = ListSpec(
    key="wishes", title="需求广场", model=Wish,
    columns=(
        Column("title", "想要什么", lambda w, _: w.title),
        Column("unit", "单位", lambda w, x: x["units"].get(w.unit_id, "")),
        Column("category", "分类", lambda w, x: x["categories"].get(w.category_id, "不限分类")),
        Column("quantity", "数量", lambda w, _: w.quantity),
        Column("needed", "需要时间", lambda w, _: _needed(w)),
        Column("keywords", "关键词", lambda w, _: w.keywords),
        Column("created", "发布时间", lambda w, _: w.created_at),
    ),
    sorts={"newest": ("最新发布", (Wish.id.desc(),)), "oldest": ("最早发布", (Wish.id,)),
           "needed": ("需要时间", (Wish.needed_from, Wish.id))},
    filters=(
        Filter("unit", "单位", lambda v: Wish.unit_id == v, options=every_unit),
        Filter("category", "分类", lambda v: Wish.category_id == v, options=category_options),
    ),
    search=(like(Wish.title), like(Wish.keywords), named(Wish.unit_id, Unit)),
    where=lambda actor: and_(Wish.public, Wish.status == "active"),
    lookups=wish_names,
)


def _listing_text(db: Session, listing: PoolListing) -> str:
    cat = db.get(Category, listing.category_id)
    first = db.exec(select(Asset).where(Asset.listing_id == listing.id)).first()
    parts = [listing.title, listing.description, cat.name if cat else "", first.brand if first else "",
             first.model if first else "", first.name if first else ""]
    return " ".join(parts).lower()


def match_wishes(db: Session, listing: PoolListing) -> int:
    """Tell every unit whose active wish the new listing matches (not the listing's own holder)."""
    text = _listing_text(db, listing)
    wishes = db.exec(select(Wish).where(Wish.status == "active", Wish.unit_id != listing.holder_unit_id,
                                        or_(Wish.category_id.is_(None), Wish.category_id == listing.category_id)))
    told = 0
    for wish in wishes:
        words = [w.lower() for w in wish.keywords.replace("，", " ").replace(",", " ").split() if w]
        if all(w in text for w in words):
            told += notify(db, unit_users(db, wish.unit_id), "wish_matched",
                           f"您关注的“{wish.title}”有新资产进入公物池：{listing.title}", f"/listings/{listing.id}",
                           f"wish:{wish.id}:{listing.id}")
    return told
