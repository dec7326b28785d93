"""geo.readiness.analysis against hand-worked tables and the score definition worked out by hand.

The weight-scenario tests use a minimal configuration where every agency dimension has one
linear indicator ``x_<dim>`` (0 -> 0, 100 -> 100), so a dimension's score is its input and
the overall score is, by the definition in geo/readiness/model.py, the weighted mean of the known
inputs with the weights renormalised per row. The class follows ``score_low`` ([ranking] in
readiness.toml): the weighted mean with unknown inputs at 0 over all the weights. The expected
scores and classes are worked out from those definitions with numpy here, not taken from the
library.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.exceptions import ConfigError, SiapError
from geo.readiness import (
    ReadinessConfig,
    load_readiness_config,
    readiness_config_from_dict,
    score_frame,
)
from geo.readiness import analysis as an

# The five agency dimensions of the default data/readiness.toml (an explicit expectation:
# the code takes them from the TOML alone).
DIMENSIONS = ("pariwisata", "pu", "umkm", "kominfo", "perhubungan")

WEIGHTS = {"pariwisata": 0.3, "pu": 0.3, "umkm": 0.2, "kominfo": 0.1, "perhubungan": 0.1}
BOUNDS = (40.0, 60.0, 80.0)  # berkembang, maju, mandiri


def _config() -> ReadinessConfig:
    dims: dict[str, Any] = {}
    for d, w in WEIGHTS.items():
        dims[d] = {
            "agency": f"Dinas {d.title()}",
            "short": d.upper(),
            "four_a": ["atraksi"],
            "weight": w,
            "indicators": {"x": {"label": d, "column": f"x_{d}", "weight": 1.0,
                                 "zero": 0.0, "full": 100.0}},
        }
    return readiness_config_from_dict({
        "classes": {"berkembang": BOUNDS[0], "maju": BOUNDS[1], "mandiri": BOUNDS[2]},
        "monte_carlo": {"samples": 0},
        "dimensions": dims,
    })


def _inputs() -> pd.DataFrame:
    nan = math.nan
    # rows: dimension inputs in DIMENSIONS order
    values = {
        "A": [100, 100, 0, 100, 100],      # 0.8 -> 80 mandiri; raising umkm pulls it down
        "B": [50, 50, 50, 50, 50],         # 50 everywhere: no weight moves it
        "C": [70, 50, nan, nan, nan],      # only two known: (0.3*70+0.3*50)/0.6 = 60 maju
        "D": [nan, nan, nan, nan, nan],    # nothing known
        "E": [30, 90, 40, 0, 0],           # 0.3*30+0.3*90+0.2*40 = 44 berkembang
    }
    rows = []
    for k, v in values.items():
        row: dict[str, Any] = {"id": k, "name": f"Destinasi {k}"}
        row.update({f"x_{d}": x for d, x in zip(DIMENSIONS, v, strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)


def _reference_score(inputs: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    x = inputs[[f"x_{d}" for d in DIMENSIONS]].to_numpy(dtype=float)
    w = np.array([weights[d] for d in DIMENSIONS])
    known = ~np.isnan(x)
    num = np.where(known, x, 0.0) @ w
    den = known.astype(float) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _reference_low(inputs: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """What the data proves: unknown inputs at 0, every weight in the denominator; empty
    where nothing is known (no score, no class)."""
    x = inputs[[f"x_{d}" for d in DIMENSIONS]].to_numpy(dtype=float)
    w = np.array([weights[d] for d in DIMENSIONS])
    known = ~np.isnan(x)
    low = np.where(known, x, 0.0) @ w / w.sum()
    return np.where(known.any(axis=1), low, np.nan)


def _reference_class(s: float) -> str | None:
    if math.isnan(s):
        return None
    if s >= BOUNDS[2]:
        return "mandiri"
    if s >= BOUNDS[1]:
        return "maju"
    if s >= BOUNDS[0]:
        return "berkembang"
    return "rintisan"


LADDER = ["rintisan", "berkembang", "maju", "mandiri"]


def _same_class(got: object, want: str | None) -> bool:
    return bool(pd.isna(got)) if want is None else got == want


def test_class_changes_match_hand_worked_scores() -> None:
    cfg = _config()
    inputs = _inputs()
    scenarios = an.raised_weights(cfg, 3.0)
    assert list(scenarios) == list(DIMENSIONS)
    assert scenarios["pu"] == {"pu": pytest.approx(0.9)}
    ch = an.class_changes(inputs, cfg, scenarios)
    assert len(ch) == len(DIMENSIONS) * len(inputs)
    base = _reference_score(inputs, WEIGHTS)
    base_low = _reference_low(inputs, WEIGHTS)
    for scen in DIMENSIONS:
        w = dict(WEIGHTS)
        w[scen] = WEIGHTS[scen] * 3.0
        ref = _reference_score(inputs, w)
        got = ch[ch["scenario"] == scen]
        assert got["id"].tolist() == list("ABCDE")
        np.testing.assert_allclose(got["score_before"], base, rtol=1e-12)
        np.testing.assert_allclose(got["score_after"], ref, rtol=1e-12)
        for (_, r), sb, sa in zip(got.iterrows(), base_low, _reference_low(inputs, w),
                                  strict=True):
            cb, ca = _reference_class(sb), _reference_class(sa)
            assert _same_class(r["class_before"], cb) and _same_class(r["class_after"], ca)
            if cb is None or ca is None:
                assert pd.isna(r["step"])
                assert r["change"] == ("tetap" if cb == ca else "tidak diketahui")
            else:
                step = LADDER.index(ca) - LADDER.index(cb)
                assert r["step"] == step
                assert r["change"] == ("naik" if step > 0 else "turun" if step < 0 else "tetap")


def test_class_changes_hand_checked_rows() -> None:
    cfg = _config()
    ch = an.class_changes(_inputs(), cfg, {"umkm_x3": {"umkm": 0.6}, "pu_x3": {"pu": 0.9}})
    row = ch[(ch["scenario"] == "umkm_x3") & (ch["id"] == "A")].iloc[0]
    # A: (0.3*100 + 0.3*100 + 0.6*0 + 0.1*100 + 0.1*100) / 1.4 = 80 / 1.4 = 57.14:
    # from mandiri (80) two classes down to berkembang
    assert row["score_after"] == pytest.approx(80 / 1.4)
    assert (row["class_before"], row["class_after"], row["change"], row["step"]) == (
        "mandiri", "berkembang", "turun", -2)
    row = ch[(ch["scenario"] == "pu_x3") & (ch["id"] == "E")].iloc[0]
    # E: (0.3*30 + 0.9*90 + 0.2*40) / 1.6 = 98 / 1.6 = 61.25 -> maju, from berkembang (44)
    assert row["score_before"] == pytest.approx(44.0)
    assert row["score_after"] == pytest.approx(61.25)
    assert (row["class_before"], row["class_after"], row["step"]) == ("berkembang", "maju", 1)
    b = ch[ch["id"] == "B"]
    assert (b["change"] == "tetap").all() and np.allclose(b["score_after"], 50.0)

    summary = an.class_change_summary(ch)
    assert summary.index.tolist() == ["umkm_x3", "pu_x3"]
    # umkm_x3: A down; C unchanged (umkm unknown); E (9 + 27 + 24) / 1.4 = 42.9 stays
    assert summary.loc["umkm_x3", ["naik", "turun", "tetap", "tidak diketahui"]].tolist() == [
        0, 1, 4, 0]
    # pu_x3: C's proven score (unknowns at 0) (0.3*70 + 0.9*50) / 1.6 = 41.25 against
    # (0.3*70 + 0.3*50) / 1.0 = 36 before: rintisan -> berkembang (its point score falls from
    # 60 to 55); E up (above); A 140/1.6 = 87.5 stays mandiri
    assert summary.loc["pu_x3", ["naik", "turun", "tetap"]].tolist() == [2, 0, 3]
    assert summary.loc["pu_x3", "changed"] == (
        "Destinasi C (rintisan → berkembang); Destinasi E (berkembang → maju)")
    assert summary.loc["pu_x3", "mean_score_change"] == pytest.approx(
        ((87.5 - 80) + 0 + (55 - 60) + (61.25 - 44)) / 4)


def test_class_changes_same_weights_agree_with_score_frame() -> None:
    cfg = _config()
    inputs = _inputs()
    ch = an.class_changes(inputs, cfg, {"same": dict(WEIGHTS)})
    full = score_frame(inputs, cfg)
    np.testing.assert_allclose(ch["score_after"], full["score"], rtol=1e-12)
    assert ch["class_after"].tolist() == full["class"].tolist()
    assert (ch["change"] == "tetap").all()


def test_zero_weight_can_make_a_score_unknown() -> None:
    cfg = _config()
    inputs = _inputs()
    # C knows only pariwisata and pu: with both weighted 0 its score is unknown.
    ch = an.class_changes(inputs, cfg, {"no_access": {"pariwisata": 0.0, "pu": 0.0}})
    c = ch[ch["id"] == "C"].iloc[0]
    # before: proven (0.3*70 + 0.3*50) / 1.0 = 36 -> rintisan
    assert c["class_before"] == "rintisan" and pd.isna(c["class_after"])
    assert c["change"] == "tidak diketahui" and pd.isna(c["step"])
    d = ch[ch["id"] == "D"].iloc[0]
    assert d["change"] == "tetap"  # unknown before and after


def test_bad_scenarios_and_factors() -> None:
    cfg = _config()
    with pytest.raises(ConfigError, match="dimensi tidak dikenal"):
        an.class_changes(_inputs(), cfg, {"x": {"pariwisataa": 1.0}})
    for bad in (0, -1.0, math.nan, math.inf, "2"):
        with pytest.raises(SiapError, match="factor"):
            an.raised_weights(cfg, bad)  # type: ignore[arg-type]
    with pytest.raises(SiapError, match="'id'"):
        an.class_changes(_inputs().drop(columns="id"), cfg, {})
    assert an.class_changes(_inputs(), cfg, {}).empty


def _scores_table() -> pd.DataFrame:
    """A small hand-made scores table: gains as the definition gives them."""
    rows = [
        # id, name, score, class, rank, low, high, bottleneck, dims (par, pu, umkm, kom, hub)
        ("S1", "Satu", 90.0, "mandiri", 1, 1, 2, "pu", [95, 80, 100, 90, 100]),
        ("S2", "Dua", 70.0, "maju", 3, 2, 4, "pu", [80, 40, 90, 70, 100]),
        ("S3", "Tiga", 72.0, "maju", 2, 1, 3, "umkm", [90, 80, 20, 90, 100]),
        ("S4", "Empat", math.nan, None, None, None, None, None, [math.nan] * 5),
        ("S5", "Lima", 100.0, "mandiri", 1, 1, 1, None, [100] * 5),
        ("S6", "Enam", 30.0, "rintisan", 4, 3, 5, "pariwisata", [0, 60, 50, 40, 50]),
    ]
    recs = []
    w = np.array([WEIGHTS[d] for d in DIMENSIONS])
    for rid, name, score, cls, rank, low, high, bott, dims in rows:
        rec: dict[str, Any] = {"id": rid, "name": name, "score": score, "class": cls,
                               "rank": rank, "rank_low": low, "rank_high": high,
                               "bottleneck": bott, "coverage": 1.0}
        x = np.array(dims, dtype=float)
        for j, d in enumerate(DIMENSIONS):
            rec[f"score_{d}"] = x[j]
            # gain of raising d to 100: W_d (100 - D_d) / sum of W (all known here)
            rec[f"gain_{d}"] = w[j] * (100 - x[j]) / w.sum()
        recs.append(rec)
    t = pd.DataFrame(recs)
    for col in ("rank", "rank_low", "rank_high"):
        t[col] = pd.array(t[col], dtype="Int64")
    return t


def test_bottleneck_table_hand_counts() -> None:
    cfg = _config()
    t = an.bottleneck_table(_scores_table(), cfg)
    assert t.index.tolist() == ["pu", "pariwisata", "umkm", "kominfo", "perhubungan"]
    assert t["destinations"].tolist() == [2, 1, 1, 0, 0]
    assert t["share"].tolist() == pytest.approx([0.5, 0.25, 0.25, 0.0, 0.0])
    # pu holds back S1 (pu 80: gain 0.3*20 = 6) and S2 (pu 40: gain 0.3*60 = 18)
    assert t.loc["pu", "mean_gain"] == pytest.approx(12.0)
    assert t.loc["pu", "max_gain"] == pytest.approx(18.0)
    assert t.loc["pu", "mean_dimension_score"] == pytest.approx(60.0)
    assert t.loc["pu", "names"] == "Satu, Dua"  # rank order
    assert t.loc["umkm", "mean_gain"] == pytest.approx(0.2 * 80)
    assert t.loc["pariwisata", "agency"] == "Dinas Pariwisata"
    assert math.isnan(t.loc["kominfo", "mean_gain"]) and t.loc["kominfo", "names"] == ""


def test_agency_breakdown_and_rank_intervals() -> None:
    cfg = _config()
    scores = _scores_table()
    b = an.agency_breakdown(scores, cfg)
    # rank order, unknown last; ties (S1, S5 share rank 1) by id
    assert b.index.tolist() == ["S1", "S5", "S3", "S2", "S6", "S4"]
    assert list(b.columns) == ["name", "score", "class", "rank", "PARIWISATA", "PU", "UMKM",
                               "KOMINFO", "PERHUBUNGAN", "bottleneck", "coverage"]
    assert b.loc["S3", "UMKM"] == 20 and b.loc["S3", "bottleneck"] == "UMKM"
    assert pd.isna(b.loc["S5", "bottleneck"]) and pd.isna(b.loc["S4", "rank"])

    r = an.rank_intervals(scores)
    assert r.index.tolist() == ["S1", "S5", "S3", "S2", "S6"]  # S4 has no score
    assert r["width"].tolist() == [1, 0, 2, 2, 2]
    assert r.loc["S6", ["rank", "rank_low", "rank_high"]].tolist() == [4, 3, 5]
    assert (r["rank_low"] <= r["rank"]).all() and (r["rank"] <= r["rank_high"]).all()

    with pytest.raises(SiapError, match="gain_pu"):
        an.bottleneck_table(scores.drop(columns="gain_pu"), cfg)


def test_on_the_real_default_config_and_a_scored_table() -> None:
    """The default configuration: every agency is named, counts add up to the bottleneck
    column counted independently with collections.Counter."""
    from collections import Counter

    cfg = load_readiness_config()
    rng = np.random.default_rng(7)
    n = 40
    inputs = pd.DataFrame({"id": [f"d{i}" for i in range(n)], "name": [f"n{i}" for i in range(n)],
                           "access_minutes": rng.uniform(5, 200, n),
                           "umkm_30min": rng.integers(0, 30, n).astype(float),
                           "umkm_15min": rng.integers(0, 10, n).astype(float),
                           "umkm_types_30min": rng.integers(0, 5, n).astype(float)})
    scores = score_frame(inputs, cfg)
    t = an.bottleneck_table(scores, cfg)
    assert set(t.index) == set(cfg.names)
    counted = Counter(b for b in scores["bottleneck"] if isinstance(b, str))
    assert {d: int(t.loc[d, "destinations"]) for d in cfg.names} == {
        d: counted.get(d, 0) for d in cfg.names}
    assert t["destinations"].is_monotonic_decreasing


def _priorities_table() -> pd.DataFrame:
    # Three picks within the budget and two unselected sections, in rank order (benefit
    # per cost alone), which differs from the pick order; cumulative columns as a budget
    # run writes them (marginal gains at pick time, summed by hand along the picks; empty
    # off the programme).
    cost = [2e9, 1e9, 4e9, 3e9, 5e9]
    minutes = [30.0, 10.0, 8.0, 6.0, 0.0]
    gain = [1.5, math.nan, 0.5, 0.25, 0.0]
    return pd.DataFrame({
        "rank": [1, 3, 4, 2, 5],
        "ruas_id": ["R3", "R1", "R7", "R2", "R9"],
        "name": ["Jalan A", "Jalan B", "Jalan C", "Jalan D", "Jalan E"],
        "upgrade": ["tanah -> kerikil"] * 5,
        "cost_rp": cost,
        "minutes_saved": minutes,
        "score_gain": gain,
        "selected": [True, True, True, False, False],
        "pick_order": pd.array([1, 2, 3, None, None], dtype="Int64"),
        "cumulative_cost_rp": [2e9, 3e9, 7e9, math.nan, math.nan],
        "cumulative_minutes_saved": [30.0, 40.0, 48.0, math.nan, math.nan],
        "cumulative_score_gain": [1.5, 1.5, 2.0, math.nan, math.nan],
    })


def test_budget_curve_follows_the_picks() -> None:
    t = _priorities_table()
    shuffled = t.iloc[[3, 0, 4, 2, 1]]  # e.g. read back in another order
    for table in (t, shuffled):
        c = an.budget_curve(table)
        assert c["pick"].tolist() == [0, 1, 2, 3]
        assert c["ruas_id"].tolist() == ["", "R3", "R1", "R7"]
        assert c["cumulative_cost_rp"].tolist() == [0.0, 2e9, 3e9, 7e9]
        # the curve is the running sum of the picks (NaN gain = no known change)
        np.testing.assert_allclose(c["cumulative_cost_rp"], np.cumsum(c["cost_rp"]))
        np.testing.assert_allclose(c["cumulative_minutes_saved"], [0, 30, 40, 48])
        np.testing.assert_allclose(c["cumulative_score_gain"], [0, 1.5, 1.5, 2.0])
        assert c["cumulative_cost_rp"].is_monotonic_increasing


def test_budget_curve_without_picks_and_bad_tables() -> None:
    t = _priorities_table()
    t["selected"] = False
    c = an.budget_curve(t)
    assert len(c) == 1 and c.loc[0, "cumulative_cost_rp"] == 0.0
    t = _priorities_table()
    t.loc[1, "pick_order"] = pd.NA  # a selected section without its place in the programme
    with pytest.raises(SiapError, match="pick_order"):
        an.budget_curve(t)
    with pytest.raises(SiapError, match="cumulative_score_gain"):
        an.budget_curve(_priorities_table().drop(columns="cumulative_score_gain"))
