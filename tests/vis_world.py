"""The world of ``tests/test_visibility_matrix.py``: objects of every type for two units (市教育局 "甲", 市卫生健康委员会
"乙") and for the warehouse / bureau ("丙"), each carrying marker strings in its user-visible text.

A marker is a short ASCII token (``QXE001`` for 甲, ``QXH001`` for 乙, ``QXW001`` for the warehouse, ``QXS001`` for
system objects) written into a Chinese text ("甲单位机密椅QXE001"). Every token belongs to exactly one object and one
of its fields; a response that carries a token shows that object's field. Tokens have one width, so none is a part
of another, and they survive HTML, JSON and spreadsheet encoding alike.

The world is built through the services, as the people who would do each thing (a few rows the services cannot
make — confidential and long-idle assets, messages — are written directly). ``build_vis_world`` returns a
``VisWorld`` holding the objects (type, id, owning unit, label) and the markers; nothing here knows what anybody
may see: that is the table at the top of the test module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from factories import PASSWORD, World, add_user, build_world  # noqa: F401  (PASSWORD: re-exported for the test)
from sqlmodel import select

from market.assets import epc_for
from market.infra.db import session_scope
from market.models import (
    ApprovalRule,
    Asset,
    Category,
    ConfigStandard,
    CountLine,
    DamageRecord,
    Notice,
    PurchaseNeed,
    Unit,
    User,
    utcnow,
)

UNIT_CHAR = {"edu": "甲", "health": "乙", "bureau": "丙", "system": "系"}
TOKEN_PREFIX = {"edu": "QXE", "health": "QXH", "bureau": "QXW", "system": "QXS"}
UNIT_KEYS = ("edu", "health")


@dataclass(eq=False)
class Obj:
    """One object of the world. ``type`` is a base type with an optional state ("asset.confidential")."""

    type: str
    unit: str  # the owner: "edu", "health", "bureau" (warehouse and bureau), "system" (catalogue, settings)
    label: str  # for failure messages: "乙 confidential asset (in use)"
    id: Any = None
    person: str | None = None  # a notice's addressee, an import job's starter (a username)
    tag: str | None = None
    shows: list[str] = field(default_factory=list)  # tokens its own detail pages are expected to show
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.type.split(".", 1)[0]

    def __repr__(self) -> str:
        return f"{self.label} #{self.id}"


@dataclass(frozen=True, eq=False)
class Marker:
    token: str
    obj: Obj
    field: str

    def __repr__(self) -> str:
        return f"{self.obj.label}.{self.field} ({self.token})"


@dataclass
class VisWorld:
    world: World
    objects: list[Obj] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    approved_lines: dict[str, int] = field(default_factory=dict)  # a request line per unit, for purchase needs
    uids: dict[str, int] = field(default_factory=dict)

    def new(self, type_: str, unit: str, label: str, **kw: Any) -> Obj:
        obj = Obj(type_, unit, label, **kw)
        self.objects.append(obj)
        return obj

    def token(self, unit: str) -> str:
        prefix = TOKEN_PREFIX[unit]
        n = self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{n:03d}"

    def mark(self, obj: Obj, field_name: str, text: str, shown: bool = False) -> str:
        """``text`` with a new token of the object's unit appended; the token is registered as (obj, field)."""
        tok = self.token(obj.unit if obj.unit in TOKEN_PREFIX else "system")
        self.markers.append(Marker(tok, obj, field_name))
        if shown:
            obj.shows.append(tok)
        return f"{text}{tok}"

    def of(self, base: str) -> list[Obj]:
        """The objects of a base type ("asset" gives assets of every state)."""
        return [o for o in self.objects if o.base == base]

    def one(self, label: str) -> Obj:
        found = [o for o in self.objects if o.label == label]
        assert len(found) == 1, (label, found)
        return found[0]

    def tokens_of(self, obj: Obj, *fields: str) -> list[str]:
        return [m.token for m in self.markers if m.obj is obj and (not fields or m.field in fields)]

    def unit_id(self, key: str) -> int:
        return {"edu": self.world.edu.id, "health": self.world.health.id, "bureau": self.world.bureau.id}[key]


def who(db, username: str) -> User:  # noqa: ANN001
    return db.exec(select(User).where(User.username == username)).one()


# --- building ------------------------------------------------------------------------------------------------


