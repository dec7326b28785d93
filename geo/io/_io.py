"""Reading agency files (CSV, XLSX, GeoJSON, GeoPackage) into one uniform table.

Agencies (OPD) send what their office software writes: CSV from Excel with ``;`` as the
delimiter and decimal commas, UTF-8 with or without BOM or Windows code page 1252, XLSX
workbooks, or GeoJSON/GeoPackage exported from QGIS. :func:`read_table` turns any of these
into a :class:`Table`: cell values as Python objects, normalised headers, the line number
of every row, and (for vector files) the geometry in EPSG:4326.

Line numbers follow the spreadsheet convention of :class:`~geo.exceptions.Problem`:

- CSV: the physical line in the file, so the header is line 1 and an editor shows the
  same number;
- XLSX: the sheet row number;
- GeoJSON / GeoPackage: the feature index + 2, as if the features were rows under a
  header line (feature 0 is "line 2").

Only unreadable files raise here; problems inside a readable file (a row with too many
values, a duplicated header) are collected in :attr:`Table.problems` so the importer can
report them together with its own.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS

from geo import schema
from geo.exceptions import InputError, Problem, SiapError, count_id
from geo.io._cells import write_csv
from geo.words import FALSE_WORDS as FALSE_WORDS  # re-exported: the word table io readers use
from geo.words import TRUE_WORDS as TRUE_WORDS
from geo.words import bool_word, normalise_word
from geo.words import normalise_text as normalise_text
from geo.words import parse_bool_words as parse_bool_words

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
GEOJSON_SUFFIXES = (".geojson", ".json")
GPKG_SUFFIXES = (".gpkg",)
SUPPORTED = "CSV, XLSX, GeoJSON, GeoPackage (.csv .xlsx .geojson .gpkg)"

LINE_RULES = {
    "csv": "line = line in the file (header = line 1)",
    "xlsx": "line = sheet row",
    "geojson": "line = feature index + 2 (as if the header were line 1)",
    "gpkg": "line = feature index + 2 (as if the header were line 1)",
}

# An agency table has a few dozen columns. Far more is a broken export or hostile input
# (a GeoPackage layer holds at most 2,000 columns, so such a file could never be stored).
MAX_COLUMNS = 500
# C0 control characters other than tab, line feed and carriage return, and DEL: a NUL
# silently cuts the value short in the GeoPackage (``Pan\0tai`` would be stored as ``Pan``)
# and no spreadsheet can hold the others.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Cell contents that mean "no value" in agency spreadsheets. ("none" is not among them:
# it is a real answer for signal and manager.)
BLANKS = frozenset({"", "-", "--", "—", "–", "n/a", "na", "null", "nan", "#n/a"})


@dataclass
class Table:
    """One agency file as rows of cells.

    Attributes
    ----------
    file
        The path as the user gave it (used in every :class:`Problem`).
    format
        ``csv``, ``xlsx``, ``geojson`` or ``gpkg``.
    frame
        Object-dtype cells, one column per header, named by :func:`normalise_header`.
    headers
        Normalised column name -> header as written in the file.
    lines
        Line number of each row (see the module docstring for the convention).
    geometry
        Feature geometry in EPSG:4326 aligned with ``frame`` (vector files), else None.
    source_crs
        The CRS the file declared (vector files), e.g. ``EPSG:32753``.
    problems
        Problems found while reading that do not stop the import from checking the rest.
    """

    file: str
    format: str
    frame: pd.DataFrame
    headers: dict[str, str]
    lines: np.ndarray
    geometry: gpd.GeoSeries | None = None
    source_crs: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)

    def column(self, aliases: Iterable[str], *, exclude: Iterable[str] = ()) -> str | None:
        """The first column matching one of ``aliases`` (in alias order), or None.

        A header matches when its normalised form, or its normalised form without any
        parenthesised part (``Lintang (Y)`` -> ``lintang``), equals the alias.
        """
        skip = set(exclude)
        short = {name: _normalise(re.sub(r"\(.*?\)|\[.*?\]", " ", self.headers[name]))
                 for name in self.frame.columns}
        for alias in aliases:
            for name in self.frame.columns:
                if name in skip:
                    continue
                if name == alias or short[name] == alias:
                    return str(name)
        return None


# --- header and cell normalisation ------------------------------------------------------


def _normalise(text: str) -> str:
    """A header key: :func:`normalise_text`'s word with non-word runs as ``_``."""
    return re.sub(r"[^\w]+", "_", normalise_word(str(text))).strip("_")


