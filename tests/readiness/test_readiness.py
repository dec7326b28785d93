"""Readiness scoring on hand-made frames: every expected number below is worked by hand
(or by a brute-force re-score / a closed-form probability), never read back from the code."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta
from shapely.geometry import Point

from geo.exceptions import ConfigError, SiapError
from geo.readiness import (
    derive_inputs,
    load_readiness_config,
    overall_scores,
    readiness_config_from_dict,
    score_frame,
)
from tests._paths import PROJECT_ROOT

DEFAULT_TOML = PROJECT_ROOT / "data" / "readiness.toml"
# The five agency dimensions of the default data/readiness.toml (an explicit expectation:
# the code takes them from the TOML alone).
DIMENSIONS = ("pariwisata", "pu", "umkm", "kominfo", "perhubungan")


# --- helpers --------------------------------------------------------------------------------


def simple_config(
    dim_weights: dict[str, float] | None = None,
    *,
    indicators: dict[str, dict[str, dict[str, Any]]] | None = None,
    samples: int = 0,
    concentration: float = 50.0,
    interval: tuple[float, float] = (5.0, 95.0),
    classes: tuple[float, float, float] = (40.0, 60.0, 80.0),
):
    """Five dimensions, by default one linear indicator each: column x_<dim>, 0 -> 0, 100 -> 100
    (so the dimension score equals the input value)."""
    dim_weights = dim_weights or {d: 1.0 for d in DIMENSIONS}
    dims: dict[str, Any] = {}
    for d in DIMENSIONS:
        inds = (indicators or {}).get(d) or {
            "x": {"label": f"x {d}", "column": f"x_{d}", "zero": 0.0, "full": 100.0,
                  "weight": 1.0, "gap": f"{d} gap {{x_{d}:.0f}}"}
        }
        dims[d] = {"agency": f"Dinas {d}", "short": d.upper(), "four_a": ["atraksi"],
                   "weight": dim_weights.get(d, 0.0), "indicators": inds}
    raw = {
        "classes": dict(zip(("berkembang", "maju", "mandiri"), classes, strict=True)),
        "monte_carlo": {"samples": samples, "concentration": concentration, "seed": 7,
                        "interval": list(interval)},
        "dimensions": dims,
    }
    return readiness_config_from_dict(raw)


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if "id" not in df:
        df["id"] = [f"d{i}" for i in range(len(df))]
    return df


def one_indicator(spec: dict[str, Any]):
    """Config whose only known data is one indicator in 'pariwisata' (others have no column)."""
    spec = {"label": "t", "weight": 1.0, **spec}
    return simple_config(indicators={"pariwisata": {"t": spec}})


# --- default configuration -----------------------------------------------------------------


def test_default_config_loads_with_five_agencies_and_assumptions():
    cfg = load_readiness_config(DEFAULT_TOML)
    assert cfg.names[:5] == list(DIMENSIONS)
    assert cfg.dimensions["pu"].four_a == ["aksesibilitas"]
    assert cfg.dimensions["kominfo"].four_a == ["ansilari"]
    # every threshold and weight of the shipped file is marked as an assumption
    assert cfg.classes.assumption and cfg.monte_carlo.assumption
    for dim in cfg.dimensions.values():
        assert dim.assumption
        assert all(ind.assumption for ind in dim.indicators.values())


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        # worked from the documented thresholds in data/readiness.toml
        ("access_minutes", 135.0, 50.0),  # (240 - 135) / (240 - 30)
        ("access_minutes", 30.0, 100.0),
        ("access_minutes", 20.0, 100.0),
        ("access_minutes", 300.0, 0.0),
        ("last_mile_m", 1050.0, 50.0),  # (2000 - 1050) / 1900
        ("umkm_30min", 5, 25.0),  # 5 / 20
        ("umkm_types_30min", 3, 75.0),  # 3 / 4
        ("umkm_15min", 2, 25.0),  # 2 / 8
        ("daya_tarik", 3, 60.0),  # 3 / 5
        ("jumlah_fasilitas", 3, 50.0),  # 3 / 6
        ("pengunjung_tahun", 3000, 25.0),  # 3000 / 12000
        ("nearest_lodging_min", 67.5, 50.0),  # (120 - 67.5) / 105
        ("sinyal", "3G", 70.0),
        ("sinyal", "Tidak Ada", 0.0),
        ("pengelola", "Pokdarwis", 100.0),
        ("pengelola", "yayasan", 50.0),  # not in the map: 'other'
        ("promosi_portal", "ya", 100.0),
        ("promosi_portal", False, 0.0),
        ("papan_petunjuk", 1, 100.0),
        ("layanan_per_minggu", 7, 50.0),  # 7 / 14, counted only when the column exists
    ],
)
def test_default_indicator_normalisation(column, value, expected):
    cfg = load_readiness_config(DEFAULT_TOML)
    out = score_frame(frame([{column: value}]), cfg, ranks=False)
    cols = [c for c in out.columns if c.startswith("ind_")]
    got = {c: out.loc[0, c] for c in cols if not math.isnan(out.loc[0, c])}
    assert len(got) == 1, got
    assert next(iter(got.values())) == pytest.approx(expected)


def test_default_route_share_and_transport_derivations():
    cfg = load_readiness_config(DEFAULT_TOML)
    df = frame([
        # 16 of 30 road km paved and good -> 53.33; reached by road
        {"route_road_km": 30.0, "route_paved_good_km": 16.0, "reach_road": True,
         "reach_water": False, "reach_air": True},
        # boat only: no road km -> share unknown; 'perairan' = 60
        {"route_road_km": 0.0, "route_paved_good_km": 0.0, "reach_road": False,
         "reach_water": True, "reach_air": False},
        # air only -> 40; nothing reaches -> 0
        {"route_road_km": np.nan, "reach_road": False, "reach_water": False, "reach_air": True},
        {"reach_road": False, "reach_water": False, "reach_air": False},
    ])
    out = score_frame(df, cfg, ranks=False)
    # no route_damaged_km / route_paved_km columns: 16 good km are the only condition data
    share = out["ind_pu_jalan_mantap"].to_numpy()
    assert share[0] == pytest.approx(100 * 16 / 30)
    assert np.isnan(share[1:]).all()
    assert out["ind_perhubungan_moda"].tolist() == [100.0, 60.0, 40.0, 0.0]
    # the scheduled-service indicator is absent from the data: left out, not unknown
    assert "ind_perhubungan_layanan" not in out.columns
    assert out["score_perhubungan"].tolist() == [100.0, 60.0, 40.0, 0.0]
    both = score_frame(frame([{"reach_road": False, "reach_water": True, "reach_air": True}]),
                       cfg, ranks=False)
    assert both.loc[0, "ind_perhubungan_moda"] == 60.0  # the best option counts
    # the actions name the task (readiness.toml `task` of moda, filled by hand)
    assert ("Perhubungan: jadwalkan angkutan perairan (perahu) atau udara yang teratur "
            "(tanpa jalan darat)" in both.loc[0, "actions"])


def test_route_condition_unknown_is_not_zero_and_damage_is_named():
    cfg = load_readiness_config(DEFAULT_TOML)
    base = {"access_minutes": 30.0, "access_gateway": "G", "last_mile_m": 0.0}
    df = frame([
        # all 20 km asphalt, no PU condition anywhere (typical OSM): condition unknown
        {**base, "route_road_km": 20.0, "route_paved_km": 20.0, "route_paved_good_km": 0.0,
         "route_unpaved_km": 0.0, "route_damaged_km": 0.0},
        # 10 km asphalt of which 4 good, 3 km damaged, 10 km unpaved
        {**base, "route_road_km": 20.0, "route_paved_km": 10.0, "route_paved_good_km": 4.0,
         "route_unpaved_km": 10.0, "route_damaged_km": 3.0},
        # boat only: no road km, both shares unknown
        {**base, "route_road_km": 0.0, "route_paved_km": 0.0, "route_paved_good_km": 0.0,
         "route_unpaved_km": 0.0, "route_damaged_km": 0.0},
    ])
    out = score_frame(df, cfg, ranks=False)
    assert out.loc[0, "ind_pu_jalan_aspal"] == 100.0
    assert np.isnan(out.loc[0, "ind_pu_jalan_mantap"])
    assert out.loc[0, "score_pu"] == 100.0  # the unknown condition is skipped, not zero
    assert out.loc[1, "ind_pu_jalan_aspal"] == pytest.approx(50.0)
    assert out.loc[1, "ind_pu_jalan_mantap"] == pytest.approx(20.0)
    pu = next(a for a in out.loc[1, "actions"].split("; ") if a.startswith("PU:"))
    # lost points: mantap 0.5*80 = 40 before aspal 0.5*50 = 25
    assert pu == ("PU: perbaiki atau survei kondisi jalan (3,0 km jalan rusak di rute), "
                  "aspal 10,0 km jalan tak beraspal/tanpa data permukaan di rute")
    assert np.isnan(out.loc[2, "ind_pu_jalan_aspal"]) and np.isnan(out.loc[2, "ind_pu_jalan_mantap"])


def test_route_km_without_data_leave_the_shares_when_the_engine_separates_them():
    cfg = load_readiness_config(DEFAULT_TOML)
    df = frame([
        # 20 road km: 8 paved (5 of them good), 12 without surface data, 15 without condition
        {"access_minutes": 30.0, "access_gateway": "G", "last_mile_m": 0.0,
         "route_road_km": 20.0, "route_paved_km": 8.0, "route_paved_good_km": 5.0,
         "route_unpaved_km": 12.0, "route_damaged_km": 0.0,
         "route_unknown_surface_km": 12.0, "route_unknown_condition_km": 15.0},
        # 20 road km: 10 paved, 6 gravel, 4 unknown surface; 10 good, 2 damaged, 8 unknown
        {"access_minutes": 30.0, "access_gateway": "G", "last_mile_m": 0.0,
         "route_road_km": 20.0, "route_paved_km": 10.0, "route_paved_good_km": 10.0,
         "route_unpaved_km": 10.0, "route_damaged_km": 2.0,
         "route_unknown_surface_km": 4.0, "route_unknown_condition_km": 8.0},
    ])
    out = score_frame(df, cfg, ranks=False)
    assert out.loc[0, "ind_pu_jalan_aspal"] == pytest.approx(100.0)  # 8 / (20 - 12)
    assert out.loc[0, "ind_pu_jalan_mantap"] == pytest.approx(100.0)  # 5 / (20 - 15)
    assert out.loc[1, "ind_pu_jalan_aspal"] == pytest.approx(62.5)  # 10 / 16
    assert out.loc[1, "ind_pu_jalan_mantap"] == pytest.approx(10 / 12 * 100)
    assert "6,0 km jalan tanah/kerikil di rute" in out.loc[1, "actions"]


def test_gap_texts_for_zero_counts_are_not_repeated():
    cfg = load_readiness_config(DEFAULT_TOML)
    df = frame([{"umkm_15min": 0, "umkm_30min": 0, "umkm_types_30min": 0,
                 "umkm_30min_penginapan": 0, "jumlah_fasilitas": 0}])
    out = score_frame(df, cfg, ranks=False)
    actions = dict(a.split(": ", 1) for a in out.loc[0, "actions"].split("; "))
    assert actions["UMKM"] == "bina UMKM dalam 30 menit (belum ada)"
    assert actions["Pariwisata"] == "bangun fasilitas dasar (belum ada)"
    gaps = {t["indicator"]: t["gap"] for t in json.loads(out.loc[0, "tasks"])}
    assert gaps["umkm_30"] == "tidak ada UMKM dalam 30 menit"
    assert gaps["fasilitas"] == "belum ada fasilitas"
    assert "ragam_30" not in gaps and "umkm_15" not in gaps  # named by umkm_30


def test_facilities_counted_from_text_when_number_missing():
    df = derive_inputs(frame([
        {"fasilitas": "toilet, parkir; gazebo", "jumlah_fasilitas": np.nan},
        {"fasilitas": "toilet", "jumlah_fasilitas": 5},
        {"fasilitas": "  ", "jumlah_fasilitas": np.nan},
    ]))
    assert df["jumlah_fasilitas"].iloc[0] == 3
    assert df["jumlah_fasilitas"].iloc[1] == 5  # an agency's number wins over the text
    assert np.isnan(df["jumlah_fasilitas"].iloc[2])


# --- indicator normalisation -----------------------------------------------------------------


def test_linear_increasing_and_decreasing_with_clipping():
    up = one_indicator({"column": "v", "zero": 10.0, "full": 30.0})
    vals = [0.0, 10.0, 15.0, 30.0, 99.0, np.nan]
    out = score_frame(frame([{"v": v} for v in vals]), up, ranks=False)
    np.testing.assert_allclose(out["score_pariwisata"], [0, 0, 25, 100, 100, np.nan])

    down = one_indicator({"column": "v", "zero": 240.0, "full": 30.0})
    vals = [20.0, 30.0, 135.0, 187.5, 240.0, 500.0]
    out = score_frame(frame([{"v": v} for v in vals]), down, ranks=False)
    np.testing.assert_allclose(out["score_pariwisata"], [100, 100, 50, 25, 0, 0])


def test_numeric_text_cells_are_parsed_and_junk_is_unknown():
    cfg = one_indicator({"column": "v", "zero": 0.0, "full": 4.0})
    out = score_frame(frame([{"v": "3"}, {"v": "banyak"}, {"v": None}]), cfg, ranks=False)
    assert out["score_pariwisata"].iloc[0] == 75.0
    assert out["score_pariwisata"].iloc[1:].isna().all()


def test_categorical_map_normalises_case_spaces_and_booleans():
    cfg = one_indicator({"column": "c", "map": {"Tidak Ada": 0.0, "3g": 70.0, "4G": 100.0}})
    vals = ["tidak ada", "TIDAK-ADA", " 4g ", "3G", "5g", None, ""]
    out = score_frame(frame([{"c": v} for v in vals]), cfg, ranks=False)
    np.testing.assert_array_equal(
        out["score_pariwisata"].to_numpy(), [0, 0, 100, 70, np.nan, np.nan, np.nan]
    )
    other = one_indicator({"column": "c", "map": {"a": 100.0}, "other": 30.0})
    out = score_frame(frame([{"c": "a"}, {"c": "b"}, {"c": None}]), other, ranks=False)
    np.testing.assert_array_equal(out["score_pariwisata"].to_numpy(), [100, 30, np.nan])

    yesno = one_indicator({"column": "b", "map": {"true": 100.0, "false": 0.0}})
    vals = [True, False, "Ya", "tidak", 1, 0, "yes", "no", "mungkin", None]
    out = score_frame(frame([{"b": v} for v in vals]), yesno, ranks=False)
    np.testing.assert_array_equal(
        out["score_pariwisata"].to_numpy(), [100, 0, 100, 0, 100, 0, 100, 0, np.nan, np.nan]
    )


def test_missing_score_applies_only_when_the_column_has_data():
    spec = {"column": "m", "zero": 240.0, "full": 30.0, "missing": 0.0}
    cfg = one_indicator(spec)
    out = score_frame(frame([{"m": 135.0}, {"m": np.nan}]), cfg, ranks=False)
    np.testing.assert_array_equal(out["score_pariwisata"].to_numpy(), [50.0, 0.0])
    # empty everywhere, or absent: unknown, not zero
    out = score_frame(frame([{"m": np.nan}, {"m": np.nan}]), cfg, ranks=False)
    assert out["score_pariwisata"].isna().all()
    out = score_frame(frame([{"other": 1}, {"other": 2}]), cfg, ranks=False)
    assert out["score_pariwisata"].isna().all()
    assert (out["coverage"] == 0).all()


# --- means, coverage, classes ------------------------------------------------------------------


def two_indicator_config():
    """pariwisata: a (w 1) and b (w 3); pu: c (w 1); others: one indicator each; dimension
    weights 0.5 / 0.3 / 0.2 / 0 / 0 (kominfo and perhubungan switched off)."""
    lin = {"zero": 0.0, "full": 100.0}
    return simple_config(
        {"pariwisata": 0.5, "pu": 0.3, "umkm": 0.2, "kominfo": 0.0, "perhubungan": 0.0},
        indicators={
            "pariwisata": {
                "a": {"label": "a", "column": "a", "weight": 1.0, **lin},
                "b": {"label": "b", "column": "b", "weight": 3.0, **lin},
            },
            "pu": {"c": {"label": "c", "column": "c", "weight": 1.0, **lin}},
            "umkm": {"d": {"label": "d", "column": "d", "weight": 1.0, **lin}},
        },
    )


def test_dimension_and_overall_means_skip_unknowns_and_report_coverage():
    cfg = two_indicator_config()
    df = frame([
        {"a": 40.0, "b": 80.0, "c": 60.0, "d": 90.0},  # all known
        {"a": 40.0, "b": np.nan, "c": np.nan, "d": 90.0},  # b and the whole pu unknown
        {"a": np.nan, "b": np.nan, "c": np.nan, "d": np.nan},  # nothing known
        {"a": np.nan, "b": 20.0, "c": 0.0, "d": np.nan},  # zero is a value, not unknown
    ])
    out = score_frame(df, cfg, ranks=False)
    # pariwisata = (1*40 + 3*80) / 4 = 70; overall = 0.5*70 + 0.3*60 + 0.2*90 = 71
    assert out.loc[0, "score_pariwisata"] == pytest.approx(70.0)
    assert out.loc[0, "score"] == pytest.approx(71.0)
    assert out.loc[0, "coverage"] == pytest.approx(1.0)
    # pariwisata = 40 (only a known); pu unknown; overall = (0.5*40 + 0.2*90) / 0.7
    assert out.loc[1, "score_pariwisata"] == pytest.approx(40.0)
    assert np.isnan(out.loc[1, "score_pu"])
    assert out.loc[1, "score"] == pytest.approx(38.0 / 0.7)
    # coverage = 0.5 * (1/4) + 0.3 * 0 + 0.2 * 1 = 0.325
    assert out.loc[1, "coverage"] == pytest.approx(0.325)
    assert np.isnan(out.loc[2, "score"]) and out.loc[2, "coverage"] == 0.0
    assert pd.isna(out.loc[2, "class"]) and pd.isna(out.loc[2, "rank"])
    # pariwisata = 20, pu = 0 (known zero), umkm unknown: (0.5*20 + 0.3*0) / 0.8 = 12.5
    assert out.loc[3, "score"] == pytest.approx(12.5)
    # coverage = 0.5 * 3/4 + 0.3 * 1 = 0.675
    assert out.loc[3, "coverage"] == pytest.approx(0.675)
    # dimensions with zero weight never count, even when their data is missing
    assert "KOMINFO" not in out.loc[0, "actions"]
    # bounds, unknown indicators at 0 / 100 (dimension weights 0.5 / 0.3 / 0.2):
    # row 0 all known: 71 .. 71
    assert (out.loc[0, "score_low"], out.loc[0, "score_high"]) == pytest.approx((71.0, 71.0))
    # row 1: pariwisata (40 + 3*0)/4 = 10 .. (40 + 3*100)/4 = 85; pu 0 .. 100; umkm 90
    # low 0.5*10 + 0.3*0 + 0.2*90 = 23, high 0.5*85 + 0.3*100 + 0.2*90 = 90.5
    assert out.loc[1, "score_pariwisata_low"] == pytest.approx(10.0)
    assert out.loc[1, "score_pariwisata_high"] == pytest.approx(85.0)
    assert (out.loc[1, "score_low"], out.loc[1, "score_high"]) == pytest.approx((23.0, 90.5))
    # row 2 nothing known: 0 .. 100
    assert (out.loc[2, "score_low"], out.loc[2, "score_high"]) == pytest.approx((0.0, 100.0))
    # row 3: pariwisata (0 + 60)/4 = 15 .. (100 + 60)/4 = 40; pu 0; umkm 0 .. 100
    # low 0.5*15 = 7.5, high 0.5*40 + 0.2*100 = 40
    assert (out.loc[3, "score_low"], out.loc[3, "score_high"]) == pytest.approx((7.5, 40.0))
    # class from score_low: row 0 maju (71), row 1 rintisan (23), row 3 rintisan (7.5)
    assert out["class"].tolist()[:2] == ["maju", "rintisan"] and out.loc[3, "class"] == "rintisan"
    # provisional: row 0 certain; row 1 below coverage 0.5 and 23 .. 90.5 straddles;
    # row 3 (coverage 0.675) because 7.5 .. 40 reaches the berkembang bound 40
    assert cfg.classes.min_coverage == 0.5
    assert out["class_provisional"].tolist() == [False, True, False, True]
    # rank by score_low, row 2 unranked: 71, 23, 7.5
    assert out["rank"].tolist()[:2] == [1, 2] and out.loc[3, "rank"] == 3


@pytest.mark.parametrize(
    ("score", "cls"),
    [(0.0, "rintisan"), (39.99, "rintisan"), (40.0, "berkembang"), (59.999, "berkembang"),
     (60.0, "maju"), (79.99, "maju"), (80.0, "mandiri"), (100.0, "mandiri")],
)
def test_class_boundaries_are_inclusive_lower_bounds(score, cls):
    # only pariwisata weighs: everything known, score_low = score = score_high
    cfg = simple_config({"pariwisata": 1.0}, indicators={"pariwisata": {"t": {
        "label": "t", "weight": 1.0, "column": "v", "zero": 0.0, "full": 100.0}}})
    out = score_frame(frame([{"v": score}]), cfg, ranks=False)
    assert out.loc[0, "score"] == pytest.approx(score)
    assert out.loc[0, "score_low"] == pytest.approx(score)
    assert out.loc[0, "class"] == cls
    assert not out.loc[0, "class_provisional"]


# --- bottleneck ----------------------------------------------------------------------------


def brute_force_gains(cfg, df: pd.DataFrame) -> np.ndarray:
    """Raise each dimension's input to its 'full' value and re-score through score_frame."""
    base = score_frame(df, cfg, ranks=False)["score"].to_numpy()
    gains = np.full((len(df), len(DIMENSIONS)), np.nan)
    for j, d in enumerate(DIMENSIONS):
        raised = df.copy()
        col = f"x_{d}"
        known = raised[col].notna()
        raised.loc[known, col] = 100.0
        new = score_frame(raised, cfg, ranks=False)["score"].to_numpy()
        gains[known.to_numpy(), j] = (new - base)[known.to_numpy()]
    return gains


