"""Properties of the readiness model that a domain expert takes for granted (issue 9).

(a) Losing a known value never raises a destination's ``score_low`` or improves its rank
    (nor its Monte Carlo rank interval): missing data is not rewarded.
(b) Upgrading road rows (a better surface or condition, as the options of priorities.toml
    write them) never raises a travel time and never lowers any score, bound or agency
    score, also when the fastest route switches: the full path (accessibility engine,
    inputs, scoring) is re-run on the upgraded roads.
(c) On hand-made routes, km of unknown surface / condition stay out of both numerator and
    denominator of the route shares (expected values worked by hand), and the shares are
    measured on the route by road function, not on today's fastest route.

(a) and (b) run on the Mimika demo and on the real Andorra extract.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from geo.access import compute_access_frames, populated_places
from geo.io.workspace import Workspace
from geo.network import load_network_config
from geo.priorities import load_priorities_config, match_options, upgraded_rows
from geo.readiness import derive_inputs, load_readiness_config, score_frame
from geo.steps import build_inputs, compute_access
from tests.access.test_access import layer
from tests.network.test_network import UTM, roads_frame, small_config

# derandomised, no example database, no shrinking (each example re-scores everything)
SLOW = settings(deadline=None, derandomize=True, database=None,
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TOL = 1e-9
# identity and label columns: not data the scores rest on
NOT_DATA = {"id", "name", "category", "provenance", "geometry", "inputs_synthetic",
            "osm_type", "osm_id", "osm_tag", "name_note", "kode_kampung", "kampung", "distrik",
            "access_gateway", "access_gateway_name", "access_gateway_iata", "importance",
            "route_modes"}


@dataclass
class Case:
    ws: Workspace
    inputs: gpd.GeoDataFrame
    base: pd.DataFrame


@pytest.fixture(scope="module", params=["demo_ws", "andorra_ws"])
def case(request: pytest.FixtureRequest) -> Case:
    ws = Workspace(request.getfixturevalue(request.param))
    inputs = build_inputs(ws, compute_access(ws))
    return Case(ws, inputs, score_frame(inputs, load_readiness_config(), ranks=False))


def test_inputs_from_the_access_run_s_layers_equal_the_layers_read_again(
        case: Case) -> None:
    """build_inputs joins the frames the access run was given; the same access result
    with the layers read from the workspace again gives the same table, cell for cell."""
    access = compute_access(case.ws)
    assert set(access.layers) == {"destinations", "gateways"}
    read_again = build_inputs(case.ws, dataclasses.replace(access, layers={
        name: case.ws.read(name) for name in ("destinations", "gateways")}))
    pd.testing.assert_frame_equal(pd.DataFrame(case.inputs), pd.DataFrame(read_again),
                                  check_exact=True)
    assert case.inputs.crs == read_again.crs


def _rank(v: Any) -> float:
    return np.inf if pd.isna(v) else float(v)


# --- (a) missing data is not rewarded ----------------------------------------------------


@settings(SLOW, max_examples=60)
@given(data=st.data())
def test_losing_known_values_never_raises_score_low_or_rank(case: Case, data: Any) -> None:
    inputs, base = case.inputs, case.base
    cols = [c for c in inputs.columns if c not in NOT_DATA]
    row = data.draw(st.integers(0, len(inputs) - 1), label="row")
    known = [c for c in cols if not pd.isna(inputs[c].iloc[row])
             and not (isinstance(inputs[c].iloc[row], str) and not inputs[c].iloc[row].strip())]
    if not known:
        return
    drop = data.draw(st.lists(st.sampled_from(known), min_size=1, max_size=4, unique=True),
                     label="deleted")
    lost = inputs.copy()
    for c in drop:
        col = lost[c].astype(object) if lost[c].dtype == bool else lost[c]
        col.iloc[row] = None
        lost[c] = col
    out = score_frame(lost, load_readiness_config(), ranks=False)
    assert out.loc[row, "score_low"] <= base.loc[row, "score_low"] + TOL, drop
    assert _rank(out.loc[row, "rank"]) >= _rank(base.loc[row, "rank"]), drop
    for name in load_readiness_config().names:
        col = f"score_{name}_low"
        assert out.loc[row, col] <= base.loc[row, col] + TOL, (drop, name)


def test_losing_a_value_never_improves_the_monte_carlo_rank_interval(demo_ws: Any) -> None:
    """Per weight draw the rank follows that draw's score_low, so the interval can only
    move down (worse) when a destination loses data."""
    ws = Workspace(demo_ws)
    cfg = load_readiness_config()
    cfg = cfg.model_copy(update={"monte_carlo": cfg.monte_carlo.model_copy(
        update={"samples": 200})})
    inputs = build_inputs(ws, compute_access(ws))
    base = score_frame(inputs, cfg)
    cols = [c for c in inputs.columns if c not in NOT_DATA and inputs[c].notna().any()]
    for row in range(0, len(inputs), 4):
        lost = inputs.copy()
        for c in cols:
            lost[c] = lost[c].astype(object)
            lost.loc[row, c] = None
        out = score_frame(lost, cfg)
        for k in ("rank", "rank_low", "rank_high"):
            assert _rank(out.loc[row, k]) >= _rank(base.loc[row, k]), (row, k)


# --- (b) an upgrade never lowers readiness -------------------------------------------------


@dataclass
class Layers:
    ws: Workspace
    roads: gpd.GeoDataFrame
    eligible: np.ndarray
    option: np.ndarray
    on_route: np.ndarray
    access: Any
    table: pd.DataFrame


def _score(ws: Workspace, roads: gpd.GeoDataFrame) -> tuple[Any, pd.DataFrame]:
    """The full scoring path (as ``siapwisata score``) on the given roads."""
    pois = ws.read("pois") if ws.has("pois") else None
    kampung = populated_places(ws.read("admin_areas") if ws.has("admin_areas") else None, pois)
    acc = compute_access_frames(roads, ws.read("destinations"), ws.read("gateways"),
                                ws.read("umkm") if ws.has("umkm") else None, pois, kampung,
                                load_network_config(), ws.metric_crs())
    inputs = build_inputs(ws, acc)
    return acc, score_frame(inputs, load_readiness_config(), ranks=False)


@pytest.fixture(scope="module", params=["demo_ws", "andorra_ws"])
def layers(request: pytest.FixtureRequest) -> Layers:
    ws = Workspace(request.getfixturevalue(request.param))
    roads = ws.read("roads")
    option = match_options(roads, load_priorities_config(), load_network_config(), None)
    acc, table = _score(ws, roads)
    # rows on some access route or fastest route: where an upgrade can move something
    on: set[int] = set()
    for d in acc.destinations.index:
        on.update(acc.route_rows(d).tolist())
    eligible = np.flatnonzero(option >= 0)
    on_route = np.intersect1d(eligible, np.fromiter(on, dtype=np.int64))
    assert len(eligible) > 50
    return Layers(ws, roads, eligible, option, on_route, acc, table)


def _not_lower(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Indices where new < old (NaN only where both are NaN)."""
    new, old = np.asarray(new, float), np.asarray(old, float)
    both = np.isnan(new) & np.isnan(old)
    return np.flatnonzero(~both & ~(new >= old - TOL))