def _asset(db, vw: VisWorld, unit: str, type_: str, label: str, what: str, *, status: str = "in_use",  # noqa: ANN001
           confidential: bool = False, long_idle: bool = False, marks: tuple[str, ...] = ("name", "location",
                                                                                         "custodian")) -> Obj:
    """An asset of a unit written directly (the services have no way to make a confidential or a long-idle one)."""
    ch = UNIT_CHAR[unit]
    obj = vw.new(type_, unit, label)
    name = vw.mark(obj, "name", f"{ch}单位{what}", shown=True) if "name" in marks else f"{ch}单位{what}"
    location = vw.mark(obj, "location", f"{ch}单位存放地点") if "location" in marks else ""
    custodian = vw.mark(obj, "custodian", f"{ch}单位保管人") if "custodian" in marks else ""
    code = db.get(Unit, vw.unit_id(unit)).code
    if confidential:  # even the tag of a confidential asset is not to be shown outside its unit
        tag = f"{code}-{vw.mark(obj, 'tag', '')}"
    else:
        n = vw.counters["tag"] = vw.counters.get("tag", 0) + 1
        tag = f"{code}-V{n:05d}"
    when = utcnow() - timedelta(days=400) if long_idle else utcnow()
    a = Asset(tag=tag, epc=epc_for(tag), name=name, category_id=vw.world.chair.id, brand="震旦", model="AD-01",
              owner_unit_id=vw.unit_id(unit), condition="良好", original_value=Decimal("300"),
              purchase_date=date(2006, 5, 1), status=status, location=location, custodian=custodian,
              confidential=confidential, created_at=when, updated_at=when)
    db.add(a)
    db.flush()
    obj.id, obj.tag = a.id, tag
    return obj


def _request(db, vw: VisWorld, unit: str, label: str, approve: bool) -> Obj:  # noqa: ANN001
    from market.requests import LineInput, approve_request, request_lines, submit_request

    ch = UNIT_CHAR[unit]
    obj = vw.new("request", unit, label)
    title = vw.mark(obj, "title", f"{ch}单位座谈会", shown=True)
    place = vw.mark(obj, "place", f"{ch}单位送达地点")
    start = utcnow().date() + timedelta(days=30)
    lines = [LineInput(vw.world.chair.id, 1, start, start + timedelta(days=1))]
    req = submit_request(db, who(db, f"staff_{unit}"), title, lines, place=place)
    if approve:
        approve_request(db, who(db, "admin"), req.id)
    obj.id = req.id
    obj.extra["line"] = request_lines(db, req.id)[0].id
    return obj


def _acquisition(db, vw: VisWorld, unit: str, label: str) -> Obj:  # noqa: ANN001
    """An acquisition request (配置申请) of one chair: the warehouse stock offers it, the offer waits for the unit."""
    from market.acquisitions import AcquisitionInput, submit_acquisition

    obj = vw.new("acquisition", unit, label)
    reason = vw.mark(obj, "reason", f"{UNIT_CHAR[unit]}单位配置理由", shown=True)
    req = submit_acquisition(db, who(db, f"staff_{unit}"), AcquisitionInput(vw.world.chair.id, 1, "300", reason))
    assert req.status == "pool_offer", req.status
    obj.id = req.id
    return obj


def _order_obj(db, vw: VisWorld, unit: str, label: str, order_id: int, shows: list[str]) -> Obj:  # noqa: ANN001
    from market.orders import order_items

    items = order_items(db, order_id, pick_list=False)
    return vw.new("order", unit, label, id=order_id, shows=list(shows),
                  extra={"tags": [a.tag for _, a in items], "assets": [a.id for _, a in items]})


