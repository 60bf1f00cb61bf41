"""Notices out of the app: e-mail through a real SMTP server, the signed work-chat webhook through a real HTTP
receiver; a failing channel never blocks the action, is retried with back-off, and its failure is kept."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import csrf, login
from notify_servers import Robot, SmtpServer, body_of
from sqlmodel import select

from market import accounts, channels
from market.errors import InvalidInput
from market.models import Delivery, Notice, Request, User, utcnow
from market.requests import LineInput, submit_request


def _request(db, world, title: str = "会议") -> Request:
    return submit_request(db, world.user("staff_edu"), title, [LineInput(world.chair.id, 5, date(2027, 1, 5),
                                                                         date(2027, 1, 6))])


def _with_email(db, world, key: str, email: str, chat: bool = False) -> User:
    accounts.set_notice_channels(db, world.user(key), email, True, chat)
    return db.get(User, world.user(key).id)


@pytest.fixture()
def no_channels(monkeypatch):
    for name in ("GONGWUCANG_SMTP_URL", "GONGWUCANG_SMTP_HOST", "GONGWUCANG_WEBHOOK_URL", "GONGWUCANG_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)


def test_an_email_reaches_the_approver_through_a_real_smtp_server(db, world, monkeypatch, no_channels):
    _with_email(db, world, "admin", "cangguan@example.gov.cn")
    with SmtpServer() as smtp:
        for k, v in smtp.env().items():
            monkeypatch.setenv(k, v)
        req = _request(db, world)
        queued = db.exec(select(Delivery)).all()
        assert [(d.channel, d.address, d.status) for d in queued] == [("email", "cangguan@example.gov.cn", "queued")]
        assert channels.send_pending() == {"sent": 1, "retry": 0, "failed": 0, "unconfigured": 0}
        [msg] = smtp.mailbox.to("cangguan@example.gov.cn")
        assert msg["Subject"] == "【公物仓】申请待审批"  # RFC 2047 UTF-8 on the wire, read back as Chinese
        assert "=?utf-8?" in msg.as_string(policy=msg.policy.clone(utf8=False)).split("Subject:")[1][:20].lower()
        assert str(msg["From"]) == "公物仓 <noreply@gwc.example.gov.cn>"
        body = body_of(msg)
        assert f"市教育局的申请 {req.number}“会议”（共 5 件，参考价值 1750.00 元）待您审批。" in body
        assert f"/requests/{req.id}" in body
        assert channels.send_pending() == {"sent": 0, "retry": 0, "failed": 0, "unconfigured": 0}  # sent once
    db.rollback()  # a fresh read of what the sender wrote
    db.expire_all()
    assert db.exec(select(Delivery.status, Delivery.attempts)).all() == [("sent", 1)]


def test_only_those_who_chose_email_get_one(db, world, monkeypatch, no_channels):
    _with_email(db, world, "staff_edu", "zhangsan@example.gov.cn")
    accounts.set_notice_channels(db, world.user("mgr_edu"), "lisi@example.gov.cn", False, False)
    req = _request(db, world)
    from market.requests import approve_request

    approve_request(db, world.user("admin"), req.id)
    assert len(db.exec(select(Notice).where(Notice.kind == "request_approved")).all()) == 2  # both, in the app
    assert db.exec(select(Delivery.address)).all() == ["zhangsan@example.gov.cn"]  # only she wanted e-mail


def test_a_signed_webhook_reaches_a_real_receiver(db, world, monkeypatch, no_channels):
    accounts.set_notice_channels(db, world.user("admin"), None, False, True)
    with Robot("SEC0123456789abcdef") as robot:
        monkeypatch.setenv("GONGWUCANG_WEBHOOK_URL", robot.url)
        monkeypatch.setenv("GONGWUCANG_WEBHOOK_SECRET", robot.secret)
        req = _request(db, world)
        got = channels.send_pending()
        assert got["sent"] == 1 and robot.bad_signatures == 0
        [message] = robot.received
        assert message["msgtype"] == "text"
        assert message["text"]["content"].startswith(f"【公物仓】申请待审批：市教育局的申请 {req.number}")
        # a wrong secret is refused by the robot: recorded and retried, not taken as sent
        monkeypatch.setenv("GONGWUCANG_WEBHOOK_SECRET", "wrong")
        _request(db, world, "第二次")
        assert channels.send_pending()["retry"] == 1 and robot.bad_signatures == 1
    row = db.exec(select(Delivery).where(Delivery.status == "queued")).one()
    assert "310000" in row.last_error


def test_a_failing_channel_never_blocks_the_action_and_is_retried_with_backoff(db, world, monkeypatch, no_channels):
    _with_email(db, world, "admin", "cangguan@example.gov.cn")
    with SmtpServer() as smtp:
        for k, v in smtp.env().items():
            monkeypatch.setenv(k, v)
        smtp.mailbox.refuse = True
        req = _request(db, world)  # the action commits whatever the mail server does
        assert db.get(Request, req.id).status == "submitted"
        t0 = utcnow()
        assert channels.send_pending(now=t0)["retry"] == 1
        db.rollback()  # a fresh read of what the sender wrote
        db.expire_all()
        row = db.exec(select(Delivery)).one()
        assert (row.status, row.attempts) == ("queued", 1) and "451" in row.last_error
        assert row.next_at >= t0 + channels.BACKOFF
        assert channels.send_pending(now=t0 + timedelta(seconds=30))["retry"] == 0  # not due yet: left alone
        smtp.mailbox.refuse = False  # the server is back
        assert channels.send_pending(now=t0 + channels.BACKOFF)["sent"] == 1
        assert len(smtp.mailbox.to("cangguan@example.gov.cn")) == 1
    db.rollback()  # a fresh read of what the sender wrote
    db.expire_all()
    assert db.exec(select(Delivery.status, Delivery.attempts)).one() == ("sent", 2)


def test_a_server_that_is_down_is_given_up_after_max_attempts(db, world, monkeypatch, no_channels):
    from notify_servers import free_port

    _with_email(db, world, "admin", "cangguan@example.gov.cn")
    monkeypatch.setenv("GONGWUCANG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GONGWUCANG_SMTP_PORT", str(free_port()))  # nothing listens there
    _request(db, world)
    at = utcnow()
    for attempt in range(1, channels.MAX_ATTEMPTS + 1):
        got = channels.send_pending(now=at)
        assert got == ({"sent": 0, "retry": 0, "failed": 1, "unconfigured": 0} if attempt == channels.MAX_ATTEMPTS
                       else {"sent": 0, "retry": 1, "failed": 0, "unconfigured": 0})
        at += channels.BACKOFF * 2 ** (attempt - 1)
    db.rollback()  # a fresh read of what the sender wrote
    db.expire_all()
    row = db.exec(select(Delivery)).one()
    assert (row.status, row.attempts) == ("failed", channels.MAX_ATTEMPTS) and "ConnectionRefused" in row.last_error
    assert channels.send_pending(now=at + timedelta(days=1))["failed"] == 0  # given up: not tried again


def test_without_a_mail_server_emails_wait_marked_unconfigured(db, world, no_channels):
    _with_email(db, world, "admin", "cangguan@example.gov.cn")
    _request(db, world)
    assert channels.send_pending() == {"sent": 0, "retry": 0, "failed": 0, "unconfigured": 1}
    db.rollback()  # a fresh read of what the sender wrote
    db.expire_all()
    row = db.exec(select(Delivery)).one()
    assert (row.status, row.attempts, row.last_error) == ("queued", 0, "未配置邮件服务")
    from market.lists import ListQuery, read_list
    from market.notices import NOTICE_LIST

    page = read_list(db, world.user("admin"), NOTICE_LIST, ListQuery())  # what the admin's message list says
    assert [page.cell(n, "channels") for n in page.rows] == ["邮件待发送（未配置邮件服务）"]


def test_smtp_url_configuration(monkeypatch, no_channels):
    monkeypatch.setenv("GONGWUCANG_SMTP_URL", "smtp://gwc%40mail.gov.cn:p%40ss@mail.example.gov.cn:587?starttls=1")
    cfg = channels.smtp_config()
    assert (cfg.host, cfg.port, cfg.user, cfg.password, cfg.sender, cfg.starttls, cfg.ssl) == (
        "mail.example.gov.cn", 587, "gwc@mail.gov.cn", "p@ss", "gwc@mail.gov.cn", True, False)
    monkeypatch.setenv("GONGWUCANG_SMTP_URL", "smtps://mail.example.gov.cn?from=noreply@example.gov.cn")
    cfg = channels.smtp_config()
    assert (cfg.port, cfg.ssl, cfg.sender) == (465, True, "noreply@example.gov.cn")


@pytest.mark.parametrize("bad", ["zhangsan", "a@b", "张三@example.gov.cn", "a b@example.gov.cn", "x@-bad.cn"])
def test_a_malformed_email_is_refused(db, world, bad):
    with pytest.raises(InvalidInput, match="电子邮箱格式不正确"):
        accounts.set_notice_channels(db, world.user("staff_edu"), bad, True, False)


def test_email_channel_needs_an_address(db, world):
    with pytest.raises(InvalidInput, match="须填写电子邮箱"):
        accounts.set_notice_channels(db, world.user("staff_edu"), "", True, False)


def test_my_settings_page_and_the_admin_form_keep_the_email(http, db, world):
    login(http, "staff_edu")
    page = http.get("/settings/notify")
    assert page.status_code == 200 and "通知方式" in page.text and "未配置邮件服务" in page.text
    bad = http.post("/settings/notify", data={"csrf_token": csrf(page.text), "email": "不是邮箱", "by_email": "1"})
    assert bad.status_code == 422 and "电子邮箱格式不正确" in bad.text and "不是邮箱" in bad.text
    ok = http.post("/settings/notify", data={"csrf_token": csrf(page.text), "email": "zhangsan@example.gov.cn",
                                             "by_email": "1", "by_chat": "1"})
    assert ok.status_code == 303 and ok.headers["location"] == "/settings/notify?saved=1", ok.headers
    db.rollback()  # a fresh read of what the sender wrote
    db.expire_all()
    me = db.get(User, world.user("staff_edu").id)
    assert (me.email, me.notify_email, me.notify_chat) == ("zhangsan@example.gov.cn", True, True)
    http.post("/logout", data={"csrf_token": csrf(http.get("/settings/notify").text)})
    login(http, "sysadmin")
    admin = http.get("/admin/users")
    assert 'value="zhangsan@example.gov.cn"' in admin.text
    saved = http.post(f"/admin/users/{me.id}", data={"csrf_token": csrf(admin.text), "role": "unit_staff",
                                                     "unit": str(world.edu.id), "is_active": "1",
                                                     "email": "zhang.san@edu.example.gov.cn"})
    assert saved.status_code == 303
    db.rollback()  # a fresh read of what the sender wrote
    db.expire_all()
    assert db.get(User, me.id).email == "zhang.san@edu.example.gov.cn"


def test_the_served_app_sends_by_itself_after_the_action_commits(fresh_database_url, tmp_path):
    """``gongwucang serve`` with its background tasks on and a mail server configured: a request submitted through
    the API reaches the approver's mailbox without anyone running the sender by hand."""
    import time

    from factories import PASSWORD, build_world
    from served import Served

    from market.infra.db import dispose_engines, session_scope, upgrade

    upgrade(fresh_database_url)
    with session_scope(fresh_database_url, write=True) as db:
        w = build_world(db)
        admin = db.get(User, w.user("admin").id)
        admin.email = "cangguan@example.gov.cn"
        db.commit()
    with SmtpServer() as smtp, Served(tmp_path / "data", fresh_database_url, GONGWUCANG_BACKGROUND="1",
                                      **smtp.env()) as server:
        token = server.token("staff_edu", PASSWORD)
        r = httpx_post(server, token, {"title": "后台发送", "lines": [
            {"category_id": w.chair.id, "quantity": 3, "start_date": "2027-02-01", "end_date": "2027-02-02"}]})
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 60
        while not smtp.mailbox.to("cangguan@example.gov.cn") and time.monotonic() < deadline:
            time.sleep(0.2)
        [msg] = smtp.mailbox.to("cangguan@example.gov.cn")
        assert msg["Subject"] == "【公物仓】申请待审批" and "“后台发送”" in body_of(msg)
    dispose_engines()


