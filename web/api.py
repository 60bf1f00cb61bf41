"""The JSON API: bearer-token sessions and the pool."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from market.accounts import authenticate, issue_token, revoke_token
from market.errors import InvalidInput
from market.listings import pool_page
from market.models import User

from .deps import bearer_token
from .handlers import api, field


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "role_label": user.role_label, "unit_id": user.unit_id}


@api(auth=False, write=True)
def create_session(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    username = field(body, "username", str)
    password = field(body, "password", str)
    account = authenticate(db, username, password)
    return {"token": issue_token(db, account), "user": user_json(account)}


@api(write=True)
def delete_session(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    token = bearer_token(request)
    if token:
        revoke_token(db, token)
    return {"ok": True}


@api
def me(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return user_json(user)


@api
def pool_listings(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    params = request.query_params
    page = params.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        raise InvalidInput("page 须为正整数。", "page")
    tier = params.get("tier")
    if tier not in (None, "", "warehouse", "idle"):
        raise InvalidInput("tier 须为 warehouse 或 idle。", "tier")
    category = params.get("category")
    if category and not category.isdigit():
        raise InvalidInput("category 须为分类编号（整数）。", "category")
    result = pool_page(db, q=params.get("q", "")[:100], category_id=int(category) if category else None,
                       tier=tier or None, district=params.get("district") or None, page=int(page))
    return {"total": result.total, "page": result.page, "pages": result.pages,
            "listings": [r.as_dict() for r in result.rows]}
