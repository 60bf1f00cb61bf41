"""The gongwucang command, run as a real process: one line and exit status 2 for a user's mistake."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlmodel import select

from market.models import Category
from market.signin import authenticate


def gwc(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "web.cli", *args], input=stdin, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)


def test_user_add_creates_an_account_that_can_sign_in(clean_db, db):
    r = gwc("user", "add", "root", "--role", "sysadmin", "--password-stdin", stdin="a-long-password\n")
    assert r.returncode == 0, r.stderr
    assert "已创建用户 root" in r.stdout
    db.expire_all()
    assert authenticate(db, "root", "a-long-password").role == "sysadmin"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["user", "add", "xx1", "--role", "king", "--password-stdin"], "a-long-password\n", "未知角色"),
        (["user", "add", "xx2", "--role", "unit_staff", "--password-stdin"], "a-long-password\n", "所属单位"),
        (["user", "add", "xx3", "--role", "sysadmin", "--password-stdin"], "short\n", "至少 10 位"),
        (["user", "add", "xx4", "--role", "sysadmin"], "", "--password-stdin"),
        (["user", "add", "xx5", "--role", "unit_staff", "--unit", "NOPE", "--password-stdin"], "a-long-password\n",
         "找不到单位"),
        (["serve", "--port", "99999"], "", "端口"),
        (["import", "/no/such/file.xlsx", "--unit", "JYJ", "--user", "admin"], "", "文件不存在"),
        (["categories", "import", "/no/such.csv"], "", "文件不存在"),
        (["frobnicate"], "", "参数错误"),
    ],
)
def test_mistakes_exit_2_with_one_line(clean_db, args, stdin, message):
    r = gwc(*args, stdin=stdin)
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_categories_import_and_export(clean_db, db, tmp_path):
    csv_file = tmp_path / "cats.csv"
    csv_file.write_text("分类代码,分类名称,上级代码,计量单位,运输费率,参考单价,典型重量\n"
                        "A05,家具用具,,件,,,\nA05010201,会议椅,A05,把,0.8,350,8\n", encoding="utf-8-sig")
    r = gwc("categories", "import", str(csv_file))
    assert r.returncode == 0 and "新增 2 个" in r.stdout, r.stderr
    # a new installation's catalogue gets the central configuration standard for the categories it has
    assert "已按中央配置标准设置 1 个分类的配置标准" in r.stdout
    csv_file.write_text("分类代码,分类名称,上级代码,计量单位,运输费率,参考单价\nA05010201,会议椅（软包）,A05,把,0.9,380\n",
                        encoding="gbk")
    r = gwc("categories", "import", str(csv_file))
    assert r.returncode == 0 and "更新 1 个" in r.stdout, r.stderr
    db.expire_all()
    chair = db.exec(select(Category).where(Category.code == "A05010201")).one()
    parent = db.exec(select(Category).where(Category.code == "A05")).one()
    assert chair.name == "会议椅（软包）" and str(chair.reference_price) == "380.00" and chair.parent_id == parent.id
    assert not parent.is_leaf
    out = gwc("categories", "export")
    assert out.returncode == 0 and "A05010201,会议椅（软包）,A05,把,0.9000,380.00" in out.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("分类代码,分类名称,上级代码,参考单价\nB1,椅子,ZZZ,100\n", encoding="utf-8")
    r = gwc("categories", "import", str(bad))
    assert r.returncode == 2 and "上级代码 ZZZ 不存在" in r.stderr
    db.expire_all()
    assert db.exec(select(Category).where(Category.code == "B1")).first() is None


def test_standards_import_export_and_defaults(clean_db, db, world, tmp_path):
    out = gwc("standards", "export")
    assert out.returncode == 0 and "A02010105,笔记本电脑,7000.00" in out.stdout
    edited = tmp_path / "std.csv"
    edited.write_text("# 本市标准\n" + out.stdout.replace("A02010105,笔记本电脑,7000.00", "A02010105,笔记本电脑,6000"),
                      encoding="utf-8")
    r = gwc("standards", "import", str(edited))
    assert r.returncode == 0 and "更新 3 个" in r.stdout, r.stderr
    assert "A02010105,笔记本电脑,6000.00" in gwc("standards", "export").stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("分类代码,最低使用年限\nA02010105,两年\n", encoding="utf-8")
    r = gwc("standards", "import", str(bad))
    assert r.returncode == 2 and "第 2 行：最低使用年限须为整数" in r.stderr
    r = gwc("standards", "defaults")
    assert r.returncode == 0 and "跳过分类目录中没有的" in r.stdout
    assert "A02010105,笔记本电脑,7000.00" in gwc("standards", "export").stdout


def test_match_prints_a_summary_and_can_accept(clean_db, db, world):
    from datetime import date

    from market.models import Proposal
    from market.pool import listings as pool
    from market.requests import LineInput, approve_request, submit_request

    pool.receive_items(db, world.user("admin"), world.warehouse.id, world.chair.id, "会议椅", 30, "300")
    req = submit_request(db, world.user("staff_edu"), "会议", [LineInput(world.chair.id, 40, date(2027, 1, 5),
                                                                         date(2027, 1, 6))])
    approve_request(db, world.user("admin"), req.id)
    db.commit()
    r = gwc("match", "--user", "admin", "--accept", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "公物仓库存 30 件" in r.stdout and "市场租赁 10 件" in r.stdout and "已采纳" in r.stdout
    assert "若全部新购 ¥14,000.00" in r.stdout
    db.expire_all()
    assert db.exec(select(Proposal)).one().status == "accepted"
    r = gwc("match", "--user", "admin", "--quiet")
    assert r.returncode == 2 and "没有待调配的已批准申请" in r.stderr
    r = gwc("match", "--user", "staff_edu", "--quiet")
    assert r.returncode == 2 and "无权" in r.stderr


def test_import_command(clean_db, db, world, tmp_path):
    good = tmp_path / "ledger.csv"
    good.write_text("资产编号,资产名称,资产分类代码,原值,取得日期\n" + "".join(
        f"JYJ-X-{i:04d},会议椅,A05010201,300,2022-01-0{1 + i % 9}\n" for i in range(30)), encoding="utf-8")
    r = gwc("import", str(good), "--unit", "JYJ", "--user", "mgr_edu", "--quiet")
    assert r.returncode == 0 and "已导入 30 件资产到市教育局" in r.stdout, r.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("资产名称,资产分类代码,原值\n会议椅,NOPE,300\n桌子,A05010201,-5\n", encoding="utf-8")
    r = gwc("import", str(bad), "--unit", "JYJ", "--user", "mgr_edu", "--quiet")
    assert r.returncode == 2 and "第 2 行" in r.stderr and "第 3 行" in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("gongwucang: ")
    r = gwc("import", str(good), "--unit", "WJW", "--user", "mgr_edu", "--quiet")
    assert r.returncode == 2 and "本单位" in r.stderr
