"""Road-works priorities: hand-worked networks, and every candidate's benefit against a
naive recompute on real networks.

Hand-worked networks use round numbers: tertiary roads 60 km/h (1 min per km); with free
IRI 6 the roughness factor min(1, 6 / IRI) makes tanah (IRI 12) 30 km/h (2 min/km),
kerikil and aspal (IRI 6) 60, rusak_ringan (IRI 18) 20 and rusak_berat (IRI 36) 10 km/h
(6 min/km); tanah -> kerikil costs Rp 1 billion per km. Every expected value is worked out
in the comments.

The naive reference re-runs every route: the section's upgraded rows are written into the
road table, :func:`geo.network.edge_minutes` gives the minutes, the augmented graph is
re-costed through ``AccessGraph.csr(minutes_fwd=, minutes_bwd=)`` and scipy's Dijkstra runs
from EVERY source; the objective is summed from scratch. It shares nothing with the
incremental engine but the graph structure.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point

from geo import schema
from geo.access import ROUTE_COLUMNS, AccessResult, compute_access_frames
from geo.exceptions import ConfigError, InputError, SiapError
from geo.io.workspace import Workspace
from geo.network import NetworkConfig, edge_minutes, load_network_config
from geo.priorities import (
    COLUMNS,
    PrioritiesConfig,
    build_candidates,
    check_against_speeds,
    default_score_inputs,
    load_priorities_config,
    priorities_frame,
    write_priorities,
)
from geo.readiness import load_readiness_config, overall_scores
from geo.steps import compute_access, priorities_workspace
from tests._depth import depth
from tests._paths import PROJECT_ROOT

UTM = "EPSG:32753"  # UTM 53S: local metres near Timika
X0, Y0 = 700_000.0, 9_500_000.0
READINESS = load_readiness_config(PROJECT_ROOT / "data" / "readiness.toml")


# --- hand-worked network -------------------------------------------------------------


def _iri(baik: float) -> dict[str, float]:
    return {"baik": baik, "sedang": baik, "rusak_ringan": max(baik, 18.0),
            "rusak_berat": max(baik, 36.0)}


def net_config(**over: Any) -> NetworkConfig:
    raw = load_network_config().model_dump()
    raw["road"]["highway_speed_kmh"] = {"tertiary": 60.0, "residential": 60.0}
    raw["road"]["default_speed_kmh"] = 60.0
    raw["function"]["highway"] = {}  # round test speeds, not design speeds
    raw["roughness"] = {"assumption": True, "free_iri_m_per_km": 6.0, "unknown_condition": "baik",
                        "iri_m_per_km": {"aspal": _iri(6.0), "beton": _iri(6.0),
                                         "paving": _iri(6.0), "kerikil": _iri(6.0),
                                         "tanah": _iri(12.0)}}
    raw["unknown_surface"]["default"] = "aspal"
    raw["snap"]["max_dist_m"] = 500.0
    for key, value in over.items():
        group, name = key.split("__")
        raw[group][name] = value
    return NetworkConfig.model_validate(raw)


def prio_config(**weights: float) -> PrioritiesConfig:
    raw: dict[str, Any] = {
        "weights": {"assumption": True, "gateway_destination": 1.0, "kampung": 0.5,
                    **weights},
        "authority_filter": {"kabupaten": ["kabupaten", "desa"], "provinsi": ["provinsi"],
                             "nasional": ["nasional"]},
        "upgrades": {
            "rekonstruksi": {"label": "rekonstruksi", "surface": ["aspal", "unknown"],
                             "condition": ["rusak_berat"], "to_condition": "baik",
                             "unit_cost_rp_per_km": 2e9, "assumption": True},
            "tanah_kerikil": {"label": "tanah -> kerikil", "surface": ["tanah"],
                              "to_surface": "kerikil", "to_condition": "baik",
                              "unit_cost_rp_per_km": 1e9, "assumption": True},
            "kerikil_aspal": {"label": "kerikil -> aspal", "surface": ["kerikil"],
                              "to_surface": "aspal", "to_condition": "baik",
                              "unit_cost_rp_per_km": 1.5e9, "assumption": True},
        },
    }
    return PrioritiesConfig.model_validate(raw)


def xy(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


def roads_frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    out = []
    for r in rows:
        line = LineString([xy(*p) for p in r["line"]])
        out.append({
            "u": r["u"], "v": r["v"], "osm_way_id": r.get("way", 0),
            "highway": r.get("highway", "tertiary"), "name": r.get("name"), "ref": None,
            "surface": r.get("surface", "aspal"), "smoothness": None, "tracktype": None,
            "maxspeed": None, "oneway": False, "length_m": r["km"] * 1000.0,
            "authority": r.get("authority", "kabupaten"),
            "condition": r.get("condition", "baik"), "mode": "road",
            "provenance": r.get("provenance", "agency"), "geometry": line,
        })
    return gpd.GeoDataFrame(out, geometry="geometry", crs=UTM)


def points(coords: list[tuple[float, float]], **cols: Any) -> gpd.GeoDataFrame:
    n = len(coords)
    data = {k: (v if isinstance(v, list) else [v] * n) for k, v in cols.items()}
    return gpd.GeoDataFrame(data, geometry=[Point(xy(*c)) for c in coords], crs=UTM)


G, M1, M2, T, T2, Z = (0, 0), (5000, 3000), (5000, -3000), (10000, 0), (12000, 0), (10000, 3000)
# Two parallel routes from gateway G to destination T (P+P2, Q+Q2), a spur W to the second
# destination T2 and a spur Z to kampung K2. Minutes (1 min/km; tanah 2 min/km):
#   P 10 km tanah 20 -> 10, P2 1 km aspal 1, Q 11 km tanah 22 -> 11, Q2 1 km aspal 1,
#   W 2 km tanah 4 -> 2, Z 3 km tanah 6 -> 3.
HAND = [
    {"u": 1, "v": 2, "line": [G, M1], "km": 10, "name": "Jalan P", "surface": "tanah"},
    {"u": 2, "v": 4, "line": [M1, T], "km": 1, "name": "Jalan P2"},
    {"u": 1, "v": 3, "line": [G, M2], "km": 11, "name": "Jalan Q", "surface": "tanah"},
    {"u": 3, "v": 4, "line": [M2, T], "km": 1, "name": "Jalan Q2"},
    {"u": 4, "v": 5, "line": [T, T2], "km": 2, "name": "Jalan W", "surface": "tanah"},
    {"u": 4, "v": 6, "line": [T, Z], "km": 3, "name": "Jalan Z", "surface": "tanah"},
]


def hand_layers(rows: list[dict[str, Any]] = HAND) -> dict[str, gpd.GeoDataFrame]:
    return {
        "roads": roads_frame(rows),
        # importance: T 1, T2 0.8
        "destinations": points([T, T2], id=["D1", "D2"], name=["Tujuan T", "Tujuan T2"],
                               category="alam", provenance="agency", importance=[1.0, 0.8]),
        "gateways": points([G], id=["G1"], name=["Gerbang G"], kind="pelabuhan",
                           provenance="agency"),
        # kampung weight 0.5: K at G (nearest destination T), K2 at Z (nearest T)
        "kampung": points([G, Z], kode=["K1", "K2"], nama=["Kampung G", "Kampung Z"],
                          level="kampung"),
    }


def hand_access(layers: dict[str, gpd.GeoDataFrame], config: NetworkConfig | None = None
                ) -> AccessResult:
    return compute_access_frames(layers["roads"], layers["destinations"], layers["gateways"],
                                 None, None, layers["kampung"], config or net_config(), UTM)


def hand_run(budget: float | None = None, **kw: Any) -> pd.DataFrame:
    layers = hand_layers()
    res = priorities_frame(hand_access(layers), layers["destinations"], authority="all",
                           budget=budget, config=prio_config(), readiness=READINESS, **kw)
    return res.table.set_index("name")


# Objective before: T 21 (via P) + 0.8 x T2 25 + 0.5 x K 21 + 0.5 x K2 (Z spur) 6 = 54.5.
# Alone:  P: T -10, T2 -10 x 0.8, K -10 x 0.5  -> 23.0 min for Rp 10 bn (2.3 per bn)
#         Q: T 21 -> 12 (-9), T2 -7.2, K -4.5  -> 20.7 min for Rp 11 bn (1.882 per bn)
#         W: T2 25 -> 23, x 0.8               ->  1.6 min for Rp 2 bn  (0.8 per bn)
#         Z: K2 6 -> 3, x 0.5                 ->  1.5 min for Rp 3 bn  (0.5 per bn)
STANDALONE = {"Jalan P": 23.0, "Jalan Q": 20.7, "Jalan W": 1.6, "Jalan Z": 1.5}
COST = {"Jalan P": 10e9, "Jalan Q": 11e9, "Jalan W": 2e9, "Jalan Z": 3e9}


def test_hand_candidates_costs_and_speeds() -> None:
    t = hand_run()
    assert sorted(t.index) == sorted(STANDALONE)  # P2 and Q2 are aspal baik: nothing to do
    for name, cost in COST.items():
        assert t.loc[name, "cost_rp"] == pytest.approx(cost)
        km = f"{cost / 1e9:.2f}".replace(".", ",")  # Indonesian decimal comma
        assert t.loc[name, "upgrade"] == f"tanah -> kerikil {km} km"
        assert t.loc[name, "upgrade_km"] == pytest.approx(cost / 1e9)
        assert t.loc[name, "surface"] == "tanah" and t.loc[name, "condition"] == "baik"
        assert t.loc[name, "speed_before_kmh"] == pytest.approx(30.0)
        assert t.loc[name, "speed_after_kmh"] == pytest.approx(60.0)
    assert t.loc["Jalan P", "length_km"] == pytest.approx(10.0)
    assert (t["provenance"] == "agency").all()


def test_hand_ranking_by_benefit_per_billion() -> None:
    t = hand_run()
    for name, minutes in STANDALONE.items():
        # zero-length connector pieces cost 1e-9 min each (csgraph reads 0 as "no edge")
        assert t.loc[name, "minutes_saved"] == pytest.approx(minutes, abs=1e-7)
        assert t.loc[name, "benefit_cost"] == pytest.approx(minutes / (COST[name] / 1e9), rel=1e-8)
    assert t.sort_values("rank").index.tolist() == ["Jalan P", "Jalan Q", "Jalan W", "Jalan Z"]
    # P: T, T2 faster from G and T the new... same nearest of K; Z: only kampung K2
    assert t.loc["Jalan P", "destinations_served"] == 2
    assert t.loc["Jalan P", "kampung_served"] == 1
    assert t.loc["Jalan P", "minutes_saved_gateway"] == pytest.approx(18.0)
    assert t.loc["Jalan P", "minutes_saved_kampung"] == pytest.approx(5.0)
    assert t.loc["Jalan Z", "destinations_served"] == 1  # T, the nearest of kampung K2
    assert t.loc["Jalan Z", "kampung_served"] == 1
    assert t.loc["Jalan Z", "minutes_saved_gateway"] == 0.0
    assert not t["selected"].any()  # no budget: ranking only
    assert t.sort_values("rank")["cumulative_cost_rp"].tolist() == pytest.approx(
        [10e9, 21e9, 23e9, 26e9])


def test_greedy_budget_re_evaluates_after_each_pick() -> None:
    # After P, route Q (12 min to T) is slower than the upgraded P (11): Q saves nothing, so
    # the second pick is W (standalone third), then Z; Q is not selected though it fits.
    # rank keeps the order by benefit per cost of each section alone (P, Q, W, Z).
    t = hand_run(budget=100e9).sort_values("rank")
    assert t.index.tolist() == ["Jalan P", "Jalan Q", "Jalan W", "Jalan Z"]
    assert t["selected"].tolist() == [True, False, True, True]
    assert t["pick_order"].tolist() == [1, pd.NA, 2, 3]
    # marginal in the programme (Q: after the three picks) next to the section alone
    assert t["minutes_saved"].tolist() == pytest.approx([23.0, 0.0, 1.6, 1.5], abs=1e-7)
    assert t["minutes_saved_alone"].tolist() == pytest.approx(list(STANDALONE.values()),
                                                              abs=1e-7)
    assert t["benefit_cost"].tolist() == pytest.approx([2.3, 20.7 / 11, 0.8, 0.5], rel=1e-8)
    # the programme's curve, in pick order P, W, Z; empty for Q
    by_pick = t[t["selected"]].sort_values("pick_order")
    assert by_pick["cumulative_cost_rp"].tolist() == pytest.approx([10e9, 12e9, 15e9])
    assert by_pick["cumulative_minutes_saved"].tolist() == pytest.approx([23.0, 24.6, 26.1])
    assert t.loc["Jalan Q", ["cumulative_cost_rp", "cumulative_minutes_saved"]].isna().all()
    # a row read on its own: the score gain of each section alone is the one of the
    # ranking without a budget, whatever was picked before it
    alone = hand_run()
    for name in STANDALONE:
        assert t.loc[name, "score_gain_alone"] == pytest.approx(alone.loc[name, "score_gain"],
                                                                abs=1e-9)
    assert t.loc["Jalan Q", "score_gain"] == 0.0  # nothing moves once P is paved


@pytest.mark.parametrize(("budget", "picks"), [
    (12e9, {"Jalan P": 1, "Jalan W": 2}),
    # P fits; W (2 bn) no longer fits in the remaining 1 bn; Z (3 bn) neither
    (11e9, {"Jalan P": 1}),
    # P (10 bn) does not fit: W, then Z (5 bn in all)
    (9e9, {"Jalan W": 1, "Jalan Z": 2}),
    (0.0, {}),
])
def test_budget_takes_the_best_that_still_fits(budget: float, picks: dict[str, int]) -> None:
    t = hand_run(budget=budget).sort_values("rank")
    assert t.index.tolist() == ["Jalan P", "Jalan Q", "Jalan W", "Jalan Z"]
    assert t.index[t["selected"]].tolist() == [n for n in t.index if n in picks]
    assert t.loc[t["selected"], "pick_order"].to_dict() == picks
    assert t.loc[~t["selected"], "pick_order"].isna().all()
    assert t.loc[t["selected"], "cost_rp"].sum() <= budget


def test_budget_never_selects_a_section_without_benefit() -> None:
    # A dead-end tanah spur from M1 that no trip uses: cheap (Rp 0.5 bn) and within any
    # budget, but it saves no minute alone or after any pick, so it is never picked.
    rows = [*HAND, {"u": 2, "v": 7, "line": [M1, (5000, 5000)], "km": 0.5,
                    "name": "Jalan Buntu", "surface": "tanah"}]
    layers = hand_layers(rows)
    res = priorities_frame(hand_access(layers), layers["destinations"], authority="all",
                           budget=100e9, config=prio_config(), readiness=READINESS)
    t = res.table.set_index("name")
    assert t.loc["Jalan Buntu", "minutes_saved_alone"] == 0.0
    assert not t.loc["Jalan Buntu", "selected"]
    assert (t.loc[t["selected"], "minutes_saved"] > 0).all()
    assert t.index[t["selected"]].tolist() == ["Jalan P", "Jalan W", "Jalan Z"]
    assert t.loc["Jalan Buntu", "destinations"] == ""
    assert t.loc["Jalan Buntu", "destination_ids"] == ""


def test_rank_is_the_order_by_benefit_per_cost_and_names_the_destinations() -> None:
    for budget in (None, 12e9, 100e9):
        t = hand_run(budget=budget).sort_values("rank")
        assert t["rank"].tolist() == [1, 2, 3, 4]
        bc = (t["minutes_saved_alone"] / (t["cost_rp"] / 1e9)).to_numpy()
        assert np.allclose(t["benefit_cost"], bc)
        assert (np.diff(bc) <= 1e-12).all()
    t = hand_run()
    # P and Q: T and T2 faster from G; W: T2; Z: T, the nearest destination of kampung K2
    assert t["destinations"].to_dict() == {"Jalan P": "Tujuan T; Tujuan T2",
                                           "Jalan Q": "Tujuan T; Tujuan T2",
                                           "Jalan W": "Tujuan T2", "Jalan Z": "Tujuan T"}
    # the same by id (D1 = Tujuan T, D2 = Tujuan T2): names may repeat, ids do not
    assert t["destination_ids"].map(json.loads).to_dict() == {
        "Jalan P": ["D1", "D2"], "Jalan Q": ["D1", "D2"], "Jalan W": ["D2"], "Jalan Z": ["D1"]}


def test_upgrading_a_tanah_track_saves_time_with_the_shipped_speeds() -> None:
    # G -- 2 km track (tanah, condition unknown = baik) -- T, with data/network.toml and
    # data/priorities.toml as shipped. By hand: track 30 km/h on a good paved road, free
    # IRI 5; tanah baik IRI 15 -> 10 km/h, 12 min; tanah -> kerikil baik (IRI 8) ->
    # 18.75 km/h, 6.4 min: 5.6 minutes saved for Rp 3 bn/km x 2 km.
    rows = [{"u": 1, "v": 2, "line": [G, (2000, 0)], "km": 2, "highway": "track",
             "surface": "dirt", "condition": None, "authority": "desa"}]
    layers = hand_layers(rows)
    dest = layers["destinations"].iloc[[0]].copy()
    dest.geometry = [Point(xy(2000, 0))]
    access = compute_access_frames(layers["roads"], dest, layers["gateways"], None, None, None,
                                   load_network_config(), UTM)
    assert access.destinations["access_minutes"].iloc[0] == pytest.approx(12.0)
    res = priorities_frame(access, dest, authority="kabupaten", readiness=READINESS,
                           config=load_priorities_config())
    row = res.table.iloc[0]
    assert row["upgrade"].startswith("tanah -> kerikil")
    assert row["minutes_saved_alone"] == pytest.approx(5.6, abs=1e-6)
    assert row["cost_rp"] == pytest.approx(6e9)
    assert row["speed_before_kmh"] == pytest.approx(10.0)
    assert row["speed_after_kmh"] == pytest.approx(18.75)


def test_footways_paths_and_steps_are_not_candidates_unless_configured() -> None:
    # a named path of 3 km (tanah) with a 1 km track link: mostly a footpath, so not a
    # candidate; a tanah track beside it is. Removing 'path' from the exclusion list makes
    # the path's links upgradable (and the section a candidate).
    rows = [
        {"u": 1, "v": 2, "line": [(0, 0), (3000, 0)], "km": 3, "name": "Setapak",
         "surface": "tanah", "highway": "path"},
        {"u": 2, "v": 3, "line": [(3000, 0), (4000, 0)], "km": 1, "name": "Setapak",
         "surface": "tanah", "highway": "track"},
        {"u": 3, "v": 4, "line": [(4000, 0), (5000, 0)], "km": 1, "name": "Tani",
         "surface": "tanah", "highway": "track"},
        {"u": 4, "v": 5, "line": [(5000, 0), (6000, 0)], "km": 1, "name": "Tangga",
         "surface": "tanah", "highway": "steps"},
    ]
    roads = roads_frame(rows)
    t = build_candidates(roads, prio_config(), net_config(), "all").table
    assert t["name"].tolist() == ["Tani"]
    raw = prio_config().model_dump()
    raw["candidates"] = {"exclude_highway": ["footway", "steps"]}
    t = build_candidates(roads, PrioritiesConfig.model_validate(raw), net_config(), "all").table
    assert dict(zip(t["name"], t["upgrade_km"], strict=True)) == pytest.approx(
        {"Setapak": 4.0, "Tani": 1.0})
    assert load_priorities_config().candidates.exclude_highway[:4] == [
        "footway", "path", "pedestrian", "steps"]


def test_score_gain_follows_the_faster_and_better_route() -> None:
    # slower roads so that access times fall within the PU indicator's 30-240 min range:
    # tertiary 20 km/h (3 min/km), tanah x 1/2 = 10 km/h: G -> T via P 60 + 3 min, 30 + 3
    # after
    slow = net_config(road__highway_speed_kmh={"tertiary": 20.0})
    layers = hand_layers()
    access = hand_access(layers, slow)
    res = priorities_frame(access, layers["destinations"], authority="all", config=prio_config(),
                           readiness=READINESS)
    t = res.table.set_index("name")
    # reference: the whole accessibility engine on the upgraded roads (P paved to kerikil),
    # with the PU access columns written into the score inputs
    base = default_score_inputs(layers["destinations"], access)
    roads = layers["roads"].copy()
    roads.loc[roads["name"] == "Jalan P", ["surface", "condition"]] = ["kerikil", "baik"]
    after = hand_access({**layers, "roads": roads}, slow)
    changed = base.copy()
    for col in ("access_minutes", *ROUTE_COLUMNS):
        changed[col] = after.destinations[col].to_numpy()
    expect = (overall_scores(changed, READINESS)["score"]
              - overall_scores(base, READINESS)["score"]).to_numpy()
    assert access.destinations["access_minutes"].tolist() == pytest.approx([63.0, 75.0])
    assert after.destinations["access_minutes"].tolist() == pytest.approx([33.0, 45.0])
    assert t.loc["Jalan P", "score_gain"] == pytest.approx(expect.sum(), abs=1e-9)
    assert expect.sum() > 0
    per = res.gains[res.gains["ruas_id"] == t.loc["Jalan P", "ruas_id"]]
    assert per["gain"].sum() == pytest.approx(expect.sum())
    # Z serves a kampung only: no destination's score moves
    assert t.loc["Jalan Z", "score_gain"] == 0.0


def test_candidates_follow_authority_walking_and_unknown_surface_rules() -> None:
    rows = [
        {"u": 1, "v": 2, "line": [(0, 0), (1000, 0)], "km": 1, "name": "Kab", "surface": "tanah"},
        {"u": 2, "v": 3, "line": [(1000, 0), (2000, 0)], "km": 1, "name": "Desa",
         "surface": "kerikil", "authority": "desa"},
        {"u": 3, "v": 4, "line": [(2000, 0), (3000, 0)], "km": 1, "name": "Prov",
         "surface": "tanah", "authority": "provinsi"},
        {"u": 4, "v": 5, "line": [(3000, 0), (4000, 0)], "km": 1, "name": "Setapak",
         "surface": "tanah", "highway": "path"},
        {"u": 5, "v": 6, "line": [(4000, 0), (5000, 0)], "km": 1, "name": "Tanpa data",
         "surface": None, "condition": None},
        {"u": 6, "v": 7, "line": [(5000, 0), (6000, 0)], "km": 2, "name": "Rusak",
         "surface": None, "condition": "rusak_berat"},
        # one named road: 3 km kabupaten (tanah) + 1 km provinsi (tanah): a kabupaten
        # section whose provincial kilometre a kabupaten PU does not touch
        {"u": 7, "v": 8, "line": [(6000, 0), (7000, 0)], "km": 3, "name": "Campur",
         "surface": "tanah"},
        {"u": 8, "v": 9, "line": [(7000, 0), (8000, 0)], "km": 1, "name": "Campur",
         "surface": "tanah", "authority": "provinsi"},
    ]
    roads = roads_frame(rows)
    cfg, net = prio_config(), net_config()

    def names(authority: str) -> dict[str, float]:
        t = build_candidates(roads, cfg, net, authority).table
        return dict(zip(t["name"], t["cost_rp"], strict=True))

    # kabupaten includes desa; the path is walked whatever its surface; unknown surface
    # only with a known bad condition (rekonstruksi 2 km x 2 bn)
    assert names("kabupaten") == {"Kab": 1e9, "Desa": 1.5e9, "Rusak": 4e9, "Campur": 3e9}
    assert names("provinsi") == {"Prov": 1e9}
    assert names("nasional") == {}
    assert names("all") == {"Kab": 1e9, "Desa": 1.5e9, "Prov": 1e9, "Rusak": 4e9,
                            "Campur": 4e9}
    t = build_candidates(roads, cfg, net, "kabupaten").table.set_index("name")
    assert t.loc["Campur", "authority"] == "kabupaten"
    assert t.loc["Campur", "length_km"] == pytest.approx(4.0)
    assert t.loc["Campur", "upgrade_km"] == pytest.approx(3.0)
    assert t.loc["Rusak", "upgrade"] == "rekonstruksi 2,00 km"
    assert t.loc["Rusak", "speed_before_kmh"] == pytest.approx(10.0)
    assert t.loc["Rusak", "speed_after_kmh"] == pytest.approx(60.0)
    with pytest.raises(SiapError, match="authority"):
        build_candidates(roads, cfg, net, "kota")


def test_first_matching_option_applies_per_link() -> None:
    # aspal rusak_berat -> rekonstruksi; kerikil rusak_berat -> kerikil_aspal (rekonstruksi
    # lists aspal/unknown only); tanah rusak_berat -> tanah_kerikil: one section, 3 options
    rows = [
        {"u": 1, "v": 2, "line": [(0, 0), (1000, 0)], "km": 1, "name": "R",
         "condition": "rusak_berat"},
        {"u": 2, "v": 3, "line": [(1000, 0), (2000, 0)], "km": 2, "name": "R",
         "surface": "kerikil", "condition": "rusak_berat"},
        {"u": 3, "v": 4, "line": [(2000, 0), (3000, 0)], "km": 4, "name": "R",
         "surface": "tanah", "condition": "rusak_berat"},
    ]
    c = build_candidates(roads_frame(rows), prio_config(), net_config(), "all")
    assert len(c) == 1
    t = c.table.iloc[0]
    assert t["cost_rp"] == pytest.approx(1 * 2e9 + 2 * 1.5e9 + 4 * 1e9)
    assert t["upgrade"] == ("rekonstruksi 1,00 km; tanah -> kerikil 4,00 km; "
                            "kerikil -> aspal 2,00 km")
    assert c.new_rows["surface"].tolist() == ["aspal", "aspal", "kerikil"]
    assert c.new_rows["condition"].tolist() == ["baik", "baik", "baik"]
    # 1 km at 10 + 2 km at 10 + 4 km at 10 km/h = 42 min -> 1 + 2 + 4 min at 60 km/h
    assert t["speed_before_kmh"] == pytest.approx(10.0)
    assert t["speed_after_kmh"] == pytest.approx(60.0)


def test_importance_must_be_a_non_negative_number() -> None:
    layers = hand_layers()
    dest = layers["destinations"].copy()
    dest["importance"] = ["-1", "tinggi"]
    with pytest.raises(InputError) as exc:
        priorities_frame(hand_access(layers), dest, authority="all", config=prio_config(),
                         readiness=READINESS)
    lines = [(p.line, p.field) for p in exc.value.problems]
    assert lines == [(2, "importance"), (3, "importance")]
    dest["importance"] = [None, ""]  # empty: the default weight 1
    res = priorities_frame(hand_access(layers), dest, authority="all", config=prio_config(),
                           readiness=READINESS)
    # P then saves 10 + 10 (T2 at weight 1) + 5 (kampung)
    assert res.table.set_index("name").loc["Jalan P", "minutes_saved"] == pytest.approx(25.0)


# --- configuration ----------------------------------------------------------------------


def test_default_config_marks_every_cost_as_an_assumption_with_a_source() -> None:
    cfg = load_priorities_config()
    assert set(cfg.upgrades) >= {"tanah_kerikil", "kerikil_aspal", "rehabilitasi"}
    for opt in cfg.upgrades.values():
        assert opt.assumption and len(opt.source) > 20
        assert opt.unit_cost_rp_per_km >= 1e9  # Papua: billions of Rupiah per km
    assert cfg.weights.assumption
    assert cfg.allowed("kabupaten") == ["kabupaten", "desa"]
    assert cfg.allowed("all") is None
    check_against_speeds(cfg, load_network_config())


def test_bad_config_names_every_key(tmp_path: Any) -> None:
    text = (PROJECT_ROOT / "data" / "priorities.toml").read_text()
    text = text.replace("unit_cost_rp_per_km = 3_000_000_000", "unit_cost_rp_per_km = -3")
    text = text.replace('to_surface = "aspal"', 'to_surface = "emas"')
    text = text.replace('provinsi = ["provinsi"]', 'provinsi = ["propinsi"]')
    text = text.replace("kampung = 1.0", "kampung = 1.0\nbogus = 2")
    bad = tmp_path / "priorities.toml"
    bad.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_priorities_config(bad)
    msg = str(exc.value)
    for key in ("upgrades.tanah_kerikil.unit_cost_rp_per_km", "upgrades.kerikil_aspal.to_surface",
                "authority_filter", "weights.bogus"):
        assert f"'{key}'" in msg, key


def test_an_upgrade_that_slows_roads_is_refused() -> None:
    raw = prio_config().model_dump()
    raw["upgrades"]["turun"] = {"label": "aspal -> tanah", "surface": ["aspal"],
                                "to_surface": "tanah", "unit_cost_rp_per_km": 1e9,
                                "assumption": True}
    with pytest.raises(ConfigError, match=r"upgrades\.turun\.to_surface"):
        check_against_speeds(PrioritiesConfig.model_validate(raw), net_config())


# --- exactness on real networks --------------------------------------------------------


def stress_configs(condition: bool = False) -> tuple[NetworkConfig, PrioritiesConfig]:
    """Default speeds, but unknown surfaces of fast classes driven as kerikil (or, with ``condition``,
    unknown conditions as rusak_ringan) and upgradable: many candidates with real benefits
    on OSM networks, which rarely tag a surface or a smoothness."""
    raw = load_network_config().model_dump()
    praw = load_priorities_config().model_dump()
    if condition:
        raw["roughness"]["unknown_condition"] = "rusak_ringan"
        praw["upgrades"]["survei_baik"] = {"label": "kondisi -> baik", "condition": ["unknown"],
                                           "to_condition": "baik", "unit_cost_rp_per_km": 1e9,
                                           "assumption": True}
    else:
        # as the old 25 km/h cap did: only classes faster than 25 km/h are slowed, so the
        # run stays the size it was (every slowed section is a candidate that saves time)
        raw["unknown_surface"]["highway"] = {
            h: "kerikil" for h, v in raw["road"]["highway_speed_kmh"].items() if v > 25.0}
        praw["upgrades"]["unknown_aspal"] = {"label": "unknown -> aspal",
                                             "surface": ["unknown"], "to_surface": "aspal",
                                             "unit_cost_rp_per_km": 2.5e9, "assumption": True}
    return NetworkConfig.model_validate(raw), PrioritiesConfig.model_validate(praw)


def naive(access: AccessResult, dest: pd.DataFrame, cfg: PrioritiesConfig, net: NetworkConfig,
          picks: tuple[str, ...] = (), only: set[str] | None = None) -> tuple[pd.DataFrame, Any]:
    """Benefit of every candidate by re-running every route (see the module docstring)."""
    graph = access.graph
    roads = graph.network.roads.copy()
    cands = build_candidates(roads, cfg, net, "all")
    ids = cands.table["ruas_id"].tolist()
    for rid in picks:  # earlier picks are part of the network
        c = ids.index(rid)
        sl = cands.rows_of(c)
        for col in ("surface", "condition"):
            roads.loc[cands.rows[sl], col] = cands.new_rows[col].to_numpy()[sl]
    fwd, bwd = edge_minutes(roads, net)
    new = cands.new_rows.copy()
    new.index = cands.rows
    f_all, b_all = edge_minutes(new, net)  # the upgraded rows, each alone
    g = graph.nodes("gateways")
    k = graph.nodes("kampung")
    d = graph.nodes("destinations")
    g, k = g[g >= 0], k[k >= 0]
    w = dest[cfg.weights.importance_column].to_numpy(float) if (
        cfg.weights.importance_column in dest) else np.ones(len(dest))
    w = np.where(np.isnan(w), cfg.weights.default_importance, w)[d >= 0]
    w = w * cfg.weights.gateway_destination
    t = d[d >= 0]

    def objective(f: np.ndarray, b: np.ndarray) -> float:
        A = graph.csr(minutes_fwd=f, minutes_bwd=b)
        total = 0.0
        if len(g) and len(t):
            Dg = dijkstra(A, indices=g)[:, t]
            total += float((np.where(np.isfinite(Dg), Dg, 0.0) @ w).sum())
        if len(k) and len(t):
            # kampung -> nearest destination: one multi-source run on the transposed graph
            m = dijkstra(A.T.tocsr(), indices=t, min_only=True)[k]
            total += cfg.weights.kampung * float(np.where(np.isfinite(m), m, 0.0).sum())
        return total

    base = objective(fwd, bwd)
    out = []
    for c in range(len(cands)):
        if ids[c] in picks or (only is not None and ids[c] not in only):
            continue
        sl = cands.rows_of(c)
        rows = cands.rows[sl]
        f, b = fwd.copy(), bwd.copy()
        f[rows], b[rows] = f_all[sl], b_all[sl]
        out.append({"ruas_id": ids[c], "naive": base - objective(f, b),
                    "cost_rp": cands.table["cost_rp"].iat[c]})
    return pd.DataFrame(out).set_index("ruas_id"), base


def check_against_naive(access: AccessResult, dest: pd.DataFrame, cfg: PrioritiesConfig,
                        net: NetworkConfig, sample: int | None = None) -> int:
    res = priorities_frame(access, dest, authority="all", config=cfg, readiness=READINESS)
    ours = res.table.set_index("ruas_id")["minutes_saved"]
    only = None
    if sample is not None and sample < len(ours):
        # half at random (a section we call useless must be useless), half among those we
        # say save time, most first (most sections of a city save nothing: a random sample
        # alone would check few real gains)
        rng = np.random.default_rng(20240517)
        useful = ours[ours > 0].sort_values(ascending=False).index[: sample // 2]
        rest = ours.index.difference(useful).to_numpy()
        only = set(useful) | set(rng.choice(rest, min(len(rest), sample - len(useful)),
                                            replace=False))
    ref, base = naive(access, dest, cfg, net, only=only)
    assert res.objective_minutes == pytest.approx(base, rel=1e-12)
    assert set(ref.index) <= set(ours.index)
    assert len(ref) == (len(ours) if only is None else len(only))
    got = ours.reindex(ref.index).to_numpy()
    want = ref["naive"].to_numpy()
    # 1e-6 relative; near zero the naive difference of two large sums carries float noise
    assert np.allclose(got, want, rtol=1e-6, atol=1e-9 * base), np.abs(got - want).max()
    return int((want > 1e-6).sum())


def test_every_candidate_on_the_mimika_demo_equals_a_naive_recompute(demo_ws: Any) -> None:
    ws = Workspace(demo_ws)
    net, cfg = load_network_config(), load_priorities_config()
    positive = check_against_naive(compute_access(ws, net), ws.read("destinations"), cfg, net)
    assert positive >= 10  # boats, flights and kampung: many sections matter


def test_porto_candidates_equal_a_naive_recompute(porto_ws: Any) -> None:
    # every candidate with SIAPWISATA_TEST_DEPTH=full, 80 otherwise (check_against_naive)
    ws = Workspace(porto_ws)
    net, cfg = stress_configs()
    positive = check_against_naive(compute_access(ws, net), ws.read("destinations"), cfg, net,
                                   sample=depth(80, None))
    assert positive >= 20


def test_every_candidate_on_menteng_equals_a_naive_recompute(menteng_ws: Any) -> None:
    # Menteng has no gateway or place: three tourism sites act as gateways, every shop
    # and amenity as a kampung, the other sites as destinations; its roads are all paved,
    # so links without a stated condition are the slow, upgradable ones
    ws = Workspace(menteng_ws)
    net, cfg = stress_configs(condition=True)
    dest = ws.read("destinations")
    pois = ws.read("pois")
    kampung = pois[pois["shop"].notna() | pois["amenity"].notna()].copy()
    kampung["kode"], kampung["nama"], kampung["level"] = kampung["osm_id"].astype(str), "", "x"
    gws = dest.iloc[:3].assign(kind="terminal")
    access = compute_access_frames(ws.read("roads"), dest.iloc[3:], gws, None, None, kampung,
                                   net, ws.metric_crs())
    positive = check_against_naive(access, dest.iloc[3:], cfg, net)
    assert positive >= 3


def test_a_sample_of_andorra_candidates_equals_a_naive_recompute(andorra_ws: Any) -> None:
    ws = Workspace(andorra_ws)
    net, cfg = stress_configs()
    access = compute_access(ws, net)
    check_against_naive(access, ws.read("destinations"), cfg, net, sample=depth(15, 40))


def test_greedy_picks_equal_a_naive_greedy_on_the_demo(demo_ws: Any) -> None:
    ws = Workspace(demo_ws)
    net, cfg = load_network_config(), load_priorities_config()
    access = compute_access(ws, net)
    dest = ws.read("destinations")
    res = priorities_frame(access, dest, authority="all", budget=12e9, config=cfg,
                           readiness=READINESS)
    t = res.table
    picks = t[t["selected"]].sort_values("pick_order")["ruas_id"].tolist()
    assert len(picks) >= 2
    assert sorted(t["pick_order"].dropna().tolist()) == list(range(1, len(picks) + 1))
    spent = 0.0
    for i, rid in enumerate(picks):
        ref, _ = naive(access, dest, cfg, net, tuple(picks[:i]))
        fits = ref[(ref["cost_rp"] <= 12e9 - spent + 1e-6) & (ref["naive"] > 1e-9)]
        best = (fits["naive"] / fits["cost_rp"]).idxmax()
        assert best == rid
        assert t.set_index("ruas_id").loc[rid, "minutes_saved"] == pytest.approx(
            ref.loc[rid, "naive"], rel=1e-6)
        spent += ref.loc[rid, "cost_rp"]
    assert t.loc[t["selected"], "cost_rp"].sum() == pytest.approx(spent)
    # and it stopped because nothing that still fits saves time
    ref, _ = naive(access, dest, cfg, net, tuple(picks))
    assert not ((ref["cost_rp"] <= 12e9 - spent + 1e-6) & (ref["naive"] > 1e-6)).any()


# --- outputs --------------------------------------------------------------------------


def test_files_state_their_assumptions(tmp_path: Any) -> None:
    layers = hand_layers()
    res = priorities_frame(hand_access(layers), layers["destinations"], authority="all",
                           budget=12e9, config=prio_config(), readiness=READINESS)
    for ext in ("csv", "xlsx", "gpkg"):
        write_priorities(res, tmp_path / f"p.{ext}")
    csv = pd.read_csv(tmp_path / "p.csv")
    assert csv.columns.tolist() == list(COLUMNS)
    assert csv["assumptions"].str.contains("ASUMSI").all()
    wb = load_workbook(tmp_path / "p.xlsx")
    assert wb.sheetnames == ["Prioritas", "Asumsi"]
    sheet = wb["Prioritas"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Peringkat (menit per biaya, ruas sendiri)", "ID ruas", "Nama ruas",
                          "Kewenangan"]
    assert "Urutan pilihan dalam program" in header
    assert "Menit tempuh dihemat bila ruas ini saja" in header
    col = header.index("Biaya (Rp, asumsi)") + 1
    assert sheet.cell(row=2, column=col).number_format == '"Rp" #,##0'
    assert sheet.cell(row=2, column=col).value == pytest.approx(10e9)
    assert sheet.freeze_panes == "C2"
    assert sheet.cell(row=2, column=header.index("Terpilih dalam anggaran") + 1).value == "Ya"
    text = "\n".join(" ".join(str(v) for v in row) for row in wb["Asumsi"].iter_rows(
        values_only=True))
    for key in ("upgrades.tanah_kerikil", "upgrades.kerikil_aspal", "weights.kampung",
                "roughness.iri_m_per_km.tanah", "function.min_design_speed_kmh.lokal_primer",
                "candidates.exclude_highway", "--budget"):
        assert key in text
    assert "ASUMSI" in text and "SINTETIS" not in text
    gp = pyogrio.read_dataframe(tmp_path / "p.gpkg", layer="priorities")
    assert len(gp) == 4 and gp.crs.to_epsg() == 4326
    assert "asumsi" in pyogrio.list_layers(tmp_path / "p.gpkg")[:, 0]


def test_workspace_layer_on_the_demo(demo_ws: Any, copy_ws: Any, tmp_path: Any) -> None:
    path = copy_ws(demo_ws)
    ws = Workspace(path)
    before = path.read_bytes()
    with pytest.raises(SiapError, match="format"):
        priorities_workspace(ws, out=tmp_path / "p.docx")
    with pytest.raises(SiapError, match="budget"):
        priorities_workspace(ws, budget=-1.0)
    assert path.read_bytes() == before  # checked before any work
    res = priorities_workspace(ws, budget=20e9, authority="kabupaten", out=tmp_path / "p.xlsx")
    layer = ws.read("priorities")
    assert layer.columns.tolist()[:-1] == list(COLUMNS)
    assert layer.crs.to_epsg() == 4326 and set(layer.geom_type) == {"MultiLineString"}
    assert len(layer) == len(res.table) > 50
    assert (layer["provenance"] == "synthetic").all()
    assert layer["authority"].isin(["kabupaten", "desa"]).all()
    assert layer["rank"].tolist() == list(range(1, len(layer) + 1))
    assert layer.loc[layer["selected"], "cost_rp"].sum() <= 20e9
    src = ws.sources()
    note = src.loc[src["layer"] == "priorities", "note"].iloc[0]
    assert "ASUMSI" in note and bool(src.loc[src["layer"] == "priorities", "synthetic"].iloc[0])
    text = " ".join(str(v) for row in load_workbook(tmp_path / "p.xlsx")["Asumsi"].iter_rows(
        values_only=True) for v in row)
    assert "SINTETIS" in text
    # a section's geometry covers its links (in metres, within a metre)
    roads = ws.read("roads")
    top = layer.iloc[0]
    length = layer.iloc[[0]].to_crs(ws.metric_crs()).length.iloc[0]
    assert length == pytest.approx(top["length_km"] * 1000.0, rel=1e-3, abs=1.0)
    assert schema.WGS84 == "EPSG:4326" and len(roads) > 0


def test_score_gains_on_the_demo_equal_a_full_recompute(demo_ws: Any) -> None:
    # Two kinds of sections: ones that speed up a nearest-gateway route, and ones that only
    # change surface/condition on a route (rehabilitation where the speed cap is not the
    # bottleneck). Reference: the whole accessibility engine on the upgraded roads, through
    # compute_access(ws) as the API and CLI call it (no layers passed besides the result).
    ws = Workspace(demo_ws)
    net, cfg = load_network_config(), load_priorities_config()
    access = compute_access(ws, net)
    dest = ws.read("destinations")
    res = priorities_frame(access, dest, authority="all", config=cfg, readiness=READINESS)
    t = res.table
    faster = t[(t["minutes_saved_gateway"] > 1e-6) & (t["score_gain"] != 0)].head(3)
    route_only = t[(t["minutes_saved_gateway"] == 0) & (t["score_gain"] != 0)].head(3)
    assert len(faster) == 3 and len(route_only) >= 1
    cands = build_candidates(access.graph.network.roads, cfg, net, "all")
    ids = cands.table["ruas_id"].tolist()
    base = default_score_inputs(dest, access)
    before = overall_scores(base, READINESS)["score"].to_numpy()
    umkm = ws.read("umkm")
    pois = ws.read("pois")
    from geo.access import populated_places

    kampung = populated_places(ws.read("admin_areas"), pois)
    for _, row in pd.concat([faster, route_only]).iterrows():
        c = ids.index(row["ruas_id"])
        roads = ws.read("roads")  # the layer as stored, geometry included
        sl = cands.rows_of(c)
        for col in ("surface", "condition"):
            roads.loc[cands.rows[sl], col] = cands.new_rows[col].to_numpy()[sl]
        after = compute_access_frames(roads, dest, ws.read("gateways"), umkm, pois, kampung,
                                      net, ws.metric_crs())
        changed = default_score_inputs(dest, after)
        expect = np.nansum(overall_scores(changed, READINESS)["score"].to_numpy() - before)
        assert row["score_gain"] == pytest.approx(expect, rel=1e-9, abs=1e-9), row["ruas_id"]


def test_every_score_gain_on_the_demo_equals_a_full_re_score(demo_ws: Any) -> None:
    # Reference: for EVERY candidate, the whole accessibility engine on the roads with that
    # section upgraded (UMKM within 15/30 minutes, nearest lodging/health/fuel, transport
    # options, routes) and the same scoring, minus the scores as they are.
    from geo.access import populated_places

    ws = Workspace(demo_ws)
    net, cfg = load_network_config(), load_priorities_config()
    dest, gws = ws.read("destinations"), ws.read("gateways")
    umkm, pois = ws.read("umkm"), ws.read("pois")
    kampung = populated_places(ws.read("admin_areas"), pois)
    access = compute_access_frames(ws.read("roads"), dest, gws, umkm, pois, kampung, net,
                                   ws.metric_crs())
    res = priorities_frame(access, dest, authority="all", config=cfg, readiness=READINESS)
    ids = res.table["ruas_id"].tolist()
    ours = np.zeros((len(ids), len(dest)))
    at = {d: i for i, d in enumerate(dest["id"])}
    for rid, d, g in res.gains[["ruas_id", "id", "gain"]].itertuples(index=False):
        ours[ids.index(rid), at[d]] = g
    cands = build_candidates(access.graph.network.roads, cfg, net, "all")
    cand_ids = cands.table["ruas_id"].tolist()
    assert sorted(cand_ids) == sorted(ids)
    before = overall_scores(default_score_inputs(dest, access), READINESS)["score"].to_numpy()
    local = [c for c in access.destinations.columns
             if c.startswith(("umkm_", "nearest_", "reach_"))]
    moved_local = 0
    # CI: the 30 largest gains and 30 others drawn at random (a fixed seed); every
    # candidate with SIAPWISATA_TEST_DEPTH=full.
    order = np.argsort(-np.abs(ours).sum(axis=1), kind="stable")
    n = depth(30, None)
    picked = order if n is None else np.concatenate(
        [order[:n], np.random.default_rng(14).permutation(order[n:])[:n]])
    for i in map(int, picked):
        rid = ids[i]
        c = cand_ids.index(rid)
        roads = ws.read("roads")  # the layer as stored, geometry included
        sl = cands.rows_of(c)
        for col in ("surface", "condition"):
            roads.loc[cands.rows[sl], col] = cands.new_rows[col].to_numpy()[sl]
        after = compute_access_frames(roads, dest, gws, umkm, pois, kampung, net,
                                      ws.metric_crs())
        a, b = after.destinations[local], access.destinations[local]
        moved_local += int(not a.equals(b))
        want = overall_scores(default_score_inputs(dest, after), READINESS)["score"].to_numpy()
        want = np.where(np.isnan(want) & np.isnan(before), 0.0, want - before)
        assert np.allclose(ours[i], want, rtol=0, atol=1e-6), (rid, ours[i], want)
        assert res.table["score_gain"].iat[i] == pytest.approx(want.sum(), abs=1e-6)
    # sections that move a UMKM count, a nearest facility or a transport option exist
    assert moved_local >= 1


def test_xlsx_keeps_names_as_text_never_formulas(tmp_path: Any) -> None:
    from geo.priorities import write_priorities_xlsx

    hostile = '=HYPERLINK("http://example.invalid","klik")'
    df = pd.DataFrame({"rank": [1], "ruas_id": ["R00001"], "name": [hostile],
                       "destinations": ["=1+1; Pantai"], "selected": [False]})
    write_priorities_xlsx(df, tmp_path / "p.xlsx", assumptions=["catatan"])
    sheet = load_workbook(tmp_path / "p.xlsx")["Prioritas"]
    header = [c.value for c in sheet[1]]
    for col, text in (("Nama ruas", hostile), ("Nama destinasi terlayani", "=1+1; Pantai")):
        cell = sheet.cell(row=2, column=header.index(col) + 1)
        assert cell.value == text and cell.data_type == "s"
