"""Sign-in with bearer tokens, and who am I."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from market.accounts import issue_token, revoke_token
from market.models import User
from market.signin import authenticate
from web.api.registry import STR, declare, obj
from web.api.schemas import BOOL, INT, opt, shape
from web.deps import bearer_token, session_id
from web.params import field

USER = shape(id=INT, username=STR, display_name=STR, role=STR, role_label=STR, unit_id=opt(INT))


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "role_label": user.role_label, "unit_id": user.unit_id}


@declare("POST", "/api/session", "登录，取得令牌", "会话", auth=False, write=True,
         body=obj(["username", "password"], username=STR, password=STR), returns=shape(token=STR, user=USER))
def create_session(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    account = authenticate(db, field(body, "username", str), field(body, "password", str),
                           request.client.host if request.client else "")
    return {"token": issue_token(db, account), "user": user_json(account)}


@declare("DELETE", "/api/session", "退出，令牌作废", "会话", write=True, returns=shape(ok=BOOL))
def delete_session(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    token = bearer_token(request) or session_id(request)  # a bearer token, else the cookie's page session
    if token:
        revoke_token(db, token)
    if not bearer_token(request):
        request.session.clear()
    return {"ok": True}


@declare("GET", "/api/me", "当前用户", "会话", returns=USER)
def me(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return user_json(user)
