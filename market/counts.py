"""Inventory counts (盘点): start a count of a warehouse or a unit, take in what a scanner or RFID reader
read (a file or one tag at a time), list the differences, settle each one, close the count."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, update
from sqlmodel import Session, select

from market import fields
from market.access import (
    HIDDEN,
    SUPERVISORS,
    UNIT_ROLES,
    HiddenAsset,
    asset_view,
    can,
    require,
    require_user,
    visible,
)
from market.assets import snapshot, stamp
from market.disposal import apply_disposal
from market.errors import InvalidInput, InvalidTransition, PermissionDenied
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.infra.rows import get_or_404
from market.infra.textfiles import decode_text
from market.lists import Column, Filter, ListSpec, by_id, latest, like, local_time, named, names, numbered
from market.models import (
    CONDITIONS,
    RESOLUTIONS,
    Asset,
    CountLine,
    InventoryCount,
    Unit,
    User,
    Warehouse,
    utcnow,
)
from market.models.counts import COUNT_ISSUES, COUNT_STATUSES
from market.orders import own_unit_options
from market.pool.listings import touch_listing

WAREHOUSE_PRESENT = ("listed", "reserved", "idle", "in_repair")
UNIT_PRESENT = ("in_use", "idle", "listed", "reserved", "in_repair")
MAX_READS = 100_000  # reads in one upload
MAX_UNEXPECTED = 10_000  # lines of a count that are not in the ledger (a wrong file, not a count)
TAG_CHARS = 64  # what a count line keeps of a read (CountLine.tag)
WRITE_CHUNK = 2000  # count lines in one INSERT


def _check_scope(actor: User, count: InventoryCount) -> None:
    if count.warehouse_id is not None:
        require(actor, "receive_items")
    else:
        if actor.role not in ("warehouse_admin", "unit_manager"):
            raise PermissionDenied("盘点须由单位资产管理员或公物仓管理员办理。")
        require(actor, "apply_disposal", count.unit_id)


def in_scope(db: Session, count: InventoryCount) -> Any:
    """The SQL condition for the assets a count covers: those kept in its warehouse, or its unit's own (not
    warehouse stock) — its confidential ones only if whoever started the count may see them (the unit itself or
    a supervisor; a unit count by the warehouse administrators leaves them to the unit). A read of any other
    asset is "not ours": recorded by its tag alone, never linked to the asset, so the count shows nothing of it
    and can change nothing of it."""
    if count.warehouse_id is not None:
        return Asset.warehouse_id == count.warehouse_id
    mine = (Asset.owner_unit_id == count.unit_id) & Asset.warehouse_id.is_(None)
    starter = db.get(User, count.started_by)
    if starter is not None and (starter.unit_id == count.unit_id or starter.role in SUPERVISORS):
        return mine
    return mine & Asset.confidential.is_(False)


def visible_count(db: Session, actor: User, count_id: int) -> InventoryCount:
    return visible(db, actor, InventoryCount, count_id)


@transactional
def start_count(db: Session, actor: User, warehouse_id: int | None = None, unit_id: int | None = None,
                title: str = "") -> InventoryCount:
    if (warehouse_id is None) == (unit_id is None):
        raise InvalidInput("请选择一个仓库或一个单位进行盘点。", "warehouse_id")
    count = InventoryCount(warehouse_id=warehouse_id, unit_id=unit_id, started_by=actor.id, title="")
    _check_scope(actor, count)
    if warehouse_id is not None:
        where = get_or_404(db, Warehouse, warehouse_id, "warehouse_id")
    else:
        where = get_or_404(db, Unit, unit_id, "unit_id")
    present = WAREHOUSE_PRESENT if warehouse_id is not None else UNIT_PRESENT
    assets = db.exec(select(Asset.id, Asset.tag).where(in_scope(db, count), Asset.status.in_(present))
                     .order_by(Asset.tag)).all()
    count.title = (title.strip() or f"{where.name} {utcnow():%Y年%m月}盘点")[:120]
    count.expected = len(assets)
    db.add(count)
    db.flush()
    for start in range(0, len(assets), WRITE_CHUNK):
        db.execute(insert(CountLine), [
            {"count_id": count.id, "asset_id": a.id, "tag": a.tag, "expected": True, "seen": False,
             "seen_location": "", "seen_condition": "", "resolution": "", "note": ""}
            for a in assets[start : start + WRITE_CHUNK]])
    log_event(db, actor, "count", count.id, "start", f"开始盘点：{count.title}（账面 {len(assets)} 件）")
    return count


Read = tuple[str, str]  # a tag or EPC as read, and where it was read ("" when the reader did not say)

TAG_HEADERS = ("资产编号", "标签", "tag", "epc")
PLACE_HEADERS = ("位置", "实际位置", "存放地点", "location")


def parse_reads(data: bytes) -> list[Read]:
    """Tags or EPCs from a scanner's file: one per line, or CSV (a column named 资产编号/标签/tag/EPC, else the first),
    each with the place it was read at when the file has a column for it (位置/实际位置/存放地点/location).

    Read as a stream with its limits checked on the way (at most ``MAX_READS`` reads, none longer than
    ``TAG_CHARS``): the file's size is bounded by its upload limit, what is kept by these. No database."""
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text))
    reads: list[Read] = []
    place_chars = fields.limit(CountLine.seen_location)
    try:
        first = next(reader, None)
        if first is None:
            raise InvalidInput("文件中没有读到任何标签。", "file")
        col, place_col = 0, None
        header = [h.strip().lower() for h in first]
        named = next((name for name in TAG_HEADERS if name in header), None)
        rows = reader if named is not None else itertools.chain([first], reader)
        if named is not None:
            col = header.index(named)
            place_col = next((header.index(name) for name in PLACE_HEADERS if name in header), None)
        for row in rows:
            if len(row) > col and (value := row[col].strip()):
                if len(value) > TAG_CHARS:
                    raise InvalidInput(f"第 {reader.line_num} 行的标签超过 {TAG_CHARS} 个字符，不是扫描器读到的标签。",
                                       "file")
                place = row[place_col].strip() if place_col is not None and len(row) > place_col else ""
                if len(place) > place_chars:
                    raise InvalidInput(f"第 {reader.line_num} 行的位置超过 {place_chars} 个字符。", "file")
                reads.append((value, place))
                if len(reads) > MAX_READS:
                    raise InvalidInput(f"一次最多导入 {MAX_READS} 条读取记录。", "file")
    except csv.Error:
        raise InvalidInput(f"文件格式有误（第 {reader.line_num} 行）：引号不配对或字段过长。", "file") from None
    if not reads:
        raise InvalidInput("文件中没有读到任何标签。", "file")
    return reads


