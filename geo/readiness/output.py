"""The scores files: CSV, GeoJSON and formatted XLSX with an 'Asumsi' sheet, written atomically."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import fmt
from geo._config import ConfigText, config_rows, value_text
from geo.io import (
    ASSUMPTIONS_SHEET,
    Sheet,
    assumptions_sheet,
    check_out_path,
    sheet_name,
    write_csv,
    write_workbook,
)
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


XLSX_TITLE: Final = "Skor kesiapan destinasi wisata"
"""Title of the scores workbook's first sheet (printed in its page header)."""
SCORES_SHEET: Final = "Skor kesiapan"

XLSX_CODES: Final[dict[str, str]] = {
    "category": "category", "provenance": "provenance", "destination_provenance": "provenance",
    "class": "class", "route_modes": "route_mode",
}
"""Columns of the scores that hold codes, shown in words (:mod:`geo.labels`)."""

_ONE_DECIMAL: Final = ("access_minutes", "nearest_lodging_min", "nearest_health_min",
                       "nearest_fuel_min")
_WHOLE: Final = ("umkm_15min", "umkm_30min", "last_mile_m", "snap_m",
                 "nearest_reachable_road_m")
_RANKS: Final = ("rank", "rank_low", "rank_high")


def _scores_formats(columns: pd.Index) -> dict[str, str]:
    """One number format per column: scores and minutes with one decimal, km with one,
    counts and metres whole, ranks plain, coordinates to the decimetre."""
    formats = {c: "0.0" for c in columns if str(c).startswith("score")}
    formats.update({c: "0.0" for c in columns if str(c).startswith("route_") and
                    str(c).endswith("_km")})
    formats.update(dict.fromkeys(_ONE_DECIMAL, "0.0"))
    formats.update(dict.fromkeys(_WHOLE, "#,##0"))
    formats.update(dict.fromkeys(_RANKS, "0"))
    formats.update({"coverage": "0.00", "lon": "0.000000", "lat": "0.000000"})
    return {str(k): v for k, v in formats.items() if k in columns}


def by_rank(df: pd.DataFrame) -> pd.DataFrame:
    """Rows by rank (1 first; unscored last), ties in their order."""
    if "rank" not in df.columns:
        return df
    key = pd.to_numeric(df["rank"], errors="coerce").astype("float64")
    return df.iloc[np.argsort(key.fillna(np.inf).to_numpy(), kind="stable")]


def agency_actions(table: pd.DataFrame, config: ReadinessConfig) -> dict[str, pd.DataFrame]:
    """Per dimension of ``config`` (readiness.toml order): one row per action the scores
    name for that agency (the ``tasks`` column), destinations by rank.

    Columns: ``rank``, ``id``, ``name``, ``class``, ``score``, ``score_<dimension>``,
    ``bottleneck`` (the agency is this destination's bottleneck), ``indicator`` (its label),
    ``text`` (the action) and ``gap`` (what is missing).
    """
    ordered = by_rank(table)
    rows: dict[str, list[dict[str, object]]] = {k: [] for k in config.dimensions}
    raw = ordered["tasks"] if "tasks" in ordered.columns else pd.Series([""] * len(ordered))
    for (_, r), items in zip(ordered.iterrows(), raw, strict=True):
        for item in json.loads(items) if isinstance(items, str) and items else []:
            dim = config.dimensions.get(str(item.get("dimension")))
            if dim is None:
                continue
            key = str(item["dimension"])
            ind = dim.indicators.get(str(item.get("indicator")))
            rows[key].append({
                "rank": r.get("rank"), "id": r.get("id"), "name": r.get("name"),
                "class": r.get("class"), "score": r.get("score"),
                f"score_{key}": r.get(f"score_{key}"),
                "bottleneck": r.get("bottleneck") == key,
                "indicator": ind.label if ind is not None else "kelengkapan data",
                "text": item.get("text", ""), "gap": item.get("gap", ""),
            })
    cols = ["rank", "id", "name", "class", "score", "score_{}", "bottleneck", "indicator",
            "text", "gap"]
    out = {}
    for key, found in rows.items():
        want = [c.format(key) for c in cols]
        df = pd.DataFrame(found, columns=want)
        df["bottleneck"] = df["bottleneck"].astype(bool)
        out[key] = df
    return out


