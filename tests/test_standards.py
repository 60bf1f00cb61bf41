"""Configuration standards (配置标准): price caps by rank, quantity caps as a share of staff (with the
confidential-network share and group caps), lives inherited up the tree, CSV round trip, edits refused whole."""

from __future__ import annotations

from decimal import Decimal

import pytest
from factories import add_assets
from sqlmodel import select

from market import standards
from market.catalogue import read_csv
from market.errors import InvalidInput, PermissionDenied
from market.models import Category, ConfigStandard, Event


def _cat(db, code: str, name: str, parent: Category | None = None) -> Category:
    c = Category(code=code, name=name, parent_id=parent.id if parent else None, is_leaf=parent is None)
    db.add(c)
    db.flush()
    if parent is not None:
        parent.is_leaf = False
    return c


@pytest.fixture()
def tree(db, world):
    """A small tree like the demo's: 计算机设备 → 台式计算机; 办公设备 → A3 / A4 打印机; 家具 → 办公桌."""
    computers = _cat(db, "A0201", "计算机设备")
    desktop = _cat(db, "A02010104", "台式计算机", computers)
    office = _cat(db, "A0202", "办公设备")
    a4 = _cat(db, "A02021001", "激光打印机", office)
    a3 = _cat(db, "A02021002", "A3打印机", office)
    furniture = _cat(db, "A0501", "家具")
    desk = _cat(db, "A05010101", "办公桌", furniture)
    db.commit()
    standards.load_defaults(db)
    admin = world.user("admin")
    standards.save_standard(db, admin, a3.id, {"price_cap": "8000", "quantity_share": "80", "quantity_group": "打印机",
                                               "min_life_years": "6"})
    return dict(computers=computers, desktop=desktop, a4=a4, a3=a3, desk=desk, furniture=furniture)


def test_defaults_carry_the_central_figures(db, world, tree):
    assert standards.price_cap(db, tree["desktop"].id) == Decimal("5000.00")
    assert standards.price_cap(db, world.laptop.id) == Decimal("7000.00")
    assert standards.price_cap(db, tree["a4"].id) == Decimal("1200.00")
    assert standards.min_life_years(db, tree["desktop"].id) == 6
    assert standards.min_life_years(db, tree["desk"].id) == 15
    # the depreciation life is set on the parent (计算机设备 6 年, 家具 15 年) and inherited
    assert standards.depreciation_life_years(db, tree["desktop"].id) == 6
    assert standards.depreciation_life_years(db, tree["desk"].id) == 15
    # categories of the file the tree lacks are skipped and named
    result = standards.load_defaults(db)
    assert "A05010401" in result.skipped and result.added == 0


def test_rank_caps(db, tree):
    desk = tree["desk"].id
    assert standards.price_cap(db, desk, "senior") == Decimal("4500.00")
    assert standards.price_cap(db, desk, "junior") == Decimal("3000.00")
    assert standards.price_cap(db, desk) == Decimal("3000.00")  # no rank: the stricter cap
    with pytest.raises(InvalidInput, match="职级"):
        standards.price_cap(db, desk, "minister")


def test_quantity_cap_with_and_without_the_confidential_network(db, world, tree):
    edu = world.edu  # 40 staff
    cap = standards.quantity_cap(db, edu, tree["desktop"].id)
    assert (cap.cap, cap.share, cap.group, cap.staff) == (40, 100, "台式计算机", 40)
    edu.confidential_network = True
    cap = standards.quantity_cap(db, edu, tree["desktop"].id)
    assert (cap.cap, cap.share) == (60, 150)
    # a category without a confidential share keeps its plain share for a confidential unit
    assert standards.quantity_cap(db, edu, world.laptop.id).cap == 20
    # unknown staff: no cap can be worked out
    assert standards.quantity_cap(db, world.health, tree["desktop"].id).cap is None
    # no share in the standard: no cap
    assert standards.quantity_cap(db, edu, world.projector.id).cap is None


def test_group_cap_counts_a3_and_a4_printers_together(db, world, tree):
    edu = world.edu
    cap_a4 = standards.quantity_cap(db, edu, tree["a4"].id)
    cap_a3 = standards.quantity_cap(db, edu, tree["a3"].id)
    assert cap_a4 == cap_a3 and (cap_a4.cap, cap_a4.group, cap_a4.key) == (32, "打印机", "打印机")
    add_assets(db, edu, tree["a4"], 20, name="激光打印机")
    add_assets(db, edu, tree["a3"], 5, name="A3打印机")
    add_assets(db, edu, tree["a3"], 2, name="A3打印机", status="disposed")  # off the books: not counted
    add_assets(db, world.health, tree["a4"], 3, name="激光打印机")  # another unit's
    add_assets(db, edu, tree["a4"], 4, name="激光打印机", status="listed")  # put into the pool: still its own
    add_assets(db, world.bureau, tree["a4"], 6, name="激光打印机", warehouse=world.warehouse, status="listed")
    assert standards.holdings(db, edu, "打印机") == 29
    assert standards.holdings(db, world.bureau, "打印机") == 0  # the warehouse's stock is not the bureau's own
    assert standards.holdings(db, edu, tree["a4"].id) == 24
    # a group's shares must agree: one cap, one share
    with pytest.raises(InvalidInput, match="比例须一致"):
        standards.save_standard(db, world.user("admin"), tree["a3"].id,
                                {"price_cap": "8000", "quantity_share": "50", "quantity_group": "打印机"})
    assert db.exec(select(ConfigStandard).where(ConfigStandard.category_id == tree["a3"].id)).one().quantity_share == 80


