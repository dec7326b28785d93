"""What each printed report holds, read from the workspace's stored outputs.

Nothing is recomputed here: the scores layer, the priorities layer, the rapor
(:mod:`geo.steps.rapor`) and the task list (:func:`geo.steps.tasks.list_tasks`) are read
and formatted (:mod:`geo.fmt`); the configurations are those the workspace recorded with
its outputs. Only a road programme for another budget or authority than the stored one is
selected anew, by the priorities engine itself (:func:`geo.priorities.select_priorities`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo import fmt
from geo.access import AccessResult
from geo.exceptions import SiapError, WorkspaceError
from geo.io.history import last_updates, last_version
from geo.io.workspace import Workspace
from geo.labels import label
from geo.readiness import ReadinessConfig, dimension_labels, split_actions
from geo.readiness.output import assumption_rows as score_assumption_rows
from geo.report.svgmap import OSM_CREDIT, SvgMap, frame_bounds
from geo.steps import (
    compute_access,
    read_stored_priorities_configs,
    workspace_network_config,
    workspace_priorities_config,
    workspace_readiness_config,
)
from geo.steps import rapor as rp
from geo.steps.priorities import stored_priorities_setting
from geo.steps.tasks import list_tasks

BANNER: Final = "DATA CONTOH (SINTETIS)"
"""The banner of every report built from synthetic data (as on the web pages)."""
# Readiness classes: the same colours as the maps (maps._style.CLASS_COLORS).
CLASS_ORDER: Final = ("mandiri", "maju", "berkembang", "rintisan")
CLASS_COLORS: Final = {"rintisan": "#d7191c", "berkembang": "#fdae61", "maju": "#a6d96a",
                       "mandiri": "#1a9641"}
UNKNOWN_COLOR: Final = "#9e9e9e"
REACH_COLORS: Final = {15: "#00897b", 30: "#80cbc4"}
SELECTED_COLOR: Final = "#c62828"
SHOWN_IDS: Final = 8
"""Valid ids an error for an unknown one lists."""
MAX_TASKS_DESTINATION: Final = 8
"""Task rows on the one-page destination report (the rest are counted)."""
UNBUDGETED_ROWS: Final = 20
"""Sections a road programme without a budget lists (the best by benefit per cost)."""


class UnknownReportId(SiapError):
    """A report asked for an id the workspace does not hold (404 on the web)."""

    def __init__(self, what: str, key: str, choices: Sequence[str]):
        self.what = what
        self.key = key
        self.choices = list(choices)
        shown = ", ".join(self.choices[:SHOWN_IDS]) or "tidak ada"
        more = (f" (dan {len(self.choices) - SHOWN_IDS} lainnya)"
                if len(self.choices) > SHOWN_IDS else "")
        super().__init__(f"{what} '{key}' tidak ditemukan di workspace; yang ada antara lain: "
                         f"{shown}{more}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.what, self.key, self.choices))


# --- shared pieces -----------------------------------------------------------------------


def _klass(code: object) -> dict[str, str]:
    key = str(code) if isinstance(code, str) else ""
    return {"label": label("class", key) if key else "belum dinilai",
            "color": CLASS_COLORS.get(key, UNKNOWN_COLOR)}


def _num(v: object) -> float | None:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _text(v: object) -> str:
    """A cell as text ('' for missing)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    return str(v)


def _sources(ws: Workspace, layers: Sequence[str] | None = None) -> list[dict[str, Any]]:
    s = ws.sources() if ws.has("sources") else pd.DataFrame()
    if s.empty:
        return []
    if layers is not None:
        s = s[s["layer"].astype(str).isin(layers)]
    return [{"name": _text(r.get("name")), "layer": _text(r.get("layer")),
             "date": _text(r.get("date")), "licence": _text(r.get("licence")),
             "synthetic": bool(r.get("synthetic"))}
            for r in s.to_dict("records")]


