"""Synthetic transport network and points for the Mimika demo (DATA CONTOH, SINTETIS).

Nothing here is a survey of the real regency: real Mimika roads, sites and UMKM are not
available offline, so the demo generates plausible ones around the *real* kampung points
and gateways. Every generated row is labelled ``provenance = "synthetic"``.

The generator works in the metric CRS of the region (UTM 53S) and is deterministic for a
given :class:`numpy.random.Generator`. Its parts:

- :class:`NetworkBuilder` collects nodes and edges and turns them into a ``roads`` frame
  whose geometries start and end exactly on their node coordinates;
- :func:`street_grid` makes a jittered town grid (vectorised);
- :func:`polyline_road` makes a gently curved road split into sections;
- :class:`InteriorRouter` routes boat and flight links that would leave the region
  polygon through a coarse raster of its interior (scipy.sparse.csgraph Dijkstra);
- :func:`scatter_near` places points around anchors with vectorised rejection sampling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from geo import schema

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

NAME_NOTE = "nama contoh (sintetis) / generated example name"


class Projector:
    """Vectorised conversion between lon/lat (EPSG:4326) and the metric CRS."""

    def __init__(self, metric: CRS):
        self.crs = metric
        self._fwd = Transformer.from_crs(schema.WGS84, metric, always_xy=True)
        self._inv = Transformer.from_crs(metric, schema.WGS84, always_xy=True)

    def xy(self, lonlat: FloatArray) -> FloatArray:
        lonlat = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
        x, y = self._fwd.transform(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([x, y])

    def lonlat(self, xy: FloatArray) -> FloatArray:
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        lon, lat = self._inv.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])


def pick(
    rng: np.random.Generator, choices: Sequence[str], p: FloatArray | Sequence[Sequence[float]]
) -> NDArray[np.str_]:
    """Draw one of ``choices`` per row of the probability matrix ``p`` (rows sum to 1).

    Vectorised inverse-CDF sampling, so each row may have its own distribution.
    """
    prob = np.atleast_2d(np.asarray(p, dtype=np.float64))
    cdf = np.cumsum(prob, axis=1)
    cdf[:, -1] = 1.0
    u = np.asarray(rng.random(size=(prob.shape[0],)), dtype=np.float64)
    idx = (u[:, None] > cdf).sum(axis=1)
    return np.asarray(np.asarray(choices)[idx])


# Condition given surface: rows are (baik, sedang, rusak_ringan, rusak_berat).
CONDITION_BY_SURFACE: dict[str, tuple[float, float, float, float]] = {
    "aspal": (0.55, 0.33, 0.10, 0.02),
    "beton": (0.60, 0.30, 0.08, 0.02),
    "kerikil": (0.10, 0.40, 0.38, 0.12),
    "tanah": (0.02, 0.23, 0.40, 0.35),
}
CONDITIONS4 = ("baik", "sedang", "rusak_ringan", "rusak_berat")
SURFACES4 = ("aspal", "beton", "kerikil", "tanah")


def condition_for(rng: np.random.Generator, surface: NDArray[np.str_]) -> NDArray[np.str_]:
    """PU condition drawn from a surface-dependent distribution (earth roads decay fastest)."""
    p = np.array([CONDITION_BY_SURFACE[s] for s in surface], dtype=np.float64).reshape(-1, 4)
    return pick(rng, CONDITIONS4, p)


@dataclass
class _EdgeBatch:
    u: IntArray
    v: IntArray
    inner: list[FloatArray] | None  # intermediate vertices (metric), one array per edge
    attrs: pd.DataFrame


@dataclass
class NetworkBuilder:
    """Nodes and edges of the generated network, in the metric CRS.

    Nodes may be *anchored* to exact lon/lat (real gateways, kampung points) so that the
    written coordinates equal the source coordinates bit for bit.
    """

    proj: Projector
    _xy: list[FloatArray] = field(default_factory=list)
    _anchor: list[FloatArray] = field(default_factory=list)
    _batches: list[_EdgeBatch] = field(default_factory=list)
    n_nodes: int = 0

    def add_nodes(self, xy: FloatArray, lonlat: FloatArray | None = None) -> IntArray:
        """Add nodes; returns their indices. ``lonlat`` anchors them to exact coordinates."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        anchor = (
            np.full_like(xy, np.nan)
            if lonlat is None
            else np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
        )
        self._xy.append(xy)
        self._anchor.append(anchor)
        idx = np.arange(self.n_nodes, self.n_nodes + len(xy), dtype=np.int64)
        self.n_nodes += len(xy)
        return idx

    def add_lonlat_nodes(self, lonlat: FloatArray) -> IntArray:
        lonlat = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
        return self.add_nodes(self.proj.xy(lonlat), lonlat)

    @property
    def xy(self) -> FloatArray:
        return np.concatenate(self._xy) if self._xy else np.empty((0, 2))

    def add_edges(
        self,
        u: IntArray,
        v: IntArray,
        attrs: dict[str, object],
        inner: list[FloatArray] | None = None,
    ) -> None:
        """Add edges ``u -> v``; scalar attributes are broadcast to every edge."""
        u = np.asarray(u, dtype=np.int64).ravel()
        v = np.asarray(v, dtype=np.int64).ravel()
        cols = {k: (val if isinstance(val, list | np.ndarray | pd.api.extensions.ExtensionArray)
                    else [val] * len(u)) for k, val in attrs.items()}
        df = pd.DataFrame(cols, index=pd.RangeIndex(len(u)))
        self._batches.append(_EdgeBatch(u, v, inner, df))

    def edge_uv(self) -> tuple[IntArray, IntArray]:
        if not self._batches:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return (np.concatenate([b.u for b in self._batches]),
                np.concatenate([b.v for b in self._batches]))

    def edge_modes(self) -> NDArray[np.str_]:
        return np.concatenate([b.attrs["mode"].to_numpy(dtype=str) for b in self._batches])

    def node_lonlat(self) -> FloatArray:
        xy = self.xy
        out = self.proj.lonlat(xy)
        anchor = np.concatenate(self._anchor)
        fixed = ~np.isnan(anchor[:, 0])
        out[fixed] = anchor[fixed]
        return out

    def finish(self, node_id_base: int = 1) -> tuple[pd.DataFrame, FloatArray, IntArray]:
        """Return (attributes with ``u``/``v`` ids, flat lon/lat coords, coord->edge index).

        Edge geometries run from ``u`` to ``v``; their first and last coordinates are the
        node coordinates exactly.
        """
        node_ll = self.node_lonlat()
        ids = np.arange(node_id_base, node_id_base + self.n_nodes, dtype=np.int64)
        parts: list[FloatArray] = []
        counts: list[int] = []
        us, vs = self.edge_uv()
        for b in self._batches:  # per batch (a handful), not per edge
            if b.inner is None:
                k = len(b.u)
                coords = np.empty((k, 2, 2))
                coords[:, 0] = node_ll[b.u]
                coords[:, 1] = node_ll[b.v]
                parts.append(coords.reshape(-1, 2))
                counts.extend([2] * k)
            else:
                lens = np.array([len(a) for a in b.inner], dtype=np.int64)
                flat_inner = (self.proj.lonlat(np.concatenate(b.inner)) if lens.sum()
                              else np.empty((0, 2)))
                total = lens + 2
                coords = np.empty((int(total.sum()), 2))
                starts = np.concatenate([[0], np.cumsum(total)[:-1]])
                coords[starts] = node_ll[b.u]
                coords[starts + total - 1] = node_ll[b.v]
                mask = np.ones(len(coords), dtype=bool)
                mask[starts] = False
                mask[starts + total - 1] = False
                coords[mask] = flat_inner
                parts.append(coords)
                counts.extend(total.tolist())
        flat = np.concatenate(parts)
        edge_index = np.repeat(np.arange(len(counts)), counts)
        attrs = pd.concat([b.attrs for b in self._batches], ignore_index=True)
        attrs.insert(0, "v", ids[vs])
        attrs.insert(0, "u", ids[us])
        return attrs, flat, edge_index


