"""Import of a unit's asset ledger (资产台账) from an .xlsx workbook or a .csv file.

Three steps, so the web can preview before anything is written:

- ``parse_rows(source, filename)`` reads the file (no database): finds the header row, maps the Chinese
  column names to fields and turns every cell into a typed value, collecting every cell error.
- ``check_rows(db, unit, parsed)`` adds what needs the database (two or three queries in all): category
  codes, tags already in the system, duplicate tags inside the file, generated tags. It returns an
  ``ImportPlan`` with the items that would be created and every error.
- ``import_assets(db, actor, unit_id, source, filename)`` checks the permission, runs both steps and, only
  when no row has an error, writes all items and their events in one transaction with bulk inserts.
  ``preview_import`` runs the same checks and writes nothing.

Columns (header text is matched after removing spaces, ``*`` marks and anything in brackets, so
``原值（元）`` and ``*资产名称`` are understood). The first row of the first sheet that looks like a header
(within the first 20 rows) is the header; title rows above it are skipped. Unknown columns are ignored
(and listed in the result), fully blank rows are skipped. Row numbers in errors are the rows Excel shows.

=============  ==========================================================  ============================
field          accepted headers                                            values
=============  ==========================================================  ============================
tag            资产编号 资产编码 资产代码 编号 卡片编号 资产卡片号 标签号 条码       text ≤ 40 characters
name *         资产名称 名称 品名 物品名称 设备名称                             text ≤ 120
category *     资产分类代码 资产分类编码 分类代码 分类编码 资产分类 分类号 …          an existing Category.code
                                                                           (``A05010201 会议椅`` is fine)
model          规格型号 规格 型号 型号规格 规格/型号 (规格 and 型号 are joined)     text ≤ 80
brand          品牌 厂牌 生产厂家 厂家 制造商                                  text ≤ 60
quantity       数量 件数 台数                                              integer 1…10000, default 1
value          原值 价值 资产原值 原价 账面原值 金额 总价                       元 ≥ 0 (``1,234.50``,
                                                                           ``¥1234.5``); ``（万元）`` in
                                                                           the header scales by 10000
unit_price     单价                                                         元 ≥ 0 per item
purchase_date  取得日期 购置日期 购入日期 购买日期 采购日期 取得时间 购置时间      2023-05-01, 2023/5/1,
                                                                           2023年5月1日, 20230501,
                                                                           2023年5月 (→ day 1), Excel
                                                                           date cells and serials
condition      使用状况 资产状况 状况 新旧程度 完好程度 成色                     全新 良好 一般 待维修 报废
status         资产状态 状态 使用状态 在用状态                                 在用 (default) 闲置
location       存放地点 存放位置 存放地址 放置地点 所在位置 位置 地点             text ≤ 200
custodian      使用人/保管人 使用人 保管人 使用者 领用人                        text ≤ 60
responsible    责任人 负责人 资产责任人                                       text ≤ 60
confidential   是否涉密 涉密 涉密资产 密级                                     是/否 (also 秘密 机密 绝密 /
                                                                           非密 公开, 1/0, √)
=============  ==========================================================  ============================

Decisions:

- 数量 N > 1 creates N items. The row's 原值 is the value of the whole row (the way a batch asset card is
  kept) and is split evenly to the 分, the first items taking the leftover 分 so the sum is exact; a
  ``单价`` column gives the per-item value instead (when both are given they must agree). An empty tag
  gives N generated tags; a given tag ``T`` becomes ``T-001`` … ``T-N`` (``T`` itself for N = 1).
- Generated tags are ``tag_for(unit.code, year, seq)`` continuing after the unit's highest numeric tag
  of the year, skipping any tag the file itself uses.
- 使用状况 is the physical condition. Many ledgers put the national card's 使用状况 (在用/闲置/出租/出借/
  待处置) in that column: 在用 and 闲置 are taken as the asset's status (the condition stays the default
  良好), the others cannot be imported. Condition synonyms: 新→全新, 完好/正常/好/较好→良好, 较差/差→一般,
  损坏/故障/待修/维修→待维修, 待报废/已报废→报废. Empty: 良好.
- 资产状态 is 在用 (default) or 闲置 only: items on loan, in the pool or being disposed of get there through
  their own documents, never by import.
- Empty 原值 is 0.00; an empty 取得日期 stays empty; a 取得日期 after today is an error.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from market.access import UNIT_ROLES, require
from market.accounts import units
from market.assets import epc_for, tag_for
from market.catalogue import categories, leaf_categories
from market.errors import Conflict, InvalidInput
from market.fields import BIDI_MESSAGE, bidi_char, limit
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.infra.rows import get_or_404
from market.infra.sheets import xlsx_bytes
from market.infra.textfiles import decode_text
from market.infra.workbook_reader import MAX_CELL_CHARS, MAX_SHEET_ROWS, SheetTooLarge
from market.models import USABLE_CONDITIONS, Asset, Category, Event, Unit, User, utcnow
from market.pool.listings import post_idle_items

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000  # data rows in one file
MAX_ITEMS = 100_000  # items one import may create (rows × 数量)
MAX_QUANTITY = 10_000  # 数量 of one row, as for 入库
HEADER_SCAN_ROWS = 20
MAX_COLUMNS = 200
MAX_VALUE = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_LISTED_ERRORS = 1000  # errors a rejection lists (all are counted)
CATEGORY_CODE_LIMIT = 40
WRITE_CHUNK = 2000
PROGRESS_EVERY = 500
DEFAULT_CATALOGUE = "GB/T 14885-2022"
SHANGHAI = timezone(timedelta(hours=8))

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO
Progress = Callable[[int, int], None]


# --- errors and results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in the file: the Excel row (the header is row 1), the column as the file names it."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"第 {self.row} 行【{self.column}】：{self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


class ImportRejected(InvalidInput):
    """The file has errors; nothing was imported. ``errors`` lists every one of them."""

    code = "import_rejected"

    def __init__(self, errors: list[RowError], message: str | None = None, bad_rows: int | None = None,
                 error_count: int | None = None) -> None:
        errors = sorted(errors, key=lambda e: e.row)  # stable: a row's errors stay in column order
        self.bad_rows = bad_rows if bad_rows is not None else len({e.row for e in errors})
        count = max(error_count or 0, len(errors))
        self.errors = errors[:MAX_LISTED_ERRORS]  # a hostile file's millions of errors are not kept
        if message is None:
            message = f"共 {self.bad_rows} 行有误"
            if count > self.bad_rows:
                message += f"（{count} 处错误）"
            message += "，未导入任何数据。"
            if count > len(self.errors):
                message += f"下面列出前 {len(self.errors)} 处。"
        super().__init__(message, "file")

    def as_dict(self) -> dict:
        body = super().as_dict()
        body["error"]["rows"] = [e.as_dict() for e in self.errors]
        return body


@dataclass
class ImportResult:
    created: int
    seconds: float
    rows: int = 0  # data rows in the file
    asset_ids: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    sheet: str | None = None
    listings: list[dict[str, Any]] = field(default_factory=list)  # lots posted to the pool: id, title, quantity


# --- columns ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    field: str
    label: str  # the canonical Chinese header
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("tag", "资产编号", ("资产编号", "资产编码", "资产代码", "编号", "卡片编号", "卡片号", "资产卡片号",
                                   "资产卡片编号", "标签号", "资产标签号", "条码", "条形码", "资产条码")),
    ColumnSpec("name", "资产名称", ("资产名称", "名称", "品名", "物品名称", "设备名称"), required=True),
    ColumnSpec("category", "资产分类代码", ("资产分类代码", "资产分类编码", "分类代码", "分类编码", "资产分类号",
                                          "分类号", "国标分类代码", "资产分类", "资产类别代码", "类别代码"),
               required=True),
    ColumnSpec("model", "规格型号", ("规格型号", "规格", "型号", "型号规格", "规格/型号", "型号/规格")),
    ColumnSpec("brand", "品牌", ("品牌", "厂牌", "品牌商标", "生产厂家", "厂家", "制造商", "生产厂商")),
    ColumnSpec("quantity", "数量", ("数量", "件数", "台数", "资产数量")),
    ColumnSpec("value", "原值", ("原值", "价值", "资产原值", "原价", "账面原值", "金额", "总价", "总金额")),
    ColumnSpec("unit_price", "单价", ("单价",)),
    ColumnSpec("purchase_date", "取得日期", ("取得日期", "购置日期", "购入日期", "购买日期", "采购日期", "取得时间",
                                           "购置时间", "购入时间")),
    ColumnSpec("condition", "使用状况", ("使用状况", "资产状况", "状况", "新旧程度", "完好程度", "完好状况", "成色")),
    ColumnSpec("status", "资产状态", ("资产状态", "状态", "使用状态", "在用状态")),
    ColumnSpec("location", "存放地点", ("存放地点", "存放位置", "存放地址", "存放处", "放置地点", "放置位置",
                                      "所在位置", "所在地点", "位置", "地点")),
    ColumnSpec("custodian", "使用人/保管人", ("使用人/保管人", "保管人/使用人", "使用人保管人", "使用人", "保管人",
                                            "使用者", "领用人")),
    ColumnSpec("responsible", "责任人", ("责任人", "负责人", "资产责任人", "管理责任人")),
    ColumnSpec("confidential", "是否涉密", ("是否涉密", "涉密", "是否涉密资产", "涉密资产", "密级", "涉密情况")),
)
SPECS = {c.field: c for c in COLUMNS}
TEXT_LIMITS = {"name": limit(Asset.name), "model": limit(Asset.model), "brand": limit(Asset.brand),  # the columns'
               "location": limit(Asset.location), "custodian": limit(Asset.custodian),
               "responsible": limit(Asset.responsible_person)}
TAG_LIMIT = limit(Asset.tag)
_BRACKETS = re.compile(r"[(\[{<]([^)\]}>]*)[)\]}>]")


def _header_key(text: Any) -> tuple[str, str]:
    """(normalised header, what was in brackets): ``*原值（万元）`` → (``原值``, ``万元``)."""
    s = unicodedata.normalize("NFKC", str(text))
    inside = " ".join(_BRACKETS.findall(s))
    s = _BRACKETS.sub("", s)
    s = re.sub(r"[\s*★※:：]", "", s).lower()
    return s, inside


_ALIASES: dict[str, str] = {}
for _spec in COLUMNS:
    for _alias in _spec.aliases:
        _ALIASES[_header_key(_alias)[0]] = _spec.field


@dataclass(frozen=True)
class MappedColumn:
    index: int  # 0-based position in the row
    header: str  # as the file spells it
    field: str
    scale: Decimal = Decimal(1)  # 10000 for a 原值（万元） column


# --- reading the file -----------------------------------------------------------------------------------


@dataclass
class Table:
    """The raw cells: the header row and the data rows, each with its Excel row number."""

    header_row: int
    header: list[Any]
    rows: list[tuple[int, tuple[Any, ...]]]
    sheet: str | None = None


def _read_source(source: Source) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise InvalidInput("找不到要导入的文件。", "file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidInput(_too_big(path.stat().st_size), "file")
        data = path.read_bytes()
    else:  # a file object, e.g. an upload
        data = source.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(_too_big(len(data)), "file")
    return data


def _too_big(size: int) -> str:
    return f"文件太大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请拆分后分批导入。"


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def _kind(filename: str, data: bytes) -> str:
    ext = Path(filename or "").suffix.lower()
    if ext == ".xls":
        raise InvalidInput("不支持旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 或 .csv 后再导入。", "file")
    if ext not in (".xlsx", ".csv"):
        shown = ext or "（无扩展名）"
        raise InvalidInput(f"不支持 {shown} 文件，只能导入 Excel 工作簿（.xlsx）或 CSV 文件（.csv）。", "file")
    if not data:
        raise InvalidInput("文件是空的。", "file")
    if ext == ".xlsx":
        if data.startswith(OLE_MAGIC):
            raise InvalidInput("文件扩展名是 .xlsx，但内容是旧版 Excel（.xls）或加密的工作簿，"
                               "请在 Excel 中“另存为”不加密的 .xlsx 后再导入。", "file")
        if not data.startswith(ZIP_MAGIC):
            raise InvalidInput("文件扩展名是 .xlsx，但内容不是 Excel 工作簿，请检查文件。", "file")
        return "xlsx"
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC):
        raise InvalidInput("文件扩展名是 .csv，但内容是 Excel 工作簿，请把扩展名改为 .xlsx，"
                           "或在 Excel 中“另存为” CSV。", "file")
    return "csv"


def _read_xlsx(data: bytes) -> Iterator[tuple[str, Iterator[tuple[int, tuple[Any, ...]]]]]:
    from market.infra.workbook_reader import read_workbook

    return read_workbook(data)  # bounded: decompressed size, rows, cells, cell length (market/infra/workbook_reader.py)


def _read_csv(data: bytes) -> Iterator[tuple[str | None, Iterator[tuple[int, tuple[Any, ...]]]]]:
    text = decode_text(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max([",", "\t", ";"], key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        try:
            for number, row in enumerate(reader, start=1):
                if number > MAX_SHEET_ROWS:
                    raise SheetTooLarge(f"文件超过 {MAX_SHEET_ROWS} 行（含空行），请只保留有数据的行，或拆分后分批导入。",
                                        "file")
                if any(len(c) > MAX_CELL_CHARS for c in row):
                    raise SheetTooLarge(f"第 {reader.line_num} 行有超过 {MAX_CELL_CHARS} 个字符的单元格，无法导入。",
                                        "file")
                yield number, tuple(row)
        except csv.Error as exc:
            raise InvalidInput(f"CSV 文件格式有误（第 {reader.line_num} 行）：引号不配对或字段中有非法字符。",
                               "file") from exc

    yield None, rows()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _looks_like_header(cells: tuple[Any, ...]) -> bool:
    fields = {_ALIASES.get(_header_key(c)[0]) for c in cells if isinstance(c, str) and c.strip()}
    fields.discard(None)
    return "name" in fields or "category" in fields or len(fields) >= 3


def read_table(source: Source, filename: str | None = None) -> Table:
    """The file's header row and data rows, raw. Raises ``InvalidInput`` for a file that cannot be used."""
    if filename is None and isinstance(source, str | os.PathLike):
        filename = Path(source).name
    data = _read_source(source)
    kind = _kind(filename or "", data)
    sheets = _read_xlsx(data) if kind == "xlsx" else _read_csv(data)
    saw_content = False
    for sheet, rows in sheets:
        header: tuple[Any, ...] | None = None
        header_row = 0
        scanned = 0
        body: list[tuple[int, tuple[Any, ...]]] = []
        for number, cells in rows:
            if header is None:
                if all(_blank(c) for c in cells):
                    continue
                saw_content = True
                scanned += 1
                if _looks_like_header(cells):
                    header, header_row = cells[:MAX_COLUMNS], number
                elif scanned >= HEADER_SCAN_ROWS:
                    break
                continue
            cells = cells[: len(header)]
            if all(_blank(c) for c in cells):
                continue
            body.append((number, cells))
            if len(body) > MAX_ROWS:
                raise InvalidInput(f"文件超过 {MAX_ROWS} 行数据，请拆分后分批导入。", "file")
        if header is not None:
            if not body:
                raise InvalidInput("文件中只有表头，没有资产数据行。", "file")
            return Table(header_row, list(header), body, sheet)
    if not saw_content:
        raise InvalidInput("文件是空的：没有找到表头和数据。", "file")
    raise InvalidInput("没有找到表头：表格的第一行应当是列名，至少包含“资产名称”和“资产分类代码”。", "file")


