"""Small static maps for the printed reports, drawn on the server as inline SVG.

No tiles, no browser, no script: geometries are projected to the workspace's metric CRS,
clipped to the frame and simplified to the pixel size with shapely (vectorised over all
features), and every group of lines or polygons of one style becomes a single ``<path>``
whose ``d`` is built with numpy string operations, not a Python loop per vertex. Points
(destinations, gateways: tens) are circles with escaped labels. A scale bar in round
kilometres and the OSM credit sit in the corner, so the map reads on paper as it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS

from geo import fmt

OSM_CREDIT: Final = "© kontributor OpenStreetMap"
"""The OSM credit printed on every report and map (Bahasa Indonesia)."""

# Roads by function: arterials stand out, lanes stay light. Width (px) and colour.
ROAD_TIERS: Final[dict[str, str]] = {
    **dict.fromkeys(("motorway", "trunk", "primary", "secondary", "motorway_link",
                     "trunk_link", "primary_link", "secondary_link"), "arteri"),
    **dict.fromkeys(("tertiary", "tertiary_link"), "kolektor"),
}
TIER_STYLES: Final[dict[str, tuple[float, str]]] = {
    "arteri": (2.2, "#424242"), "kolektor": (1.4, "#757575"), "lokal": (0.6, "#b0b0b0"),
}
ROAD_CLASS_LABELS: Final[dict[str, str]] = {
    "arteri": "Jalan utama (primer/sekunder)", "kolektor": "Jalan tersier",
    "lokal": "Jalan lokal/lingkungan",
}
WATER_STYLE: Final = ("#4f9fd4", 0.8, "4 3")


@dataclass
class SvgMap:
    """A map frame of ``width`` x ``height`` px over ``bounds`` (metric CRS), drawn in the
    order the layers are added.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in ``crs`` (metres); widened to the frame's aspect.
    crs
        The metric CRS every geometry is projected to before drawing.
    """

    bounds: tuple[float, float, float, float]
    crs: CRS
    width: int = 480
    height: int = 320
    title: str = "Peta"
    _parts: list[str] = field(default_factory=list)
    _legend: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        minx, miny, maxx, maxy = self.bounds
        w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        # widen the short side so one metre is the same number of pixels both ways
        if w / h > self.width / self.height:
            grow = w * self.height / self.width - h
            miny, maxy = miny - grow / 2, maxy + grow / 2
        else:
            grow = h * self.width / self.height - w
            minx, maxx = minx - grow / 2, maxx + grow / 2
        self.bounds = (minx, miny, maxx, maxy)
        self.scale = self.width / (maxx - minx)  # px per metre

    # --- geometry ---------------------------------------------------------------------

    def _prepare(self, gdf: gpd.GeoSeries | gpd.GeoDataFrame) -> NDArray[np.object_]:
        """Geometries in the metric CRS, clipped to the frame (plus a margin) and simplified
        to half a pixel; empty ones dropped."""
        geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
        if geoms.crs is not None and CRS.from_user_input(geoms.crs) != self.crs:
            geoms = geoms.to_crs(self.crs)
        arr: NDArray[np.object_] = np.asarray(geoms.values, dtype=object)
        arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
        if not len(arr):
            return arr
        minx, miny, maxx, maxy = self.bounds
        pad = 4 / self.scale
        arr = shapely.clip_by_rect(arr, minx - pad, miny - pad, maxx + pad, maxy + pad)
        arr = shapely.simplify(arr, 0.5 / self.scale, preserve_topology=False)
        return np.asarray(arr[~shapely.is_empty(arr)], dtype=object)

    def _d(self, geoms: NDArray[np.object_], *, rings: bool = False) -> str:
        """The ``d`` attribute of one path drawing all ``geoms`` (lines, or polygon rings)."""
        if not len(geoms):
            return ""
        parts = shapely.get_parts(geoms)
        if rings:
            parts = shapely.get_rings(parts)
        else:
            parts = parts[shapely.get_type_id(parts) == 1]  # clipped lines may leave points
        if not len(parts):
            return ""
        coords, index = shapely.get_coordinates(parts, return_index=True)
        minx, _, _, maxy = self.bounds
        px = np.char.mod("%.1f", (coords[:, 0] - minx) * self.scale)
        py = np.char.mod("%.1f", (maxy - coords[:, 1]) * self.scale)
        start = np.ones(len(index), dtype=bool)
        start[1:] = index[1:] != index[:-1]
        lead = np.where(start, "M", " ")
        return "".join(np.char.add(np.char.add(np.char.add(lead, px), ","), py).tolist())

    def xy(self, gdf: gpd.GeoSeries | gpd.GeoDataFrame) -> NDArray[np.float64]:
        """Pixel positions of point geometries (rows in order; NaN for empty ones)."""
        geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
        if geoms.crs is not None and CRS.from_user_input(geoms.crs) != self.crs:
            geoms = geoms.to_crs(self.crs)
        minx, _, _, maxy = self.bounds
        pts = shapely.get_coordinates(shapely.centroid(np.asarray(geoms.values, dtype=object)))
        if len(pts) != len(geoms):  # an empty geometry has no coordinate
            return np.full((len(geoms), 2), np.nan)
        return np.column_stack([(pts[:, 0] - minx) * self.scale, (maxy - pts[:, 1]) * self.scale])

    # --- layers ---------------------------------------------------------------------------

    def lines(self, geoms: gpd.GeoSeries | gpd.GeoDataFrame, *, stroke: str, width: float,
              dash: str | None = None, opacity: float = 1.0, css: str = "",
              legend: str | None = None) -> None:
        """One path of lines in one style."""
        d = self._d(self._prepare(geoms))
        if not d:
            return
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self._parts.append(
            f'<path class="{escape(css)}" d="{d}" fill="none" stroke="{stroke}" '
            f'stroke-width="{width:g}" stroke-opacity="{opacity:g}" stroke-linecap="round" '
            f'stroke-linejoin="round"{extra}/>')
        if legend:
            self._legend.append((f'<line x1="0" y1="5" x2="16" y2="5" stroke="{stroke}" '
                                 f'stroke-width="{max(width, 1.5):g}"{extra}/>', legend))

    def polygons(self, geoms: gpd.GeoSeries | gpd.GeoDataFrame, *, fill: str = "none",
                 stroke: str = "#9e9e9e", width: float = 0.8, fill_opacity: float = 1.0,
                 dash: str | None = None, css: str = "", legend: str | None = None) -> None:
        """One path of polygons (their rings) in one style."""
        d = self._d(self._prepare(geoms), rings=True)
        if not d:
            return
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self._parts.append(
            f'<path class="{escape(css)}" d="{d}" fill="{fill}" fill-opacity="{fill_opacity:g}"'
            f' fill-rule="evenodd" stroke="{stroke}" stroke-width="{width:g}"{extra}/>')
        if legend:
            self._legend.append((f'<rect x="0" y="0" width="16" height="10" fill="{fill}" '
                                 f'fill-opacity="{fill_opacity:g}" stroke="{stroke}"/>', legend))

    def roads(self, roads: gpd.GeoDataFrame) -> None:
        """Roads by function (width and grey), boat links dashed blue (flights are left
        out: their straight lines across the frame say nothing on paper)."""
        mode = (roads["mode"].astype(str) if "mode" in roads
                else pd.Series("road", index=roads.index))
        road = roads[mode == "road"]
        hw = (road["highway"].astype(str) if "highway" in road
              else pd.Series("", index=road.index))
        tier = hw.map(ROAD_TIERS).fillna("lokal")
        for name in ("lokal", "kolektor", "arteri"):  # minor first, arterials on top
            width, color = TIER_STYLES[name]
            self.lines(road[(tier == name).to_numpy()], stroke=color, width=width,
                       css=f"jalan-{name}", legend=ROAD_CLASS_LABELS[name])
        water = roads[(mode == "water").to_numpy()]
        if len(water):
            self.lines(water, stroke=WATER_STYLE[0], width=WATER_STYLE[1],
                       dash=WATER_STYLE[2], css="jalur-air", legend="Jalur perahu")

    def points(self, gdf: gpd.GeoDataFrame, *, colors: Sequence[str] | str, r: float = 4.0,
               labels: Sequence[str] | None = None, stroke: str = "#212121",
               square: bool = False, css: str = "") -> None:
        """Markers (circles, or squares for gateways) with optional labels beside them."""
        xy = self.xy(gdf)
        cols = [colors] * len(gdf) if isinstance(colors, str) else list(colors)
        for i in range(len(gdf)):  # tens of markers
            x, y = xy[i]
            if not (math.isfinite(x) and math.isfinite(y)) or not (
                    -r <= x <= self.width + r and -r <= y <= self.height + r):
                continue
            if square:
                self._parts.append(f'<rect class="{escape(css)}" x="{x - r:.1f}" y="{y - r:.1f}"'
                                   f' width="{2 * r:g}" height="{2 * r:g}" fill="{cols[i]}" '
                                   f'stroke="{stroke}" stroke-width="0.8"/>')
            else:
                self._parts.append(f'<circle class="{escape(css)}" cx="{x:.1f}" cy="{y:.1f}" '
                                   f'r="{r:g}" fill="{cols[i]}" stroke="{stroke}" '
                                   'stroke-width="0.9"/>')
            if labels is not None and labels[i]:
                anchor, dx = ("end", -r - 2) if x > self.width * 0.75 else ("start", r + 2)
                self._parts.append(_halo_text(x + dx, y + 3, str(labels[i]), anchor=anchor,
                                              size=8))

    def legend_item(self, swatch: str, text: str) -> None:
        """A legend entry drawn by the caller (an SVG fragment of 16 x 10 px)."""
        self._legend.append((swatch, text))

    # --- output ---------------------------------------------------------------------------

    def _scalebar(self) -> str:
        """A bar of a round number of km (1, 2 or 5 x 10^k) about a fifth of the width."""
        target = self.width / 5 / self.scale  # metres
        exp = 10 ** math.floor(math.log10(target))
        metres = max(m * exp for m in (1, 2, 5) if m * exp <= target)
        px = metres * self.scale
        x0, y0 = 8, self.height - 10
        label = (f"{fmt.number(metres / 1000, 0 if metres >= 1000 else 1)} km")
        return (f'<g class="skala"><rect x="{x0 - 3}" y="{y0 - 13}" width="{px + 6:.1f}" '
                'height="17" fill="#fff" fill-opacity="0.8"/>'
                f'<path d="M{x0},{y0 - 4} V{y0} H{x0 + px:.1f} V{y0 - 4}" fill="none" '
                'stroke="#212121" stroke-width="1.2"/>'
                f'<text x="{x0 + px / 2:.1f}" y="{y0 - 5}" text-anchor="middle" font-size="8">'
                f"{escape(label)}</text></g>")

    def svg(self) -> str:
        """The map as an ``<svg>`` element (every text escaped)."""
        credit = _halo_text(self.width - 4, self.height - 4, OSM_CREDIT, anchor="end", size=7,
                            fill="#424242")
        north = (f'<g class="utara"><path d="M{self.width - 14},8 l5,12 l-5,-3 l-5,3 z" '
                 f'fill="#212121"/><text x="{self.width - 14}" y="30" text-anchor="middle" '
                 'font-size="8">U</text></g>')
        return (f'<svg class="peta" xmlns="http://www.w3.org/2000/svg" '
                f'viewBox="0 0 {self.width} {self.height}" width="{self.width}" '
                f'height="{self.height}" role="img" aria-label="{escape(self.title)}">'
                f'<rect width="{self.width}" height="{self.height}" fill="#fbfaf6"/>'
                + "".join(self._parts) + self._scalebar() + north + credit + "</svg>")

    def legend(self) -> list[tuple[str, str]]:
        """``(svg swatch, text)`` pairs, in drawing order (the template escapes the text)."""
        seen: set[str] = set()
        out = []
        for swatch, text in self._legend:
            if text not in seen:
                seen.add(text)
                out.append((swatch, text))
        return out


def _halo_text(x: float, y: float, text: str, *, anchor: str, size: float,
               fill: str = "#212121") -> str:
    """A label readable over lines: a white outline drawn first, then the text (SVG's
    ``paint-order`` is not honoured by every renderer, WeasyPrint among them)."""
    body = escape(text)
    at = f'x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size:g}"'
    return (f'<text {at} fill="#fff" stroke="#fff" stroke-width="2.4" '
            f'stroke-linejoin="round">{body}</text><text {at} fill="{fill}">{body}</text>')


def frame_bounds(geoms: Sequence[object] | gpd.GeoSeries, crs: CRS, *, pad: float = 0.08,
                 min_size_m: float = 3000.0) -> tuple[float, float, float, float]:
    """The bounds (metres) around ``geoms`` (a GeoSeries in any CRS), padded by ``pad`` of
    the larger side and at least ``min_size_m`` wide and high."""
    series = geoms if isinstance(geoms, gpd.GeoSeries) else gpd.GeoSeries(list(geoms))
    series = series[~(series.is_empty | series.isna())]
    if series.crs is not None:
        series = series.to_crs(crs)
    minx, miny, maxx, maxy = (float(v) for v in series.total_bounds)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise ValueError("no geometry to frame")
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half = max(maxx - minx, maxy - miny, min_size_m) * (0.5 + pad)
    w2 = max((maxx - minx) / 2 + half * pad * 2, min_size_m / 2)
    h2 = max((maxy - miny) / 2 + half * pad * 2, min_size_m / 2)
    return (cx - w2, cy - h2, cx + w2, cy + h2)