AGENCY_HEADERS: Final[dict[str, str]] = {
    "bottleneck": "OPD ini penghambat utama",
    "indicator": "Indikator",
    "text": "Tindakan",
    "gap": "Kekurangan",
}


def _write_xlsx(table: gpd.GeoDataFrame, path: Path, config: ReadinessConfig,
                texts: Mapping[str, ConfigText]) -> None:
    df = by_rank(_flat(table))
    labels = dimension_labels(config)
    # the per-indicator tasks are JSON for the task list; the agency sheets say them to people
    main = df[[c for c in df.columns if not c.startswith(("gain_", "ind_")) and c != "tasks"]]
    main = main.assign(bottleneck=[labels[b].short if b in labels else b
                                   for b in main["bottleneck"]])
    headers = {str(c): header_id(str(c), config) for c in main.columns}
    assumptions = assumption_rows(config, texts)
    if len(table) and bool(table["synthetic"].any()):
        banner = pd.DataFrame([{
            "Bagian": "Data", "Kunci": "sintetis",
            "Nilai": f"{fmt.integer(int(table['synthetic'].sum()))} baris",
            "Keterangan": "DATA CONTOH (SINTETIS): sebagian atau semua input dibuat oleh "
                          "generator, bukan survei wilayah nyata.",
        }])
        assumptions = pd.concat([banner, assumptions], ignore_index=True)
    sheets = [Sheet(SCORES_SHEET, main, headers=headers,
                    number_formats=_scores_formats(main.columns), codes=XLSX_CODES,
                    widths={"actions": 60, "name": 30}, wrap=("actions",), title=XLSX_TITLE)]
    taken = [SCORES_SHEET, ASSUMPTIONS_SHEET]
    for key, rows in agency_actions(df, config).items():
        lab = labels[key]
        name = sheet_name(lab.short, taken)
        taken.append(name)
        sheets.append(Sheet(
            name, rows, headers={**{c: header_id(c, config) for c in rows.columns},
                                 **AGENCY_HEADERS},
            number_formats=_scores_formats(rows.columns), codes={"class": "class"},
            widths={"name": 30, "text": 60, "gap": 40}, wrap=("text", "gap"),
            title=f"Tindakan {lab.agency} ({lab.short}) per destinasi"))
    sheets.append(assumptions_sheet(assumptions, widths=(18, 30, 34, 80),
                                    title="Asumsi skor kesiapan"))
    write_workbook(path, sheets)


_MAP_WORDS: Final = {"true": "ya", "false": "tidak"}


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
        add("Bobot OPD", f"dimensions.{name}.weight", fmt.number(dim.weight / total, 3),
            f"{dim.agency} ({', '.join(dim.four_a)})", dim.assumption)
        for ind_name, ind in dim.indicators.items():
            if ind.map is not None:
                # yes/no maps are read with the yes/no word table: say them in Indonesian
                value = "; ".join(f"{_MAP_WORDS.get(str(k), k)} = {value_text(v)}"
                                  for k, v in ind.map.items())
            else:
                value = f"0 pada {value_text(ind.zero)}, 100 pada {value_text(ind.full)}"
            add(f"Indikator {dim.short}", f"dimensions.{name}.indicators.{ind_name}", value,
                f"{ind.label}; kolom {ind.column}; bobot {value_text(ind.weight)}. "
                f"{ind.note}".strip(), ind.assumption)
    c = config.classes
    add("Kelas", "classes", f"berkembang ≥ {value_text(c.berkembang)}; maju ≥ "
        f"{value_text(c.maju)}; mandiri ≥ {value_text(c.mandiri)}",
        "di bawah berkembang: rintisan", c.assumption)
    m = config.monte_carlo
    add("Simulasi bobot", "monte_carlo",
        f"{fmt.integer(m.samples)} sampel, konsentrasi {value_text(m.concentration)}, "
        f"persentil {value_text(m.interval[0])}–{value_text(m.interval[1])}, "
        f"benih acak {m.seed}", "bobot OPD diacak (sebaran Dirichlet) di sekitar bobot di atas",
        m.assumption)
    add("Kecepatan", "network.toml", "lihat berkas network.toml",
        "kecepatan dan waktu tempuh per moda", True)
    return pd.DataFrame(rows)
