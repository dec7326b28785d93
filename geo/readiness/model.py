"""Multi-agency readiness scores: per agency (OPD), overall, class, bottleneck, actions, ranks.

The indicator set lives in ``data/readiness.toml`` (see its header for the exact rules),
validated by :mod:`geo.readiness.config`. This module scores a table of destinations
(:func:`score_frame`, pure); :mod:`geo.readiness.output` writes the scores files, and the
step on a workspace (the ``siapwisata score`` command) is :func:`geo.steps.score_workspace`.

Definitions (also in the TOML header):

- indicator score: 0-100 by the indicator's thresholds or category map; empty = unknown;
- dimension score: weighted mean of the dimension's KNOWN indicator scores; NaN when none
  is known;
- ``score``: weighted mean of the KNOWN dimension scores (weights renormalised per row),
  the point estimate;
- ``score_low`` / ``score_high`` (and ``score_<dim>_low`` / ``_high``): the same weighted
  means over ALL indicators and dimensions, unknown ones at 0 (low) and 100 (high); an
  indicator known only in part (``<column>_low``/``_high`` in the inputs, e.g. a route
  share with km of unknown surface) enters with its own bounds;
- ``coverage``: sum_d W_d * (known indicator weight in d / indicator weight of d) / sum_d W_d,
  i.e. the share of the full model's weight that rested on known data; an indicator known
  in part counts its known fraction (``<column>_known``);
- ``class``: rintisan / berkembang / maju / mandiri of ``score_low`` (what the data proves;
  ``[ranking]`` in the TOML) by the lower bounds in ``[classes]`` (inclusive); empty when
  nothing is known; ``class_provisional``: the bounds straddle a class boundary (the class
  could be higher) or coverage is below ``classes.min_coverage``;
- ``bottleneck``: the known dimension whose raise to 100 adds most to ``score`` (gain
  W_d (100 - D_d) / sum over known W); ties go to the first dimension in configuration order;
  unknown dimensions are not eligible (they appear in ``actions`` as "data belum tersedia");
  empty when no known dimension can gain (all at 100, or nothing known). A destination
  unreachable from every gateway is held back by the agency that holds access
  (``[access]`` in the TOML: roads, or boat/air beyond ``road_max_m`` from a reachable road);
- ``rank``: 1 = best ``score_low``, ties share the best rank; ``rank_low``/``rank_high``:
  the configured percentiles of that rank over Dirichlet draws of the dimension weights.
  Losing a known value can only lower ``score_low`` (a known value is >= 0, the bound
  puts an unknown one at 0), so a destination never gains rank by losing data.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import fmt
from geo._parallel import fork_map, slices
from geo.access import unreached_gateway_warnings
from geo.exceptions import SiapError
from geo.readiness import _scoring as sc
from geo.readiness.config import CLASSES, Classes, Indicator, ReadinessConfig
from geo.schema import UMKM_TYPES
from geo.words import parse_bool_words

SCORES_LAYER: Final = "scores"
DATA_TASK: Final = "_data"
"""The indicator key of the task "complete this agency's data" (no indicator known)."""
# Input columns copied to the output when present (route summary, nearest services).
PASS_THROUGH: Final = (
    "access_gateway_name",
    "connected",
    "route_km",
    "route_road_km",
    "route_paved_good_km",
    "route_unpaved_km",
    "route_damaged_km",
    "route_water_km",
    "route_air_km",
    "route_paved_km",
    "route_unknown_surface_km",
    "route_unknown_condition_km",
    "route_modes",
    "last_mile_m",
    "snap_m",
    "nearest_reachable_road_m",
    "nearest_lodging_min",
    "nearest_health_min",
    "nearest_fuel_min",
)
ASSUMPTION_NOTE: Final = (
    "ambang, bobot dan kecepatan adalah asumsi: lihat readiness.toml dan network.toml"
)


# Access columns that mean "unknown" when the workspace has no UMKM data at all.
UMKM_COLUMNS: Final = (
    "umkm_15min",
    "umkm_30min",
    "umkm_types_30min",
    *(f"umkm_{m}min_{t}" for m in (15, 30) for t in UMKM_TYPES),
)


# --- configuration ------------------------------------------------------------------------


# --- inputs -------------------------------------------------------------------------------


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(np.nan, index=df.index, dtype=float)


def _numeric(df: pd.DataFrame, name: str) -> np.ndarray:
    return pd.to_numeric(_column(df, name), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _bool_or_na(s: pd.Series) -> np.ndarray:
    """Reach flags as float 1/0/NaN from bools, 0/1 or yes/no words."""
    return parse_bool_words(s).astype("Float64").to_numpy(dtype=float, na_value=np.nan)


_SHARE_DECIMALS: Final = 12
"""Decimals a route share keeps (see :func:`_share`)."""


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole clipped to 0..1; NaN where whole is ~0 or unknown.

    Rounded to :data:`_SHARE_DECIMALS`: the km are sums of many rows, and a whole route
    paved gave 0,99999999999999 as often as 1 (by the order of the sums), enough to put
    a task on the route or not. Rounding errors of the sums are near 1e-15 of a share.
    """
    out = np.full(part.shape, np.nan)
    with np.errstate(invalid="ignore"):
        np.divide(part, whole, out=out, where=whole > 1e-6)
    return np.asarray(np.clip(np.round(out, _SHARE_DECIMALS), 0.0, 1.0))


