"""A compiled search whose work follows a few nodes (numba), for :mod:`geo.network._csgraph`.

Private. Imported on first use only: numba takes a quarter of a second to import, which
every command would pay otherwise.

Why compiled code here, where the rest of the kernels are vectorised numpy and
scipy.sparse.csgraph: the times that fall when a road section gets cheaper
(:func:`geo.network.fallen_from_set`) change at a few nodes (at 10 tiles of Andorra a median
of 5 and a mean of 21 to 56 per section, of the 9.253 nodes of its component). scipy's
Dijkstra cannot start from labels already known, so it would search the whole component;
vectorised label-correcting rounds cost tens of numpy calls per round whatever the round's
size (about 1,2 ms per section there). A heap search seeded with today's times does the
work of those few nodes only.

The bounded runs of the scans and the score gains (:func:`limited_runs`, most of the
routing time) are here too: scipy's Dijkstra holds its labels in a Fibonacci heap, and a
4-ary heap whose nodes move up as their times fall settles the tiles' neighbourhoods in two
thirds of its time (at 10 tiles of Andorra, 320 calls of 8 sources and ~4.000 nodes each:
1,07 s against 0,72 s; a binary heap taking every fall as a new entry lost, 1,54 s), with
the same numbers bit for bit.
"""

from __future__ import annotations

import heapq

import numba
import numpy as np
from numba import types
from numba.typed import Dict


@numba.njit(cache=True, nogil=True)
def fallen_search(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                  dist: np.ndarray, src: np.ndarray, has_src: bool, tails: np.ndarray,
                  e_tail: np.ndarray, e_head: np.ndarray, e_cost: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """Dijkstra seeded with today's times ``dist`` at ``tails`` on the arcs of a csr
    (``indptr``, ``indices``, ``data``) and the extra arcs (``e_tail`` ascending,
    ``e_head``, ``e_cost``); a node enters the heap only when its time falls below
    today's. Returns the nodes that fell (ascending), their times and, with ``has_src``,
    the source each inherits from the node it was reached from (``src``: today's per
    node), else -9999.

    The labels live in dicts keyed by node, not in arrays of the graph's size: filling
    one per section would cost more than the search (a region has millions of nodes).
    Each time is a node's label plus an arc cost, summed as scipy's Dijkstra sums them,
    and a node leaves the heap once at its least time (costs are not negative)."""
    best = Dict.empty(key_type=types.int64, value_type=types.float64)
    origin = Dict.empty(key_type=types.int64, value_type=types.int64)
    heap = [(np.float64(0.0), np.int64(0))]
    heap.pop()
    for t in tails:
        heapq.heappush(heap, (dist[t], np.int64(t)))
    while len(heap):
        d, u = heapq.heappop(heap)
        if d > best.get(u, dist[u]):
            continue  # a later, lower entry of the same node was taken already
        o = np.int64(-9999)
        if has_src:
            o = origin.get(u, np.int64(src[u]))
        # the csr's arcs of ``u``, then its extra arcs
        end = indptr[u + 1]
        lo = np.searchsorted(e_tail, u, side="left")
        extra = np.searchsorted(e_tail, u, side="right") - lo
        for k in range(indptr[u], end + extra):
            if k < end:
                v, c = np.int64(indices[k]), d + data[k]
            else:
                v, c = np.int64(e_head[lo + k - end]), d + e_cost[lo + k - end]
            if c < best.get(v, dist[v]):
                best[v] = c
                origin[v] = o
                heapq.heappush(heap, (c, v))
    nodes = np.empty(len(best), dtype=np.int64)
    i = 0
    for node in best.keys():
        nodes[i] = node
        i += 1
    nodes.sort()
    times = np.empty(len(nodes), dtype=np.float64)
    sources = np.empty(len(nodes), dtype=np.int64)
    for i in range(len(nodes)):
        times[i] = best[nodes[i]]
        sources[i] = origin[nodes[i]]
    return nodes, times, sources


@numba.njit(cache=True, nogil=True)
def gather_block(ptr: np.ndarray, col: np.ndarray, val: np.ndarray, rows: np.ndarray,
                 slot: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """``out[i, slot[col[k]]] = val[k]`` for the entries ``k`` of each row ``rows[i]`` of a
    CSR-like matrix (``ptr``, ``col``, ``val``) whose column has a slot (>= 0): one pass
    over the rows' entries, where numpy made a temporary array of them per step."""
    for i in range(len(rows)):
        r = rows[i]
        for k in range(ptr[r], ptr[r + 1]):
            c = slot[col[k]]
            if c >= 0:
                out[i, c] = val[k]


@numba.njit(cache=True, nogil=True)
def limited_runs(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                 sources: np.ndarray, limit: float) -> np.ndarray:  # pragma: no cover
    """(sources x nodes) times of a Dijkstra run from each source on the csr (``indptr``,
    ``indices``, ``data``), inf beyond ``limit``: scipy's ``dijkstra(graph,
    indices=sources, limit=limit)``, the same sums bit for bit.

    Each time is the label of the node it is reached from plus the arc's cost, as scipy
    sums it, and Dijkstra's labels with costs that are not negative are the least such
    sums whatever the order of equal labels: so the numbers are scipy's. A node joins the
    heap once and moves up when its time falls (a 4-ary heap keyed by time, with each
    node's place in it); a time above ``limit`` is never labelled, as scipy's. The heap
    and the places are the graph's size, made once per call; each run resets only the
    places it touched."""
    n = len(indptr) - 1
    out = np.full((len(sources), n), np.inf)
    place = np.full(n, -1, dtype=np.int64)  # in the heap; -1: not reached, -2: settled
    key = np.empty(n, dtype=np.float64)
    node = np.empty(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    for s in range(len(sources)):
        row = out[s]
        src = np.int64(sources[s])
        row[src] = 0.0
        key[0], node[0], place[src] = 0.0, src, 0
        size, n_touched = 1, 1
        touched[0] = src
        while size:
            d, u = key[0], node[0]
            place[u] = -2
            size -= 1
            if size:  # the last entry sinks from the root
                k_last, v_last = key[size], node[size]
                i = 0
                while True:
                    c = 4 * i + 1
                    if c >= size:
                        break
                    best, k_best = c, key[c]
                    for j in range(c + 1, min(c + 4, size)):
                        if key[j] < k_best:
                            best, k_best = j, key[j]
                    if k_best >= k_last:
                        break
                    key[i], node[i] = k_best, node[best]
                    place[node[i]] = i
                    i = best
                key[i], node[i] = k_last, v_last
                place[v_last] = i
            for e in range(indptr[u], indptr[u + 1]):
                v = np.int64(indices[e])
                at = place[v]
                if at == -2:
                    continue
                t = d + data[e]
                if t > limit:
                    continue
                if at == -1:
                    i = size
                    size += 1
                    touched[n_touched] = v
                    n_touched += 1
                elif t < key[at]:
                    i = at
                else:
                    continue
                row[v] = t
                while i > 0:  # rises towards the root
                    up = (i - 1) >> 2
                    if key[up] <= t:
                        break
                    key[i], node[i] = key[up], node[up]
                    place[node[i]] = i
                    i = up
                key[i], node[i] = t, v
                place[v] = i
        for i in range(n_touched):
            place[touched[i]] = -1
    return out
