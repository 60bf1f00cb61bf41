"""Sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlparse

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market.accounts import issue_token, revoke_token
from market.errors import NotAuthenticated, TooManyAttempts
from market.models import User
from market.signin import authenticate
from web.deps import SESSION_KEY, csrf_token, session_id
from web.endpoints import page
from web.templating import render


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never redirect a user to another host after sign-in.
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


@page("/login", login=False)
def login_form(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", {"next": _safe_next(request.query_params.get("next"))})


@page("/login", "POST", login=False)
def login_submit(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/")))
    try:
        account = authenticate(db, username, password, request.client.host if request.client else "")
    except (NotAuthenticated, TooManyAttempts) as exc:
        return render(request, "login.html", {"error": exc.message, "username": username, "next": target},
                      status_code=exc.status)
    request.session.clear()  # a new session id and CSRF token at every sign-in
    request.session[SESSION_KEY] = issue_token(db, account, "cookie")
    csrf_token(request)  # issued with the cookie this answer sets: the pages after it leave the cookie alone
    return RedirectResponse(target, status_code=303)


@page("/logout", "POST", login=False)
def logout(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    sid = session_id(request)
    if sid:
        revoke_token(db, sid)  # ended on the server: a copy of the cookie kept elsewhere opens nothing
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
