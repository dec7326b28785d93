"""Accessibility of destinations over the multimodal network (road, water, air).

For every destination: travel time from every gateway (and from the nearest, the "main"
gateway), what its access route runs on (paved, unpaved, damaged road, boat, flight), the
UMKM of each type within 15 and 30 minutes, and the nearest lodging, health
facility and fuel. For every kampung (or, in OSM-only workspaces, every populated place):
the time from its point to the nearest destination.

All of it runs on scipy.sparse.csgraph over the :class:`~geo.network.AccessGraph`: one
Dijkstra per gateway, a handful of multi-source (``min_only``) runs, and limited runs from
destinations in memory-bounded chunks. Route attributes are accumulated along the
shortest-path forest by pointer jumping, never by walking paths in Python.

Times rest on the assumed speeds of ``data/network.toml`` (see
:meth:`~geo.network.NetworkConfig.assumptions`).

Two routes per destination. ``access_minutes`` is the true fastest time from the nearest
gateway at today's speeds. The *access route* (``route_*`` columns, the transport options
``reach_water``/``reach_air``) is the fastest route by road function alone
(:func:`function_minutes`: every road row timed as if paved and in good condition, so
highway class, maxspeed, walk-only classes, oneway and access rules decide it, never the
state of the pavement). It is the route a road engineer assigns to a site by the road
hierarchy, and no surface or condition upgrade can move it; had the shares been measured
on the fastest route, paving a parallel road could switch the fastest route onto a less
paved one and lower the share (readiness.toml, "route shares").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from scipy.sparse.csgraph import dijkstra

from geo import schema
from geo._progress import SILENT, Reporter
from geo.io.regions import kampung_points
from geo.network import (
    EPS_MINUTES,
    AccessGraph,
    NetworkConfig,
    Snap,
    accumulate_tree,
    build_access_graph,
    build_network,
    count_within,
    csr_min,
    edge_minutes,
    many_to_some,
    nearest_of_set,
)
from geo.roads import PAVED_CLASSES, surface_class
from geo.words import normalise_text

UMKM_MINUTES = (15, 30)
"""Walking/driving reach (minutes from the destination) of the UMKM counts."""

PLACE_VALUES = ("city", "town", "village", "hamlet")
"""OSM ``place`` values used as populated places when a workspace has no kampung."""

ROUTE_COLUMNS = ("route_km", "route_road_km", "route_paved_good_km", "route_unpaved_km",
                 "route_damaged_km", "route_water_km", "route_air_km", "route_paved_km",
                 "route_unknown_surface_km", "route_unknown_condition_km")
"""km of the access route (by road function, see the module docstring): all links; road
links; paved (aspal, beton, paving) in condition baik/sedang; kerikil/tanah/unknown
surface; rusak_ringan/rusak_berat; water; air; paved in any condition; road of unknown
surface; road whose "paved and in condition baik/sedang" status is unknown (condition
unknown on a road not known to be unpaved, or condition baik/sedang with an unknown
surface). A tanah road of unknown condition is known not to be paved-good: it counts."""

GATEWAY_REPORT_COLUMNS = ("id", "name", "kind", "connected", "snap_m", "destinations_reached")
"""Columns of :attr:`AccessResult.gateways`."""


@dataclass
class AccessResult:
    """Everything :func:`compute_access_frames` found; see the module docstring.

    Attributes
    ----------
    destinations
        One row per destination, indexed by ``id`` in layer order.
    gateway_minutes
        Minutes from each gateway (index) to each destination (columns), all modes.
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
    route_pred, route_cost
        Forest of the access routes (by road function) and the arc costs it was built on,
        so the route of a destination can be drawn (:meth:`route_rows`).
    umkm_type
        Index into :data:`geo.schema.UMKM_TYPES` of every UMKM feature (aligned with
        ``graph.nodes("umkm")``), as counted here.
    facility_label
        ``lodging`` / ``health`` / ``fuel`` of every facility feature (aligned with
        ``graph.nodes("pois")``). With ``umkm_type``, lets road-works scenarios recount
        exactly what this run counted.
    gateways
        The gateways report (:func:`gateway_report`): per gateway, whether it joined the
        network and how many destinations it reaches.
    """

    destinations: pd.DataFrame
    gateway_minutes: pd.DataFrame
    kampung: pd.DataFrame
    graph: AccessGraph
    config: NetworkConfig
    main_pred: np.ndarray = field(repr=False)
    umkm_type: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64), repr=False)
    facility_label: np.ndarray = field(default_factory=lambda: np.empty(0, object), repr=False)
    gateways: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(GATEWAY_REPORT_COLUMNS)))
    route_pred: np.ndarray | None = field(default=None, repr=False)
    route_cost: np.ndarray | None = field(default=None, repr=False)

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
        pred = self.main_pred if self.route_pred is None else self.route_pred
        if node < 0 or pred[node] < 0:
            return np.empty(0, dtype=np.int64)
        path = [node]
        while pred[path[-1]] >= 0:  # one path, for one map query
            path.append(int(pred[path[-1]]))
        nodes = np.array(path[::-1])
        winner = self.graph.entry_winner(self.route_cost)
        arcs = winner[self.graph.entries(nodes[:-1], nodes[1:])]
        rows = self.graph.arc_row[arcs]
        rows = rows[rows >= 0]
        keep = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.empty(0, bool)
        return np.asarray(rows[keep])


def snap_distances(snap: Snap, reach_known: bool) -> tuple[np.ndarray, np.ndarray]:
    """``snap_m`` and ``nearest_reachable_road_m`` of a feature set.

    ``snap_m``: metres from the feature to the link it snapped to (NaN when not
    connected). ``nearest_reachable_road_m``: metres to the nearest link the gateways
    reach, whatever the snap limit (NaN when no gateway is connected: there is no such
    network). Features snap only to those links, so both are the snap distance.
    """
    snap_m = np.where(snap.connected, snap.distance_m, np.nan)
    nearest = snap.distance_m.copy() if reach_known else np.full(len(snap), np.nan)
    return snap_m, nearest


def gateway_report(gateways: pd.DataFrame, snap: Snap,
                   gateway_minutes: pd.DataFrame) -> pd.DataFrame:
    """Per gateway: ``id``, ``name``, ``kind``, ``connected``, ``snap_m`` and
    ``destinations_reached`` (destinations with a finite travel time from it)."""
    def col(name: str) -> np.ndarray:
        if name in gateways:
            return gateways[name].astype(object).where(gateways[name].notna(), None).to_numpy()
        return np.full(len(gateways), None, dtype=object)

    reached = gateway_minutes.notna().sum(axis=1).to_numpy(dtype=np.int64) \
        if gateway_minutes.shape[1] else np.zeros(len(gateways), dtype=np.int64)
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
        out.append(f"PERINGATAN: gerbang {label} tidak menjangkau destinasi mana pun "
                   f"(gateway reaches no destination): {why}")
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


# --- route attributes -----------------------------------------------------------------


def function_minutes(roads: pd.DataFrame, config: NetworkConfig
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Minutes per row by road function alone (forward, backward), for the access route.

    Every row is timed as if its surface were ``aspal`` and its condition ``baik`` (the
    speed model never gives a better state a lower speed), so highway class, maxspeed,
    walk-only classes, mode, oneway and access rules decide the time, and changing a
    row's surface or condition never changes it.
    """
    return edge_minutes(roads.assign(surface="aspal", condition="baik"), config)