def test_bottleneck_is_the_dimension_whose_raise_to_100_gains_most():
    rng = np.random.default_rng(3)
    weights = {"pariwisata": 0.3, "pu": 0.25, "umkm": 0.2, "kominfo": 0.15, "perhubungan": 0.1}
    cfg = simple_config(weights)
    vals = rng.uniform(0, 100, size=(60, 5))
    vals[rng.random((60, 5)) < 0.25] = np.nan
    df = frame([{f"x_{d}": vals[i, j] for j, d in enumerate(DIMENSIONS)} for i in range(60)])
    out = score_frame(df, cfg, ranks=False)
    gains = brute_force_gains(cfg, df)
    for i in range(60):
        g = gains[i]
        if np.all(np.isnan(g)):
            assert pd.isna(out.loc[i, "bottleneck"])
            continue
        expect = DIMENSIONS[int(np.nanargmax(g))]
        assert out.loc[i, "bottleneck"] == expect, (i, g)
        for j, d in enumerate(DIMENSIONS):
            if not np.isnan(g[j]):
                assert out.loc[i, f"gain_{d}"] == pytest.approx(g[j], abs=1e-9)
    # a low UNKNOWN dimension is never the bottleneck: it is listed as missing data
    with_unknown = [i for i in range(60) if np.isnan(vals[i]).any()]
    assert with_unknown
    for i in with_unknown:
        missing = [d for j, d in enumerate(DIMENSIONS) if np.isnan(vals[i, j])]
        assert out.loc[i, "bottleneck"] not in missing
        for d in missing:
            assert f"{d.upper()}: data belum tersedia" in out.loc[i, "actions"]


