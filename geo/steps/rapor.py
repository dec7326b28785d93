"""The rapor OPD and the trends (issue 13): what each agency holds back, what it committed,
how current and how complete its data are, and how readiness moved over the scored versions.

Read-only: every value comes from the workspace's layers, its history tables
(:mod:`geo.io.history`) and its tasks (:func:`geo.steps.tasks.list_tasks`); the agencies
are the dimensions of the readiness configuration passed in (data, not code). The web
pages (``GET /rapor``, ``GET /destinasi/{id}``) only format what these functions return.

Definitions
-----------
bottleneck destinations
    The scored destinations whose ``bottleneck`` is the agency's dimension, largest
    ``gain_<dimension>`` first (what its raise to 100 would add to the overall score).
tasks
    The agency's adopted tasks (status other than ``usulan``); ``committed_rp`` is the sum
    of ``budget_rp`` over those that are not ``batal``.
last update
    :func:`geo.io.history.last_updates`: the agency's latest recorded change to the data
    (not a recomputation, nor a task); ``days`` are whole days from its UTC date to ``today``.
completeness
    Per column the agency owns (``[dimensions.X.owns]``): the share of non-empty values.
    A whole layer it owns counts its data columns (:data:`geo.schema.REQUIRED` and, for
    destinations, :data:`geo.schema.DESTINATION_ATTRIBUTES`) that no other agency owns by
    name; ``layer.column`` entries count that column. Road columns are weighted by length
    over the road links (``mode == road``; boat and air links have no surface), and
    ``unknown`` counts as empty there, as it does in the roads layer's vocabulary. A
    column absent from the layer is 0 % complete: nobody has supplied it.
trend
    Per scored version (``scores_history``): the mean ``score`` and ``score_low`` over the
    destinations, dated by the version's ``at``.
class changes since a date
    The class of each destination in the last scored version before that date (the
    earliest scored version when none is older) against its class now (the ``scores``
    layer); only destinations whose class differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

import numpy as np
import pandas as pd
import pyogrio

from geo import schema
from geo.io.history import last_updates, read_scores_history, read_versions
from geo.io.workspace import Workspace
from geo.readiness import ReadinessConfig
from geo.readiness.ownership import bookkeeping, column_owner
from geo.steps.tasks import ADOPTED, list_tasks

ADOPTED_STATUSES: Final = ADOPTED
"""Statuses of a stored (adopted) task; ``usulan`` is a suggestion, never stored."""
COMMITTED_STATUSES: Final = ("direncanakan", "berjalan", "selesai")
"""Statuses whose budget counts as committed (a cancelled task commits nothing)."""
EMPTY_WORDS: Final = frozenset({"", "unknown"})
"""Values that mean "not recorded" in the owned columns (roads' vocabularies use unknown)."""
_LAYER_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "destinations": (*schema.REQUIRED["destinations"], *schema.DESTINATION_ATTRIBUTES),
}


@dataclass(frozen=True)
class Bottleneck:
    """A destination held back most by the agency."""

    id: str
    name: str
    klass: str | None
    score: float
    score_low: float
    gain: float


@dataclass(frozen=True)
class Completeness:
    """How complete one owned column is."""

    layer: str
    column: str
    share: float
    """0..1 of the rows (roads: of the road km) with a value; NaN when the layer is empty."""
    weight: str
    """``baris`` (rows) or ``km`` (length-weighted)."""
    present: bool
    """Whether the column exists in the layer at all."""


@dataclass(frozen=True)
class LastUpdate:
    """An agency's latest recorded change."""

    version: int
    at: str
    username: str
    kind: str
    summary: str
    days: int


@dataclass(frozen=True)
class AgencyReport:
    """One agency's page of the rapor."""

    key: str
    agency: str
    short: str
    color: str | None
    bottlenecks: list[Bottleneck]
    tasks: pd.DataFrame
    """The agency's adopted tasks (rows of :func:`geo.steps.tasks.list_tasks`)."""
    suggested: int
    """How many of its tasks are still only suggested (``usulan``)."""
    counts: dict[str, int]
    """Adopted tasks per status (every status of :data:`ADOPTED_STATUSES`)."""
    committed_rp: float
    last_update: LastUpdate | None
    completeness: list[Completeness]

    @property
    def adopted(self) -> int:
        """Adopted tasks, cancelled ones excluded."""
        return sum(self.counts[s] for s in COMMITTED_STATUSES)

    @property
    def completeness_share(self) -> float:
        """Mean completeness of its columns (NaN when it owns none)."""
        shares = [c.share for c in self.completeness if np.isfinite(c.share)]
        return float(np.mean(shares)) if shares else float("nan")