def record_scan(actor_id: int, count_id: int, reads: list[str | Read], location: str = "", condition: str = "",
                ) -> ScanResult:
    """``record_reads`` in a write transaction of its own, for a page that read the scanner's file before (its
    parsing then never holds SQLite's write lock)."""
    from market.accounts import user_by_id
    from market.infra.db import session_scope

    with session_scope(write=True) as db:
        return record_reads(db, user_by_id(db, actor_id), count_id, reads, location, condition)


@dataclass
class ScanResult:
    matched: int
    unexpected: int
    repeated: int


CHUNK = 500  # tags in one IN (…) list


@transactional
def record_reads(db: Session, actor: User, count_id: int, reads: list[str | Read], location: str = "",
                 condition: str = "") -> ScanResult:
    """Mark what was read. Set-wise: a few queries per 500 distinct reads and bulk writes, the lines held as
    plain tuples, so that a file of 200,000 reads is seconds of write lock and tens of MB, not minutes and GB.

    A read is a tag, or a (tag, place) pair from a file that says where each item was read. A read's own place
    wins; ``location`` stands for the reads that have none; with neither, no place is recorded (and so no
    "wrong place" difference can come of it)."""
    count = visible_count(db, actor, count_id)
    _check_scope(actor, count)
    if count.status != "open":
        raise InvalidTransition("该盘点已结束。")
    if condition and condition not in CONDITIONS:
        raise InvalidInput(f"状况须为{'、'.join(CONDITIONS)}之一。", "condition")
    if len(reads) > MAX_READS:
        raise InvalidInput(f"一次最多导入 {MAX_READS} 条读取记录。", "reads")
    place_chars = fields.limit(CountLine.seen_location)
    fallback = location.strip()[:place_chars]
    places: dict[str, str] = {}  # tag as read -> where (the first place given for a tag read twice)
    for r in reads:
        tag, place = (r, "") if isinstance(r, str) else r
        tag = tag.strip()[:TAG_CHARS] if tag else ""
        if tag and tag not in places:
            places[tag] = place.strip()[:place_chars] or fallback
    raws = list(places)
    reversed_tag = next((r for r in (*raws, *places.values()) if fields.bidi_char(r)), None)  # typed, uploaded or sent alike
    if reversed_tag is not None:
        raise InvalidInput(f"读取记录{fields.BIDI_MESSAGE}", "reads")
    # line: [id, asset_id, tag, expected, seen]
    by_asset: dict[int, list[Any]] = {}
    by_tag: dict[str, list[Any]] = {}
    for row in db.exec(select(CountLine.id, CountLine.asset_id, CountLine.tag, CountLine.expected, CountLine.seen)
                       .where(CountLine.count_id == count.id)):
        line = list(row)
        if line[1] is not None:
            by_asset[line[1]] = line
        by_tag[line[2]] = line
    already_unexpected = sum(1 for line in by_tag.values() if not line[3])
    scope = in_scope(db, count)
    by_read_tag: dict[str, tuple[int, str]] = {}
    by_read_epc: dict[str, tuple[int, str]] = {}
    for start in range(0, len(raws), CHUNK):
        chunk = raws[start : start + CHUNK]
        upper = [r.upper() for r in chunk]
        for asset_id, tag, epc in db.exec(select(Asset.id, Asset.tag, Asset.epc)
                                          .where(Asset.tag.in_(chunk) | Asset.epc.in_(upper), scope)):
            by_read_tag[tag] = (asset_id, tag)
            if epc:
                by_read_epc[epc] = (asset_id, tag)
    matched = unexpected = repeated = 0
    seen_ids: dict[str, list[int]] = {}  # place -> the lines seen there
    new_lines: list[list[Any]] = []
    for raw in raws:
        hit = by_read_tag.get(raw) or by_read_epc.get(raw.upper())
        line = by_asset.get(hit[0]) if hit else by_tag.get(raw)
        if line is None:
            line = [None, hit[0] if hit else None, hit[1] if hit else raw, False, False]
            new_lines.append((line, places[raw]))
            if hit:
                by_asset[hit[0]] = line
            else:
                by_tag[raw] = line
            unexpected += 1
        elif line[4]:
            repeated += 1
        elif line[3]:
            matched += 1
        if line[0] is not None:
            seen_ids.setdefault(places[raw], []).append(line[0])
        line[4] = True
    if new_lines and already_unexpected + len(new_lines) > MAX_UNEXPECTED:
        raise InvalidInput(f"本次读到 {unexpected} 个不在账上的标签，本盘点的账外标签将超过 {MAX_UNEXPECTED} 个：请检查是否选错了"
                           "文件（未记录任何读取）。", "file")
    for place, ids in seen_ids.items():
        changes: dict[str, Any] = {"seen": True}
        if place:
            changes["seen_location"] = place
        if condition:
            changes["seen_condition"] = condition
        for start in range(0, len(ids), CHUNK):
            db.execute(update(CountLine).where(CountLine.id.in_(ids[start : start + CHUNK])).values(**changes)
                       .execution_options(synchronize_session=False))
    for start in range(0, len(new_lines), WRITE_CHUNK):
        db.execute(insert(CountLine), [
            {"count_id": count.id, "asset_id": line[1], "tag": line[2], "expected": False, "seen": True,
             "seen_location": place, "seen_condition": condition, "resolution": "", "note": ""}
            for line, place in new_lines[start : start + WRITE_CHUNK]])
    for obj in list(db.identity_map.values()):  # lines this session loaded before are read again when used
        if isinstance(obj, CountLine):
            db.expire(obj)
    return ScanResult(matched, unexpected, repeated)