def test_bottleneck_ties_go_to_configuration_order_and_none_when_nothing_to_gain():
    cfg = simple_config()  # equal weights
    df = frame([
        # umkm and kominfo both at 50, the rest 100: equal gains -> umkm (earlier in order)
        {"x_pariwisata": 100, "x_pu": 100, "x_umkm": 50, "x_kominfo": 50, "x_perhubungan": 100},
        # everything at 100: nothing holds it back
        {f"x_{d}": 100 for d in DIMENSIONS},
        # only unknowns below 100: not eligible
        {"x_pariwisata": 100, "x_pu": np.nan, "x_umkm": np.nan, "x_kominfo": 100,
         "x_perhubungan": 100},
    ])
    out = score_frame(df, cfg, ranks=False)
    assert out.loc[0, "bottleneck"] == "umkm"
    assert out.loc[0, "bottleneck_agency"] == "Dinas umkm"
    assert pd.isna(out.loc[1, "bottleneck"]) and out.loc[1, "actions"] == ""
    assert pd.isna(out.loc[2, "bottleneck"])
    assert out.loc[2, "actions"] == "PU: data belum tersedia; UMKM: data belum tersedia"


# --- actions -------------------------------------------------------------------------------


def test_actions_name_agency_and_concrete_gap_ordered_by_gain():
    cfg = load_readiness_config(DEFAULT_TOML)
    row = {
        "id": "pantai-1", "name": "Pantai Contoh", "provenance": "agency",
        "daya_tarik": 5, "jumlah_fasilitas": 6, "pengunjung_tahun": 20000, "pengelola": "pokdarwis",
        "nearest_lodging_min": 10.0,
        "access_minutes": 52.0, "access_gateway": "WABP", "access_gateway_iata": "TIM",
        "route_road_km": 20.0, "route_paved_km": 6.0, "route_paved_good_km": 6.0,
        "route_unpaved_km": 14.0, "route_damaged_km": 0.0, "last_mile_m": 50.0,
        "route_unknown_surface_km": 0.0, "route_unknown_condition_km": 0.0,
        "umkm_15min": 1, "umkm_30min": 2, "umkm_types_30min": 1, "umkm_30min_penginapan": 0,
        "promosi_portal": False, "promosi_medsos": True, "papan_petunjuk": True, "sinyal": "none",
        "reach_road": False, "reach_water": False, "reach_air": True,
    }
    out = score_frame(frame([row]), cfg, ranks=False)
    actions = out.loc[0, "actions"].split("; ")
    by_agency = {a.split(":")[0]: a for a in actions}
    assert "Pariwisata" not in by_agency  # all at 100: nothing to do
    # the tasks of readiness.toml, filled by hand (issue 13: what to do, by whom)
    assert by_agency["PU"] == ("PU: aspal 14,0 km jalan tanah/kerikil di rute, "
                               "percepat akses jalan (52 menit dari TIM)")
    assert by_agency["UMKM"].startswith(
        "UMKM: bina UMKM dalam 30 menit (baru 2) (tidak ada penginapan)"
    )
    # equal lost points (weight 1, score 0): configuration order within the agency
    assert by_agency["Kominfo"] == ("Kominfo: daftarkan di portal resmi, "
                                    "usulkan BTS sinyal seluler (belum ada sinyal)")
    assert by_agency["Perhubungan"] == ("Perhubungan: jadwalkan angkutan udara yang teratur "
                                        "(tanpa jalan darat)")
    # the gaps (what is missing) stay with each task
    tasks = {(t["dimension"], t["indicator"]): t for t in json.loads(out.loc[0, "tasks"])}
    assert tasks["pu", "jalan_aspal"]["gap"] == "14,0 km jalan tanah/kerikil di rute"
    assert tasks["pu", "waktu_tempuh"]["gap"] == "52 menit dari TIM"
    assert tasks["kominfo", "portal"]["gap"] == "belum ada di portal resmi"
    assert tasks["kominfo", "portal"]["proof"] == "destinations.promosi_portal"
    assert tasks["perhubungan", "moda"]["gap"] == "tanpa jalan darat, hanya lewat udara"
    assert ("pariwisata", "daya_tarik") not in tasks  # at 100: no task
    # agencies appear in decreasing gain
    dim_of = {"PU": "pu", "UMKM": "umkm", "Kominfo": "kominfo", "Perhubungan": "perhubungan"}
    gains = [out.loc[0, f"gain_{dim_of[a.split(':')[0]]}"] for a in actions]
    assert gains == sorted(gains, reverse=True)
    # hand-worked PU: waktu (240-52)/210*100 = 89.52 (w 1); paved 6/20 = 30 (w 0.5);
    # paved-good 6/20 = 30 (w 0.5); last mile 100 (w 0.5)
    assert out.loc[0, "score_pu"] == pytest.approx((188 / 210 * 100 + 15 + 15 + 50) / 2.5)