def _share_bounds(df: pd.DataFrame, name: str, part: np.ndarray, road: np.ndarray,
                  unknown: np.ndarray) -> None:
    """``name`` = part / (road - unknown) and its bounds: unknown km all outside the part
    (``_low``) or all inside it (``_high``); ``_known`` = share of the road km known."""
    df[name] = _share(part, road - unknown)
    df[f"{name}_low"] = _share(part, road)
    df[f"{name}_high"] = _share(part + unknown, road)
    df[f"{name}_known"] = _share(road - unknown, road)


def _route_columns(df: pd.DataFrame, texts: bool) -> None:
    """Surface and condition shares of the route and, with ``texts``, their gap texts
    (see derive_inputs)."""
    n = len(df)
    road = _numeric(df, "route_road_km")
    good = _numeric(df, "route_paved_good_km")
    paved = _numeric(df, "route_paved_km")
    damaged = _numeric(df, "route_damaged_km")
    unpaved = _numeric(df, "route_unpaved_km")
    # Engine columns separating "no data" from "bad": unknown km are left out of both
    # numerator and denominator, so recording a section never lowers a share.
    has_us = "route_unknown_surface_km" in df.columns
    has_uc = "route_unknown_condition_km" in df.columns
    unk_s = np.nan_to_num(_numeric(df, "route_unknown_surface_km")) if has_us else np.zeros(n)
    unk_c = np.nan_to_num(_numeric(df, "route_unknown_condition_km")) if has_uc else np.zeros(n)
    _share_bounds(df, "route_paved_share", paved, road, unk_s)
    if has_uc:
        _share_bounds(df, "route_paved_good_share", good, road, unk_c)
    else:
        # No PU condition anywhere on the route (neither good nor damaged km): the
        # condition share is unknown, not zero (OSM rarely states a condition).
        no_condition = ~(np.nan_to_num(good) + np.nan_to_num(damaged) > 0)
        df["route_paved_good_share"] = np.where(no_condition, np.nan, _share(good, road))
    if not texts:
        return
    bare = np.nan_to_num(unpaved) - unk_s
    what = "jalan tanah/kerikil" if has_us else "jalan tak beraspal/tanpa data permukaan"
    df["route_unpaved_gap"] = [f"{sc.id_number(u)} km {what} di rute" if u >= 0.05 else ""
                               for u in bare]
    gaps: list[str] = []
    for d, p_, g, uc in zip(damaged, paved, good, unk_c, strict=True):
        if d >= 0.05:
            gaps.append(f"{sc.id_number(d)} km jalan rusak di rute")
        elif (uc if has_uc else p_ - g) >= 0.05:
            unsurveyed = uc if has_uc else p_ - g
            gaps.append(f"{sc.id_number(unsurveyed)} km jalan belum disurvei kondisinya di rute")
        else:
            gaps.append("")
    df["route_condition_gap"] = gaps


def _access_note(df: pd.DataFrame) -> list[str]:
    """", jalan terjangkau terdekat X km" for the unreachable-site action texts."""
    if "nearest_reachable_road_m" not in df.columns:
        return [", jarak ke jalan yang terjangkau belum diketahui"] * len(df)
    dist = _numeric(df, "nearest_reachable_road_m")
    return [", tidak ada jalan yang terjangkau dari gerbang" if np.isnan(m)
            else f", jalan terjangkau terdekat {sc.id_number(m / 1000.0)} km" for m in dist]


TEXT_COLUMNS: Final = ("route_unpaved_gap", "route_condition_gap", "access_note",
                       "moda_akses", "umkm_30min_note", "access_gateway_label")
"""The derived columns that are words for the action texts, not values to score."""


