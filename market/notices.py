"""Messages inside the product (站内消息) and out of it (e-mail, the work-chat robot), the demand board and wishes.

Who is told of what is one table, ``market.notify_rules``. A logged state change sets its rows off through
``follow`` (``log_event`` calls it), in the same transaction as the change; what is not a logged change — loans
falling due, a wish matched, sign-in failures — goes through ``announce``. Either way ``notify`` adds the notices
and, for the recipients who chose e-mail or the work chat, a row each in the delivery outbox that
``market.channels`` sends after commit. Reminders come from ``sweep_loans``, which the app runs every hour (and
``gongwucang notify --sweep`` on demand); a key per (user, event, kind) keeps each notice single.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from market.access import can, require, require_user, scoped, visible
from market.accounts import every_unit
from market.catalogue import category_options
from market.errors import InvalidInput, InvalidTransition, PermissionDenied
from market.fields import cut
from market.infra.config import settings
from market.infra.db import transactional
from market.infra.rows import get_or_404
from market.lists import Column, Filter, ListSpec, like, named, names
from market.models import (
    NOTICE_KINDS,
    Asset,
    Category,
    Delivery,
    Event,
    Notice,
    Order,
    PoolListing,
    Unit,
    User,
    Wish,
    utcnow,
)
from market.notify_rules import FACTS, Facts, Rule, role_users, rules_for_event, rules_for_kind, unit_users

__all__ = ["notify", "follow", "announce", "role_users", "unit_users"]

DUE_SOON_DAYS = 3
READY_DAYS = 1  # an allocated order is "ready to collect" this many days before its first day


def notify(db: Session, user_ids: list[int], kind: str, text: str, link: str, key: str) -> int:
    """Add a notice for each user who has not had this ``key`` yet, and queue it for the outside channels each
    of them chose; returns how many notices were added.

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
    text = cut(text, Notice.text)
    rows = [{"user_id": uid, "kind": kind, "text": text, "link": link[:200], "key": key[:80],
             "created_at": now} for uid in new]
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(Notice.__table__).values(rows).on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(Notice.__table__.c.id, Notice.__table__.c.user_id))
    added = db.exec(stmt).all()  # the rows added (rowcount of a multi-row insert is not reliable)
    _queue(db, dict((uid, nid) for nid, uid in added), kind, text, link, now)
    return len(added)


def _queue(db: Session, notices: dict[int, int], kind: str, text: str, link: str, now: Any) -> None:
    """The outbox rows of new notices (user id → notice id): e-mail and work chat, as each user chose."""
    if not notices:
        return
    people = db.exec(select(User.id, User.email, User.notify_email, User.notify_chat)
                     .where(User.id.in_(list(notices)), or_(and_(User.email.is_not(None), User.notify_email),
                                                            User.notify_chat))).all()
    if not people:
        return
    label = NOTICE_KINDS.get(kind, kind)
    base = settings().public_url or ""
    body = cut(f"{text}\n\n查看详情：{base}{link}\n\n——公物仓（此邮件由系统自动发送，请勿直接回复）", Delivery.body)
    rows = []
    for uid, email, by_email, by_chat in people:
        common = {"notice_id": notices[uid], "user_id": uid, "subject": f"【公物仓】{label}", "status": "queued",
                  "attempts": 0, "next_at": now, "last_error": "", "created_at": now}
        if email and by_email:
            rows.append(common | {"channel": "email", "address": email, "body": body})
        if by_chat:
            rows.append(common | {"channel": "chat", "address": "", "body": cut(f"【公物仓】{label}：{text} {base}{link}",
                                                                               Delivery.body)})
    if rows:
        db.exec(Delivery.__table__.insert().values(rows))


def _send(db: Session, row: Rule, facts: Facts, key: str) -> int:
    if not row.applies(facts):
        return 0
    people = list(row.to(db, facts))
    if not people:
        return 0
    return notify(db, people, row.kind, row.text.format_map(facts), row.link.format_map(facts), key)


def follow(db: Session, ev: Event) -> int:
    """Tell the people the table names for this logged event (``log_event`` calls it)."""
    rows = rules_for_event(ev.entity, ev.action)
    if not rows:
        return 0
    if ev.id is None:
        db.flush()  # the event's id makes the notice's key
    told = 0
    for i, facts in enumerate(FACTS[ev.entity](db, ev)):
        facts.setdefault("actor_id", ev.actor_id)
        facts.setdefault("summary", ev.summary)  # what the log says happened, in its words
        facts.setdefault("event", ev.action)
        for n, row in enumerate(rows):
            told += _send(db, row, facts, f"ev:{ev.id}:{i}:{n}")
    return told