def test_unreachable_destination_scores_zero_access_with_its_reason():
    cfg = load_readiness_config(DEFAULT_TOML)
    df = frame([
        {"access_minutes": np.nan, "access_gateway": None, "last_mile_m": 100.0,
         "reach_road": False, "reach_water": False, "reach_air": False},
        {"access_minutes": 30.0, "access_gateway": "G1", "last_mile_m": 100.0,
         "reach_road": True, "reach_water": False, "reach_air": False},
    ])
    out = score_frame(df, cfg, ranks=False)
    assert out.loc[0, "ind_pu_waktu_tempuh"] == 0.0
    assert ("PU: buka akses jalan (tidak terjangkau dari gerbang mana pun"
            in out.loc[0, "actions"])
    assert "Perhubungan: buka layanan angkutan perairan atau udara" in out.loc[0, "actions"]
    assert pd.isna(out.loc[0, "access_minutes"])
    assert out.loc[1, "score_pu"] == 100.0


# --- ranks and Monte Carlo -------------------------------------------------------------------


def test_rank_uses_configured_weights_and_shares_ties():
    cfg = one_indicator({"column": "v", "zero": 0.0, "full": 100.0})
    out = score_frame(frame([{"v": v} for v in [50, 90, 50, np.nan, 10]]), cfg, ranks=False)
    assert out["rank"].tolist() == [2, 1, 2, pd.NA, 4]


