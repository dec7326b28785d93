"""Planned road works (a PU programme) read from an agency file, for ``siapwisata scenario``.

One line per work. A work names the links it covers by one of (first present wins):

- ``ruas_id``: a section id of the priorities output (``R00042``);
- ``osm_way_id``: every road link of that OSM way;
- ``name``: every road link whose name or ref equals it (case-insensitive);

and what it does, either

- ``upgrade``: an option id or label of ``data/priorities.toml`` (applied, like in the
  ranking, to the links it matches: e.g. ``kerikil_aspal`` paves only the gravel links), or
- ``surface`` and/or ``condition``: the state every covered road link gets (a PU survey
  word such as ``aspal``, ``hotmix``, ``rusak berat``; worsening is allowed, e.g. to test
  what neglect costs).

Lines apply in file order, each on the state the previous ones left, so a staged
programme (``tanah_kerikil`` then ``kerikil_aspal`` on the same ruas) works. Every bad line
is reported at once with file, line and field.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import fmt, schema
from geo.exceptions import InputError, Problem
from geo.io import integer, read_table, road_sections, ruas_rows, text
from geo.network import NetworkConfig, walk_only_rows
from geo.priorities.candidates import road_state
from geo.priorities.config import ASSUMPTION_NOTE, PrioritiesConfig, signed_text
from geo.roads import condition_class, surface_class
from geo.words import normalise_text


@dataclass
class ScenarioResult:
    """Scores per destination before and after a programme of planned works.

    Attributes
    ----------
    table
        One row per destination: ``id``, ``name``, ``score_before``, ``score_after``,
        ``delta``, ``class_before``, ``class_after``, ``access_minutes_before``,
        ``access_minutes_after``, ``access_delta``, ``provenance``.
    works
        One row per line of the works file: what it matched and changed.
    """

    table: pd.DataFrame
    works: pd.DataFrame
    synthetic: bool
    source: str
    out: Path | None = None

    def summary(self) -> str:
        t = self.table
        w = self.works
        lines = [f"Skenario {self.source}: {len(w)} pekerjaan, "
                 f"{int(w['links_changed'].sum())} link diubah, "
                 f"{fmt.number(w['km_changed'].sum(), 2)} km"]
        known = w["cost_rp"].dropna()
        if len(known):
            lines.append(f"Biaya (asumsi) pekerjaan berbiaya: {fmt.rupiah(known.sum())}")
        for _, r in w[w["note"] != ""].iterrows():
            lines.append(f"  baris {r['line']}: {r['note']}")
        up = t[t["delta"] > 1e-9]
        down = t[t["delta"] < -1e-9]
        lines.append(f"Destinasi naik skor: {len(up)}, turun: {len(down)}, "
                     f"jumlah perubahan {signed_text(np.nansum(t['delta']))}")
        moved = t[(t["delta"].abs() > 1e-9) | (t["access_delta"].abs() > 1e-9)]
        moved = moved.reindex(moved["delta"].abs().sort_values(ascending=False).index)
        if len(moved):
            lines.append("Per destinasi (skor sebelum -> sesudah, kelas, waktu tempuh):")
        for _, r in moved.head(25).iterrows():
            lines.append(f"  {r['id']} {r['name']}: {fmt.number(r['score_before'], 1)} -> "
                         f"{fmt.number(r['score_after'], 1)} ({signed_text(r['delta'])}), "
                         f"{r['class_before']} -> "
                         f"{r['class_after']}, akses {_fmt_min(r['access_minutes_before'])} -> "
                         f"{_fmt_min(r['access_minutes_after'])} menit")
        if len(moved) > 25:
            lines.append(f"  ... {len(moved) - 25} destinasi lagi (lihat --out)")
        lines.append("Catatan: " + ASSUMPTION_NOTE + ".")
        if self.synthetic:
            lines.append("DATA CONTOH (SINTETIS): skenario ini memakai data sintetis.")
        return "\n".join(lines)


def _fmt_min(x: Any) -> str:
    return fmt.number(x, 1, unknown="-")


def scenario_frames(roads: gpd.GeoDataFrame, works: Works,
                    score: Callable[[gpd.GeoDataFrame], pd.DataFrame],
                    dimensions: tuple[str, ...] = ()
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Before/after table of a programme, and the changed roads (pure given ``score``).

    ``score(roads)`` returns, per destination, ``id``, ``name``, ``score``, ``class``,
    ``access_minutes`` and ``provenance`` (and ``score_<dimension>`` of ``dimensions``,
    reported before and after: the road dimension of readiness.toml ``[access]``).
    """

    before = score(roads)
    changed = apply_works(roads, works)
    after = score(cast(gpd.GeoDataFrame, changed))
    table = pd.DataFrame({
        "id": before["id"].to_numpy(dtype=object),
        "name": before["name"].to_numpy(dtype=object),
        "score_before": before["score"].to_numpy(dtype=float),
        "score_after": after["score"].to_numpy(dtype=float),
        "class_before": before["class"].to_numpy(dtype=object),
        "class_after": after["class"].to_numpy(dtype=object),
        "access_minutes_before": before["access_minutes"].to_numpy(dtype=float),
        "access_minutes_after": after["access_minutes"].to_numpy(dtype=float),
    })
    table.insert(4, "delta", table["score_after"] - table["score_before"])
    table["access_delta"] = table["access_minutes_after"] - table["access_minutes_before"]
    for col in (f"score_{d}" for d in dimensions):
        if col in before and col in after:
            table[f"{col}_before"] = before[col].to_numpy(dtype=float)
            table[f"{col}_after"] = after[col].to_numpy(dtype=float)
    table["provenance"] = before["provenance"].to_numpy(dtype=object)
    return table, changed


