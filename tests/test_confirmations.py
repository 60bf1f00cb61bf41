"""Irreversible actions ask first (issue 17.6): every form that adopts, voids, writes off, rejects, cancels,
withdraws, hands over or closes carries a question, and the browser submits only when the person says yes."""

from __future__ import annotations

import re
from pathlib import Path

from factories import PASSWORD

from market import counts
from market.infra.db import session_scope
from market.models import InventoryCount, User

TEMPLATES = Path(__file__).parent.parent / "web" / "templates"
# The last segment of every POST that cannot be taken back.
IRREVERSIBLE = re.compile(r"/(accept|discard|reject|confirm_sale|reject_sale|hand_over|remit|write_off|cancel|withdraw|"
                          r"reject-transfer|approve-transfer|close|decline|delete|exception)\"|/damages/[^\"]+/settle\"")


def test_every_irreversible_form_asks_first():
    found = 0
    for path in sorted(TEMPLATES.rglob("*.html")):
        for form in re.findall(r"<form\b[^>]*>", path.read_text(encoding="utf-8")):
            if 'method="post"' in form and IRREVERSIBLE.search(form):
                found += 1
                question = re.search(r'data-confirm="([^"]+)"', form)
                assert question and question.group(1).endswith(("？", "。")), f"{path.name}: {form}"
    assert found >= 20  # the list above matched the forms it is meant for


def test_closing_a_count_asks_and_cancel_keeps_it_open(page, world):
    with session_scope(write=True) as db:
        count = counts.start_count(db, db.get(User, world.user("mgr_edu").id), unit_id=world.edu.id)
    page.goto("/login")
    page.fill("input[name=username]", "mgr_edu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/counts/{count.id}")
    page.dialogs.accept = False
    page.click("form[action$='/close'] button")
    page.wait_for_timeout(300)
    assert page.dialogs.asked == ["结束后不能再扫描或处理差异。确定结束盘点？"]
    with session_scope() as db:
        assert db.get(InventoryCount, count.id).status == "open"
    page.dialogs.accept = True
    page.click("form[action$='/close'] button")
    page.wait_for_load_state()
    with session_scope() as db:
        assert db.get(InventoryCount, count.id).status == "closed"
