"""Import of a unit's asset ledger from .xlsx and .csv (market.imports)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from factories import add_assets
from sqlmodel import func, select

from market.errors import InvalidInput, PermissionDenied
from market.imports import ImportRejected, import_assets, parse_rows
from market.models import Asset, Event

HEADER = ["资产编号", "资产名称", "资产分类代码", "规格型号", "品牌", "数量", "原值", "取得日期", "使用状况",
          "存放地点", "使用人/保管人", "责任人", "是否涉密", "资产状态"]


def good_row(i: int, code: str = "A05010201", tag: str | None = None) -> list:
    return [tag if tag is not None else f"JYJ-X{i:05d}", f"会议椅{i}", code, "AD-01", "震旦", 1, "300.00",
            "2023-05-01", "良好", "三楼会议室", "张三", "李四", "否", "在用"]


def xlsx_bytes(rows: list[list], header: list = HEADER) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig", header: list = HEADER) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def counts(db) -> tuple[int, int]:
    return db.exec(select(func.count()).select_from(Asset)).one(), db.exec(select(func.count()).select_from(Event)).one()


def test_good_xlsx_imports_every_field(db, world, tmp_path):
    rows = [
        ["T-001", "笔记本电脑", "A02010105", "X1 Carbon", "联想", 1, "¥6,000.50", date(2023, 5, 1), "全新", "301室",
         "王芳", "刘洋", "是", "闲置"],
        ["", "会议椅", "A05010201", "AD-01", "震旦", 3, "1,000", "2023年5月1日", "一般", "仓库", "", "", "否", ""],
        ["T-002", "投影仪", "A02020100", "", "", "", "", "2022/12/3", "", "", "", "", "", "在用"],
    ]
    path = tmp_path / "台账.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    calls = []
    result = import_assets(db, world.user("mgr_edu"), world.edu.id, path, progress=lambda d, t: calls.append((d, t)))
    assert result.created == 5 and result.rows == 3
    assert calls[-1][0] == calls[-1][1]
    by_tag = {a.tag: a for a in db.exec(select(Asset))}
    laptop = by_tag["T-001"]
    assert (laptop.name, laptop.category_id, laptop.model, laptop.brand) == ("笔记本电脑", world.laptop.id, "X1 Carbon", "联想")
    assert laptop.original_value == Decimal("6000.50") and laptop.purchase_date == date(2023, 5, 1)
    assert (laptop.condition, laptop.status, laptop.confidential) == ("全新", "idle", True)
    assert (laptop.location, laptop.custodian, laptop.responsible_person) == ("301室", "王芳", "刘洋")
    assert laptop.owner_unit_id == world.edu.id
    chairs = sorted((a for a in by_tag.values() if a.name == "会议椅"), key=lambda a: a.tag)
    assert [a.tag.rsplit("-", 1)[1] for a in chairs] == ["000001", "000002", "000003"]
    assert sum(a.original_value for a in chairs) == Decimal("1000.00")
    assert chairs[0].condition == "一般" and chairs[0].status == "in_use"
    assert by_tag["T-002"].purchase_date == date(2022, 12, 3) and by_tag["T-002"].original_value == 0
    ev = db.exec(select(Event).where(Event.entity == "asset", Event.entity_id == laptop.id)).one()
    assert ev.action == "import" and ev.summary == "从台账导入（文件 台账.xlsx 第 2 行）"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_good_csv_imports_in_each_encoding(db, world, encoding):
    header = ["资产编号", "资产名称", "资产分类编码", "规格", "型号", "数量", "价值（元）", "购置日期", "存放位置", "是否涉密", "备注"]
    rows = [["C-1", "会议椅", "A05010201", "大号", "AD-01", "2", "￥1234.5", "2023/5/1", "三楼", "是", "随便"]]
    result = import_assets(db, world.user("admin"), world.edu.id, csv_bytes(rows, encoding, header), "a.csv")
    assert result.created == 2 and result.ignored_columns == ["备注"]
    a = db.exec(select(Asset).where(Asset.tag == "C-1-001")).one()
    assert (a.name, a.model, a.location, a.confidential) == ("会议椅", "大号 AD-01", "三楼", True)
    assert a.original_value == Decimal("617.25") and a.purchase_date == date(2023, 5, 1)


def test_twenty_bad_rows_are_all_reported_and_nothing_written(db, world):
    add_assets(db, world.edu, world.chair, 1, prefix="OLD")
    db.commit()
    before = counts(db)
    bad = {
        3: (2, "X9999", "资产分类代码 X9999 不存在（可用的代码见导入模板的“分类代码”表）"), 5: (6, "abc", "原值不是数字"), 7: (6, "-5", "原值不能为负数"),
        9: (7, "2023-02-30", "取得日期不是有效日期"), 11: (5, "0", "数量须为不小于 1 的整数"),
        13: (5, "1.5", "数量须为整数"), 15: (1, "", "资产名称不能为空"), 17: (2, "", "资产分类代码不能为空"),
        19: (8, "很好", None), 21: (12, "也许", None), 23: (13, "出借中", None), 25: (8, "出借", None),
        27: (7, "明天", None), 29: (7, "2999-01-01", "取得日期晚于今天"), 31: (0, "OLD-T000001", "资产编号已在系统中"),
        33: (0, "JYJ-X00002", "资产编号重复（与第 2 行）"), 35: (1, "名" * 121, "资产名称超过 120 个字"),
        37: (6, "1e999", None), 39: (5, "99999", "数量不能超过 10000"), 41: (0, "9.1E+11", None),
    }
    rows = []
    for i in range(2, 50):  # Excel rows 2…49
        r = good_row(i)
        if i in bad:
            col, value, _ = bad[i]
            r[col] = value
        rows.append(r)
    with pytest.raises(ImportRejected) as info:
        import_assets(db, world.user("mgr_edu"), world.edu.id, xlsx_bytes(rows), "bad.xlsx")
    err = info.value
    assert [e.row for e in err.errors] == sorted(bad)
    for e in err.errors:
        col, _, reason = bad[e.row]
        assert e.column == HEADER[col]
        if reason:
            assert e.reason == reason
    assert err.message == "共 20 行有误，未导入任何数据。"
    assert isinstance(err, InvalidInput) and err.as_dict()["error"]["rows"][0]["row"] == 3
    db.rollback()
    assert counts(db) == before


def test_duplicate_tags_in_file_and_against_database(db, world):
    add_assets(db, world.health, world.chair, 1, prefix="DUP")
    db.commit()
    rows = [good_row(1, tag="A"), good_row(2, tag="A"), good_row(3, tag="DUP-T000001"), good_row(4, tag="B")]
    rows[3][5] = 2  # B-001, B-002
    rows.append(good_row(5, tag="B-002"))
    with pytest.raises(ImportRejected) as info:
        import_assets(db, world.user("mgr_edu"), world.edu.id, csv_bytes(rows), "dup.csv")
    assert [(e.row, e.reason) for e in info.value.errors] == [
        (3, "资产编号重复（与第 2 行）"), (4, "资产编号已在系统中"), (6, "资产编号重复（与第 5 行）")]


@pytest.mark.parametrize("name, data, words", [
    ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
    ("a.txt", b"x", "只能导入"),
    ("a.xlsx", "资产名称,资产分类代码\n".encode(), "不是 Excel"),
    ("a.csv", xlsx_bytes([good_row(1)]), "Excel 工作簿"),
    ("a.xlsx", b"PK\x03\x04garbage", "无法读取"),
    ("a.csv", b"", "空"),
])
def test_wrong_file_type_is_refused(db, world, name, data, words):
    with pytest.raises(InvalidInput) as info:
        import_assets(db, world.user("mgr_edu"), world.edu.id, data, name)
    assert words in info.value.message and not isinstance(info.value, ImportRejected)


def test_oversize_file_is_refused(db, world):
    with pytest.raises(InvalidInput, match="不能超过 20 MB"):
        import_assets(db, world.user("mgr_edu"), world.edu.id, b"a" * (20 * 1024 * 1024 + 1), "big.csv")


def test_header_only_empty_and_missing_columns(db, world):
    with pytest.raises(InvalidInput, match="只有表头"):
        import_assets(db, world.user("mgr_edu"), world.edu.id, xlsx_bytes([]), "h.xlsx")
    with pytest.raises(InvalidInput, match="只有表头"):
        import_assets(db, world.user("mgr_edu"), world.edu.id, csv_bytes([]), "h.csv")
    wb = openpyxl.Workbook()
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(InvalidInput, match="文件是空的"):
        import_assets(db, world.user("mgr_edu"), world.edu.id, buf.getvalue(), "e.xlsx")
    with pytest.raises(ImportRejected) as info:
        import_assets(db, world.user("mgr_edu"), world.edu.id, csv_bytes([["x", "椅子"]], header=["资产编号", "资产名称"]),
                      "m.csv")
    assert [(e.row, e.column) for e in info.value.errors] == [(1, "资产分类代码")]
    assert "缺少必填列" in info.value.message


@pytest.mark.parametrize("user", ["mgr_health", "staff_edu", "finance"])
def test_permission_refused(db, world, user):
    with pytest.raises(PermissionDenied):
        import_assets(db, world.user(user), world.edu.id, csv_bytes([good_row(1)]), "a.csv")
    assert counts(db)[0] == 0


def test_title_rows_above_header_keep_excel_row_numbers(world):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["市教育局资产台账"])
    ws.append([])
    ws.append(HEADER)
    ws.append(good_row(1))
    buf = io.BytesIO()
    wb.save(buf)
    parsed = parse_rows(buf.getvalue(), "t.xlsx")
    assert parsed.header_row == 3 and [r.row for r in parsed.rows] == [4]


def test_thousand_rows_import(db, world):
    rows = [good_row(i, tag="" if i % 2 else None) for i in range(1000)]
    assets, events = counts(db)  # the world's own (loading the standards is an event)
    result = import_assets(db, world.user("mgr_edu"), world.edu.id, csv_bytes(rows, "gbk"), "big.csv")
    assert result.created == 1000
    assert counts(db) == (assets + 1000, events + 1001)  # an event per asset and one for the unit
