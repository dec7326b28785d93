"""The transport network graph: the directed graph of the road, water and air links, snapping.

The workspace ``roads`` layer holds one row per link between graph nodes (``u`` -> ``v``,
geometry drawn from ``u`` to ``v``), with ``mode`` road, water or air. With the travel
minutes per direction (:func:`geo.network.speeds.edge_minutes`, from the speed table in
``data/network.toml``), this module builds the directed graph as a ``scipy.sparse`` matrix, and snaps
features (destinations, UMKM, gateways, kampung, points of interest) onto the nearest
point of the nearest link with a shapely STRtree in the metric CRS.

:class:`AccessGraph` is the graph augmented with one node per snapped feature: links are
split at the snap points and a walking connector joins each feature to its snap point.
It keeps, for every arc and every csr entry, the road row it came from, so road-works
scenarios can re-cost a set of rows and re-run Dijkstra without rebuilding the structure.

Everything is vectorised (numpy, shapely 2, scipy.sparse); nothing loops over nodes or
edges in Python.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from geo import fmt, schema
from geo._memory import give_back
from geo._parallel import Background, slices, thread_map, transform_on_threads
from geo.exceptions import NetworkError
from geo.network._csgraph import Parts, csr_min, dangling, entry_winners, ranges
from geo.network.config import NetworkConfig
from geo.network.speeds import edge_minutes, edge_minutes_as, row_modes

EPS_MINUTES = 1e-9
"""Floor of every arc cost: csgraph would read an explicit zero as "no edge"."""


# --- configuration -------------------------------------------------------------------


# --- travel minutes per link ---------------------------------------------------------


# --- the network ---------------------------------------------------------------------


@dataclass(frozen=True)
class Lines:
    """The road geometries, held as one array of vertices rather than one GEOS object per
    line.

    A region's roads are millions of short lines; as shapely objects they take more than
    twice the memory of their vertices (864.000 lines: 432 MB against 184 MB). Packed,
    the lines are two floats per vertex, and any subset is rebuilt exactly (same
    vertices, same order) when it is needed: the metric copy for snapping, the sections
    of a priorities table. Lines that do not pack (not a plain 2D LineString) are kept
    as they are.

    Attributes
    ----------
    crs
        The CRS of the coordinates.
    coords, start
        Vertices ``coords[start[i]:start[i + 1]]`` of line ``i`` (None: not packed).
    shapes
        The geometries as given, when they do not pack (else None).
    """

    crs: CRS
    coords: np.ndarray | None = field(default=None, repr=False)
    start: np.ndarray | None = field(default=None, repr=False)
    shapes: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def of(cls, geoms: np.ndarray, crs: CRS | str | int) -> Lines:
        """Pack ``geoms`` (or keep them, if some is not a 2D LineString)."""
        geoms = np.asarray(geoms, dtype=object)
        crs = CRS(crs)
        if not len(geoms) or ((shapely.get_type_id(geoms) == _LINESTRING).all()
                              and not shapely.has_z(geoms).any()):
            start = np.zeros(len(geoms) + 1, dtype=np.int64)
            np.cumsum(shapely.get_num_coordinates(geoms), out=start[1:])
            return cls(crs, shapely.get_coordinates(geoms), start)
        return cls(crs, shapes=geoms)

    @classmethod
    def from_wkb(cls, wkb: pa.ChunkedArray, crs: CRS | str | int) -> Lines:
        """Pack lines given as WKB (:meth:`geo.io.workspace.Workspace.read_wkb`), read by
        numpy, with no shapely object per line: 864.000 lines in 0,25 s against 1,1-1,5 s
        for ``Lines.of(shapely.from_wkb(...))``, to the same vertices. Anything but
        little-endian 2D LineStrings of two vertices or more (a null, an empty line, a
        curve, a Z value, EWKB) is read by shapely, as before, with its checks."""
        packed = _wkb_linestrings(wkb)
        if packed is None:
            return cls.of(shapely.from_wkb(wkb.to_numpy()), crs)
        return cls(CRS(crs), *packed)

    def __len__(self) -> int:
        if self.start is None:
            assert self.shapes is not None
            return len(self.shapes)
        return len(self.start) - 1

    def missing_or_empty(self) -> np.ndarray:
        """Per line: no geometry, or an empty one."""
        if self.shapes is None:
            assert self.start is not None
            return np.asarray(np.diff(self.start) == 0)
        return np.asarray(shapely.is_missing(self.shapes) | shapely.is_empty(self.shapes))

    def geometry(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The shapely geometries of ``rows`` (all when None), in :attr:`crs`."""
        return self._build(rows, None)

    def to_crs(self, crs: CRS, rows: np.ndarray | None = None) -> np.ndarray:
        """The geometries of ``rows`` projected to ``crs`` (as geopandas' ``to_crs``:
        the same transformation of the same vertices, so the same numbers)."""
        return self._build(rows, self._transformer(crs))

    def ends(self, crs: CRS | str | int) -> tuple[np.ndarray, np.ndarray]:
        """(n, 2) first and last vertex of every line, in ``crs``."""
        crs = CRS(crs)
        if self.coords is None or self.start is None:
            geoms = self.to_crs(crs)
            return (shapely.get_coordinates(shapely.get_point(geoms, 0)),
                    shapely.get_coordinates(shapely.get_point(geoms, -1)))
        xy = _projected(np.concatenate([self.coords[self.start[:-1]],
                                        self.coords[self.start[1:] - 1]]),
                        self._transformer(crs))
        half = len(xy) // 2
        return xy[:half], xy[half:]

    def _build(self, rows: np.ndarray | None, transformer: Transformer | None) -> np.ndarray:
        if self.coords is None or self.start is None:
            assert self.shapes is not None
            geoms = self.shapes if rows is None else self.shapes[rows]
            if transformer is None:
                return np.asarray(geoms)
            return np.asarray(gpd.GeoSeries(geoms, crs=self.crs)
                              .to_crs(transformer.target_crs).to_numpy())
        rows = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64)
        out = np.empty(len(rows), dtype=object)
        start, coords = self.start, self.coords

        # a slice of rows at a time: the vertex copies, their projection and the owner
        # of each vertex are made per slice, never for the whole region at once; the
        # slices on threads (PROJ and GEOS release the GIL), each into its own rows
        def build(lo: int) -> None:
            part = rows[lo: lo + _BUILD_ROWS]
            at, owner = ranges(start[part], start[part + 1])
            xy = _projected(coords[at], transformer)
            out[lo: lo + len(part)] = shapely.linestrings(xy, indices=owner)

        thread_map(build, range(0, len(rows), _BUILD_ROWS))
        return out

    def _transformer(self, crs: CRS) -> Transformer | None:
        """From :attr:`crs` to ``crs``; None when they are the same (geopandas' ``to_crs``
        then leaves the coordinates alone too)."""
        if self.crs.is_exact_same(crs):
            return None
        return Transformer.from_crs(self.crs, crs, always_xy=True)


