"""Section geometries of the priorities output (``geo.priorities.candidates``).

The reference is shapely's own union of each section's road rows, reprojected by pyproj
one row at a time: independent of the dissolve, the line merge and the slicing by
:data:`SECTION_SLICE` that ``section_geometry`` uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer

import geo.priorities.candidates as candidates
from geo import schema
from geo.io import road_sections
from geo.io.workspace import Workspace
from geo.network import build_network, load_network_config
from tests._depth import REPRODUCIBLE


@pytest.fixture(scope="module")
def andorra(andorra_ws: Any) -> dict[str, Any]:
    ws = Workspace(andorra_ws)
    roads = ws.read("roads")
    network = build_network(roads, load_network_config(), ws.metric_crs())
    labels = road_sections(network.roads)
    to_wgs = Transformer.from_crs(network.lines.crs, schema.WGS84, always_xy=True)
    return {"network": network, "labels": labels, "to_wgs": to_wgs}


@REPRODUCIBLE
@given(data=st.data())
def test_each_section_is_the_union_of_its_rows_in_any_slicing(andorra: dict[str, Any],
                                                               data: Any) -> None:
    network, labels = andorra["network"], andorra["labels"]
    known = np.unique(labels[labels >= 0])
    wanted = np.array(data.draw(st.lists(st.sampled_from(known.tolist()), min_size=1,
                                         max_size=12)), dtype=labels.dtype)
    slice_size = data.draw(st.integers(1, 13))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(candidates, "SECTION_SLICE", slice_size)
        got = candidates.section_geometry(network, labels, wanted)
    assert len(got) == len(wanted) and got.crs == schema.WGS84
    for geom, label in zip(got.to_numpy(), wanted, strict=True):
        rows = np.flatnonzero(labels == label)
        lines = [shapely.transform(g, lambda xy: np.column_stack(
                     andorra["to_wgs"].transform(xy[:, 0], xy[:, 1])))
                 for g in network.road_geometry(rows).to_numpy()]
        want = shapely.union_all(lines)
        assert geom.geom_type == "MultiLineString"
        assert shapely.equals(want, geom), label  # the same set of points


def test_sections_are_what_geopandas_dissolve_and_line_merge_make_of_them(
        andorra: dict[str, Any]) -> None:
    """Every section of the Andorra roads, bit for bit (WKB) what the former way makes:
    geopandas' ``dissolve`` by label, then ``line_merge``, as one MultiLineString."""
    import geopandas as gpd
    import pandas as pd

    network, labels = andorra["network"], andorra["labels"]
    wanted = np.unique(labels[labels >= 0])[::-1]
    got = candidates.section_geometry(network, labels, wanted).to_numpy()
    with pytest.MonkeyPatch.context() as mp:  # united a few sections at a time
        mp.setattr(candidates, "SECTION_SLICE", 7)
        few = candidates.section_geometry(network, labels, wanted).to_numpy()
    assert shapely.to_wkb(few).tolist() == shapely.to_wkb(got).tolist()
    sel = np.flatnonzero(labels >= 0)
    parts = gpd.GeoDataFrame({"label": labels[sel]},
                             geometry=network.road_geometry(sel).to_numpy(),
                             crs=schema.WGS84).dissolve(by="label")
    merged = shapely.line_merge(parts.geometry.to_numpy())
    pieces, idx = shapely.get_parts(merged, return_index=True)
    want = pd.Series(shapely.multilinestrings(pieces, indices=idx),
                     index=parts.index).reindex(wanted).to_numpy()
    assert len(got) == len(wanted) > 100
    assert shapely.to_wkb(got).tolist() == shapely.to_wkb(want).tolist()


@REPRODUCIBLE
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from([None, "", "a", "b", "nasional"]),
                          st.integers(0, 3)), max_size=40))
def test_a_section_takes_the_value_holding_most_of_its_length(rows: list[Any]) -> None:
    """Per label the value with the largest total weight, ties to the first value in sort
    order, a missing value as ""; whole-number weights make exact ties common. The
    reference sums the rows one by one in plain Python."""
    totals: dict[int, dict[str, float]] = {}
    for label, value, weight in rows:
        per = totals.setdefault(label, {})
        per[value or ""] = per.get(value or "", 0.0) + weight
    want = {label: min(per, key=lambda v: (-per[v], v)) for label, per in totals.items()}
    got = candidates._majority(np.array([r[0] for r in rows], dtype=np.int64),
                               np.array([r[1] for r in rows], dtype=object),
                               np.array([r[2] for r in rows], dtype=float))
    assert got.to_dict() == want