def test_dominant_destination_keeps_rank_one_and_ranks_stay_in_range():
    rng = np.random.default_rng(11)
    cfg = simple_config(samples=400, concentration=5.0)
    vals = rng.uniform(0, 90, size=(30, 5))
    vals[rng.random((30, 5)) < 0.2] = np.nan
    vals[7] = 100.0  # best on every dimension
    df = frame([{f"x_{d}": vals[i, j] for j, d in enumerate(DIMENSIONS)} for i in range(30)])
    out = score_frame(df, cfg)
    assert out.loc[7, "rank"] == 1 and out.loc[7, "rank_low"] == 1 and out.loc[7, "rank_high"] == 1
    n = len(df)
    for col in ("rank", "rank_low", "rank_high"):
        assert out[col].between(1, n).all()
    assert (out["rank_low"] <= out["rank_high"]).all()
    # with wide weight draws (concentration 5) some middle destinations must move
    assert (out["rank_high"] > out["rank_low"]).any()


def test_monte_carlo_interval_matches_closed_form_probability():
    """Two destinations, two weighted dimensions: A = (90, 10), B = (10, 90). A wins iff
    w_pariwisata > 0.5, and w_pariwisata ~ Beta(c*0.55, c*0.45)."""
    c = 50.0
    cfg = simple_config({"pariwisata": 0.55, "pu": 0.45}, samples=4000, concentration=c)
    df = frame([{"x_pariwisata": 90.0, "x_pu": 10.0}, {"x_pariwisata": 10.0, "x_pu": 90.0}])
    out = score_frame(df, cfg)
    p_b_wins = beta.cdf(0.5, c * 0.55, c * 0.45)
    assert 0.1 < p_b_wins < 0.9  # so the 5th/95th percentiles are clearly determined
    assert out["rank"].tolist() == [1, 2]
    assert out["rank_low"].tolist() == [1, 1]
    assert out["rank_high"].tolist() == [2, 2]
    # concentrated draws: B never overtakes (P = beta.cdf(0.5, 55000, 45000) ~ 0)
    tight = simple_config({"pariwisata": 0.55, "pu": 0.45}, samples=500, concentration=1e5)
    out = score_frame(df, tight)
    assert out["rank_low"].tolist() == [1, 2] and out["rank_high"].tolist() == [1, 2]


