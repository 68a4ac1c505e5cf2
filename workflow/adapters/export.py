"""Streamed exports (CSV and XLSX) of reports and of the rows behind them.

Why streamed: a year of a city's log book is millions of rows, so rows come from a
server-side cursor in batches (`yield_per`), CSV goes out line by line, and XLSX is
written by openpyxl's write-only workbook (rows go straight to a temporary file, not
kept in memory) and then sent in chunks and deleted. Memory stays bounded by the batch
size, whatever the number of rows.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import date, datetime
from typing import Callable, Iterable, Iterator, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.engine import Engine

BATCH = 2000
CHUNK = 64 * 1024
# a cell starting with one of these is read as a formula by spreadsheet programs
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutral(value):
    """Text a spreadsheet could run as a formula, made inert (OWASP, CSV Injection: prefix
    the cell with a single quote). Numbers and dates are left as they are; text is what
    people typed (notes, names) and is never meant as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def stream_rows(engine: Engine, stmt, batch: int = BATCH) -> Iterator[tuple]:
    """Rows of `stmt` fetched `batch` at a time through a server-side cursor."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        for row in result:
            yield tuple(row)


def local_value(tz) -> Callable[[object], object]:
    """Cell values: aware moments as local naive date-times (Excel has no time zones)."""
    def convert(value):
        if isinstance(value, datetime):
            return value.astimezone(tz).replace(tzinfo=None, microsecond=0)
        return value
    return convert


def csv_stream(header: Sequence[str], rows: Iterable[Sequence], convert=lambda v: v,
               lines_per_chunk: int = 500) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark so spreadsheet programs read Vietnamese right."""
    buf = io.StringIO()
    out = csv.writer(buf)
    buf.write("\ufeff")
    out.writerow([neutral(h) for h in header])
    n = 0
    for row in rows:
        out.writerow([neutral(_text(convert(v))) for v in row])
        n += 1
        if n % lines_per_chunk == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def _text(value) -> object:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def write_xlsx(path: str, sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]],
               convert=lambda v: v) -> None:
    """One write-only worksheet per (title, header, rows)."""
    wb = Workbook(write_only=True)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        bold = []
        for name in header:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = Font(bold=True)
            bold.append(cell)
        ws.append(bold)
        for row in rows:
            ws.append([neutral(convert(v)) for v in row])
    wb.save(path)


def xlsx_stream(sheets, convert=lambda v: v) -> Iterator[bytes]:
    """Write the workbook to a temporary file, then send it in chunks and delete it."""
    fd, path = tempfile.mkstemp(prefix="motcua-", suffix=".xlsx")
    os.close(fd)
    try:
        write_xlsx(path, sheets, convert)
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)
