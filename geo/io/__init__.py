"""Reading and writing: the workspace GeoPackage, OSM extracts, Overpass, agency files, exports.

The public modules are :mod:`geo.io.workspace`, :mod:`geo.io.osm`, :mod:`geo.io.fetch`,
:mod:`geo.io.importers` and :mod:`geo.io.regions`. The helpers other packages share (table
reading, the output-path check, text-only CSV/XLSX cells, road sections) are re-exported here:
other packages import them from ``geo.io``, never from its private modules.
"""

from __future__ import annotations

from geo.io._cells import (
    ASSUMPTIONS_SHEET,
    FORMULA_START,
    Sheet,
    assumptions_sheet,
    csv_cell,
    csv_frame,
    csv_text,
    excel_writer,
    risky,
    sheet_name,
    text_cells,
    write_csv,
    write_workbook,
    write_xlsx,
)
from geo.io._io import (
    BLANKS,
    CONTROL_CHARS,
    GEOJSON_SUFFIXES,
    GPKG_SUFFIXES,
    LINE_RULES,
    MAX_COLUMNS,
    SUPPORTED,
    TEXT_SUFFIXES,
    XLSX_SUFFIXES,
    Table,
    boolean,
    check_out_path,
    coordinate,
    integer,
    is_blank,
    normalise_header,
    number,
    read_table,
    text,
    write_problems,
)
from geo.io._sections import road_sections, ruas_id, ruas_label, ruas_rows, section_keys

__all__ = [
    "ASSUMPTIONS_SHEET",
    "BLANKS",
    "CONTROL_CHARS",
    "FORMULA_START",
    "GEOJSON_SUFFIXES",
    "GPKG_SUFFIXES",
    "LINE_RULES",
    "MAX_COLUMNS",
    "SUPPORTED",
    "Sheet",
    "TEXT_SUFFIXES",
    "Table",
    "XLSX_SUFFIXES",
    "boolean",
    "assumptions_sheet",
    "check_out_path",
    "coordinate",
    "csv_cell",
    "csv_frame",
    "csv_text",
    "excel_writer",
    "sheet_name",
    "integer",
    "is_blank",
    "normalise_header",
    "number",
    "read_table",
    "risky",
    "road_sections",
    "ruas_id",
    "ruas_label",
    "ruas_rows",
    "section_keys",
    "text",
    "text_cells",
    "write_csv",
    "write_problems",
    "write_workbook",
    "write_xlsx",
]