def test_monte_carlo_equals_a_loop_over_the_documented_draws():
    """Re-draw Dirichlet(concentration x w) with the configured seed and rank in a plain loop
    by each draw's score_low (unknown dimensions at 0, [ranking])."""
    rng = np.random.default_rng(5)
    w = {"pariwisata": 0.3, "pu": 0.3, "umkm": 0.2, "kominfo": 0.1, "perhubungan": 0.1}
    cfg = simple_config(w, samples=300, concentration=8.0, interval=(10.0, 90.0))
    vals = rng.uniform(0, 100, size=(12, 5))
    vals[rng.random((12, 5)) < 0.2] = np.nan
    df = frame([{f"x_{d}": vals[i, j] for j, d in enumerate(DIMENSIONS)} for i in range(12)])
    out = score_frame(df, cfg)

    wv = np.array([w[d] for d in DIMENSIONS])
    draws = np.random.default_rng(7).dirichlet(8.0 * wv / wv.sum(), size=300)
    ranks = np.full((12, 300), np.nan)
    for k in range(300):
        scores = []
        for i in range(12):
            known = ~np.isnan(vals[i])
            num = sum(draws[k, j] * vals[i, j] for j in range(5) if known[j])
            den = sum(draws[k, j] for j in range(5))
            scores.append(num / den if known.any() else np.nan)
        for i in range(12):
            if not np.isnan(scores[i]):
                ranks[i, k] = 1 + sum(1 for s in scores if not np.isnan(s) and s > scores[i])
    for i in range(12):
        r = np.sort(ranks[i][~np.isnan(ranks[i])])
        # "lower"/"higher" percentile: the ranks at floor/ceil of p*(m-1)
        lo = r[math.floor(0.10 * (len(r) - 1))]
        hi = r[math.ceil(0.90 * (len(r) - 1))]
        assert (out.loc[i, "rank_low"], out.loc[i, "rank_high"]) == (lo, hi), i


# --- weights, purity, provenance -------------------------------------------------------------


def test_custom_weights_are_pure_and_validated():
    cfg = simple_config()
    df = frame([{"x_pariwisata": 100.0, "x_pu": 0.0, "x_umkm": 50.0, "x_kominfo": 50.0,
                 "x_perhubungan": 50.0}])
    before = df.copy()
    base = score_frame(df, cfg, ranks=False)
    assert base.loc[0, "score"] == pytest.approx(50.0)
    # pu weight 3, the others 1: (100 + 0 + 50 + 50 + 50) / 7
    heavy = score_frame(df, cfg, {"pu": 3.0}, ranks=False)
    assert heavy.loc[0, "score"] == pytest.approx(250.0 / 7.0)
    assert heavy.loc[0, "bottleneck"] == "pu"
    # pu switched off: (100 + 150) / 4
    off = score_frame(df, cfg, {"pu": 0.0}, ranks=False)
    assert off.loc[0, "score"] == pytest.approx(62.5)
    assert off.loc[0, "bottleneck"] != "pu"
    pd.testing.assert_frame_equal(df, before)
    assert score_frame(df, cfg, ranks=False).equals(base)  # config unchanged by overrides
    with pytest.raises(ConfigError, match="'transport'"):
        score_frame(df, cfg, {"transport": 1.0})
    with pytest.raises(ConfigError, match=r"weights\.pu"):
        score_frame(df, cfg, {"pu": -1.0})
    with pytest.raises(ConfigError, match="semua bobot nol"):
        score_frame(df, cfg, dict.fromkeys(DIMENSIONS, 0.0))
    with pytest.raises(SiapError, match="'id'"):
        score_frame(df.drop(columns="id"), cfg)


def test_overall_scores_fast_path_agrees():
    cfg = two_indicator_config()
    df = frame([{"a": 40.0, "b": 80.0, "c": 60.0, "d": 90.0}, {"a": np.nan, "b": 20.0, "c": 0.0}])
    fast = overall_scores(df, cfg)
    full = score_frame(df, cfg, ranks=False)
    np.testing.assert_allclose(fast["score"], full["score"])
    np.testing.assert_allclose(fast["coverage"], full["coverage"])
    np.testing.assert_allclose(fast["score_pu"], full["score_pu"])