def derive_inputs(inputs: pd.DataFrame, *, texts: bool = True) -> pd.DataFrame:
    """Add the derived indicator columns (listed in the readiness TOML header) to a copy.

    - ``jumlah_fasilitas``: items in ``fasilitas`` (comma/semicolon separated) where empty;
    - ``route_paved_share``: ``route_paved_km / (route_road_km - route_unknown_surface_km)``
      (paved surface, any condition, of the km whose surface is known), empty when the
      route has no road km (boat or air only) or none of known surface; with
      ``_low`` / ``_high`` (unknown km all unpaved / all paved, over all road km) and
      ``_known`` (share of road km of known surface);
    - ``route_paved_good_share``: ``route_paved_good_km / (route_road_km -
      route_unknown_condition_km)``, with bounds as above; without the engine's
      ``route_unknown_condition_km`` the share is empty when no road km of the route has a
      PU condition (neither good nor damaged);
    - ``route_unpaved_gap``: "X km jalan tak beraspal/tanpa data permukaan di rute" (or
      "jalan tanah/kerikil" when unknown surfaces are given apart), empty below 0.05 km;
    - ``route_condition_gap``: "X km jalan rusak di rute", or when nothing is known to be
      damaged "Y km jalan belum disurvei kondisinya di rute", else empty;
    - ``access_note``: ", jalan terjangkau terdekat X km" from
      ``nearest_reachable_road_m`` (or that no road is reachable, or that the distance is
      not known) for the texts of unreachable sites;
    - ``moda_utama``: best option reaching the site (darat > perairan > udara > tidak_ada)
      from ``reach_road``/``reach_water``/``reach_air``; empty when none of them is known;
    - ``moda_akses``: the options other than road that reach the site, e.g. "perairan
      (perahu) atau udara" (for the Perhubungan gap text);
    - ``umkm_30min_note``: " (tidak ada penginapan)" when no lodging UMKM lies within 30 min;
    - ``access_gateway_label``: ``access_gateway_iata`` when given, else ``access_gateway``.

    ``moda_utama`` and ``access_gateway_label`` are kept when the input already has them;
    the other derived columns are always recomputed from their sources. Without ``texts``
    the :data:`TEXT_COLUMNS` are not made: the scores alone never read them unless an
    indicator names one (:func:`_score_core` asks for them then).
    """
    df = inputs.copy()
    n = len(df)

    if "fasilitas" in df.columns:
        text = df["fasilitas"].astype(object)
        counted = np.array(
            [
                float(len([p for p in re.split(r"[,;]", str(v)) if p.strip()]))
                if isinstance(v, str) and v.strip() else np.nan
                for v in text
            ]
        )
        have = pd.to_numeric(_column(df, "jumlah_fasilitas"), errors="coerce").to_numpy(float)
        # the facilities named are at least counted: the larger of the two when both are
        # given, so that losing either never raises the count
        df["jumlah_fasilitas"] = np.fmax(have, counted)

    if "route_road_km" in df.columns:
        _route_columns(df, texts)
    if texts:
        df["access_note"] = _access_note(df)

    reach = [c for c in ("reach_road", "reach_water", "reach_air") if c in df.columns]
    if reach and "moda_utama" not in df.columns:
        flags = {c: _bool_or_na(df[c]) for c in reach}
        road = flags.get("reach_road", np.full(n, np.nan))
        water = flags.get("reach_water", np.full(n, np.nan))
        air = flags.get("reach_air", np.full(n, np.nan))
        allnan = np.isnan(road) & np.isnan(water) & np.isnan(air)
        moda = np.full(n, "tidak_ada", dtype=object)
        # Later assignments win: the best option reaching the site decides.
        moda[allnan] = None
        moda[air == 1] = "udara"
        moda[water == 1] = "perairan"
        moda[road == 1] = "darat"
        df["moda_utama"] = pd.Series(moda, index=df.index, dtype=object)
        if texts:
            _moda_akses(df, water, air)
    if texts:
        _notes_and_labels(df)
    return df


def _moda_akses(df: pd.DataFrame, water: np.ndarray, air: np.ndarray) -> None:
    """``moda_akses`` (see derive_inputs) from the water and air reach flags."""
    df["moda_akses"] = [
        " atau ".join(name for name, flag in (("perairan (perahu)", w), ("udara", a))
                      if flag == 1)
        for w, a in zip(water, air, strict=True)
    ]


def _notes_and_labels(df: pd.DataFrame) -> None:
    """``umkm_30min_note`` and ``access_gateway_label`` (see derive_inputs)."""
    if "umkm_30min_penginapan" in df.columns:
        lodging = pd.to_numeric(df["umkm_30min_penginapan"], errors="coerce").to_numpy(float)
        df["umkm_30min_note"] = np.where(lodging == 0, " (tidak ada penginapan)", "")
    elif "umkm_30min_note" not in df.columns:
        df["umkm_30min_note"] = ""

    gw = _column(df, "access_gateway").astype(object)
    if "access_gateway_iata" in df.columns:
        iata = df["access_gateway_iata"].astype(object)
        gw = iata.where(iata.map(lambda v: isinstance(v, str) and bool(v.strip())), gw)
    if "access_gateway_label" not in df.columns:
        df["access_gateway_label"] = gw.where(gw.notna(), "gerbang")


# --- scoring ------------------------------------------------------------------------------


@dataclass
class _IndicatorResult:
    dimension: str
    name: str
    spec: Indicator
    scores: np.ndarray  # (n,) 0-100, NaN unknown
    missing_used: np.ndarray  # (n,) bool: empty cell scored by `missing`
    low: np.ndarray  # (n,) lowest possible score: unknown at 0, partly known at its bound
    high: np.ndarray  # (n,) highest possible score: unknown at 100
    known: np.ndarray  # (n,) known fraction 0-1 (coverage)


