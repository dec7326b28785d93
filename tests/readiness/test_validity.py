"""What a domain expert takes for granted, on the demo and on every shared OSM extract.

Property-based (hypothesis): random sets of road upgrades drawn from the priorities
options never raise a travel time and never lower a score, overall or per agency. And:
roads closed to cars by their OSM tags are never driven; no destination within 200 m of
the network that gateways reach is reported unreachable; no candidate shows a negative
gain. The instrument is :mod:`bench.validity` (``python -m bench.validity``), whose
references (raw tags read again with pyosmium, networkx components, shapely distances)
are independent of the engine.

Runtime: each workspace is ingested once per session (conftest) and prepared once per
extract here; hypothesis runs a bounded, derandomised number of examples without
shrinking (each example re-runs the whole access and score path).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bench.validity import (
    Extract,
    closed_car_routes,
    closed_to_cars,
    closed_to_foot,
    compare,
    negative_gains,
    prepare,
    priorities_run,
    unreachable_near,
)
from geo.io.workspace import Workspace

# extract name -> (workspace fixture, OSM file fixture or None)
EXTRACTS = {
    "demo": ("demo_ws", None),
    "andorra": ("andorra_ws", "andorra_pbf"),
    "porto": ("porto_ws", "porto_pbf"),
    "monaco": ("monaco_ws", "monaco_pbf"),
    "menteng": ("menteng_ws", "menteng_osm"),
}

EXAMPLES = 6  # upgrade sets per extract: each one is a full access + score run

PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    phases=(Phase.explicit, Phase.generate),  # no shrinking: runs are costly
                    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large))


@pytest.fixture(scope="session", params=list(EXTRACTS))
def extract(request: pytest.FixtureRequest) -> Extract:
    """A prepared extract (base access and scores, drawable upgrades); read-only."""
    ws_fixture, osm_fixture = EXTRACTS[request.param]
    ws_path: Path = request.getfixturevalue(ws_fixture)
    osm = request.getfixturevalue(osm_fixture) if osm_fixture else None
    return prepare(Workspace(ws_path), request.param, osm)


# --- the instrument itself -------------------------------------------------------------


def test_access_tags_most_specific_wins() -> None:
    # hand-worked from the OSM wiki's access hierarchy (access > motor_vehicle > motorcar;
    # foot for people on foot)
    tags = pd.DataFrame({
        "access": ["no", "no", None, "private", "destination", None, "agricultural", "yes"],
        "motor_vehicle": [None, None, "forestry", None, None, None, None, "no"],
        "motorcar": [None, "yes", None, None, None, None, None, None],
        "foot": [None, None, None, "yes", None, "no", None, None],
    })
    assert closed_to_cars(tags).tolist() == [True, False, True, True, False, False, True, True]
    assert closed_to_foot(tags).tolist() == [True, True, False, False, False, True, True,
                                             False]


@pytest.mark.parametrize("extract", ["demo"], indirect=True)
def test_compare_sees_a_slower_road(extract: Extract) -> None:
    """The monotonicity check can fail: degrading every road is seen."""
    roads = extract.roads.copy()
    road = roads["mode"].astype(str).eq("road").to_numpy()
    roads["condition"] = roads["condition"].astype(object)
    roads.loc[road, "condition"] = "rusak_berat"
    worse = compare(extract, extract.base, extract.evaluate(roads))
    assert worse.time_rises["access_minutes"] > 0
    assert sum(worse.score_falls.values()) > 0


# --- the properties ----------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_upgrades_never_raise_a_time_or_lower_a_score(extract: Extract,
                                                      data: st.DataObject) -> None:
    if not extract.units:
        pytest.skip(f"{extract.name}: no road can be upgraded under data/priorities.toml")
    k = len(extract.units)
    picked = sorted(data.draw(st.sets(st.integers(0, k - 1), min_size=1, max_size=k),
                              label="units"))
    keep = None
    if data.draw(st.booleans(), label="only some links"):
        seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
        n_rows = sum(len(extract.units[i].rows) for i in picked)
        keep = np.random.default_rng(seed).random(n_rows) < 0.5
    roads = extract.apply([extract.units[i] for i in picked], keep)
    worse = compare(extract, extract.base, extract.evaluate(roads))
    ids = [extract.units[i].ruas_id for i in picked]
    assert not worse.any, f"{extract.name}: upgrade of {ids[:10]} made it worse: " \
                          f"{worse.describe()}"


def test_candidate_gains_never_negative(extract: Extract) -> None:
    table = priorities_run(extract)
    neg = negative_gains(table)
    assert not any(neg.values()), f"{extract.name}: candidates with negative gains {neg}"


def test_closed_roads_never_driven(extract: Extract) -> None:
    found = closed_car_routes(extract, extract.base)
    assert found["routes"] == 0, (
        f"{extract.name}: {found['routes']} routes drive roads closed to cars "
        f"({found['destinations']} destinations, e.g. {found['examples']})")


def test_no_false_unreachable(extract: Extract) -> None:
    near = unreachable_near(extract, extract.base, 200.0)
    assert near.empty, (f"{extract.name}: {len(near)} unreachable destinations within 200 m "
                        f"of the reachable network: {near.head(5).to_dict('records')}")
