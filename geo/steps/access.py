"""Reading a workspace into the network and the access indicators (reads, writes nothing)."""

from __future__ import annotations

import geopandas as gpd

from geo._memory import give_back
from geo._parallel import Background
from geo._progress import SILENT, Reporter
from geo.access.indicators import (
    AccessResult,
    ScanReader,
    compute_access_frames,
    network_of,
    populated_places,
)
from geo.io.workspace import Workspace
from geo.network import Lines, Network, NetworkConfig, load_network_config


def load_network(ws: Workspace, config: NetworkConfig | None = None, *,
                 reporter: Reporter = SILENT) -> Network:
    """The network of a workspace's ``roads`` layer in its metric CRS."""
    # text columns as categoricals from the start, as the network keeps them; the
    # vertices straight out of the WKB, with no shapely object per road
    roads, wkb, crs = ws.read_wkb("roads")
    lines = Lines.from_wkb(wkb, crs)
    del wkb
    metric = ws.metric_crs()
    # the metric copy of the geometries, which snapping reads, is projected on a thread
    # of its own while the network is built and the other layers are read: PROJ and GEOS
    # release the GIL, and the build is mostly one core's work
    ahead = Background(lines.to_crs, metric)
    net = network_of(roads, config or load_network_config(), metric, reporter=reporter,
                     lines=lines)
    net.project_ahead(ahead)
    del roads, lines
    give_back()  # the layer's geometries, now packed in the network
    return net


def _optional(ws: Workspace, layer: str, *, categories: bool = False
              ) -> gpd.GeoDataFrame | None:
    return ws.read(layer, categories=categories) if ws.has(layer) else None


def compute_access(ws: Workspace, config: NetworkConfig | None = None, *,
                   reporter: Reporter = SILENT, scan: ScanReader | None = None
                   ) -> AccessResult:
    """Accessibility of a workspace's destinations (reads the workspace, writes nothing).

    Uses the layers ``roads``, ``destinations``, ``gateways`` and, when present, ``umkm``,
    ``pois`` and ``admin_areas`` (kampung; else OSM populated places from ``pois``).
    ``scan``: see :func:`geo.access.compute_access_frames`.

    Raises
    ------
    WorkspaceError
        If ``roads``, ``destinations`` or ``gateways`` is missing.
    NetworkError
        If the roads cannot form a network.
    """
    ws.require()
    config = config or load_network_config()
    reporter.step(f"Membaca workspace {ws.path.name}")
    # the layer is read straight into its network, so that no copy of its geometries
    # outlives the build (they are most of the memory of a region's roads)
    net = load_network(ws, config, reporter=reporter)
    destinations = ws.read("destinations")
    gateways = ws.read("gateways")
    # the access engine only looks their words up (types, tags, place names): text as
    # categoricals, read through Arrow (N = 100 tiles: 1,9 -> 0,6 s for both)
    umkm = _optional(ws, "umkm", categories=True)
    pois = _optional(ws, "pois", categories=True)
    kampung = populated_places(_optional(ws, "admin_areas"), pois)
    # the network's own metric CRS: the workspace's, found once (a boundary read and united)
    return compute_access_frames(net, destinations, gateways, umkm, pois, kampung, config,
                                 net.metric_crs, reporter=reporter, scan=scan)
