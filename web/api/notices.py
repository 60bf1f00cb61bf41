"""Messages, wishes and the demand board."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from market import notices as svc
from market.models import User
from web.api.registry import INT, STR, declare, obj
from web.api.serialize import to_json
from web.params import field, opt_date, path_id


@declare("GET", "/api/notices", "我的站内消息", "消息")
def list_notices(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return {"unread": svc.unread_count(db, user), "notices": [to_json(n) for n in svc.inbox(db, user)]}


@declare("POST", "/api/notices/read", "标为已读（不给 id 则全部）", "消息", write=True, body=obj([], id=INT))
def read(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return {"marked": svc.mark_read(db, user, field(body or {}, "id", int, required=False))}


@declare("GET", "/api/board", "需求广场：各单位公开的需求", "需求广场")
def board(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return {"wishes": [to_json(w) for w in svc.demand_board(db)]}


@declare("GET", "/api/wishes", "本单位的心愿单", "需求广场")
def my_wishes(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return {"wishes": [to_json(w) for w in svc.my_wishes(db, user)]}


@declare("POST", "/api/wishes", "保存心愿（可发布到需求广场）", "需求广场", write=True, body=obj(
    ["title"], title=STR, keywords=STR, category_id=INT, quantity={"type": "integer", "minimum": 1},
    needed_from={"type": "string", "format": "date"}, needed_until={"type": "string", "format": "date"},
    public={"type": "boolean"}))
def create(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    wish = svc.create_wish(
        db, user, field(body, "title", str), keywords=field(body, "keywords", str, required=False) or "",
        category_id=field(body, "category_id", int, required=False),
        quantity=field(body, "quantity", int, required=False), needed_from=opt_date(body, "needed_from"),
        needed_until=opt_date(body, "needed_until"), public=bool(field(body, "public", bool, required=False)))
    return to_json(wish)


@declare("POST", "/api/wishes/{id}/close", "关闭心愿", "需求广场", write=True)
def close(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(svc.close_wish(db, user, path_id(request)))