def test_overall_scores_make_a_text_column_an_indicator_scores():
    # the fast path leaves the action texts out, unless an indicator scores one of them:
    # "moda_akses" (the options beside road) scored by a map reads 100 / 50 / 0 here, and
    # a site with none of them has no words there: unknown
    cfg = one_indicator({"column": "moda_akses", "other": 0.0,
                         "map": {"perairan_(perahu)_atau_udara": 100.0, "udara": 50.0}})
    df = frame([{"reach_road": 1, "reach_water": 1, "reach_air": 1},
                {"reach_road": 0, "reach_water": 0, "reach_air": 1},
                {"reach_road": 1, "reach_water": 1, "reach_air": 0},
                {"reach_road": 1, "reach_water": 0, "reach_air": 0}])
    want = [100.0, 50.0, 0.0, np.nan]
    np.testing.assert_array_equal(overall_scores(df, cfg)["score_pariwisata"], want)
    np.testing.assert_array_equal(score_frame(df, cfg, ranks=False)["score_pariwisata"], want)


def test_provenance_synthetic_when_destination_or_inputs_are():
    cfg = simple_config()
    df = frame([
        {"provenance": "osm", "inputs_synthetic": False, "x_pu": 50.0},
        {"provenance": "osm", "inputs_synthetic": True, "x_pu": 50.0},
        {"provenance": "synthetic", "inputs_synthetic": False, "x_pu": 50.0},
    ])
    out = score_frame(df, cfg, ranks=False)
    assert out["synthetic"].tolist() == [False, True, True]
    assert out["provenance"].tolist() == ["osm", "synthetic", "synthetic"]
    assert out["destination_provenance"].tolist() == ["osm", "osm", "synthetic"]


def test_required_output_columns_one_row_per_destination_and_geometry_kept():
    cfg = load_readiness_config(DEFAULT_TOML)
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b"], "name": ["A", "B"], "provenance": ["osm", "osm"],
         "access_minutes": [10.0, 200.0], "access_gateway": ["G", "G"]},
        geometry=[Point(136.9, -4.5), Point(137.0, -4.6)], crs="EPSG:4326",
    )
    out = score_frame(gdf, cfg)
    required = ["id", "name", "provenance", "score", "class", "bottleneck", "coverage",
                "score_pariwisata", "score_pu", "score_umkm", "score_kominfo",
                "score_perhubungan", "access_minutes", "access_gateway", "umkm_15min",
                "umkm_30min", "rank", "rank_low", "rank_high", "actions"]
    assert [c for c in required if c not in out.columns] == []
    assert len(out) == 2 and isinstance(out, gpd.GeoDataFrame)
    assert out.crs.to_epsg() == 4326 and out.geometry.iloc[1].x == 137.0
    assert out["id"].tolist() == ["a", "b"]
    empty = score_frame(gdf.iloc[:0], cfg)
    assert len(empty) == 0 and "actions" in empty.columns


# --- configuration errors ------------------------------------------------------------------


def _edit(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_TOML.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


PU_HEAD = '[dimensions.pu]\nagency = "Dinas PUPR"\nshort = "PU"\nfour_a = ["aksesibilitas"]\nweight = 0.25\n'


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (PU_HEAD, PU_HEAD.replace("weight = 0.25", "weight = -1"), "dimensions.pu.weight"),
        (PU_HEAD, PU_HEAD.replace("weight = 0.25", "wieght = 0.25"), "dimensions.pu.wieght"),
        (PU_HEAD, PU_HEAD.replace('["aksesibilitas"]', '["akses"]'), "dimensions.pu.four_a.0"),
        ("zero = 240.0\nfull = 30.0", "zero = 30.0\nfull = 30.0",
         "dimensions.pu.indicators.waktu_tempuh"),
        ('column = "access_minutes"\n', "", "dimensions.pu.indicators.waktu_tempuh.column"),
        ("maju = 60.0", "maju = 30.0", "classes.maju"),
        ("mandiri = 80.0", "mandiri = 120.0", "classes.mandiri"),
        ("interval = [5.0, 95.0]", "interval = [95.0, 5.0]", "monte_carlo.interval"),
        ("samples = 1000", 'samples = "many"', "monte_carlo.samples"),
        ("4g = 100.0", "4g = 150.0", "dimensions.kominfo.indicators.sinyal.map.4g"),
        ("[dimensions.kominfo]", "[dimensions.kominfo_x]", "dimensions.kominfo"),
    ],
)
def test_bad_config_names_the_key(tmp_path, old, new, key):
    path = _edit(tmp_path, old, new)
    with pytest.raises(ConfigError) as err:
        load_readiness_config(path)
    assert key in str(err.value)
    assert str(path) in str(err.value)


def test_zero_equal_full_message_and_syntax_error(tmp_path):
    path = _edit(tmp_path, "zero = 240.0\nfull = 30.0", "zero = 30.0\nfull = 30.0")
    with pytest.raises(ConfigError, match="harus berbeda"):
        load_readiness_config(path)
    bad = tmp_path / "syntax.toml"
    bad.write_text("[classes\nmaju = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="TOML"):
        load_readiness_config(bad)
    with pytest.raises(ConfigError, match="tidak ditemukan"):
        load_readiness_config(tmp_path / "nope.toml")


def test_column_ranks_equal_scipy_rankdata_with_ties_and_nan():
    from scipy.stats import rankdata

    from geo.readiness._scoring import column_ranks

    rng = np.random.default_rng(1)
    for _ in range(100):
        n, k = int(rng.integers(1, 40)), int(rng.integers(1, 6))
        s = rng.integers(0, 5, (n, k)).astype(float)  # many ties
        s[rng.random((n, k)) < 0.2] = np.nan
        ours = column_ranks(s)
        ref = np.column_stack(
            [rankdata(-s[:, j], method="min", nan_policy="omit") for j in range(k)]
        )
        np.testing.assert_array_equal(ours, ref.astype(np.float32))


def test_competition_rank_equals_scipy_rankdata_in_one_and_two_dimensions():
    from scipy.stats import rankdata

    from geo.readiness._scoring import competition_rank

    rng = np.random.default_rng(2)
    for _ in range(100):
        n, k = int(rng.integers(1, 40)), int(rng.integers(1, 4))
        s = np.round(rng.normal(50, 20, (n, k)), int(rng.integers(0, 2)))  # some ties
        s[rng.random((n, k)) < 0.2] = np.nan
        ours = competition_rank(s)
        assert ours.dtype == np.float64 and ours.shape == s.shape
        np.testing.assert_array_equal(ours, rankdata(-s, axis=0, method="min",
                                                     nan_policy="omit"))
        np.testing.assert_array_equal(competition_rank(s[:, 0]),
                                      rankdata(-s[:, 0], method="min", nan_policy="omit"))
    assert competition_rank(np.empty(0)).shape == (0,)


def test_gap_templates_never_fail_on_data():
    from geo.readiness._scoring import render

    row = {"a": 2.345, "b": None, "c": "x", "d": float("nan")}
    assert render("{a:.1f} km, {b}, {c:.0f}, {d:.0f}, {zz}", row) == "2.3 km, ?, x, ?, ?"
    assert render("tanpa kolom", row) == "tanpa kolom"


@pytest.mark.parametrize("threads", [1, 2])
def test_monte_carlo_in_small_blocks_equals_one_block(threads):
    """Samples and percentile rows taken a few at a time give exactly the one-block result,
    rows never scored and draws that leave a row unscored included; so do the blocks run
    two at a time on threads."""
    from geo._parallel import workers
    from geo.readiness._scoring import monte_carlo_ranks

    rng = np.random.default_rng(3)
    dims = rng.integers(0, 6, (40, 4)).astype(float)  # ties
    dims[rng.random((40, 4)) < 0.3] = np.nan
    dims[[5, 17]] = np.nan  # never scored
    draws = rng.dirichlet(np.ones(4), size=25)
    draws[3, :] = [0.0, 0.0, 0.0, 1.0]  # rows without the last dimension are unscored here
    whole = monte_carlo_ranks(dims, draws, (10.0, 90.0), max_cells=10**9)
    with workers(threads):
        small = monte_carlo_ranks(dims, draws, (10.0, 90.0), max_cells=60)
    np.testing.assert_array_equal(small[0], whole[0])
    np.testing.assert_array_equal(small[1], whole[1])
    assert np.isnan(whole[0][[5, 17]]).all() and not np.isnan(whole[0]).all()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 30), st.integers(1, 60),
       st.floats(0.0, 100.0), st.floats(0.0, 100.0), st.integers(0, 2**32 - 1))