def announce(db: Session, kind: str, facts: Facts, key: str) -> int:
    """Tell the people the table names for ``kind`` of something that is not a logged change (a reminder)."""
    rows = rules_for_kind(kind)
    if not rows:
        raise KeyError(f"no notice rule for {kind}")
    return sum(_send(db, row, facts, key) for row in rows)


def unread_count(db: Session, user: User) -> int:
    return db.exec(select(func.count()).select_from(Notice).where(Notice.user_id == user.id,
                                                                  Notice.read_at.is_(None))).one()


READ_STATES = {"1": "未读", "0": "已读"}


def delivery_states(db: Session, rows: list[Notice]) -> dict[str, Any]:
    """How each notice of a page went out besides the app: notice id → "邮件已发送", "邮件待发送（未配置邮件服务）"…"""
    from market.models import CHANNELS, DELIVERY_STATUSES

    out: dict[int, list[str]] = {}
    ids = [n.id for n in rows]
    for notice_id, channel, status, error in db.exec(
            select(Delivery.notice_id, Delivery.channel, Delivery.status, Delivery.last_error)
            .where(Delivery.notice_id.in_(ids or [0])).order_by(Delivery.id)).all():
        why = f"（{error}）" if error and status in ("queued", "failed") and "未配置" in error else ""
        out.setdefault(notice_id, []).append(f"{CHANNELS.get(channel, channel)}{DELIVERY_STATUSES.get(status, status)}{why}")
    return {"deliveries": {k: "，".join(v) for k, v in out.items()}}

NOTICE_LIST = ListSpec(
    key="notices", title="站内消息", model=Notice,
    columns=(
        Column("kind", "类型", lambda n, _: n.kind_label),
        Column("text", "内容", lambda n, _: n.text),
        Column("created", "时间", lambda n, _: n.created_at),
        Column("read", "状态", lambda n, _: READ_STATES["0" if n.read_at else "1"]),
        Column("channels", "邮件与工作群", lambda n, x: x["deliveries"].get(n.id, "")),
    ),
    sorts={"newest": ("最新在前", (Notice.id.desc(),)), "oldest": ("最早在前", (Notice.id,))},
    filters=(
        Filter("kind", "类型", lambda v: Notice.kind == v, NOTICE_KINDS),
        Filter("unread", "状态", lambda v: Notice.read_at.is_(None) if v == "1" else Notice.read_at.is_not(None),
               READ_STATES),
    ),
    search=(like(Notice.text),),
    lookups=delivery_states,
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


def order_facts(db: Session, order: Order) -> Facts:
    """The facts of an order, as the table's order rows read them (for reminders that are not logged events)."""
    return FACTS["order"](db, Event(entity="order", entity_id=order.id, action="remind"))[0]


@transactional
def sweep_loans(db: Session, today: date | None = None) -> int:
    """Remind borrowers (and the warehouse administrators) of loans due within three days or overdue, and
    requesting units of orders ready to collect from tomorrow."""
    today = today or utcnow().date()
    added = 0
    loans = db.exec(select(Order).where(Order.status == "on_loan", Order.end_date.is_not(None),
                                        Order.end_date <= today + timedelta(days=DUE_SOON_DAYS)).order_by(Order.id))
    for order in loans:
        facts = order_facts(db, order)
        if order.end_date < today:
            added += announce(db, "loan_overdue", facts | {"late": (today - order.end_date).days},
                              f"overdue:{order.id}")
        else:
            added += announce(db, "loan_due", facts, f"due:{order.id}")
    ready = db.exec(select(Order).where(Order.status == "allocated", Order.kind.in_(["loan", "transfer"]),
                                        Order.start_date <= today + timedelta(days=READY_DAYS),
                                        Order.start_date >= today).order_by(Order.id))
    for order in ready:
        added += announce(db, "order_ready", order_facts(db, order), f"ready:{order.id}")
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
            told += announce(db, "wish_matched", {"unit_id": wish.unit_id, "wish": wish.title,
                                                  "listing": listing.title, "listing_id": listing.id},
                             f"wish:{wish.id}:{listing.id}")
    return told


def channel_status() -> dict[str, bool]:
    """Which outside channels this installation has configured (the settings page says so)."""
    from market.channels import configured

    return {"email": configured("email"), "chat": configured("chat")}