def test_a_cap_on_a_parent_counts_the_categories_under_it(db, world, tree):
    standards.save_standard(db, world.user("admin"), tree["computers"].id,
                            {"quantity_share": "10", "depreciation_years": "6"})
    child = _cat(db, "A02010199", "其他计算机", tree["computers"])
    add_assets(db, world.edu, child, 3, name="其他计算机")
    add_assets(db, world.edu, tree["desktop"], 2, name="台式计算机")
    cap = standards.quantity_cap(db, world.edu, child.id)
    assert (cap.cap, cap.group, cap.key) == (4, "计算机设备", tree["computers"].id)
    assert standards.holdings(db, world.edu, cap.key) == 5


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"price_cap": "abc"}, "price_cap", "不是有效金额"),
    ({"price_cap": "-5"}, "price_cap", "价格上限"),
    ({"price_cap": "0"}, "price_cap", "须大于 0"),
    ({"quantity_share": "1.5"}, "quantity_share", "整数"),
    ({"quantity_share": "0"}, "quantity_share", "1 至 1000%"),
    ({"min_life_years": "200"}, "min_life_years", "1 至 100 年"),
    ({"price_cap": "100", "price_cap_senior": "200", "price_cap_junior": "100"}, "price_cap", "不分职级"),
    ({"price_cap_senior": "200"}, "price_cap_senior", "同时填写"),
    ({"quantity_share_confidential": "150"}, "quantity_share_confidential", "先填写数量比例"),
    ({"quantity_group": "x" * 41}, "quantity_group", "限额组"),
])
def test_bad_values_are_refused_and_nothing_is_saved(db, world, tree, values, field, message):
    before = db.exec(select(ConfigStandard).where(ConfigStandard.category_id == tree["desktop"].id)).one()
    snapshot = (before.price_cap, before.quantity_share, before.min_life_years)
    events = len(db.exec(select(Event)).all())
    with pytest.raises(InvalidInput, match=message) as err:
        standards.save_standard(db, world.user("admin"), tree["desktop"].id, values)
    assert err.value.field == field
    db.expire_all()
    row = db.exec(select(ConfigStandard).where(ConfigStandard.category_id == tree["desktop"].id)).one()
    assert (row.price_cap, row.quantity_share, row.min_life_years) == snapshot
    assert len(db.exec(select(Event)).all()) == events


def test_only_the_bureau_edits(db, world, tree):
    for who in ("mgr_edu", "finance"):
        with pytest.raises(PermissionDenied):
            standards.save_standard(db, world.user(who), tree["desk"].id, {"min_life_years": "10"})


def test_csv_round_trip(db, world, tree):
    text = standards.export_csv(db)
    rows = read_csv(text.encode(), ("分类代码",), "配置标准")
    assert {r["分类代码"] for r in rows} >= {"A02010104", "A02021002", "A0501"}
    # edit the table, then import the export: everything is as it was
    admin = world.user("admin")
    standards.save_standard(db, admin, tree["desktop"].id, {"price_cap": "4000", "quantity_share": "100",
                                                              "quantity_share_confidential": "130", "min_life_years": "8"})
    assert standards.price_cap(db, tree["desktop"].id) == Decimal("4000.00")
    result = standards.load_standards(db, admin, standards.read_standards_csv(text.encode("utf-8")))
    assert result.added == 0 and result.updated == len(rows)
    assert standards.export_csv(db) == text
    s = standards.standard_for(db, tree["desktop"].id)
    assert (s.price_cap, s.quantity_share_confidential, s.min_life_years) == (Decimal("5000.00"), 150, 6)


def test_csv_import_refuses_a_bad_row_whole(db, world, tree):
    admin = world.user("admin")
    data = ("分类代码,价格上限,数量比例\nA02010104,4200,100\nA0501,abc,\n").encode()
    with pytest.raises(InvalidInput, match="第 3 行：价格上限不是有效金额"):
        standards.load_standards(db, admin, standards.read_standards_csv(data))
    assert standards.price_cap(db, tree["desktop"].id) == Decimal("5000.00")
    with pytest.raises(InvalidInput, match="分类代码 ZZZ 不存在"):
        standards.load_standards(db, admin, standards.read_standards_csv("分类代码,价格上限\nZZZ,1\n".encode()))
    with pytest.raises(InvalidInput, match="缺少列：分类代码"):
        standards.read_standards_csv("代码,价格上限\nA0501,1\n".encode())
