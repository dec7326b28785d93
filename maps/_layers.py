"""Layers and page furniture shared by the readiness and priorities maps."""

from __future__ import annotations

import json
from html import escape
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Figure
from folium import plugins
from folium.utilities import JsCode

from . import _style as st
from ._assets import AssetError, external_urls, localize
from ._basemaps import Basemaps as Basemaps  # re-exported: the maps' ``tiles`` type
from ._basemaps import Tiles as Tiles  # re-exported for callers of the older layout
from ._basemaps import add_basemaps
from ._data import Area, MapData, clip
from ._elements import Setup, SiapCall
from ._geom import bounds_latlon, dissolve_lines, features, simplify

# Display tolerances in metres: below what a screen shows at the zoom where each is useful.
TOL_ROADS_M = 5.0
TOL_BOUNDARY_M = 150.0
TOL_DISTRIK_M = 80.0
TOL_KAMPUNG_M = 40.0


def base_map(data: MapData, area: Area | None, tiles: Basemaps) -> folium.Map:
    """A folium map without CDN tiles, framed on the region (or the chosen distrik), with
    the basemaps asked for (none by default: :mod:`maps._basemaps`)."""
    frame = _frame(data, area)
    center = [(frame[0][0] + frame[1][0]) / 2, (frame[0][1] + frame[1][1]) / 2]
    m = folium.Map(location=center, zoom_start=9, tiles=None, control_scale=False,
                   zoom_control=False)
    # folium hands min/max zoom only to its tile layer; without tiles the map itself must
    # know them (marker clustering refuses a map without maxZoom).
    m.options.update(minZoom=5, maxZoom=19)
    add_basemaps(m, tiles)
    return m


def _frame(data: MapData, area: Area | None) -> list[list[float]]:
    if area is not None:
        minx, miny, maxx, maxy = area.geometry.bounds
        return [[miny, minx], [maxy, maxx]]
    for layer in (data.boundary, data.scores, data.roads, data.gateways):
        if layer is not None:
            b = bounds_latlon(layer)
            if b is not None:
                return b
    return [[-11.0, 95.0], [6.0, 141.0]]  # Indonesia: only for an empty workspace


def frame(data: MapData, area: Area | None) -> list[list[float]]:
    """``[[south, west], [north, east]]`` the map opens on."""
    return _frame(data, area)


def add_boundaries(m: folium.Map, data: MapData, area: Area | None) -> None:
    """Regency outline (a pale land fill, which replaces a basemap) and distrik lines."""
    if data.boundary is not None and not data.boundary.empty:
        b = simplify(data.boundary[[data.boundary.geometry.name]], data.metric_crs, TOL_BOUNDARY_M)
        fc = features(b)
        # swLand: the fill siapwisata.js clears while a basemap is shown
        _style_all(fc, {"color": "#6d6d6d", "weight": 1.5, "fill": True, "fillColor": "#fbfaf5",
                        "fillOpacity": 1.0, "interactive": False, "swLand": True})
        folium.GeoJson(fc, name="Batas kabupaten", control=False,
                       interactive=False).add_to(m)
    dis = data.distrik()
    if not dis.empty:
        d = simplify(dis[["kode", "nama", dis.geometry.name]], data.metric_crs, TOL_DISTRIK_M)
        d["label"] = "Distrik " + d["nama"].astype(str)
        fc = features(d, ["label"])
        _style_all(fc, {"color": "#37474f", "weight": 1.6, "dashArray": "6 3", "fill": False})
        folium.GeoJson(fc, name="Batas distrik",
                       on_each_feature=text_tooltip("f.properties.label")).add_to(m)
        if area is not None:
            sel = d[d["kode"].astype(str) == area.kode]
            fc = features(sel)
            _style_all(fc, {"color": "#000", "weight": 3, "fill": False, "interactive": False})
            # Layer names are HTML in Leaflet's layer control.
            folium.GeoJson(fc, name=f"Distrik {escape(area.nama)}", control=False,
                           interactive=False).add_to(m)


KAMPUNG_BUCKETS: tuple[tuple[float, str, str], ...] = (
    (30.0, "#e8f5e9", "≤ 30 menit"),
    (60.0, "#c8e6c9", "30–60 menit"),
    (120.0, "#ffe0b2", "60–120 menit"),
    (float("inf"), "#ffccbc", "> 120 menit"),
)
KAMPUNG_UNREACHED = ("#eeeeee", "tidak terjangkau / tidak diketahui")


