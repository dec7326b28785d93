"""The road-priorities map for Dinas PUPR (Bahasa Indonesia).

Candidate road sections (ruas) are coloured by rank or by benefit/cost, the ones selected
within the budget are drawn with a yellow halo, and each popup shows the section's row of
the priorities table. The road network, water/air links, gateways and destinations are
drawn muted for context.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any
from urllib.parse import quote

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo import fmt
from geo.exceptions import WorkspaceError
from geo.io.workspace import Workspace

from . import _layers as ly
from . import _style as st
from ._data import Area, MapData, clip, load_map_data
from ._elements import SiapCall
from ._geom import bounds_latlon, features, simplify
from ._popup import table_popup

TITLE = "Prioritas Peningkatan Ruas Jalan (PUPR)"
SHOWN = ("boundary", "admin", "roads", "gateways", "scores", "priorities")

# (column, header) of the popup table, in the order of the priorities table (issue 4).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "Peringkat (menit per biaya, ruas sendiri)"),
    ("pick_order", "Urutan pilihan dalam program"),
    ("ruas_id", "ID ruas"),
    ("name", "Nama ruas"),
    ("authority", "Kewenangan"),
    ("length_km", "Panjang (km)"),
    ("surface", "Permukaan"),
    ("condition", "Kondisi"),
    ("upgrade", "Peningkatan"),
    ("cost_rp", "Biaya (asumsi)"),
    ("minutes_saved_alone", "Menit dihemat, ruas ini saja (tertimbang)"),
    ("minutes_saved", "Menit dihemat, tambahan dalam program"),
    ("destinations_served", "Destinasi terlayani"),
    ("destinations", "Nama destinasi terlayani"),
    ("score_gain_alone", "Kenaikan skor kesiapan, ruas ini saja"),
    ("score_gain", "Kenaikan skor kesiapan, tambahan dalam program"),
    ("benefit_cost", "Manfaat/biaya (menit per Rp 1 miliar)"),
    ("selected", "Terpilih dalam anggaran"),
    ("cumulative_cost_rp", "Biaya kumulatif"),
    ("provenance", "Provenans"),
)


def fmt_sig(value: Any, digits: int = 3) -> str:
    """A few significant digits in Indonesian format (benefit/cost spans magnitudes)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return st.fmt_num(x, min(decimals, 8))