def _projected(xy: np.ndarray, transformer: Transformer | None) -> np.ndarray:
    """(n, 2) coordinates through ``transformer`` (unchanged when None)."""
    if transformer is None:
        return xy
    out = np.empty((len(xy), 2))
    transform_on_threads(transformer.transform, xy[:, 0], xy[:, 1], out[:, 0], out[:, 1])
    return out


def _wkb_linestrings(wkb: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray] | None:
    """Vertices and starts (as :class:`Lines` holds them) of WKB values that are all
    little-endian 2D LineStrings (ISO type 2) of at least two vertices; else None.

    Such a value is a byte order mark (1), the type (uint32), the vertex count (uint32)
    and the vertices as little-endian float64 pairs: the vertices of a chunk are its data
    less the nine header bytes of each value, copied once into the one output array."""
    chunks: list[tuple[np.ndarray, np.ndarray]] = []  # per chunk: value offsets, data
    counts: list[np.ndarray] = []
    for chunk in wkb.chunks:
        if chunk.null_count:
            return None
        if not len(chunk):
            continue
        if pa.types.is_binary(chunk.type):
            width: type[np.signedinteger[Any]] = np.int32
        elif pa.types.is_large_binary(chunk.type):
            width = np.int64
        else:
            return None
        _, off_buf, data_buf = chunk.buffers()
        off = np.frombuffer(off_buf, dtype=width)[chunk.offset: chunk.offset + len(chunk) + 1]
        off = off.astype(np.int64)
        data = np.frombuffer(data_buf, dtype=np.uint8)
        lo = off[:-1]
        if (off[1:] - lo < 9).any() or (data[lo] != 1).any():
            return None
        head = data[lo[:, None] + np.arange(1, 9)]  # type and count, 4 bytes each
        kind = head[:, :4].copy().view("<u4")[:, 0]
        n = head[:, 4:].copy().view("<u4")[:, 0].astype(np.int64)
        if (kind != 2).any() or (n < 2).any() or (off[1:] - lo != 9 + 16 * n).any():
            return None
        chunks.append((off, data))
        counts.append(n)
    n = np.concatenate(counts) if counts else np.empty(0, dtype=np.int64)
    start = np.zeros(len(n) + 1, dtype=np.int64)
    np.cumsum(n, out=start[1:])
    coords = np.empty((int(start[-1]), 2))
    out = coords.reshape(-1).view(np.uint8)
    at = 0
    for off, data in chunks:
        keep = np.ones(int(off[-1] - off[0]), dtype=bool)
        keep[(off[:-1, None] - off[0] + np.arange(9)).ravel()] = False
        size = int(off[-1] - off[0]) - 9 * (len(off) - 1)
        # a chunk's bytes through a temporary of its own size (np.compress into ``out``
        # takes five times as long)
        out[at: at + size] = data[off[0]: off[-1]][keep]
        at += size
    return coords, start


_BUILD_ROWS = 100_000
"""Lines rebuilt (and projected) per slice by :class:`Lines`."""

_LINESTRING = 1
"""shapely's type id of a LineString."""