def _assumptions(rows: pd.DataFrame, *, compact: bool) -> list[dict[str, str]]:
    """The assumed rows of an 'Asumsi' table (those marked ``ASUMSI.``), grouped by part.

    ``compact``: the indicator thresholds (parts ``Indikator …``) are counted on one line
    instead of listed, so the box fits a one-page report; the XLSX 'Asumsi' sheet and the
    configuration files have them all.
    """
    if rows.empty:
        return []
    assumed = rows[rows["Keterangan"].astype(str).str.startswith("ASUMSI")]
    out = []
    counted: list[str] = []
    for part, group in assumed.groupby("Bagian", sort=False):
        name = str(part)
        if compact and name.startswith("Indikator"):
            counted.append(f"{name.removeprefix('Indikator').strip()} {len(group)}")
            continue
        items = [f"{_short_key(str(r['Kunci']))} = {r['Nilai']}" for r in group.to_dict("records")]
        out.append({"part": name, "text": "; ".join(items)})
    if counted:
        out.insert(1 if out else 0, {
            "part": "Ambang indikator",
            "text": f"{sum(int(c.rsplit(' ', 1)[1]) for c in counted)} nilai ("
                    + ", ".join(counted) + "); daftar lengkap di readiness.toml dan lembar "
                    "Asumsi ekspor XLSX"})
    return out


def _short_key(key: str) -> str:
    """``dimensions.pu.weight`` -> ``pu``: a configuration key as a reader names it."""
    return key.removeprefix("dimensions.").removesuffix(".weight")


def _header(ws: Workspace, title: str, *, today: date | None) -> dict[str, Any]:
    """What every report carries: region, title, date, workspace version, banner, credit."""
    meta = ws.metadata()
    day = today or datetime.now(UTC).date()
    return {
        "region": meta.get("region") or "",
        "report_title": title,
        "date": fmt.date_text(day),
        "version": last_version(ws),
        "synthetic": ws.holds_synthetic(),
        "banner": BANNER,
        "synthetic_note": meta.get("synthetic_note", ""),
        "osm_credit": OSM_CREDIT,
        "software": f"{meta.get('software', 'siapwisata')} {meta.get('software_version', '')}",
    }


def _scores(ws: Workspace) -> gpd.GeoDataFrame:
    if not ws.has("scores"):
        raise WorkspaceError("layer 'scores' belum ada: jalankan 'siapwisata score' dulu")
    return ws.read("scores")


def _readiness(ws: Workspace) -> ReadinessConfig:
    return workspace_readiness_config(ws)[0]


def _score_assumptions(config: ReadinessConfig, *, compact: bool) -> list[dict[str, str]]:
    return _assumptions(score_assumption_rows(config), compact=compact)


def _task_rows(tasks: pd.DataFrame) -> list[dict[str, str]]:
    rows = []
    for r in tasks.to_dict("records"):  # one agency's or one destination's tasks
        status = _text(r.get("status"))
        if status == "selesai" and r.get("proof_holds") is False:
            status = "selesai, tetapi bukti sudah dibatalkan"
        year = _num(r.get("target_year"))
        progress = _num(r.get("progress_pct"))
        rows.append({
            "text": _text(r.get("text")) or _text(r.get("indicator")),
            "destination": _text(r.get("destination_name")) or _text(r.get("destination_id")),
            "agency": _text(r.get("agency_name")) or _text(r.get("agency")),
            "status": status,
            "estimate": fmt.rupiah(r.get("estimated_cost_rp")),
            "budget": fmt.rupiah(r.get("budget_rp")),
            "year": "–" if year is None else str(int(year)),
            "progress": fmt.percent(progress, 0),
            "notes": _text(r.get("notes")),
        })
    return rows


def _road_frame(ws: Workspace) -> gpd.GeoDataFrame | None:
    return ws.read("roads") if ws.has("roads") else None


def _distrik(ws: Workspace) -> gpd.GeoDataFrame:
    if not ws.has("admin_areas"):
        return gpd.GeoDataFrame(columns=["kode", "nama", "geometry"], geometry="geometry")
    a = ws.read("admin_areas")
    return a[a["level"].astype(str) == "distrik"] if "level" in a else a.iloc[0:0]


def find_distrik(distrik: gpd.GeoDataFrame, key: str) -> pd.Series | None:
    """The distrik row whose Kemendagri code or name is ``key`` (case-insensitive)."""
    wanted = key.strip().casefold()
    hit = distrik[(distrik["kode"].astype(str).str.casefold() == wanted)
                  | (distrik["nama"].astype(str).str.casefold() == wanted)]
    return None if hit.empty else hit.iloc[0]