def _cell(col: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if col in ("cost_rp", "cumulative_cost_rp"):
        return st.fmt_rupiah(value)
    if col == "selected":
        return "Ya" if bool(value) else "Tidak"
    if col in ("rank", "pick_order", "destinations_served"):
        return st.fmt_num(value, 0)
    if col == "length_km":
        return st.fmt_num(value, 2)
    if col in ("minutes_saved", "minutes_saved_alone"):
        return st.fmt_num(value, 1)
    if col == "destinations":
        names = [n for n in str(value).split("; ") if n]
        more = f" … (+{len(names) - 10})" if len(names) > 10 else ""
        return ("; ".join(names[:10]) + more) if names else "–"
    if col in ("score_gain", "score_gain_alone", "benefit_cost"):
        return fmt_sig(value)
    if col == "authority":
        return st.AUTHORITY_LABELS.get(str(value), str(value))
    if col == "condition":
        return st.CONDITION_LABELS.get(str(value), str(value))
    return str(value)


ROAD_FORM_URL = "/kontribusi/jalan?ruas_id="
"""The served form that records a section's condition and surface (``api``, issue 12)."""
EDIT_LINK_TEXT = "Ubah kondisi/permukaan ruas ini"


def section_popup(row: dict[str, Any], edit_url: str | None = None) -> str:
    """A section's popup: its row of the priorities table, and with ``edit_url`` (the
    served map) a link to the form that records its condition and surface (PU)."""
    rows = [(label, _cell(col, row.get(col))) for col, label in COLUMNS if col in row]
    title = str(row.get("name") or row.get("ruas_id") or "Ruas")
    html = table_popup(title, rows, synthetic=str(row.get("provenance")) == "synthetic")
    if edit_url and row.get("ruas_id"):
        href = edit_url + quote(str(row["ruas_id"]), safe="")
        html += f'<p class="sw-edit"><a href="{escape(href)}">{EDIT_LINK_TEXT}</a></p>'
    return html


RANK_STEPS = st.RANK_COLORS
NO_BENEFIT = -1  # bin of sections that save no minutes
NO_BENEFIT_COLOR = "#9e9e9e"


def color_bins(values: pd.Series, useful: np.ndarray, *, ascending: bool) -> np.ndarray:
    """Per row: 0 (darkest) .. 4 by quintile among the sections that save time (rank 1 or
    the highest benefit/cost darkest), or :data:`NO_BENEFIT`.

    Sections that save nothing get their own grey class: quintiles over many tied zeros
    would say nothing.
    """
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    out = np.full(len(v), NO_BENEFIT)
    ok = useful & np.isfinite(v)
    if ok.any():
        pct = pd.Series(v[ok]).rank(method="first", ascending=ascending, pct=True).to_numpy()
        out[ok] = np.minimum((pct * len(RANK_STEPS) - 1e-9).astype(int), len(RANK_STEPS) - 1)
    return out


def _fmt_rank(value: object) -> str:
    return st.fmt_num(value, 0)


def bin_labels(values: pd.Series, bins: np.ndarray, what: str) -> list[str]:
    """Legend text of each of the five bins ('' when a bin is empty)."""
    out = []
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    for b in range(len(RANK_STEPS)):
        sel = v[(bins == b) & np.isfinite(v)]
        if not len(sel):
            out.append("")
            continue
        lo, hi = (sel.min(), sel.max()) if what == "rank" else (sel.max(), sel.min())
        fmt = _fmt_rank if what == "rank" else fmt_sig
        out.append(f"{fmt(lo)}" if lo == hi else f"{fmt(lo)} – {fmt(hi)}")
    return out


def priorities_map(
    data: MapData,
    table: gpd.GeoDataFrame,
    *,
    distrik: str | None = None,
    budget: float | None = None,
    color_by: str = "rank",
    tiles: ly.Basemaps = None,
    home_url: str | None = "/",
    edit_url: str | None = None,
) -> folium.Map:
    """Build the priorities map.

    Parameters
    ----------
    data
        Layers of the workspace (context: roads, links, gateways, destinations).
    table
        The priorities rows to show (layer ``priorities``, possibly filtered by authority
        and re-selected for a budget), with line geometry.
    distrik
        Show only sections in this distrik.
    budget
        The budget the ``selected`` column was computed for (shown in the legend).
    color_by
        ``"rank"`` or ``"benefit_cost"``.
    edit_url
        Prefix of the link each popup gets to edit its section (the ``ruas_id`` is
        appended, URL-encoded); None (notebooks, files): no link.
    """
    if color_by not in ("rank", "benefit_cost"):
        raise ValueError(f"color_by must be 'rank' or 'benefit_cost', not {color_by!r}")
    area = data.find_distrik(distrik) if distrik else None
    m = ly.base_map(data, area, tiles)
    ly.add_boundaries(m, data, area)
    ly.add_roads(m, data, area, muted=True)
    links_shown = ly.add_links(m, data, area)
    ly.add_gateways(m, data)
    _context_destinations(m, data, area)

    t = clip(table, area)
    assert t is not None
    t = t[t.geometry.notna() & ~t.geometry.is_empty]
    shown = simplify(t, data.metric_crs, ly.TOL_ROADS_M) if len(t) else t
    t = t.loc[shown.index]
    # rank and colour follow each section by itself (older tables: minutes_saved)
    by = "minutes_saved_alone" if "minutes_saved_alone" in t else "minutes_saved"
    saved = pd.to_numeric(t[by], errors="coerce").to_numpy(dtype=float) \
        if by in t else np.ones(len(t))
    useful = np.nan_to_num(saved, nan=0.0) > 0
    bins = color_bins(t[color_by], useful, ascending=(color_by == "rank"))
    labels = bin_labels(t[color_by], bins, color_by)
    selected = t["selected"].fillna(False).astype(bool).to_numpy() if "selected" in t else \
        np.zeros(len(t), bool)
    if len(t):
        records = pd.DataFrame(shown.drop(columns=shown.geometry.name)).to_dict("records")
        popups = [section_popup({str(k): v for k, v in r.items()}, edit_url) for r in records]
        halo = shown[selected][[shown.geometry.name]]
        halo_layer = None
        if len(halo):
            fc = features(halo)
            for f in fc["features"]:
                f["properties"]["style"] = {"color": st.SELECTED_HALO, "weight": 11,
                                            "opacity": 0.85, "lineCap": "round"}
            halo_layer = folium.GeoJson(fc, name="Terpilih dalam anggaran (sorotan)",
                                        interactive=False)
            halo_layer.add_to(m)
        out = shown[["ruas_id", "name", shown.geometry.name]].copy()
        out["popup"] = popups
        out["style"] = [
            {"color": RANK_STEPS[b] if b >= 0 else NO_BENEFIT_COLOR,
             "weight": 6 if s else (4 if b >= 0 else 2.5), "opacity": 0.95,
             "lineCap": "round"}
            for b, s in zip(bins, selected, strict=True)
        ]
        sections = folium.GeoJson(
            features(out, ["ruas_id", "name", "popup", "style"]),
            name="Ruas prioritas",
            on_each_feature=ly.text_tooltip(
                "f.properties.name || f.properties.ruas_id",
                popup={"maxWidth": 360, "maxHeight": 460, "autoPanPaddingTopLeft": [60, 50]}),
        )
        sections.add_to(m)
    ly.finish(m, data, shown=SHOWN, title=TITLE,
              legend=legend_html(t, labels, color_by, budget, selected, bins,
                                 links_shown=links_shown), area=area,
              fit=bounds_latlon(t) if area is None and len(t) else None,
              home_url=home_url)
    if len(t):
        # after finish(): the panel goes below the zoom buttons that Setup adds
        SiapCall("sectionPanel", [sections, halo_layer], {
            **panel_config(t, selected),
            "focus": dict(st.FOCUS_STYLE), "casing": dict(st.FOCUS_CASING),
            "dimmed": st.DIMMED_OPACITY,
        }).add_to(m)
    return m


PANEL_TOP = 15
"""Sections listed in the side panel when none is selected (no budget given)."""


def panel_config(t: pd.DataFrame, selected: np.ndarray) -> dict[str, Any]:
    """Title, note and rows (rank, name, upgrade, cost, all as text) of the side panel:
    the sections selected within the budget by rank, else the :data:`PANEL_TOP` best."""
    ranks = pd.to_numeric(t["rank"], errors="coerce") if "rank" in t else \
        pd.Series(np.arange(1, len(t) + 1), index=t.index, dtype=float)
    costs = pd.to_numeric(t["cost_rp"], errors="coerce") if "cost_rp" in t else \
        pd.Series(np.nan, index=t.index)
    order = np.argsort(ranks.to_numpy(dtype=float), kind="stable")
    if selected.any():
        pick = order[selected[order]]
        title = f"Ruas terpilih dalam anggaran ({fmt.integer(len(pick))})"
        note = f"Total biaya {fmt.rupiah_short(costs.iloc[pick].sum())}. Klik ruas untuk melihatnya."
    else:
        pick = order[:PANEL_TOP]
        title = f"{fmt.integer(len(pick))} ruas peringkat teratas"
        note = "Belum ada anggaran: belum ada ruas yang dipilih. Klik ruas untuk melihatnya."
    rows = []
    for i in pick:
        rec = t.iloc[i]
        rid = str(rec.get("ruas_id") or "")
        name = rec.get("name")
        upgrade = rec.get("upgrade")
        rows.append({
            "id": rid,
            "rank": fmt.integer(ranks.iloc[i]),
            "name": str(name) if isinstance(name, str) and name else rid,
            "detail": " · ".join(x for x in (rid, upgrade if isinstance(upgrade, str) else "")
                                 if x),
            "cost": fmt.rupiah_short(costs.iloc[i]),
        })
    return {"title": title, "note": note, "rows": rows}


def _context_destinations(m: folium.Map, data: MapData, area: Area | None) -> None:
    s = clip(data.scores, area)
    if s is None or s.empty:
        return
    s = simplify(s[["name", "class", s.geometry.name]], data.metric_crs, 0.0)
    fc = features(s, ["name", "class"])
    for f in fc["features"]:
        p = f["properties"]
        p["style"] = {"radius": 5, "fillColor": st.class_color(p.get("class")),
                      "color": "#212121", "weight": 1, "fill": True, "fillOpacity": 0.9}
    folium.GeoJson(
        fc, name="Destinasi wisata",
        marker=folium.CircleMarker(radius=5, className="sw-dest"),
        on_each_feature=ly.text_tooltip("f.properties.name", sticky=False),
    ).add_to(m)


def legend_html(t: gpd.GeoDataFrame, labels: list[str], color_by: str, budget: float | None,
                selected: np.ndarray, bins: np.ndarray, *, links_shown: bool = True) -> str:
    title = "Peringkat (1 = prioritas tertinggi)" if color_by == "rank" else \
        "Manfaat/biaya: menit dihemat per Rp 1 miliar (tertinggi paling gelap)"
    rows = [f"<h4>{title}</h4>"]
    rows += [ly.legend_row(ly.line_swatch(c, None, 5), lab or "–")
             for c, lab in zip(RANK_STEPS, labels, strict=True) if lab]
    if (bins == NO_BENEFIT).any():
        rows.append(ly.legend_row(ly.line_swatch(NO_BENEFIT_COLOR, None, 2.5),
                                  "Tidak menghemat waktu tempuh"))
    rows.append(ly.legend_row(
        f'<svg width="26" height="12"><line x1="2" y1="6" x2="24" y2="6" '
        f'stroke="{st.SELECTED_HALO}" stroke-width="10" stroke-linecap="round"/>'
        f'<line x1="2" y1="6" x2="24" y2="6" stroke="{RANK_STEPS[1]}" stroke-width="4"/></svg>',
        "Terpilih dalam anggaran"))
    n_sel = int(selected.sum())
    cost = pd.to_numeric(t["cost_rp"], errors="coerce")[selected].sum() if "cost_rp" in t else 0
    if budget is None and n_sel == 0:
        rows.append(f'<div class="note">Tanpa anggaran: {len(t)} ruas diperingkat menurut '
                    "manfaat/biaya, belum ada yang dipilih (tambahkan anggaran). Biaya satuan "
                    "adalah asumsi (lihat konfigurasi).</div>")
    else:
        budget_txt = st.fmt_rupiah(budget) if budget is not None else "sesuai perhitungan"
        rows.append(f'<div class="note">Anggaran: {budget_txt}. {n_sel} dari {len(t)} ruas '
                    f"terpilih, total {st.fmt_rupiah(cost)}. Biaya satuan adalah asumsi "
                    "(lihat konfigurasi).</div>")
    rows.append("<h4>Konteks</h4>")
    rows.append(ly.legend_row(ly.line_swatch("#9e9e9e"), "Jaringan jalan"))
    rows.append(ly.links_legend(links_shown))
    rows += [ly.legend_row(ly.dot_swatch(st.CLASS_COLORS[c]), f"Destinasi {st.CLASS_LABELS[c]}")
             for c in st.CLASS_ORDER]
    return "".join(rows)


def build_priorities_map(ws: Workspace, *, distrik: str | None = None,
                         color_by: str = "rank") -> folium.Map:
    """Convenience for notebooks: the stored priorities of a workspace as a map."""
    data = load_map_data(ws, compute_access=False)
    if data.priorities is None:
        raise WorkspaceError("layer 'priorities' belum ada: "
                             "jalankan 'siapwisata priorities' dulu")
    return priorities_map(data, data.priorities, distrik=distrik, color_by=color_by,
                          home_url=None)


def priorities_html(data: MapData, table: gpd.GeoDataFrame, *, distrik: str | None = None,
                    budget: float | None = None, color_by: str = "rank",
                    tiles: ly.Basemaps = None, static_url: str = "/static") -> str:
    """The page served at ``/maps/priorities``."""
    m = priorities_map(data, table, distrik=distrik, budget=budget, color_by=color_by,
                       tiles=tiles, home_url="/", edit_url=ROAD_FORM_URL)
    return ly.render(m, static_url)