def _bounds(df: pd.DataFrame, spec: Indicator, scores: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lowest and highest possible score and known fraction of one indicator.

    Unknown: 0, 100, 0. Known: the score itself, unless the inputs carry
    ``<column>_low`` / ``<column>_high`` (the value with its unknown part at worst / best,
    e.g. a route share whose km of unknown surface are all unpaved / all paved) and
    ``<column>_known`` (the known fraction).
    """
    known = ~np.isnan(scores)
    low = np.where(known, scores, 0.0)
    high = np.where(known, scores, 100.0)
    frac = known.astype(float)
    if spec.numeric and f"{spec.column}_low" in df.columns and f"{spec.column}_high" in df.columns:
        assert spec.zero is not None and spec.full is not None
        a = sc.linear_score(_numeric(df, f"{spec.column}_low"), spec.zero, spec.full)
        b = sc.linear_score(_numeric(df, f"{spec.column}_high"), spec.zero, spec.full)
        low = np.fmin(low, np.where(known, np.fmin(a, b), np.nan))
        high = np.fmax(high, np.where(known, np.fmax(a, b), np.nan))
    if f"{spec.column}_known" in df.columns:
        k = np.clip(_numeric(df, f"{spec.column}_known"), 0.0, 1.0)
        frac = np.where(known & ~np.isnan(k), k, frac)
    return low, high, frac


def _score_indicator(df: pd.DataFrame, spec: Indicator) -> tuple[np.ndarray, np.ndarray] | None:
    """Scores of one indicator, or None when it is left out (``if_present`` and absent)."""
    n = len(df)
    if spec.column not in df.columns:
        if spec.if_present:
            return None
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    col = df[spec.column]
    if spec.map is not None:
        scores = sc.categorical_score(col, spec.map, spec.other)
        empty = np.array([sc.category_key(v) is None for v in col.to_numpy(dtype=object)], bool)
    else:
        assert spec.zero is not None and spec.full is not None
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        scores = sc.linear_score(x, spec.zero, spec.full)
        empty = np.isnan(x)
    used = np.zeros(n, dtype=bool)
    # A column with no value anywhere says nothing: it stays unknown even with `missing`.
    if spec.missing is not None and not empty.all():
        scores = np.where(empty, spec.missing, scores)
        used = empty
    return scores, used


@dataclass
class _Scored:
    """Intermediate arrays of one scoring run (shared by score_frame and tests)."""

    inputs: pd.DataFrame
    indicators: list[_IndicatorResult]
    dim_scores: np.ndarray  # (n, k)
    dim_low: np.ndarray  # (n, k) unknown indicators at 0
    dim_high: np.ndarray  # (n, k) unknown indicators at 100
    coverage: np.ndarray
    score: np.ndarray
    score_low: np.ndarray
    score_high: np.ndarray
    weights: np.ndarray  # (k,)
    gains: np.ndarray  # (n, k)
    bottleneck: np.ndarray  # (n,) index or -1
    names: list[str] = field(default_factory=list)


def _score_core(
    inputs: pd.DataFrame, config: ReadinessConfig, weights: Mapping[str, float] | None,
    *, texts: bool = True
) -> _Scored:
    w = config.weight_vector(weights)
    # the texts cost more than the scores (a formatted number per row): made only for
    # the frames that show them, or when an indicator scores one of them
    texts = texts or any(spec.column in TEXT_COLUMNS for dim in config.dimensions.values()
                         for spec in dim.indicators.values())
    df = derive_inputs(inputs, texts=texts)
    n = len(df)
    names = config.names
    dim_scores = np.full((n, len(names)), np.nan)
    # a dimension whose every indicator is left out is unknown: 0 .. 100
    dim_low = np.zeros((n, len(names)))
    dim_high = np.full((n, len(names)), 100.0)
    known_share = np.zeros((n, len(names)))
    results: list[_IndicatorResult] = []
    for j, name in enumerate(names):
        dim = config.dimensions[name]
        cols, lows, highs, fracs, iw = [], [], [], [], []
        for ind_name, spec in dim.indicators.items():
            got = _score_indicator(df, spec)
            if got is None:
                continue
            low, high, frac = _bounds(df, spec, got[0])
            results.append(_IndicatorResult(name, ind_name, spec, got[0], got[1], low, high,
                                            frac))
            cols.append(got[0])
            lows.append(low)
            highs.append(high)
            fracs.append(frac)
            iw.append(spec.weight)
        if not cols:
            continue  # every indicator left out: the dimension is unknown everywhere
        iw_arr = np.array(iw)
        dim_scores[:, j], _ = sc.weighted_mean(np.column_stack(cols), iw_arr)
        dim_low[:, j] = np.column_stack(lows) @ iw_arr / iw_arr.sum()
        dim_high[:, j] = np.column_stack(highs) @ iw_arr / iw_arr.sum()
        known_share[:, j] = np.column_stack(fracs) @ iw_arr / iw_arr.sum()
    # Weighted means of values in [0, 100] (a share in [0, 1]); rounding of the sums may
    # step an ulp outside (coverage 1.0000000000000002 with six dimensions of weight sum
    # 1.2, score_high 100.00000000000001 for some API weights): clipped back, order kept.
    score = np.clip(sc.weighted_mean(dim_scores, w)[0], 0.0, 100.0)
    coverage = np.clip(known_share @ w / w.sum(), 0.0, 1.0)
    gains = sc.completion_gains(dim_scores, w)
    bottleneck = _access_bottleneck(df, config, sc.pick_bottleneck(gains))
    return _Scored(
        inputs=df,
        indicators=results,
        dim_scores=dim_scores,
        dim_low=dim_low,
        dim_high=dim_high,
        coverage=coverage,
        score=score,
        score_low=np.clip(dim_low @ w / w.sum(), 0.0, 100.0),
        score_high=np.clip(dim_high @ w / w.sum(), 0.0, 100.0),
        weights=w,
        gains=gains,
        bottleneck=bottleneck,
        names=names,
    )


def unreachable(df: pd.DataFrame, config: ReadinessConfig) -> np.ndarray:
    """Rows the accessibility engine reports unreachable from every gateway.

    The ``[access].minutes`` is empty while the column holds values elsewhere (a
    column empty everywhere means no trip origins: unknown, not unreachable).
    """
    if config.access is None or config.access.minutes not in df.columns:
        return np.zeros(len(df), dtype=bool)
    minutes = _numeric(df, config.access.minutes)
    empty = np.isnan(minutes)
    return empty if not empty.all() else np.zeros(len(df), dtype=bool)


def _access_bottleneck(df: pd.DataFrame, config: ReadinessConfig,
                       picked: np.ndarray) -> np.ndarray:
    """The bottleneck, with unreachable sites held back by the agency that holds access.

    Road dimension when a reachable road lies within ``road_max_m`` (or the distance is
    not in the data), the boat/air dimension when it lies farther or there is no
    reachable road at all (``nearest_reachable_road_m`` empty).
    """
    acc = config.access
    cut = unreachable(df, config)
    if acc is None or not cut.any():
        return picked
    names = config.names
    road, other = names.index(acc.road_dimension), names.index(acc.other_dimension)
    if "nearest_reachable_road_m" in df.columns:
        dist = _numeric(df, "nearest_reachable_road_m")
        by_road = dist <= acc.road_max_m  # NaN (no reachable road) -> boat or air
    else:
        by_road = np.ones(len(df), dtype=bool)
    return np.where(cut, np.where(by_road, road, other), picked)


def classify(score: np.ndarray, classes: Classes) -> np.ndarray:
    """Class of each score by the inclusive lower bounds; None where the score is NaN."""
    s = np.asarray(score, dtype=float)
    out = np.full(s.shape, None, dtype=object)
    # Ascending bounds, later assignments win (NaN compares False and stays None).
    out[s >= -np.inf] = "rintisan"
    out[s >= classes.berkembang] = "berkembang"
    out[s >= classes.maju] = "maju"
    out[s >= classes.mandiri] = "mandiri"
    return out


def class_basis(score: np.ndarray, score_low: np.ndarray) -> np.ndarray:
    """The value class and rank follow (``[ranking]``): ``score_low``, what the data proves.

    Rows with nothing known (``score`` empty) stay unranked and unclassed. Every caller that
    classes or ranks scores (the scores layer, weight scenarios) goes through here.
    """
    score = np.asarray(score, dtype=float)
    return np.where(~np.isnan(score), np.asarray(score_low, dtype=float), np.nan)


def overall_scores(
    inputs: pd.DataFrame, config: ReadinessConfig, weights: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Fast path without ranks or texts: ``score``, ``score_low``, ``score_high``,
    ``coverage`` and ``score_<dimension>`` (with ``_low`` / ``_high``).

    Indexed like ``inputs``; used where scores are recomputed many times (priorities).
    """
    core = _score_core(inputs, config, weights, texts=False)
    data: dict[str, Any] = {"score": core.score, "score_low": core.score_low,
                            "score_high": core.score_high, "coverage": core.coverage}
    for j, name in enumerate(core.names):
        data[f"score_{name}"] = core.dim_scores[:, j]
        data[f"score_{name}_low"] = core.dim_low[:, j]
        data[f"score_{name}_high"] = core.dim_high[:, j]
    return pd.DataFrame(data, index=inputs.index)


def _gap_text(ind: _IndicatorResult, row: Mapping[str, Any], missing_used: bool) -> str:
    spec = ind.spec
    if missing_used:
        return sc.render(spec.missing_gap, row) if spec.missing_gap else f"{spec.label}: tidak ada"
    template = spec.gap
    if isinstance(template, dict):
        key = sc.category_key(row.get(spec.column))
        chosen = template.get(key or "", template.get("*"))
        if chosen is not None:
            return sc.render(chosen, row)  # may be "" on purpose: named by another gap
        template = ""
    if not template:
        return f"{spec.label}: {sc.render('{v}', {'v': row.get(spec.column)})}"
    return sc.render(template, row)


def _task_text(ind: _IndicatorResult, row: Mapping[str, Any], missing_used: bool,
               gap: str) -> str:
    """The gap written as a task (``task`` / ``missing_task`` of readiness.toml: what to do);
    ``gap`` (:func:`_gap_text` of the same row) when the indicator names no task. "" =
    named by another indicator."""
    spec = ind.spec
    if not gap.strip():
        return ""  # the gap is named by another indicator: so is its task
    if missing_used and spec.missing_task:
        return sc.render(spec.missing_task, row)
    template = spec.task
    if isinstance(template, dict):
        key = sc.category_key(row.get(spec.column))
        chosen = template.get(key or "", template.get("*"))
        if chosen is not None:
            return sc.render(chosen, row)
        template = ""
    if template and not missing_used:
        return sc.render(template, row)
    return gap


class _Columns(dict[str, np.ndarray]):
    """The columns of a frame as object arrays, each made when first read: the gap texts
    read a few of the input table's ~100 columns (converting them all was a fifth of
    :func:`_actions` on Andorra)."""

    def __init__(self, frame: pd.DataFrame):
        super().__init__()
        self._frame = frame
        self._label = {str(c): c for c in frame.columns}
        self.names = list(self._label)

    def __missing__(self, key: str) -> np.ndarray:
        if key not in self._label:
            raise KeyError(key)
        values = self[key] = self._frame[self._label[key]].to_numpy(dtype=object)
        return values


class _RowView(Mapping[str, Any]):
    """Row ``i`` of column arrays, read only where a gap text asks for a field.

    Converting the whole (wide) input table to dicts per row cost more than the scoring.
    """

    def __init__(self, columns: _Columns, i: int):
        self._columns = columns
        self._i = i

    def __getitem__(self, key: str) -> Any:
        return self._columns[key][self._i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns.names)

    def __len__(self) -> int:
        return len(self._columns.names)


_ACTION_PIECE_MIN: Final = 4000
"""Fewest destinations per forked piece of :func:`_actions` (~50 µs of Python each: a
smaller piece is over before a fork pays off)."""


def _actions(core: _Scored, config: ReadinessConfig) -> tuple[list[str], list[str]]:
    """Per destination: the ``actions`` text (agency tasks ordered by gain, then agencies
    without data) and the ``tasks`` JSON (every indicator below 100 as a task:
    ``dimension``, ``indicator``, ``text``, ``gap``, ``proof``; ``_data`` for an agency
    without data), which :mod:`geo.steps.tasks` lists.

    The texts are Python work per destination, each row's alone: contiguous pieces of
    rows run on the workers' forked processes (:func:`geo._parallel.fork_map`)."""
    parts = fork_map(lambda rows: _actions_of_rows(core, config, rows),
                     slices(len(core.inputs), least=_ACTION_PIECE_MIN))
    return ([text for out, _ in parts for text in out],
            [task for _, tasks in parts for task in tasks])


def _actions_of_rows(core: _Scored, config: ReadinessConfig, rows: slice
                     ) -> tuple[list[str], list[str]]:
    """:func:`_actions` of the destinations ``rows``."""
    by_dim: dict[str, list[_IndicatorResult]] = {}
    for ind in core.indicators:
        by_dim.setdefault(ind.dimension, []).append(ind)
    columns = _Columns(core.inputs)
    cap = config.actions.max_gaps_per_dimension
    # the loop below is per destination: it reads Python floats (a list per array, made
    # once for the piece's rows), not numpy scalars, whose every index and test cost
    # several times more. ``i`` counts in the piece, ``row`` reads the input table.
    gains_of, first_of = core.gains[rows].tolist(), core.bottleneck[rows].tolist()
    dim_of, weights = core.dim_scores[rows].tolist(), core.weights.tolist()
    scores_of = {id(ind): ind.scores[rows].tolist() for ind in core.indicators}
    missing_of = {id(ind): ind.missing_used[rows].tolist() for ind in core.indicators}
    dims = list(enumerate(core.names))
    out: list[str] = []
    tasks: list[str] = []
    for i, at in enumerate(range(*rows.indices(len(core.inputs)))):
        row = _RowView(columns, at)
        gains = gains_of[i]
        first = int(first_of[i])
        # the bottleneck first (for an unreachable site: the agency that holds access)
        order = sorted(
            (j for j in range(len(core.names)) if not math.isnan(gains[j])
             and (gains[j] > sc.GAIN_TIE_TOL or j == first)),
            key=lambda j: (j != first, -gains[j], j),
        )
        parts: list[str] = []
        items: list[dict[str, str]] = []
        # each indicator's texts are rendered once per row: the task list and the
        # actions text both read them (rendering is most of this loop's time)
        task_of: dict[int, str] = {}
        below: dict[str, list[tuple[float, int, _IndicatorResult]]] = {}
        for _, name in dims:
            gaps = below[name] = []
            for k, ind in enumerate(by_dim.get(name, [])):
                score = scores_of[id(ind)][i]
                if math.isnan(score) or score >= 100.0:
                    continue
                gaps.append((ind.spec.weight * (100.0 - score), k, ind))
                used = bool(missing_of[id(ind)][i])
                gap = _gap_text(ind, row, used)
                text = task_of[id(ind)] = _task_text(ind, row, used, gap)
                if text.strip():
                    items.append({"dimension": name, "indicator": ind.name, "text": text,
                                  "gap": gap, "proof": ind.spec.proof})
        for j in order:
            name = core.names[j]
            gaps = sorted(below[name], key=lambda t: (-t[0], t[1]))
            if not gaps:
                continue
            rendered = [task_of[id(ind)] for _, _, ind in gaps]
            # A template may render empty when another indicator already names the gap.
            texts = [t for t in rendered if t.strip()][:cap] or [gaps[0][2].spec.label]
            parts.append(f"{config.dimensions[name].short}: {', '.join(texts)}")
        for j, name in dims:
            if math.isnan(dim_of[i][j]) and weights[j] > 0:
                parts.append(f"{config.dimensions[name].short}: {config.actions.unknown_text}")
                proofs = [ind.spec.proof for ind in by_dim.get(name, []) if ind.spec.proof]
                items.append({
                    "dimension": name, "indicator": DATA_TASK,
                    "text": sc.render(config.actions.data_task,
                                      {"unknown_text": config.actions.unknown_text}),
                    "gap": config.actions.unknown_text,
                    "proof": proofs[0].partition(".")[0] if proofs else ""})
        out.append("; ".join(parts))
        tasks.append(json.dumps(items, ensure_ascii=False))
    return out, tasks


def _synthetic(df: pd.DataFrame) -> np.ndarray:
    prov = _column(df, "provenance").astype(object)
    syn = prov.map(lambda v: isinstance(v, str) and v.strip().lower() == "synthetic")
    flag = syn.to_numpy(dtype=bool)
    if "inputs_synthetic" in df.columns:
        flag = flag | (_bool_or_na(df["inputs_synthetic"]) == 1)
    return flag


def _nullable_int(a: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array([pd.NA if np.isnan(v) else int(v) for v in a], dtype="Int64")


def score_frame(
    inputs: pd.DataFrame,
    config: ReadinessConfig,
    weights: Mapping[str, float] | None = None,
    *,
    ranks: bool = True,
) -> pd.DataFrame:
    """Score destinations. PURE: reads only ``inputs`` and ``config``.

    Parameters
    ----------
    inputs
        One row per destination: ``id`` (required), ``name``, ``provenance``, the agency
        attributes and the columns of ``geo.access.AccessResult.destinations``. Absent
        columns are unknown. An optional bool ``inputs_synthetic`` marks rows whose inputs
        (roads, UMKM, gateways) hold synthetic data.
    config
        A validated :class:`ReadinessConfig`.
    weights
        Dimension weights overriding the configured ones (others keep theirs); also the
        centre of the Monte Carlo draws.
    ranks
        Compute ``rank_low``/``rank_high`` by Monte Carlo (``False``: both equal ``rank``).

    Returns
    -------
    pandas.DataFrame (GeoDataFrame when ``inputs`` is one)
        One row per input row, in input order, with the columns of issue 3 (``id``, ``name``,
        ``provenance``, ``score``, ``class``, ``bottleneck``, ``coverage``,
        ``score_<dimension>``, ``access_minutes``, ``access_gateway``, ``umkm_15min``,
        ``umkm_30min``, ``rank``, ``rank_low``, ``rank_high``, ``actions``) and extras:
        ``synthetic``, ``destination_provenance``, ``bottleneck_agency``, ``gain_<dimension>``,
        route summary columns, ``ind_<dimension>_<indicator>`` and ``assumptions``.

    Raises
    ------
    SiapError
        ``inputs`` lacks ``id``; ConfigError for bad ``weights``.
    """
    if "id" not in inputs.columns:
        raise SiapError("score_frame: input tanpa kolom 'id'")
    core = _score_core(inputs, config, weights)
    df = core.inputs
    n = len(df)
    names = core.names

    scored = ~np.isnan(core.score)
    basis = class_basis(core.score, core.score_low)
    rank = sc.competition_rank(basis)
    mc = config.monte_carlo
    if ranks and mc.samples > 0:
        draws = sc.dirichlet_weights(core.weights, mc.samples, mc.concentration, mc.seed)
        # the dimension lower bounds have no unknowns: each draw ranks that draw's score_low
        dim_basis = np.where(scored[:, None], core.dim_low, np.nan)
        low, high = sc.monte_carlo_ranks(dim_basis, draws, mc.interval)
    else:
        low, high = rank.copy(), rank.copy()
    klass = classify(basis, config.classes)
    straddles = klass != classify(np.where(scored, core.score_high, np.nan), config.classes)

    synthetic = _synthetic(df)
    dest_prov = _column(df, "provenance").astype(object)
    bidx = core.bottleneck
    bottleneck = np.array([names[b] if b >= 0 else None for b in bidx], dtype=object)
    agency = np.array(
        [config.dimensions[names[b]].agency if b >= 0 else None for b in bidx], dtype=object
    )

    out: dict[str, Any] = {
        "id": df["id"].to_numpy(dtype=object),
        "name": _column(df, "name").astype(object).to_numpy(),
        "category": _column(df, "category").astype(object).to_numpy(),
        "provenance": np.where(synthetic, "synthetic", dest_prov.to_numpy()),
        "destination_provenance": dest_prov.to_numpy(),
        "synthetic": synthetic,
        "score": core.score,
        "score_low": core.score_low,
        "score_high": core.score_high,
        "class": klass,
        "class_provisional": scored & (straddles
                                       | (core.coverage < config.classes.min_coverage)),
        "bottleneck": bottleneck,
        "bottleneck_agency": agency,
        "coverage": core.coverage,
    }
    for j, name in enumerate(names):
        out[f"score_{name}"] = core.dim_scores[:, j]
        out[f"score_{name}_low"] = core.dim_low[:, j]
        out[f"score_{name}_high"] = core.dim_high[:, j]
    for col in ("access_minutes", "access_gateway", "umkm_15min", "umkm_30min"):
        out[col] = _column(df, col).to_numpy()
    for col in PASS_THROUGH:
        if col in df.columns:
            out[col] = df[col].to_numpy()
    out["rank"] = _nullable_int(rank)
    out["rank_low"] = _nullable_int(low)
    out["rank_high"] = _nullable_int(high)
    out["actions"], out["tasks"] = _actions(core, config) if n else ([], [])
    for j, name in enumerate(names):
        out[f"gain_{name}"] = core.gains[:, j]
    for ind in core.indicators:
        out[f"ind_{ind.dimension}_{ind.name}"] = ind.scores
    out["assumptions"] = ASSUMPTION_NOTE
    table = pd.DataFrame(out, index=pd.RangeIndex(n))
    if isinstance(inputs, gpd.GeoDataFrame):
        located: pd.DataFrame = gpd.GeoDataFrame(
            table, geometry=np.asarray(inputs.geometry.values), crs=inputs.crs)
        return located
    return table


# --- workspace step -----------------------------------------------------------------------


@dataclass
class ScoreResult:
    """What :func:`geo.steps.score_workspace` produced."""

    table: gpd.GeoDataFrame
    config: ReadinessConfig
    config_path: Path
    out: Path | None = None
    notes: list[str] = field(default_factory=list)
    gateways: pd.DataFrame | None = None
    """Per gateway: whether it joined the network and ``destinations_reached``."""

    @property
    def synthetic(self) -> bool:
        return bool(self.table["synthetic"].any()) if len(self.table) else False

    def summary(self) -> str:
        """A few lines in Bahasa Indonesia for the terminal."""
        t = self.table
        lines = [f"Skor kesiapan: {len(t)} destinasi"]
        counts = t["class"].value_counts()
        lines.append(
            "Kelas: "
            + ", ".join(f"{c} {int(counts.get(c, 0))}" for c in reversed(CLASSES))
            + (f", tidak diketahui {int(t['class'].isna().sum())}" if t["class"].isna().any() else "")
        )
        b = t["bottleneck"].value_counts()
        if len(b):
            lines.append(
                "Penghambat utama: "
                + ", ".join(
                    f"{self.config.dimensions[str(k)].short} {int(v)}" for k, v in b.items()
                )
            )
        if len(t):
            lines.append(f"Kelengkapan data rata-rata: {fmt.number(t['coverage'].mean(), 2)}")
            provisional = int(t["class_provisional"].sum()) if "class_provisional" in t else 0
            if provisional:
                lines.append(
                    f"Kelas sementara: {provisional} destinasi: kelas "
                    "bisa lebih tinggi bila data yang kosong dilengkapi (rentang skor melewati "
                    f"batas kelas, atau kelengkapan data < "
                    f"{sc.id_number(self.config.classes.min_coverage, 2)}); kelas dan peringkat "
                    "memakai skor terbukti (score_low)"
                )
            top = t[t["score"].notna()].sort_values(["rank", "id"]).head(5)
            for _, r in top.iterrows():
                lines.append(
                    f"  {int(r['rank'])}. {r['name']} ({r['id']}): terbukti "
                    f"{sc.id_number(r['score_low'])} (rentang {sc.id_number(r['score_low'])}-"
                    f"{sc.id_number(r['score_high'])}, perkiraan {sc.id_number(r['score'])}), "
                    f"{r['class']}, peringkat {int(r['rank_low'])}-{int(r['rank_high'])}"
                )
        if self.gateways is not None and len(self.gateways):
            lines.extend(gateway_lines(self.gateways))
        lines.extend(f"Catatan: {note}" for note in self.notes)
        lines.append("Catatan: " + ASSUMPTION_NOTE + f" ({self.config_path.name}).")
        if self.synthetic:
            lines.append(
                "DATA CONTOH (SINTETIS): skor ini memakai data sintetis, bukan survei wilayah "
                "nyata."
            )
        return "\n".join(lines)


def gateway_lines(report: pd.DataFrame) -> list[str]:
    """Terminal lines of the gateways report: destinations reached per gateway, and a
    warning for every gateway that reaches none (shared by ``score`` and ``info``)."""
    lines = ["Gerbang: jumlah destinasi terjangkau"]
    for _, r in report.iterrows():  # one line per gateway: a handful of rows
        name = r.get("name")
        label = f"{name} ({r['id']})" if isinstance(name, str) and name else str(r["id"])
        count = fmt.integer(r["destinations_reached"])
        lines.append(f"  {label}: {count}")
    lines.extend(unreached_gateway_warnings(report))
    return lines


# --- file output --------------------------------------------------------------------------


def split_actions(actions: object) -> list[str]:
    """The ``actions`` column as a list: one action per line or per '; ' (as
    :func:`_actions` joins them)."""
    if actions is None or (isinstance(actions, float) and math.isnan(actions)):
        return []
    text = str(actions).strip()
    if not text:
        return []
    parts = re.split(r"\s*(?:\n|;\s|\|)\s*", text)
    return [p.strip(" ;") for p in parts if p.strip(" ;")]
