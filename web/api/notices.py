"""Messages, wishes and the demand board."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import accounts
from market import notices as svc
from market.models import Notice, User, Wish
from web import lists
from web.api.registry import INT, TEXT, declare, obj
from web.api.schemas import BOOL, STR, arr, listing, model, opt, shape
from web.api.serialize import to_json
from web.params import field, opt_date, path_id


@declare("GET", "/api/notices", "我的站内消息（按类型、已读未读筛选，搜索内容；分页、排序、导出）", "消息",
         query=lists.query_params(svc.NOTICE_LIST), returns=listing(svc.NOTICE_LIST, model(Notice), unread=INT))
def list_notices(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    lp = lists.read(request, db, user, svc.NOTICE_LIST)
    return lp if isinstance(lp, Response) else {"unread": svc.unread_count(db, user)} | lists.as_json(lp, to_json)


@declare("POST", "/api/notices/read", "标为已读（不给 id 则全部）", "消息", write=True, body=obj([], id=INT), returns=shape(marked=INT))
def read(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return {"marked": svc.mark_read(db, user, field(body or {}, "id", int, required=False))}


@declare("POST", "/api/me/notify", "我的通知方式：电子邮箱，是否同时以邮件、工作群通知（站内消息始终开启）", "消息",
         write=True, body=obj([], email=TEXT(User.email, "电子邮箱"), by_email={"type": "boolean"},
                              by_chat={"type": "boolean"}), returns=shape(email=opt(STR), by_email=BOOL, by_chat=BOOL))
def notify_channels(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    body = body or {}
    me = accounts.set_notice_channels(db, user, field(body, "email", str, required=False),
                                      bool(field(body, "by_email", bool, required=False)),
                                      bool(field(body, "by_chat", bool, required=False)))
    return {"email": me.email, "by_email": me.notify_email, "by_chat": me.notify_chat}


@declare("GET", "/api/board", "需求广场：各单位公开的需求（按单位、分类筛选，搜索；分页、排序、导出）", "需求广场",
         query=lists.query_params(svc.BOARD_LIST), returns=listing(svc.BOARD_LIST, model(Wish)))
def board(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, svc.BOARD_LIST, lambda lp: to_json)


@declare("GET", "/api/wishes", "本单位的心愿单", "需求广场", returns=shape(wishes=arr(model(Wish))))
def my_wishes(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return {"wishes": [to_json(w) for w in svc.my_wishes(db, user)]}


@declare("POST", "/api/wishes", "保存心愿（可发布到需求广场）", "需求广场", write=True, body=obj(
    ["title"], title=TEXT(Wish.title, "想要什么"), keywords=TEXT(Wish.keywords, "关键词"), category_id=INT,
    quantity={"type": "integer", "minimum": 1, "maximum": 100000},
    needed_from={"type": "string", "format": "date"}, needed_until={"type": "string", "format": "date"},
    public={"type": "boolean"}), returns=model(Wish))
def create(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    wish = svc.create_wish(
        db, user, field(body, "title", str), keywords=field(body, "keywords", str, required=False) or "",
        category_id=field(body, "category_id", int, required=False),
        quantity=field(body, "quantity", int, required=False), needed_from=opt_date(body, "needed_from"),
        needed_until=opt_date(body, "needed_until"), public=bool(field(body, "public", bool, required=False)))
    return to_json(wish)


@declare("POST", "/api/wishes/{id}/close", "关闭心愿", "需求广场", write=True, returns=model(Wish))
def close(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(svc.close_wish(db, user, path_id(request)))
