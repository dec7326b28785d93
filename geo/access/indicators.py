"""Accessibility of destinations over the multimodal network (road, water, air).

For every destination: travel time from every gateway (and from the nearest, the "main"
gateway), what its access route runs on (paved, unpaved, damaged road, boat, flight), the
UMKM of each type within 15 and 30 minutes, and the nearest lodging, health
facility and fuel. For every kampung (or, in OSM-only workspaces, every populated place):
the time from its point to the nearest destination.

The indicators of a destination are the kinds of :data:`geo.access.kinds.INDICATORS`,
defined once there for this full engine and for the incremental one of road-works
priorities; this module builds the graph and the point sets they read, and adds the
per-gateway times, the kampung view and the gateways report.

All of it runs on scipy.sparse.csgraph over the :class:`~geo.network.AccessGraph`: one
Dijkstra per gateway, a handful of multi-source (``min_only``) runs, and limited runs from
destinations in memory-bounded chunks. Route attributes are accumulated along the
shortest-path forest by pointer jumping, never by walking paths in Python.

Times rest on the assumed speeds of ``data/network.toml`` (see
:meth:`~geo.network.NetworkConfig.assumptions`).

Two routes per destination. ``access_minutes`` is the true fastest time from the nearest
gateway at today's speeds. The *access route* (``route_*`` columns, the transport options
``reach_water``/``reach_air``) is the fastest route by road function alone
(:func:`geo.access.kinds.function_minutes`: every road row timed as if paved and in good condition, so
highway class, maxspeed, walk-only classes, oneway and access rules decide it, never the
state of the pavement). It is the route a road engineer assigns to a site by the road
hierarchy, and no surface or condition upgrade can move it; had the shares been measured
on the fastest route, paving a parallel road could switch the fastest route onto a less
paved one and lower the share (readiness.toml, "route shares").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo import fmt, schema
from geo._progress import SILENT, Reporter
from geo.access.kinds import (
    FACILITY_KINDS,
    AccessRoutes,
    Columns,
    Context,
    PointSet,
    RowReader,
    Travel,
    finite_or_nan,
    indicator_columns,
    labels_at,
    node_values,
    plain_columns,
    row_attributes,
)
from geo.io.regions import kampung_points
from geo.network import (
    AccessGraph,
    Lines,
    Network,
    NetworkConfig,
    Snap,
    build_access_graph,
    build_network,
    nearest_of_set,
    reached_pairs,
)
from geo.words import normalise_text

PLACE_VALUES = ("city", "town", "village", "hamlet")
"""OSM ``place`` values used as populated places when a workspace has no kampung."""

GATEWAY_REPORT_COLUMNS = ("id", "name", "kind", "connected", "snap_m", "destinations_reached")
"""Columns of :attr:`AccessResult.gateways`."""


@dataclass(frozen=True)
class GatewayMinutes:
    """Minutes from each gateway to each destination it reaches (all modes).

    Held as the reached pairs only: a gateway reaches the destinations of its own
    component, so a dense gateways x destinations table would grow with the square of
    the region (33 GB for a province of a thousand small networks).

    Attributes
    ----------
    gateways, destinations
        The ids (layer order).
    gateway, destination, minutes
        Per reached pair: positions into ``gateways`` and ``destinations`` and the minutes,
        ordered by destination, then gateway.
    """

    gateways: pd.Index
    destinations: pd.Index
    gateway: np.ndarray
    destination: np.ndarray
    minutes: np.ndarray

    @classmethod
    def compute(cls, graph: AccessGraph, csr: csr_matrix, gateway_ids: np.ndarray,
                destination_ids: np.ndarray) -> GatewayMinutes:
        """One Dijkstra run per gateway (on its component, without the dead ends that
        hold no gateway nor destination) on the costs of ``csr``."""
        gw, dest = graph.nodes("gateways"), graph.nodes("destinations")
        g, d, m = reached_pairs(csr, gw, dest, parts=graph.parts(),
                                core=graph.core(np.r_[gw, dest]))
        return cls(pd.Index(gateway_ids, name="id"),
                   pd.Index(destination_ids, name="destination"), g, d, m)

    def of(self, destination_id: object) -> pd.Series:
        """Minutes from every gateway to one destination (NaN: not reached)."""
        pos = self.destinations.get_indexer(pd.Index([destination_id]))[0]
        if pos < 0:
            raise KeyError(f"unknown destination id {destination_id!r}")
        lo, hi = np.searchsorted(self.destination, [pos, pos + 1])
        out = np.full(len(self.gateways), np.nan)
        out[self.gateway[lo:hi]] = self.minutes[lo:hi]
        return pd.Series(out, index=self.gateways, name=destination_id)

    def reached(self) -> np.ndarray:
        """Per gateway: how many destinations it reaches."""
        return np.bincount(self.gateway, minlength=len(self.gateways)).astype(np.int64)

    def to_frame(self) -> pd.DataFrame:
        """The dense table (gateways x destinations, NaN: not reached), for small
        regions and checks; its size is gateways x destinations."""
        out = np.full((len(self.gateways), len(self.destinations)), np.nan)
        out[self.gateway, self.destination] = self.minutes
        return pd.DataFrame(out, index=self.gateways, columns=self.destinations)


class _GatewayRuns:
    """:class:`GatewayMinutes` and the gateways report (:func:`gateway_report`), made when
    first read.

    They take one Dijkstra run per gateway (2,5 s of a run at 100 tiles): the score step
    writes the report and the server shows the minutes, but the priorities only need
    the gateways' ids, which are here without the runs. The server's threads may read
    them at once: the runs are made once, under a lock.
    """

    def __init__(self, graph: AccessGraph, csr: csr_matrix, gateways: pd.DataFrame,
                 gateway_ids: np.ndarray, destination_ids: np.ndarray) -> None:
        self.ids = gateway_ids
        self._args: tuple[AccessGraph, csr_matrix, pd.DataFrame, np.ndarray] | None = (
            graph, csr, gateways, destination_ids)
        self._minutes: GatewayMinutes | None = None
        self._report: pd.DataFrame | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        del state["_lock"]  # a lock does not pickle; a copy gets its own
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def minutes(self) -> GatewayMinutes:
        with self._lock:
            if self._minutes is None:
                assert self._args is not None
                graph, csr, gateways, destination_ids = self._args
                got = GatewayMinutes.compute(graph, csr, self.ids, destination_ids)
                self._report = gateway_report(gateways, graph.snap("gateways"), got)
                self._minutes = got
                self._args = None  # the costs and the layer are not needed any more
            return self._minutes

    def report(self) -> pd.DataFrame:
        self.minutes()
        assert self._report is not None
        return self._report


@dataclass
class AccessResult:
    """Everything :func:`compute_access_frames` found; see the module docstring.

    Attributes
    ----------
    destinations
        One row per destination, indexed by ``id`` in layer order.
    gateway_minutes
        Minutes from each gateway to each destination it reaches, all modes
        (:class:`GatewayMinutes`; made when first read).
    gateway_ids
        The gateways' ids, in layer order (without making :attr:`gateway_minutes`).
    kampung
        ``kode``, ``nama``, ``level``, ``connected``, ``snap_dist_m``,
        ``minutes_to_nearest_destination``, ``nearest_destination``, ``lon``, ``lat``.
    graph
        The augmented graph (feature sets ``gateways``, ``destinations``, ``umkm``,
        ``kampung``, ``pois``) for reuse by priorities and maps.
    config
        The network configuration used.
    main_pred
        Fastest-path forest from the gateways at today's speeds (predecessor per node).
    routes
        The access routes (by road function: their forest, costs and times), so the route
        of a destination can be drawn (:meth:`route_rows`) and priorities re-use them.
    umkm_type
        Index into :data:`geo.schema.UMKM_TYPES` of every UMKM feature (aligned with
        ``graph.nodes("umkm")``), as counted here.
    facility_label
        ``lodging`` / ``health`` / ``fuel`` of every facility feature (aligned with
        ``graph.nodes("pois")``). With ``umkm_type``, lets road-works scenarios recount
        exactly what this run counted.
    gateways
        The gateways report (:func:`gateway_report`): per gateway, whether it joined the
        network and how many destinations it reaches (made with :attr:`gateway_minutes`).
    layers
        The ``destinations`` and ``gateways`` frames the run was given, as given: what
        the scores join the access table with (:func:`geo.steps.build_inputs`), without
        reading the layers again.
    """

    destinations: pd.DataFrame
    kampung: pd.DataFrame
    graph: AccessGraph
    config: NetworkConfig
    main_pred: np.ndarray = field(repr=False)
    layers: dict[str, gpd.GeoDataFrame] = field(repr=False)
    _gateway_runs: _GatewayRuns = field(repr=False)
    umkm_type: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64), repr=False)
    facility_label: np.ndarray = field(default_factory=lambda: np.empty(0, object), repr=False)
    routes: AccessRoutes | None = field(default=None, repr=False)

    @property
    def gateway_minutes(self) -> GatewayMinutes:
        return self._gateway_runs.minutes()

    @property
    def gateways(self) -> pd.DataFrame:
        return self._gateway_runs.report()

    @property
    def gateway_ids(self) -> np.ndarray:
        return self._gateway_runs.ids

    def _dest_node(self, destination_id: object) -> int:
        pos = self.destinations.index.get_indexer(pd.Index([destination_id]))[0]
        if pos < 0:
            raise KeyError(f"unknown destination id {destination_id!r}")
        return int(self.graph.nodes("destinations")[pos])

    def reachable_edges(self, destination_id: object, minutes: float) -> np.ndarray:
        """Road rows with both ends reachable within ``minutes`` from a destination.

        For the map's "reachable within 15/30 min" layer (sorted row indices; empty when
        the destination is not connected).
        """
        node = self._dest_node(destination_id)
        if node < 0:
            return np.empty(0, dtype=np.int64)
        net = self.graph.network
        dist = dijkstra(self.graph.csr(), indices=node, limit=minutes)
        ok = (dist[net.edge_u] <= minutes) & (dist[net.edge_v] <= minutes)
        return np.flatnonzero(ok)

    def route_rows(self, destination_id: object) -> np.ndarray:
        """Road rows of the access route (the one the ``route_*`` columns describe),
        gateway first.

        One destination's path, for drawing it on a map.
        """
        node = self._dest_node(destination_id)
        pred = self.main_pred if self.routes is None else self.routes.pred
        if node < 0 or pred[node] < 0:
            return np.empty(0, dtype=np.int64)
        path = [node]
        while pred[path[-1]] >= 0:  # one path, for one map query
            path.append(int(pred[path[-1]]))
        nodes = np.array(path[::-1])
        winner = self.graph.entry_winner(None if self.routes is None else self.routes.cost)
        arcs = winner[self.graph.entries(nodes[:-1], nodes[1:])]
        rows = self.graph.arc_row[arcs]
        rows = rows[rows >= 0]
        keep = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.empty(0, bool)
        return np.asarray(rows[keep])


def gateway_report(gateways: pd.DataFrame, snap: Snap,
                   gateway_minutes: GatewayMinutes) -> pd.DataFrame:
    """Per gateway: ``id``, ``name``, ``kind``, ``connected``, ``snap_m`` and
    ``destinations_reached`` (destinations with a finite travel time from it)."""
    def col(name: str) -> np.ndarray:
        if name in gateways:
            return gateways[name].astype(object).where(gateways[name].notna(), None).to_numpy()
        return np.full(len(gateways), None, dtype=object)

    reached = gateway_minutes.reached()
    return pd.DataFrame({
        "id": col("id"),
        "name": col("name"),
        "kind": col("kind"),
        "connected": snap.connected,
        "snap_m": np.where(snap.connected, snap.distance_m, np.nan),
        "destinations_reached": reached,
    }, columns=list(GATEWAY_REPORT_COLUMNS))


def unreached_gateway_warnings(report: pd.DataFrame) -> list[str]:
    """One warning (Bahasa Indonesia) per gateway that reaches no destination."""
    if report is None or report.empty or "destinations_reached" not in report:
        return []
    out = []
    for _, r in report[report["destinations_reached"].astype(int) == 0].iterrows():
        label = f"{r['name']} ({r['id']})" if r.get("name") else str(r["id"])
        why = ("tidak terhubung ke jaringan jalan dalam batas snap"
               if not bool(r.get("connected", True)) else "tidak ada destinasi yang terjangkau")
        out.append(f"PERINGATAN: gerbang {label} tidak menjangkau destinasi mana pun: "
                   f"{why}")
    return out


# --- inputs ---------------------------------------------------------------------------


def _empty_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=schema.WGS84))


def populated_places(admin_areas: gpd.GeoDataFrame | None,
                     pois: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The kampung view's points: admin kampung, else OSM populated places.

    Returns ``kode``, ``nama``, ``level`` and a point geometry (the kampung's point from
    :func:`geo.io.regions.kampung_points`, where UMKM known only by kampung sit too; the place
    node for OSM places).
    """
    if admin_areas is not None and len(admin_areas) and "level" in admin_areas:
        k = admin_areas[admin_areas["level"].astype(str) == "kampung"]
        if len(k):
            pts = kampung_points(k)
            return gpd.GeoDataFrame({"kode": k["kode"].astype(str).to_numpy(),
                                     "nama": k["nama"].astype(str).to_numpy(),
                                     "level": "kampung"},
                                    geometry=pts.to_numpy(), crs=pts.crs)
    if pois is not None and len(pois) and "place" in pois:
        p = pois[pois["place"].astype("string").isin(PLACE_VALUES).fillna(False)]
        if len(p):
            kode = (p["osm_type"].astype(str) + "/" + p["osm_id"].astype(str)
                    if {"osm_type", "osm_id"} <= set(p.columns) else p.index.astype(str))
            return gpd.GeoDataFrame({"kode": np.asarray(kode),
                                     "nama": p["name"].astype("string").fillna("").to_numpy(),
                                     "level": p["place"].astype(str).to_numpy()},
                                    geometry=p.geometry.representative_point().to_numpy(),
                                    crs=p.crs)
    out = _empty_points()
    for c in ("kode", "nama", "level"):
        out[c] = pd.Series(dtype=str)
    return out


