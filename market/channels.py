"""Notices out of the app: e-mail over SMTP and the work-chat robot (企业微信 / 钉钉 style webhook).

``market.notices.notify`` writes a ``Delivery`` row per notice and chosen channel in the transaction of the change;
``send_pending`` sends them after commit — from the app's background task every few seconds and from
``gongwucang notify --send``. A row is leased while it is sent (two workers never send it twice unless one dies
mid-send), a failure is retried with back-off (1, 2, 4, 8 minutes) up to ``MAX_ATTEMPTS`` times and then kept
as 发送失败 with its error. Nothing here can block or undo the change that caused the notice.

Configuration, read from the environment when sending (so a restart is not needed to change it):

- e-mail: ``GONGWUCANG_SMTP_URL`` (``smtp://user:password@host:port?starttls=1&from=addr``, or ``smtps://``
  for SMTP over TLS), or ``GONGWUCANG_SMTP_HOST`` / ``_PORT`` / ``_USER`` / ``_PASSWORD`` / ``_FROM`` /
  ``_STARTTLS`` (``1`` to upgrade with STARTTLS) / ``_SSL`` (``1`` for SMTP over TLS). Without a host, e-mails
  stay queued, marked 未配置邮件服务.
- work chat: ``GONGWUCANG_WEBHOOK_URL`` and, for a signed robot, ``GONGWUCANG_WEBHOOK_SECRET``: the body is
  ``{"msgtype": "text", "text": {"content": …}}``; with a secret the URL gets ``timestamp`` (ms) and ``sign``,
  base64 of HMAC-SHA256 over ``timestamp + "\\n" + secret`` keyed with the secret, as DingTalk's robot checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
from sqlalchemy import and_, delete, func, or_, update
from sqlmodel import Session, select

from market.errors import InvalidInput
from market.infra.db import session_scope
from market.models import Delivery, utcnow

MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=1)  # after the n-th failure, wait BACKOFF * 2**(n-1)
LEASE = timedelta(minutes=5)  # a row being sent is not picked again before this (unless it was sent)
TIMEOUT = 15.0  # seconds a server may take to answer
BATCH = 50
NOT_CONFIGURED = {"email": "未配置邮件服务", "chat": "未配置工作群机器人"}
GIVE_UP_AFTER = timedelta(days=3)  # a notice still unsent this long after it was written is about the past
KEEP_SENT = timedelta(days=30)
KEEP_FAILED = timedelta(days=90)
GAVE_UP = "超过 3 天未能发送，不再尝试"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str
    password: str
    sender: str
    starttls: bool
    ssl: bool


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def smtp_config() -> SmtpConfig | None:
    """The SMTP server from the environment, or None when none is configured."""
    url = os.environ.get("GONGWUCANG_SMTP_URL", "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise InvalidInput("GONGWUCANG_SMTP_URL 须形如 smtp://用户:密码@主机:端口。", "GONGWUCANG_SMTP_URL")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        ssl = parts.scheme == "smtps"
        user = unquote(parts.username or "")
        return SmtpConfig(parts.hostname, parts.port or (465 if ssl else 25), user, unquote(parts.password or ""),
                          query.get("from") or user or f"gongwucang@{parts.hostname}", _flag(query.get("starttls")),
                          ssl)
    host = os.environ.get("GONGWUCANG_SMTP_HOST", "").strip()
    if not host:
        return None
    ssl = _flag(os.environ.get("GONGWUCANG_SMTP_SSL"))
    user = os.environ.get("GONGWUCANG_SMTP_USER", "")
    return SmtpConfig(host, int(os.environ.get("GONGWUCANG_SMTP_PORT") or (465 if ssl else 25)), user,
                      os.environ.get("GONGWUCANG_SMTP_PASSWORD", ""),
                      os.environ.get("GONGWUCANG_SMTP_FROM") or user or f"gongwucang@{host}",
                      _flag(os.environ.get("GONGWUCANG_SMTP_STARTTLS")), ssl)


def webhook_config() -> tuple[str, str] | None:
    """The work-chat robot's URL and signing secret ("" for an unsigned robot), or None."""
    url = os.environ.get("GONGWUCANG_WEBHOOK_URL", "").strip()
    return (url, os.environ.get("GONGWUCANG_WEBHOOK_SECRET", "").strip()) if url else None


def configured(channel: str) -> bool:
    return (smtp_config() if channel == "email" else webhook_config()) is not None


def send_email(cfg: SmtpConfig, to: str, subject: str, body: str) -> None:
    """One plain-text e-mail, UTF-8 headers and body."""
    msg = EmailMessage()
    msg["From"] = formataddr(("公物仓", cfg.sender))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=cfg.sender.rpartition("@")[2] or None)
    msg.set_content(body, charset="utf-8")
    smtp_class = smtplib.SMTP_SSL if cfg.ssl else smtplib.SMTP
    with smtp_class(cfg.host, cfg.port, timeout=TIMEOUT) as smtp:
        if cfg.starttls:
            smtp.starttls()
        if cfg.user:
            smtp.login(cfg.user, cfg.password)
        smtp.send_message(msg)