def _row_attributes(graph: AccessGraph) -> np.ndarray:
    """Per road row, km counted in each ROUTE_COLUMNS bucket (full row length)."""
    roads = graph.network.roads
    km = pd.to_numeric(roads["length_m"], errors="coerce").to_numpy(float) / 1000.0
    mode = graph.network.mode
    road = mode == "road"
    surf = surface_class(roads["surface"]).to_numpy(str)
    cond = normalise_text(roads["condition"]).fillna("unknown").to_numpy(str)
    paved = road & np.isin(surf, list(PAVED_CLASSES))
    good = np.isin(cond, ["baik", "sedang"])
    paved_good = paved & good
    bare = road & np.isin(surf, ["kerikil", "tanah"])  # known not to be paved
    unknown_surface = road & (surf == "unknown")
    damaged = road & np.isin(cond, ["rusak_ringan", "rusak_berat"])
    # "paved and good" is decided when known good-and-paved, known damaged or known bare
    unknown_condition = road & ~paved_good & ~damaged & ~bare
    cols = [np.ones_like(km), road, paved_good, bare | unknown_surface, damaged,
            mode == "water", mode == "air", paved, unknown_surface, unknown_condition]
    return np.column_stack([km * np.asarray(c, float) for c in cols])


def row_attributes(graph: AccessGraph) -> np.ndarray:
    """(rows, K) km of each road row in each ROUTE_COLUMNS bucket, from
    ``graph.network.roads`` (road-works priorities re-score routes with changed rows)."""
    return _row_attributes(graph)