@dataclass
class Network:
    """The directed transport network of a workspace.

    Attributes
    ----------
    roads
        The ``roads`` layer's attributes (RangeIndex; row ``i`` is link ``i``), without
        the geometry: see :attr:`lines`.
    node_ids
        Original node ids (int64), index = graph node.
    node_xy
        (N, 2) lon/lat of each node.
    edge_u, edge_v
        Graph node of each row's ends.
    minutes_fwd, minutes_bwd
        Travel minutes per row along and against its geometry (``inf`` = not allowed).
    metric_crs
        The CRS in which distances are measured.
    lines
        The row geometries (:class:`Lines`; :meth:`road_geometry` rebuilds them).
    geometry_m
        Row geometries in ``metric_crs`` (made when first read; see
        :meth:`release_metric`).
    """

    roads: pd.DataFrame
    node_ids: np.ndarray
    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    minutes_fwd: np.ndarray
    minutes_bwd: np.ndarray
    metric_crs: CRS
    mode: np.ndarray = field(repr=False)
    lines: Lines = field(repr=False)
    _geometry_m: np.ndarray | None = field(default=None, repr=False)
    _metric_ahead: Background[np.ndarray] | None = field(default=None, init=False, repr=False)
    _snap_index: tuple[shapely.STRtree, np.ndarray, np.ndarray] | None = field(
        default=None, repr=False)
    # not an init field: a copy by dataclasses.replace (new roads) must not inherit it
    _function_minutes: tuple[NetworkConfig, np.ndarray, np.ndarray] | None = field(
        default=None, init=False, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    def function_minutes(self, config: NetworkConfig) -> tuple[np.ndarray, np.ndarray]:
        """Minutes per row by road function (:func:`edge_minutes` ``by_function``) under
        ``config``.

        :func:`build_network` times both from one reading of the rows; its pair is handed
        over on the first call with the same configuration and then dropped (the network
        does not hold a second copy of its minutes), later calls time the rows anew.
        """
        got, self._function_minutes = self._function_minutes, None
        if got is not None and (got[0] is config or got[0] == config):
            return got[1], got[2]
        return edge_minutes(self.roads, config, by_function=True)

    @property
    def geometry_m(self) -> np.ndarray:
        """Row geometries in ``metric_crs``, projected when first needed (snapping), or
        as projected ahead (:meth:`project_ahead`)."""
        if self._geometry_m is None:
            ahead, self._metric_ahead = self._metric_ahead, None
            self._geometry_m = (self.lines.to_crs(self.metric_crs) if ahead is None
                                else ahead.result())
        return self._geometry_m

    def project_ahead(self, job: Background[np.ndarray]) -> None:
        """Take :attr:`geometry_m` from ``job`` (``lines.to_crs(metric_crs)`` started
        before this network was built) when it is first read."""
        self._metric_ahead = job

    def road_geometry(self, rows: np.ndarray | None = None) -> gpd.GeoSeries:
        """The geometries of road ``rows`` (all when None), in the CRS they were read in."""
        return gpd.GeoSeries(self.lines.geometry(rows), crs=self.lines.crs)

    def release_metric(self) -> None:
        """Drop the metric geometries and the snap index until they are needed again.

        They are a second copy of every road geometry (a third of the memory of the
        network at scale) and serve only snapping: once the features are snapped
        (:func:`build_access_graph`), routing and scoring never read them.
        """
        if self._metric_ahead is not None:  # never read: its thread ends before any fork
            self._metric_ahead.result()
            self._metric_ahead = None
        self._geometry_m = None
        self._snap_index = None
        give_back()  # the freed pages: their small blocks would not be reused

    def graph(self, minutes_fwd: np.ndarray | None = None,
              minutes_bwd: np.ndarray | None = None) -> csr_matrix:
        """The directed graph (N x N csr) of minutes; parallel links keep the fastest."""
        fwd = self.minutes_fwd if minutes_fwd is None else minutes_fwd
        bwd = self.minutes_bwd if minutes_bwd is None else minutes_bwd
        tail = np.concatenate([self.edge_u, self.edge_v])
        head = np.concatenate([self.edge_v, self.edge_u])
        cost = np.concatenate([fwd, bwd])
        keep = np.isfinite(cost) & (tail != head)
        return csr_min(tail[keep], head[keep], np.maximum(cost[keep], EPS_MINUTES),
                       self.n_nodes)

    def snap_index(self) -> tuple[shapely.STRtree, np.ndarray, np.ndarray]:
        """STRtree of snap targets with, per target, its row and fixed fraction.

        Road links are targets as lines (any point along them). Water and air links are
        targets only at their two ends (fraction 0 or 1): nobody boards a boat or a plane
        halfway along its route. Rows that carry no traffic (closed to cars and on foot)
        are no targets: a snap there would reach nothing.
        """
        if self._snap_index is None:
            open_ = np.isfinite(self.minutes_fwd) | np.isfinite(self.minutes_bwd)
            road = np.flatnonzero((self.mode == "road") & open_)
            other = np.flatnonzero((self.mode != "road") & open_)
            ends = np.concatenate([shapely.get_point(self.geometry_m[other], 0),
                                   shapely.get_point(self.geometry_m[other], -1)])
            geoms = np.concatenate([self.geometry_m[road], ends])
            rows = np.concatenate([road, other, other])
            frac = np.concatenate([np.full(len(road), np.nan), np.zeros(len(other)),
                                   np.ones(len(other))])
            self._snap_index = (shapely.STRtree(geoms), rows, frac)
        return self._snap_index


def _categorical_text(attrs: pd.DataFrame) -> pd.DataFrame:
    """Text columns as categoricals (in place): a road layer has a few distinct values
    per column (``highway``, ``surface``, the access tags ...), and a text column holds a
    pointer per row: at N = 1000 tiles (8,6 M rows x 22 columns) 1,5 GB against ~0,2 GB
    of codes, held for the whole of a priorities run."""
    for col in attrs.columns:
        if attrs[col].dtype == object or isinstance(attrs[col].dtype, pd.StringDtype):
            attrs[col] = attrs[col].astype("category")
    return attrs


def build_network(roads: gpd.GeoDataFrame | pd.DataFrame, config: NetworkConfig,
                  metric_crs: CRS | str | int, *, lines: Lines | None = None) -> Network:
    """Build the network from a ``roads`` layer (columns of :data:`geo.schema.ROAD_COLUMNS`).

    ``lines``: the layer's geometries already packed (:meth:`Lines.from_wkb`); ``roads``
    is then its attributes alone. Missing ``length_m`` values are measured in
    ``metric_crs``.

    Raises
    ------
    NetworkError
        If there are no links or a row has no usable geometry.
    """
    if roads is None or len(roads) == 0:
        raise NetworkError("roads: layer kosong; jalankan dulu ingest-osm atau impor jalan")
    missing = [c for c in ("u", "v", "oneway", "length_m", "highway", "mode") if c not in roads]
    if missing:
        raise NetworkError(f"roads: kolom hilang: {', '.join(missing)}")
    if lines is None:
        if not isinstance(roads, gpd.GeoDataFrame) or roads.crs is None:
            raise NetworkError("roads: layer tanpa CRS; seharusnya EPSG:4326")
        lines = Lines.of(roads.geometry.to_numpy(), roads.crs)
        roads = pd.DataFrame(roads.drop(columns=roads.geometry.name))
    if len(lines) != len(roads):
        raise ValueError(f"{len(lines)} geometries for {len(roads)} road rows")
    bad = lines.missing_or_empty()
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad)[:10])
        raise NetworkError(f"roads: {fmt.integer(int(bad.sum()))} ruas tanpa geometri "
                           f"(baris ke-{rows}{', ...' if bad.sum() > 10 else ''})")
    crs = CRS(metric_crs)
    attrs = pd.DataFrame(roads).reset_index(drop=True)
    for col in ("surface", "condition", "maxspeed"):
        if col not in attrs:
            attrs[col] = pd.NA
    length = pd.to_numeric(attrs["length_m"], errors="coerce")
    if length.isna().any():  # measured in the metric CRS, only where missing
        gap = np.flatnonzero(length.isna().to_numpy())
        measured = shapely.length(lines.to_crs(crs, gap))
        attrs["length_m"] = length.fillna(pd.Series(measured, index=attrs.index[gap]))
    (fwd, bwd), by_function = edge_minutes_as(attrs, config, (False, True))

    u = attrs["u"].to_numpy(dtype=np.int64)
    v = attrs["v"].to_numpy(dtype=np.int64)
    node_ids, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    edge_u, edge_v = inv[: len(u)], inv[len(u):]
    first, last = lines.ends(schema.WGS84)
    xy = np.empty((len(node_ids), 2))
    xy[edge_u] = first
    xy[edge_v] = last
    mode = row_modes(attrs)
    net = Network(roads=_categorical_text(attrs), node_ids=node_ids, node_xy=xy,
                  edge_u=edge_u, edge_v=edge_v, minutes_fwd=fwd, minutes_bwd=bwd,
                  metric_crs=crs, mode=mode, lines=lines)
    net._function_minutes = (config, *by_function)
    return net