def map_columns(table: Table) -> tuple[list[MappedColumn], list[str], list[RowError]]:
    """(mapped columns, ignored headers, missing required columns as errors)."""
    mapped: list[MappedColumn] = []
    ignored: list[str] = []
    for i, raw in enumerate(table.header):
        if _blank(raw):
            continue
        header = str(raw).strip()
        key, inside = _header_key(header)
        fld = _ALIASES.get(key)
        if fld is None:
            ignored.append(header)
            continue
        scale = Decimal(10000) if fld in ("value", "unit_price") and "万" in inside else Decimal(1)
        mapped.append(MappedColumn(i, header, fld, scale))
    present = {m.field for m in mapped}
    missing = [
        RowError(table.header_row, spec.label, f"缺少必填列“{spec.label}”")
        for spec in COLUMNS
        if spec.required and spec.field not in present
    ]
    return mapped, ignored, missing


# --- cell values ----------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message becomes the row error's reason."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


_SCI = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)
_MONEY_JUNK = re.compile(r"[¥,\s]|元|rmb|cny", re.IGNORECASE)


def parse_tag(value: Any) -> str:
    s = unicodedata.normalize("NFKC", _text(value)).strip()
    if not s:
        return ""
    if _SCI.match(s) and isinstance(value, str):
        raise CellError(f"资产编号显示为科学计数法（{s}），请在 Excel 中把该列设为“文本”后重新导出")
    if len(s) > TAG_LIMIT:
        raise CellError(f"资产编号超过 {TAG_LIMIT} 个字符")
    return s


