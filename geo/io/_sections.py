"""Road sections (ruas): runs of road edges merged into the units PU budgets for.

Rules (documented in ``siapwisata priorities``):

- Only ``mode == "road"`` edges take part.
- An edge's *key* is its ``ref`` when present, else its ``name``, else none.
- Two edges meeting at a node belong to the same section when their keys are equal and
  either the key is present (a named road stays one section through junctions) or the node
  joins exactly those two edges (an unnamed road is a run between junctions).
- A change of name or ref ends a section, even where nothing branches.

Everything is vectorised: the join pairs are found by sorting node incidences, and the
sections are the connected components of the join graph (scipy.sparse.csgraph).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geo.words import map_unique


def section_keys(roads: pd.DataFrame) -> pd.Series:
    """The key that merges edges into a section: ``ref``, else ``name``, else NA."""
    def stripped(s: pd.Series) -> pd.Series:
        s = s.str.strip()
        return s.mask(s == "")

    def clean(col: str) -> pd.Series:
        if col not in roads:
            return pd.Series(pd.NA, index=roads.index, dtype="string")
        # each distinct name cleaned once (a region's roads share few names; as text per
        # row, the categorical columns the steps read took 0,7 s each at N = 100 tiles)
        return map_unique(roads[col], stripped).rename(col)

    return clean("ref").fillna(clean("name"))


def road_sections(roads: pd.DataFrame) -> np.ndarray:
    """Section label per row of ``roads`` (0..k-1), or -1 for non-road rows.

    Parameters
    ----------
    roads
        The ``roads`` layer (needs ``u``, ``v``, ``mode``; ``name`` and ``ref`` optional).
    """
    n = len(roads)
    labels = np.full(n, -1, dtype=np.int64)
    is_road = (roads["mode"].astype(str) == "road").to_numpy()
    rows = np.flatnonzero(is_road)
    if rows.size == 0:
        return labels
    keys = section_keys(roads).to_numpy()[rows]
    key_codes, _ = pd.factorize(pd.Series(keys, dtype="object"), use_na_sentinel=True)
    u = roads["u"].to_numpy()[rows]
    v = roads["v"].to_numpy()[rows]
    m = rows.size
    local = np.arange(m)

    # Incidences (edge, node); a self-loop touches its node once for degree purposes.
    inc_edge = np.concatenate([local, local[u != v]])
    inc_node = np.concatenate([u, v[u != v]])
    order = np.lexsort((inc_edge, inc_node))
    inc_edge, inc_node = inc_edge[order], inc_node[order]
    uniq_nodes, start, degree = np.unique(inc_node, return_index=True, return_counts=True)
    node_degree = np.repeat(degree, degree)

    inc_key = key_codes[inc_edge]
    # Consecutive incidences at the same node with the same key join their edges; sort by
    # (node, key) so equal keys sit together.
    order2 = np.lexsort((inc_edge, inc_key, inc_node))
    e, nd, k, deg = inc_edge[order2], inc_node[order2], inc_key[order2], node_degree[order2]
    same = (nd[1:] == nd[:-1]) & (k[1:] == k[:-1])
    named = k[1:] >= 0
    through = deg[1:] == 2
    join = same & (named | through)
    a, b = e[:-1][join], e[1:][join]
    graph = coo_matrix((np.ones(a.size), (a, b)), shape=(m, m))
    _, comp = connected_components(graph, directed=False)
    _, comp = np.unique(comp, return_inverse=True)
    labels[rows] = comp
    return labels


_RUAS = re.compile(r"^r?0*(\d+)$", re.IGNORECASE)


def ruas_label(ruas_id: str) -> int | None:
    """Section label of a ``ruas_id`` (``R00042`` -> 41; also ``42``); None if not an id."""
    m = _RUAS.match(ruas_id.strip())
    return int(m.group(1)) - 1 if m and int(m.group(1)) > 0 else None


def ruas_rows(ruas_id: str, labels: np.ndarray) -> np.ndarray | None:
    """Road rows of a section id of the priorities output (``R00042``); None if unknown.

    ``labels`` are :func:`road_sections` of the roads layer (the numbering
    that :func:`ruas_id` prints).
    """
    label = ruas_label(ruas_id)
    if label is None or label > labels.max(initial=-1):
        return None
    return np.flatnonzero(labels == label)


def ruas_id(label: np.ndarray) -> np.ndarray:
    """Stable text id of a section label (``R00042``)."""
    return np.array([f"R{int(x) + 1:05d}" for x in label], dtype=object)
