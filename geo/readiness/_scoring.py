"""Array kernels of the readiness score: normalisation, weighted means with unknowns,
completion gains (bottleneck), ranks and the Monte Carlo rank intervals.

Everything here is pure and vectorised over destinations (rows) and dimensions (columns).
Unknown values are NaN throughout: they are skipped by the means, never read as zero.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from geo import fmt
from geo._parallel import thread_map
from geo.words import bool_word, distinct_values, normalise_word

# Gains closer than this are treated as equal when choosing the bottleneck.
GAIN_TIE_TOL = 1e-9



def linear_score(x: np.ndarray, zero: float, full: float) -> np.ndarray:
    """Map values to 0-100, linear from ``zero`` (0) to ``full`` (100), clipped outside.

    ``full < zero`` means "less is better". NaN stays NaN (unknown).
    """
    t = (np.asarray(x, dtype=float) - zero) / (full - zero)
    return np.clip(t, 0.0, 1.0) * 100.0


def category_key(value: object) -> str | None:
    """Normalise a category cell: lower case, spaces and hyphens as ``_``; None when empty.

    Booleans become ``"true"``/``"false"``; whole floats lose their ``.0``.
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    text = normalise_word(str(value)).replace("-", "_").replace(" ", "_")
    return text or None


def categorical_score(
    values: pd.Series, mapping: Mapping[str, float], other: float | None
) -> np.ndarray:
    """Score text / yes-no cells by ``mapping`` (keys already normalised by :func:`category_key`).

    Yes/no words (ya, tidak, 1, 0, ...) are understood when the map only has true/false.
    A value not in the map scores ``other`` when given, else NaN (unknown).
    """
    boolean = set(mapping) <= {"true", "false"}
    miss = math.nan if other is None else float(other)

    def score(value: object) -> float:
        key = category_key(value)
        if boolean:  # the one yes/no table (geo.words): "t" is tidak
            flag = bool_word(value)
            key = key if flag is None else "true" if flag else "false"
        return math.nan if key is None else mapping.get(key, miss)

    # a column repeats a few words over many rows: each distinct cell is judged once
    # (True, 1 and 1.0 stay apart: equal in Python, not the same word)
    codes, cells = distinct_values(values)
    verdicts = np.array([score(c) for c in cells], dtype=float)
    out: np.ndarray = verdicts[codes]
    return out


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise weighted mean over the known (non-NaN) entries.

    Parameters
    ----------
    values
        (n, k) array, NaN = unknown.
    weights
        (k,) non-negative weights.

    Returns
    -------
    mean, known_weight
        ``mean`` is NaN where no entry with positive weight is known; ``known_weight`` is
        the sum of the weights of the known entries.
    """
    known = ~np.isnan(values)
    w = np.asarray(weights, dtype=float)
    num = np.where(known, values, 0.0) @ w
    den = known.astype(float) @ w
    mean = np.full(values.shape[0], np.nan)
    np.divide(num, den, out=mean, where=den > 0)
    return mean, den


def completion_gains(dim_scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Gain in the overall score from raising each known dimension to 100.

    With the weights renormalised over the known dimensions of each row, raising known
    dimension d from D_d to 100 adds W_d (100 - D_d) / sum_known W. Unknown dimensions get
    NaN (not eligible: there is nothing to raise until the agency supplies data).
    """
    known = ~np.isnan(dim_scores)
    w = np.asarray(weights, dtype=float)
    den = known.astype(float) @ w
    gains = w[None, :] * (100.0 - dim_scores)
    out = np.full(dim_scores.shape, np.nan)
    np.divide(gains, den[:, None], out=out, where=known & (den[:, None] > 0))
    return out


def pick_bottleneck(gains: np.ndarray) -> np.ndarray:
    """Index of the dimension with the largest gain per row, -1 when none gains anything.

    Ties (within :data:`GAIN_TIE_TOL`) go to the first dimension in configuration order.
    """
    g = np.where(np.isnan(gains), -np.inf, gains)
    best = g.max(axis=1, initial=-np.inf)
    tied = g >= (best - GAIN_TIE_TOL)[:, None]
    idx = np.argmax(tied, axis=1)
    return np.where(best > GAIN_TIE_TOL, idx, -1)