@dataclass(frozen=True)
class TrendPoint:
    """Scores of one scored version."""

    version: int
    data_version: int
    at: str
    score: float
    score_low: float
    score_high: float
    klass: str | None = None
    """The class (one destination's trend only)."""


@dataclass(frozen=True)
class ClassChange:
    """A destination whose class changed since the chosen date."""

    id: str
    name: str
    before: str | None
    now: str | None
    score_low_before: float
    score_low_now: float


@dataclass(frozen=True)
class Rapor:
    """The rapor OPD."""

    today: date
    since: date
    agencies: list[AgencyReport]
    trend: list[TrendPoint]
    baseline: TrendPoint | None
    """The scored version the class changes compare with (None: never scored)."""
    class_changes: list[ClassChange]
    n_destinations: int


# --- pieces -----------------------------------------------------------------------------


def _day(at: object) -> date | None:
    """The UTC date of an ISO time stamp of the history tables."""
    try:
        t = datetime.fromisoformat(str(at))
    except ValueError:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
    return t.date()


def _empty(values: pd.Series) -> np.ndarray:
    """Cells that hold no value: missing, blank text or ``unknown``."""
    missing = values.isna().to_numpy(dtype=bool)
    words = values.astype("string").str.strip().str.casefold()
    return missing | words.isin(EMPTY_WORDS).fillna(True).to_numpy(dtype=bool)


def owned_columns(config: ReadinessConfig, key: str) -> list[tuple[str, str]]:
    """``(layer, column)`` pairs whose values ``key``'s agency keeps (see the module notes)."""
    dim = config.dimensions[key]
    out: list[tuple[str, str]] = []
    for layer in dim.owns.layers:
        for col in _LAYER_COLUMNS.get(layer, schema.REQUIRED.get(layer, ())):
            if col in ("id", "geometry") or bookkeeping(col):
                continue
            if column_owner(config, layer, col) == key and (layer, col) not in out:
                out.append((layer, col))
    for name in dim.owns.columns:
        layer, col = name.split(".", 1)
        if (layer, col) not in out:
            out.append((layer, col))
    return out


def _read_columns(ws: Workspace, layer: str, columns: set[str]) -> pd.DataFrame | None:
    """The ``columns`` of ``layer`` that exist (no geometry); None without the layer."""
    if not ws.has(layer):
        return None
    fields = set(pyogrio.read_info(ws.path, layer=layer)["fields"])
    frame: pd.DataFrame = pyogrio.read_dataframe(ws.path, layer=layer, read_geometry=False,
                                                 columns=sorted(columns & fields))
    return frame


def _owned_frames(ws: Workspace, config: ReadinessConfig) -> dict[str, pd.DataFrame | None]:
    """Each layer an agency owns columns of, read once with only those columns."""
    wanted: dict[str, set[str]] = {}
    for key in config.dimensions:
        for layer, col in owned_columns(config, key):
            wanted.setdefault(layer, {"id"} if layer != "roads" else {"mode", "length_m"})
            wanted[layer].add(col)
    return {layer: _read_columns(ws, layer, cols) for layer, cols in wanted.items()}


