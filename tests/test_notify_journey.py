"""Done-when of issue 16: one loan and one transfer walked in a real browser, from request to return /
completion, as four people — requester (unit staff), unit manager, warehouse administrator, finance — and at
every step the person who must act (or must know) was told, in the app and by e-mail through a real SMTP
server, and the screen shows the true state. The unit's idle chairs also tell their holder (卫健委's manager)
when they must be handed over.

Approval: loans by the warehouse administrator (the default rule), idle-item transfers by finance (a rule set
before the walk), so finance is the approver of the transfer. E-mails are sent by ``channels.send_pending``
after each step — the work of the app's background sender.

Screenshots go to ``$GONGWUCANG_ARTIFACTS`` (else the test's temporary directory), ``notify-NN-*.png``.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from conftest import CHROMIUM
from factories import PASSWORD, add_assets
from notify_servers import SmtpServer, body_of
from sqlmodel import select

from market import accounts, channels
from market.approvals import set_approval_rule
from market.infra.db import session_scope
from market.models import Order
from market.notices import sweep_loans
from market.pool import listings as pool

MAIL = {"staff_edu": "zhangsan@jyj.example.gov.cn", "mgr_edu": "lisi@jyj.example.gov.cn",
        "admin": "cangguan@jgswj.example.gov.cn", "finance": "wangwu@czj.example.gov.cn",
        "mgr_health": "zhaoliu@wjw.example.gov.cn"}


class Walk:
    """The browser, the mailbox and the screenshots of one walk."""

    def __init__(self, page, smtp: SmtpServer, shots: Path) -> None:
        self.page, self.smtp, self.shots, self.n = page, smtp, shots, 0
        self.who = ""

    def login(self, username: str) -> None:
        if self.who == username:
            return
        self.page.context.clear_cookies()
        self.page.goto("/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()
        self.who = username

    def shot(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.shots / f"notify-{self.n:02d}-{name}.png"), full_page=True)

    def status(self) -> str:
        return self.page.inner_text("h1 .status")

    def told(self, username: str, subject: str, *words: str) -> None:
        """``username`` has a notice holding ``words`` in the app (their message list, in the browser) and an
        e-mail with ``subject`` holding them, delivered by the real SMTP server."""
        channels.send_pending()  # what the app's background sender does every few seconds
        mails = [m for m in self.smtp.mailbox.to(MAIL[username]) if m["Subject"] == f"【公物仓】{subject}"
                 and all(w in body_of(m) for w in words)]
        assert mails, f"no e-mail “{subject}” with {words} to {username}"
        self.login(username)
        self.page.goto("/notices")
        items = self.page.locator("ul.notices li", has_text=words[0])
        assert items.count() >= 1, f"{username} has no notice with {words[0]}"
        text = items.first.inner_text()
        assert subject in text and all(w in text for w in words), text

    def not_told(self, username: str, *words: str) -> None:
        channels.send_pending()
        assert not [m for m in self.smtp.mailbox.to(MAIL[username]) if all(w in body_of(m) for w in words)]

    def open_notice(self, username: str, words: str) -> None:
        """Act from the notice: its 查看 button leads to the thing to act on."""
        self.login(username)
        self.page.goto("/notices")
        self.page.locator("ul.notices li", has_text=words).first.locator("button:has-text('查看')").click()
        self.page.wait_for_load_state()


@pytest.fixture()
def shots(tmp_path: Path) -> Path:
    path = Path(os.environ.get("GONGWUCANG_ARTIFACTS") or tmp_path / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture()
def walk(page, world, shots, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium")
    for name in ("GONGWUCANG_SMTP_URL", "GONGWUCANG_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    with SmtpServer() as smtp:
        for k, v in smtp.env().items():
            monkeypatch.setenv(k, v)
        with session_scope(write=True) as db:
            for username, email in MAIL.items():
                accounts.set_notice_channels(db, world.user(username), email, True, False)
            chairs = add_assets(db, world.health, world.chair, 4, name="会议椅")
            db.commit()
            pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs], title="卫健委闲置会议椅")
            pool.receive_items(db, world.user("admin"), world.warehouse.id, world.laptop.id, "笔记本电脑", 2, "6000",
                               brand="联想", model="ThinkPad X1")
            set_approval_rule(db, world.user("sysadmin"), "idle_transfer", "0", "finance")
        yield Walk(page, smtp, shots)


def _order(kind: str) -> Order:
    with session_scope() as db:
        return db.exec(select(Order).where(Order.kind == kind)).one()


def _run_and_accept(w: Walk) -> None:
    w.login("admin")
    w.page.goto("/proposals")
    w.page.click("button:has-text('运行调配')")
    w.page.wait_for_url("**/proposals/*")
    w.page.click("button:has-text('采纳方案并生成单据')")
    w.page.wait_for_load_state()
    assert "已采纳" in w.page.inner_text("h1")


def test_a_loan_and_a_transfer_tell_each_person_at_every_step(walk, world):
    w, page = walk, walk.page

    # --- the loan ------------------------------------------------------------------------------------------
    w.login("staff_edu")  # 1. the requester asks for 4 of the idle chairs
    page.goto("/")
    page.click("text=卫健委闲置会议椅")
    page.click("text=申请使用")
    page.fill("input[name=title]", "全市教育工作会议")
    page.fill("input[name=quantity_0]", "4")
    page.fill("input[name=start_0]", "2027-01-10")
    page.fill("input[name=end_0]", "2027-01-11")
    page.click("button:has-text('提交申请')")
    page.wait_for_url("**/requests/*")
    assert w.status() == "待审批"
    number = page.inner_text("h1").split()[1]
    w.shot("loan-submitted")
    w.told("admin", "申请待审批", f"申请 {number}“全市教育工作会议”", "待您审批")  # the approver must act
    w.not_told("finance", number)

    w.open_notice("admin", number)  # 2. the warehouse administrator approves, from the notice
    page.click("button:has-text('批准')")
    page.wait_for_load_state()
    assert w.status() == "已批准"
    w.shot("loan-approved")
    for who in ("staff_edu", "mgr_edu"):
        w.told(who, "申请已批准", f"申请 {number}“全市教育工作会议”已批准")

    _run_and_accept(w)  # 3. the matcher's proposal accepted: allocated, with where and when to collect
    w.shot("loan-allocated")
    loan = _order("loan")
    for who in ("staff_edu", "mgr_edu"):
        w.told(who, "已调配", f"申请 {number} 的会议椅已调配 4 件（共需 4 件）", "来自市卫生健康委员会",
               f"出借单 {loan.number}", "请于 2027-01-10 到市卫生健康委员会（游仙区东津路9号）领取")
    w.told("mgr_health", "闲置资产待交接", "贵单位挂牌的会议椅 4 件已调配给市教育局", "请于 2027-01-10 前备好并交接")
    w.login("staff_edu")
    page.goto(f"/requests/{_request_id(number)}")
    assert w.status() == "已调配"
    w.shot("loan-request-allocated")

    w.login("admin")  # 4. handed out: the pick list ticked
    page.goto(f"/orders/{loan.id}")
    picks = page.locator("main input[name=tag]")
    for i in range(picks.count()):
        picks.nth(i).check()
    page.click("button:has-text('确认出库')")
    page.wait_for_load_state()
    assert w.status() == "出借中"
    w.shot("loan-handed-out")
    for who in ("staff_edu", "mgr_edu"):
        w.told(who, "已出库", f"出借单 {loan.number}：会议椅 4 件已交付市教育局，请于 2027-01-11 归还")

    with session_scope(write=True) as db:  # 5. the hourly reminder, two days before the end
        sweep_loans(db, date(2027, 1, 9))
    for who in ("staff_edu", "mgr_edu"):
        w.told(who, "出借即将到期", f"出借单 {loan.number}（4 件）将于 2027-01-11 到期")

    w.login("admin")  # 6. taken back and inspected: one chair broken by the borrower
    page.goto(f"/orders/{loan.id}")
    first = page.locator("select[name^=condition_]").first
    asset_id = first.get_attribute("name").split("_")[1]
    first.select_option("待维修")
    page.select_option(f"select[name=cause_{asset_id}]", "user")
    page.fill(f"input[name=repair_{asset_id}]", "150")
    page.fill(f"input[name=note_{asset_id}]", "椅腿断裂")
    page.click("button:has-text('确认归还')")
    page.wait_for_load_state()
    assert w.status() == "已归还" and "待赔偿" in page.inner_text("main")
    w.shot("loan-returned")
    for who in ("staff_edu", "mgr_edu"):
        w.told(who, "已归还", f"出借单 {loan.number}（市教育局，会议椅 4 件）已归还并验收")
        w.told(who, "损坏待赔偿", "椅腿断裂", "市教育局应赔偿 150.00 元")
    w.told("mgr_health", "已归还", f"出借单 {loan.number}")

    w.login("admin")  # 7. the compensation paid
    page.goto(f"/orders/{loan.id}")
    page.click("button:has-text('登记赔偿到账')")
    page.wait_for_load_state()
    assert "已赔偿" in page.inner_text("main")
    w.shot("loan-compensated")
    w.told("mgr_edu", "赔偿已到账", "损坏赔偿 150.00 元已收讫")
    w.told("staff_edu", "申请已完成", f"申请 {number}“全市教育工作会议”的单据已全部办结（已完成）")
    page.goto(f"/requests/{_request_id(number)}")
    assert w.status() == "已完成"
    w.shot("loan-done")

    # --- the transfer (调剂): a laptop for good, approved by finance ----------------------------------------
    w.login("staff_edu")  # 8. the requester asks for a laptop to keep
    page.goto("/requests/new")
    page.fill("input[name=title]", "新设科室办公配置")
    page.select_option("select[name=category_0]", label="笔记本电脑")
    page.fill("input[name=quantity_0]", "1")
    page.fill("input[name=start_0]", "2027-01-12")
    page.check("input[name=permanent_0]")
    page.click("button:has-text('提交申请')")
    page.wait_for_url("**/requests/*")
    assert w.status() == "待审批"
    number2 = page.inner_text("h1").split()[1]
    w.shot("transfer-submitted")
    w.told("finance", "申请待审批", f"申请 {number2}“新设科室办公配置”", "待您审批")
    w.not_told("admin", number2, "待您审批")  # the rule makes finance the approver, not the warehouse

    w.open_notice("finance", number2)  # 9. finance approves, from the notice
    page.click("button:has-text('批准')")
    page.wait_for_load_state()
    assert w.status() == "已批准"
    w.shot("transfer-approved")
    for who in ("staff_edu", "mgr_edu"):
        w.told(who, "申请已批准", f"申请 {number2}“新设科室办公配置”已批准")

    _run_and_accept(w)  # 10. allocated from the warehouse's stock
    transfer = _order("transfer")
    for who in ("staff_edu", "mgr_edu"):
        w.told(who, "已调配", f"申请 {number2} 的笔记本电脑已调配 1 件（共需 1 件）", "来自公物仓一号库",
               f"调剂单 {transfer.number}", "请于 2027-01-12 到公物仓一号库（涪城区塘汛镇仓储路8号）领取")
    w.shot("transfer-allocated")

    w.login("admin")  # 11. handed over: ownership passes, the request is done
    page.goto(f"/orders/{transfer.id}")
    page.locator("main input[name=tag]").first.check()
    page.click("button:has-text('确认出库')")
    page.wait_for_load_state()
    assert w.status() == "已完成"
    w.shot("transfer-handed-over")
    for who in ("staff_edu", "mgr_edu"):
        w.told(who, "已出库", f"调剂单 {transfer.number}：笔记本电脑 1 件已交付市教育局，产权已转入贵单位")
        w.told(who, "申请已完成", f"申请 {number2}“新设科室办公配置”的单据已全部办结（已完成）")
    w.login("mgr_edu")
    page.goto(f"/requests/{_request_id(number2)}")
    assert w.status() == "已完成"
    w.shot("transfer-done")
    # every e-mail went out; none waits or failed
    with session_scope() as db:
        assert channels.delivery_summary(db) == {"email": {"sent": len(w.smtp.mailbox.messages)}}


def _request_id(number: str) -> int:
    from market.models import Request

    with session_scope() as db:
        return next(r.id for r in db.exec(select(Request)) if r.number == number)