def parse_money(value: Any, label: str, scale: Decimal = Decimal(1)) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"{label}不是数字")
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float) and value != value:  # NaN
            raise CellError(f"{label}不是数字")
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        s = unicodedata.normalize("NFKC", str(value))
        negative = s.strip().startswith("(") and s.strip().endswith(")")
        s = _MONEY_JUNK.sub("", s.strip("() "))
        try:
            amount = Decimal(s)
        except InvalidOperation:
            raise CellError(f"{label}不是数字") from None
        if negative:
            amount = -amount
    if not amount.is_finite():
        raise CellError(f"{label}不是数字")
    try:
        amount = (amount * scale).quantize(Decimal("0.01"), ROUND_HALF_UP)
    except InvalidOperation:
        raise CellError(f"{label}过大") from None
    if amount < 0:
        raise CellError(f"{label}不能为负数")
    if amount > MAX_VALUE:
        raise CellError(f"{label}过大")
    return amount


_QTY = re.compile(r"^(\d+)(\.0+)?\s*[件台把张套个只部辆组块本副]?$")


def parse_quantity(value: Any) -> int:
    if _blank(value):
        return 1
    if isinstance(value, bool):
        raise CellError("数量须为整数")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise CellError("数量须为整数")
        n = int(value)
    else:
        s = unicodedata.normalize("NFKC", str(value)).strip()
        m = _QTY.match(s)
        if m is None:
            if re.match(r"^-\d+$", s):
                raise CellError("数量须为不小于 1 的整数")
            raise CellError("数量须为整数")
        n = int(m.group(1))
    if n < 1:
        raise CellError("数量须为不小于 1 的整数")
    if n > MAX_QUANTITY:
        raise CellError(f"数量不能超过 {MAX_QUANTITY}")
    return n