def issues(db: Session, count: InventoryCount, viewer: User | None = None,
           ) -> list[tuple[str, CountLine, Asset | HiddenAsset | None]]:
    """The differences between the ledger and what was read, unresolved ones first. Each line's asset is one the
    count covers (``in_scope``), shown as ``viewer`` may see it (a confidential item of another unit: its tag)."""
    out = []
    # Only the lines that differ come back from the database: a count of thousands of items that were all found
    # where they should be loads nothing. Python then names each difference.
    differs = or_(CountLine.expected.is_(False), CountLine.seen.is_(False),
                  and_(CountLine.seen_location != "", Asset.location != CountLine.seen_location),
                  and_(CountLine.seen_condition != "", Asset.condition != CountLine.seen_condition))
    rows = db.exec(select(CountLine, Asset)
                   .outerjoin(Asset, (Asset.id == CountLine.asset_id) & in_scope(db, count))
                   .where(CountLine.count_id == count.id, differs).order_by(CountLine.id)).all()
    for line, asset in rows:
        if line.expected and not line.seen:
            out.append(("missing", line, asset))
        elif not line.expected:
            out.append(("unexpected", line, asset))
        else:
            if line.seen_location and asset and line.seen_location != asset.location:
                out.append(("wrong_place", line, asset))
            if line.seen_condition and asset and line.seen_condition != asset.condition:
                out.append(("wrong_condition", line, asset))
    out.sort(key=lambda t: bool(t[1].resolution))
    return out if viewer is None else [_as_seen(viewer, k, line, a) for k, line, a in out]