def _draw_context(m: SvgMap, ws: Workspace, *, roads: gpd.GeoDataFrame | None,
                  distrik: gpd.GeoDataFrame | None = None) -> None:
    """Distrik outlines and the roads, under what a report draws on top."""
    if distrik is not None and len(distrik):
        m.polygons(distrik, fill="none", stroke="#bdbdbd", width=0.7, dash="3 2",
                   css="batas-distrik", legend="Batas distrik")
    if roads is not None and len(roads):
        m.roads(roads)


def _gateways(m: SvgMap, ws: Workspace) -> None:
    if not ws.has("gateways"):
        return
    g = ws.read("gateways")
    labels = [_text(n) for n in (g["name"] if "name" in g else g["id"])]
    m.points(g, colors="#ffffff", r=3.2, labels=labels, square=True, css="gerbang")
    m.legend_item('<rect x="3" y="0" width="8" height="8" fill="#fff" stroke="#212121"/>',
                  "Gerbang (bandara, pelabuhan)")


def _map(m: SvgMap) -> dict[str, Any]:
    return {"svg": m.svg(), "legend": m.legend(), "note": ""}


# --- destination -------------------------------------------------------------------------


def destination_context(ws: Workspace, id: str, *, access: AccessResult | None = None,
                        today: date | None = None) -> dict[str, Any]:
    """What the one-page destination report shows.

    Parameters
    ----------
    access
        The workspace's accessibility result (its 15/30-minute reach); computed here when
        not given (the server passes the one it keeps).

    Raises
    ------
    UnknownReportId
        No scored destination has this id.
    """
    s = _scores(ws)
    ids = s["id"].astype(str)
    hit = s[ids == id]
    if hit.empty:
        raise UnknownReportId("destinasi", id, sorted(ids))
    row = hit.iloc[0]
    config = _readiness(ws)
    dims = dimension_labels(config)
    total_w = sum(d.weight for d in config.dimensions.values()) or 1.0
    bottleneck = _text(row.get("bottleneck"))
    breakdown = []
    for key, lab in dims.items():
        score = _num(row.get(f"score_{key}"))
        low, high = _num(row.get(f"score_{key}_low")), _num(row.get(f"score_{key}_high"))
        breakdown.append({
            "label": lab.short, "agency": lab.agency, "color": lab.color,
            "score": score, "low": low, "high": high,
            "score_text": "?" if score is None else fmt.number(score, 0),
            "range_text": ("–" if low is None or high is None or abs(high - low) < 0.05
                           else f"{fmt.number(low, 0)}–{fmt.number(high, 0)}"),
            "weight": fmt.number(config.dimensions[key].weight / total_w, 2),
            "bottleneck": key == bottleneck,
        })
    attrs: dict[str, Any] = {}
    if ws.has("destinations"):
        d = ws.read("destinations")
        d = d[d["id"].astype(str) == id]
        if len(d):
            attrs = {str(k): _text(v) for k, v in d.iloc[0].items() if k != d.geometry.name}
    minutes = _num(row.get("access_minutes"))
    gateway = _text(row.get("access_gateway_name")) or _text(row.get("access_gateway"))
    tasks = rp.destination_tasks(ws, id)
    adopted = tasks[tasks["status"].astype(str) != "usulan"]
    rank, rank_low, rank_high = (_num(row.get(c)) for c in ("rank", "rank_low", "rank_high"))
    geom = row.geometry
    ctx = _header(ws, "Laporan destinasi", today=today)
    ctx.update({
        "name": _text(row.get("name")) or id, "id": id, "klass": _klass(row.get("class")),
        "provisional": bool(row.get("class_provisional")),
        "score": fmt.number(row.get("score"), 1), "score_low": fmt.number(row.get("score_low"), 1),
        "score_high": fmt.number(row.get("score_high"), 1),
        "rank": "–" if rank is None else fmt.integer(rank), "n_destinations": len(s),
        "rank_range": ("" if rank_low is None or rank_high is None or rank_low == rank_high
                       else f"{fmt.integer(rank_low)}–{fmt.integer(rank_high)}"),
        "coverage": fmt.percent(100 * (_num(row.get("coverage")) or float("nan")), 0),
        "bottleneck": _text(row.get("bottleneck_agency")) or (
            dims[bottleneck].agency if bottleneck in dims else "–"),
        "access": ("tidak terjangkau dari gerbang mana pun" if minutes is None
                   else f"{fmt.number(minutes, 0)} menit dari {gateway}"),
        "umkm15": fmt.integer(row.get("umkm_15min")), "umkm30": fmt.integer(row.get("umkm_30min")),
        "category": label("category", attrs.get("category") or _text(row.get("category"))),
        "kampung": attrs.get("kampung", ""), "distrik": attrs.get("distrik", ""),
        "pengelola": attrs.get("pengelola", ""),
        "breakdown": breakdown, "actions": split_actions(row.get("actions")),
        "tasks": _task_rows(adopted.head(MAX_TASKS_DESTINATION)),
        "more_tasks": max(0, len(adopted) - MAX_TASKS_DESTINATION),
        "suggested": int((tasks["status"].astype(str) == "usulan").sum()),
        "map": None if geom is None or geom.is_empty else _destination_map(
            ws, id, geom, row.get("class"), access),
        "reach_colors": REACH_COLORS,
        "sources": _sources(ws),
        "assumptions": _score_assumptions(config, compact=True),
    })
    return ctx