@settings(SLOW, max_examples=8)
@given(data=st.data())
def test_upgrades_never_raise_a_time_or_lower_a_score(layers: Layers, data: Any) -> None:
    pool = st.sampled_from(layers.on_route.tolist()) if len(layers.on_route) else st.nothing()
    rows = data.draw(st.lists(st.one_of(pool, st.sampled_from(layers.eligible.tolist())),
                              min_size=1, max_size=60, unique=True), label="rows")
    rows = np.array(sorted(rows), dtype=np.int64)
    roads = layers.roads.copy()
    new = upgraded_rows(roads, rows, layers.option[rows], load_priorities_config())
    roads.loc[roads.index[rows], ["surface", "condition"]] = new[["surface", "condition"]].to_numpy()
    acc, table = _score(layers.ws, roads)
    old_acc, old = layers.access, layers.table

    # times: every gateway -> destination pair, the main time, the nearest facilities
    gm_new, gm_old = (acc.gateway_minutes.to_frame().to_numpy(),
                      old_acc.gateway_minutes.to_frame().to_numpy())
    assert np.array_equal(np.isnan(gm_new), np.isnan(gm_old))
    assert not (np.nan_to_num(gm_new) > np.nan_to_num(gm_old) + TOL).any()
    for col in ("access_minutes", "nearest_lodging_min", "nearest_health_min",
                "nearest_fuel_min"):
        a, b = acc.destinations[col].to_numpy(float), old_acc.destinations[col].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        assert not (np.nan_to_num(a) > np.nan_to_num(b) + TOL).any(), col
    for col in ("umkm_15min", "umkm_30min", "umkm_types_30min"):
        assert (acc.destinations[col].to_numpy() >= old_acc.destinations[col].to_numpy()).all()

    # scores: overall, bounds, every agency and its bounds
    cols = ["score", "score_low", "score_high"]
    for name in load_readiness_config().names:
        cols += [f"score_{name}", f"score_{name}_low", f"score_{name}_high"]
    for col in cols:
        bad = _not_lower(table[col].to_numpy(float), old[col].to_numpy(float))
        assert not len(bad), (col, table.loc[bad, "id"].tolist()[:5])