def sign(secret: str, timestamp: str) -> str:
    """DingTalk's robot signature: base64(HMAC-SHA256(key=secret, timestamp + "\\n" + secret))."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def post_webhook(url: str, secret: str, text: str) -> None:
    """Post one text message to the robot; raises on an HTTP error or a robot's non-zero ``errcode``."""
    params = {}
    if secret:
        timestamp = str(int(time.time() * 1000))
        params = {"timestamp": timestamp, "sign": sign(secret, timestamp)}
    response = httpx.post(url, params=params, json={"msgtype": "text", "text": {"content": text}}, timeout=TIMEOUT)
    response.raise_for_status()
    try:
        answer = response.json()
    except ValueError:
        return
    if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
        raise RuntimeError(f"工作群机器人拒收：{answer.get('errcode')} {answer.get('errmsg', '')}")


def _deliver(row: Delivery) -> None:
    if row.channel == "email":
        cfg = smtp_config()
        send_email(cfg, str(Address(addr_spec=row.address)), row.subject, row.body)
    else:
        url, secret = webhook_config()
        post_webhook(url, secret, row.body)


def _claim(db: Session, now: datetime, channels: list[str], limit: int) -> list[Delivery]:
    """Lease up to ``limit`` due rows of these channels to this sender (a row leased elsewhere is skipped)."""
    ids = list(db.exec(select(Delivery.id).where(Delivery.status.in_(["queued", "sending"]),
                                                 Delivery.next_at <= now, Delivery.channel.in_(channels))
                       .order_by(Delivery.next_at, Delivery.id).limit(limit)))
    got = []
    for ident in ids:
        res = db.exec(update(Delivery).where(Delivery.id == ident, Delivery.status.in_(["queued", "sending"]),
                                             Delivery.next_at <= now)
                      .values(status="sending", next_at=now + LEASE))
        if res.rowcount == 1:
            got.append(ident)
    db.commit()
    return list(db.exec(select(Delivery).where(Delivery.id.in_(got or [0])).order_by(Delivery.id)))


def _mark_unconfigured(db: Session, channel: str) -> None:
    db.exec(update(Delivery).where(Delivery.channel == channel, Delivery.status == "queued",
                                   Delivery.last_error != NOT_CONFIGURED[channel])
            .values(last_error=NOT_CONFIGURED[channel]))


def send_pending(now: datetime | None = None, limit: int = BATCH, url: str | None = None) -> dict[str, int]:
    """Send what is due (after commit, outside any action's transaction); returns counts by outcome."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0, "unconfigured": 0}
    with session_scope(url, write=True) as db:
        channels = []
        for channel in ("email", "chat"):
            if configured(channel):
                channels.append(channel)
            else:
                _mark_unconfigured(db, channel)
                counts["unconfigured"] += db.exec(select(func.count()).select_from(Delivery).where(
                    Delivery.channel == channel, Delivery.status == "queued")).one()
        db.commit()
        rows = _claim(db, now, channels, limit) if channels else []
    for row in rows:
        error = ""
        try:
            _deliver(row)
        except Exception as exc:  # noqa: BLE001  any failure of a channel is recorded and retried, never raised
            error = f"{type(exc).__name__}: {exc}"[:300] or "发送失败"
        with session_scope(url, write=True) as db:
            fresh = db.get(Delivery, row.id)
            fresh.attempts += 1
            if not error:
                fresh.status, fresh.sent_at, fresh.last_error = "sent", utcnow(), ""
                counts["sent"] += 1
            elif fresh.attempts >= MAX_ATTEMPTS:
                fresh.status, fresh.last_error = "failed", error
                counts["failed"] += 1
            else:
                fresh.status, fresh.last_error = "queued", error
                fresh.next_at = now + BACKOFF * 2 ** (fresh.attempts - 1)
                counts["retry"] += 1
            db.commit()
    return counts


def prune_deliveries(db: Session, now: datetime | None = None) -> dict[str, int]:
    """Keep the outbox short: a row still unsent ``GIVE_UP_AFTER`` after it was written (its channel never
    configured, or down for days) is given up — marked failed, as an answer days late would mislead —, sent rows
    are forgotten after ``KEEP_SENT`` and failed ones after ``KEEP_FAILED``. Run hourly by the app and by
    ``gongwucang notify``; the caller commits."""
    now = now or utcnow()
    unsent = or_(Delivery.status == "queued", and_(Delivery.status == "sending", Delivery.next_at < now))
    gave_up = db.exec(update(Delivery).where(unsent, Delivery.created_at < now - GIVE_UP_AFTER)  # (a lapsed lease:
                      .values(status="failed", last_error=GAVE_UP)).rowcount  # its sender died mid-send)
    sent = db.exec(delete(Delivery).where(Delivery.status == "sent", Delivery.sent_at < now - KEEP_SENT)).rowcount
    failed = db.exec(delete(Delivery).where(Delivery.status == "failed",
                                            Delivery.created_at < now - KEEP_FAILED)).rowcount
    return {"gave_up": gave_up or 0, "sent": sent or 0, "failed": failed or 0}


def delivery_summary(db: Session) -> dict[str, dict[str, int]]:
    """Channel → status → rows, for the command line and the administration page."""
    out: dict[str, dict[str, int]] = {}
    for channel, status, n in db.exec(select(Delivery.channel, Delivery.status, func.count())
                                      .group_by(Delivery.channel, Delivery.status)).all():
        out.setdefault(channel, {})[status] = n
    return out