def _as_seen(viewer: User, kind: str, line: CountLine, asset: Asset | None,
             ) -> tuple[str, CountLine, Asset | HiddenAsset | None]:
    """A difference as ``viewer`` may see it: a confidential asset they may not see hides its tag too."""
    shown = asset_view(viewer, asset) if asset is not None else None
    if isinstance(shown, HiddenAsset):
        line = CountLine(**line.model_dump() | {"tag": HIDDEN})  # a copy for display, never added to the session
    return kind, line, shown


ALLOWED = {"missing": {"found", "lost"}, "unexpected": {"accepted", "moved"}, "wrong_place": {"moved", "accepted"},
           "wrong_condition": {"condition", "accepted"}}


@dataclass
class Settled:
    """What one settling action did: how many differences it settled, and the loss write-offs it applied for."""

    lines: int
    cases: list[str]


@transactional
def resolve(db: Session, actor: User, line_id: int, resolution: str, note: str = "") -> CountLine:
    """Settle one difference (the page's per-line form and the API's)."""
    line = visible(db, actor, CountLine, line_id)
    settle(db, actor, line.count_id, resolution, note, line_ids=[line.id])
    return line


@transactional
def settle(db: Session, actor: User, count_id: int, resolution: str, note: str = "",
           line_ids: list[int] | None = None, kind: str | None = None) -> Settled:
    """Settle many differences at once: the lines named (``line_ids``), or every unsettled one of a ``kind``.

    All or nothing: when a chosen line cannot be settled that way, nothing is. Items confirmed lost become one
    loss write-off (报损核销) per owning unit, not one per item. The differences are computed once, so a count of
    thousands of items is settled in one statement's worth of work."""
    count = visible_count(db, actor, count_id)
    _check_scope(actor, count)
    if count.status != "open":
        raise InvalidTransition("该盘点已结束。")
    if resolution not in RESOLUTIONS:
        raise InvalidInput("处理方式无效。", "resolution")
    if (line_ids is None) == (kind is None):
        raise InvalidInput("请勾选要处理的差异，或选择一类差异。", "lines")
    if kind is not None and kind not in COUNT_ISSUES:
        raise InvalidInput("差异类型无效。", "kind")
    open_lines: dict[int, tuple[list[str], CountLine, Asset | None]] = {}
    for k, line, asset in issues(db, count):
        if not line.resolution:
            open_lines.setdefault(line.id, ([], line, asset))[0].append(k)
    if line_ids is not None:
        gone = [i for i in line_ids if i not in open_lines]
        if gone:
            raise InvalidInput(f"所选的 {len(gone)} 处差异已处理或不属于本盘点，请刷新页面后重试。", "lines")
        chosen = [open_lines[i] for i in dict.fromkeys(line_ids)]
    else:
        chosen = [entry for entry in open_lines.values() if kind in entry[0]]
    if not chosen:
        raise InvalidInput("没有需要处理的差异。", "lines")
    wrong = [line.tag for kinds, line, _ in chosen if not any(resolution in ALLOWED[k] for k in kinds)]
    if wrong and len(chosen) == 1:
        raise InvalidInput("该差异不能这样处理。", "resolution")
    if wrong:
        raise InvalidInput(f"所选差异中有 {len(wrong)} 处不能“{RESOLUTIONS[resolution]}”（如 {wrong[0]}），"
                           "请按差异类型分别处理；未处理任何差异。", "resolution")
    note = note.strip()
    lost: dict[int, list[tuple[CountLine, Asset]]] = {}
    for _kinds, line, asset in chosen:
        if resolution == "found":
            line.seen = True
        elif resolution == "lost":
            if asset is None:
                raise InvalidInput(f"资产 {line.tag} 已不在本盘点范围内，不能在此报损；未处理任何差异。", "lines")
            lost.setdefault(asset.owner_unit_id, []).append((line, asset))
        elif resolution == "moved" and asset is not None:
            before = snapshot(asset)
            asset.location = line.seen_location or asset.location  # the owner stays; only the place is corrected
            stamp(asset)
            log_event(db, actor, "asset", asset.id, "relocate", f"盘点更正存放地点：{asset.location}", before,
                      snapshot(asset), ref=("count", count.id))
        elif resolution == "condition" and asset is not None:
            before = snapshot(asset)
            asset.condition = line.seen_condition
            stamp(asset)
            log_event(db, actor, "asset", asset.id, "recondition", f"盘点更正状况：{asset.condition}", before,
                      snapshot(asset), ref=("count", count.id))
            touch_listing(db, asset.listing_id)
        line.resolution = resolution
        line.note = note[:300]
    cases = []
    for pairs in lost.values():
        for _line, asset in pairs:
            if asset.status in ("listed", "reserved"):
                before = snapshot(asset)
                listing = asset.listing_id
                asset.status, asset.listing_id = "idle", None
                stamp(asset)
                log_event(db, actor, "asset", asset.id, "unlist", "盘点未找到，撤出公物池", before, snapshot(asset),
                          ref=("count", count.id))
                touch_listing(db, listing)
        case = apply_disposal(db, actor, [a.id for _, a in pairs], "loss_writeoff",
                              f"盘点未找到（{count.title}）{('：' + note) if note else ''}")
        cases.append(case.number)
        for line, _ in pairs:
            line.note = f"已申请损失核销：{case.number}"
    what = chosen[0][1].tag if len(chosen) == 1 else f"{len(chosen)} 处"
    log_event(db, actor, "count", count.id, "resolve", f"处理盘点差异 {what}：{RESOLUTIONS[resolution]}",
              after={"lines": [line.id for _, line, _ in chosen][:1000], "resolution": resolution})
    return Settled(len(chosen), cases)