def facility_points(pois: gpd.GeoDataFrame | None, umkm: gpd.GeoDataFrame | None,
                    config: NetworkConfig) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Lodging, health and fuel points with a category label each.

    Lodging: ``tourism`` in the configured list, plus every UMKM of type ``penginapan``.
    Health and fuel: ``amenity`` in the configured lists.
    """
    parts: list[gpd.GeoSeries] = []
    labels: list[np.ndarray] = []

    def add(frame: gpd.GeoDataFrame | None, col: str, values: list[str], label: str) -> None:
        if frame is None or not len(frame) or col not in frame:
            return
        sel = frame[frame[col].astype("string").isin(values).fillna(False).to_numpy(bool)]
        if len(sel):
            parts.append(sel.geometry.to_crs(schema.WGS84))
            labels.append(np.full(len(sel), label, dtype=object))

    f = config.facilities
    add(pois, "tourism", f.lodging_tourism, "lodging")
    add(umkm, "type", ["penginapan"], "lodging")
    add(pois, "amenity", f.health_amenity, "health")
    add(pois, "amenity", f.fuel_amenity, "fuel")
    if not parts:
        return gpd.GeoSeries([], crs=schema.WGS84), np.empty(0, dtype=object)
    geoms = gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=schema.WGS84)
    return geoms, np.concatenate(labels)


# --- the computation ------------------------------------------------------------------


class ScanReader(Protocol):
    """A second reader of the scan :func:`compute_access_frames` makes of every
    destination's distance rows: what it needs of those rows is read in the same runs,
    not in a scan of its own (the priorities' bounds: a scan is the largest single cost
    of a run at scale)."""

    def prepare(self, ctx: Context) -> None:
        """Today's state ``ctx`` is known: start what the reader needs before the scan,
        beside the indicators the caller computes first (:func:`plain_columns`)."""
        ...

    def start(self, ctx: Context) -> tuple[RowReader, int]:
        """Its reader of each chunk (see :func:`indicator_columns`, ``also``) and the
        memory budget of a chunk, given today's state ``ctx``."""
        ...

    def done(self, ctx: Context, columns: Columns) -> None:
        """The scan is over: ``ctx`` (its travel keeps today's times to the points,
        :meth:`Travel.reach`) and every indicator column."""
        ...