# --- snapping ------------------------------------------------------------------------


@dataclass
class Snap:
    """Where each feature meets the network.

    Attributes
    ----------
    edge
        Road row of the nearest link (-1 when the feature has no geometry).
    fraction
        Position of the snap point along the row's geometry, 0 at ``u`` .. 1 at ``v``.
    x, y
        Snap point in the metric CRS.
    distance_m
        Off-network distance from the feature to the snap point (NaN without geometry).
    connected
        ``distance_m <= max_dist_m``; unconnected features get no graph node.
    """

    edge: np.ndarray
    fraction: np.ndarray
    x: np.ndarray
    y: np.ndarray
    distance_m: np.ndarray
    connected: np.ndarray
    crs: CRS

    def __len__(self) -> int:
        return len(self.edge)

    def points(self) -> gpd.GeoSeries:
        """Snap points in EPSG:4326 (empty where the feature has no geometry)."""
        pts = shapely.points(self.x, self.y)
        return gpd.GeoSeries(pts, crs=self.crs).to_crs(schema.WGS84)


def snap_points(network: Network, points: gpd.GeoSeries, max_dist_m: float,
                rows: np.ndarray | None = None) -> Snap:
    """Snap features to the nearest point of the nearest link (not the nearest node).

    Parameters
    ----------
    network
        The network; road links take snaps anywhere, water and air links only at their ends.
    points
        Feature geometries in any CRS (non-points are reduced to a representative point).
    max_dist_m
        Features farther than this from every link are ``connected = False``.
    rows
        Boolean mask over the road rows: only these rows are snap targets (e.g. the rows
        the gateways reach). ``None``: every row. Distances are measured to these rows
        whatever ``max_dist_m`` says, so ``distance_m`` of an unconnected feature is how
        far the nearest allowed link is (NaN when no row is allowed).
    """
    if points.crs is None:
        raise NetworkError("fitur tanpa CRS; seharusnya EPSG:4326")
    geoms = points.to_crs(network.metric_crs).to_numpy()
    n = len(geoms)
    has = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    pts = np.asarray(shapely.point_on_surface(geoms[has]))
    edge = np.full(n, -1, dtype=np.int64)
    frac = np.full(n, np.nan)
    dist = np.full(n, np.nan)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if not len(pts):  # nothing to snap (an extract without ferry ends): no tree to build
        return Snap(edge=edge, fraction=frac, x=x, y=y, distance_m=dist,
                    connected=np.zeros(n, dtype=bool), crs=network.metric_crs)
    tree, t_rows, fixed = network.snap_index()
    allowed = None if rows is None else np.asarray(rows, dtype=bool)[t_rows]
    if allowed is not None and allowed.all():
        allowed = None
    if len(t_rows) and (allowed is None or allowed.any()):
        tgt, d, f, on = _nearest_on_lines(tree, pts, allowed, t_rows, fixed,
                                          network.geometry_m)
        idx = np.flatnonzero(has)
        edge[idx], frac[idx], dist[idx] = t_rows[tgt], f, d
        x[idx], y[idx] = on[:, 0], on[:, 1]
    connected = np.nan_to_num(dist, nan=np.inf) <= max_dist_m
    return Snap(edge=edge, fraction=frac, x=x, y=y, distance_m=dist, connected=connected,
                crs=network.metric_crs)


def _nearest_on_lines(tree: shapely.STRtree, pts: np.ndarray, allowed: np.ndarray | None,
                      t_rows: np.ndarray, fixed: np.ndarray, lines: np.ndarray
                      ) -> tuple[np.ndarray, ...]:
    """Per point: its nearest allowed target ``tgt`` (:func:`_nearest_targets`), the
    distance, the fraction along that target's line (``fixed`` where not NaN) and the
    (n, 2) point there. Each point's answer depends on that point alone, so pieces of the
    points run on threads (GEOS releases the GIL), in order."""
    tgt = _nearest_targets(tree, pts, allowed)

    def piece(at: slice) -> tuple[np.ndarray, ...]:
        g, p = tgt[at], pts[at]
        # GEOSDistance, as query_nearest measures: the same number
        d = shapely.distance(p, tree.geometries[g])
        line = lines[t_rows[g]]
        f = np.where(np.isnan(fixed[g]),
                     shapely.line_locate_point(line, p, normalized=True), fixed[g])
        f = np.nan_to_num(np.clip(f, 0.0, 1.0))  # zero-length lines give NaN
        on = shapely.get_coordinates(shapely.line_interpolate_point(line, f, normalized=True))
        return d, f, on

    got = thread_map(piece, slices(len(pts)))
    return (tgt, *(np.concatenate([g[i] for g in got]) for i in range(3)))


_SNAP_BOX_M: Final = 50.0
"""Half the side (m) of the box in which :func:`_nearest_targets` first looks for each
point's nearest target. Most features lie within tens of metres of a road (at 100 tiles of
Andorra, 91 % of the destinations, UMKM and gateways lie within 50 m); the others are
found by the tree's nearest search, as before."""


_BOX_POINTS: Final = 1 << 14
"""Points per piece of the box pass of :func:`_nearest_targets`."""


_NEAREST_PIECE_MIN: Final = 500
"""Fewest points per thread of :func:`_query_nearest`."""