@transactional
def close_count(db: Session, actor: User, count_id: int) -> InventoryCount:
    count = visible_count(db, actor, count_id)
    _check_scope(actor, count)
    if count.status != "open":
        raise InvalidTransition("该盘点已结束。")
    open_issues = [x for _, x, _ in issues(db, count) if not x.resolution]
    if open_issues:
        raise InvalidTransition(f"还有 {len(open_issues)} 处差异未处理，处理完才能结束盘点。")
    count.status, count.closed_at = "closed", utcnow()
    s = summary(db, count)
    settled = "；".join(f"{RESOLUTIONS[r]} {n} 处" for r, n in settlement(db, count).items())
    log_event(db, actor, "count", count.id, "close",
              f"结束盘点：账面 {s['expected']} 件，实盘 {s['found']} 件，准确率 {s['accuracy']}"
              f"{('；' + settled) if settled else '；无差异'}")
    return count


def settlement(db: Session, count: InventoryCount) -> dict[str, int]:
    """How the count's differences were settled: resolution -> lines, in the order of ``RESOLUTIONS``."""
    rows = dict(db.exec(select(CountLine.resolution, func.count()).where(
        CountLine.count_id == count.id, CountLine.resolution != "").group_by(CountLine.resolution)).all())
    return {r: rows[r] for r in RESOLUTIONS if rows.get(r)}