def route_attributes(graph: AccessGraph, pred: np.ndarray,
                     arc_cost: np.ndarray | None = None, *,
                     attributes: np.ndarray | None = None) -> np.ndarray:
    """(N, K) km per ROUTE_COLUMNS bucket from the root to every node of a forest.

    ``attributes`` replaces :func:`row_attributes` of the graph's roads (e.g. the rows of
    a road-works scenario).
    """
    n = graph.n_nodes
    vals = np.zeros((n, len(ROUTE_COLUMNS)))
    has = np.flatnonzero(pred >= 0)
    if len(has):
        entry = graph.entries(pred[has], has)
        arc = graph.entry_winner(arc_cost)[entry]
        row = graph.arc_row[arc]
        on_row = row >= 0
        attrs = _row_attributes(graph) if attributes is None else attributes
        vals[has[on_row]] = attrs[row[on_row]] * graph.arc_share[arc[on_row], None]
    return accumulate_tree(pred, vals)


_MODE_LABELS = np.array(["walk", "road", "water", "road+water", "air", "road+air",
                         "water+air", "road+water+air"], dtype=object)


def _modes_label(km: np.ndarray, reached: np.ndarray) -> np.ndarray:
    """"road", "road+water", ... from the km per mode; "walk" when only connectors."""
    code = (km[:, 1] > 0).astype(np.int64) + (km[:, 5] > 0) * 2 + (km[:, 6] > 0) * 4
    out = _MODE_LABELS[code]
    out[~reached] = None
    return np.asarray(out)


def _labels_at(labels: np.ndarray, label_nodes: np.ndarray, source: np.ndarray,
               at_nodes: np.ndarray, n_nodes: int) -> np.ndarray:
    """Label of the source node each of ``at_nodes`` was reached from (None if none)."""
    pos = np.full(n_nodes + 1, -1, dtype=np.int64)  # last slot: "no node"
    ok = label_nodes >= 0
    pos[label_nodes[ok]] = np.flatnonzero(ok)
    src = np.full(len(at_nodes), -1, dtype=np.int64)
    has = at_nodes >= 0
    if len(source):
        src[has] = source[at_nodes[has]]
    p = pos[np.where(src >= 0, src, n_nodes)]
    out = np.full(len(at_nodes), None, dtype=object)
    out[p >= 0] = labels[p[p >= 0]]
    return out


