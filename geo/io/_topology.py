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

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from geo.io._wkb import linestrings_wkb

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

    def wkb(self) -> pa.Array:
        """The edges as WKB LineStrings (lon/lat), one per edge, running from u to v; no
        shapely object is made (the roads are only written)."""
        xy = np.column_stack([self.lon[self.vertex], self.lat[self.vertex]])
        return linestrings_wkb(xy, self.offsets)

    def lengths(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Length of every edge given projected (metric) coordinates of the node arrays."""
        s = self.seg_start
        seg = np.hypot(x[s + 1] - x[s], y[s + 1] - y[s])
        return np.bincount(self.seg_edge, weights=seg, minlength=len(self.u)).astype(np.float64)


_SEARCH_CHUNK = 1 << 22
"""Node references looked up per step in :func:`shared_nodes` (bounds its temporaries)."""


def steps(n: int, size: int) -> Iterator[tuple[int, int]]:
    """``(lo, hi)`` bounds covering ``0..n`` in steps of ``size``: the one loop by which
    the reader works through its node arrays a bounded piece at a time."""
    for lo in range(0, n, size):
        yield lo, min(lo + size, n)


def _repeats(ref: IntArray, way: npt.NDArray[np.integer[Any]]) -> BoolArray:
    """Positions repeating the node just before them in the same way (zero-length)."""
    rep = np.zeros(len(ref), dtype=bool)
    if len(ref) > 1:
        rep[1:] = (way[1:] == way[:-1]) & (ref[1:] == ref[:-1])
    return rep


def _segments(way: npt.NDArray[np.integer[Any]], usable: BoolArray) -> tuple[BoolArray, BoolArray]:
    """Per position: it closes a usable segment, it opens one (repeats collapsed)."""
    seg = (way[1:] == way[:-1]) & usable[1:] & usable[:-1]
    return np.concatenate([[False], seg]), np.concatenate([seg, [False]])


def shared_nodes(ref: IntArray, way: npt.NDArray[np.integer[Any]], usable: BoolArray) -> BoolArray:
    """Per node reference: its node occurs more than once among the usable runs of all
    ways, i.e. it is a graph node shared with another way (or visited twice by one).

    This is the one whole-network fact :func:`build_edges` needs; computed once here, it
    lets the ways be split into edges a slice of ways at a time (the rest of the rule is
    local to a way). Memory: one sorted copy of the references in runs, and lookups
    :data:`_SEARCH_CHUNK` at a time instead of ``np.unique``'s inverse and counts over
    the whole array.
    """
    ref = np.asarray(ref, dtype=np.int64)
    way = np.asarray(way)  # any integer type: the OSM reader's way index is int32
    usable = np.asarray(usable, dtype=bool)
    out = np.zeros(len(ref), dtype=bool)
    if len(ref) < 2:
        return out
    keep = ~_repeats(ref, way)
    if not keep.all():  # rare (the OSM reader collapses repeats): work on the collapsed
        out[keep] = shared_nodes(ref[keep], way[keep], usable[keep])
        return out
    before, after = _segments(way, usable)
    part = before | after
    del before, after
    packed = _shared_packed(ref, part)
    if packed is not None:
        return packed
    runs = ref[part]
    runs.sort()
    twice = runs[1:][runs[1:] == runs[:-1]]
    del runs
    if not len(twice):
        return out
    twice = np.unique(twice)
    for lo, hi in steps(len(ref), _SEARCH_CHUNK):
        r = ref[lo:hi]
        at = np.minimum(np.searchsorted(twice, r), len(twice) - 1)
        out[lo:hi] = part[lo:hi] & (twice[at] == r)
    return out


def _shared_packed(ref: IntArray, part: BoolArray) -> BoolArray | None:
    """:func:`shared_nodes` by one sort of (node, position) packed into one ``int64``
    per reference in a run, when both fit in its 63 bits (node ids spanning up to
    2**34, ~1,7e10, beside 2**29 references): equal nodes end up side by side, each
    carrying where it came from. None when they do not fit.

    The search of every reference among the repeated nodes it replaces was most of the
    time (11,1 million references, 100 tiles of Andorra: 0,70 -> 0,3 s) and sat on the
    ingest's critical path. Memory is the same one array of the references in runs;
    the steps over it go :data:`_SEARCH_CHUNK` at a time.
    """
    at = np.flatnonzero(part).astype(np.int64, copy=False)
    if not len(at):
        return np.zeros(len(ref), dtype=bool)
    nodes = ref[at]
    low = int(nodes.min())
    span = int(nodes.max()) - low
    del nodes  # the references in runs are held once, as the keys below
    shift = max(int(at[-1]).bit_length(), 1)
    if span.bit_length() + shift > 63:
        return None
    key = at  # becomes (node - low) << shift | position, in place
    for lo, hi in steps(len(key), _SEARCH_CHUNK):
        node = ref[key[lo:hi]] - low
        node <<= shift
        key[lo:hi] |= node
    del node
    key.sort()
    out = np.zeros(len(ref), dtype=bool)
    mask = (1 << shift) - 1
    for lo, hi in steps(len(key) - 1, _SEARCH_CHUNK):
        # a pair of neighbours with the same node: both positions are shared
        a, b = key[lo:hi], key[lo + 1:hi + 1]
        same = (a >> shift) == (b >> shift)
        out[a[same] & mask] = True
        out[b[same] & mask] = True
    return out


def build_edges(
    ref: IntArray,
    lon: FloatArray,
    lat: FloatArray,
    way: npt.NDArray[np.integer[Any]],
    usable: BoolArray,
    reverse: BoolArray,
    shared: BoolArray | None = None,
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
    shared
        :func:`shared_nodes` of the whole network, per entry, when these arrays are a
        slice of its ways; by default computed from these ways alone.
    """
    ref = np.asarray(ref, dtype=np.int64)
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    way = np.asarray(way, dtype=np.int64)
    usable = np.asarray(usable, dtype=bool)
    reverse = np.asarray(reverse, dtype=bool)
    if shared is None:
        shared = shared_nodes(ref, way, usable)

    # collapse consecutive repeats of one node within a way (zero-length segments)
    rep = _repeats(ref, way)
    if rep.any():
        keep = ~rep
        ref, lon, lat, way, usable = ref[keep], lon[keep], lat[keep], way[keep], usable[keep]
        shared = shared[keep]

    n = len(ref)
    empty = np.empty(0, dtype=np.int64)
    if n < 2:
        return Edges(empty, empty, empty, np.zeros(1, dtype=np.int64), empty, ref, lon, lat,
                     empty, empty)

    seg_before, seg_after = _segments(way, usable)  # position i closes, opens a segment
    seg = seg_after[:-1]  # seg[i]: the segment from position i to i + 1 is usable
    part = seg_before | seg_after
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
        u=u, v=v, way=way[starts].astype(np.int64, copy=False), offsets=offsets,
        vertex=vertex.astype(np.int64),
        ref=ref, lon=lon, lat=lat, seg_edge=seg_edge.astype(np.int64),
        seg_start=seg_start.astype(np.int64),
    )