ALIASES: dict[str, tuple[str, ...]] = {
    "ruas_id": ("ruas_id", "id_ruas", "ruas", "kode_ruas"),
    "osm_way_id": ("osm_way_id", "way_id", "osm_id"),
    "name": ("name", "nama", "nama_ruas", "nama_jalan", "ref"),
    "upgrade": ("upgrade", "peningkatan", "pekerjaan", "jenis_pekerjaan", "opsi"),
    "surface": ("surface", "permukaan", "to_surface", "permukaan_baru"),
    "condition": ("condition", "kondisi", "to_condition", "kondisi_baru"),
}


@dataclass
class Works:
    """The parsed programme.

    Attributes
    ----------
    surface, condition
        (road row, new value) per change, in application order (later ones win); values
        are surface classes / PU conditions.
    summary
        One row per line: ``line``, ``target``, ``upgrade``, ``surface``, ``condition``,
        ``links_changed``, ``km_changed``, ``cost_rp`` (options only, an assumption),
        ``note``.
    """

    surface: pd.DataFrame
    condition: pd.DataFrame
    summary: pd.DataFrame


def read_works(path: str | os.PathLike[str], roads: pd.DataFrame, config: PrioritiesConfig,
               network: NetworkConfig) -> Works:
    """Parse and check a works file against the workspace roads.

    Parameters
    ----------
    path
        CSV, XLSX, GeoJSON or GeoPackage (geometry, if any, is ignored).
    roads
        The ``roads`` layer.
    config
        The priorities configuration (upgrade options).
    network
        The network configuration (its walk-only classes take no road works).

    Raises
    ------
    InputError
        Every bad line (unknown ruas/way/name, unknown option or surface/condition word,
        missing or conflicting fields).
    """

    table = read_table(Path(path))
    name = table.file
    cols = {key: table.column(aliases) for key, aliases in ALIASES.items()}
    problems = list(table.problems)
    if not any(cols[k] for k in ("ruas_id", "osm_way_id", "name")):
        problems.append(Problem(name, "tidak ada kolom ruas_id, osm_way_id atau name yang "
                                "menyebut jalannya"))
    if not any(cols[k] for k in ("upgrade", "surface", "condition")):
        problems.append(Problem(name, "tidak ada kolom upgrade, surface atau condition yang "
                                "menyebut pekerjaannya"))
    if problems and not len(table):
        raise InputError(problems)
    if not len(table):
        raise InputError([Problem(name, "tidak ada baris pekerjaan")])
    if problems:
        raise InputError(problems)

    roads = roads.reset_index(drop=True)
    labels = road_sections(roads)
    is_road = labels >= 0
    walk = walk_only_rows(roads, network)
    way = pd.to_numeric(roads.get("osm_way_id", pd.Series(np.nan, index=roads.index)),
                        errors="coerce").to_numpy(dtype=float)

    def lower(col: str) -> np.ndarray:
        if col not in roads:
            return np.full(len(roads), "", dtype=object)
        return normalise_text(roads[col]).fillna("").to_numpy(object)

    names, refs = lower("name"), lower("ref")
    length_km = pd.to_numeric(roads["length_m"], errors="coerce").fillna(0.0).to_numpy() / 1000
    surf, cond = road_state(roads)
    surf, cond = surf.copy(), cond.copy()
    options = config.upgrades
    s_rows: list[np.ndarray] = []
    s_vals: list[np.ndarray] = []
    c_rows: list[np.ndarray] = []
    c_vals: list[np.ndarray] = []
    summary: list[dict[str, object]] = []

    for i, line in enumerate(table.lines.tolist()):  # one iteration per input line
        row = table.frame.iloc[i]
        bad: list[Problem] = []

        def cell(key: str, row: pd.Series = row) -> object:
            col = cols[key]
            return row[col] if col else None

        selected: np.ndarray | None = None
        target = ""
        rid, wid, nm = text(cell("ruas_id")), cell("osm_way_id"), text(cell("name"))
        if rid is not None:
            rows_of = ruas_rows(rid, labels)
            if rows_of is None:
                bad.append(Problem(name, f"ruas_id '{rid}' tidak ada di workspace "
                                   "(pakai ID dari keluaran prioritas)", line,
                                   cols["ruas_id"]))
            else:
                selected = rows_of
                target = f"ruas_id {rid}"
        elif text(wid) is not None:
            w = integer(wid)
            hits = np.flatnonzero(is_road & (way == w)) if w is not None else np.empty(0, int)
            if not len(hits):
                bad.append(Problem(name, f"osm_way_id '{text(wid)}' tidak ditemukan di jalan "
                                   "workspace", line,
                                   cols["osm_way_id"]))
            else:
                selected, target = hits, f"osm_way_id {w}"
        elif nm is not None:
            key = nm.strip().lower()
            hits = np.flatnonzero(is_road & ((names == key) | (refs == key)))
            if not len(hits):
                bad.append(Problem(name, f"jalan '{nm}' tidak ditemukan (tidak ada ruas "
                                   "dengan nama atau ref itu)", line, cols["name"]))
            else:
                selected, target = hits, f"name {nm}"
        else:
            field = cols["ruas_id"] or cols["osm_way_id"] or cols["name"]
            bad.append(Problem(name, "baris tanpa ruas_id, osm_way_id atau name (tidak "
                               "menyebut jalan)", line, field))

        up, sw, cw = text(cell("upgrade")), text(cell("surface")), text(cell("condition"))
        oid = None
        new_s = new_c = None
        if up is not None and (sw is not None or cw is not None):
            bad.append(Problem(name, "isi upgrade ATAU surface/condition, bukan keduanya", line,
                               cols["upgrade"]))
        elif up is not None:
            oid = config.option(up)
            if oid is None:
                bad.append(Problem(name, f"peningkatan '{up}' tidak dikenal; "
                                   f"pilihan: {', '.join(options)}", line, cols["upgrade"]))
        elif sw is None and cw is None:
            bad.append(Problem(name, "baris tanpa upgrade, surface atau condition (tidak "
                               "ada pekerjaan)", line,
                               cols["upgrade"] or cols["surface"] or cols["condition"]))
        if sw is not None:
            new_s = str(surface_class(pd.Series([sw])).iloc[0])
            if new_s == "unknown":
                bad.append(Problem(name, f"permukaan '{sw}' tidak dikenal; "
                                   f"pilihan: {', '.join(schema.SURFACE_CLASSES[:-1])}", line,
                                   cols["surface"]))
        if cw is not None:
            got = condition_class(pd.Series([cw])).iloc[0]
            if pd.isna(got):
                bad.append(Problem(name, f"kondisi '{cw}' tidak dikenal; "
                                   f"pilihan: {', '.join(schema.CONDITIONS[:-1])}", line,
                                   cols["condition"]))
            else:
                new_c = str(got)
        if bad or selected is None:
            problems.extend(bad)
            continue

        note = ""
        cost = np.nan
        if oid is not None:
            opt = options[oid]
            m = (~walk[selected] & np.isin(surf[selected], opt.surfaces())
                 & np.isin(cond[selected], opt.conditions()))
            changes = np.zeros(len(selected), dtype=bool)
            if opt.to_surface is not None:
                changes |= surf[selected] != opt.to_surface
            if opt.to_condition is not None:
                changes |= cond[selected] != opt.to_condition
            rows = selected[m & changes]
            new_s, new_c = opt.to_surface, opt.to_condition
            cost = float(length_km[rows].sum() * opt.unit_cost_rp_per_km)
            if not len(rows):
                note = (f"tidak ada link yang cocok untuk {oid} (permukaan/kondisi "
                        "sudah lebih baik)")
        else:
            rows = selected
        if new_s is not None:
            s_rows.append(rows)
            s_vals.append(np.full(len(rows), new_s, dtype=object))
            surf[rows] = new_s
        if new_c is not None:
            c_rows.append(rows)
            c_vals.append(np.full(len(rows), new_c, dtype=object))
            cond[rows] = new_c
        summary.append({"line": line, "target": target, "upgrade": oid or "",
                        "surface": new_s or "", "condition": new_c or "",
                        "links_changed": len(rows), "km_changed": float(length_km[rows].sum()),
                        "cost_rp": cost, "note": note})
    if problems:
        raise InputError(problems)

    def frame(rows: list[np.ndarray], vals: list[np.ndarray]) -> pd.DataFrame:
        if not rows:
            return pd.DataFrame({"row": np.empty(0, np.int64), "value": np.empty(0, object)})
        return pd.DataFrame({"row": np.concatenate(rows), "value": np.concatenate(vals)})

    return Works(surface=frame(s_rows, s_vals), condition=frame(c_rows, c_vals),
                 summary=pd.DataFrame(summary))


def apply_works(roads: pd.DataFrame, works: Works) -> pd.DataFrame:
    """A copy of ``roads`` with the works' surfaces and conditions written in."""
    out = roads.reset_index(drop=True).copy()
    for col, changes in (("surface", works.surface), ("condition", works.condition)):
        if not len(changes):
            continue
        last = changes.drop_duplicates("row", keep="last")
        values = (np.array(out[col].astype(object), dtype=object) if col in out
                  else np.full(len(out), None, dtype=object))
        values[last["row"].to_numpy(dtype=np.int64)] = last["value"].to_numpy(dtype=object)
        out[col] = pd.Series(values, index=out.index, dtype=object)
    return out
