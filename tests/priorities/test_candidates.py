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
