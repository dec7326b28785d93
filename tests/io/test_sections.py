"""Road sections (ruas) checked against an independent networkx construction."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo.io import road_sections, section_keys


def _reference(roads: pd.DataFrame) -> list[frozenset[int]]:
    """Sections by the written rule, built edge by edge with networkx (independent)."""
    key = roads["ref"].where(roads["ref"].notna() & (roads["ref"] != ""), roads["name"])
    key = key.where(key.notna() & (key != ""), None)
    road = roads["mode"] == "road"
    deg: dict[int, int] = {}
    incident: dict[int, list[int]] = {}
    for i in roads.index[road]:
        ends = {roads.at[i, "u"], roads.at[i, "v"]}
        for node in ends:
            deg[node] = deg.get(node, 0) + 1
            incident.setdefault(node, []).append(i)
    g = nx.Graph()
    g.add_nodes_from(roads.index[road])
    for node, edges in incident.items():
        for x in range(len(edges)):
            for y in range(x + 1, len(edges)):
                i, j = edges[x], edges[y]
                if key[i] == key[j] and (key[i] is not None or deg[node] == 2):
                    g.add_edge(i, j)
    return sorted((frozenset(c) for c in nx.connected_components(g)), key=min)


def _ours(roads: pd.DataFrame) -> list[frozenset[int]]:
    labels = road_sections(roads)
    groups = pd.Series(roads.index).groupby(labels)
    return sorted(
        (frozenset(g.tolist()) for lab, g in groups if lab >= 0), key=min
    )


def test_hand_worked_sections() -> None:
    #   1 --A-- 2 --A-- 3 --(none)-- 4 --(none)-- 5
    #           |                    |
    #         (none)                 B
    #           6                    7 --B-- 8 --C-- 9
    # Named A runs through junction 2; the unnamed run 3-4-5 breaks at junction 4 (degree 3);
    # B continues through 7, C starts a new section; the ferry is not a road.
    roads = pd.DataFrame(
        {
            "u": [1, 2, 3, 4, 2, 4, 7, 8, 9],
            "v": [2, 3, 4, 5, 6, 7, 8, 9, 10],
            "name": ["A", "A", None, None, None, "B", "B", "C", None],
            "ref": [None, None, None, None, None, None, None, None, None],
            "mode": ["road"] * 8 + ["water"],
        }
    )
    labels = road_sections(roads)
    assert labels[8] == -1
    assert labels[0] == labels[1]
    assert labels[2] != labels[3]
    assert labels[5] == labels[6] != labels[7]
    assert len(set(labels[:8])) == 6
    assert _ours(roads) == _reference(roads)


def test_unnamed_chain_through_degree_two_nodes() -> None:
    roads = pd.DataFrame(
        {"u": [1, 2, 3], "v": [2, 3, 4], "name": [None, "", None], "ref": [None, None, ""],
         "mode": ["road"] * 3}
    )
    assert len(set(road_sections(roads))) == 1


@pytest.mark.parametrize("text", ["plain", "categorical"])
def test_sections_on_real_osm_match_reference(menteng_ws, text: str) -> None:
    """Also with name and ref as categoricals, as the steps read the layer."""
    roads = pyogrio.read_dataframe(menteng_ws, layer="roads", read_geometry=False)
    assert len(roads) > 300
    ours = (roads.astype({"name": "category", "ref": "category"}) if text == "categorical"
            else roads)
    assert _ours(ours) == _reference(roads)
    assert np.all(road_sections(roads)[roads["mode"].to_numpy() == "road"] >= 0)


def test_keys_of_categorical_names_equal_those_of_text() -> None:
    """Padding, blanks, missing values and non-text categories are cleaned alike when
    each distinct name is cleaned once."""
    text = pd.DataFrame({"ref": [" A1 ", "", None, "B", "  ", None, 7],
                         "name": ["x", " y", "z ", None, "w", "  ", None]}, dtype=object)
    cats = text.astype({"ref": "category", "name": "category"})
    want = section_keys(text)
    assert want.tolist()[:6] == ["A1", "y", "z", "B", "w", pd.NA]
    pd.testing.assert_series_equal(section_keys(cats), want)