def add_kampung(m: folium.Map, data: MapData, area: Area | None, *, show: bool = True) -> None:
    """Kampung polygons shaded by the time to their nearest destination (kampung view)."""
    k = data.kampung()
    if k.empty:
        return
    k = clip(k, area)
    assert k is not None
    k = simplify(k, data.metric_crs, TOL_KAMPUNG_M)
    minutes = pd.to_numeric(k.get("minutes_to_nearest_destination"), errors="coerce")
    if minutes is None:
        minutes = pd.Series(np.nan, index=k.index)
    fill = np.full(len(k), KAMPUNG_UNREACHED[0], dtype=object)
    for upper, color, _label in reversed(KAMPUNG_BUCKETS):
        fill[(minutes <= upper).to_numpy()] = color
    nearest = k["nearest_destination"] if "nearest_destination" in k else pd.Series("", index=k.index)
    names = _destination_names(data)
    tips = []
    for nama, dis, mins, dest in zip(k["nama"], k["distrik"], minutes, nearest, strict=True):
        where = f"Kampung {nama}" + (f", Distrik {dis}" if isinstance(dis, str) else "")
        if np.isfinite(mins):
            dname = names.get(str(dest), str(dest))
            what = f"{st.fmt_num(mins, 0)} menit ke destinasi terdekat ({dname})"
        else:
            what = "waktu ke destinasi: tidak terjangkau / tidak diketahui"
        tips.append(f"{where}: {what}")  # bound as text, see text_tooltip
    k = k.assign(tip=tips, fill=fill)
    fc = features(k, ["tip", "fill"])
    for f in fc["features"]:
        p = f["properties"]
        p["style"] = {"color": "#9e9e9e", "weight": 0.6, "fillColor": p.pop("fill"),
                      "fillOpacity": 0.55}
    folium.GeoJson(fc, name="Kampung (waktu ke destinasi terdekat)", show=show,
                   on_each_feature=text_tooltip("f.properties.tip")).add_to(m)


def _destination_names(data: MapData) -> dict[str, str]:
    src = data.scores if data.scores is not None else data.destinations
    if src is None:
        return {}
    return dict(zip(src["id"].astype(str), src["name"].astype(str), strict=True))


def road_layer(data: MapData, area: Area | None, positions: np.ndarray | None = None,
               modes: tuple[str, ...] = ("road",)) -> gpd.GeoDataFrame:
    """Road rows of the given modes (optionally only ``positions``), clipped to the area."""
    if data.roads is None or data.roads.empty:
        return gpd.GeoDataFrame(columns=["geometry"], geometry="geometry", crs="EPSG:4326")
    r = data.roads if positions is None else data.roads.iloc[positions]
    r = r[r["mode"].isin(modes)]
    out = clip(r, area)
    assert out is not None
    return out


def add_roads(m: folium.Map, data: MapData, area: Area | None, *, muted: bool = False,
              show: bool = True) -> None:
    """Roads coloured by surface, dashed by PU condition, weighted by class.

    Rows are dissolved per style, which keeps the page small and still shows exactly the
    surface and condition of every stretch.
    """
    r = road_layer(data, area)
    if r.empty:
        return
    r = r.assign(weight=r["highway"].map(st.HIGHWAY_WEIGHT).fillna(st.DEFAULT_WEIGHT))
    r = simplify(r[["surface_class", "condition", "weight", r.geometry.name]], data.metric_crs,
                 TOL_ROADS_M)
    g = dissolve_lines(r, ["surface_class", "condition", "weight"])
    fc = features(g, ["surface_class", "condition", "weight"])
    for f in fc["features"]:
        p = f.pop("properties")
        surface, condition, weight = p["surface_class"], p["condition"], float(p["weight"])
        style = st.road_style(surface, condition, "")
        style["weight"] = weight
        if muted:
            style.update(color="#9e9e9e", opacity=0.6)
        f["properties"] = {
            "tip": f"{st.SURFACE_LABELS.get(surface, surface)} · "
                   f"{st.CONDITION_LABELS.get(condition, condition)}",
            "style": style,
        }
    folium.GeoJson(
        fc, name="Jalan (permukaan dan kondisi)", show=show,
        on_each_feature=None if muted else text_tooltip("f.properties.tip"),
        interactive=not muted,
    ).add_to(m)


LINK_MODES = ("water", "air")


def links_dominate(data: MapData, area: Area | None) -> bool:
    """Whether the boat and air links, drawn as straight lines, would outweigh the roads:
    their total length is longer than that of the road network shown.

    Each link is a straight line from a gateway to every place it serves, so a port with
    many coastal kampung draws a fan that hides the roads and destinations under it.
    """
    links = road_layer(data, area, modes=LINK_MODES)
    if links.empty:
        return False
    roads = road_layer(data, area)
    crs = data.metric_crs
    link_km = float(links.geometry.to_crs(crs).length.sum())
    road_km = float(roads.geometry.to_crs(crs).length.sum()) if not roads.empty else 0.0
    return link_km > road_km


