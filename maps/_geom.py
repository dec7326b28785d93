"""Display geometry: simplify in metres, round coordinates, dissolve, and emit GeoJSON.

A map page embeds its data, so every vertex costs bytes. Geometry is simplified in the
workspace's metric CRS (so the tolerance means the same number of metres everywhere) and
rounded to a 1e-5 degree grid (about 1 m), which is far below what a screen shows at the
zoom levels where the layer is useful.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.schema import WGS84

GRID_DECIMALS = 5  # 1e-5 degree, about 1.1 m at the equator


def simplify(gdf: gpd.GeoDataFrame, metric_crs: CRS, tolerance_m: float) -> gpd.GeoDataFrame:
    """Simplify geometry by ``tolerance_m`` metres and round it to the display grid.

    Points pass through (only rounded). Geometry that collapses to empty is dropped.
    """
    if gdf.empty:
        return gdf.to_crs(WGS84)
    out = gdf.to_crs(metric_crs)
    geoms = out.geometry.values
    if tolerance_m > 0:
        # preserve_topology keeps polygons valid; lines lose only redundant vertices.
        geoms = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=metric_crs)).to_crs(WGS84)
    # np.round divides by an exact power of ten, so each value is the double nearest to
    # its 5-decimal text and serialises short ("136.88001", not "136.88001000000003").
    rounded = shapely.transform(out.geometry.values, lambda xy: np.round(xy, GRID_DECIMALS))
    out = out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=WGS84))
    keep = ~(out.geometry.isna() | out.geometry.is_empty)
    return out[keep]


def dissolve_lines(gdf: gpd.GeoDataFrame, by: Sequence[str]) -> gpd.GeoDataFrame:
    """Merge line rows that share the ``by`` values into one (Multi)LineString each.

    Lines are merged end to end where possible so that shared vertices are written once.
    """
    if gdf.empty:
        return gpd.GeoDataFrame(columns=[*by, "geometry"], geometry="geometry", crs=gdf.crs)
    keys = gdf[list(by)].astype(str)
    groups = keys.apply(tuple, axis=1) if len(by) > 1 else keys.iloc[:, 0]
    rows: list[dict[str, Any]] = []
    geoms = []
    for key, idx in gdf.groupby(groups.values, sort=True).indices.items():
        vals = key if isinstance(key, tuple) else (key,)
        rows.append(dict(zip(by, vals, strict=True)))
        merged = shapely.line_merge(shapely.union_all(gdf.geometry.values[idx]))
        geoms.append(merged)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=gdf.crs)


def _clean(value: Any) -> Any:
    """JSON-safe scalar: NaN/NA -> None, numpy scalars -> Python."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def features(gdf: gpd.GeoDataFrame, columns: Sequence[str] = ()) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (dict) with ``columns`` as properties."""
    geo = shapely.to_geojson(gdf.geometry.values)
    cols = [c for c in columns if c in gdf.columns]
    records = gdf[cols].to_dict("records") if cols else [{}] * len(gdf)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(g) if g is not None else None,
                "properties": {k: _clean(v) for k, v in rec.items()},
            }
            for g, rec in zip(geo, records, strict=True)
        ],
    }


def bounds_latlon(gdf: gpd.GeoDataFrame) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` for Leaflet's fitBounds, or None when empty."""
    if gdf.empty:
        return None
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return None
    return [[miny, minx], [maxy, maxx]]
