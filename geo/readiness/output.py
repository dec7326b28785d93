"""The scores files: CSV, GeoJSON and formatted XLSX with an 'Asumsi' sheet, written atomically."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd

from geo._config import ConfigText, config_rows
from geo.io import check_out_path, write_csv, write_xlsx
from geo.io.workspace import atomic_write
from geo.readiness.config import ReadinessConfig, dimension_labels
from geo.schema import WGS84

OUT_SUFFIXES: Final = (".csv", ".geojson", ".xlsx")


HEADERS_ID: Final[dict[str, str]] = {
    "id": "ID",
    "name": "Nama destinasi",
    "category": "Kategori",
    "provenance": "Provenans",
    "destination_provenance": "Provenans destinasi",
    "synthetic": "Data sintetis",
    "score": "Skor kesiapan (0-100)",
    "score_low": "Skor terbukti (data kosong = 0)",
    "score_high": "Skor tertinggi (data kosong = 100)",
    "class": "Kelas",
    "class_provisional": "Kelas sementara (bisa lebih tinggi)",
    "bottleneck": "Penghambat utama",
    "bottleneck_agency": "OPD penghambat",
    "coverage": "Kelengkapan data (0-1)",
    "access_minutes": "Waktu tempuh (menit)",
    "access_gateway": "Gerbang terdekat",
    "access_gateway_name": "Nama gerbang",
    "umkm_15min": "UMKM dalam 15 menit",
    "umkm_30min": "UMKM dalam 30 menit",
    "route_km": "Panjang rute (km)",
    "route_road_km": "Rute darat (km)",
    "route_paved_good_km": "Rute aspal kondisi baik/sedang (km)",
    "route_unpaved_km": "Rute tak beraspal/tanpa data (km)",
    "route_damaged_km": "Rute rusak (km)",
    "route_water_km": "Rute perairan (km)",
    "route_air_km": "Rute udara (km)",
    "route_paved_km": "Rute beraspal (km)",
    "route_unknown_surface_km": "Rute tanpa data permukaan (km)",
    "route_unknown_condition_km": "Rute tanpa data kondisi (km)",
    "connected": "Terhubung ke jaringan",
    "nearest_lodging_min": "Penginapan terdekat (menit)",
    "nearest_health_min": "Faskes terdekat (menit)",
    "nearest_fuel_min": "BBM terdekat (menit)",
    "route_modes": "Moda rute",
    "last_mile_m": "Jalan kaki dari jaringan (m)",
    "snap_m": "Jarak ke jaringan (m)",
    "nearest_reachable_road_m": "Jarak ke jalan terjangkau terdekat (m)",
    "rank": "Peringkat",
    "rank_low": "Peringkat terbaik (simulasi)",
    "rank_high": "Peringkat terburuk (simulasi)",
    "actions": "Tindakan per OPD",
    "tasks": "Tugas per indikator (JSON)",
    "assumptions": "Asumsi",
    "lon": "Bujur",
    "lat": "Lintang",
}


BOUND_SUFFIXES: Final = {
    "_low": "batas bawah: data kosong = 0, skor terbukti",
    "_high": "batas atas: data kosong = 100",
}


def headers_id(config: ReadinessConfig) -> dict[str, str]:
    """Bahasa Indonesia headers of the scores columns: the fixed ones and, from the
    configuration, ``score_<dimension>`` ("Skor PU")."""
    dims = {f"score_{k}": label.header for k, label in dimension_labels(config).items()}
    return {**HEADERS_ID, **dims}


def header_id(column: str, config: ReadinessConfig) -> str:
    """Bahasa Indonesia header of a scores column (bounds named after their score)."""
    headers = headers_id(config)
    if column in headers:
        return headers[column]
    for suffix, text in BOUND_SUFFIXES.items():
        base = column.removesuffix(suffix)
        if base != column and base in headers and base.startswith("score"):
            return f"{headers[base]} ({text})"
    return column


def _flat(table: gpd.GeoDataFrame) -> pd.DataFrame:
    """Attribute table with lon/lat instead of geometry."""
    df = pd.DataFrame(table.drop(columns=table.geometry.name))
    pts = table.geometry
    df["lon"] = pts.x.to_numpy()
    df["lat"] = pts.y.to_numpy()
    return df


def write_scores(table: gpd.GeoDataFrame, out: Path, config: ReadinessConfig,
                 texts: Mapping[str, ConfigText] | ConfigText | None = None) -> None:
    """Write the scores as .csv (lon/lat), .geojson (points) or .xlsx (formatted).

    ``config`` is the configuration the table was scored with (its labels name the
    columns); ``texts`` the configuration files it came from (name -> text, or the
    readiness text alone), listed in the xlsx 'Asumsi' sheet. Written to a temporary file beside ``out`` and moved into place, so a failure never
    leaves half a file.
    """
    suffix = out.suffix.lower()
    check_out_path(out, OUT_SUFFIXES)
    named = {"readiness": texts} if isinstance(texts, ConfigText) else dict(texts or {})

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            write_csv(_flat(table), tmp)
        elif suffix == ".geojson":
            gj = table.to_crs(WGS84).copy()
            for col in ("rank", "rank_low", "rank_high"):
                gj[col] = gj[col].astype("float64")  # GeoJSON has no nullable ints
            gj.to_file(tmp, driver="GeoJSON")
        else:
            _write_xlsx(table, tmp, config, named)

    atomic_write(out, write)


def _write_xlsx(table: gpd.GeoDataFrame, path: Path, config: ReadinessConfig,
                texts: Mapping[str, ConfigText]) -> None:
    df = _flat(table)
    # the per-indicator tasks are JSON for the task list (geo.steps.tasks, which has its
    # own workbook per agency); 'actions' already says them to people
    df = df[[c for c in df.columns if not c.startswith(("gain_", "ind_")) and c != "tasks"]]
    headers = [header_id(c, config) for c in df.columns]
    assumptions = assumption_rows(config, texts)
    if len(table) and bool(table["synthetic"].any()):
        banner = pd.DataFrame([{
            "Bagian": "Data", "Kunci": "synthetic", "Nilai": f"{int(table['synthetic'].sum())} baris",
            "Keterangan": "DATA CONTOH (SINTETIS): sebagian atau semua input dibuat oleh "
                          "generator, bukan survei wilayah nyata (synthetic data).",
        }])
        assumptions = pd.concat([banner, assumptions], ignore_index=True)
    one_decimal = [c for c in df.columns if c.startswith("score") or c in (
        "access_minutes", "route_km", "route_road_km", "route_unpaved_km")]
    write_xlsx(path, df, assumptions, sheet="Skor kesiapan", headers=headers,
               number_formats={**dict.fromkeys(one_decimal, "0.0"), "coverage": "0.00"},
               widths={"actions": 60}, assumption_widths=(18, 26, 34, 60))


def assumption_rows(config: ReadinessConfig,
                    texts: Mapping[str, ConfigText] | None = None) -> pd.DataFrame:
    """The 'Asumsi' sheet: every weight, threshold and class bound of ``config`` (the
    configuration the table was scored with), marked as assumption, and the files."""
    rows: list[dict[str, str]] = config_rows(texts or {})

    def add(what: str, key: str, value: str, note: str, assumed: bool) -> None:
        rows.append({"Bagian": what, "Kunci": key, "Nilai": value,
                     "Keterangan": ("ASUMSI. " if assumed else "") + note})

    total = sum(d.weight for d in config.dimensions.values())
    for name, dim in config.dimensions.items():
        add("Bobot OPD", f"dimensions.{name}.weight", f"{dim.weight / total:.3f}",
            f"{dim.agency} ({', '.join(dim.four_a)})", dim.assumption)
        for ind_name, ind in dim.indicators.items():
            if ind.map is not None:
                value = ", ".join(f"{k}={v:g}" for k, v in ind.map.items())
            else:
                value = f"0 pada {ind.zero:g}, 100 pada {ind.full:g}"
            add(f"Indikator {dim.short}", f"dimensions.{name}.indicators.{ind_name}",
                value, f"{ind.label}; kolom {ind.column}; bobot {ind.weight:g}. {ind.note}".strip(),
                ind.assumption)
    c = config.classes
    add("Kelas", "classes", f"berkembang>={c.berkembang:g}, maju>={c.maju:g}, "
        f"mandiri>={c.mandiri:g}", "di bawah berkembang: rintisan", c.assumption)
    m = config.monte_carlo
    add("Simulasi bobot", "monte_carlo",
        f"{m.samples} sampel, konsentrasi {m.concentration:g}, persentil {m.interval[0]:g}-"
        f"{m.interval[1]:g}, seed {m.seed}", "Dirichlet di sekitar bobot OPD", m.assumption)
    add("Kecepatan", "network.toml", "lihat file", "kecepatan dan waktu tempuh per moda", True)
    return pd.DataFrame(rows)