def add_links(m: folium.Map, data: MapData, area: Area | None,
              show: bool | None = None) -> bool:
    """Water and air links, one overlay per mode, drawn as thin dashed straight lines.

    ``show``: whether the overlays start switched on; by default only when they do not
    dominate the map (:func:`links_dominate`). Returns whether they start switched on.
    """
    r = road_layer(data, area, modes=LINK_MODES)
    if r.empty:
        return False
    if show is None:
        show = not links_dominate(data, area)
    r = simplify(r[["mode", r.geometry.name]], data.metric_crs, TOL_ROADS_M)
    g = dissolve_lines(r, ["mode"])
    fc = features(g, ["mode"])
    by_mode: dict[str, list[dict[str, Any]]] = {}
    for f in fc["features"]:
        by_mode.setdefault(f["properties"]["mode"], []).append(f)
    for mode in LINK_MODES:
        part = by_mode.get(mode, [])
        if not part:
            continue
        for f in part:
            f["properties"] = {"tip": st.MODE_LABELS[mode], "style": dict(st.MODE_STYLES[mode])}
        folium.GeoJson(
            {"type": "FeatureCollection", "features": part},
            name=st.MODE_LABELS[mode], show=show,
            on_each_feature=text_tooltip("f.properties.tip"),
        ).add_to(m)
    return show


GATEWAY_LABEL_ORDER = ("bandara", "pelabuhan", "terminal", "pusat_kota")
"""Which gateway labels win when two would overlap: airports first, then ports."""


def add_gateways(m: folium.Map, data: MapData) -> None:
    """Gateways (airports, ports, terminals, town centres) as small symbols with name
    labels; labels that would overlap are hidden in the browser at each zoom
    (``SiapWisata.gateways``), airports and ports first."""
    gw = data.gateways
    if gw is None or gw.empty:
        return
    gw = gw[gw.geometry.notna() & ~gw.geometry.is_empty]
    kinds = gw["kind"].astype(str) if "kind" in gw else pd.Series("", index=gw.index)
    order = {k: i for i, k in enumerate(GATEWAY_LABEL_ORDER)}
    rows = []
    for (_, row), kind in zip(gw.iterrows(), kinds, strict=True):  # a handful per region
        gid = str(row["id"])
        iata = row.get("iata")
        name = str(row["name"]) if isinstance(row.get("name"), str) and row["name"] else gid
        code = iata if isinstance(iata, str) and iata else gid
        rows.append({
            "lat": round(float(row.geometry.y), 6), "lon": round(float(row.geometry.x), 6),
            "color": st.GATEWAY_KIND_COLORS.get(kind, "#212121"),
            "label": name,
            "title": f"{name} ({st.GATEWAY_KIND_LABELS.get(kind, kind)}, {code})",
            "priority": order.get(kind, len(order)),
        })
    fg = folium.FeatureGroup(name="Gerbang (bandara, pelabuhan, terminal)")
    fg.add_to(m)
    SiapCall("gateways", [fg], {"rows": rows}).add_to(m)


def text_tooltip(expr: str, *, sticky: bool = True,
                 popup: dict[str, Any] | None = None) -> JsCode:
    """folium ``on_each_feature`` code binding a tooltip as plain text.

    Parameters
    ----------
    expr
        JS expression over the feature ``f`` giving the tooltip text, e.g.
        ``"f.properties.name"``. The value is user data (agency spreadsheets, OSM), so it
        is bound through ``SiapWisata.textTooltip``: Leaflet would parse a string as HTML.
    sticky
        The tooltip follows the mouse (lines and areas) instead of sitting at the marker.
    popup
        Also bind ``f.properties.popup`` as the popup, with these Leaflet options. That
        property is HTML built in Python with every value escaped (:mod:`maps._popup`).
    """
    options = dumps({"sticky": True}) if sticky else "{}"
    bind_popup = (f"layer.bindPopup(f.properties.popup, {dumps(popup)}); "
                  if popup is not None else "")
    return JsCode(f"function(f, layer){{ {bind_popup}"
                  f"SiapWisata.textTooltip(layer, {expr}, {options}); }}")


def _style_all(fc: dict[str, Any], style: dict[str, Any]) -> None:
    for f in fc["features"]:
        f["properties"]["style"] = style