def _destination_map(ws: Workspace, id: str, point: BaseGeometry, klass: object,
                     access: AccessResult | None) -> dict[str, Any]:
    roads = _road_frame(ws)
    crs = ws.metric_crs()
    reach: dict[int, gpd.GeoDataFrame] = {}
    if roads is not None and ws.has("gateways"):
        access = access if access is not None else compute_access(
            ws, workspace_network_config(ws)[0])
        seen = np.empty(0, dtype=np.int64)
        for minutes in sorted(REACH_COLORS):
            rows = np.setdiff1d(access.reachable_edges(id, minutes), seen)
            seen = np.union1d(seen, rows)
            reach[minutes] = roads.iloc[rows]
    framed = [point, *(g for r in reach.values() for g in r.geometry)]
    bounds = frame_bounds(gpd.GeoSeries(framed, crs=roads.crs if roads is not None
                                        else "EPSG:4326"), crs, min_size_m=4000)
    m = SvgMap(bounds, crs, width=340, height=270, title="Peta jangkauan destinasi")
    _draw_context(m, ws, roads=roads, distrik=_distrik(ws))
    for minutes in sorted(REACH_COLORS, reverse=True):
        r = reach.get(minutes)
        if r is not None and len(r):
            m.lines(r[r["mode"].astype(str) == "road"] if "mode" in r else r,
                    stroke=REACH_COLORS[minutes], width=3.2, opacity=0.8,
                    css=f"jangkauan-{minutes}", legend=f"Terjangkau ≤ {minutes} menit")
    _gateways(m, ws)
    m.points(gpd.GeoDataFrame(geometry=[point], crs="EPSG:4326"),
             colors=_klass(klass)["color"], r=6, css="destinasi")
    drawn = _map(m)
    if not any(len(r) for r in reach.values()):
        drawn["note"] = "Tidak ada jalan yang terjangkau dalam 30 menit dari destinasi ini."
    return drawn


# --- distrik -----------------------------------------------------------------------------


