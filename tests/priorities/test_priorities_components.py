"""Two copies of a region side by side get the same priorities, copy for copy.

The engine evaluates each upgrade against its own weak component only (the runs of the
benefit engine and of the Scorer are cut to the components of the sources and of the
upgraded arcs). No road joins the two copies of Andorra that ``bench.scale`` lays side by
side, so every section of one copy must save the same minutes, serve the same number of
destinations and kampung and gain the same score as its twin in the other copy: anything
leaking from one component into the other, or dropped at a component's edge, breaks the
symmetry (the copies' ids differ, so the engine cannot pair them up by itself).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bench.scale import build_tiled
from geo.io.workspace import Workspace
from geo.steps import ingest_osm, priorities_workspace

COMPARED = ("length_km", "cost_rp", "minutes_saved_alone", "minutes_saved_gateway",
            "minutes_saved_kampung", "destinations_served", "kampung_served",
            "score_gain_alone", "benefit_cost")


COUNTS = ("destinations_served", "kampung_served")


def _twin_key(osm_way_ids: str) -> str:
    """The ways of a section without the copy number that prefixes every id."""
    return ",".join(sorted(w.strip()[1:] for w in str(osm_way_ids).replace(";", ",")
                           .split(",") if w.strip()))


def test_each_copy_ranks_its_sections_alike(andorra_pbf: Path, tmp_path: Path) -> None:
    pbf = build_tiled(andorra_pbf, 2, tmp_path / "andorra-x2.osm.pbf")
    ws = Workspace(tmp_path / "x2.gpkg")
    ingest_osm(pbf, ws)
    table = pd.DataFrame(priorities_workspace(ws, authority="all").table)
    ids = table["osm_way_ids"].astype(str)
    copy = ids.str.strip().str[0]
    assert set(copy) == {"1", "2"}
    # sections are numbered in road order and the copies hold their roads in the same
    # order: the n-th section of one copy is the twin of the n-th of the other
    one = table[copy == "1"].sort_values("ruas_id")
    two = table[copy == "2"].sort_values("ruas_id")
    assert len(one) == len(two)
    assert list(one["osm_way_ids"].map(_twin_key)) == list(two["osm_way_ids"].map(_twin_key))
    assert (one["minutes_saved_alone"] > 0).any()  # the comparison is not empty
    for col in COMPARED:
        a = one[col].to_numpy(dtype=float)
        b = two[col].to_numpy(dtype=float)
        if col in COUNTS:
            assert np.array_equal(a, b), col
        else:
            # the copies sit at other distances from the UTM zone's central meridian:
            # lengths, hence minutes, differ by the scale factor (~1e-5), not more
            assert np.allclose(a, b, rtol=1e-3, atol=1e-6, equal_nan=True), col