def normalise_header(header: object, position: int) -> str:
    """``' Lintang  (Y) '`` -> ``lintang_y``; an empty header becomes ``column_<n>``."""
    name = _normalise("" if header is None else str(header))
    return name or f"column_{position + 1}"


def is_blank(value: object) -> bool:
    """True for None, NaN and the placeholder strings in :data:`BLANKS`."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip().lower() in BLANKS
    return False


def text(value: object) -> str | None:
    """A cell as stripped text (None when blank). Integral floats lose their ``.0``."""
    if is_blank(value):
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return re.sub(r"\s+", " ", str(value)).strip()


_NUM_DOT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_NUM_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_NUM_ID = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.234.567,89 (Indonesian)
_NUM_EN = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,234,567.89


def number(value: object) -> float | None:
    """Parse a number written as an agency would write it; None when not a number.

    Accepts ``-4.55``, the Indonesian decimal comma ``-4,55``, thousands separators
    (``12.500,5`` and ``12,500.5``), a Unicode minus sign and surrounding spaces.
    """
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return None if math.isnan(v) else v
    if not isinstance(value, str):
        return None
    s = value.strip().replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    if _NUM_DOT.match(s):
        return float(s)
    if _NUM_COMMA.match(s):
        return float(s.replace(",", "."))
    if _NUM_ID.match(s):
        return float(s.replace(".", "").replace(",", "."))
    if _NUM_EN.match(s):
        return float(s.replace(",", ""))
    return None


_HEMI = {"ls": -1, "s": -1, "lu": 1, "n": 1, "bt": 1, "e": 1, "bb": -1, "w": -1}
_HEMI_AXIS = {"ls": "lat", "s": "lat", "lu": "lat", "n": "lat",
              "bt": "lon", "e": "lon", "bb": "lon", "w": "lon"}


def coordinate(value: object, axis: str) -> float | None:
    """Parse a latitude (``axis='lat'``) or longitude (``'lon'``) in decimal degrees.

    Besides :func:`number` it accepts a degree sign and an Indonesian or English
    hemisphere letter before or after the value: ``4,55 LS`` = ``-4.55``,
    ``136.88° BT`` = ``136.88`` (LS/S and BB/W are negative). A hemisphere of the
    other axis (``LS`` in a longitude column) is not a coordinate: None.
    """
    v = number(value)
    if v is not None or not isinstance(value, str):
        return v
    s = value.strip().lower().replace("°", " ").replace("º", " ")
    m = re.match(r"^([a-z]{1,2})?\s*([-+\u2212]?[\d.,]+)\s*([a-z]{1,2})?$", s)
    if not m or (m.group(1) and m.group(3)):
        return None
    hemi = m.group(1) or m.group(3)
    v = number(m.group(2))
    if v is None:
        return None
    if hemi is None:
        return v
    if hemi not in _HEMI or _HEMI_AXIS[hemi] != axis:
        return None
    return abs(v) * _HEMI[hemi]


def integer(value: object) -> int | None:
    """Parse a whole number (``12.500`` is twelve thousand five hundred); None if not."""
    if isinstance(value, str):
        s = value.strip().replace(" ", "")
        if re.match(r"^[+-]?\d{1,3}([.,]\d{3})+$", s):
            return int(re.sub(r"[.,]", "", s))
    v = number(value)
    if v is None or not float(v).is_integer():
        return None
    return int(v)


def boolean(value: object) -> bool | None:
    """Parse ya/tidak, yes/no, true/false, 1/0, ada/tidak ada; None when not one of them.

    The one yes/no word table of the project: :mod:`geo.words` (``"t"`` is *tidak*).
    """
    return bool_word(value)


# --- readers ----------------------------------------------------------------------------


def _sniff(head: bytes) -> str | None:
    """The format the content looks like, regardless of the file name."""
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"%PDF"):
        return "pdf"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "geojson"
    return None


def read_table(path: str | Path, *, prefer_layers: Sequence[str] = ()) -> Table:
    """Read an agency file of any supported format.

    Parameters
    ----------
    path
        A ``.csv`` (also ``.tsv``/``.txt``), ``.xlsx``, ``.geojson``/``.json`` or
        ``.gpkg`` file.
    prefer_layers
        For a GeoPackage with several layers, the layer names to take (first match).

    Raises
    ------
    InputError
        The file is missing, empty, corrupt, of an unsupported format, or its content
        does not match its extension.
    """
    path = Path(path)
    name = str(path)

    def fail(message: str) -> InputError:
        return InputError([Problem(name, message)])

    if not path.exists():
        raise fail("berkas tidak ditemukan")
    if path.is_dir():
        raise fail("ini folder, bukan berkas")
    if path.stat().st_size == 0:
        raise fail("berkas kosong")
    with path.open("rb") as fh:
        head = fh.read(64)
    suffix = path.suffix.lower()
    looks = _sniff(head)
    if suffix in TEXT_SUFFIXES:
        fmt = "csv"
    elif suffix in XLSX_SUFFIXES:
        fmt = "xlsx"
    elif suffix in GEOJSON_SUFFIXES:
        fmt = "geojson"
    elif suffix in GPKG_SUFFIXES:
        fmt = "gpkg"
    elif suffix == ".xls" or looks == "xls":
        raise fail("format Excel lama .xls tidak didukung (old .xls format): simpan sebagai "
                   ".xlsx (save as .xlsx)")
    else:
        hint = f"; isinya tampak seperti {looks.upper()}" if looks else ""
        raise fail(f"ekstensi '{suffix or '(tanpa)'}' tidak didukung; "
                   f"yang didukung: {SUPPORTED}{hint}")
    if looks is not None and looks != fmt:
        raise fail(f"ekstensi {suffix} tidak sesuai isi: isinya tampak seperti "
                   f"{looks.upper()}; ganti nama berkas atau ekspor ulang")
    if fmt in ("xlsx", "gpkg") and looks != fmt:
        raise fail(f"bukan berkas {fmt.upper()} yang sah (rusak atau "
                   "ekstensi salah)")
    if fmt == "csv":
        return _read_csv(path)
    if fmt == "xlsx":
        return _read_xlsx(path)
    return _read_vector(path, fmt, prefer_layers)


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")  # Excel's "Unicode text" export
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")  # Excel on Windows
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _delimiter(first_line: str) -> str:
    """The delimiter of a header line: the most frequent of ``;``, tab and ``,``."""
    counts = {d: first_line.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_table(
    name: str, fmt: str, header: Sequence[object], rows: list[list[object]], lines: list[int],
    header_line: int,
) -> Table:
    """Build a Table from a header row and data rows, reporting header/row-width problems."""
    if len(header) > MAX_COLUMNS:
        raise InputError([Problem(
            name, f"{count_id(len(header))} kolom: paling banyak "
            f"{count_id(MAX_COLUMNS)}; simpan hanya kolom data",
            line=header_line, field=str(header[MAX_COLUMNS]))])
    problems: list[Problem] = []
    names: list[str] = []
    headers: dict[str, str] = {}
    keep: list[int] = []
    for i, h in enumerate(header):
        n = normalise_header(h, i)
        blank_header = is_blank(h)
        if blank_header and all(i >= len(r) or is_blank(r[i]) for r in rows):
            continue  # an empty trailing column from a spreadsheet
        if n in headers:
            problems.append(Problem(name, f"kolom ganda '{h}': hanya yang pertama "
                                    "dipakai", line=header_line, field=str(h)))
            continue
        names.append(n)
        headers[n] = str(h) if not blank_header else n
        keep.append(i)
    width = len(header)
    cells: list[list[object]] = []
    for row, line in zip(rows, lines, strict=True):
        if len(row) > width and any(not is_blank(v) for v in row[width:]):
            problems.append(Problem(
                name,
                f"{len(row)} nilai, header punya {width} kolom: koma desimal di berkas yang "
                "dipisah koma? Beri tanda kutip pada nilainya atau pakai ';' sebagai pemisah",
                line=line,
            ))
        cells.append([row[i] if i < len(row) else None for i in keep])
    frame = pd.DataFrame(cells, columns=names, dtype=object)
    line_arr = np.asarray(lines, dtype=np.int64)
    problems.extend(_control_problems(name, frame, headers, line_arr))
    return Table(name, fmt, frame, headers, line_arr, problems=problems)


_JSON_CONTROL = re.compile(r"\\u00[01][0-9a-fA-F]|\\u007[fF]")


def _geojson_control_problems(path: Path, headers: dict[str, str]) -> list[Problem]:
    """Properties of a GeoJSON file holding control characters (``\\u0000`` escapes)."""
    import json

    raw = path.read_text(encoding="utf-8", errors="replace")
    if not _JSON_CONTROL.search(raw):
        return []  # the usual case: one regex scan, no second parse
    try:
        features = json.loads(raw).get("features") or []
    except (ValueError, AttributeError):
        return []
    by_header = {h: h for h in headers.values()}
    out: list[Problem] = []
    for k, feat in enumerate(features):
        props = feat.get("properties") if isinstance(feat, dict) else None
        for key, v in (props or {}).items():
            if isinstance(v, str) and (ch := CONTROL_CHARS.search(v)) is not None:
                out.append(Problem(
                    str(path), f"karakter kendali U+{ord(ch.group()):04X} dalam nilai (mis. "
                    "NUL): nilai akan terpotong; hapus karakter "
                    "itu", line=k + 2, field=by_header.get(str(key), str(key))))
    return out


def _control_problems(name: str, frame: pd.DataFrame, headers: dict[str, str],
                      lines: np.ndarray) -> list[Problem]:
    """Cells holding control characters (NUL, ...), one problem per cell."""
    out: list[Problem] = []
    for col in frame.columns:
        hit = np.fromiter((isinstance(v, str) and CONTROL_CHARS.search(v) is not None
                           for v in frame[col]), dtype=bool, count=len(frame))
        for i in np.flatnonzero(hit).tolist():
            ch = CONTROL_CHARS.search(str(frame[col].iat[i]))
            assert ch is not None
            out.append(Problem(
                name, f"karakter kendali U+{ord(ch.group()):04X} dalam nilai (mis. NUL): "
                "nilai akan terpotong; hapus karakter itu",
                line=int(lines[i]), field=headers[col]))
    return out


def _read_csv(path: Path) -> Table:
    name = str(path)
    text_ = _decode(path.read_bytes())
    if not text_.strip():
        raise InputError([Problem(name, "berkas kosong")])
    first = next(line for line in text_.splitlines() if line.strip())
    delim = "\t" if path.suffix.lower() == ".tsv" else _delimiter(first)
    reader = csv.reader(io.StringIO(text_, newline=""), delimiter=delim)
    header: list[str] | None = None
    header_line = 1
    rows: list[list[object]] = []
    lines: list[int] = []
    prev = 0
    try:
        for record in reader:
            start = prev + 1
            prev = reader.line_num
            if not any(c.strip() for c in record):
                continue
            if header is None:
                header, header_line = record, start
                continue
            rows.append(list(record))
            lines.append(start)
    except csv.Error as exc:
        raise InputError([Problem(name, f"CSV rusak (malformed CSV): {exc}", line=prev + 1)]) from None
    assert header is not None  # the text has a non-blank line
    return _header_table(name, "csv", header, rows, lines, header_line)


def _read_xlsx(path: Path) -> Table:
    import openpyxl

    name = str(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError([Problem(name, f"XLSX rusak: {exc}")]) from None
    except Exception as exc:  # openpyxl raises its own types for broken parts
        raise InputError([Problem(name, f"XLSX tidak bisa dibaca: "
                                  f"{type(exc).__name__}: {exc}")]) from None
    try:
        return _xlsx_first_sheet(name, wb)
    except InputError:
        raise
    except Exception as exc:
        # A sheet that is not valid XML, or XML with entity declarations (XXE, "billion
        # laughs"): defusedxml, used by openpyxl when installed, refuses those.
        raise InputError([Problem(name, f"XLSX rusak atau tidak aman : "
                                  f"{type(exc).__name__}: {exc}")]) from None
    finally:
        wb.close()


def _xlsx_first_sheet(name: str, wb: Any) -> Table:
    """The first sheet that holds anything, as a Table."""
    for sheet in wb.worksheets:
        header: tuple[Any, ...] | None = None
        header_line = 1
        rows: list[list[object]] = []
        lines: list[int] = []
        for r, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if all(is_blank(v) for v in values):
                continue
            if header is None:
                header, header_line = values, r
                continue
            rows.append([v.strip() if isinstance(v, str) else v for v in values])
            lines.append(r)
        if header is not None:  # the first sheet that holds anything
            # Later sheets are ignored: agencies often keep notes or pivots there.
            return _header_table(name, "xlsx", list(header), rows, lines, header_line)
    raise InputError([Problem(name, "lembar kerja kosong")])


def _read_vector(path: Path, fmt: str, prefer_layers: Sequence[str]) -> Table:
    name = str(path)
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:
        raise InputError([Problem(name, f"tidak bisa dibaca: {exc}")]) from None
    layers = [str(n) for n in listed[:, 0]]
    if not layers:
        raise InputError([Problem(name, "tidak ada layer")])
    layer = layers[0]
    if len(layers) > 1:
        wanted = [n for n in prefer_layers if n in layers]
        if not wanted:
            raise InputError([Problem(
                name,
                f"berkas punya beberapa layer ({', '.join(layers)}); simpan satu saja, "
                f"atau beri nama salah satu dari: {', '.join(prefer_layers)}",
            )])
        layer = wanted[0]
    try:
        data = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:
        raise InputError([Problem(name, f"tidak bisa dibaca: {exc}")]) from None
    geometry: gpd.GeoSeries | None = None
    source_crs: str | None = None
    if isinstance(data, gpd.GeoDataFrame):
        geoms = data.geometry
        if geoms.crs is None:
            # GeoPackages with an undefined SRS: assume WGS84; impossible coordinates
            # are reported row by row by the importer.
            geometry = gpd.GeoSeries(geoms.array, crs=schema.WGS84)
        else:
            crs = CRS(geoms.crs)
            source_crs = crs.to_string()
            try:
                geometry = geoms.to_crs(schema.WGS84)
            except Exception as exc:
                raise InputError([Problem(name, f"CRS {source_crs} tidak bisa diubah ke EPSG:4326: "
                                          f"{exc}")]) from None
        attrs = pd.DataFrame(data.drop(columns=data.geometry.name))
    else:
        attrs = pd.DataFrame(data)
    n = len(attrs)
    header = list(attrs.columns)
    frame_rows = attrs.astype(object).to_numpy().tolist() if n else []
    table = _header_table(name, fmt, header, frame_rows, list(range(2, n + 2)), 1)
    if fmt == "geojson":
        # GDAL cuts a string at an escaped NUL before we see it: look in the JSON itself.
        table.problems.extend(_geojson_control_problems(path, table.headers))
    table.geometry = None if geometry is None else geometry.reset_index(drop=True)
    table.source_crs = source_crs
    return table


def check_out_path(out: str | os.PathLike[str] | None, suffixes: tuple[str, ...]) -> Path | None:
    """Validate an output file's extension before any work is done.

    Raises
    ------
    SiapError
        Unknown extension (the message lists the accepted ones).
    """
    if out is None:
        return None
    path = Path(out)
    if path.suffix.lower() not in suffixes:
        raise SiapError(
            f"{path}: format keluaran tidak dikenal '{path.suffix or '(tanpa)'}'; "
            f"gunakan {', '.join(suffixes)}"
        )
    return path


def write_problems(error: InputError, path: str | os.PathLike[str]) -> Path:
    """Write every problem of ``error`` to a CSV file (``berkas;baris;kolom;masalah``), atomically.

    Cells are written as text (see :mod:`geo.io._cells`): a value quoted from the input
    cannot become a spreadsheet formula.
    """
    out = Path(path)
    frame = pd.DataFrame({
        "berkas": [p.file for p in error.problems],
        "baris": pd.array([p.line for p in error.problems], dtype="Int64"),
        "kolom": [p.field or "" for p in error.problems],
        "masalah": [p.message for p in error.problems],
    })
    write_csv(frame, out)
    return out
