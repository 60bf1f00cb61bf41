"""Reading an uploaded .xlsx workbook within fixed bounds of memory and time (issue 14, finding 2).

An .xlsx is a zip archive of XML; a 600 KB file can decompress to gigabytes (one shared string of 300 MB, a
shared-strings table referenced by millions of cells, 14 million empty ``<row/>`` elements). Every limit here
is checked while the file is read, before its content is kept:

- the archive: at most ``MAX_MEMBERS`` members, at most ``MAX_UNPACKED`` bytes declared in its directory, and
  the same budget counted on every byte actually decompressed (``_Counted``: a member that lies about its size
  cannot get past it either);
- the shared strings: at most ``MAX_CELLS`` of them, none longer than ``MAX_CELL_CHARS`` (Excel's own limit);
- the sheet, streamed row by row (openpyxl's worksheet parser in read-only mode, fed from the counted
  archive): at most ``MAX_SHEET_ROWS`` rows present in the file, ``MAX_CELLS`` cells in all, column numbers up
  to Excel's 16,384, and no cell longer than ``MAX_CELL_CHARS``. Rows missing from the file are not made up
  (openpyxl's own iterator would yield a million empty rows for one cell at row 1,048,576).

Whoever reads untrusted uploads also runs this in a worker process with a memory and time limit
(``market.infra.worker``), so whatever these checks miss cannot take the server's memory.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from market.errors import InvalidInput

MAX_MEMBERS = 2_000
MAX_UNPACKED = 256 * 1024 * 1024  # bytes of XML a workbook may decompress to, in all
MAX_SHEET_ROWS = 300_000  # rows present in one sheet's XML, blank ones included
MAX_CELLS = 6_000_000  # cells in one sheet (and shared strings in the workbook)
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
MAX_COLUMN = 16_384  # Excel's last column (XFD)

CORRUPT = "无法读取这个 Excel 文件：文件已损坏，或不是 .xlsx 格式的工作簿。"


class SheetTooLarge(InvalidInput):
    """The workbook passes one of the limits; nothing of it is used."""

    code = "file_too_large"
    status = 413


def _unpacked_too_big() -> SheetTooLarge:
    return SheetTooLarge(f"这个 Excel 文件解压后超过 {MAX_UNPACKED // 1024 // 1024} MB（文件中可能有异常的大量数据），"
                         "无法导入；请只保留资产台账这一张表，另存为新的 .xlsx 或 .csv 后再导入。", "file")


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise _unpacked_too_big()


class _Counted(io.RawIOBase):
    """A member of the archive, its decompressed bytes counted against the workbook's budget as they are read."""

    def __init__(self, raw: Any, budget: _Budget) -> None:
        self._raw = raw
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        self._budget.take(len(data))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while data := self.read(1 << 16):
                chunks.append(data)
            return b"".join(chunks)
        data = self._raw.read(size)
        self._budget.take(len(data))
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


class _CountedZip(zipfile.ZipFile):
    budget: _Budget

    def open(self, name: Any, mode: str = "r", pwd: bytes | None = None, *, force_zip64: bool = False) -> Any:
        raw = super().open(name, mode, pwd, force_zip64=force_zip64)
        return _Counted(raw, self.budget) if mode == "r" else raw