def completeness(ws: Workspace, config: ReadinessConfig, key: str, *,
                 frames: dict[str, pd.DataFrame | None] | None = None) -> list[Completeness]:
    """How complete each column ``key``'s agency owns is (see the module notes).

    ``frames``: the layers as :func:`_owned_frames` reads them (read here when not given).
    """
    frames = _owned_frames(ws, config) if frames is None else frames
    out = []
    for layer, col in owned_columns(config, key):
        frame = frames.get(layer)
        weight = "km" if layer == "roads" else "baris"
        if frame is None or len(frame) == 0:
            out.append(Completeness(layer, col, float("nan"), weight, False))
            continue
        if layer == "roads" and "mode" in frame.columns:
            frame = frame[frame["mode"].astype(str) == "road"]
        present = col in frame.columns
        filled = (~_empty(frame[col]) if present
                  else np.zeros(len(frame), dtype=bool))
        if layer == "roads" and "length_m" in frame.columns:
            length = pd.to_numeric(frame["length_m"], errors="coerce").fillna(0.0).to_numpy()
            total = float(length.sum())
            share = float(length[filled].sum() / total) if total > 0 else float("nan")
        else:
            share = float(filled.mean()) if len(filled) else float("nan")
        out.append(Completeness(layer, col, share, weight, present))
    return out


def _last_update(updates: pd.DataFrame, key: str, today: date) -> LastUpdate | None:
    hit = updates[updates["agency"].astype(str) == key]
    if hit.empty:
        return None
    r = hit.iloc[0]
    day = _day(r["at"])
    return LastUpdate(version=int(r["version"]), at=str(r["at"]),
                      username=str(r["username"] or ""), kind=str(r["kind"] or ""),
                      summary=str(r["summary"] or ""),
                      days=(today - day).days if day is not None else -1)


def _bottlenecks(scores: pd.DataFrame | None, key: str) -> list[Bottleneck]:
    if scores is None or "bottleneck" not in scores.columns:
        return []
    hit = scores[scores["bottleneck"].astype("string") == key]
    gain = f"gain_{key}"
    gains = (pd.to_numeric(hit[gain], errors="coerce") if gain in hit.columns
             else pd.Series(np.nan, index=hit.index))
    hit = hit.assign(_gain=gains).sort_values(["_gain", "id"], ascending=[False, True],
                                              na_position="last")
    return [Bottleneck(id=str(r["id"]), name=str(r.get("name") or r["id"]),
                       klass=None if pd.isna(r.get("class")) else str(r.get("class")),
                       score=float(r["score"]), score_low=float(r["score_low"]),
                       gain=float(r["_gain"]))
            for _, r in hit.iterrows()]  # tens of destinations


def _dated(ws: Workspace) -> pd.DataFrame:
    """``scores_history`` with each version's ``at`` (empty when never scored)."""
    history = read_scores_history(ws)
    if history.empty:
        return history
    vers = read_versions(ws)[["version", "at"]]
    vers = vers.assign(version=pd.to_numeric(vers["version"]).astype("int64"))
    h = history.assign(version=pd.to_numeric(history["version"]).astype("int64"))
    for c in ("score", "score_low", "score_high"):
        h[c] = pd.to_numeric(h[c], errors="coerce")
    return h.merge(vers, on="version", how="left")


def _trend(h: pd.DataFrame) -> list[TrendPoint]:
    if h.empty:
        return []
    g = h.groupby("version", sort=True).agg(
        data_version=("data_version", "max"), at=("at", "first"), score=("score", "mean"),
        score_low=("score_low", "mean"), score_high=("score_high", "mean"))
    return [TrendPoint(version=int(r["version"]), data_version=int(r["data_version"]),
                       at=str(r["at"]), score=float(r["score"]),
                       score_low=float(r["score_low"]), score_high=float(r["score_high"]))
            for _, r in g.reset_index().iterrows()]


def regency_trend(ws: Workspace) -> list[TrendPoint]:
    """The mean scores of every scored version, oldest first."""
    return _trend(_dated(ws))


def destination_trend(ws: Workspace, id: str) -> list[TrendPoint]:
    """One destination's scores in every scored version, oldest first."""
    h = _dated(ws)
    if h.empty:
        return []
    h = h[h["id"].astype(str) == id].sort_values("version")
    return [TrendPoint(version=int(r["version"]), data_version=int(r["data_version"]),
                       at=str(r["at"]), score=_float(r["score"]),
                       score_low=_float(r["score_low"]), score_high=_float(r["score_high"]),
                       klass=None if pd.isna(r["class"]) else str(r["class"]))
            for _, r in h.iterrows()]