_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?$")
_YM = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EARLIEST = date(1900, 1, 1)


def parse_date(value: Any, today: date) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        d = value.date()
    elif isinstance(value, date):
        d = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            d = _ymd(*_COMPACT.match(str(int(value))).groups())
        elif 1 <= value < 73051:  # an Excel serial day (1900-01-01 … 2099-12-31) that lost its format
            from openpyxl.utils.datetime import from_excel

            d = from_excel(value).date()
        else:
            raise CellError("取得日期不是有效日期")
    else:
        s = unicodedata.normalize("NFKC", str(value)).strip()
        m = _YMD.match(s) or _COMPACT.match(s)
        if m:
            d = _ymd(*m.groups())
        elif m := _YM.match(s):
            d = _ymd(m.group(1), m.group(2), "1")
        else:
            raise CellError("取得日期不是有效日期（应为 2023-05-01、2023/5/1 或 2023年5月1日）")
    if d < EARLIEST:
        raise CellError("取得日期早于 1900 年")
    if d > today:
        raise CellError("取得日期晚于今天")
    return d


def _ymd(y: str, m: str, d: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise CellError("取得日期不是有效日期") from None


CONDITION_WORDS = {
    "全新": "全新", "新": "全新", "新品": "全新",
    "良好": "良好", "完好": "良好", "好": "良好", "正常": "良好", "较好": "良好", "良": "良好",
    "一般": "一般", "中": "一般", "较差": "一般", "差": "一般", "旧": "一般", "陈旧": "一般",
    "待维修": "待维修", "待修": "待维修", "维修": "待维修", "需维修": "待维修", "损坏": "待维修", "故障": "待维修",
    "报废": "报废", "待报废": "报废", "已报废": "报废", "应报废": "报废",
}
STATUS_WORDS = {
    "在用": "in_use", "使用中": "in_use", "正常使用": "in_use", "in_use": "in_use",
    "闲置": "idle", "未使用": "idle", "空置": "idle", "idle": "idle",
}
# The national card's 使用状况 values that are states this import cannot create.
UNIMPORTABLE_STATES = {"出租", "出借", "出借中", "待处置", "处置中", "已处置", "在池", "维修中", "已核销", "对外投资",
                       "担保"}
YES = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "涉密", "秘密", "机密", "绝密"}
NO = {"否", "n", "no", "false", "0", "×", "✗", "非涉密", "不涉密", "非密", "公开", "无", "-"}


def parse_condition(value: Any) -> tuple[str | None, str | None]:
    """(condition, status) from a 使用状况 cell; one of them is None."""
    s = _text(value)
    if not s:
        return None, None
    if s in CONDITION_WORDS:
        return CONDITION_WORDS[s], None
    if s in STATUS_WORDS:
        return None, STATUS_WORDS[s]
    if s in UNIMPORTABLE_STATES:
        raise CellError(f"使用状况“{s}”不能导入：只能导入在用或闲置的资产")
    raise CellError(f"使用状况“{s}”无法识别，应为全新、良好、一般、待维修或报废")


def parse_status(value: Any) -> str | None:
    s = _text(value)
    if not s:
        return None
    if s in STATUS_WORDS:
        return STATUS_WORDS[s]
    raise CellError(f"资产状态只能为“在用”或“闲置”（填写的是“{s}”）")


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    s = unicodedata.normalize("NFKC", _text(value)).lower()
    if s in YES:
        return True
    if s in NO or not s:
        return False
    raise CellError(f"是否涉密须填“是”或“否”（填写的是“{_text(value)}”）")


# --- parsing rows -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RowDraft:
    """One data row, typed. ``tag`` empty: tags are generated."""

    row: int
    name: str = ""
    category_code: str = ""
    tag: str = ""
    quantity: int = 1
    value: Decimal | None = None  # the whole row's 原值
    unit_price: Decimal | None = None
    purchase_date: date | None = None
    condition: str = "良好"
    status: str = "in_use"
    brand: str = ""
    model: str = ""
    location: str = ""
    custodian: str = ""
    responsible: str = ""
    confidential: bool = False
    ok: bool = True


@dataclass
class ParsedFile:
    filename: str
    sheet: str | None
    header_row: int
    columns: list[MappedColumn]
    ignored_columns: list[str]
    rows: list[RowDraft]
    errors: list[RowError]  # the first MAX_LISTED_ERRORS of them
    error_count: int = 0  # all of them

    @property
    def item_count(self) -> int:
        return sum(r.quantity for r in self.rows if r.ok)

    def header_of(self, fld: str) -> str:
        return next((c.header for c in self.columns if c.field == fld), SPECS[fld].label)


