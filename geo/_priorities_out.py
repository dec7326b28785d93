"""Files of the priorities and scenario steps: CSV, formatted XLSX, GeoPackage.

Private helpers of :mod:`geo.priorities`. Every file states its assumptions: the XLSX in a
sheet 'Asumsi', the GeoPackage in a table ``asumsi``, the CSV in its ``assumptions`` column.
Files are written beside the target and moved into place, so a failure leaves no half file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyogrio

from geo import schema
from geo._config import ConfigText, config_rows
from geo.io import excel_writer, write_csv
from geo.io import write_xlsx as write_table_xlsx
from geo.io.workspace import atomic_write
from geo.network import NetworkConfig

if TYPE_CHECKING:
    from geo.priorities import PrioritiesConfig, ScenarioResult

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
_WIDE = {"name": 34, "upgrade": 48, "destinations": 60, "assumptions": 60, "osm_way_ids": 24, "note": 50,
         "target": 24}


def assumption_rows(config: PrioritiesConfig, network: NetworkConfig, *, synthetic: bool,
                    budget: float | None = None, authority: str | None = None,
                    configs: Mapping[str, ConfigText] | None = None) -> pd.DataFrame:
    """The configuration files (``configs``, name -> text), then every unit cost, weight,
    filter, speed and method note, marked when assumed."""
    rows: list[dict[str, str]] = config_rows(configs or {})

    def add(part: str, key: str, value: object, note: str, assumed: bool) -> None:
        rows.append({"Bagian": part, "Kunci": key, "Nilai": str(value),
                     "Keterangan": ("ASUMSI. " if assumed else "") + note})

    if synthetic:
        add("Data", "provenance", "synthetic",
            "DATA CONTOH (SINTETIS): jalan, destinasi atau UMKM ini dibuat oleh generator, "
            "bukan data wilayah nyata; angka di sini hanya peragaan (synthetic demo data, "
            "not real)", False)
    for oid, opt in config.upgrades.items():
        scope = (f"permukaan {', '.join(opt.surfaces())}; kondisi {', '.join(opt.conditions())}"
                 f" -> permukaan {opt.to_surface or '(tetap)'}, kondisi "
                 f"{opt.to_condition or '(tetap)'}")
        add("Biaya satuan", f"upgrades.{oid}", f"Rp {opt.unit_cost_rp_per_km:,.0f} per km",
            f"{opt.label}: {scope}. Sumber: {opt.source}", opt.assumption)
    w = config.weights
    add("Bobot", "weights.gateway_destination", f"{w.gateway_destination:g}",
        f"setiap pasangan gerbang -> destinasi, dikali kolom '{w.importance_column}' "
        f"(kosong = {w.default_importance:g}). {w.source}", w.assumption)
    add("Bobot", "weights.kampung", f"{w.kampung:g}",
        f"setiap kampung -> destinasi terdekat. {w.source}", w.assumption)
    for name, allowed in config.authority_filter.items():
        add("Kewenangan", f"authority_filter.{name}", ", ".join(allowed),
            "jalan yang boleh ditingkatkan untuk pilihan --authority ini", False)
    if authority is not None:
        add("Kewenangan", "--authority", authority, "pilihan yang dipakai untuk tabel ini", False)
    if budget is not None:
        add("Anggaran", "--budget", f"Rp {budget:,.0f}",
            "dipilih serakah (greedy): manfaat/biaya terbaik yang masih muat, diterapkan, "
            "lalu sisa ruas dinilai ulang; ruas tanpa manfaat (tidak menghemat menit) tidak "
            "pernah dipilih; pick_order = urutan pilihan; minutes_saved/score_gain = tambahan "
            "dalam program, *_alone = ruas itu saja", False)
    add("Metode", "minutes_saved", "menit",
        "penurunan total waktu tempuh tertimbang (gerbang -> destinasi dan kampung -> "
        "destinasi terdekat), sama persis dengan menghitung ulang semua rute", False)
    add("Metode", "benefit_cost", "menit per Rp 1 miliar",
        "minutes_saved_alone / (cost_rp / 1e9); rank = urutan benefit_cost menurun", False)
    add("Metode", "candidates.exclude_highway", ", ".join(config.candidates.exclude_highway),
        "kelas jalan yang bukan pekerjaan jalan PUPR (jalan setapak, tangga...): tidak "
        "ditingkatkan", False)
    add("Metode", "score_gain", "jumlah poin skor",
        "perubahan skor kesiapan semua destinasi bila ruas ditingkatkan: waktu tempuh dan "
        "komposisi rute (indikator PU), UMKM dalam 15/30 menit, fasilitas terdekat dan moda; "
        "sama dengan menghitung ulang aksesibilitas dan skor", False)
    add("Metode", "unknown surface", "-",
        "permukaan tak diketahui hanya ditingkatkan bila kondisinya diketahui buruk", True)
    for _, r in network.assumptions().iterrows():
        add("Kecepatan (network.toml)", str(r["key"]), r["value"], str(r["source"]),
            bool(r["assumption"]))
    return pd.DataFrame(rows)


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


def write_xlsx(df: pd.DataFrame, path: Path, assumptions: pd.DataFrame, *,
               sheet: str = "Prioritas", headers: dict[str, str] | None = None) -> None:
    """A workbook for people (:func:`geo.io._cells.write_xlsx`): Indonesian headers, widths,
    Rupiah formats."""
    names = {**HEADERS, **(headers or {})}
    formats = {**dict.fromkeys(_DEC1, "0.0"), **dict.fromkeys(_DEC2, "0.00"),
               **dict.fromkeys(_RUPIAH_COLS, RUPIAH)}
    # score_<dimension>_before/_after: dimensions come from readiness.toml
    formats.update({str(c): "0.00" for c in df.columns
                    if str(c).startswith("score_") and str(c) not in formats})
    write_table_xlsx(path, df, assumptions, sheet=sheet,
                     headers=[names.get(str(c), str(c)) for c in df.columns],
                     number_formats=formats, widths=_WIDE)


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
                       headers={"name": "Nama destinasi", **(headers or {})})
            from openpyxl import load_workbook

            works = result.works.rename(columns=lambda c: HEADERS.get(str(c), str(c)))
            with excel_writer(tmp, mode="a") as xw:
                works.to_excel(xw, sheet_name="Pekerjaan", index=False)
            load_workbook(tmp).close()

        atomic_write(out, write_x)