def _unit_objects(db, vw: VisWorld, unit: str, stock_listing: int) -> None:  # noqa: ANN001
    """Everything one unit owns."""
    from market import counts
    from market import disposal as dsp
    from market.notices import create_wish
    from market.orders import Inspection, allocate_from_listing, hand_out, return_loan
    from market.pool.listings import post_idle_items, withdraw_listing
    from market.transfers import propose_transfer

    ch = UNIT_CHAR[unit]
    mgr, staff, admin = who(db, f"mgr_{unit}"), who(db, f"staff_{unit}"), who(db, "admin")
    conf = _asset(db, vw, unit, "asset.confidential", f"{ch} confidential asset (in use)", "机密椅",
                  confidential=True)
    _asset(db, vw, unit, "asset.confidential", f"{ch} confidential asset (long idle)", "机密柜", status="idle",
           confidential=True, long_idle=True)
    ordinary = _asset(db, vw, unit, "asset", f"{ch} ordinary asset (in use)", "在用会议桌")
    _asset(db, vw, unit, "asset", f"{ch} ordinary asset (long idle)", "闲置书柜", status="idle", long_idle=True)
    pooled = [_asset(db, vw, unit, "asset.pooled", f"{ch} pooled asset {i}", f"挂牌折叠椅{i}", status="idle",
                     marks=("name", "location")) for i in (1, 2)]
    back = _asset(db, vw, unit, "asset", f"{ch} asset of a withdrawn listing", "撤回挂牌椅", status="idle")
    for_disposal = _asset(db, vw, unit, "asset", f"{ch} asset being disposed of", "报废椅", status="idle")
    for_allot = _asset(db, vw, unit, "asset", f"{ch} asset proposed for transfer", "调拨椅")
    db.commit()

    # the pool: an active listing, and one withdrawn again
    listing = vw.new("listing.active", unit, f"{ch} active listing")
    listing.id = post_idle_items(db, mgr, [a.id for a in pooled], title=vw.mark(listing, "title", f"{ch}单位闲置折叠椅",
                                                                                 shown=True),
                                 description=vw.mark(listing, "description", f"{ch}单位挂牌说明")).id
    gone = vw.new("listing.withdrawn", unit, f"{ch} withdrawn listing")
    gone.id = post_idle_items(db, mgr, [back.id], title=vw.mark(gone, "title", f"{ch}单位已撤回挂牌", shown=True),
                              description=vw.mark(gone, "description", f"{ch}单位撤回说明")).id
    withdraw_listing(db, mgr, gone.id, "自用")

    # requests: submitted, approved, and two served by loans of warehouse stock
    _request(db, vw, unit, f"{ch} submitted request", approve=False)
    approved = _request(db, vw, unit, f"{ch} approved request", approve=True)
    loan_req = _request(db, vw, unit, f"{ch} request served by an allocated loan", approve=True)
    back_req = _request(db, vw, unit, f"{ch} request served by a returned loan", approve=True)
    _acquisition(db, vw, unit, f"{ch} acquisition request (pool offer waiting)")
    stock_name = vw.one("丙 warehouse stock listing (active)").shows[0]
    order = allocate_from_listing(db, admin, loan_req.extra["line"], stock_listing, 1)
    _order_obj(db, vw, unit, f"{ch} loan order (allocated)", order.id, [stock_name])
    returned = allocate_from_listing(db, admin, back_req.extra["line"], stock_listing, 1)
    hand_out(db, admin, returned.id)
    returned_obj = _order_obj(db, vw, unit, f"{ch} loan order (returned, damaged)", returned.id, [stock_name])
    return_loan(db, admin, returned.id, {returned_obj.extra["assets"][0]: Inspection(
        "一般", cause="user", description="椅面划伤", repair_cost=Decimal("50"))})
    damage = db.exec(select(DamageRecord).where(DamageRecord.order_id == returned.id)).one()
    vw.new("damage", unit, f"{ch} damage record", id=damage.id)
    allot = vw.new("order", unit, f"{ch} transfer order (pending)")
    note = vw.mark(allot, "note", f"{ch}单位调拨说明")
    allot.id = propose_transfer(db, mgr, [for_allot.id], vw.unit_id("bureau"), note).id
    allot.shows = list(vw.tokens_of(for_allot, "name"))
    allot.extra = {"tags": [for_allot.tag], "assets": [for_allot.id]}
    vw.approved_lines[unit] = approved.extra["line"]

    # an order of the other unit that takes this unit's idle items: the holder's manager hands them over
    other = "health" if unit == "edu" else "edu"
    lent = _asset(db, vw, unit, "asset.pooled", f"{ch} pooled asset lent by its holder", "出借折叠椅", status="idle",
                  marks=("name", "location"))
    db.commit()
    lot = vw.new("listing.active", unit, f"{ch} active listing taken by an order")
    lot.id = post_idle_items(db, mgr, [lent.id], title=vw.mark(lot, "title", f"{ch}单位出借折叠椅", shown=True),
                             description=vw.mark(lot, "description", f"{ch}单位出借说明")).id
    wants = _request(db, vw, other, f"{UNIT_CHAR[other]} request served by {ch}'s idle items", approve=True)
    held = allocate_from_listing(db, admin, wants.extra["line"], lot.id, 1)
    vw.new("order.held", unit, f"{ch} loan order of its idle items (allocated)", id=held.id,
           shows=list(vw.tokens_of(lent, "name")), extra={"tags": [lent.tag], "assets": [lent.id], "receiver": other})

    # a disposal case with its appraisal report on file
    case = vw.new("disposal", unit, f"{ch} disposal case")
    case.id = dsp.apply_disposal(db, mgr, [for_disposal.id], "sale",
                                 vw.mark(case, "reason", f"{ch}单位处置理由", shown=True)).id
    _report(db, vw, case)

    # an inventory count of the unit: its own confidential assets among the lines, a wrong place, an unknown tag
    count = vw.new("count", unit, f"{ch} inventory count")
    count.id = counts.start_count(db, mgr, unit_id=vw.unit_id(unit), title=vw.mark(count, "title", f"{ch}单位盘点",
                                                                                  shown=True)).id
    seen = vw.new("count_line", unit, f"{ch} count line (wrong place)")
    counts.record_reads(db, mgr, count.id, [ordinary.tag], location=vw.mark(seen, "seen_location", f"{ch}单位盘点位置"),
                        condition="一般")
    stray = vw.new("count_line", unit, f"{ch} count line (unknown tag)")
    unknown = f"{ch}UNKNOWN-{vw.mark(stray, 'tag', '')}"
    counts.record_reads(db, mgr, count.id, [unknown])
    lines = {x.tag: x.id for x in db.exec(select(CountLine).where(CountLine.count_id == count.id))}
    seen.id, stray.id = lines[ordinary.tag], lines[unknown]
    vw.new("count_line", unit, f"{ch} count line (confidential asset, missing)", id=lines[conf.tag])

    # messages to the unit's two people, wishes, an import job, an account
    for person in (staff, mgr):
        n = vw.new("notice", unit, f"{ch} notice to {person.username}", person=person.username)
        note = Notice(user_id=person.id, kind="request_approved", text=vw.mark(n, "text", f"{ch}单位站内消息"),
                      link="/notices", key=f"vis:{person.username}")
        db.add(note)
        db.flush()
        n.id = note.id
    db.commit()
    for public in (False, True):
        w = vw.new("wish.public" if public else "wish.private", unit, f"{ch} {'public' if public else 'private'} wish")
        text = vw.mark(w, "title", f"{ch}单位心愿")
        w.id = create_wish(db, staff, text, keywords=text, public=public).id
    _import_job(vw, unit, mgr.id)
    target = vw.new("user", unit, f"{ch} account")
    user = add_user(db, f"vis_{unit}", "unit_staff", db.get(Unit, vw.unit_id(unit)))
    user.display_name = vw.mark(target, "display_name", f"{ch}单位用户")
    db.commit()
    target.id = user.id


