"""A small world for tests: units, a warehouse, one user per role, categories, a vendor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from market.accounts import hash_password
from market.assets import epc_for
from market.models import Asset, Category, RentalOffer, RentalVendor, Unit, User, Warehouse
from market.standards import load_defaults

PASSWORD = "secret-pass-1"
_HASH = hash_password(PASSWORD)


@dataclass
class World:
    bureau: Unit
    edu: Unit  # 市教育局
    health: Unit  # 市卫生健康委员会
    warehouse: Warehouse
    chair: Category
    laptop: Category
    projector: Category
    vendor: RentalVendor
    chair_offer: RentalOffer
    users: dict[str, User] = field(default_factory=dict)

    def user(self, key: str) -> User:
        return self.users[key]


def add_user(db: Session, username: str, role: str, unit: Unit | None) -> User:
    u = User(username=username, display_name=username, role=role, unit_id=unit.id if unit else None,
             password_hash=_HASH)
    db.add(u)
    db.flush()
    return u


def add_assets(db: Session, unit: Unit, category: Category, n: int, name: str = "会议椅", condition: str = "良好",
               value: str = "300", warehouse: Warehouse | None = None, status: str = "in_use",
               prefix: str | None = None, confidential: bool = False,
               purchased: date = date(2006, 5, 1)) -> list[Asset]:
    """``n`` items; bought by default long enough ago to be past every minimum service life of the standards."""
    out = []
    start = len(db.exec(__import__("sqlmodel").select(Asset)).all())
    for i in range(n):
        tag = f"{prefix or unit.code}-T{start + i + 1:06d}"
        a = Asset(tag=tag, epc=epc_for(tag), name=name, category_id=category.id, brand="震旦", model="AD-01",
                  owner_unit_id=unit.id, warehouse_id=warehouse.id if warehouse else None, condition=condition,
                  original_value=Decimal(value), purchase_date=purchased, status=status,
                  location=warehouse.name if warehouse else unit.address, confidential=confidential)
        db.add(a)
        out.append(a)
    db.flush()
    return out


def build_world(db: Session) -> World:
    bureau = Unit(code="JGSW", name="市机关事务管理局", district="涪城区", lat=31.4675, lng=104.6796, is_bureau=True,
                  address="涪城区临园路1号")
    edu = Unit(code="JYJ", name="市教育局", district="涪城区", lat=31.4560, lng=104.7420, address="涪城区安昌路17号",
               staff_count=40)
    health = Unit(code="WJW", name="市卫生健康委员会", district="游仙区", lat=31.4860, lng=104.7600,
                  address="游仙区东津路9号")
    db.add_all([bureau, edu, health])
    db.flush()
    wh = Warehouse(code="WH1", name="公物仓一号库", operator_unit_id=bureau.id, district="涪城区", lat=31.4521,
                   lng=104.7012, address="涪城区塘汛镇仓储路8号")
    chair = Category(code="A05010201", name="会议椅", measure_unit="把", transport_rate=Decimal("0.8"),
                     reference_price=Decimal("350"), typical_weight_kg=8)
    laptop = Category(code="A02010105", name="笔记本电脑", measure_unit="台", transport_rate=Decimal("0.3"),
                      reference_price=Decimal("6000"), typical_weight_kg=2)
    projector = Category(code="A02020100", name="投影仪", measure_unit="台", transport_rate=Decimal("0.5"),
                         reference_price=Decimal("4500"), typical_weight_kg=4)
    vendor = RentalVendor(name="绵州会展租赁有限公司", lat=31.50, lng=104.65)
    db.add_all([wh, chair, laptop, projector, vendor])
    db.flush()
    offer = RentalOffer(vendor_id=vendor.id, category_id=chair.id, price_per_unit_day=Decimal("6"),
                        delivery_fee=Decimal("300"), capacity=500)
    db.add(offer)
    db.flush()
    w = World(bureau, edu, health, wh, chair, laptop, projector, vendor, offer)
    w.users = {
        "staff_edu": add_user(db, "staff_edu", "unit_staff", edu),
        "mgr_edu": add_user(db, "mgr_edu", "unit_manager", edu),
        "staff_health": add_user(db, "staff_health", "unit_staff", health),
        "mgr_health": add_user(db, "mgr_health", "unit_manager", health),
        "admin": add_user(db, "admin", "warehouse_admin", bureau),
        "finance": add_user(db, "finance", "finance", None),
        "sysadmin": add_user(db, "sysadmin", "sysadmin", None),
    }
    db.commit()
    load_defaults(db)  # the central standard's figures, for the categories this world has
    return w


def lengthen_back_off(username: str, extra: int = 4) -> None:
    """More failed sign-ins of ``username`` from the test client's address, recorded as made just now: with the
    failures a test made over HTTP, the back-off is then 2**extra seconds instead of one, so a slow machine's
    next request still meets it."""
    from market.infra.db import session_scope
    from market.models import LoginAttempt

    with session_scope(write=True) as db:
        for _ in range(extra):
            db.add(LoginAttempt(username=username, ip="127.0.0.1", ok=False))
        db.commit()