def _nearest_targets(tree: shapely.STRtree, pts: np.ndarray,
                     allowed: np.ndarray | None) -> np.ndarray:
    """Per point, the index in ``tree`` of its nearest target among ``allowed`` (a mask over
    the tree's items; None: all): the answer of ``query_nearest(all_matches=False)`` on a
    tree of the allowed targets alone, bit for bit, in a fraction of its time (100 tiles:
    107.100 points, 2,7 -> 1,4 s).

    The nearest search visits tree nodes point by point; most points have a road a few
    metres away. So, in three passes, each over the points the one before left open:

    1. the allowed targets whose boxes meet the point's box of half side
       :data:`_SNAP_BOX_M` (one bulk query), measured (GEOSDistance, as the nearest search
       does): the least is the nearest when it lies within the box's half side (any
       target that near meets the box) and no other target is as near;
    2. the tree's own nearest search with every tie: one nearest, allowed, is the answer;
    3. the nearest search on a tree of the allowed targets alone (built only when needed):
       exactly the former answer, tie broken the same way.
    """
    geoms = tree.geometries
    radius = _SNAP_BOX_M

    def in_box(at: slice) -> np.ndarray:
        p = pts[at]
        x, y = shapely.get_x(p), shapely.get_y(p)
        s, g = tree.query(shapely.box(x - radius, y - radius, x + radius, y + radius))
        if allowed is not None:
            s, g = s[allowed[g]], g[allowed[g]]
        d = shapely.distance(p[s], geoms[g])
        best = np.full(len(p), np.inf)
        np.minimum.at(best, s, d)
        least = d == best[s]
        sure = (np.bincount(s[least], minlength=len(p)) == 1) & (best <= radius)
        out = np.full(len(p), -1, dtype=np.int64)
        pick = least & sure[s]
        out[s[pick]] = g[pick]
        return out

    # pieces of a bounded size, not one per thread: a piece holds a few pairs of every
    # point's candidates (at 100 tiles one piece per thread raised the priorities' peak
    # by ~90 MB, at 1000 tiles ~750 MB)
    pieces = [slice(lo, min(lo + _BOX_POINTS, len(pts)))
              for lo in range(0, len(pts), _BOX_POINTS)]
    tgt = np.concatenate(thread_map(in_box, pieces))
    rest = np.flatnonzero(tgt < 0)
    if len(rest):
        s, g = _query_nearest(tree, pts[rest], all_matches=True)
        one = np.bincount(s, minlength=len(rest))[s] == 1
        if allowed is not None:
            one &= allowed[g]
        tgt[rest[s[one]]] = g[one]
        rest = np.flatnonzero(tgt < 0)
    if len(rest):
        # a tree of the allowed targets only: query_nearest cannot filter
        keep = np.arange(len(geoms)) if allowed is None else np.flatnonzero(allowed)
        sub = tree if allowed is None else shapely.STRtree(geoms[keep])
        s, g = _query_nearest(sub, pts[rest], all_matches=False)
        tgt[rest[s]] = keep[g]
    return tgt


