"""Analyst tables on top of the readiness scores (used by the notebooks in ``notebooks/``).

Everything here is PURE: it reads frames that the library already produced (the ``scores``
layer / :attr:`geo.readiness.ScoreResult.table`, the scoring inputs of
:func:`geo.steps.build_inputs`) and returns new frames for display. Scores are never
recomputed here by a twin formula: weight scenarios go through
:func:`geo.readiness.overall_scores` and :func:`geo.readiness.classify`.

- :func:`agency_breakdown`: one row per destination, one column per agency (OPD);
- :func:`bottleneck_table`: per agency, the destinations it holds back and what lifting it
  would add;
- :func:`rank_intervals`: rank and Monte Carlo rank interval per destination, for a plot;
- :func:`raised_weights`, :func:`class_changes`, :func:`class_change_summary`: how classes
  move when one agency's weight is raised in turn;
- :func:`budget_curve`: readiness gained against Rupiah spent along the picks of a budget
  run of the road priorities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from geo.exceptions import SiapError
from geo.readiness import CLASSES, ReadinessConfig, class_basis, classify, overall_scores

# Position of each class on the ladder rintisan < berkembang < maju < mandiri.
CLASS_LEVEL: Final[dict[str, int]] = {c: i for i, c in enumerate(CLASSES)}
CHANGE_UP: Final = "naik"
CHANGE_DOWN: Final = "turun"
CHANGE_SAME: Final = "tetap"
CHANGE_UNKNOWN: Final = "tidak diketahui"


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SiapError(
            f"{what}: kolom tidak ada {', '.join(missing)}; "
            "gunakan tabel skor dari score_workspace / layer 'scores'"
        )


def _ranked(scores: pd.DataFrame) -> pd.DataFrame:
    """Rows in rank order (unknown scores last), ties by id: the order tables are read in."""
    order = pd.DataFrame({
        "rank": pd.to_numeric(scores["rank"], errors="coerce").to_numpy(dtype=float),
        "id": scores["id"].astype(str).to_numpy(),
    })
    pos = order.sort_values(["rank", "id"], na_position="last", kind="stable").index
    return scores.iloc[np.asarray(pos)]


def agency_breakdown(scores: pd.DataFrame, config: ReadinessConfig) -> pd.DataFrame:
    """Per-agency (OPD) scores of every destination, in rank order.

    Parameters
    ----------
    scores
        The scores table (``score_workspace(...).table`` or ``ws.read("scores")``).
    config
        The readiness configuration the scores were made with (agency short names).

    Returns
    -------
    pandas.DataFrame
        Indexed by destination ``id``: ``name``, ``score``, ``class``, ``rank``, one column
        per dimension named by its agency short name (e.g. ``PU``; NaN = unknown), then
        ``bottleneck`` as that short name and ``coverage``.
    """
    dims = config.names
    _require(scores, ["id", "name", "score", "class", "rank", "bottleneck", "coverage",
                      *(f"score_{d}" for d in dims)], "agency_breakdown")
    t = _ranked(scores)
    short = {d: config.dimensions[d].short for d in dims}
    out = pd.DataFrame({
        "name": t["name"].to_numpy(dtype=object),
        "score": pd.to_numeric(t["score"], errors="coerce").to_numpy(dtype=float),
        "class": t["class"].to_numpy(dtype=object),
        "rank": pd.to_numeric(t["rank"], errors="coerce").astype("Int64").to_numpy(dtype=object),
    }, index=pd.Index(t["id"].astype(str).to_numpy(), name="id"))
    out["rank"] = out["rank"].astype("Int64")
    for d in dims:
        out[short[d]] = pd.to_numeric(t[f"score_{d}"], errors="coerce").to_numpy(dtype=float)
    out["bottleneck"] = [short.get(b) if isinstance(b, str) else None for b in t["bottleneck"]]
    out["coverage"] = pd.to_numeric(t["coverage"], errors="coerce").to_numpy(dtype=float)
    return out


def bottleneck_table(scores: pd.DataFrame, config: ReadinessConfig) -> pd.DataFrame:
    """Which agency holds back how many destinations, and what lifting it would add.

    One row per dimension in configuration order, also for agencies that hold back none
    (so the table always names every OPD), sorted by the number of destinations held back
    (most first, ties in configuration order).

    Parameters
    ----------
    scores
        The scores table; needs ``bottleneck``, ``score_<dimension>`` and
        ``gain_<dimension>`` (the points the overall score gains when that dimension is
        raised to 100, as computed by the library).
    config
        The readiness configuration the scores were made with.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``dimension``: ``agency``, ``short``, ``four_a``, ``destinations`` (how many
        have this dimension as bottleneck), ``share`` (of the destinations with a
        bottleneck), ``mean_dimension_score`` and ``mean_gain`` / ``max_gain`` over those
        destinations (NaN when none), and ``names`` (those destinations, best rank first).
        Destinations without a bottleneck (nothing known, or every known dimension at 100)
        are in no row.
    """
    dims = config.names
    _require(scores, ["id", "name", "rank", "bottleneck",
                      *(f"score_{d}" for d in dims), *(f"gain_{d}" for d in dims)],
             "bottleneck_table")
    t = _ranked(scores)
    bott = t["bottleneck"].astype(object).to_numpy()
    with_any = int(sum(isinstance(b, str) and b in config.dimensions for b in bott))
    rows = []
    for d in dims:
        mask = bott == d
        dim_scores = pd.to_numeric(t.loc[mask, f"score_{d}"], errors="coerce")
        gains = pd.to_numeric(t.loc[mask, f"gain_{d}"], errors="coerce")
        n = int(mask.sum())
        rows.append({
            "dimension": d,
            "agency": config.dimensions[d].agency,
            "short": config.dimensions[d].short,
            "four_a": ", ".join(config.dimensions[d].four_a),
            "destinations": n,
            "share": n / with_any if with_any else math.nan,
            "mean_dimension_score": float(dim_scores.mean()) if n else math.nan,
            "mean_gain": float(gains.mean()) if n else math.nan,
            "max_gain": float(gains.max()) if n else math.nan,
            "names": ", ".join(t.loc[mask, "name"].astype(str)),
        })
    out = pd.DataFrame(rows).set_index("dimension")
    order = np.lexsort((np.arange(len(out)), -out["destinations"].to_numpy()))
    return out.iloc[order]


def rank_intervals(scores: pd.DataFrame) -> pd.DataFrame:
    """Rank and Monte Carlo rank interval of every scored destination, best rank first.

    Parameters
    ----------
    scores
        The scores table (``rank``, ``rank_low``, ``rank_high`` from the Dirichlet draws of
        the weights; see :func:`geo.readiness.score_frame`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id``: ``name``, ``class``, ``score``, ``rank``, ``rank_low``,
        ``rank_high`` (int) and ``width`` (``rank_high - rank_low``; 0 = the rank does not
        move under the weight draws). Destinations without a score are left out.
    """
    _require(scores, ["id", "name", "class", "score", "rank", "rank_low", "rank_high"],
             "rank_intervals")
    t = _ranked(scores)
    t = t[pd.to_numeric(t["score"], errors="coerce").notna().to_numpy()]
    out = pd.DataFrame({
        "name": t["name"].to_numpy(dtype=object),
        "class": t["class"].to_numpy(dtype=object),
        "score": pd.to_numeric(t["score"]).to_numpy(dtype=float),
    }, index=pd.Index(t["id"].astype(str).to_numpy(), name="id"))
    for col in ("rank", "rank_low", "rank_high"):
        out[col] = pd.to_numeric(t[col]).to_numpy(dtype=float).astype(np.int64)
    out["width"] = out["rank_high"] - out["rank_low"]
    return out


def raised_weights(config: ReadinessConfig, factor: float = 1.5) -> dict[str, dict[str, float]]:
    """Weight scenarios: each agency dimension's weight multiplied by ``factor`` in turn.

    The other weights keep their configured values (the score renormalises the weights per
    destination, so this shifts the balance towards the raised agency). A dimension with
    weight 0 stays at 0.

    Returns
    -------
    dict
        ``{dimension: {dimension: raised weight}}`` in configuration order, ready for
        :func:`class_changes` or the ``weights`` argument of the scoring functions.

    Raises
    ------
    SiapError
        ``factor`` not a positive finite number.
    """
    if not (isinstance(factor, int | float) and math.isfinite(factor) and factor > 0):
        raise SiapError(f"raised_weights: factor harus angka > 0, bukan {factor!r}")
    return {d: {d: config.dimensions[d].weight * float(factor)} for d in config.names}


def class_changes(
    inputs: pd.DataFrame,
    config: ReadinessConfig,
    scenarios: Mapping[str, Mapping[str, float]],
) -> pd.DataFrame:
    """Score and class of every destination under each weight scenario, against the
    configured weights.

    Parameters
    ----------
    inputs
        Scoring inputs, one row per destination (:func:`geo.steps.build_inputs`).
    config
        The readiness configuration (its weights are the baseline).
    scenarios
        ``{scenario name: weights}``; each ``weights`` overrides some dimension weights
        (e.g. from :func:`raised_weights`).

    Returns
    -------
    pandas.DataFrame
        Long form, one row per scenario and destination (scenarios in the given order,
        destinations in input order): ``scenario``, ``id``, ``name``, ``score_before``,
        ``score_after``, ``class_before``, ``class_after``, ``step`` (classes moved up,
        negative = down, NA when either class is unknown) and ``change`` (``naik``,
        ``turun``, ``tetap`` or ``tidak diketahui``).

    Raises
    ------
    ConfigError
        A scenario names an unknown dimension or gives a bad weight.
    """
    if "id" not in inputs.columns:
        raise SiapError("class_changes: input tanpa kolom 'id'")
    base_frame = overall_scores(inputs, config)
    base = base_frame["score"].to_numpy(dtype=float)
    base_class = classify(class_basis(base, base_frame["score_low"].to_numpy()), config.classes)
    base_level = _levels(base_class)
    ids = inputs["id"].astype(str).to_numpy()
    names = (inputs["name"].astype(object).to_numpy() if "name" in inputs.columns
             else np.full(len(inputs), None, dtype=object))
    parts = []
    for label, weights in scenarios.items():
        after_frame = overall_scores(inputs, config, weights)
        after = after_frame["score"].to_numpy(dtype=float)
        after_class = classify(class_basis(after, after_frame["score_low"].to_numpy()),
                               config.classes)
        step = _levels(after_class) - base_level  # NaN where either is unknown
        change = np.where(np.isnan(step), CHANGE_UNKNOWN,
                          np.where(step > 0, CHANGE_UP, np.where(step < 0, CHANGE_DOWN,
                                                                 CHANGE_SAME)))
        # Both unknown is no change: the weights cannot make a score known or unknown
        # unless a weight is set to zero.
        both_unknown = pd.isna(base_class) & pd.isna(after_class)
        change = np.where(both_unknown, CHANGE_SAME, change)
        parts.append(pd.DataFrame({
            "scenario": label,
            "id": ids,
            "name": names,
            "score_before": base,
            "score_after": after,
            "class_before": base_class,
            "class_after": after_class,
            "step": pd.array([pd.NA if np.isnan(s) else int(s) for s in step], dtype="Int64"),
            "change": change.astype(object),
        }))
    if not parts:
        return pd.DataFrame(columns=["scenario", "id", "name", "score_before", "score_after",
                                     "class_before", "class_after", "step", "change"])
    return pd.concat(parts, ignore_index=True)


def _levels(classes: np.ndarray) -> np.ndarray:
    return np.array([CLASS_LEVEL.get(c, np.nan) if isinstance(c, str) else np.nan
                     for c in classes], dtype=float)


def class_change_summary(changes: pd.DataFrame) -> pd.DataFrame:
    """Count class changes per scenario of :func:`class_changes`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``scenario`` (in first-seen order): ``naik``, ``turun``, ``tetap``,
        ``tidak diketahui`` (counts), ``mean_score_change`` (mean of ``score_after -
        score_before`` over known scores) and ``changed`` (names of the destinations whose
        class moved, as "name (before → after)").
    """
    _require(changes, ["scenario", "name", "score_before", "score_after", "class_before",
                       "class_after", "change"], "class_change_summary")
    rows = []
    for label in pd.unique(changes["scenario"]):
        c = changes[changes["scenario"] == label]
        counts = c["change"].value_counts()
        moved = c[c["change"].isin([CHANGE_UP, CHANGE_DOWN])]
        delta = (pd.to_numeric(c["score_after"]) - pd.to_numeric(c["score_before"])).dropna()
        rows.append({
            "scenario": label,
            CHANGE_UP: int(counts.get(CHANGE_UP, 0)),
            CHANGE_DOWN: int(counts.get(CHANGE_DOWN, 0)),
            CHANGE_SAME: int(counts.get(CHANGE_SAME, 0)),
            CHANGE_UNKNOWN: int(counts.get(CHANGE_UNKNOWN, 0)),
            "mean_score_change": float(delta.mean()) if len(delta) else math.nan,
            "changed": "; ".join(
                f"{n} ({b} → {a})" for n, b, a in
                zip(moved["name"], moved["class_before"], moved["class_after"], strict=True)
            ),
        })
    cols = ["scenario", CHANGE_UP, CHANGE_DOWN, CHANGE_SAME, CHANGE_UNKNOWN,
            "mean_score_change", "changed"]
    return pd.DataFrame(rows, columns=cols).set_index("scenario")


BUDGET_CURVE_COLUMNS: Final = (
    "pick", "ruas_id", "name", "upgrade", "cost_rp", "minutes_saved", "score_gain",
    "cumulative_cost_rp", "cumulative_minutes_saved", "cumulative_score_gain",
)


def budget_curve(priorities: pd.DataFrame) -> pd.DataFrame:
    """The readiness-gain curve of a budget run: what each greedy pick adds, cumulatively.

    Parameters
    ----------
    priorities
        The priorities table of a run WITH a budget (``priorities_workspace(ws, budget=...)
        .table`` or ``ws.read("priorities")``). Its selected rows carry ``pick_order``
        (1..k, the greedy programme); their ``minutes_saved`` / ``score_gain`` are marginal
        and their ``cumulative_*`` columns the exact marginal sums the library computed
        after re-evaluating every remaining section at each pick.

    Returns
    -------
    pandas.DataFrame
        Pick 0 (nothing spent, all zero) followed by one row per selected section in pick
        order: ``pick``, ``ruas_id``, ``name``, ``upgrade``, ``cost_rp``, ``minutes_saved``,
        ``score_gain``, ``cumulative_cost_rp``, ``cumulative_minutes_saved``,
        ``cumulative_score_gain``. Only the origin row when nothing was selected.

    Raises
    ------
    SiapError
        Missing columns, or selected rows whose ``pick_order`` is not 1..k.
    """
    _require(priorities, ["pick_order", "selected", *BUDGET_CURVE_COLUMNS[1:]], "budget_curve")
    sel = priorities["selected"].fillna(False).astype(bool).to_numpy()
    order = pd.to_numeric(priorities["pick_order"], errors="coerce").to_numpy(dtype=float)
    if sorted(order[sel].tolist()) != list(range(1, int(sel.sum()) + 1)):
        raise SiapError("budget_curve: urutan pilihan (pick_order) ruas terpilih bukan 1..k")
    picks = priorities[sel].iloc[np.argsort(order[sel], kind="stable")]
    origin: dict[str, object] = {c: 0.0 for c in BUDGET_CURVE_COLUMNS}
    origin.update(pick=0, ruas_id="", name="(belum ada pekerjaan)", upgrade="")
    rows = pd.DataFrame({c: picks[c].to_numpy() for c in BUDGET_CURVE_COLUMNS[1:]})
    rows.insert(0, "pick", np.arange(1, len(picks) + 1))
    out = pd.concat([pd.DataFrame([origin]), rows], ignore_index=True)
    for c in BUDGET_CURVE_COLUMNS[4:]:
        out[c] = pd.to_numeric(out[c]).astype(float)
    return out[list(BUDGET_CURVE_COLUMNS)]