def legend_row(swatch: str, label: str) -> str:
    return f'<div class="row">{swatch}<span>{escape(label)}</span></div>'


def line_swatch(color: str, dash: str | None = None, weight: float = 3.0) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" stroke="{color}" '
            f'stroke-width="{weight}"{d}/></svg>')


def dot_swatch(color: str) -> str:
    return f'<span class="dot" style="background:{color}"></span>'


def square_swatch(color: str) -> str:
    return f'<span class="sq" style="background:{color}"></span>'


def road_legend() -> str:
    rows = [legend_row(line_swatch(st.SURFACE_COLORS[s]), st.SURFACE_LABELS[s])
            for s in st.SURFACE_COLORS]
    rows += [legend_row(line_swatch("#555", st.CONDITION_DASH[c]), st.CONDITION_LABELS[c])
             for c in ("baik", "rusak_ringan", "rusak_berat")]
    return "<h4>Permukaan dan kondisi jalan</h4>" + "".join(rows)


def links_legend(shown: bool = True) -> str:
    """Legend rows of the water and air links; with a note when they start switched off."""
    rows = []
    for mode in LINK_MODES:
        s = st.MODE_STYLES[mode]
        rows.append(legend_row(line_swatch(str(s["color"]), str(s["dashArray"])),
                               st.MODE_LABELS[mode]))
    if not shown:
        rows.append('<div class="note">Jalur air dan udara tidak ditampilkan di awal (garis '
                    "lurusnya menutupi peta): nyalakan di kontrol lapisan.</div>")
    return "".join(rows)


def sources_note(data: MapData) -> str:
    """Short list of the workspace's data sources, flagged when synthetic."""
    if data.sources.empty or "name" not in data.sources:
        return ""
    items = []
    for _, s in data.sources.drop_duplicates(["name", "layer"]).iterrows():
        flag = " (sintetis)" if bool(s.get("synthetic")) else ""
        lic = f", {s['licence']}" if isinstance(s.get("licence"), str) and s["licence"] else ""
        items.append(f"{s['layer']}: {s['name']}{lic}{flag}")
    return '<div class="note">Sumber data: ' + escape("; ".join(items)) + "</div>"


def finish(
    m: folium.Map,
    data: MapData,
    *,
    shown: tuple[str, ...],
    title: str,
    legend: str,
    area: Area | None,
    home_url: str | None,
    measure: bool = True,
    fit: list[list[float]] | None = None,
) -> None:
    """Controls and furniture every map has: layer control, fullscreen, measure, legend,
    synthetic banner and credits (OSM when any shown layer holds OSM rows)."""
    if measure:
        plugins.MeasureControl(
            position="topleft", primary_length_unit="kilometers", secondary_length_unit="meters",
            primary_area_unit="hectares", secondary_area_unit="sqmeters",
            decPoint=",", thousandsSep=".",
        ).add_to(m)
    plugins.Fullscreen(position="topleft", title="Layar penuh",
                       title_cancel="Keluar dari layar penuh").add_to(m)
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    synthetic = data.synthetic_layers(shown)
    osm = data.osm_layers(shown)
    attribution = ["SIAP Wisata"]
    if osm:
        attribution.insert(0, st.OSM_CREDIT)
    home = (f' · <a href="{escape(home_url)}">Beranda</a>' if home_url else "")
    where = f"Distrik {area.nama}" if area is not None else data.region
    credit = f'<div class="note sw-credit">{st.OSM_CREDIT}</div>' if osm else ""
    Setup(
        {
            "zoom": True,
            "banner": st.BANNER_SYNTHETIC if synthetic else None,
            "title": f"<b>{escape(title)}</b><br>{escape(where)}{home}",
            "legend": (f"<details open><summary>Legenda</summary>{legend}"
                       f"{sources_note(data)}{credit}</details>"),
            "attribution": attribution,
            "measure": measure,
            "fit": fit or frame(data, area),
        }
    ).add_to(m)


def render(m: folium.Map, static_url: str = "/static") -> str:
    """The page as HTML, with every asset served locally; refuses any external load."""
    localize(m, static_url)
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(
        # An empty inline icon: browsers otherwise request /favicon.ico and log a 404.
        folium.Element('<link rel="icon" href="data:,">'),
        name="favicon",
    )
    html = root.render()
    outside = external_urls(html)
    if outside:
        raise AssetError("halaman peta akan memuat dari luar (page would load external URLs): "
                         + ", ".join(outside))
    return html


def dumps(obj: Any) -> str:
    """Compact JSON for JS snippets."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