def _query_nearest(tree: shapely.STRtree, pts: np.ndarray, *, all_matches: bool
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``tree.query_nearest(pts, all_matches=...)`` on threads, pieces of the points.

    The points left to a nearest search are the far ones, each a long search (about
    0,1 ms at 100 tiles): pieces far smaller than other calls' are worth a thread."""
    pieces = slices(len(pts), least=_NEAREST_PIECE_MIN)
    got = thread_map(lambda at: tree.query_nearest(pts[at], all_matches=all_matches), pieces)
    return (np.concatenate([pair[0] + at.start for pair, at in zip(got, pieces, strict=True)]),
            np.concatenate([pair[1] for pair in got]))


def meaningful_rows(network: Network, min_component_m: float) -> np.ndarray:
    """Rows of the network's components that hold at least ``min_component_m`` of road.

    Components are weakly connected over every mode; their size is the total length of
    their *road* rows, so a lone ferry line (no road at either end) is never meaningful.
    When no component is that large, the one with the most road is. Compare OSRM, which
    marks components under ``--small-component-size`` (1000 nodes by default) as tiny and
    snaps to them only when nothing else is near.

    Returns
    -------
    Boolean mask over the rows.
    """
    # weak components need only which rows carry traffic one way or the other: an
    # adjacency of those rows, not the cheapest-entry csr of network.graph() (whose sort
    # of every arc was most of this function's time)
    on = np.isfinite(network.minutes_fwd) | np.isfinite(network.minutes_bwd)
    u, v = network.edge_u[on], network.edge_v[on]
    adjacency = csr_matrix((np.ones(len(u), dtype=bool), (u, v)),
                           shape=(network.n_nodes, network.n_nodes))
    n_comp, label = connected_components(adjacency, directed=False)
    comp = label[network.edge_u]
    length = pd.to_numeric(network.roads["length_m"], errors="coerce").to_numpy(float)
    road_m = np.bincount(comp, weights=np.where(network.mode == "road", length, 0.0),
                         minlength=n_comp)
    big = road_m >= min_component_m
    if not big.any():
        big = road_m == road_m.max()
    return np.asarray(big[comp])


def dangling_link_ends(network: Network) -> np.ndarray:
    """Graph nodes where a water or air link ends without touching any road link.

    A ferry line in OSM often stops at the pier, a few metres from the road; these ends are
    joined to the road network by a walk (:func:`build_access_graph`), so the ferry
    connects at its terminal.
    """
    road = network.mode == "road"
    touches_road = np.zeros(network.n_nodes, dtype=bool)
    touches_road[network.edge_u[road]] = True
    touches_road[network.edge_v[road]] = True
    ends = np.unique(np.concatenate([network.edge_u[~road], network.edge_v[~road]]))
    return np.asarray(ends[~touches_road[ends]])


# --- the augmented graph -------------------------------------------------------------


@dataclass
class AccessGraph:
    """The network with a node for every snapped feature.

    Node numbering: ``0 .. network.n_nodes-1`` are network nodes, then one snap-point node
    and one feature node per connected feature. Links carrying snaps are split at the
    snap points (``u -> p1 -> p2 -> ... -> v``, cost proportional to the fraction of the
    row between them, both directions unless oneway); a walking connector joins each
    feature node to its snap point in both directions.

    Arcs: every directed piece of a row (or connector) is an *arc*. Its cost is
    ``share * minutes_fwd[row]`` (``minutes_bwd`` when ``backward``) for row arcs, or the
    fixed walking minutes for connectors (``row == -1``: feature walks, and the zero-length
    pieces that join coincident points, passable both ways even on oneway links). Parallel arcs between the same
    two nodes share one csr *entry* that takes the cheapest. Re-costing road rows is
    ``csr(minutes_fwd=..., minutes_bwd=...)``: O(arcs), the structure is reused.

    Attributes
    ----------
    network
        The underlying network.
    n_nodes
        Total nodes.
    features
        For each feature set (e.g. ``"destinations"``), the :class:`Snap` and the feature
        node of every feature (-1 when not connected).
    arc_tail, arc_head, arc_row, arc_backward, arc_share, arc_fixed
        The arcs.
    arc_entry
        csr entry (index into ``csr().data``) of every arc.
    indptr, indices, entry_key
        The csr structure; ``entry_key = tail * n_nodes + head``, sorted.
    """

    network: Network
    n_nodes: int
    features: dict[str, tuple[Snap, np.ndarray]]
    arc_tail: np.ndarray
    arc_head: np.ndarray
    arc_row: np.ndarray
    arc_backward: np.ndarray
    arc_share: np.ndarray
    arc_fixed: np.ndarray
    arc_entry: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    entry_key: np.ndarray
    _order: np.ndarray = field(repr=False)
    _starts: np.ndarray = field(repr=False)
    _row_arcs: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    reach_rows: np.ndarray | None = field(default=None, repr=False)
    """Rows the origins reach (bool per road row); None when no origin is connected."""
    _parts: Parts | None = field(default=None, repr=False)
    _cores: dict[bytes, Parts] = field(default_factory=dict, repr=False)

    def parts(self) -> Parts:
        """Weak components of all arcs (whatever their costs), for runs that need only
        their sources' components (:func:`geo.network.iter_chunks`)."""
        if self._parts is None:
            self._parts = Parts.of_arcs(self.arc_tail, self.arc_head, self.n_nodes)
        return self._parts

    def core(self, needed: np.ndarray) -> Parts:
        """:meth:`parts` without the dead-end trees that hold none of the ``needed`` nodes
        (-1 ignored; :func:`geo.network.dangling`), for runs between those nodes only,
        whatever the arcs' costs: made once per set of nodes (a state per upgrade
        re-costs the arcs, not the structure)."""
        needed = np.unique(np.asarray(needed, dtype=np.int64))
        key = needed.tobytes()
        got = self._cores.get(key)
        if got is None:
            if len(self._cores) >= 4:  # a few point sets are read; keep no more
                self._cores.pop(next(iter(self._cores)))
            got = self._cores[key] = self.parts().without(
                dangling(self.indptr, self.indices, needed))
        return got

    @property
    def n_entries(self) -> int:
        return len(self.indices)

    def nodes(self, name: str) -> np.ndarray:
        """Graph node of each feature of a set (-1 when not connected)."""
        return self.features[name][1]

    def snap(self, name: str) -> Snap:
        return self.features[name][0]

    def arc_minutes(self, minutes_fwd: np.ndarray | None = None,
                    minutes_bwd: np.ndarray | None = None, *,
                    arcs: np.ndarray | None = None) -> np.ndarray:
        """Cost of every arc (or of ``arcs``) for the given per-row minutes.

        Per-row minutes default to the network's.
        """
        fwd = self.network.minutes_fwd if minutes_fwd is None else minutes_fwd
        bwd = self.network.minutes_bwd if minutes_bwd is None else minutes_bwd
        sel = slice(None) if arcs is None else arcs
        rows, share, back = self.arc_row[sel], self.arc_share[sel], self.arc_backward[sel]
        cost = self.arc_fixed[sel].copy()
        on = rows >= 0
        row = rows[on]
        cost[on] = share[on] * np.where(back[on], bwd[row], fwd[row])
        return np.asarray(np.maximum(cost, EPS_MINUTES))

    def recost(self, data: np.ndarray, rows: np.ndarray, minutes_fwd: np.ndarray,
               minutes_bwd: np.ndarray) -> np.ndarray:
        """csr data after changing the minutes of some road rows, touching only them.

        Parameters
        ----------
        data
            Current csr data (e.g. ``csr().data``), not modified.
        rows
            Road rows whose minutes changed.
        minutes_fwd, minutes_bwd
            Per-row minutes (full arrays) holding the new values for ``rows``.

        Returns
        -------
        A new data vector: entries of the arcs of ``rows`` recomputed as the minimum over
        all their parallel arcs; use with :meth:`with_data`. Cost: O(arcs of those rows).
        """
        ent = np.unique(self.arc_entry[self.arcs_of_rows(rows)])
        out = np.array(data, dtype=float, copy=True)
        if not len(ent):
            return out
        ends = np.r_[self._starts[1:], len(self._order)]
        lo, hi = self._starts[ent], ends[ent]
        n = hi - lo
        offs = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n)
        arcs = self._order[np.arange(n.sum()) + offs]
        cost = self.arc_minutes(minutes_fwd, minutes_bwd, arcs=arcs)
        out[ent] = np.minimum.reduceat(cost, np.r_[0, np.cumsum(n)[:-1]])
        return out

    def with_data(self, data: np.ndarray) -> csr_matrix:
        """The csr matrix of this structure with the given (finite) entry costs."""
        return csr_matrix((data, self.indices, self.indptr), shape=(self.n_nodes, self.n_nodes))

    def entry_minutes(self, arc_cost: np.ndarray) -> np.ndarray:
        """csr data: the cheapest arc cost of every entry."""
        return np.minimum.reduceat(arc_cost[self._order], self._starts)

    def csr(self, minutes_fwd: np.ndarray | None = None,
            minutes_bwd: np.ndarray | None = None, *,
            arc_cost: np.ndarray | None = None) -> csr_matrix:
        """The augmented graph as an N x N csr matrix of minutes.

        Pass per-row minutes (re-costed rows) or directly a cost per arc. Entries whose
        cost becomes infinite are dropped from the returned matrix.
        """
        if arc_cost is None:
            arc_cost = self.arc_minutes(minutes_fwd, minutes_bwd)
        data = self.entry_minutes(arc_cost)
        finite = np.isfinite(data)
        if finite.all():
            return csr_matrix((data, self.indices, self.indptr),
                              shape=(self.n_nodes, self.n_nodes))
        tail = np.repeat(np.arange(self.n_nodes), np.diff(self.indptr))
        return csr_min(tail[finite], self.indices[finite], data[finite], self.n_nodes)

    def entry_winner(self, arc_cost: np.ndarray | None = None) -> np.ndarray:
        """The arc that gives each csr entry its cost (the cheapest of parallel arcs)."""
        if arc_cost is None:
            arc_cost = self.arc_minutes()
        return entry_winners(self.arc_entry, arc_cost, self.n_entries)

    def entries(self, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
        """csr entry of each (tail, head) pair, -1 where there is no such entry."""
        key = np.asarray(tail, dtype=np.int64) * self.n_nodes + np.asarray(head, dtype=np.int64)
        pos = np.searchsorted(self.entry_key, key)
        pos = np.minimum(pos, len(self.entry_key) - 1)
        return np.where(self.entry_key[pos] == key, pos, -1)

    def arcs_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """Indices of every arc that comes from one of the given road rows."""
        if self._row_arcs is None:
            order = np.argsort(self.arc_row, kind="stable").astype(np.int32)
            n_rows = len(self.network.roads)
            start = np.searchsorted(self.arc_row[order], np.arange(n_rows + 1))
            self._row_arcs = (order, start)
        order, start = self._row_arcs
        rows = np.asarray(rows, dtype=np.int64)
        lo, hi = start[rows], start[rows + 1]
        n = hi - lo
        offs = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
        return np.asarray(order[np.arange(n.sum()) + offs])


def build_access_graph(network: Network, features: Mapping[str, gpd.GeoSeries],
                       max_dist_m: float, walk_speed_kmh: float, *,
                       origins: str | None = "gateways",
                       trip_starts: Collection[str] = ("kampung",),
                       min_component_m: float = 0.0) -> AccessGraph:
    """Snap every feature set and build the augmented graph.

    Features snap only where they lead somewhere. The origin set (``origins``, the
    gateways) snaps to components of at least ``min_component_m`` of road
    (:func:`meaningful_rows`), so a gateway joins the main network, not a fragment beside
    it. Water and air links ending away from any road (a ferry line stopping at its pier)
    are joined to the nearest road of such a component by a walk (feature set
    ``link_ends``, whose feature nodes are those network nodes). Every other set then snaps
    to the nearest link the origins reach (directed, over all modes); without a connected
    origin, to the meaningful components. Sets in ``trip_starts`` (kampung: trips start
    there) may also snap to links that lead into the reached network. A feature with no
    such link within ``max_dist_m`` is not connected.

    Parameters
    ----------
    network
        The network.
    features
        Feature geometries per set name (e.g. ``{"gateways": ..., "destinations": ...}``).
    max_dist_m
        Snap limit; farther features are not connected (node -1).
    walk_speed_kmh
        Speed of the off-network connector walk.
    origins
        The set whose reach decides where the others snap (None: no such set).
    trip_starts
        Sets whose trips start at the feature and run towards the destinations.
    min_component_m
        Road length (m) of a component large enough for origins and link ends.
    """
    big = meaningful_rows(network, min_component_m)
    ends = dangling_link_ends(network)
    end_pts = gpd.GeoSeries(shapely.points(network.node_xy[ends]), crs=schema.WGS84)
    first: dict[str, Snap] = {
        "link_ends": snap_points(network, end_pts, max_dist_m, big & (network.mode == "road"))}
    if origins is not None and origins in features:
        first[origins] = snap_points(network, features[origins], max_dist_m, big)
    fixed_nodes = {"link_ends": ends}
    reach_rows: np.ndarray | None = None
    allowed = leading = big
    if origins is not None and origins in first and first[origins].connected.any():
        stage = _assemble(network, first, walk_speed_kmh, fixed_nodes)
        reach_rows, leading = _reached_rows(stage, stage.nodes(origins))
        allowed = reach_rows
        del stage  # not held beside the final graph
    rest = [name for name in features if name not in first]
    snaps = dict(first)
    for group in ([n for n in rest if n not in trip_starts], [n for n in rest if n in trip_starts]):
        snaps.update(_snap_sets(network, {n: features[n] for n in group}, max_dist_m,
                                leading if group and group[0] in trip_starts else allowed))
    # feature sets in the caller's order, then the link ends
    snaps = {**{n: snaps[n] for n in features}, "link_ends": snaps["link_ends"]}
    network.release_metric()  # all snapped: the graph and routing never read them
    graph = _assemble(network, snaps, walk_speed_kmh, fixed_nodes)
    graph.reach_rows = reach_rows
    return graph


def _snap_sets(network: Network, sets: Mapping[str, gpd.GeoSeries], max_dist_m: float,
               rows: np.ndarray) -> dict[str, Snap]:
    """Snap several feature sets to the same allowed rows with one query (one tree)."""
    if not sets:
        return {}
    crs = network.metric_crs
    if any(pts.crs is None for pts in sets.values()):
        raise NetworkError("fitur tanpa CRS; seharusnya EPSG:4326")
    parts = [pts.to_crs(crs) for pts in sets.values()]
    both = snap_points(network, gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=crs),
                       max_dist_m, rows)
    ends = np.cumsum([0, *(len(p) for p in parts)])
    return {name: Snap(edge=both.edge[lo:hi], fraction=both.fraction[lo:hi], x=both.x[lo:hi],
                       y=both.y[lo:hi], distance_m=both.distance_m[lo:hi],
                       connected=both.connected[lo:hi], crs=both.crs)
            for name, lo, hi in zip(sets, ends[:-1], ends[1:], strict=True)}