def parse_rows(source: Source, filename: str | None = None, today: date | None = None) -> ParsedFile:
    """Read the file and type every cell; no database. Raises ``InvalidInput`` for an unusable file and
    ``ImportRejected`` when a required column is missing; cell errors are collected in ``errors``."""
    table = read_table(source, filename)
    filename = filename or (Path(source).name if isinstance(source, str | os.PathLike) else "")
    columns, ignored, missing = map_columns(table)
    if missing:
        names = "、".join(e.column for e in missing)
        raise ImportRejected(missing, f"缺少必填列：{names}，未导入任何数据。")
    today = today or datetime.now(SHANGHAI).date()
    by_field: dict[str, list[MappedColumn]] = {}
    for c in columns:
        by_field.setdefault(c.field, []).append(c)
    errors: list[RowError] = []
    drafts = [_parse_row(number, cells, by_field, today, errors) for number, cells in table.rows]
    for d in drafts:
        if not d.ok:  # never written: keep what the database checks need (tag, category), not the texts
            d.name = d.model = d.brand = d.location = d.custodian = d.responsible = ""
    return ParsedFile(filename, table.sheet, table.header_row, columns, ignored, drafts, errors[:MAX_LISTED_ERRORS],
                      len(errors))


def _cell(cells: tuple[Any, ...], col: MappedColumn) -> Any:
    return cells[col.index] if col.index < len(cells) else None


def _first(cells: tuple[Any, ...], cols: list[MappedColumn]) -> tuple[Any, MappedColumn]:
    """The first non-blank cell of the columns mapped to one field (e.g. 使用人 then 保管人)."""
    for col in cols:
        value = _cell(cells, col)
        if not _blank(value):
            return value, col
    return None, cols[0]


def _parse_row(number: int, cells: tuple[Any, ...], by_field: dict[str, list[MappedColumn]], today: date,
               errors: list[RowError]) -> RowDraft:
    d = RowDraft(row=number)
    implied: tuple[str, MappedColumn] | None = None  # a status word (在用/闲置) found in 使用状况

    def fail(col: MappedColumn, reason: str) -> None:
        errors.append(RowError(number, col.header, reason))
        d.ok = False

    for fld, cols in by_field.items():
        if fld == "model":  # 规格 and 型号 in two columns are joined
            parts = [_text(_cell(cells, c)) for c in cols]
            value, col = " ".join(p for p in parts if p), cols[0]
        else:
            value, col = _first(cells, cols)
        try:
            if fld in TEXT_LIMITS:
                text = _text(value)
                setattr(d, fld, text[: TEXT_LIMITS[fld]])  # an over-long text is an error; what is kept is bounded
                if len(text) > TEXT_LIMITS[fld]:
                    raise CellError(f"{SPECS[fld].label}超过 {TEXT_LIMITS[fld]} 个字")
                if bidi_char(text):
                    raise CellError(f"{SPECS[fld].label}{BIDI_MESSAGE}")
            elif fld == "category":
                code = unicodedata.normalize("NFKC", _text(value)).strip()
                if len(code) > CATEGORY_CODE_LIMIT:
                    raise CellError(f"资产分类代码超过 {CATEGORY_CODE_LIMIT} 个字符")
                if code:
                    d.category_code = code
            elif fld == "tag":
                d.tag = parse_tag(value)
            elif fld == "quantity":
                d.quantity = parse_quantity(value)
            elif fld == "value":
                d.value = parse_money(value, "原值", col.scale)
            elif fld == "unit_price":
                d.unit_price = parse_money(value, "单价", col.scale)
            elif fld == "purchase_date":
                d.purchase_date = parse_date(value, today)
            elif fld == "condition":
                condition, status = parse_condition(value)
                d.condition = condition or d.condition
                if status:
                    implied = (status, col)
            elif fld == "status":
                d.status = parse_status(value) or "in_use"
            elif fld == "confidential":
                d.confidential = parse_bool(value)
        except CellError as exc:
            fail(col, str(exc))
    # cross-field rules
    if not d.name:
        fail(by_field["name"][0], "资产名称不能为空")
    if not d.category_code:
        fail(by_field["category"][0], "资产分类代码不能为空")
    if implied is not None:
        if "status" not in by_field or _blank(_first(cells, by_field["status"])[0]):
            d.status = implied[0]
        elif implied[0] != d.status:
            fail(implied[1], "使用状况与资产状态矛盾")
    if d.ok and d.unit_price is not None and d.value is not None:
        if (d.unit_price * d.quantity).quantize(Decimal("0.01")) != d.value:
            fail(by_field["value"][0], f"原值 {d.value} 与单价 × 数量（{d.unit_price} × {d.quantity}）不符")
    return d


# --- checking against the database ------------------------------------------------------------------------


@dataclass
class ImportPlan:
    parsed: ParsedFile
    unit: Unit
    errors: list[RowError]
    items: list[dict[str, Any]]  # one dict per asset to create (no id), with "_row"

    @property
    def ok(self) -> bool:
        return not self.errors

    def rejected(self) -> ImportRejected:
        """The refusal listing the first errors and counting all of them (rows: every row marked not ok)."""
        return ImportRejected(self.errors, bad_rows=sum(1 for d in self.parsed.rows if not d.ok) or None,
                              error_count=self.parsed.error_count + len(self.errors) - len(self.parsed.errors))


@dataclass
class CategoryCode:
    id: int | None  # None when the code is in several catalogues and none is the default
    name: str
    is_leaf: bool