def _archive(data: bytes) -> _CountedZip:
    try:
        archive = _CountedZip(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidInput(CORRUPT, "file") from exc
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise SheetTooLarge(f"这个 Excel 文件包含 {len(infos)} 个部件，超过 {MAX_MEMBERS} 个，无法导入。", "file")
    if sum(i.file_size for i in infos) > MAX_UNPACKED:
        raise _unpacked_too_big()
    archive.budget = _Budget(MAX_UNPACKED)
    return archive


def _bounded_strings(source: Any) -> list[str]:
    """openpyxl's ``read_string_table`` with the limits: a count, and each string's length."""
    from openpyxl.cell.text import Text
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    strings: list[str] = []
    tag = f"{{{SHEET_MAIN_NS}}}si"
    for _, node in iterparse(source):
        if node.tag == tag:
            text = Text.from_tree(node).content.replace("x005F_", "")
            node.clear()
            if len(text) > MAX_CELL_CHARS:
                raise SheetTooLarge(f"这个 Excel 文件中有超过 {MAX_CELL_CHARS} 个字符的单元格文字，无法导入。", "file")
            strings.append(text)
            if len(strings) > MAX_CELLS:
                raise SheetTooLarge(f"这个 Excel 文件的文字超过 {MAX_CELLS} 段，无法导入。", "file")
    return strings


def read_workbook(data: bytes) -> Iterator[tuple[str, Iterator[tuple[int, tuple[Any, ...]]]]]:
    """Each sheet (the active one first) as (title, rows); each row is (its Excel row number, its values up to
    its last cell). Raises ``InvalidInput`` (``SheetTooLarge`` for a limit) rather than read past a limit."""
    import openpyxl.reader.excel as excel
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.xml.constants import SHARED_STRINGS

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            # openpyxl looks for <dimension> with an ElementTree iterparse that, when there is none, builds the
            # whole <sheetData> (14 million empty rows: gigabytes) before it gives up. The size is not needed,
            # so this override deliberately does nothing.
            return None

    class Reader(excel.ExcelReader):
        def read_strings(self) -> None:  # openpyxl's, with the limits
            ct = self.package.find(SHARED_STRINGS)
            if ct is not None:
                with self.archive.open(ct.PartName[1:]) as src:
                    self.shared_strings = _bounded_strings(src)

        def read_worksheets(self) -> None:  # openpyxl's for read-only, without the chart sheets
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                ws = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)

    archive = _archive(data)
    try:
        reader = Reader(io.BytesIO(data), read_only=True, data_only=True)
        reader.archive.close()
        reader.archive = archive  # every part openpyxl reads goes through the counted archive
        reader.read()
    except InvalidInput:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError, EOFError,
            SyntaxError) as exc:
        raise InvalidInput(CORRUPT, "file") from exc
    wb = reader.wb
    sheets = [ws for ws in wb.worksheets if hasattr(ws, "_get_source")]
    active = wb.active if hasattr(wb.active, "_get_source") else None
    if active is not None:
        sheets.remove(active)
        sheets.insert(0, active)
    try:
        for ws in sheets:
            yield ws.title, _rows(wb, ws)
    finally:
        archive.close()


def _rows(wb: Any, ws: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    from openpyxl.worksheet._reader import WorkSheetParser

    rows = cells = 0
    try:
        with ws._get_source() as src:
            parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                     date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
            for number, row in parser.parse():
                rows += 1
                cells += len(row)
                if rows > MAX_SHEET_ROWS:
                    raise SheetTooLarge(f"工作表“{ws.title}”超过 {MAX_SHEET_ROWS} 行（含空行），请只保留有数据的行，"
                                        "或拆分后分批导入。", "file")
                if cells > MAX_CELLS:
                    raise SheetTooLarge(f"工作表“{ws.title}”超过 {MAX_CELLS} 个单元格，请删去无关的列和行后再导入。",
                                        "file")
                if not row:
                    yield number, ()
                    continue
                width = row[-1]["column"]
                if width > MAX_COLUMN or number > 1_048_576:
                    raise InvalidInput(CORRUPT, "file")
                values: list[Any] = [None] * width
                for cell in row:
                    value = cell["value"]
                    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                        raise SheetTooLarge(f"工作表“{ws.title}”第 {number} 行有超过 {MAX_CELL_CHARS} 个字符的单元格，"
                                            "无法导入。", "file")
                    values[cell["column"] - 1] = value
                yield number, tuple(values)
    except InvalidInput:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, EOFError, SyntaxError) as exc:
        raise InvalidInput(CORRUPT, "file") from exc