# --- geometry helpers ------------------------------------------------------------------


def curve_points(a: FloatArray, b: FloatArray, n: int, bend: float) -> FloatArray:
    """``n`` points strictly between ``a`` and ``b`` on a gentle arc.

    ``bend`` is the sideways offset at mid-way as a share of the length (a sine bump), so
    the curve leaves and joins its end points smoothly.
    """
    t = np.linspace(0.0, 1.0, n + 2)[1:-1]
    d = b - a
    normal = np.array([-d[1], d[0]])
    pts = a + t[:, None] * d + (bend * np.sin(np.pi * t))[:, None] * normal
    return np.asarray(pts)


def polyline_road(
    builder: NetworkBuilder,
    start: int,
    end: int,
    waypoints: FloatArray,
    rng: np.random.Generator,
    *,
    vertex_every_m: float = 400.0,
    bend: float = 0.04,
) -> tuple[IntArray, IntArray, list[FloatArray]]:
    """Nodes at ``waypoints`` between ``start`` and ``end``; curved geometry per section.

    Returns the (u, v, inner vertices) of each section; the caller adds them with attributes.
    """
    mids = builder.add_nodes(waypoints) if len(waypoints) else np.empty(0, np.int64)
    chain = np.concatenate([[start], mids, [end]]).astype(np.int64)
    xy = builder.xy
    inner: list[FloatArray] = []
    for a, b in zip(chain[:-1], chain[1:], strict=True):  # per section of one road
        length = float(np.hypot(*(xy[b] - xy[a])))
        n = max(int(length // vertex_every_m) - 1, 0)
        inner.append(curve_points(xy[a], xy[b], n, float(rng.uniform(-bend, bend))))
    return chain[:-1], chain[1:], inner


class InteriorRouter:
    """Routes links through the interior of the region polygon.

    Long boat and flight links drawn straight may cut across sea bays outside the
    regency polygon. A coarse raster of cells well inside the polygon (eroded by more than
    half a cell diagonal, so every segment between neighbouring cell centres stays inside)
    gives an 8-neighbour grid graph; a link is the Dijkstra path between the cells nearest
    its ends, then pulled tight (:func:`taut`).
    """

    def __init__(self, region_xy: BaseGeometry, cell_m: float = 600.0):
        self.cell = cell_m
        half_diag = cell_m * np.sqrt(2) / 2
        self.margin = 1.5 * half_diag
        inner = region_xy.buffer(-self.margin)
        shapely.prepare(inner)
        x0, y0, x1, y1 = region_xy.bounds
        xs = np.arange(x0, x1 + cell_m, cell_m)
        ys = np.arange(y0, y1 + cell_m, cell_m)
        gx, gy = np.meshgrid(xs, ys)
        inside = shapely.contains_xy(inner, gx, gy)
        self.shape = inside.shape
        cell_id = np.full(inside.shape, -1, dtype=np.int64)
        cell_id[inside] = np.arange(int(inside.sum()))
        self.centres = np.column_stack([gx[inside], gy[inside]])
        rows_a: list[IntArray] = []
        rows_b: list[IntArray] = []
        weights: list[FloatArray] = []
        ny, nx = inside.shape
        for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):  # four directions, vectorised
            a = cell_id[0:ny - dy, max(0, -dx):nx - max(0, dx)]
            b = cell_id[dy:ny, max(0, dx):nx - max(0, -dx)]
            ok = (a >= 0) & (b >= 0)
            rows_a.append(a[ok])
            rows_b.append(b[ok])
            weights.append(np.full(int(ok.sum()), cell_m * np.hypot(dx, dy)))
        a_all = np.concatenate(rows_a)
        b_all = np.concatenate(rows_b)
        w_all = np.concatenate(weights)
        n = len(self.centres)
        self.graph = coo_matrix((w_all, (a_all, b_all)), shape=(n, n)).tocsr()
        self.tree = cKDTree(self.centres)

    def route(self, a: FloatArray, b: FloatArray) -> FloatArray:
        """Cell centres (metric) of a path from near ``a`` to near ``b`` through the interior."""
        _, (ca, cb) = self.tree.query(np.vstack([a, b]))
        _, pred = dijkstra(self.graph, directed=False, indices=int(ca),
                           return_predecessors=True)
        path = [int(cb)]
        while path[-1] != ca and pred[path[-1]] >= 0:  # walks one path (a few hundred cells)
            path.append(int(pred[path[-1]]))
        if path[-1] != ca:
            raise RuntimeError("interior raster is disconnected between link ends")
        return self.centres[path[::-1]]


def taut(pts: FloatArray, ok: Callable[[FloatArray], NDArray[np.bool_]]) -> FloatArray:
    """Pull a polyline tight: from each kept vertex, jump to the farthest later vertex that
    a straight segment passing ``ok`` reaches (neighbours are always kept as a fallback).

    ``ok`` is as in :func:`bend_once`. Loops once per *kept* vertex, checking all
    candidate segments at once.
    """
    keep = [0]
    i, n = 0, len(pts)
    while i < n - 1:
        j = np.arange(i + 1, n)
        seg = np.stack([np.broadcast_to(pts[i], (len(j), 2)), pts[j]], axis=1)
        good = ok(seg)
        good[0] = True
        i = int(j[np.flatnonzero(good).max()])
        keep.append(i)
    return pts[keep]


def bend_once(
    a: FloatArray, b: FloatArray, ok: Callable[[FloatArray], NDArray[np.bool_]], n: int = 25,
) -> FloatArray | None:
    """The waypoint ``w`` on a grid around ``a``-``b`` with the shortest ``a-w-b`` passing ``ok``.

    ``ok`` takes an array of 2-point segments, shape (m, 2, 2), and says which are
    acceptable. Returns None when no single waypoint works.
    """
    length = float(np.hypot(*(b - a)))
    r = max(length, 500.0)
    g = np.linspace(-r, r, n)
    gx, gy = np.meshgrid(g, g)
    w = np.column_stack([gx.ravel(), gy.ravel()]) + (a + b) / 2
    via = np.hypot(*(w - a).T) + np.hypot(*(w - b).T)
    order = np.argsort(via, kind="stable")
    w = w[order]
    first = np.stack([np.broadcast_to(a, w.shape), w], axis=1)
    second = np.stack([w, np.broadcast_to(b, w.shape)], axis=1)
    good = ok(first) & ok(second)
    if not good.any():
        return None
    return np.asarray(w[int(np.argmax(good))])


def grid_cells(
    nx: int, ny: int, spacing: float, origin: FloatArray, angle_rad: float,
    jitter: float, rng: np.random.Generator,
) -> tuple[FloatArray, IntArray, IntArray, IntArray, IntArray]:
    """A jittered, rotated rectangular grid.

    Returns node xy (row-major, ``ny`` rows of ``nx``), the edge endpoints (node indices),
    and for each edge its line number and orientation (0 = along a row, 1 = along a column).
    """
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
    local = np.column_stack([ix.ravel() * spacing, iy.ravel() * spacing]).astype(np.float64)
    local -= local.mean(axis=0)
    # Whole streets shift a little (so they stay straight), then every node a little less.
    col_shift = rng.uniform(-jitter, jitter, nx)
    row_shift = rng.uniform(-jitter, jitter, ny)
    local[:, 0] += col_shift[ix.ravel()]
    local[:, 1] += row_shift[iy.ravel()]
    local += rng.uniform(-jitter / 3, jitter / 3, size=local.shape)
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    xy = local @ np.array([[c, s], [-s, c]]) + origin
    idx = np.arange(nx * ny).reshape(ny, nx)
    ru, rv = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    cu, cv = idx[:-1, :].ravel(), idx[1:, :].ravel()
    u = np.concatenate([ru, cu]).astype(np.int64)
    v = np.concatenate([rv, cv]).astype(np.int64)
    line = np.concatenate([np.repeat(np.arange(ny), nx - 1), np.tile(np.arange(nx), ny - 1)])
    orient = np.concatenate([np.zeros(len(ru)), np.ones(len(cu))]).astype(np.int64)
    return xy, u, v, line.astype(np.int64), orient


def largest_component(n: int, u: IntArray, v: IntArray) -> NDArray[np.bool_]:
    """Mask of the nodes in the largest connected component of an undirected edge list."""
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    counts = np.bincount(lab)
    return np.asarray(lab == np.argmax(counts))


def scatter_near(
    rng: np.random.Generator,
    anchors: FloatArray,
    r_min: float,
    r_max: float,
    accept: Callable[[FloatArray, IntArray], NDArray[np.bool_]],
    tries: int = 24,
) -> FloatArray:
    """One point per anchor at a random distance in [r_min, r_max], passing ``accept``.

    Candidates are drawn for all anchors at once; each later try shrinks the radius so a
    point is always found (the last resort is the anchor itself, which must be valid).
    ``accept(points, anchor_index)`` returns a mask of valid candidates.
    """
    n = len(anchors)
    out = anchors.astype(np.float64).copy()
    shrink = np.linspace(1.0, 0.1, tries)
    r = rng.uniform(r_min, r_max, size=(tries, n)) * shrink[:, None]
    ang = rng.uniform(0, 2 * np.pi, size=(tries, n))
    cand = anchors[None, :, :] + np.stack([r * np.cos(ang), r * np.sin(ang)], axis=-1)
    which = np.tile(np.arange(n), tries)
    ok = accept(cand.reshape(-1, 2), which).reshape(tries, n)
    first = np.argmax(ok, axis=0)
    found = ok[first, np.arange(n)]
    out[found] = cand[first[found], np.flatnonzero(found)]
    return out