def _categories(db: Session) -> dict[str, CategoryCode]:
    """code (upper case) → the category it names."""
    found: dict[str, list[tuple[int, str, str, bool]]] = {}
    for cid, code, catalogue, name, leaf in db.exec(
            select(Category.id, Category.code, Category.catalogue, Category.name, Category.is_leaf)):
        found.setdefault(code.strip().upper(), []).append((cid, catalogue, name, leaf))
    out: dict[str, CategoryCode] = {}
    for code, rows in found.items():
        if len(rows) == 1:
            out[code] = CategoryCode(rows[0][0], rows[0][2], rows[0][3])
        else:
            default = [r for r in rows if r[1] == DEFAULT_CATALOGUE]
            out[code] = (CategoryCode(default[0][0], default[0][2], default[0][3]) if len(default) == 1
                         else CategoryCode(None, rows[0][2], rows[0][3]))
    return out


# A code followed by its name ("A05010201 会议椅", "A05010201-会议椅"); a code run on into more letters or digits
# ("A0502XXXX") is not a code followed by anything: it is refused, never filed under the group it starts with.
_CODE_AND_NAME = re.compile(r"^([A-Za-z]?\d+)(?:[\s:：\-—|/（(].*)?$")


def _category_id(code: str, categories: dict[str, CategoryCode]) -> int | None | str:
    """The category a row names: its exact code (optionally followed by its name). "missing" when no category has
    that code, "group" when it names a group rather than a leaf (items are filed under leaves only)."""
    key = code.strip().upper()
    hit = categories.get(key)
    if hit is None:
        m = _CODE_AND_NAME.match(key)
        hit = categories.get(m.group(1)) if m else None
    if hit is None:
        return "missing"
    if not hit.is_leaf:
        return "group"
    return hit.id


def _existing_tags(db: Session, tags: Iterable[str]) -> set[str]:
    tags = list(tags)
    found: set[str] = set()
    for i in range(0, len(tags), 500):
        found.update(db.exec(select(Asset.tag).where(Asset.tag.in_(tags[i : i + 500]))))
    return found


def _numbered_tags(db: Session, prefix: str) -> tuple[int, set[str]]:
    """(highest numeric sequence, all tags) of the tags starting with ``prefix``."""
    tags = set(db.exec(select(Asset.tag).where(Asset.tag.startswith(prefix, autoescape=True))))
    seqs = [int(t[len(prefix):]) for t in tags if t[len(prefix):].isdigit()]
    return max(seqs, default=0), tags


def _expand_tags(tag: str, n: int) -> list[str]:
    if n == 1:
        return [tag]
    width = max(3, len(str(n)))
    return [f"{tag}-{i:0{width}d}" for i in range(1, n + 1)]


def _split(total: Decimal, n: int) -> list[Decimal]:
    """``total`` in ``n`` shares to the 分; the first shares take the leftover 分."""
    if n == 1:
        return [total]
    base = (total / n).quantize(Decimal("0.01"), ROUND_DOWN)
    extra = int(((total - base * n) * 100).to_integral_value())
    cent = Decimal("0.01")
    return [base + cent if i < extra else base for i in range(n)]


def check_rows(db: Session, unit: Unit, parsed: ParsedFile, progress: Progress | None = None,
               total: int | None = None) -> ImportPlan:
    """Everything that needs the database, for every row; builds the items to create."""
    errors = list(parsed.errors)
    categories = _categories(db)
    tag_header = parsed.header_of("tag")
    cat_header = parsed.header_of("category")
    # tags given in the file, expanded by 数量; the first row that uses a tag owns it
    first_use: dict[str, int] = {}
    row_tags: dict[int, list[str]] = {}
    for d in parsed.rows:
        if not d.tag:
            continue
        tags = _expand_tags(d.tag, d.quantity)
        if any(len(t) > TAG_LIMIT for t in tags):
            errors.append(RowError(d.row, tag_header, f"资产编号加上序号后超过 {TAG_LIMIT} 个字符"))
            d.ok = False
            continue
        clash = next((t for t in tags if t in first_use), None)
        if clash is not None:
            shown = "资产编号" if clash == d.tag else f"资产编号 {clash} "
            errors.append(RowError(d.row, tag_header, f"{shown}重复（与第 {first_use[clash]} 行）"))
            d.ok = False
            continue
        for t in tags:
            first_use[t] = d.row
        row_tags[d.row] = tags
    in_db = _existing_tags(db, first_use)
    year = utcnow().year
    prefix = f"{unit.code}-{year}-"
    last_seq, prefixed = _numbered_tags(db, prefix)
    taken = prefixed | first_use.keys()
    now = utcnow()
    items: list[dict[str, Any]] = []
    total = total or len(parsed.rows)
    for i, d in enumerate(parsed.rows, start=1):
        if progress and i % PROGRESS_EVERY == 0:
            progress(i, total)
        cid = _category_id(d.category_code, categories) if d.category_code else None
        if cid == "missing":
            errors.append(RowError(d.row, cat_header, f"资产分类代码 {d.category_code} 不存在（可用的代码见导入模板的“分类代码”表）"))
            d.ok = False
        elif cid == "group":
            group = categories[_CODE_AND_NAME.match(d.category_code.strip().upper()).group(1)]
            errors.append(RowError(d.row, cat_header, f"资产分类代码 {d.category_code}（{group.name}）是分类组，"
                                                      "请填写其下的末级分类代码（见导入模板的“分类代码”表）"))
            d.ok = False
        elif cid is None and d.category_code:
            errors.append(RowError(d.row, cat_header, f"资产分类代码 {d.category_code} 在多个分类目录中都有，无法确定"))
            d.ok = False
        tags = row_tags.get(d.row)
        if tags:
            hit = next((t for t in tags if t in in_db), None)
            if hit is not None:
                shown = "资产编号" if hit == d.tag else f"资产编号 {hit} "
                errors.append(RowError(d.row, tag_header, f"{shown}已在系统中"))
                d.ok = False
        if not d.ok or errors:  # once anything is wrong, only keep checking
            continue
        if not tags:
            tags = []
            for _ in range(d.quantity):
                last_seq += 1
                while tag_for(unit.code, year, last_seq) in taken:
                    last_seq += 1
                tags.append(tag_for(unit.code, year, last_seq))
        values = [d.unit_price] * d.quantity if d.unit_price is not None else _split(d.value or Decimal(0), d.quantity)
        for tag, value in zip(tags, values, strict=True):
            items.append({
                "_row": d.row,
                "tag": tag, "epc": epc_for(tag), "name": d.name, "category_id": cid, "brand": d.brand,
                "model": d.model, "owner_unit_id": unit.id, "warehouse_id": None, "custodian": d.custodian,
                "responsible_person": d.responsible, "location": d.location, "condition": d.condition,
                "original_value": value, "purchase_date": d.purchase_date, "photos": [], "status": d.status,
                "confidential": d.confidential, "listing_id": None, "created_at": now, "updated_at": now,
            })
    if not errors and len(items) > MAX_ITEMS:
        raise InvalidInput(f"本次导入将生成 {len(items)} 件资产，超过单次上限 {MAX_ITEMS} 件，请拆分后分批导入。", "file")
    return ImportPlan(parsed, unit, sorted(errors, key=lambda e: e.row), items if not errors else [])


