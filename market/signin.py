"""Signing in: the password check, the back-off after failures, and the sysadmins told of repeated failures.

Every attempt is a ``LoginAttempt`` row, kept in its own commit (a failure is kept though the caller rolls
back). Failures in the last ``WINDOW`` slow further attempts down, each back-off twice the one before, counted
from the latest failure:

- from one **address**, whatever usernames it tries: free for ``ADDRESS_FREE`` failures, then 1 s, 2 s, 4 s …
  up to ``ADDRESS_CAP`` (guessing across many usernames from one place);
- of one **username from one address**: free for ``PAIR_FREE`` failures, then the same doubling up to
  ``PAIR_CAP``;
- of one **username from anywhere**: free for ``USERNAME_FREE`` failures, then doubling up to a short
  ``USERNAME_CAP`` — and not at all from an address where that username has signed in before
  (``KNOWN_ADDRESS``). So someone who types another person's name wrong on purpose cannot lock them out:
  their own office computer still lets them in, and anywhere else waits seconds, not a quarter of an hour.

An attempt refused by the back-off checks no password and does not lengthen it (``throttled`` rows are not
counted). A username that does not exist (or a disabled account) costs the same argon2 verification as a real
one, against a dummy hash, so the answer's timing does not tell which names exist.

When one username or one address reaches ``NOTICE_AT`` counted failures in the window, every active sysadmin
gets a notice (at most one per username or address per hour).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func
from sqlmodel import Session, select

from market.accounts import hash_password, verify_password
from market.errors import NotAuthenticated, TooManyAttempts
from market.models import LoginAttempt, User, utcnow
from market.notices import announce

WINDOW = timedelta(hours=1)
ADDRESS_FREE, ADDRESS_CAP = 10, timedelta(minutes=15)
PAIR_FREE, PAIR_CAP = 5, timedelta(minutes=15)
USERNAME_FREE, USERNAME_CAP = 5, timedelta(seconds=30)
KNOWN_ADDRESS = timedelta(days=90)  # a username's own address: where it signed in successfully this recently
NOTICE_AT = 10  # counted failures of one username or from one address in the window


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """An argon2 hash with the same parameters as the real ones, of a password nobody knows."""
    return hash_password(hashlib.sha256(b"gongwucang-no-such-user").hexdigest())


def backoff(failures: int, free: int, cap: timedelta) -> timedelta:
    """How long after the latest of ``failures`` counted failures the next attempt must wait."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), cap)


def _failures(db: Session, since: datetime, *conditions) -> tuple[int, datetime | None]:  # noqa: ANN002
    """How many counted failures match ``conditions`` since ``since``, and when the latest was."""
    count, latest = db.exec(select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.ok.is_(False), LoginAttempt.throttled.is_(False), LoginAttempt.at >= since,
        *conditions)).one()
    return count, latest


def _known_address(db: Session, username: str, ip: str, now: datetime) -> bool:
    return ip != "" and db.exec(select(LoginAttempt.id).where(
        LoginAttempt.username == username, LoginAttempt.ip == ip, LoginAttempt.ok.is_(True),
        LoginAttempt.at >= now - KNOWN_ADDRESS).limit(1)).first() is not None


def wait_needed(db: Session, username: str, ip: str, now: datetime | None = None) -> timedelta:
    """How long this username from this address must still wait before its password is checked (0: not)."""
    now = now or utcnow()
    since = now - WINDOW
    checks = [(_failures(db, since, LoginAttempt.ip == ip), ADDRESS_FREE, ADDRESS_CAP),
              (_failures(db, since, LoginAttempt.ip == ip, LoginAttempt.username == username), PAIR_FREE, PAIR_CAP)]
    if not _known_address(db, username, ip, now):
        checks.append((_failures(db, since, LoginAttempt.username == username), USERNAME_FREE, USERNAME_CAP))
    wait = timedelta(0)
    for (count, latest), free, cap in checks:
        if latest is not None:
            wait = max(wait, latest + backoff(count, free, cap) - now)
    return wait


def _seconds(wait: timedelta) -> int:
    return max(1, int(wait.total_seconds() + 0.999))


def _tell_sysadmins(db: Session, username: str, ip: str, now: datetime) -> None:
    since = now - WINDOW
    hour = now.strftime("%Y%m%d%H")
    by_name, _ = _failures(db, since, LoginAttempt.username == username)
    by_address, _ = _failures(db, since, LoginAttempt.ip == ip)
    if by_name == NOTICE_AT:
        tag = hashlib.sha256(username.encode()).hexdigest()[:16]
        announce(db, "login_failures", {"text":
                 f"账号“{username}”在 1 小时内登录失败 {by_name} 次（最近一次来自 {ip or '未知地址'}），"
                 f"已按失败次数逐次延长等待时间。如非本人所为，请核实并提醒该用户。"}, f"loginfail:u:{tag}:{hour}")
    if ip and by_address == NOTICE_AT:
        tag = hashlib.sha256(ip.encode()).hexdigest()[:16]
        announce(db, "login_failures", {"text": f"地址 {ip} 在 1 小时内登录失败 {by_address} 次，"
                                                "已按失败次数逐次延长该地址的等待时间。"}, f"loginfail:a:{tag}:{hour}")


def authenticate(db: Session, username: str, password: str, ip: str = "") -> User:
    """The active user whose password this is; else ``NotAuthenticated``, or ``TooManyAttempts`` (429) while
    a back-off lasts. Commits the attempt's record."""
    username, ip = (username or "")[:64], (ip or "")[:64]
    now = utcnow()
    wait = wait_needed(db, username, ip, now)
    if wait > timedelta(0):
        db.add(LoginAttempt(username=username, ip=ip, ok=False, throttled=True, at=now))
        db.commit()
        raise TooManyAttempts(f"登录失败次数过多，请 {_seconds(wait)} 秒后再试。")
    user = db.exec(select(User).where(User.username == username)).first()
    if user is not None and user.is_active:
        ok = verify_password(user.password_hash, password or "")
    else:  # the same work as for a real account: the answer's timing tells nothing
        verify_password(_dummy_hash(), password or "")
        ok = False
    db.add(LoginAttempt(username=username, ip=ip, ok=ok, at=now))
    if not ok:
        db.flush()
        _tell_sysadmins(db, username, ip, now)
    db.commit()
    if not ok:
        raise NotAuthenticated("用户名或密码错误。")
    return user