def _report(db, vw: VisWorld, case: Obj) -> None:  # noqa: ANN001
    """An appraisal report file on the case (as an appraisal with an upload leaves it), with a marker inside."""
    from market.infra.config import settings
    from market.models import DisposalCase

    folder = settings().data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"disposal-{case.id}-{time.monotonic_ns() % 16**8:08x}.pdf"
    token = vw.mark(case, "report", "")
    case.shows.append(token)
    (folder / name).write_bytes(b"%PDF-1.4 appraisal report " + token.encode())
    row = db.get(DisposalCase, case.id)
    row.appraisal_report = name
    db.commit()


def _import_job(vw: VisWorld, unit: str, owner_id: int) -> None:
    """A finished import job of the unit's manager (a rejected file: nothing was written)."""
    from web import jobs

    obj = vw.new("import_job", unit, f"{UNIT_CHAR[unit]} import job", person=f"mgr_{unit}")
    message = vw.mark(obj, "message", f"{UNIT_CHAR[unit]}单位导入结果", shown=True)
    obj.id = jobs.start(owner_id, "import", lambda progress: {"ok": False, "message": message, "total": 0,
                                                               "errors": []})
    deadline = time.monotonic() + 30
    while (state := jobs.read(obj.id)) is None or state["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the import job did not finish"
        time.sleep(0.02)


def build_vis_world() -> VisWorld:
    """The small world of ``factories.build_world`` and, on it, every object of the visibility matrix."""
    from market import counts, purchasing
    from market.pool.listings import receive_items, withdraw_listing
    from market.proposals import run_matcher

    with session_scope(write=True) as db:
        vw = VisWorld(build_world(db))
        vw.uids = {u.username: u.id for u in db.exec(select(User))}
        admin = who(db, "admin")
        w = vw.world

        # warehouse stock: a lot in the pool, and one taken out of it (idle in the warehouse)
        stock = vw.new("listing.active", "bureau", "丙 warehouse stock listing (active)")
        stock.id = receive_items(db, admin, w.warehouse.id, w.chair.id, vw.mark(stock, "title", "丙公物仓库存椅",
                                                                               shown=True), 8, "350").id
        for a in db.exec(select(Asset).where(Asset.listing_id == stock.id).order_by(Asset.id)).all()[:2]:
            vw.new("asset.pooled", "bureau", f"丙 warehouse stock in the pool {a.tag}", id=a.id, tag=a.tag,
                   shows=list(stock.shows))
        kept = vw.new("listing.withdrawn", "bureau", "丙 warehouse stock listing (withdrawn)")
        first = vw.new("asset.stock", "bureau", "丙 warehouse stock out of the pool")
        name = vw.mark(first, "name", "丙公物仓备用椅", shown=True)
        kept.id = receive_items(db, admin, w.warehouse.id, w.chair.id, name, 2, "350").id
        kept.shows = [first.shows[0]]
        withdraw_listing(db, admin, kept.id, "盘整")
        items = db.exec(select(Asset).where(Asset.name == name).order_by(Asset.id)).all()
        items[0].location = vw.mark(first, "location", "丙公物仓货架")
        first.id, first.tag = items[0].id, items[0].tag
        vw.new("asset.stock", "bureau", "丙 warehouse stock out of the pool (2)", id=items[1].id, tag=items[1].tag,
               shows=[first.shows[0]])
        db.commit()

        for unit in UNIT_KEYS:
            _unit_objects(db, vw, unit, stock.id)

        wcount = vw.new("count", "bureau", "丙 warehouse count")
        wcount.id = counts.start_count(db, admin, warehouse_id=w.warehouse.id,
                                       title=vw.mark(wcount, "title", "丙公物仓盘点", shown=True)).id

        # an allocation proposal (a draft) over the approved requests, and purchase batches
        prop = run_matcher(db, admin, "tiered", 10.0)
        first_assignment = (prop.solution.get("assignments") or [{"request": "R1", "source": "K1"}])[0]
        vw.new("proposal", "bureau", "丙 allocation proposal (draft)", id=prop.id,
               extra={"request": first_assignment["request"], "source": first_assignment["source"]})
        bought = vw.new("purchase_batch", "bureau", "丙 purchase batch (purchased)")
        db.add(PurchaseNeed(request_line_id=vw.approved_lines["edu"], category_id=w.chair.id, quantity=3))
        db.commit()
        bought.id = purchasing.create_batch(db, admin, w.chair.id).id
        purchasing.record_purchase(db, admin, bought.id, vw.mark(bought, "supplier", "丙家具供应商", shown=True), "280")
        db.add(PurchaseNeed(request_line_id=vw.approved_lines["health"], category_id=w.chair.id, quantity=2))
        db.commit()
        vw.new("purchase_batch", "bureau", "丙 purchase batch (planned)", id=purchasing.create_batch(db, admin,
                                                                                                  w.chair.id).id)

        # what the body of a request names rather than its path: units, the warehouse, the catalogue, admin tabs
        for unit in UNIT_KEYS:
            vw.new("unit", unit, f"{UNIT_CHAR[unit]} unit", id=vw.unit_id(unit))
            vw.new("unit_report", unit, f"{UNIT_CHAR[unit]} unit's supervision report", id=vw.unit_id(unit))
        vw.new("warehouse", "bureau", "丙 warehouse", id=w.warehouse.id)
        vw.new("category", "system", "系 category 会议椅", id=db.get(Category, w.chair.id).id)
        vw.new("standard", "system", "系 standard 会议椅",
               id=db.exec(select(ConfigStandard).where(ConfigStandard.category_id == w.chair.id)).one().id)
        for unit in UNIT_KEYS:
            vw.new("staffing", unit, f"{UNIT_CHAR[unit]} unit staffing", id=vw.unit_id(unit))
        vw.new("rental_offer", "system", "系 rental offer 会议椅", id=w.chair_offer.id)
        rule = ApprovalRule(action="disposal", min_value=Decimal("500000"), steps=["unit_manager", "finance"])
        db.add(rule)
        db.commit()
        vw.new("rule", "system", "系 approval rule (disposal from 500,000 元)", id=rule.id)
        for tab in ("units", "users", "rules"):
            vw.new("admin_tab.accounts", "system", f"系 admin tab {tab}", id=tab)
        for tab in ("categories", "standards", "vendors", "synonyms"):
            vw.new("admin_tab.catalogue", "system", f"系 admin tab {tab}", id=tab)
        vw.uids = {u.username: u.id for u in db.exec(select(User))}
    return vw