# --- the services -----------------------------------------------------------------------------------------


def _summary(filename: str, row: int) -> str:
    name = filename if len(filename) <= 200 else filename[:95] + "…" + filename[-95:]
    return f"从台账导入（文件 {name} 第 {row} 行）"


TEMPLATE_EXAMPLE = {"tag": "", "name": "会议椅", "category": "A05010201", "model": "AD-01", "brand": "震旦",
                    "quantity": 10, "value": 3000, "unit_price": "", "purchase_date": date(2023, 5, 1),
                    "condition": "良好", "status": "闲置", "location": "三楼会议室", "custodian": "张三",
                    "responsible": "李四", "confidential": "否"}


def template_workbook(db: Session) -> bytes:
    """The import template: a sheet with every column this import reads (required ones marked *) and one example
    row, a sheet of the leaf category codes a row may name, and a sheet saying how each column is read."""
    leaves = leaf_categories(db)
    names = {c.id: c.name for c in categories(db)}
    example = dict(TEMPLATE_EXAMPLE)
    if leaves and not any(c.code == example["category"] for c in leaves):
        example["category"], example["name"] = leaves[0].code, leaves[0].name
    headers = [("*" if c.required else "") + c.label for c in COLUMNS]
    notes = [
        ("资产编号", "留空时自动生成；数量大于 1 时在编号后加 -001、-002 …"),
        ("资产名称", "必填"),
        ("资产分类代码", "必填；填“分类代码”表中的末级代码（可在代码后加空格和名称）"),
        ("数量", "整数 1～10000，默认 1；大于 1 时生成多件"),
        ("原值", "整行的原值（元）；也可改填“单价”"),
        ("取得日期", "如 2023-05-01、2023/5/1、2023年5月1日"),
        ("使用状况", "全新、良好、一般、待维修、报废"),
        ("资产状态", "在用（默认）或闲置"),
        ("是否涉密", "是 / 否"),
    ]
    return xlsx_bytes([
        ("资产台账", headers, [[example[c.field] for c in COLUMNS]]),
        ("分类代码", ["分类代码", "分类名称", "上级分类", "计量单位"],
         [[c.code, c.name, names.get(c.parent_id, ""), c.measure_unit] for c in leaves]),
        ("填写说明", ["列", "说明"], notes),
    ])


def preview_import(db: Session, actor: User, unit_id: int, source: Source, filename: str | None = None) -> ImportPlan:
    """Everything ``import_assets`` checks, without writing; the web shows ``plan.errors`` or the items."""
    require(actor, "import_assets", unit_id)
    parsed = parse_rows(source, filename)
    unit = get_or_404(db, Unit, unit_id, "unit_id")
    return check_rows(db, unit, parsed)


def _postable(item: dict[str, Any]) -> bool:
    """An imported item bulk posting puts in the pool: marked 闲置, usable, not confidential."""
    return item["status"] == "idle" and not item["confidential"] and item["condition"] in USABLE_CONDITIONS


def _post_idle(db: Session, actor: User, asset_ids: list[int], done: int, total: int,
               progress: Progress | None) -> list[dict[str, Any]]:
    """Post the imported idle items to the pool, one lot per category, in the import's transaction."""
    groups: dict[int, list[int]] = {}
    for asset_id, category_id in db.exec(
        select(Asset.id, Asset.category_id).where(Asset.id.in_(asset_ids), Asset.status == "idle",
                                                   Asset.confidential.is_(False),
                                                   Asset.condition.in_(USABLE_CONDITIONS)).order_by(Asset.id)
    ):
        groups.setdefault(category_id, []).append(asset_id)
    out = []
    for ids in groups.values():
        listing = post_idle_items(db, actor, ids)
        out.append({"id": listing.id, "title": listing.title, "quantity": len(ids)})
        done += len(ids)
        if progress:
            progress(done, total)
    return out


def import_units(db: Session, actor: User) -> list[Unit]:
    """The units ``actor`` may import a ledger into (their own unit for a unit role); refused when none."""
    own = actor.unit_id if actor.role in UNIT_ROLES else None
    require(actor, "import_assets", own)
    return [get_or_404(db, Unit, own)] if own is not None else units(db)


def check_import(db: Session, actor: User, unit_id: int, post_idle: bool = False) -> Unit:
    """Refuse an import ``actor`` may not start (before the file is read in the background): the unit, the right
    to import into it, and to post its idle items."""
    require(actor, "import_assets", unit_id)
    if post_idle:
        require(actor, "post_listing", unit_id)
    return get_or_404(db, Unit, unit_id, "unit")