def httpx_post(server, token: str, body: dict):  # noqa: ANN001, ANN201
    with server.client(headers={"Authorization": f"Bearer {token}"}) as c:
        return c.post("/api/requests", json=body)


def test_the_notify_command_sweeps_and_sends(fresh_database_url, tmp_path, no_channels):
    from served import cli

    from market.infra.db import upgrade

    upgrade(fresh_database_url)
    done = cli(tmp_path / "data", fresh_database_url, "notify", "--sweep", "--send")
    assert done.returncode == 0, done.stderr
    assert "到期、逾期与待领取提醒：新发 0 条。" in done.stdout and "外部通知：发送成功 0 条" in done.stdout


def test_the_outbox_gives_up_stale_rows_and_forgets_old_ones(db, world, no_channels):
    _with_email(db, world, "admin", "cangguan@example.gov.cn")
    for title in ("一", "二", "三", "四", "五", "六"):
        _request(db, world, title)
    rows = db.exec(select(Delivery).order_by(Delivery.id)).all()
    assert len(rows) == 6
    now = utcnow()
    ages = [(timedelta(hours=1), "queued", None), (timedelta(days=4), "queued", None),
            (timedelta(days=31), "sent", timedelta(days=31)), (timedelta(days=91), "failed", None),
            (timedelta(days=4), "sending", None), (timedelta(days=4), "sending", None)]
    for row, (age, status, sent_ago) in zip(rows, ages, strict=True):
        row.created_at, row.status = now - age, status
        row.sent_at = now - sent_ago if sent_ago else None
        db.add(row)
    rows[4].next_at = now - timedelta(days=3)  # its sender died days ago: the lease lapsed
    rows[5].next_at = now + timedelta(minutes=3)  # being sent right now: left to its sender
    db.commit()
    assert channels.prune_deliveries(db, now) == {"gave_up": 2, "sent": 1, "failed": 1}
    db.commit()
    db.expire_all()
    left = db.exec(select(Delivery).order_by(Delivery.id)).all()
    assert [(r.id, r.status, r.last_error) for r in left] == [
        (rows[0].id, "queued", ""), (rows[1].id, "failed", channels.GAVE_UP),
        (rows[4].id, "failed", channels.GAVE_UP), (rows[5].id, "sending", "")]
    assert channels.prune_deliveries(db, now) == {"gave_up": 0, "sent": 0, "failed": 0}