def distrik_context(ws: Workspace, key: str, *, today: date | None = None) -> dict[str, Any]:
    """What the distrik report shows: its scored destinations (inside its polygon, as the
    readiness map's distrik filter selects them) in rank order, and a map.

    Raises
    ------
    UnknownReportId
        No distrik has this Kemendagri code or name.
    """
    dis = _distrik(ws)
    area = find_distrik(dis, key)
    if area is None:
        raise UnknownReportId("distrik", key, sorted(dis["nama"].astype(str)))
    s = _scores(ws)
    inside = s[s.intersects(area.geometry)].sort_values(["rank", "id"], na_position="last")
    config = _readiness(ws)
    dims = dimension_labels(config)
    rows = []
    for n, (_, r) in enumerate(inside.iterrows(), start=1):  # tens of destinations
        b = _text(r.get("bottleneck"))
        minutes = _num(r.get("access_minutes"))
        rows.append({
            "n": n, "id": _text(r["id"]), "name": _text(r.get("name")) or _text(r["id"]),
            "category": label("category", _text(r.get("category"))),
            "klass": _klass(r.get("class")),
            "score": fmt.number(r.get("score"), 1),
            "range": f"{fmt.number(r.get('score_low'), 1)}–{fmt.number(r.get('score_high'), 1)}",
            "rank": fmt.integer(r.get("rank")),
            "bottleneck": _text(r.get("bottleneck_agency")) or (
                dims[b].agency if b in dims else "–"),
            "access": "tidak terjangkau" if minutes is None else f"{fmt.number(minutes, 0)} menit",
            "actions": split_actions(r.get("actions")),
        })
    counts = inside["class"].astype(str).value_counts()
    roads = _road_frame(ws)
    crs = ws.metric_crs()
    m = SvgMap(frame_bounds(gpd.GeoSeries([area.geometry], crs=dis.crs), crs, pad=0.03),
               crs, width=500, height=330, title=f"Peta distrik {area['nama']}")
    m.polygons(gpd.GeoSeries([area.geometry], crs=dis.crs), fill="#fff8e1", stroke="#6d4c41",
               width=1.4, css="distrik", legend=f"Distrik {area['nama']}")
    _draw_context(m, ws, roads=roads, distrik=dis)
    _gateways(m, ws)
    m.points(inside, colors=[_klass(c)["color"] for c in inside["class"]], r=4.5,
             labels=[str(r["n"]) for r in rows], css="destinasi")
    for code in CLASS_ORDER:
        m.legend_item(f'<circle cx="8" cy="5" r="4" fill="{CLASS_COLORS[code]}" '
                      'stroke="#212121"/>', label("class", code))
    ctx = _header(ws, "Laporan distrik", today=today)
    ctx.update({
        "distrik": str(area["nama"]), "kode": str(area["kode"]), "rows": rows,
        "n": len(rows),
        "classes": [{"label": label("class", c), "color": CLASS_COLORS[c],
                     "count": int(counts.get(c, 0))} for c in CLASS_ORDER],
        "mean_score": fmt.number(pd.to_numeric(inside["score"], errors="coerce").mean(), 1),
        "map": _map(m), "sources": _sources(ws),
        "assumptions": _score_assumptions(config, compact=True),
    })
    return ctx


# --- agency (OPD) --------------------------------------------------------------------------


def agency_context(ws: Workspace, key: str, *, today: date | None = None) -> dict[str, Any]:
    """What one agency's report shows: the destinations it holds back, its tasks and the
    budget it committed, its last data update and how complete its columns are (the
    agency's part of the rapor OPD, :func:`geo.steps.rapor.agency_report`).

    Raises
    ------
    UnknownReportId
        ``key`` is no dimension of the workspace's readiness configuration.
    """
    config = _readiness(ws)
    if key not in config.dimensions:
        raise UnknownReportId(
            "OPD", key, [f"{k} ({d.agency})" for k, d in config.dimensions.items()])
    day = today or datetime.now(UTC).date()
    s = _scores(ws)
    tasks = list_tasks(ws, config=config)
    a = rp.agency_report(ws, config, key, today=day, scores=pd.DataFrame(s), tasks=tasks,
                         updates=last_updates(ws))
    mine = tasks[tasks["agency"].astype(str) == key]
    suggested = mine[mine["status"].astype(str) == "usulan"]
    last = a.last_update
    ctx = _header(ws, "Rapor OPD", today=day)
    ctx.update({
        "agency": a.agency, "short": a.short, "key": a.key, "color": a.color,
        "bottlenecks": [{"id": b.id, "name": b.name, "klass": _klass(b.klass),
                         "score": fmt.number(b.score, 1), "score_low": fmt.number(b.score_low, 1),
                         "gain": fmt.number(b.gain, 1)} for b in a.bottlenecks],
        "n_destinations": len(s),
        "tasks": _task_rows(a.tasks),
        "counts": a.counts, "adopted": a.adopted, "suggested": a.suggested,
        "committed": fmt.rupiah(a.committed_rp),
        "estimated_suggested": fmt.rupiah(pd.to_numeric(
            suggested["estimated_cost_rp"], errors="coerce").sum(min_count=1)),
        "last": None if last is None else {
            "date": fmt.date_text(last.at, time=True), "days": fmt.integer(last.days),
            "username": last.username, "summary": last.summary},
        "completeness": [{"layer": c.layer, "column": c.column,
                          "share": fmt.percent(100 * c.share, 0),
                          "width": 0 if not math.isfinite(c.share) else round(100 * c.share),
                          "weight": c.weight, "present": c.present}
                         for c in a.completeness],
        "completeness_share": fmt.percent(100 * a.completeness_share, 0),
        "sources": _sources(ws),
        "assumptions": _score_assumptions(config, compact=True),
    })
    return ctx