def _reached_rows(graph: AccessGraph, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows the sources reach, and rows that lead into what they reach (bool masks).

    The first: rows with an arc leaving a node reachable from ``sources``. The second also
    holds rows with an arc entering a node from which a reached node can be reached: a
    trip that *starts* there (from a kampung) gets onto the reached network.
    """
    src = sources[sources >= 0]
    n = graph.n_nodes
    n_rows = len(graph.network.roads)

    def seen_from(tail: np.ndarray, head: np.ndarray, start: np.ndarray) -> np.ndarray:
        # one breadth-first search from a super-source (node n) linked to every start
        t = np.concatenate([tail, np.full(len(start), n)])
        h = np.concatenate([head, start])
        link = csr_matrix((np.ones(len(t)), (t, h)), shape=(n + 1, n + 1))
        seen = np.zeros(n + 1, dtype=bool)
        seen[breadth_first_order(link, n, directed=True, return_predecessors=False)] = True
        return seen[:n]

    on_row = graph.arc_row >= 0
    fwd = seen_from(graph.arc_tail, graph.arc_head, src)
    back = seen_from(graph.arc_head, graph.arc_tail, np.flatnonzero(fwd))
    reached = np.zeros(n_rows, dtype=bool)
    reached[graph.arc_row[on_row & fwd[graph.arc_tail]]] = True
    leading = reached.copy()
    leading[graph.arc_row[on_row & back[graph.arc_head]]] = True
    return reached, leading


def _assemble(network: Network, snaps: Mapping[str, Snap], walk_speed_kmh: float,
              fixed_nodes: Mapping[str, np.ndarray]) -> AccessGraph:
    """The augmented graph of given snaps; sets in ``fixed_nodes`` use those network
    nodes as their feature nodes (one per feature) instead of new ones."""
    nb = network.n_nodes
    all_edge = np.concatenate([s.edge[s.connected] for s in snaps.values()] + [np.empty(0, int)])
    all_frac = np.concatenate([s.fraction[s.connected] for s in snaps.values()] + [np.empty(0)])
    all_dist = np.concatenate([s.distance_m[s.connected] for s in snaps.values()]
                              + [np.empty(0)])
    k = len(all_edge)
    p_node = nb + np.arange(k)  # snap point nodes
    f_node = nb + k + np.arange(k)  # feature nodes
    feats: dict[str, tuple[Snap, np.ndarray]] = {}
    offset = 0
    for name, s in snaps.items():
        node = np.full(len(s), -1, dtype=np.int64)
        m = int(s.connected.sum())
        if name in fixed_nodes:
            # the walk joins an existing node; its new feature node stays isolated
            f_node[offset: offset + m] = fixed_nodes[name][s.connected]
        node[s.connected] = f_node[offset: offset + m]
        offset += m
        feats[name] = (s, node)

    # split rows at snap points: sort snaps along each row, chain u -> p1 -> ... -> v
    order = np.lexsort((all_frac, all_edge))
    e_s, f_s, p_s = all_edge[order], all_frac[order], p_node[order]
    first = np.ones(k, dtype=bool)
    first[1:] = e_s[1:] != e_s[:-1]
    last = np.ones(k, dtype=bool)
    last[:-1] = e_s[:-1] != e_s[1:]
    prev_node = np.where(first, network.edge_u[e_s], np.roll(p_s, 1))
    prev_frac = np.where(first, 0.0, np.roll(f_s, 1))
    # the rows no snap splits (ascending, as setdiff1d gives them, without its two sorts
    # of every row: 1,2 s of a step at N = 100)
    split = np.zeros(len(network.roads), dtype=bool)
    split[e_s] = True
    whole = np.flatnonzero(~split)
    seg_tail = np.concatenate([network.edge_u[whole], prev_node, p_s[last]])
    seg_head = np.concatenate([network.edge_v[whole], p_s, network.edge_v[e_s[last]]])
    seg_row = np.concatenate([whole, e_s, e_s[last]])
    seg_share = np.concatenate([np.ones(len(whole)), f_s - prev_frac, 1.0 - f_s[last]])

    # zero-length pieces join coincident points (two snaps at one spot, a snap on a node):
    # they are passable both ways even on a oneway link
    zero = seg_share == 0
    fwd_ok = np.isfinite(network.minutes_fwd[seg_row]) | zero
    bwd_ok = np.isfinite(network.minutes_bwd[seg_row]) | zero
    walk_min = all_dist / (walk_speed_kmh * 1000.0 / 60.0)
    tail = np.concatenate([seg_tail[fwd_ok], seg_head[bwd_ok], f_node, p_node])
    head = np.concatenate([seg_head[fwd_ok], seg_tail[bwd_ok], p_node, f_node])
    row = np.concatenate([seg_row[fwd_ok], seg_row[bwd_ok], np.full(2 * k, -1)])
    backward = np.concatenate([np.zeros(fwd_ok.sum(), bool), np.ones(bwd_ok.sum(), bool),
                               np.zeros(2 * k, bool)])
    share = np.concatenate([seg_share[fwd_ok], seg_share[bwd_ok], np.zeros(2 * k)])
    fixed = np.concatenate([np.zeros(fwd_ok.sum() + bwd_ok.sum()), walk_min, walk_min])
    # zero-length pieces are free connectors of no row: not road, not boat, not re-costed
    row[share == 0] = -1
    keep = tail != head  # whole self-loops never lie on a shortest path
    tail, head, row, backward, share, fixed = (a[keep] for a in
                                               (tail, head, row, backward, share, fixed))
    n = nb + 2 * k
    key = tail.astype(np.int64) * n + head
    entry_key, arc_entry = np.unique(key, return_inverse=True)
    # arc -> row / entry and the entry order are pure indices, held for a whole run:
    # int32 as in the csr structure (at N = 1000 tiles ~85 MB less each)
    arc_entry = arc_entry.astype(np.int32)
    arc_order = np.argsort(arc_entry, kind="stable").astype(np.int32)
    starts = np.flatnonzero(np.r_[True, np.diff(arc_entry[arc_order]) != 0]).astype(np.int32)
    indices = (entry_key % n).astype(np.int32)
    indptr = np.searchsorted(entry_key // n, np.arange(n + 1)).astype(np.int32)
    return AccessGraph(network=network, n_nodes=n, features=feats, arc_tail=tail,
                       arc_head=head, arc_row=row.astype(np.int32), arc_backward=backward,
                       arc_share=share, arc_fixed=fixed, arc_entry=arc_entry, indptr=indptr,
                       indices=indices, entry_key=entry_key, _order=arc_order, _starts=starts)
