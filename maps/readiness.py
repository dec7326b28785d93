"""The readiness map for Dinas Pariwisata and Bappeda (Bahasa Indonesia).

Destinations are coloured by readiness class and sized by score; each popup shows the
per-agency (OPD) breakdown as a small bar chart, the bottleneck and its actions, and the
access time with its gateway. Around them: roads by surface and condition, water and air
links, gateways, UMKM (clustered and as a heatmap), kampung shaded by the time to their
nearest destination, distrik boundaries, and the road network reachable within 15 and 30
minutes of a destination.

Use :func:`build_readiness_map` for a :class:`folium.Map` and :func:`readiness_html` for
the page the API serves.
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
from folium import plugins

from geo import fmt
from geo.exceptions import WorkspaceError
from geo.io.workspace import Workspace

from . import _layers as ly
from . import _style as st
from ._data import REACH_MINUTES, Area, MapData, clip, load_map_data
from ._elements import ReachOnPopup, SearchControl, SiapCall
from ._geom import dissolve_lines, features, simplify
from ._popup import destination_popup

TITLE = "Kesiapan Destinasi Wisata"
DEST_PANE = "swDestinations"
# Neutral cluster badges: the green/yellow/orange defaults read like readiness classes.
CLUSTER_ICON = (
    "function (cluster) { var n = cluster.getChildCount();"
    " var s = n < 10 ? 26 : n < 100 ? 32 : 38;"
    " return L.divIcon({html: '<div><span>' + n + '</span></div>',"
    " className: 'sw-cluster', iconSize: L.point(s, s)}); }"
)
# Layers whose rows decide the synthetic banner and the OSM credit on this map.
SHOWN = ("boundary", "admin", "roads", "gateways", "umkm", "scores", "destinations")


def destination_features(data: MapData, area: Area | None) -> dict[str, object]:
    """Scored destinations as GeoJSON with popup HTML and marker style per feature."""
    if data.scores is None:
        raise WorkspaceError(
            "layer 'scores' belum ada: jalankan 'siapwisata score' dulu"
        )
    s = clip(data.scores, area)
    assert s is not None
    cats: dict[str, str] = {}
    if data.destinations is not None and "category" in data.destinations:
        cats = dict(zip(data.destinations["id"].astype(str),
                        data.destinations["category"].astype(str), strict=True))
    gw_names: dict[str, str] = {}
    if data.gateways is not None:
        gw_names = dict(zip(data.gateways["id"].astype(str),
                            data.gateways["name"].astype(str), strict=True))
    s = s.sort_values("score", ascending=True, na_position="first")  # big markers on top
    popups, styles = [], []
    for rec in s.drop(columns=s.geometry.name).to_dict("records"):
        did = str(rec["id"])
        gw = rec.get("access_gateway")
        popups.append(destination_popup(rec, data.dimensions, category=cats.get(did),
                                        gateway_name=gw_names.get(str(gw)) if gw else None))
        score = pd.to_numeric(pd.Series([rec.get("score")]), errors="coerce").iloc[0]
        styles.append({
            "radius": round(st.score_radius(None if pd.isna(score) else float(score)), 1),
            "fillColor": st.class_color(rec.get("class")),
            "color": "#212121", "weight": 1.2, "fill": True, "fillOpacity": 0.95,
        })
    out = s[["id", "name", "class", "score", s.geometry.name]].copy()
    out["id"] = out["id"].astype(str)
    out["score"] = pd.to_numeric(out["score"], errors="coerce").round(1)
    # for the filter and the colouring by one agency, done in the browser
    out["bottleneck"] = s["bottleneck"] if "bottleneck" in s else None
    out["dims"] = _agency_scores(s, list(data.dimensions))
    out["popup"] = popups
    out["style"] = styles
    out = simplify(out, data.metric_crs, 0.0)
    return features(out, ["id", "name", "class", "score", "bottleneck", "dims", "popup",
                          "style"])


def _agency_scores(s: pd.DataFrame, keys: list[str]) -> list[dict[str, float | None]]:
    """Per row ``{dimension: score}`` (one decimal, None when unknown)."""
    cols = {k: pd.to_numeric(s[f"score_{k}"], errors="coerce").round(1).to_numpy()
            if f"score_{k}" in s else np.full(len(s), np.nan) for k in keys}
    return [{k: (None if np.isnan(cols[k][i]) else float(cols[k][i])) for k in keys}
            for i in range(len(s))]


def _reach_layers(m: folium.Map, data: MapData, area: Area | None) -> None:
    if not data.reach:
        return
    within15 = data.reach.get(15, np.empty(0, np.int64))
    shown: list[tuple[int, np.ndarray, str]] = [
        (15, within15, "Jalan terjangkau ≤ 15 menit dari destinasi"),
    ]
    if 30 in data.reach:
        shown.append((30, np.setdiff1d(data.reach[30], within15),
                      "Jalan terjangkau 15–30 menit dari destinasi"))
    for minutes, positions, name in shown:
        r = ly.road_layer(data, area, positions)
        if r.empty:
            continue
        r = simplify(r[[r.geometry.name]].assign(minutes=minutes), data.metric_crs,
                     ly.TOL_ROADS_M)
        fc = features(dissolve_lines(r, ["minutes"]))
        for f in fc["features"]:
            f["properties"]["style"] = dict(st.REACH_STYLES[minutes], interactive=False)
        folium.GeoJson(fc, name=name, show=False, interactive=False).add_to(m)


def _umkm_layers(m: folium.Map, data: MapData, area: Area | None) -> None:
    u = clip(data.umkm, area)
    if u is None or u.empty:
        return
    u = u[u.geometry.notna() & ~u.geometry.is_empty]
    lat = np.round(u.geometry.y.to_numpy(), 5)
    lon = np.round(u.geometry.x.to_numpy(), 5)
    names = [str(n) for n in u["name"]]  # bound as text by SiapWisata.textTooltip
    types = u["type"].astype(str).tolist()
    rows = [[float(a), float(b), n, t] for a, b, n, t in zip(lat, lon, names, types, strict=True)]
    callback = (
        "function (row) {"
        f"var C = {ly.dumps(st.UMKM_TYPE_COLORS)}; var T = {ly.dumps(st.UMKM_TYPE_LABELS)};"
        "var mk = L.circleMarker(new L.LatLng(row[0], row[1]), {radius: 5, color: '#fff',"
        " weight: 1, fillColor: C[row[3]] || '#757575', fillOpacity: 0.95});"
        "SiapWisata.textTooltip(mk, row[2] + ' (' + (T[row[3]] || row[3]) + ')'); return mk; }"
    )
    plugins.FastMarkerCluster(rows, callback=callback, name="UMKM (klaster)",
                              icon_create_function=CLUSTER_ICON,
                              options={"showCoverageOnHover": False,
                                       "maxClusterRadius": 45}).add_to(m)
    plugins.HeatMap([[float(a), float(b)] for a, b in zip(lat, lon, strict=True)],
                    name="UMKM (peta kepadatan)", show=False, radius=18, blur=15,
                    min_opacity=0.35).add_to(m)


def agency_score_bins() -> list[tuple[str, str]]:
    """(colour, label) of each step of the colouring by one agency's score, then unknown."""
    edges = [0.0, *st.AGENCY_SCORE_EDGES, 100.0]
    out = [(c, f"{fmt.integer(lo)}–{fmt.integer(hi)}")
           for c, lo, hi in zip(st.AGENCY_SCORE_COLORS, edges[:-1], edges[1:], strict=True)]
    return [*out, (st.UNKNOWN_COLOR, "tidak diketahui (data kosong)")]