# --- (c) hand-made routes -----------------------------------------------------------------

# Along the x axis, gateway at the west end, destination at the east end:
#   r0 1 km asphalt baik | r1 2 km surface ?, condition ? | r2 3 km dirt (tanah), condition ?
#   r3 4 km asphalt, condition ? | r4 1 km asphalt rusak_ringan
CHAIN = [
    {"u": 1, "v": 2, "line": [(0, 0), (1000, 0)]},
    {"u": 2, "v": 3, "line": [(1000, 0), (3000, 0)], "surface": None, "condition": None},
    {"u": 3, "v": 4, "line": [(3000, 0), (6000, 0)], "surface": "dirt", "condition": None},
    {"u": 4, "v": 5, "line": [(6000, 0), (10000, 0)], "condition": None},
    {"u": 5, "v": 6, "line": [(10000, 0), (11000, 0)], "condition": "rusak_ringan"},
]


def _frames(rows: list[dict[str, Any]], dest: tuple[float, float],
            gw: tuple[float, float]) -> tuple[Any, pd.DataFrame]:
    acc = compute_access_frames(roads_frame(rows), layer([dest], id=["D1"]),
                                layer([gw], id=["G1"]), None, None, None, small_config(), UTM)
    inputs = acc.destinations.reset_index()
    return acc, score_frame(inputs, load_readiness_config(), ranks=False)


def test_unknown_km_stay_out_of_both_sides_of_the_route_shares() -> None:
    acc, out = _frames(CHAIN, dest=(11000, 30), gw=(0, -20))
    d = acc.destinations.loc["D1"]
    # road 11 km; surface unknown: r1 (2 km); paved: r0 + r3 + r4 = 6 km
    assert d["route_road_km"] == pytest.approx(11.0)
    assert d["route_unknown_surface_km"] == pytest.approx(2.0)
    assert d["route_paved_km"] == pytest.approx(6.0)
    # paved-and-good undecided: r1 (nothing known, 2) + r3 (paved, condition ?, 4) = 6;
    # decided: r0 good (1), r2 dirt = known not paved (3), r4 damaged (1)
    assert d["route_unknown_condition_km"] == pytest.approx(6.0)
    assert d["route_paved_good_km"] == pytest.approx(1.0)
    derived = derive_inputs(acc.destinations.reset_index()).iloc[0]
    # paved share 6 / (11 - 2); bounds 6/11 (unknown unpaved) .. 8/11 (unknown paved)
    assert derived["route_paved_share"] == pytest.approx(6 / 9)
    assert derived["route_paved_share_low"] == pytest.approx(6 / 11)
    assert derived["route_paved_share_high"] == pytest.approx(8 / 11)
    assert derived["route_paved_share_known"] == pytest.approx(9 / 11)
    # good share 1 / (11 - 6); bounds 1/11 .. 7/11
    assert derived["route_paved_good_share"] == pytest.approx(1 / 5)
    assert derived["route_paved_good_share_low"] == pytest.approx(1 / 11)
    assert derived["route_paved_good_share_high"] == pytest.approx(7 / 11)
    # indicators 0 -> 0, 1 -> 100: 66.7 and 20
    assert out.loc[0, "ind_pu_jalan_aspal"] == pytest.approx(100 * 6 / 9)
    assert out.loc[0, "ind_pu_jalan_mantap"] == pytest.approx(100 * 1 / 5)

    # recording the unknown r1 as asphalt baik moves both shares up, never down:
    # paved 8/11; good (1 + 2) / (11 - 4) = 3/7
    rows = [dict(r) for r in CHAIN]
    rows[1].update(surface="asphalt", condition="baik")
    acc2, out2 = _frames(rows, dest=(11000, 30), gw=(0, -20))
    derived2 = derive_inputs(acc2.destinations.reset_index()).iloc[0]
    assert derived2["route_paved_share"] == pytest.approx(8 / 11)
    assert derived2["route_paved_good_share"] == pytest.approx(3 / 7)
    assert out2.loc[0, "score_pu"] >= out.loc[0, "score_pu"]
    assert out2.loc[0, "coverage"] > out.loc[0, "coverage"]