def network_of(roads: gpd.GeoDataFrame | pd.DataFrame, config: NetworkConfig,
               metric_crs: CRS | str | int, *, reporter: Reporter = SILENT,
               lines: Lines | None = None) -> Network:
    """:func:`geo.network.build_network`, reported as the step that builds the network."""
    reporter.step(f"Membangun jaringan: {fmt.integer(len(roads))} ruas")
    return build_network(roads, config, metric_crs, lines=lines)


def compute_access_frames(roads: gpd.GeoDataFrame | Network, destinations: gpd.GeoDataFrame,
                          gateways: gpd.GeoDataFrame, umkm: gpd.GeoDataFrame | None,
                          pois: gpd.GeoDataFrame | None, kampung: gpd.GeoDataFrame | None,
                          config: NetworkConfig, metric_crs: CRS | str | int, *,
                          reporter: Reporter = SILENT,
                          scan: ScanReader | None = None) -> AccessResult:
    """Accessibility of every destination (pure: frames in, frames out).

    Parameters
    ----------
    roads
        The ``roads`` layer, or its network already built (:func:`build_network`): the
        caller then holds no copy of the layer's geometries.
    destinations, gateways
        Point layers with ``id`` (and ``name``); gateways are the trip origins.
    umkm
        Point layer with ``id`` and ``type`` (:data:`geo.schema.UMKM_TYPES`), or None.
    pois
        Points of interest (``tourism``, ``amenity``, ``place`` ...), or None.
    kampung
        Points or polygons with ``kode``, ``nama`` (see :func:`populated_places`), or None.
    config
        Speeds, snap limit and facility lists.
    metric_crs
        CRS for distances (the workspace's UTM zone).
    reporter
        Progress reporting.
    scan
        A second reader of the scan of every destination's distance rows made here
        (:class:`ScanReader`), which then keeps today's times to the points for it.
    """
    umkm = umkm if umkm is not None else _empty_points().assign(id=[], type=[])
    kampung = kampung if kampung is not None else populated_places(None, None)
    net = roads if isinstance(roads, Network) else network_of(roads, config, metric_crs,
                                                               reporter=reporter)
    fac_geom, fac_label = facility_points(pois, umkm, config)
    reporter.step("Snapping titik ke jaringan")
    graph = build_access_graph(
        net,
        {"gateways": gateways.geometry, "destinations": destinations.geometry,
         "umkm": umkm.geometry, "kampung": kampung.geometry, "pois": fac_geom},
        config.snap.max_dist_m, config.walking.speed_kmh, origins="gateways",
        min_component_m=config.snap.min_component_m)
    gw_ids = gateways["id"].to_numpy(dtype=object)
    dest_ids = destinations["id"].to_numpy(dtype=object)
    type_idx = umkm_type_index(umkm["type"])
    travel = Travel(graph, graph.arc_minutes(),
                    point_sets(graph, gw_ids, type_idx, np.asarray(fac_label, dtype=object)),
                    keep_reach=scan is not None)

    reporter.step("Indikator akses (access indicators: routes, UMKM, facilities, options)")
    routes = AccessRoutes.build(graph, config)
    ctx = Context(travel=travel, routes=routes, row_attrs=row_attributes(graph), config=config)
    if scan is None:
        # the scan-free kinds may run in a child (indicator_columns): the gateways' run,
        # which they read and so does this function below, is made here once
        travel.from_set("gateways")
        columns = indicator_columns(ctx)
        kampung_df = _kampung_frame(kampung, travel, dest_ids, net.metric_crs, reporter)
    else:
        scan.prepare(ctx)
        plain = plain_columns(ctx)
        # the reader's preparation (the candidates, made in a child) outlasts the plain
        # columns at 100 tiles: the kampung's run, which reads no scan, fills the wait
        kampung_df = _kampung_frame(kampung, travel, dest_ids, net.metric_crs, reporter)
        consume, budget = scan.start(ctx)
        columns = indicator_columns(ctx, also=consume, budget=budget, plain=plain)
        scan.done(ctx, columns)
    table = pd.DataFrame(columns, index=pd.Index(dest_ids, name="id"))

    _, main_pred, _ = travel.from_set("gateways")
    return AccessResult(destinations=table, kampung=kampung_df,
                        graph=graph, config=config, main_pred=main_pred,
                        _gateway_runs=_GatewayRuns(graph, travel.csr, gateways, gw_ids,
                                                   dest_ids),
                        umkm_type=type_idx,
                        facility_label=np.asarray(fac_label, dtype=object),
                        routes=routes,
                        layers={"destinations": destinations, "gateways": gateways})


