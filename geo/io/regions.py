"""Region set-up: the boundary and admin areas (distrik, kampung) of a workspace."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from pyproj import CRS
from shapely.geometry import box

from geo import schema
from geo.crs import metric_crs
from geo.exceptions import InputError, Problem
from geo.io.workspace import Source, Staging

_KODE_LEVEL = (
    (re.compile(r"^\d{2}$"), "provinsi"),
    (re.compile(r"^\d{2}\.\d{2}$"), "kabupaten"),
    (re.compile(r"^\d{2}\.\d{2}\.\d{2}$"), "distrik"),
    (re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"), "kampung"),
)


def level_from_kode(kode: str) -> str | None:
    """Admin level implied by a Kemendagri code (94.04.01 is a distrik, 94.04.01.1001 a kampung)."""
    for pattern, level in _KODE_LEVEL:
        if pattern.match(str(kode).strip()):
            return level
    return None


def read_polygons(path: Path, what: str) -> gpd.GeoDataFrame:
    """Read a polygon file, reporting every problem (unreadable, CRS, geometry) at once."""
    name = str(path)
    try:
        gdf = pyogrio.read_dataframe(path)
    except Exception as exc:
        raise InputError([Problem(name, f"tidak bisa dibaca: {exc}")]) from None
    problems: list[Problem] = []
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.isna().all():
        raise InputError([Problem(name, f"{what} tidak punya geometri")])
    if gdf.crs is None:
        problems.append(Problem(name, "CRS tidak diketahui; seharusnya EPSG:4326"))
    for i in range(len(gdf)):  # per input row, to name each bad line
        g = gdf.geometry.iloc[i]
        line = i + 2
        if g is None or g.is_empty:
            problems.append(Problem(name, "geometri kosong", line=line))
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(name, f"expected a polygon, got {g.geom_type}", line=line))
        elif not g.is_valid:
            problems.append(
                Problem(name, f"geometri rusak: {shapely.is_valid_reason(g)}",
                        line=line)
            )
    if problems:
        raise InputError(problems)
    gdf = gdf.to_crs(schema.WGS84)
    b = gdf.total_bounds
    if b[0] < -180 or b[2] > 180 or b[1] < -90 or b[3] > 90:
        raise InputError([Problem(name, "coordinates outside WGS84 range: wrong CRS?")])
    return gdf


def admin_areas(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Normalise distrik/kampung polygons to ``kode``, ``nama``, ``level`` (+ extra columns)."""
    problems = [
        Problem(source, f"kolom wajib '{c}' tidak ada", field=c)
        for c in ("kode", "nama")
        if c not in gdf.columns
    ]
    if problems:
        raise InputError(problems)
    out = gdf.copy()
    out["kode"] = out["kode"].astype(str).str.strip()
    if "level" not in out.columns:
        out["level"] = out["kode"].map(level_from_kode)
    bad = out["level"].isna()
    if bad.any():
        raise InputError(
            [Problem(source, f"kode '{k}' bukan kode Kemendagri", line=int(i) + 2, field="kode")
             for i, k in out.loc[bad, "kode"].items()]
        )
    dup = out["kode"].duplicated(keep="first")
    if dup.any():
        raise InputError(
            [Problem(source, f"kode '{k}' duplikat", line=int(i) + 2, field="kode")
             for i, k in out.loc[dup, "kode"].items()]
        )
    return out


def kampung_points(kampung: gpd.GeoDataFrame, metric: CRS | None = None) -> gpd.GeoSeries:
    """The one point that stands for each kampung (in the layer's CRS), used everywhere.

    The area centroid computed in the metric CRS, or, where the polygon is so concave that
    its centroid falls outside it, :func:`shapely.point_on_surface`. UMKM known only by
    their kampung sit here, and the kampung view measures travel time from here. (For the
    152 Mimika kampung the centroid lies inside every polygon, within metres of the label
    point of the source data.) Point geometries are returned unchanged.

    Parameters
    ----------
    kampung
        Kampung polygons (any CRS).
    metric
        The metric CRS; default the UTM zone of the layer's bounding box.
    """
    if metric is None:
        metric = metric_crs(box(*kampung.to_crs(schema.WGS84).total_bounds))
    poly = kampung.to_crs(metric).geometry
    cen = poly.centroid
    pts = cen.where(poly.covers(cen), poly.representative_point())
    return gpd.GeoSeries(pts.to_numpy(), index=kampung.index, crs=metric).to_crs(kampung.crs)


def write_region(
    stage: Staging,
    boundary: gpd.GeoDataFrame,
    *,
    name: str,
    boundary_source: Source,
    admin: gpd.GeoDataFrame | None = None,
    admin_source: Source | None = None,
) -> None:
    """Write ``boundary`` (one dissolved polygon) and optional ``admin_areas``."""
    geom = shapely.make_valid(boundary.geometry.union_all())
    b = gpd.GeoDataFrame({"name": [name]}, geometry=[geom], crs=schema.WGS84)
    stage.write(schema.BOUNDARY, b)
    stage.add_source(boundary_source)
    if admin is not None:
        stage.write("admin_areas", admin)
        if admin_source is not None:
            stage.add_source(admin_source)
    stage.set_meta(region=name)
