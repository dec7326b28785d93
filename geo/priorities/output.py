"""Files of the priorities and scenario steps: CSV, formatted XLSX, GeoPackage.

Used by :mod:`geo.steps`. Every file states its assumptions: the XLSX in a
sheet 'Asumsi', the GeoPackage in a table ``asumsi``, the CSV in its ``assumptions`` column.
Files are written beside the target and moved into place, so a failure leaves no half file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyogrio

from geo import schema
from geo._config import ConfigText
from geo.io import Sheet, assumptions_sheet, check_out_path, write_csv, write_workbook
from geo.io.workspace import atomic_write
from geo.network import NetworkConfig
from geo.priorities.config import PrioritiesConfig, assumption_rows
from geo.priorities.scenario import ScenarioResult
from geo.priorities.selection import PrioritiesResult

OUT_SUFFIXES: Final = (".csv", ".xlsx", ".gpkg")


LAYER: Final = "priorities"


def write_priorities(result: PrioritiesResult, out: Path) -> None:
    """Write the ranked table as .csv, .xlsx or .gpkg (atomically)."""

    check_out_path(out, OUT_SUFFIXES)
    write_table(result.table, out, result.assumptions(), layer=LAYER)


def write_priorities_xlsx(df: pd.DataFrame, path: str | os.PathLike[str],
                          assumptions: pd.DataFrame | list[str]) -> None:
    """The priorities table as a formatted workbook (used by the API download too).

    ``assumptions``: the 'Asumsi' table of the configurations the rows were computed with
    (:func:`priorities_assumptions`), or notes.
    """

    if isinstance(assumptions, list):
        table = pd.DataFrame({"Bagian": "Catatan", "Kunci": "", "Nilai": "",
                              "Keterangan": assumptions})
    else:
        table = assumptions
    write_xlsx(pd.DataFrame(df), Path(path), table)


HEADERS: dict[str, str] = {
    "rank": "Peringkat (menit per biaya, ruas sendiri)",
    "ruas_id": "ID ruas",
    "name": "Nama ruas",
    "authority": "Kewenangan",
    "length_km": "Panjang ruas (km)",
    "surface": "Permukaan",
    "condition": "Kondisi",
    "upgrade": "Peningkatan",
    "upgrade_km": "Panjang ditingkatkan (km)",
    "cost_rp": "Biaya (Rp, asumsi)",
    "minutes_saved": "Menit tempuh dihemat (tertimbang, tambahan dalam program)",
    "minutes_saved_alone": "Menit tempuh dihemat bila ruas ini saja",
    "minutes_saved_gateway": "Menit dihemat: gerbang ke destinasi",
    "minutes_saved_kampung": "Menit dihemat: kampung ke destinasi terdekat",
    "destinations_served": "Destinasi terlayani",
    "kampung_served": "Kampung terlayani",
    "destinations": "Nama destinasi terlayani",
    "destination_ids": "ID destinasi terlayani",
    "score_gain": "Kenaikan skor kesiapan (jumlah, tambahan dalam program)",
    "score_gain_alone": "Kenaikan skor kesiapan bila ruas ini saja",
    "benefit_cost": "Menit dihemat per Rp 1 miliar (ruas sendiri)",
    "selected": "Terpilih dalam anggaran",
    "pick_order": "Urutan pilihan dalam program",
    "cumulative_cost_rp": "Biaya kumulatif (Rp)",
    "cumulative_minutes_saved": "Menit dihemat kumulatif",
    "cumulative_score_gain": "Kenaikan skor kumulatif",
    "speed_before_kmh": "Kecepatan sebelum (km/jam)",
    "speed_after_kmh": "Kecepatan sesudah (km/jam)",
    "ref": "Nomor ruas (ref)",
    "highway": "Kelas jalan (OSM)",
    "n_links": "Jumlah segmen",
    "osm_way_ids": "OSM way id",
    "provenance": "Provenans data",
    "assumptions": "Asumsi",
    # scenario
    "id": "ID destinasi",
    "score_before": "Skor sebelum",
    "score_after": "Skor sesudah",
    "delta": "Perubahan skor",
    "class_before": "Kelas sebelum",
    "class_after": "Kelas sesudah",
    "access_minutes_before": "Waktu tempuh sebelum (menit)",
    "access_minutes_after": "Waktu tempuh sesudah (menit)",
    "access_delta": "Perubahan waktu tempuh (menit)",
    "line": "Baris",
    "target": "Sasaran",
    "links_changed": "Segmen diubah",
    "km_changed": "Panjang diubah (km)",
    "note": "Catatan",
}


RUPIAH = '"Rp" #,##0'


_RUPIAH_COLS = ("cost_rp", "cumulative_cost_rp")


_DEC2 = ("length_km", "upgrade_km", "minutes_saved", "minutes_saved_alone",
         "minutes_saved_gateway", "minutes_saved_kampung", "score_gain", "score_gain_alone",
         "benefit_cost", "cumulative_minutes_saved",
         "cumulative_score_gain", "score_before", "score_after", "delta", "km_changed")


_DEC1 = ("speed_before_kmh", "speed_after_kmh", "access_minutes_before", "access_minutes_after",
         "access_delta")


_PLAIN = ("rank", "pick_order", "line")


_COUNTS = ("destinations_served", "kampung_served", "n_links", "links_changed")


_WIDE = {"name": 34, "upgrade": 48, "destinations": 60, "assumptions": 60, "osm_way_ids": 24, "note": 50,
         "target": 24}


def _attributes(table: pd.DataFrame) -> pd.DataFrame:
    if isinstance(table, gpd.GeoDataFrame):
        return pd.DataFrame(table.drop(columns=table.geometry.name))
    return pd.DataFrame(table)


def write_table(table: pd.DataFrame, out: Path, assumptions: pd.DataFrame, *,
                layer: str, sheet: str = "Prioritas") -> None:
    """Write .csv (attributes), .xlsx (formatted + 'Asumsi') or .gpkg (layer + ``asumsi``)."""
    suffix = out.suffix.lower()

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            write_csv(_attributes(table), tmp)
        elif suffix == ".xlsx":
            write_xlsx(_attributes(table), tmp, assumptions, sheet=sheet)
        else:
            gdf = table if isinstance(table, gpd.GeoDataFrame) else gpd.GeoDataFrame(
                table, geometry=gpd.GeoSeries([None] * len(table), crs=schema.WGS84))
            geom_types = set(gdf.geom_type.dropna().unique())
            pyogrio.write_dataframe(gdf.reset_index(drop=True), tmp, layer=layer,
                                    geometry_type="Unknown" if len(geom_types) != 1 else None)
            pyogrio.write_dataframe(assumptions, tmp, layer="asumsi")

    atomic_write(out, write)


CODES: Final[dict[str, str]] = {
    "authority": "road_class", "surface": "surface", "condition": "condition",
    "provenance": "provenance", "class_before": "class", "class_after": "class",
}
"""Columns that hold codes, shown in words in the workbooks (:mod:`geo.labels`)."""

TITLES: Final[dict[str, str]] = {
    "Prioritas": "Prioritas peningkatan ruas jalan",
    "Skenario": "Skenario pekerjaan jalan: skor sebelum dan sesudah",
    "Pekerjaan": "Pekerjaan jalan dalam skenario",
}


def _sheet(df: pd.DataFrame, sheet: str, headers: Mapping[str, str] | None = None) -> Sheet:
    """A sheet of the priorities or scenario workbook: Indonesian headers, codes in words,
    one number format per column."""
    names = {**HEADERS, **(headers or {})}
    formats = {**dict.fromkeys(_DEC1, "0.0"), **dict.fromkeys(_DEC2, "0.00"),
               **dict.fromkeys(_RUPIAH_COLS, RUPIAH), **dict.fromkeys(_PLAIN, "0"),
               **dict.fromkeys(_COUNTS, "#,##0")}
    # score_<dimension>_before/_after: dimensions come from readiness.toml
    formats.update({str(c): "0.00" for c in df.columns
                    if str(c).startswith("score_") and str(c) not in formats})
    cols = {str(c) for c in df.columns}
    return Sheet(sheet, df, headers={c: names.get(c, c) for c in cols},
                 number_formats={k: v for k, v in formats.items() if k in cols},
                 widths={k: v for k, v in _WIDE.items() if k in cols}, codes=CODES,
                 title=TITLES.get(sheet, sheet),
                 wrap=[c for c in ("destinations", "upgrade", "note") if c in cols])


def write_xlsx(df: pd.DataFrame, path: Path, assumptions: pd.DataFrame, *,
               sheet: str = "Prioritas", headers: dict[str, str] | None = None,
               more: Sequence[Sheet] = ()) -> None:
    """A workbook for people (:func:`geo.io.write_workbook`): the table, its 'Asumsi'
    sheet, then ``more`` sheets; Indonesian headers, widths, Rupiah formats, codes in words."""
    write_workbook(path, [_sheet(df, sheet, headers),
                          assumptions_sheet(assumptions, title=f"Asumsi: {TITLES.get(sheet, sheet)}"),
                          *more])


def write_scenario(result: ScenarioResult, out: Path, destinations: gpd.GeoDataFrame,
                   config: PrioritiesConfig, network: NetworkConfig, *,
                   headers: dict[str, str] | None = None,
                   configs: Mapping[str, ConfigText] | None = None) -> None:
    """The before/after table: .csv, .xlsx (with the works and 'Asumsi') or .gpkg (points).

    ``headers``: headers of the per-dimension columns (from readiness.toml); ``configs``:
    the configuration files used (name -> text), listed first in 'Asumsi'.
    """
    table = result.table
    assumptions = assumption_rows(config, network, synthetic=result.synthetic, configs=configs)
    suffix = out.suffix.lower()
    if suffix == ".gpkg":
        geom = destinations.geometry.to_crs(schema.WGS84)
        if len(geom) and not (geom.geom_type == "Point").all():
            geom = geom.representative_point()
        gdf = gpd.GeoDataFrame(table, geometry=geom.to_numpy(), crs=schema.WGS84)

        def write_gpkg(tmp: Path) -> None:
            pyogrio.write_dataframe(gdf, tmp, layer="scenario")
            pyogrio.write_dataframe(result.works, tmp, layer="works")
            pyogrio.write_dataframe(assumptions, tmp, layer="asumsi")

        atomic_write(out, write_gpkg)
    elif suffix == ".csv":
        atomic_write(out, lambda tmp: write_csv(table, tmp))
    else:
        def write_x(tmp: Path) -> None:
            write_xlsx(table, tmp, assumptions, sheet="Skenario",
                       headers={"name": "Nama destinasi", **(headers or {})},
                       more=[_sheet(result.works, "Pekerjaan")])

        atomic_write(out, write_x)