def _kampung_frame(kampung: gpd.GeoDataFrame, travel: Travel, dest_ids: np.ndarray,
                   metric_crs: CRS | str | int, reporter: Reporter) -> pd.DataFrame:
    """Per kampung: its snap and its nearest destination (one backward run from every
    destination)."""
    reporter.step("Kampung ke destinasi terdekat")
    graph = travel.graph
    d_nodes = graph.nodes("destinations")
    k_nodes = graph.nodes("kampung")
    d_k, _, s_k = nearest_of_set(travel.csr_t, d_nodes, predecessors=True,
                                 parts=graph.parts())
    k_min = node_values(d_k, k_nodes)
    nearest_dest = labels_at(dest_ids, d_nodes, node_values(s_k, k_nodes, fill=-9999))
    k_snap = graph.snap("kampung")
    # the point that was snapped (polygons: a point on the surface in the metric CRS)
    k_ll = kampung.geometry.to_crs(metric_crs).representative_point().to_crs(schema.WGS84)
    return pd.DataFrame({
        "kode": kampung["kode"].to_numpy(dtype=object),
        "nama": kampung["nama"].to_numpy(dtype=object),
        "level": (kampung["level"].to_numpy(dtype=object) if "level" in kampung
                  else np.full(len(kampung), "kampung", dtype=object)),
        "connected": k_snap.connected,
        "snap_dist_m": k_snap.distance_m,
        "minutes_to_nearest_destination": finite_or_nan(k_min),
        "nearest_destination": nearest_dest,
        "lon": k_ll.x.to_numpy() if len(k_ll) else np.empty(0),
        "lat": k_ll.y.to_numpy() if len(k_ll) else np.empty(0),
    })