# Two roads between nodes 1 and 2: A a 6 km primary of dirt (by function 60 km/h: 6 min;
# today capped at 15 km/h: 24 min), B a 9 km residential of asphalt baik (30 km/h: 18 min).
# Stubs of 0.5 km primary asphalt at both ends; walks 20 m and 30 m at 100 m/min.
SWITCH = [
    {"u": 0, "v": 1, "line": [(-500, 0), (0, 0)]},
    {"u": 1, "v": 2, "line": [(0, 0), (6000, 0)], "surface": "dirt"},
    {"u": 1, "v": 2, "line": [(0, 0), (3000, 2000), (6000, 0)], "highway": "residential",
     "length_m": 9000.0},
    {"u": 2, "v": 3, "line": [(6000, 0), (6500, 0)]},
]


def test_route_shares_follow_the_road_function_route_when_the_fastest_route_switches() -> None:
    acc, out = _frames(SWITCH, dest=(6500, 30), gw=(-500, -20))
    d = acc.destinations.loc["D1"]
    # fastest today by B: 0.2 + 0.5 + 18 + 0.5 + 0.3 = 19.5 min
    assert d["access_minutes"] == pytest.approx(19.5)
    # the access route is A: 7 km of road, 1 km paved (the stubs)
    assert d["route_road_km"] == pytest.approx(7.0)
    assert d["route_paved_km"] == pytest.approx(1.0)
    assert acc.route_rows("D1").tolist() == [0, 1, 3]
    # hardening A to kerikil (30 km/h: 12 min) makes it the fastest: 13.5 min. On the
    # fastest route the paved share would fall from 1 (B) to 1/7 (A); on the access route
    # it stays 1/7 (both times are within the 30 minutes that score full)
    option = match_options(roads_frame(SWITCH), load_priorities_config(),
                           small_config(), None)
    assert option[1] >= 0
    up = upgraded_rows(roads_frame(SWITCH), np.array([1]), option[[1]],
                       load_priorities_config())
    rows = [dict(r) for r in SWITCH]
    rows[1].update(surface=up["surface"].iloc[0], condition=up["condition"].iloc[0])
    acc2, out2 = _frames(rows, dest=(6500, 30), gw=(-500, -20))
    d2 = acc2.destinations.loc["D1"]
    assert d2["access_minutes"] == pytest.approx(13.5)
    assert d2["route_paved_km"] == pytest.approx(1.0) and d2["route_road_km"] == pytest.approx(7.0)
    for col in ("score", "score_low", "score_high", "score_pu"):
        assert out2.loc[0, col] >= out.loc[0, col], col
    assert out2.loc[0, "ind_pu_jalan_aspal"] == pytest.approx(100 / 7)