def _via_mode_minutes(graph: AccessGraph, arc_cost: np.ndarray, arc_mode: np.ndarray,
                      sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Fastest time from the nearest source to each target using >= 1 arc of a mode.

    Two copies of the graph: layer 0 before any arc of the mode, layer 1 after. Arcs of
    the mode lead from layer 0 to layer 1, so a layer-1 target is reached only through one.
    """
    n = graph.n_nodes
    t, h = graph.arc_tail, graph.arc_head
    other = ~arc_mode
    tail = np.concatenate([t[other], t[arc_mode], t + n])
    head = np.concatenate([h[other], h[arc_mode] + n, h + n])
    cost = np.concatenate([arc_cost[other], arc_cost[arc_mode], arc_cost])
    ok = np.isfinite(cost)
    layered = csr_min(tail[ok], head[ok], cost[ok], 2 * n)
    dist, _, _ = nearest_of_set(layered, sources)
    out = np.full(len(targets), np.inf)
    out[targets >= 0] = dist[targets[targets >= 0] + n]
    return out


def transport_options(graph: AccessGraph, ref_cost: np.ndarray, arc_mode: np.ndarray,
                      g_nodes: np.ndarray, d_nodes: np.ndarray, ref_access: np.ndarray,
                      km: np.ndarray, config: NetworkConfig) -> dict[str, np.ndarray]:
    """``water`` / ``air``: does a boat (flight) serve each destination.

    Yes when the access route uses one, or when a route through one takes at most
    ``options.max_ratio`` times the access route; both timed by road function
    (``ref_cost``, :func:`function_minutes`), so no surface or condition upgrade changes
    the options (an upgrade that sped up the road would otherwise drop a boat option and
    lower the Perhubungan score).
    """
    reached = np.isfinite(ref_access)
    out: dict[str, np.ndarray] = {}
    for mode, col in (("water", 5), ("air", 6)):
        uses = np.nan_to_num(km[:, col]) > 0
        is_mode = arc_mode == mode
        if is_mode.any() and (g_nodes >= 0).any():
            via = _via_mode_minutes(graph, ref_cost, is_mode, g_nodes, d_nodes)
            uses |= via <= ref_access * config.options.max_ratio + EPS_MINUTES
        out[mode] = uses & reached
    return out


def _at(values: np.ndarray, nodes: np.ndarray, fill: float = np.nan) -> np.ndarray:
    out = np.full(len(nodes), fill, dtype=float)
    ok = nodes >= 0
    out[ok] = values[nodes[ok]]
    return out


def _finite_or_nan(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, np.nan)


# --- the computation ------------------------------------------------------------------


def compute_access_frames(roads: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame,
                          gateways: gpd.GeoDataFrame, umkm: gpd.GeoDataFrame | None,
                          pois: gpd.GeoDataFrame | None, kampung: gpd.GeoDataFrame | None,
                          config: NetworkConfig, metric_crs: CRS | str | int, *,
                          reporter: Reporter = SILENT) -> AccessResult:
    """Accessibility of every destination (pure: frames in, frames out).

    Parameters
    ----------
    roads
        The ``roads`` layer.
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
    """
    umkm = umkm if umkm is not None else _empty_points().assign(id=[], type=[])
    kampung = kampung if kampung is not None else populated_places(None, None)
    reporter.step(f"Membangun jaringan (building network): {len(roads):,} ruas")
    net = build_network(roads, config, metric_crs)
    fac_geom, fac_label = facility_points(pois, umkm, config)
    reporter.step("Snapping titik ke jaringan (snapping features to the network)")
    graph = build_access_graph(
        net,
        {"gateways": gateways.geometry, "destinations": destinations.geometry,
         "umkm": umkm.geometry, "kampung": kampung.geometry, "pois": fac_geom},
        config.snap.max_dist_m, config.walking.speed_kmh, origins="gateways",
        min_component_m=config.snap.min_component_m)
    cost = graph.arc_minutes()
    A = graph.csr(arc_cost=cost)
    AT = A.T.tocsr()
    g_nodes = graph.nodes("gateways")
    d_nodes = graph.nodes("destinations")
    gw_ids = gateways["id"].to_numpy(dtype=object)
    dest_ids = destinations["id"].to_numpy(dtype=object)

    reporter.step(f"Waktu tempuh dari {len(gw_ids)} gerbang (travel times from gateways)")
    gw_min = many_to_some(A, g_nodes, d_nodes)
    gateway_minutes = pd.DataFrame(_finite_or_nan(gw_min), index=pd.Index(gw_ids, name="id"),
                                   columns=pd.Index(dest_ids, name="destination"))

    dist, pred, src = nearest_of_set(A, g_nodes, predecessors=True)
    access = _at(dist, d_nodes, np.inf)
    reached = np.isfinite(access)
    access_gateway = _labels_at(gw_ids, g_nodes, src, d_nodes, graph.n_nodes)

    reporter.step("Atribut rute (route attributes)")
    # the access route: by road function alone (module docstring); same reachability
    ref_cost = graph.arc_minutes(*function_minutes(net.roads, config))
    ref_dist, ref_pred, _ = nearest_of_set(graph.csr(arc_cost=ref_cost), g_nodes,
                                           predecessors=True)
    km_all = route_attributes(graph, ref_pred, ref_cost)
    km = np.zeros((len(d_nodes), len(ROUTE_COLUMNS)))
    km[d_nodes >= 0] = km_all[d_nodes[d_nodes >= 0]]
    km[~reached] = np.nan

    # transport options: road-only reach, and routes through water / air links
    arc_mode = np.where(graph.arc_row >= 0, net.mode[np.maximum(graph.arc_row, 0)], "walk")
    road_only = np.where(np.isin(arc_mode, ["water", "air"]), np.inf, cost)
    d_road, _, _ = nearest_of_set(graph.csr(arc_cost=road_only), g_nodes)
    reach_road = np.isfinite(_at(d_road, d_nodes, np.inf))
    reach = transport_options(graph, ref_cost, arc_mode, g_nodes, d_nodes,
                              _at(ref_dist, d_nodes, np.inf), km, config)

    reporter.step("UMKM dalam 15/30 menit (UMKM within reach)")
    u_nodes = graph.nodes("umkm")
    u_words = normalise_text(umkm["type"]).fillna("lainnya")
    u_types = u_words.where(u_words.isin(schema.UMKM_TYPES), "lainnya").to_numpy(str)
    type_idx = pd.Categorical(u_types, categories=list(schema.UMKM_TYPES)).codes
    within = count_within(A, d_nodes, u_nodes, type_idx, len(schema.UMKM_TYPES),
                          tuple(float(m) for m in UMKM_MINUTES))
    counts: dict[str, np.ndarray] = {}
    for i, m in enumerate(UMKM_MINUTES):
        counts[f"umkm_{m}min"] = within[i].sum(axis=1)
        for j, t in enumerate(schema.UMKM_TYPES):
            counts[f"umkm_{m}min_{t}"] = within[i][:, j]
    counts["umkm_types_30min"] = (within[UMKM_MINUTES.index(30)] > 0).sum(axis=1)

    reporter.step("Fasilitas terdekat (nearest lodging, health, fuel)")
    f_nodes = graph.nodes("pois")
    nearest: dict[str, np.ndarray] = {}
    for label in ("lodging", "health", "fuel"):
        sel = f_nodes[(fac_label == label) & (f_nodes >= 0)]
        d_f, _, _ = nearest_of_set(AT, sel)
        nearest[f"nearest_{label}_min"] = _finite_or_nan(_at(d_f, d_nodes))

    reporter.step("Kampung ke destinasi terdekat (kampung view)")
    k_nodes = graph.nodes("kampung")
    d_k, _, s_k = nearest_of_set(AT, d_nodes, predecessors=True)
    k_min = _at(d_k, k_nodes, np.inf)
    nearest_dest = _labels_at(dest_ids, d_nodes, s_k, k_nodes, graph.n_nodes)
    k_snap = graph.snap("kampung")
    # the point that was snapped (polygons: a point on the surface in the metric CRS)
    k_ll = kampung.geometry.to_crs(net.metric_crs).representative_point().to_crs(schema.WGS84)
    kampung_df = pd.DataFrame({
        "kode": kampung["kode"].to_numpy(dtype=object),
        "nama": kampung["nama"].to_numpy(dtype=object),
        "level": (kampung["level"].to_numpy(dtype=object) if "level" in kampung
                  else np.full(len(kampung), "kampung", dtype=object)),
        "connected": k_snap.connected,
        "snap_dist_m": k_snap.distance_m,
        "minutes_to_nearest_destination": _finite_or_nan(k_min),
        "nearest_destination": nearest_dest,
        "lon": k_ll.x.to_numpy() if len(k_ll) else np.empty(0),
        "lat": k_ll.y.to_numpy() if len(k_ll) else np.empty(0),
    })

    d_snap = graph.snap("destinations")
    snap_m, nearest_road_m = snap_distances(d_snap, graph.reach_rows is not None)
    table = pd.DataFrame({
        "connected": d_snap.connected,
        "snap_dist_m": d_snap.distance_m,
        "snap_m": snap_m,
        "nearest_reachable_road_m": nearest_road_m,
        "access_minutes": _finite_or_nan(access),
        "access_gateway": access_gateway,
        **{c: km[:, j] for j, c in enumerate(ROUTE_COLUMNS)},
        "route_modes": _modes_label(np.nan_to_num(km), reached),
        "last_mile_m": d_snap.distance_m,
        **counts,
        **nearest,
        "reach_road": reach_road,
        "reach_water": reach["water"],
        "reach_air": reach["air"],
    }, index=pd.Index(dest_ids, name="id"))
    return AccessResult(destinations=table, gateway_minutes=gateway_minutes, kampung=kampung_df,
                        graph=graph, config=config, main_pred=pred,
                        gateways=gateway_report(gateways, graph.snap("gateways"),
                                                gateway_minutes),
                        umkm_type=np.asarray(type_idx, dtype=np.int64),
                        facility_label=np.asarray(fac_label, dtype=object),
                        route_pred=ref_pred, route_cost=ref_cost)