# --- road programme ----------------------------------------------------------------------


@dataclass(frozen=True)
class Programme:
    """A priorities table and the budget and authority it answers."""

    table: gpd.GeoDataFrame
    budget: float | None
    authority: str
    stored: bool


def priorities_table(ws: Workspace, *, budget: float | None = None,
                     authority: str | None = None) -> Programme:
    """The road programme for a budget and authority: the stored ``priorities`` layer when
    it answers them (``None`` = as stored), else a new greedy selection by the priorities
    engine with the configurations the workspace recorded.

    Raises
    ------
    WorkspaceError
        No ``priorities`` layer (run ``siapwisata priorities`` first).
    """
    if not ws.has("priorities"):
        raise WorkspaceError("layer 'priorities' belum ada: jalankan 'siapwisata priorities' "
                             "dulu")
    stored_auth, stored_budget = stored_priorities_setting(ws)
    stored_auth = stored_auth or "kabupaten"
    want_auth = authority or stored_auth
    want_budget = stored_budget if budget is None and authority is None else budget
    if want_auth == stored_auth and want_budget == stored_budget:
        p = ws.read("priorities").sort_values("rank", kind="stable")
        return Programme(p, stored_budget, stored_auth, True)
    from geo.priorities import prepare_priorities, select_priorities
    from geo.steps import build_inputs, inputs_synthetic

    network = workspace_network_config(ws, "priorities")[0]
    access = compute_access(ws, network)
    state = prepare_priorities(
        access, access.layers["destinations"], authority=want_auth,
        score_inputs=pd.DataFrame(build_inputs(ws, access)),
        config=workspace_priorities_config(ws)[0],
        readiness=workspace_readiness_config(ws, "priorities")[0],
        synthetic=inputs_synthetic(ws) or ws.any_synthetic("roads"))
    table = select_priorities(state, want_budget).table
    return Programme(table, want_budget, want_auth, False)


def _served(row: Mapping[str, Any]) -> list[str]:
    """Names of the destinations a section serves (the ``destinations`` column: '; ')."""
    names = _text(row.get("destinations"))
    return [n.strip() for n in names.split(";") if n.strip()] if names else []