def legend_html(data: MapData, *, links_shown: bool = True) -> str:
    # The first block follows the "Warnai menurut" choice (SiapWisata.destinationTools):
    # classes for the total score, else the steps of one agency's score, titled by JS.
    rows = ['<div class="sw-by-class"><h4>Kelas kesiapan destinasi</h4>']
    rows += [ly.legend_row(ly.dot_swatch(st.CLASS_COLORS[c]), st.CLASS_LABELS[c])
             for c in st.CLASS_ORDER]
    rows.append('</div><div class="sw-by-agency" hidden><h4>Skor OPD</h4>')
    rows += [ly.legend_row(ly.dot_swatch(c), label) for c, label in agency_score_bins()]
    rows.append("</div>")
    rows.append('<div class="note">Ukuran lingkaran = skor kesiapan total (0–100). '
                "Klik destinasi untuk rincian per OPD.</div>")
    if data.dimensions:
        # the bars of the popup: one per agency dimension of readiness.toml
        rows.append("<h4>Skor per OPD (dimensi)</h4>")
        rows += [ly.legend_row(ly.square_swatch(lab.color), f"{lab.short}: {lab.agency}")
                 for lab in data.dimensions.values()]
    rows.append(ly.road_legend())
    rows.append("<h4>Transportasi</h4>" + ly.links_legend(links_shown))
    rows += [ly.legend_row(ly.line_swatch(str(st.REACH_STYLES[15]["color"]), None, 6),
                           "Jalan ≤ 15 menit dari destinasi"),
             ly.legend_row(ly.line_swatch(str(st.REACH_STYLES[30]["color"]), None, 6),
                           "Jalan 15–30 menit dari destinasi")]
    rows.append("<h4>Kampung: waktu ke destinasi terdekat</h4>")
    rows += [ly.legend_row(ly.square_swatch(c), label) for _, c, label in ly.KAMPUNG_BUCKETS]
    rows.append(ly.legend_row(ly.square_swatch(ly.KAMPUNG_UNREACHED[0]), ly.KAMPUNG_UNREACHED[1]))
    rows.append("<h4>UMKM</h4>")
    rows += [ly.legend_row(ly.dot_swatch(c), st.UMKM_TYPE_LABELS[t])
             for t, c in st.UMKM_TYPE_COLORS.items()]
    return "".join(rows)


