"""Printable documents (issue 17.1): each form printed to PDF by Chromium, read back: its text and page count."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date

import pytest
from conftest import ARTIFACTS, login
from factories import PASSWORD, add_assets
from sqlmodel import select

from market import counts
from market import disposal as dsp
from market.infra.db import session_scope
from market.models import Asset, Order, User
from market.orders import Inspection, hand_out, return_loan
from market.pool import listings as pool
from market.proposals import accept_proposal, run_matcher
from market.requests import LineInput, approve_request, submit_request

pypdf = pytest.importorskip("pypdf")
TODAY = date(2026, 11, 23)


def _world_with_paper(world) -> dict[str, int]:
    """A loan handed out and returned with one chair damaged, a proposal, a count with differences, a disposal."""
    with session_scope(write=True) as db:
        admin = db.get(User, world.user("admin").id)
        listing = pool.receive_items(db, admin, world.warehouse.id, world.chair.id, "会议椅", 6, "300", brand="震旦",
                                     model="AD-01")
        req = submit_request(db, db.get(User, world.user("staff_edu").id), "全市教育工作会议",
                             [LineInput(world.chair.id, 4, date(2026, 12, 3), date(2026, 12, 5))])
        approve_request(db, admin, req.id)
        prop = run_matcher(db, admin, today=TODAY)
        accept_proposal(db, admin, prop.id)
        order = db.exec(select(Order).where(Order.proposal_id == prop.id)).one()
        hand_out(db, admin, order.id)
        items = db.exec(select(Asset).where(Asset.listing_id == listing.id).order_by(Asset.id)).all()
        out = [a for a in items if a.status == "on_loan"]
        ins = {a.id: Inspection(a.condition) for a in out}
        ins[out[0].id] = Inspection("待维修", "user", "椅腿断裂")
        return_loan(db, admin, order.id, ins)
        count = counts.start_count(db, admin, warehouse_id=world.warehouse.id)
        counts.record_reads(db, admin, count.id, [a.tag for a in items[1:4]] + ["NO-SUCH-TAG"], location="A区")
        laptops = add_assets(db, world.edu, world.laptop, 2, name="笔记本电脑", value="5000", status="idle")
        db.commit()
        case = dsp.apply_disposal(db, db.get(User, world.user("mgr_edu").id), [a.id for a in laptops], "sale",
                                  "超过最低使用年限且无法修复")
        return {"order": order.id, "proposal": prop.id, "count": count.id, "disposal": case.id,
                "tag": out[0].tag, "number": order.number, "case": case.number, "laptop": laptops[0].tag}


def _pdf(page, path: str, name: str) -> tuple[int, str]:
    page.goto(path)
    data = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / f"print-{name}.pdf").write_bytes(data)
    reader = pypdf.PdfReader(io.BytesIO(data))
    # PDF text comes back with CJK radicals for some characters (⽇ for 日): NFKC folds them; spacing dropped
    return len(reader.pages), _norm("".join(p.extract_text() for p in reader.pages))


# The CJK font maps some glyphs back to radicals: Kangxi radicals (⽇ for 日) fold under NFKC, the supplement's
# simplified forms (⻅ for 见) have no decomposition and are folded here.
RADICALS = str.maketrans("⻅⻔⻓⻋⻛⻜⻢⻚⻝⻉⻥⻦⻬⻮⻰", "见门长车风飞马页食贝鱼鸟齐齿龟")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(RADICALS))


def test_every_document_prints_on_a4_with_its_text(page, world):
    ids = _world_with_paper(world)
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    expected = {
        "order": (f"/orders/{ids['order']}/print", ["归还验收单", ids["number"], ids["tag"], "椅腿断裂", "待维修",
                                                   "震旦AD-01", "归还单位经办人（签字）", "验收人（签字）"]),
        "proposal": (f"/proposals/{ids['proposal']}/print", ["资产调配方案汇总表", "市教育局", "公物仓库存",
                                                            "节约资金", "编制人（签字）"]),
        "count": (f"/counts/{ids['count']}/print", ["资产盘点报告", "差异及处理", "NO-SUCH-TAG", "未处理",
                                                   "盘点人（签字）", "监盘人（签字）"]),
        "disposal": (f"/disposals/{ids['disposal']}/print", ["国有资产处置审批表", ids["case"], ids["laptop"],
                                                            "超过最低使用年限且无法修复", "财政部门审批意见（签字）"]),
    }
    for name, (path, texts) in expected.items():
        pages, text = _pdf(page, path, name)
        assert 1 <= pages <= 2, (name, pages)
        for t in ["市机关事务管理局", "打印时间", "年月日", *texts]:
            assert _norm(t) in text, (name, t)
        print(f"{name}: {pages} page(s) A4, {len(text)} characters")


def test_printing_follows_who_may_read(http, live_server, world):
    import httpx

    ids = _world_with_paper(world)
    login(http, "staff_health")  # another unit: not its order, count or disposal; proposals are the ledger's
    for path in (f"/orders/{ids['order']}/print", f"/counts/{ids['count']}/print",
                 f"/disposals/{ids['disposal']}/print", f"/proposals/{ids['proposal']}/print"):
        r = http.get(path)
        assert r.status_code in (403, 404) and ids["number"] not in r.text, path
    with httpx.Client(base_url=live_server) as own:
        login(own, "staff_edu")
        r = own.get(f"/orders/{ids['order']}/print")
        assert r.status_code == 200 and "归还验收单" in r.text and ids["tag"] in r.text