def _float(v: object) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def class_changes(ws: Workspace, since: date, scores: pd.DataFrame | None, *,
                  dated: pd.DataFrame | None = None
                  ) -> tuple[TrendPoint | None, list[ClassChange]]:
    """The scored version the classes are compared with, and the destinations whose class
    differs now (see the module notes). ``dated``: :func:`_dated` (read when not given)."""
    h = _dated(ws) if dated is None else dated
    if h.empty or scores is None:
        return None, []
    days = h["at"].map(_day)
    before = h[days.map(lambda d: d is not None and d < since)]
    version = int(before["version"].max()) if len(before) else int(h["version"].min())
    base = h[h["version"] == version]
    point = _trend(base)[0]
    old = base.set_index(base["id"].astype(str))
    out = []
    for _, r in scores.sort_values("id").iterrows():  # tens of destinations
        id = str(r["id"])
        if id not in old.index:
            continue
        o = old.loc[id]
        was: str | None = None if pd.isna(o["class"]) else str(o["class"])
        now = None if pd.isna(r.get("class")) else str(r.get("class"))
        if was != now:
            out.append(ClassChange(id=id, name=str(r.get("name") or id), before=was, now=now,
                                   score_low_before=_float(o["score_low"]),
                                   score_low_now=_float(r.get("score_low"))))
    return point, out


def destination_tasks(ws: Workspace, id: str) -> pd.DataFrame:
    """One destination's tasks, adopted first, then by agency in configuration order."""
    tasks = list_tasks(ws, destination=id)
    adopted = tasks["status"].astype(str) != "usulan"
    return tasks.assign(_a=~adopted).sort_values(["_a"], kind="stable").drop(columns="_a")


def agency_report(ws: Workspace, config: ReadinessConfig, key: str, *, today: date,
                  scores: pd.DataFrame | None, tasks: pd.DataFrame,
                  updates: pd.DataFrame,
                  frames: dict[str, pd.DataFrame | None] | None = None) -> AgencyReport:
    """One agency's part of the rapor."""
    dim = config.dimensions[key]
    mine = tasks[tasks["agency"].astype(str) == key]
    status = mine["status"].astype(str)
    adopted = mine[status.isin(ADOPTED_STATUSES)]
    counts = {s: int((status == s).sum()) for s in ADOPTED_STATUSES}
    budget = pd.to_numeric(adopted.loc[adopted["status"].isin(COMMITTED_STATUSES),
                                       "budget_rp"], errors="coerce")
    return AgencyReport(
        key=key, agency=dim.agency, short=dim.short, color=dim.color,
        bottlenecks=_bottlenecks(scores, key), tasks=adopted.reset_index(drop=True),
        suggested=int((status == "usulan").sum()), counts=counts,
        committed_rp=float(budget.sum(min_count=0)),
        last_update=_last_update(updates, key, today),
        completeness=completeness(ws, config, key, frames=frames))


def rapor(ws: Workspace, config: ReadinessConfig, *, since: date | None = None,
          today: date | None = None) -> Rapor:
    """The rapor OPD of a workspace.

    Parameters
    ----------
    ws
        The workspace (read only).
    config
        The readiness configuration of its scores: its dimensions are the agencies.
    since
        Class changes since this date (default: 30 days before ``today``).
    today
        The date "days since the last update" count to (default: today, UTC).
    """
    today = today or datetime.now(UTC).date()
    since = since or date.fromordinal(today.toordinal() - 30)
    scores = _read_columns(ws, "scores", {
        "id", "name", "class", "score", "score_low", "bottleneck",
        *(f"gain_{k}" for k in config.dimensions)})
    tasks = list_tasks(ws, config=config)
    updates = last_updates(ws)
    frames = _owned_frames(ws, config)
    agencies = [agency_report(ws, config, key, today=today, scores=scores, tasks=tasks,
                              updates=updates, frames=frames) for key in config.dimensions]
    dated = _dated(ws)
    baseline, changes = class_changes(ws, since, scores, dated=dated)
    return Rapor(today=today, since=since, agencies=agencies, trend=_trend(dated),
                 baseline=baseline, class_changes=changes,
                 n_destinations=0 if scores is None else len(scores))