def priorities_context(ws: Workspace, *, budget: float | None = None,
                       authority: str | None = None, programme: Programme | None = None,
                       today: date | None = None) -> dict[str, Any]:
    """What the road-programme report shows: the sections selected within the budget (in
    pick order) with their costs and the destinations each serves, and a map. Without a
    budget, the best :data:`UNBUDGETED_ROWS` sections by benefit per cost.

    ``programme``: the table to show (the server passes the one it keeps); else
    :func:`priorities_table`.
    """
    prog = programme or priorities_table(ws, budget=budget, authority=authority)
    t = prog.table
    sel = (t["selected"].fillna(False).astype(bool) if "selected" in t
           else pd.Series(False, index=t.index))
    budgeted = prog.budget is not None
    if budgeted:
        shown = t[sel.to_numpy()].sort_values("pick_order", kind="stable")
    else:
        shown = t.sort_values("rank", kind="stable").head(UNBUDGETED_ROWS)
    cost = pd.to_numeric(shown["cost_rp"], errors="coerce")
    rows = []
    for n, r in enumerate(shown.to_dict("records"), start=1):  # tens of sections
        rows.append({
            "n": n, "ruas_id": _text(r.get("ruas_id")), "name": _text(r.get("name")),
            "rank": fmt.integer(r.get("rank")),
            "authority": label("authority", _text(r.get("authority"))),
            "surface": label("surface", _text(r.get("surface"))),
            "condition": label("condition", _text(r.get("condition"))),
            "upgrade": _text(r.get("upgrade")), "km": fmt.number(r.get("upgrade_km"), 2),
            "cost": fmt.rupiah(r.get("cost_rp")),
            "cumulative": fmt.rupiah(r.get("cumulative_cost_rp")) if budgeted else "",
            "minutes": fmt.number(r.get("minutes_saved"), 1),
            "gain": fmt.number(r.get("score_gain"), 2),
            "served": _served(r),
        })
    config, network, texts = _priorities_configs(ws, prog)
    synthetic = ws.holds_synthetic()
    from geo.priorities import priorities_assumptions

    assumptions = priorities_assumptions(config, network, synthetic=synthetic,
                                         budget=prog.budget, authority=prog.authority,
                                         configs=texts)
    ctx = _header(ws, "Program peningkatan ruas jalan", today=today)
    ctx.update({
        "authority": ("semua kewenangan" if prog.authority == "all"
                      else label("authority", prog.authority)),
        "budgeted": budgeted,
        "budget": fmt.rupiah(prog.budget) if budgeted else "tanpa batas anggaran",
        "rows": rows, "n_selected": int(sel.sum()), "n_candidates": len(t),
        "total_cost": fmt.rupiah(float(cost.sum())),
        "remaining": (fmt.rupiah((prog.budget or 0.0) - float(cost.sum())) if budgeted else ""),
        "minutes": fmt.number(pd.to_numeric(shown["minutes_saved"], errors="coerce").sum(), 1),
        "gain": fmt.number(pd.to_numeric(shown["score_gain"], errors="coerce").sum(), 2),
        "map": _priorities_map(ws, shown),
        "sources": _sources(ws),
        "assumptions": _assumptions(assumptions, compact=False),
    })
    return ctx


def _priorities_configs(ws: Workspace, prog: Programme) -> tuple[Any, Any, dict[str, Any]]:
    stored = read_stored_priorities_configs(ws) if prog.stored else None
    if stored is not None:
        return stored
    (config, ptext) = workspace_priorities_config(ws)
    (network, ntext) = workspace_network_config(ws, "priorities")
    return config, network, {"priorities": ptext, "network": ntext}


def _priorities_map(ws: Workspace, shown: gpd.GeoDataFrame) -> dict[str, Any] | None:
    if shown.empty:
        return None
    ids: list[str] = []
    for raw in shown.get("destination_ids", pd.Series(dtype=object)):
        try:
            ids.extend(str(i) for i in json.loads(_text(raw) or "[]"))
        except json.JSONDecodeError:
            continue
    s = _scores(ws) if ws.has("scores") else None
    served = s[s["id"].astype(str).isin(set(ids))] if s is not None else None
    crs = ws.metric_crs()
    # framed on the sections: the destinations they serve may lie across the regency
    # (by boat from the port a section leads to), drawn when they fall in the frame
    m = SvgMap(frame_bounds(shown.geometry, crs, min_size_m=8000),
               crs, width=520, height=330, title="Peta program jalan")
    _draw_context(m, ws, roads=_road_frame(ws), distrik=_distrik(ws))
    m.lines(shown, stroke="#ffd600", width=6.5, opacity=0.9, css="sorotan")
    m.lines(shown, stroke=SELECTED_COLOR, width=3.0, css="ruas-terpilih",
            legend="Ruas dalam program (nomor = urutan)")
    if served is not None and len(served):
        m.points(served, colors=[_klass(c)["color"] for c in served["class"]], r=3.5,
                 css="destinasi")
        m.legend_item('<circle cx="8" cy="5" r="3.5" fill="#a6d96a" stroke="#212121"/>',
                      "Destinasi yang dilayani (warna = kelas)")
    mids = shown.geometry.to_crs(crs).interpolate(0.5, normalized=True).to_crs(shown.crs)
    m.points(gpd.GeoDataFrame(geometry=mids.values, crs=shown.crs), colors="#ffffff", r=0.1,
             stroke="none", labels=[str(i) for i in range(1, len(shown) + 1)], css="nomor")
    _gateways(m, ws)
    return _map(m)
