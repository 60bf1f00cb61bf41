"""Per-request plumbing: the database session, the signed-in user, CSRF tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session
from starlette.requests import Request

from market.accounts import user_for_token
from market.infra.db import session_scope
from market.models import User

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@contextmanager
def database(write: bool = False) -> Iterator[Session]:
    with session_scope(write=write) as db:
        yield db


def bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


SESSION_KEY = "sid"  # the signed cookie's field naming the page session kept on the server


def session_id(request: Request) -> str | None:
    """The page session the signed cookie names, if any."""
    sid = request.session.get(SESSION_KEY)
    return sid if isinstance(sid, str) and sid else None


def current_user(request: Request, db: Session) -> User | None:
    """The user of a bearer token (API) or of the page session the signed cookie names, each checked against
    its row on the server: signed out, expired, or ended by a change of the account → None."""
    token = bearer_token(request)
    if token:
        return user_for_token(db, token)
    sid = session_id(request)
    return user_for_token(db, sid, "cookie") if sid else None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, submitted: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and submitted and secrets.compare_digest(expected, submitted))