def _tally(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def summaries(db: Session, counts: list[InventoryCount]) -> dict[int, dict]:
    """Each count's figures (expected, found, missing, unexpected, accuracy), in one query for a page of counts."""
    ids = [c.id for c in counts]
    rows = {cid: (exp, found, extra) for cid, exp, found, extra in db.exec(
        select(CountLine.count_id, _tally(CountLine.expected.is_(True)),
               _tally(CountLine.expected.is_(True) & CountLine.seen.is_(True)), _tally(CountLine.expected.is_(False)))
        .where(CountLine.count_id.in_(ids)).group_by(CountLine.count_id)).all()} if ids else {}
    out = {}
    for cid in ids:
        expected, found, unexpected = rows.get(cid, (0, 0, 0))
        out[cid] = {"expected": expected, "found": found, "missing": expected - found, "unexpected": unexpected,
                    "accuracy": f"{found / expected * 100:.1f}%" if expected else "—",
                    "accuracy_value": found / expected if expected else None}
    return out


def summary(db: Session, count: InventoryCount) -> dict:
    return summaries(db, [count])[count.id]


def may_work(actor: User, count: InventoryCount) -> bool:
    """May ``actor`` scan, settle and close this count now (what ``record_reads``, ``resolve`` and ``close_count``
    accept)?"""
    try:
        _check_scope(actor, count)
    except PermissionDenied:
        return False
    return count.status == "open"


@dataclass
class CountView:
    """A count as its detail page and the API show it to ``actor``."""

    count: InventoryCount
    summary: dict
    issues: list[tuple[str, CountLine, Asset | HiddenAsset | None]]
    can_work: bool
    open_kinds: dict[str, int]  # kind -> unsettled differences of that kind, for "settle every … at once"
    settled: dict[str, int]  # resolution -> lines settled that way


def count_view(db: Session, actor: User, count: InventoryCount) -> CountView:
    shown = issues(db, count, actor)
    open_kinds: dict[str, int] = {}
    for kind, line, _ in shown:
        if not line.resolution:
            open_kinds[kind] = open_kinds.get(kind, 0) + 1
    return CountView(count, summary(db, count), shown, may_work(actor, count),
                     {k: open_kinds[k] for k in COUNT_ISSUES if k in open_kinds}, settlement(db, count))


def count_detail(db: Session, actor: User, count_id: int) -> CountView:
    return count_view(db, actor, visible_count(db, actor, count_id))


def count_scopes(db: Session, actor: User | None) -> dict[str, str]:
    """What ``actor`` may start a count of, for the start form: ``w:<id>`` a warehouse, ``u:<id>`` a unit."""
    actor = require_user(actor)
    out: dict[str, str] = {}
    if can(actor, "receive_items"):
        out |= {f"w:{i}": f"仓库：{n}" for i, n in warehouse_options(db, actor).items()}
    if actor.role in ("warehouse_admin", "unit_manager"):
        units = select(Unit.id, Unit.name).order_by(Unit.code)
        if actor.role in UNIT_ROLES:
            units = units.where(Unit.id == actor.unit_id)
        out |= {f"u:{i}": f"单位：{n}" for i, n in db.exec(units) if can(actor, "apply_disposal", i)}
    return out


def _places(db: Session, rows: list[InventoryCount]) -> dict[str, Any]:
    return {"warehouses": names(db, Warehouse, [c.warehouse_id for c in rows]),
            "units": names(db, Unit, [c.unit_id for c in rows]), "summary": summaries(db, rows)}


def _place(c: InventoryCount, x: dict[str, Any]) -> str:
    return x["warehouses"].get(c.warehouse_id, "") if c.warehouse_id else x["units"].get(c.unit_id, "")


def warehouse_options(db: Session, actor: User) -> dict[str, str]:
    """Every warehouse, for a list's filter or a form's select."""
    return {str(i): n for i, n in db.exec(select(Warehouse.id, Warehouse.name).order_by(Warehouse.code))}


def _figure(key: str) -> Any:
    return lambda c, x: x["summary"][c.id][key]


COUNT_LIST = ListSpec(
    key="counts", title="盘点", model=InventoryCount,
    columns=(
        Column("title", "盘点", lambda c, _: c.title),
        Column("place", "范围", _place),
        Column("started_at", "开始时间", lambda c, _: local_time(c.started_at)),
        Column("expected", "账面", _figure("expected")),
        Column("found", "实盘", _figure("found")),
        Column("missing", "盘亏", _figure("missing")),
        Column("unexpected", "盘盈", _figure("unexpected")),
        Column("accuracy", "准确率", _figure("accuracy")),
        Column("status", "状态", lambda c, _: c.status_label),
    ),
    sorts=by_id(InventoryCount.id) | {"closed": ("结束时间", latest(InventoryCount.closed_at, InventoryCount.id))},
    filters=(
        Filter("status", "状态", lambda v: InventoryCount.status == v, COUNT_STATUSES),
        Filter("unit", "单位", lambda v: InventoryCount.unit_id == v, options=own_unit_options),
        Filter("warehouse", "仓库", lambda v: InventoryCount.warehouse_id == v, options=warehouse_options),
    ),
    search=(numbered(InventoryCount.id), like(InventoryCount.title), named(InventoryCount.unit_id, Unit),
            named(InventoryCount.warehouse_id, Warehouse)),
    lookups=_places,
)