def parse_upload(source: Source, filename: str | None = None) -> ParsedFile:
    """``parse_rows`` for a file from outside: in a worker process with a memory and a time limit
    (``market.infra.worker``), so a hostile file costs the server nothing; the server gets the typed rows."""
    from market.infra import worker

    if filename is None and isinstance(source, str | os.PathLike):
        filename = Path(source).name
    return worker.run(parse_rows, _read_source(source), filename)


def import_upload(user_id: int, unit_id: int, source: Source, filename: str | None = None,
                  progress: Progress | None = None, post_idle: bool = False) -> ImportResult:
    """The import of an uploaded file (the import page's job, the ``import`` command), each step where it costs
    the least: the file is read in a worker process (``parse_upload``: no database); the rows are checked in a
    read transaction (a file with errors never takes SQLite's write lock); only then ``import_assets`` checks
    them again and writes, in one write transaction. Raises ``ImportRejected`` with every error."""
    from market.accounts import user_by_id
    from market.infra.db import session_scope

    parsed = parse_upload(source, filename)
    with session_scope() as db:
        actor = user_by_id(db, user_id)
        require(actor, "import_assets", unit_id)
        plan = check_rows(db, get_or_404(db, Unit, unit_id, "unit_id"), parsed)
    if plan.errors:
        raise plan.rejected()
    with session_scope(write=True) as db:
        return import_assets(db, user_by_id(db, user_id), unit_id, parsed, progress=progress, post_idle=post_idle)


def upload_job(user_id: int, unit_id: int, data: bytes, filename: str, post_idle: bool = False,
               ) -> Callable[[Progress], dict[str, Any]]:
    """The background job of an uploaded ledger (the import page's and the API's): its result is what the status
    page and ``GET /api/imports/{job}`` show — the items created, or every row error."""

    def work(progress: Progress) -> dict[str, Any]:
        try:
            result = import_upload(user_id, unit_id, data, filename, progress=progress, post_idle=post_idle)
        except ImportRejected as exc:
            return {"ok": False, "message": exc.message, "total": 0,
                    "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in exc.errors]}
        return {"ok": True, "created": result.created, "seconds": round(result.seconds, 2),
                "total": result.created, "listings": result.listings}

    return work


@transactional
def import_assets(
    db: Session,
    actor: User,
    unit_id: int,
    source: Source | ParsedFile,
    filename: str | None = None,
    progress: Progress | None = None,
    post_idle: bool = False,
) -> ImportResult:
    """Import a unit's ledger: every row is checked first; then all items are written, or none.

    ``source`` is a file (read here, in this process) or a ``ParsedFile`` read beforehand (``import_upload``
    reads an uploaded one in a worker process, outside the transaction).

    With ``post_idle`` the items marked 闲置 (usable, not confidential) are posted to the pool as one lot per
    category in the same transaction: a crash or an error leaves neither the items nor their lots.

    ``progress(done, total)`` is called now and then: ``total`` is the file's data rows (checked) plus the
    items to create (written) plus the items to post, so a command-line bar can wrap it.
    """
    started = time.perf_counter()
    require(actor, "import_assets", unit_id)
    if post_idle:
        require(actor, "post_listing", unit_id)
    parsed = source if isinstance(source, ParsedFile) else parse_rows(source, filename)
    # Lock the unit row while tags are generated (PostgreSQL); SQLite's writer holds the database lock.
    unit = db.exec(select(Unit).where(Unit.id == unit_id).with_for_update()).first()
    if unit is None:
        get_or_404(db, Unit, unit_id, "unit_id")
    total = len(parsed.rows) + parsed.item_count
    plan = check_rows(db, unit, parsed, progress, total)
    if plan.errors:
        raise plan.rejected()
    if post_idle:
        total += sum(1 for item in plan.items if _postable(item))
    done = len(parsed.rows)
    if progress:
        progress(done, total)
    asset_ids: list[int] = []
    at = utcnow()
    try:
        for start in range(0, len(plan.items), WRITE_CHUNK):
            chunk = plan.items[start : start + WRITE_CHUNK]
            rows_of = {item["tag"]: item.pop("_row") for item in chunk}
            result = db.execute(insert(Asset).returning(Asset.id, Asset.tag, sort_by_parameter_order=True), chunk)
            events = []
            for (asset_id, tag), item in zip(result, chunk, strict=True):
                asset_ids.append(asset_id)
                events.append({
                    "at": at, "actor_id": actor.id, "entity": "asset", "entity_id": asset_id, "action": "import",
                    "summary": _summary(parsed.filename, rows_of[tag]), "before": None,
                    "after": {"status": item["status"], "owner_unit_id": unit.id, "condition": item["condition"],
                              "listing_id": None, "custodian": item["custodian"]},
                    "ref_entity": None, "ref_id": None,
                })
            db.execute(insert(Event), events)
            done += len(chunk)
            if progress:
                progress(done, total)
    except IntegrityError as exc:
        raise Conflict("写入时资产编号与系统中的数据冲突（可能有人同时在录入），未导入任何数据，请重新导入。",
                       "file") from exc
    log_event(db, actor, "unit", unit.id, "import_assets",
              f"从台账导入 {len(asset_ids)} 件资产（文件 {parsed.filename}）"[:300],
              after={"created": len(asset_ids), "rows": len(parsed.rows), "file": parsed.filename[:200]})
    listings = _post_idle(db, actor, asset_ids, done, total, progress) if post_idle else []
    return ImportResult(
        created=len(asset_ids),
        seconds=time.perf_counter() - started,
        rows=len(parsed.rows),
        asset_ids=asset_ids,
        ignored_columns=parsed.ignored_columns,
        sheet=parsed.sheet,
        listings=listings,
    )


__all__ = [
    "COLUMNS", "ImportPlan", "ImportRejected", "ImportResult", "ParsedFile", "RowDraft", "RowError",
    "check_import", "check_rows", "import_assets", "import_units", "import_upload", "parse_rows", "parse_upload",
    "preview_import", "read_table",
]