def readiness_map(
    data: MapData,
    *,
    distrik: str | None = None,
    tiles: ly.Basemaps = None,
    reach_url: str | None = "/api/destinations/{id}/reach",
    home_url: str | None = "/",
) -> folium.Map:
    """Build the readiness map from loaded layers.

    Parameters
    ----------
    data
        Layers of the workspace (:func:`maps._data.load_map_data`).
    distrik
        Show only this distrik (Kemendagri code or name); raises
        :class:`~maps._data.UnknownArea` when it names no distrik.
    tiles
        Optional basemap; off by default, the map is readable without it.
    reach_url
        API URL template (``{id}``) for the reach overlay drawn while a destination's popup
        is open; ``None`` for a standalone file.
    home_url
        Link back to the landing page, shown in the title box.
    """
    area = data.find_distrik(distrik) if distrik else None
    dest_fc = destination_features(data, area)
    m = ly.base_map(data, area, tiles)
    ly.add_boundaries(m, data, area)
    ly.add_kampung(m, data, area)
    ly.add_roads(m, data, area)
    _reach_layers(m, data, area)
    links_shown = ly.add_links(m, data, area)
    _umkm_layers(m, data, area)
    ly.add_gateways(m, data)
    # Destinations get their own pane above the marker pane, so UMKM cluster badges
    # never hide them.
    folium.map.CustomPane(DEST_PANE, z_index=640, pointer_events=True).add_to(m)
    dest = folium.GeoJson(
        dest_fc,
        name="Destinasi wisata (kelas kesiapan)",
        marker=folium.CircleMarker(radius=6, className="sw-dest", pane=DEST_PANE),
        on_each_feature=ly.text_tooltip(
            "f.properties.name", sticky=False,
            popup={"maxWidth": 380, "maxHeight": 460, "autoPanPaddingTopLeft": [60, 50]}),
    )
    dest.add_to(m)
    if dest_fc["features"]:  # folium's search control cannot render an empty layer
        SearchControl(dest, "name", placeholder="Cari destinasi…").add_to(m)
    if reach_url:
        ReachOnPopup(dest, reach_url,
                     {str(k): dict(st.REACH_STYLES[k]) for k in REACH_MINUTES}).add_to(m)
    ly.finish(m, data, shown=SHOWN, title=TITLE,
              legend=legend_html(data, links_shown=links_shown), area=area, home_url=home_url)
    if data.dimensions:
        # after finish(): the box goes below the zoom buttons that Setup adds
        SiapCall("destinationTools", [dest], {
            "dimensions": [{"key": k, "agency": lab.agency} for k, lab in data.dimensions.items()],
            "edges": list(st.AGENCY_SCORE_EDGES), "colors": list(st.AGENCY_SCORE_COLORS),
            "unknown": st.UNKNOWN_COLOR,
        }).add_to(m)
    return m


def build_readiness_map(ws: Workspace, *, distrik: str | None = None,
                        tiles: ly.Basemaps = None) -> folium.Map:
    """Convenience for notebooks: load the workspace and build a standalone map."""
    return readiness_map(load_map_data(ws), distrik=distrik, tiles=tiles, reach_url=None,
                         home_url=None)


def readiness_html(data: MapData, *, distrik: str | None = None, tiles: ly.Basemaps = None,
                   static_url: str = "/static", api_prefix: str = "/api") -> str:
    """The page served at ``/maps/readiness``: all assets from ``static_url``."""
    m = readiness_map(data, distrik=distrik, tiles=tiles,
                      reach_url=f"{api_prefix}/destinations/{{id}}/reach", home_url="/")
    return ly.render(m, static_url)