def test_lower_higher_percentiles_equal_numpys(n, m, p1, p2, seed):
    """The rank interval's two percentiles from one partition equal np.percentile's
    "lower" and "higher" methods, ties and any interval included."""
    from geo.readiness._scoring import _lower_higher

    lo_p, hi_p = min(p1, p2), max(p1, p2)
    r = np.random.default_rng(seed).integers(1, 8, (n, m)).astype(np.float32)
    lo, hi = _lower_higher(r, lo_p, hi_p)
    np.testing.assert_array_equal(lo, np.percentile(r, lo_p, axis=1, method="lower"))
    np.testing.assert_array_equal(hi, np.percentile(r, hi_p, axis=1, method="higher"))


def test_action_texts_in_forked_pieces_equal_one_process(tmp_path, monkeypatch):
    """The actions and tasks of pieces of rows run in forked processes equal the one
    process run row for row; the pieces ran elsewhere (a file per piece, named by its
    process). Which worker takes which piece is the pool's choice: one fast worker may
    take both, so only "not in this process" is asserted."""
    import os

    import geo.readiness.model as model
    from geo._parallel import workers

    cfg = load_readiness_config(DEFAULT_TOML)
    rng = np.random.default_rng(11)
    n = 23
    rows = [{"access_minutes": float(m), "access_gateway": f"G{i % 3}",
             "last_mile_m": float(rng.integers(0, 3000)),
             "route_road_km": 20.0, "route_paved_km": float(p), "route_paved_good_km": 0.0,
             "route_unpaved_km": 20.0 - float(p), "route_damaged_km": float(d),
             "umkm_30min": int(rng.integers(0, 4))}
            for i, (m, p, d) in enumerate(zip(rng.integers(5, 300, n), rng.integers(0, 21, n),
                                              rng.integers(0, 5, n), strict=True))]
    rows[4] = {}  # nothing known: the agencies without data
    df = frame(rows)
    alone = score_frame(df, cfg, ranks=False)
    seen = tmp_path / "pids"
    seen.mkdir()
    inner = model._actions_of_rows

    def marked(core, config, piece):
        (seen / f"{os.getpid()}-{piece.start}").touch()
        return inner(core, config, piece)

    monkeypatch.setattr(model, "_actions_of_rows", marked)
    monkeypatch.setattr(model, "_ACTION_PIECE_MIN", 5)
    with workers(2):
        forked = score_frame(df, cfg, ranks=False)
    assert forked["actions"].tolist() == alone["actions"].tolist()
    assert forked["tasks"].tolist() == alone["tasks"].tolist()
    assert len(set(alone["actions"])) > 5  # the rows differ
    marks = [p.name.split("-") for p in seen.iterdir()]
    assert sorted(int(start) for _, start in marks) == [0, 11]  # two pieces, each once
    assert os.getpid() not in {int(pid) for pid, _ in marks}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0.001, 5.0), min_size=2, max_size=60), st.randoms(use_true_random=False))
def test_a_route_all_paved_and_good_is_full_whatever_the_order_of_its_sums(
        km: list[float], rnd: Any) -> None:
    """A route whose road km are all paved and in good condition scores full on both PU
    road indicators and gets no road task, though each km total was added up in its own
    order (as the route sums of a shortest-path tree are): rounding in the last bit must
    not make a paved route 99,99999999999999 % paved."""
    cfg = load_readiness_config(DEFAULT_TOML)

    def total() -> float:
        order = km[:]
        rnd.shuffle(order)
        return sum(order, 0.0)  # a plain left fold, in that order

    road = total()
    row = {"access_minutes": 10.0, "access_gateway": "G", "last_mile_m": 0.0,
           "route_road_km": road, "route_km": road, "route_paved_km": total(),
           "route_paved_good_km": total(), "route_unpaved_km": 0.0, "route_damaged_km": 0.0,
           "route_unknown_surface_km": 0.0, "route_unknown_condition_km": 0.0}
    out = score_frame(frame([row]), cfg, ranks=False)
    assert out.loc[0, "ind_pu_jalan_aspal"] == 100.0
    assert out.loc[0, "ind_pu_jalan_mantap"] == 100.0
    tasks = json.loads(out.loc[0, "tasks"])
    assert not [t for t in tasks if t["indicator"] in ("jalan_aspal", "jalan_mantap")], tasks