def competition_rank(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = highest score, ties share the best rank ("1224"), NaN stays NaN.

    Works along axis 0, so a (n, K) matrix is ranked column by column.
    """
    # not scipy.stats.rankdata: importing scipy.stats parses the docstrings of every
    # distribution (~0,4 s), paid by every command that scores on its first ranking
    s = np.asarray(scores, dtype=float)
    if s.size == 0:
        return s.copy()
    return column_ranks(s.reshape(len(s), -1), dtype=np.float64).reshape(s.shape)


def column_ranks(scores: np.ndarray, dtype: type[np.floating[Any]] = np.float32
                 ) -> np.ndarray:
    """:func:`competition_rank` of every column of a (n, K) matrix, as ``dtype``
    (float32 by default: the Monte Carlo ranks, many and far below 2**24).

    One argsort along axis 0 for all columns at once; the rank of each run of equal
    scores is the position of its first member. NaN scores sort last and stay NaN.
    """
    n = scores.shape[0]
    # ranked as rows of the transposed matrix: numpy sorts along the last axis of a
    # C-contiguous array about twice as fast as along axis 0 (measured on the Monte Carlo
    # chunks: 35 000 x 28 scores, 0,17 s -> 0,07 s for the sort)
    key = np.ascontiguousarray(np.where(np.isnan(scores), np.inf, -scores).T)
    order = np.argsort(key, axis=1)
    sk = np.take_along_axis(key, order, axis=1)
    new = np.ones(sk.shape, dtype=bool)
    new[:, 1:] = sk[:, 1:] != sk[:, :-1]
    pos = np.arange(1, n + 1, dtype=dtype)
    first = np.maximum.accumulate(np.where(new, pos, dtype(0)), axis=1)
    out = np.empty(key.shape, dtype=dtype)
    np.put_along_axis(out, order, first, axis=1)
    out = out.T
    out[np.isnan(scores)] = np.nan
    return out


def dirichlet_weights(
    weights: np.ndarray, samples: int, concentration: float, seed: int
) -> np.ndarray:
    """(samples, k) weight draws from Dirichlet(concentration x normalised weights).

    Dimensions with zero weight stay at zero in every draw (a Dirichlet needs alpha > 0).
    """
    w = np.asarray(weights, dtype=float)
    active = w > 0
    out = np.zeros((samples, w.size))
    if samples and active.any():
        rng = np.random.default_rng(seed)
        alpha = concentration * w[active] / w[active].sum()
        out[:, active] = rng.dirichlet(alpha, size=samples)
    return out


def monte_carlo_ranks(
    dim_scores: np.ndarray,
    weight_samples: np.ndarray,
    interval: tuple[float, float],
    *,
    max_cells: int = 1_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank interval of each destination over sampled weight vectors.

    For every sample the overall scores are one matrix product (known dimensions only, the
    weights renormalised per row), ranked with :func:`column_ranks`. Samples are taken
    in chunks so that no chunk holds more than ``max_cells`` scores, and the percentiles
    are taken over blocks of rows of at most ``max_cells`` ranks; one chunk or block per
    worker (:func:`geo._parallel.thread_map`) at a time.

    Returns
    -------
    low, high
        The ``interval`` percentiles of each row's rank ("lower" / "higher" interpolation,
        so both are ranks that occurred); NaN for rows never scored.
    """
    n, _ = dim_scores.shape
    k_samples = weight_samples.shape[0]
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    if n == 0 or k_samples == 0:
        return low, high
    known = ~np.isnan(dim_scores)
    filled = np.where(known, dim_scores, 0.0)
    knownf = known.astype(float)
    ranks = np.empty((n, k_samples), dtype=np.float32)
    step = max(1, max_cells // max(n, 1))

    # the chunks (and the row blocks below) on threads: their time is numpy's sorts and
    # partitions, which release the GIL, and each writes only its own part of the output
    def rank_chunk(start: int) -> None:
        w = weight_samples[start : start + step].T  # (k, chunk)
        num = filled @ w
        den = knownf @ w
        s = np.full(num.shape, np.nan)
        np.divide(num, den, out=s, where=den > 0)
        ranks[:, start : start + step] = column_ranks(s)

    thread_map(rank_chunk, range(0, k_samples, step))
    # percentiles a block of rows at a time: over the whole (n, samples) matrix numpy's
    # copies for partitioning cost ~3x the matrix (at 35 000 destinations and 1 000 draws,
    # ~400 MB above it); each row's percentiles depend on that row alone
    lo_p, hi_p = interval
    rows = max(1, max_cells // k_samples)

    def percentiles(start: int) -> None:
        block = ranks[start : start + rows]
        ok = ~np.isnan(block).all(axis=1)
        if not ok.any():
            return
        r = block[ok]
        if np.isnan(r).any():
            # nanpercentile loops over rows in Python; only when a draw left a row unscored
            low[start : start + rows][ok] = np.nanpercentile(r, lo_p, axis=1, method="lower")
            high[start : start + rows][ok] = np.nanpercentile(r, hi_p, axis=1,
                                                              method="higher")
        else:
            low[start : start + rows][ok], high[start : start + rows][ok] = (
                _lower_higher(r, lo_p, hi_p))

    thread_map(percentiles, range(0, n, rows))
    return low, high


def _lower_higher(r: np.ndarray, lo_p: float, hi_p: float) -> tuple[np.ndarray, np.ndarray]:
    """``np.percentile(r, lo_p, axis=1, method="lower")`` and ``(hi_p, "higher")`` of
    rows without NaN, from one partition of each row (numpy partitions once per call)."""
    m = r.shape[1]
    # numpy's own virtual indices for these methods, in the same float64 arithmetic
    k_lo = int(np.floor((m - 1) * np.true_divide(lo_p, 100)))
    k_hi = int(np.ceil((m - 1) * np.true_divide(hi_p, 100)))
    part = np.partition(r, sorted({k_lo, k_hi}), axis=1)
    return part[:, k_lo], part[:, k_hi]


def id_number(value: float, decimals: int = 1) -> str:
    """Indonesian number format: decimal comma, dot for thousands (``1.234,5``).

    Kept for the callers of :mod:`geo.readiness`; the format itself is :func:`geo.fmt.number`.
    """
    return fmt.number(value, decimals)


def _fmt(value: Any, spec: str) -> str:
    """Format one value; empty values print as ``?``, a spec that does not fit falls back."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "?"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


@lru_cache(maxsize=512)
def _compile(template: str) -> tuple[tuple[str, str | None, str], ...]:
    """(literal, field name, format spec) parts of a str.format template, parsed once."""
    return tuple(
        (literal, field, spec or "")
        for literal, field, spec, _ in string.Formatter().parse(template)
    )


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``template`` with row ``values``; unknown fields and empty values show ``?``.

    Only plain field names are supported (``{access_minutes:.0f}``), which is all the
    readiness configuration needs; no attribute or index lookups are evaluated.
    """
    out = []
    for literal, field, spec in _compile(template):
        out.append(literal)
        if field is not None:
            out.append(_fmt(values.get(field), spec))
    return "".join(out)
