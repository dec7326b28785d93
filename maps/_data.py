"""Everything a map shows, read once from a workspace (and the accessibility result).

The API keeps one :class:`MapData` per workspace version and renders every map variant
(distrik filter, budget) from it, so a page view never re-reads the GeoPackage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from geo.exceptions import SiapError, WorkspaceError
from geo.io.workspace import Workspace
from geo.roads import surface_class

if TYPE_CHECKING:  # the engine is imported lazily: maps must load without running it
    from geo.access import AccessResult
    from geo.readiness import DimensionLabel

REACH_MINUTES = (15, 30)


class UnknownArea(SiapError):
    """A distrik filter that names no distrik of the workspace."""

    def __init__(self, key: str, choices: list[str]):
        self.key = key
        self.choices = choices
        shown = ", ".join(choices[:30]) or "tidak ada"
        super().__init__(f"distrik '{key}' tidak dikenal; pilihan: {shown}")

    def __reduce__(self) -> tuple[object, ...]:  # it may cross from a worker process
        return (type(self), (self.key, self.choices))


@dataclass(frozen=True)
class Area:
    """One distrik chosen by a filter."""

    kode: str
    nama: str
    geometry: BaseGeometry


@dataclass
class MapData:
    """Layers of one workspace version, in EPSG:4326, as read (not yet simplified)."""

    region: str
    metric_crs: CRS
    boundary: gpd.GeoDataFrame | None
    admin: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame | None
    gateways: gpd.GeoDataFrame | None
    destinations: gpd.GeoDataFrame | None
    umkm: gpd.GeoDataFrame | None
    scores: gpd.GeoDataFrame | None
    priorities: gpd.GeoDataFrame | None
    kampung_access: pd.DataFrame | None = None
    # minutes -> road-row positions reachable within that time of at least one destination
    reach: dict[int, np.ndarray] = field(default_factory=dict)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    # agency dimensions of the scores layer, in order, from the readiness configuration
    # it was computed with (geo.readiness.dimension_labels)
    dimensions: dict[str, DimensionLabel] = field(default_factory=dict)

    def distrik(self) -> gpd.GeoDataFrame:
        """The distrik polygons (empty when the workspace has no admin areas)."""
        if self.admin is None or "level" not in self.admin:
            return gpd.GeoDataFrame(columns=["kode", "nama", "geometry"], geometry="geometry")
        return self.admin[self.admin["level"] == "distrik"]

    def kampung(self) -> gpd.GeoDataFrame:
        """Kampung polygons with ``distrik`` name and the access columns when known."""
        if self.admin is None or "level" not in self.admin:
            return gpd.GeoDataFrame(columns=["kode", "nama", "geometry"], geometry="geometry")
        k = self.admin[self.admin["level"] == "kampung"].copy()
        dis = self.distrik()
        names = dict(zip(dis["kode"].astype(str), dis["nama"].astype(str), strict=True))
        # Kemendagri codes nest: 94.04.01.1001 lies in distrik 94.04.01.
        k["kode_distrik"] = k["kode"].astype(str).str.slice(0, 8)
        k["distrik"] = k["kode_distrik"].map(names)
        if self.kampung_access is not None and not self.kampung_access.empty:
            acc = self.kampung_access
            acc = acc.reset_index() if "kode" not in acc.columns else acc
            cols = [c for c in ("minutes_to_nearest_destination", "nearest_destination")
                    if c in acc.columns]
            k = k.merge(acc[["kode", *cols]].astype({"kode": str}), on="kode", how="left")
        return k

    def find_distrik(self, key: str) -> Area:
        """Resolve a distrik by Kemendagri code or name (case-insensitive)."""
        dis = self.distrik()
        wanted = key.strip().casefold()
        hit = dis[(dis["kode"].astype(str).str.casefold() == wanted)
                  | (dis["nama"].astype(str).str.casefold() == wanted)]
        if hit.empty:
            raise UnknownArea(key, sorted(dis["nama"].astype(str)))
        row = hit.iloc[0]
        return Area(str(row["kode"]), str(row["nama"]), row.geometry)

    def synthetic_layers(self, names: tuple[str, ...]) -> list[str]:
        """Which of the named layers hold at least one synthetic row."""
        return [n for n in names if has_provenance(getattr(self, n), "synthetic")]

    def osm_layers(self, names: tuple[str, ...]) -> list[str]:
        return [n for n in names if has_provenance(getattr(self, n), "osm")]


def has_provenance(gdf: Any, value: str) -> bool:
    """Whether a frame (or None) holds a row of that provenance (``synthetic``, ``osm``)."""
    return (
        isinstance(gdf, pd.DataFrame)
        and "provenance" in gdf.columns
        and bool((gdf["provenance"].astype(str) == value).any())
    )


def _maybe(ws: Workspace, layer: str) -> gpd.GeoDataFrame | None:
    return ws.read(layer) if ws.has(layer) else None


def reach_union(access: AccessResult, destination_ids: list[str]) -> dict[int, np.ndarray]:
    """Road rows within 15 (and 30) minutes of at least one destination.

    One call per destination and threshold: the loop is over destinations (tens), the
    work per call is the engine's vectorised lookup.
    """
    out: dict[int, np.ndarray] = {}
    for minutes in REACH_MINUTES:
        parts = [np.asarray(access.reachable_edges(d, minutes), dtype=np.int64)
                 for d in destination_ids]
        out[minutes] = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
    return out


def load_map_data(ws: Workspace, *, access: AccessResult | None = None,
                  compute_access: bool = True) -> MapData:
    """Read every layer a map may show.

    Parameters
    ----------
    ws
        The workspace.
    access
        The engine's result for this workspace version. When ``None`` and the workspace
        has roads and destinations it is computed here (geo.steps.compute_access), so the
        reach and kampung layers are always based on the current network.
    compute_access
        ``False`` to skip that computation (no reach or kampung-time layers).
    """
    ws.require()
    roads = _maybe(ws, "roads")
    if roads is not None:
        roads["surface_class"] = surface_class(roads["surface"]) if "surface" in roads else "unknown"
        for col, default in (("condition", "unknown"), ("mode", "road"), ("highway", "")):
            if col not in roads:
                roads[col] = default
            roads[col] = roads[col].fillna(default).astype(str)
    destinations = _maybe(ws, "destinations")
    scores = _maybe(ws, "scores")
    gateways = _maybe(ws, "gateways")
    from geo.readiness import dimension_labels
    from geo.steps import workspace_readiness_config

    dimensions = dimension_labels(workspace_readiness_config(ws)[0])
    if (access is None and compute_access and roads is not None and gateways is not None
            and destinations is not None and len(destinations)):
        from geo.steps import compute_access as compute
        from geo.steps import workspace_network_config

        access = compute(ws, workspace_network_config(ws)[0])
    reach: dict[int, np.ndarray] = {}
    kampung_access = None
    if access is not None and destinations is not None:
        reach = reach_union(access, [str(i) for i in destinations["id"]])
        kampung_access = access.kampung
    meta = ws.metadata()
    try:
        crs = ws.metric_crs()
    except WorkspaceError:
        crs = CRS.from_epsg(3857)  # nothing to measure against: any metric CRS will do
    return MapData(
        region=meta.get("region", ws.path.stem),
        metric_crs=crs,
        boundary=_maybe(ws, "boundary"),
        admin=_maybe(ws, "admin_areas"),
        roads=roads,
        gateways=gateways,
        destinations=destinations,
        umkm=_maybe(ws, "umkm"),
        scores=scores,
        priorities=_maybe(ws, "priorities"),
        kampung_access=kampung_access,
        reach=reach,
        sources=ws.sources(),
        dimensions=dimensions,
    )


def clip(gdf: gpd.GeoDataFrame | None, area: Area | None) -> gpd.GeoDataFrame | None:
    """Rows intersecting the area (all rows when no area is chosen)."""
    if gdf is None or area is None or gdf.empty:
        return gdf
    return gdf[gdf.intersects(area.geometry)]