def umkm_type_index(types: pd.Series) -> np.ndarray:
    """Index into :data:`geo.schema.UMKM_TYPES` of every UMKM (unknown words: ``lainnya``)."""
    words = normalise_text(types).fillna("lainnya")
    words = words.where(words.isin(schema.UMKM_TYPES), "lainnya")
    return np.asarray(pd.Categorical(words.to_numpy(str),
                                     categories=list(schema.UMKM_TYPES)).codes, dtype=np.int64)


def point_sets(graph: AccessGraph, gateway_ids: np.ndarray, umkm_type: np.ndarray,
               facility_label: np.ndarray) -> dict[str, PointSet]:
    """The point sets the indicator kinds read (:data:`geo.access.kinds.INDICATORS`):
    ``gateways`` (labelled by id), ``umkm`` (grouped by type) and one set per facility
    kind, from the features of an access graph."""
    def nodes(name: str) -> np.ndarray:
        return graph.nodes(name) if name in graph.features else np.empty(0, np.int64)

    f_nodes = nodes("pois")
    sets = {"gateways": PointSet(nodes("gateways"), labels=gateway_ids),
            "umkm": PointSet(nodes("umkm"), groups=umkm_type)}
    for kind in FACILITY_KINDS:
        sets[kind] = PointSet(f_nodes[facility_label == kind])
    return sets
