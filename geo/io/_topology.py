"""Road topology from flat node arrays: split OSM ways into edges between graph nodes.

The OSM reader streams every kept way into flat arrays (one entry per node reference:
node id, lon, lat, way index, usable flag). Everything here is vectorised numpy; there
is no Python loop over nodes or edges.

Rules
-----
* A *graph node* is a node that ends a run (way endpoint, or the last usable node before
  an unusable one), or that occurs more than once among the usable runs of all ways
  (shared with another way, or visited twice by the same way, e.g. a loop).
* An *edge* is a run of consecutive nodes of one way between two graph nodes. Edges are
  never merged across ways, so each keeps one ``osm_way_id`` and its attributes.
* A node that is not usable (outside the boundary, or its location missing from the
  extract) breaks the run: the segments touching it are dropped.
* Consecutive repeats of the same node id within a way are collapsed first (they are
  zero-length segments in the data).
* For ways marked ``reverse`` (``oneway=-1``) the edge runs from the last node to the
  first, so u, v and the geometry follow the allowed direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Edges:
    """Edges as arrays. ``vertex`` indexes the (deduplicated) input node arrays.

    Attributes
    ----------
    u, v
        OSM node ids of the first and last vertex (in the allowed direction).
    way
        Index of the source way, per edge.
    offsets
        Edge ``i`` has vertices ``vertex[offsets[i]:offsets[i + 1]]`` (at least two).
    vertex
        Positions into ``ref``/``lon``/``lat`` below, edge after edge, in travel order.
    ref, lon, lat
        The node arrays after collapsing consecutive repeats.
    seg_edge, seg_start
        For each segment of every edge: the edge and the position of its first node
        (segments are listed in way order, which is what lengths need).
    """

    u: IntArray
    v: IntArray
    way: IntArray
    offsets: IntArray
    vertex: IntArray
    ref: IntArray
    lon: FloatArray
    lat: FloatArray
    seg_edge: IntArray
    seg_start: IntArray

    def __len__(self) -> int:
        return len(self.u)

    def vertex_edge(self) -> IntArray:
        """Edge index of every entry of ``vertex``."""
        return np.repeat(np.arange(len(self.u), dtype=np.int64), np.diff(self.offsets))

    def linestrings(self) -> npt.NDArray[np.object_]:
        """Shapely LineStrings (lon/lat), one per edge, running from u to v."""
        if not len(self.u):
            return np.empty(0, dtype=object)
        coords = np.column_stack([self.lon[self.vertex], self.lat[self.vertex]])
        return np.asarray(shapely.linestrings(coords, indices=self.vertex_edge()), dtype=object)

    def lengths(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Length of every edge given projected (metric) coordinates of the node arrays."""
        s = self.seg_start
        seg = np.hypot(x[s + 1] - x[s], y[s + 1] - y[s])
        return np.bincount(self.seg_edge, weights=seg, minlength=len(self.u)).astype(np.float64)


def build_edges(
    ref: IntArray,
    lon: FloatArray,
    lat: FloatArray,
    way: IntArray,
    usable: BoolArray,
    reverse: BoolArray,
) -> Edges:
    """Split ways into edges between graph nodes.

    Parameters
    ----------
    ref, lon, lat, way, usable
        One entry per node reference, ways one after another in their node order:
        OSM node id, coordinates, index of the way (non-decreasing runs), and whether
        the node may be used (inside the boundary, location known).
    reverse
        Per way index: travel runs against the node order (``oneway=-1``).
    """
    ref = np.asarray(ref, dtype=np.int64)
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    way = np.asarray(way, dtype=np.int64)
    usable = np.asarray(usable, dtype=bool)
    reverse = np.asarray(reverse, dtype=bool)

    # collapse consecutive repeats of one node within a way (zero-length segments)
    if len(ref) > 1:
        rep = np.zeros(len(ref), dtype=bool)
        rep[1:] = (way[1:] == way[:-1]) & (ref[1:] == ref[:-1])
        if rep.any():
            keep = ~rep
            ref, lon, lat, way, usable = ref[keep], lon[keep], lat[keep], way[keep], usable[keep]

    n = len(ref)
    empty = np.empty(0, dtype=np.int64)
    if n < 2:
        return Edges(empty, empty, empty, np.zeros(1, dtype=np.int64), empty, ref, lon, lat,
                     empty, empty)

    # seg[i]: segment from position i to i + 1 is usable
    seg = (way[1:] == way[:-1]) & usable[1:] & usable[:-1]
    seg_before = np.concatenate([[False], seg])  # position i closes a segment
    seg_after = np.concatenate([seg, [False]])  # position i opens a segment
    part = seg_before | seg_after

    # nodes occurring more than once among usable runs are graph nodes
    uniq, inverse, counts = np.unique(ref[part], return_inverse=True, return_counts=True)
    shared = np.zeros(n, dtype=bool)
    shared[part] = counts[inverse] > 1
    del uniq
    brk = part & (shared | ~seg_before | ~seg_after)

    starts = np.flatnonzero(seg_after & brk)
    ends = np.flatnonzero(seg_before & brk)
    # each start pairs with the next end: runs always finish on a break
    nvert = ends - starts + 1
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(nvert, out=offsets[1:])
    ramp = np.arange(offsets[-1], dtype=np.int64) - np.repeat(offsets[:-1], nvert)
    rev = reverse[way[starts]]
    vertex = np.where(
        np.repeat(rev, nvert), np.repeat(ends, nvert) - ramp, np.repeat(starts, nvert) + ramp
    )
    u = np.where(rev, ref[ends], ref[starts])
    v = np.where(rev, ref[starts], ref[ends])

    seg_start = np.flatnonzero(seg)
    seg_edge = np.searchsorted(starts, seg_start, side="right") - 1
    return Edges(
        u=u, v=v, way=way[starts], offsets=offsets, vertex=vertex.astype(np.int64),
        ref=ref, lon=lon, lat=lat, seg_edge=seg_edge.astype(np.int64),
        seg_start=seg_start.astype(np.int64),
    )
