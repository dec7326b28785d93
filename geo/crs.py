"""Coordinate reference systems: storage in WGS84, measurement in the local UTM zone."""

from __future__ import annotations

import math

from pyproj import CRS
from shapely.geometry.base import BaseGeometry


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone containing ``(lon, lat)``.

    Mimika's centroid (136.9 E, 4.5 S) gives 32753 (UTM 53S).
    """
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return (32700 if lat < 0 else 32600) + zone


def metric_crs(geom: BaseGeometry) -> CRS:
    """The UTM CRS of a geometry's centroid, used for every length and area."""
    c = geom.centroid
    return CRS.from_epsg(utm_epsg(c.x, c.y))
