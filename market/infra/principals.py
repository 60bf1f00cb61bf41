"""Who is asking, remembered for a few seconds: the user behind a bearer token or a page session (both rows of
``ApiToken``; the signed cookie carries only the page session's id).

Searching the pool is asked for at every keystroke and by every browse page, and checking the token and the
user's place against the database each time cost more than the search itself. Only search, suggest and the browse
page use this cache (``web/endpoints.py``, ``pool_read`` and ``pool_page``); every other endpoint checks the
database on each request.

What signing out, disabling an account or changing it guarantees:

- a token's expiry is kept with it and compared on every use: an expired token is refused at once;
- in the process where a token is revoked, an account disabled or given a new password, role or unit, or a
  unit moved, the cache is emptied when that transaction commits, before the response goes out: the next
  request of that token or cookie is checked against the database (an entry read while the change was being
  committed is not kept);
- in other processes (the other uvicorn workers, the command line) an entry is trusted for at most
  ``TTL_SECONDS`` after it was read: a token revoked or an account disabled there can search the pool for at
  most that long — the pool every signed-in user may search — and nothing else.

An entry is read again ahead of its expiry: once it is ``REFRESH_SECONDS`` old, one request claims it
(``refresh_due``) and reads the database while the others go on answering from the entry. Without this
every connection of a busy client missed the cache at the same instant, every ``TTL_SECONDS``: 50
connections, 50 database reads and thread hops at once (250 in 10 s, measured under load), where one does.
A refresh that finds the token revoked or the account disabled drops the entry at once.

The browse page (``web.endpoints.pool_page``) asks the same entry who is signed in: it also holds the name the
page header shows and the count of unread notices. A notice added, read or deleted in this process empties
the cache when its transaction commits, like an account change (``notify`` inserts through Core: statements
are watched as well as ORM objects); one added by another process shows within ``TTL_SECONDS``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, event, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

from market.models import ROLES, ApiToken, Notice, Unit, User, utcnow

TTL_SECONDS = 2.0
REFRESH_SECONDS = 1.0  # read again from this age on, by one request (``refresh_due``), while the entry is trusted
MAX_ENTRIES = 10_000  # past this the cache starts again (each entry lives seconds anyway)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    role: str
    unit_id: int | None
    origin: tuple[float, float] | None  # where distances are measured from: the user's unit, else the bureau
    expires_at: datetime  # the token's or page session's expiry
    read_at: float  # time.monotonic() when read from the database
    display_name: str = ""  # what the page header shows
    unread: int = 0  # notices not read yet, as of ``read_at`` (the page header's count)

    # what the page templates and ``market.access.can`` ask of a user
    @property
    def id(self) -> int:
        return self.user_id

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_active(self) -> bool:
        return True  # an entry exists only for an active account (a disabled one is dropped on commit)


# keyed by the kind and the token or session id itself (a hit costs no hashing; the process holds it while it
# answers anyway)
_cache: dict[tuple[str, object], Principal] = {}
_claimed: set[Principal] = set()  # entries one request is reading again (``refresh_due``)
_KEYS = {"api": "token", "cookie": "session"}  # a token's kind → its entries' key
_epoch = 0  # bumped on every forget: an entry read before it is not stored after it
_lock = threading.Lock()

_USER = User.__table__
_TOKEN = ApiToken.__table__
_UNIT = Unit.__table__
# built once, run through Core
_NOTICE = Notice.__table__
_TOKEN_USER = (sa_select(_USER.c.id, _USER.c.role, _USER.c.unit_id, _USER.c.is_active, _USER.c.display_name,
                         _TOKEN.c.expires_at, _TOKEN.c.revoked, _TOKEN.c.kind)
               .join(_TOKEN, _TOKEN.c.user_id == _USER.c.id).where(_TOKEN.c.token_hash == bindparam("digest")))
_UNIT_PLACE = sa_select(_UNIT.c.lat, _UNIT.c.lng).where(_UNIT.c.id == bindparam("id"))
_BUREAU_PLACE = sa_select(_UNIT.c.lat, _UNIT.c.lng).where(_UNIT.c.is_bureau.is_(True)).limit(1)
_UNREAD = (sa_select(func.count()).select_from(_NOTICE)
           .where(_NOTICE.c.user_id == bindparam("id"), _NOTICE.c.read_at.is_(None)))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def place_of(db: Session, unit_id: int | None) -> tuple[float, float] | None:
    """Where distances are measured from: the unit, or the bureau for people of no unit."""
    conn = db.connection()
    row = (conn.execute(_UNIT_PLACE, {"id": unit_id}) if unit_id else conn.execute(_BUREAU_PLACE)).first()
    return (row.lat, row.lng) if row else None


def _fresh(p: Principal | None) -> bool:
    return p is not None and time.monotonic() - p.read_at < TTL_SECONDS


def cached_for_token(token: str, kind: str = "api") -> Principal | None:
    """The user of the token (``kind`` "api") or page session ("cookie") if it was checked less than
    ``TTL_SECONDS`` ago and has not expired; None: ask ``for_token``."""
    p = _cache.get((_KEYS[kind], token))
    if not _fresh(p) or p.expires_at <= utcnow():
        return None
    return p


def refresh_due(p: Principal) -> bool:
    """True for one caller once the entry is ``REFRESH_SECONDS`` old: that caller reads it again
    (``for_token`` with ``again=True``) while the others go on using it."""
    if time.monotonic() - p.read_at < REFRESH_SECONDS:
        return False
    with _lock:
        if p in _claimed:
            return False
        _claimed.add(p)
        return True


def _store(key: tuple[str, object], p: Principal | None, epoch: int) -> None:
    """Keep what was read for ``key``; None (refused) drops the entry."""
    with _lock:  # (readers take no lock: the entry is replaced in one step, never missing in between)
        old = _cache.get(key)
        if old is not None:
            _claimed.discard(old)
        if p is None or epoch != _epoch:  # something was revoked or changed while we read: do not keep it
            _cache.pop(key, None)
            return
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
            _claimed.clear()
        _cache[key] = p


def for_token(db: Session, token: str, again: bool = False, kind: str = "api") -> Principal | None:
    """The active user of a live token (``kind`` "api") or page session ("cookie"): from the cache, else (or
    ``again``) from the database, then cached."""
    p = None if again else cached_for_token(token, kind)
    if p is not None:
        return p
    epoch, key = _epoch, (_KEYS[kind], token)
    row = db.connection().execute(_TOKEN_USER, {"digest": digest(token)}).first()
    if (row is not None and row.kind == kind and not row.revoked and row.is_active
            and row.expires_at > utcnow()):
        unread = db.connection().execute(_UNREAD, {"id": row.id}).scalar_one()
        p = Principal(row.id, row.role, row.unit_id, place_of(db, row.unit_id), row.expires_at, time.monotonic(),
                      row.display_name, unread)
    _store(key, p, epoch)
    return p


def forget_all() -> None:
    """Empty the cache (after a revocation or an account change has committed)."""
    global _epoch
    with _lock:
        _epoch += 1
        _cache.clear()
        _claimed.clear()


# A flush that changed or deleted a user, a token or a unit (revoked, disabled, new password, role or unit, a
# unit moved), or added, read or deleted a notice, empties the cache when its transaction commits, whichever
# service did it; so does an INSERT, UPDATE or DELETE statement on those tables run through a session (a bulk
# revocation, ``notify``'s insert).
_WATCHED = (User, ApiToken, Unit)
_WATCHED_TABLES = frozenset({_USER, _TOKEN, _UNIT, _NOTICE})


@event.listens_for(Session, "after_flush")
def _saw_account_change(session: Session, _context: object) -> None:
    if not session.info.get("principals_changed") and (
            any(isinstance(o, _WATCHED) for o in (*session.dirty, *session.deleted))
            or any(isinstance(o, Notice) for o in (*session.new, *session.dirty, *session.deleted))):
        session.info["principals_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _saw_account_statement(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and getattr(
            state.statement, "table", None) in _WATCHED_TABLES:
        state.session.info["principals_changed"] = True


@event.listens_for(Session, "after_commit")
def _account_change_committed(session: Session) -> None:
    if session.info.pop("principals_changed", False):
        forget_all()


@event.listens_for(Session, "after_rollback")
def _account_change_rolled_back(session: Session) -> None:
    session.info.pop("principals_changed", None)
