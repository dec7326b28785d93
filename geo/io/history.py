"""The workspace's history: append-only tables of versions, changes and scores (issue 12).

Three non-spatial tables live in the workspace GeoPackage beside the layers they describe:

``versions``
    One row per applied change: ``version`` (integer, increasing), ``at`` (ISO UTC),
    ``username``, ``agency``, ``kind`` (upload, edit, rollback, import, score), ``summary``,
    ``source_file``, ``source_sha256``.
``changes``
    One row per changed value: ``version``, ``layer``, ``feature_id``, ``field``, ``old``,
    ``new`` (JSON text; ``null`` for an empty cell). A row added or deleted is recorded as
    the field :data:`ROW_FIELD` going from ``null`` to ``true`` (or back) plus every
    non-empty value it had.
``scores_history``
    The scores of each scored version: ``version`` (the ``score`` entry in ``versions``),
    ``data_version`` (the last data version they reflect), ``id``, ``score``,
    ``score_low``, ``score_high``, ``class``, ``rank`` and ``score_<dimension>``.

They are written by a :class:`Recorder` attached to the workspace
(:meth:`geo.io.workspace.Workspace.recording`): every layer written inside that
:meth:`~geo.io.workspace.Workspace.update` block is compared with the layer it replaces, and
the rows are appended to the same private copy that is swapped in, so a crash (``kill -9``)
leaves a change and its history either both in or both out. Nothing here updates or deletes a
row of these tables.

Values are compared and stored canonically (:func:`value_json`): numbers as JSON numbers
(a whole float as an integer), yes/no attributes as booleans, points as WKT with every
digit Python prints (so a rollback puts back the very same coordinates).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from geo import schema
from geo.io.workspace import utc_now

if TYPE_CHECKING:
    from geo.io.workspace import Staging, _Reader

VERSIONS: Final = "versions"
CHANGES: Final = "changes"
SCORES_HISTORY: Final = "scores_history"
TABLES: Final = (VERSIONS, CHANGES, SCORES_HISTORY)
KINDS: Final = ("upload", "edit", "rollback", "import", "score", "task")
NOT_DATA: Final = ("score", "task")
"""Version kinds that are not a change of the data as such (a recomputation, a task's
commitment; a task version may still carry the data change that proves it)."""
STALE_KEY: Final = "scores_stale"
"""Metadata key: ``"true"`` after a data change until the next ``score`` clears it."""
DATA_VERSION_KEY: Final = "data_version"
"""Metadata key: the version of the last change to the data layers (not ``score``)."""
CLI_ACTOR: Final = "cli"
ROW_FIELD: Final = "_row"
"""The pseudo-field recording that a row was added (null -> true) or deleted (true -> null)."""
GEOMETRY_FIELD: Final = "geometry"
TRACKED: Final = ("destinations", "umkm", "gateways", "roads")
"""The data layers whose changes are recorded (the layers agencies contribute)."""
TASKS: Final = "tasks"
"""The non-spatial table of adopted tasks (issue 13, :mod:`geo.steps.tasks`): its changes
are recorded too, keyed by ``task_id``, but they are commitments, not data: they neither
mark the scores stale nor move the data version."""
RECORDED: Final = (*TRACKED, TASKS)
VERSION_COLUMNS: Final = ("version", "at", "username", "agency", "kind", "summary",
                          "source_file", "source_sha256")
CHANGE_COLUMNS: Final = ("version", "layer", "feature_id", "field", "old", "new")
_BOOL_COLUMNS: Final = frozenset(k for k, v in schema.DESTINATION_ATTRIBUTES.items()
                                 if v.split(":", 1)[0].strip() == "bool")


# --- identities and values -----------------------------------------------------------------


def feature_ids(layer: str, frame: pd.DataFrame) -> pd.Series:
    """The id each row of ``layer`` is recorded under.

    Point layers: their ``id``. Roads have no id of their own: an edge is ``u-v`` (its
    network nodes), with ``#k`` for the k-th further edge between the same nodes in layer
    order; condition and surface updates keep both.
    """
    if layer == TASKS:
        return pd.Series([None if _blank(v) else str(v) for v in frame["task_id"]],
                         index=frame.index, dtype=object)
    if layer == "roads":
        u = frame["u"].to_numpy(dtype=np.int64)
        v = frame["v"].to_numpy(dtype=np.int64)
        pair = u * (int(v.max()) + 1) + v if len(v) else u
        dup = pd.Series(pair).groupby(pair).cumcount().to_numpy()
        base = np.char.add(np.char.add(u.astype(str), "-"), v.astype(str))
        more = np.char.add(np.char.add(base, "#"), dup.astype(str))
        return pd.Series(np.where(dup == 0, base, more).astype(object), index=frame.index)
    return pd.Series([None if _blank(v) else str(v).strip() for v in frame["id"]],
                     index=frame.index, dtype=object)


def _blank(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, np.floating) and bool(np.isnan(v))


def geometry_text(g: BaseGeometry | None) -> str | None:
    """A geometry as text that reads back exactly: points as WKT with Python's shortest
    exact digits; other shapes as WKT when it reads back exactly, else ``WKB:<hex>``."""
    if g is None or g.is_empty:
        return None
    if g.geom_type == "Point":
        return f"POINT ({float(g.x)!r} {float(g.y)!r})"
    wkt = str(shapely.to_wkt(g, rounding_precision=17, trim=True))
    if shapely.equals_exact(shapely.from_wkt(wkt), g, 0):
        return wkt
    return "WKB:" + str(shapely.to_wkb(g, hex=True))


def geometry_from_text(text: str | None) -> BaseGeometry | None:
    """The geometry :func:`geometry_text` wrote."""
    if text is None:
        return None
    if text.startswith("WKB:"):
        return shapely.from_wkb(text[4:])
    return shapely.from_wkt(text)


def value_json(value: object, column: str = "") -> str:
    """One cell as canonical JSON text (what ``changes.old``/``new`` hold).

    Missing cells are ``null`` (empty text stays ``""``); numbers JSON numbers (a whole float as an integer, so an
    integer column read back as float compares equal); the yes/no destination attributes
    booleans; geometries :func:`geometry_text`; anything else its text.
    """
    if isinstance(value, BaseGeometry):
        return json.dumps(geometry_text(value))
    if _blank(value):
        return "null"  # an empty text "" stays "": a rollback puts back the very cell
    if column in _BOOL_COLUMNS and isinstance(value, (bool, np.bool_, int, float, np.number)):
        return "true" if bool(value) else "false"
    if isinstance(value, (bool, np.bool_)):
        return "true" if bool(value) else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if not math.isfinite(f):
            return json.dumps(str(f))
        return str(int(f)) if f.is_integer() and abs(f) < 2**53 else repr(f)
    if isinstance(value, (pd.Timestamp, datetime)):
        return json.dumps(value.isoformat())
    return json.dumps(str(value), ensure_ascii=False)


def value_from_json(text: str | None, column: str = "") -> Any:
    """The cell value :func:`value_json` stored (geometries as shapely objects)."""
    if text is None:
        return None
    v = json.loads(text)
    if column == GEOMETRY_FIELD and isinstance(v, str):
        return geometry_from_text(v)
    return v


# --- comparing two versions of a layer --------------------------------------------------------


def _column(frame: pd.DataFrame, col: str) -> pd.Series:
    if col in frame.columns:
        return frame[col].astype(object)
    return pd.Series(None, index=frame.index, dtype=object)


def _canonical(values: pd.Series, col: str) -> np.ndarray:
    return np.array([value_json(v, col) for v in values], dtype=object)


def diff_layer(layer: str, old: pd.DataFrame | None, new: pd.DataFrame | None) -> pd.DataFrame:
    """Every value that differs between two versions of a layer, one row per value.

    Rows are matched by :func:`feature_ids`; the geometry is compared exactly. Returns
    ``layer``, ``feature_id``, ``field``, ``old``, ``new`` (JSON text), in the new layer's
    row order (then deleted rows), fields in column order.
    """
    cols = ["layer", "feature_id", "field", "old", "new"]
    old = old if old is not None else pd.DataFrame({"id": []})
    new = new if new is not None else pd.DataFrame({"id": []})
    geom_old = old.geometry.name if isinstance(old, gpd.GeoDataFrame) else None
    geom_new = new.geometry.name if isinstance(new, gpd.GeoDataFrame) else None
    o = pd.DataFrame(old).copy()
    n = pd.DataFrame(new).copy()
    o.index = feature_ids(layer, o) if len(o) else pd.Index([], dtype=object)
    n.index = feature_ids(layer, n) if len(n) else pd.Index([], dtype=object)
    o = o[~o.index.duplicated()]
    n = n[~n.index.duplicated()]
    fields = [str(c) for c in n.columns if c != geom_new]
    fields += [str(c) for c in o.columns if c != geom_old and c not in fields]
    common = n.index.intersection(o.index, sort=False)
    added = n.index.difference(o.index, sort=False)
    removed = o.index.difference(n.index, sort=False)
    parts: list[pd.DataFrame] = []

    def emit(ids: Iterable[Any], field_: str, before: Iterable[str], after: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            parts.append(pd.DataFrame({"feature_id": ids, "field": field_,
                                       "old": list(before), "new": list(after)}))

    if len(common):
        oc, nc = o.loc[common], n.loc[common]
        for col in fields:
            a, b = _column(oc, col), _column(nc, col)
            na, nb = pd.isna(a).to_numpy(dtype=bool), pd.isna(b).to_numpy(dtype=bool)
            # cells equal as Python values are the same cell; only the rest are written out
            # canonically (a float column read back against an integer one, yes/no as 1.0)
            av = a.to_numpy(dtype=object).copy()
            av[na] = None
            bv = b.to_numpy(dtype=object).copy()
            bv[nb] = None
            maybe = ~np.asarray(av == bv, dtype=bool) | (na != nb)
            if not maybe.any():
                continue
            ja = _canonical(a[maybe], col)
            jb = _canonical(b[maybe], col)
            diff = ja != jb
            emit(common[maybe][diff], col, ja[diff], jb[diff])
        if geom_new is not None or geom_old is not None:
            ga = (np.asarray(oc[geom_old].to_numpy(), dtype=object) if geom_old
                  else np.full(len(common), None, dtype=object))
            gb = (np.asarray(nc[geom_new].to_numpy(), dtype=object) if geom_new
                  else np.full(len(common), None, dtype=object))
            same = shapely.equals_exact(ga, gb, 0) | (shapely.is_missing(ga) & shapely.is_missing(gb))
            moved = ~np.asarray(same, dtype=bool)
            emit(common[moved], GEOMETRY_FIELD,
                 [value_json(g) for g in ga[moved]], [value_json(g) for g in gb[moved]])
    for ids, frame, geom, appear in ((added, n, geom_new, True), (removed, o, geom_old, False)):
        if not len(ids):
            continue
        rows = frame.loc[ids]
        emit(ids, ROW_FIELD, ["null" if appear else "true"] * len(ids),
             ["true" if appear else "null"] * len(ids))
        for col in [c for c in fields if c in rows.columns] + ([str(geom)] if geom else []):
            vals = _canonical(rows[col].astype(object), col)
            keep = vals != "null"
            nulls = ["null"] * int(keep.sum())
            emit(ids[keep], GEOMETRY_FIELD if col == geom else col,
                 nulls if appear else vals[keep], vals[keep] if appear else nulls)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "layer", layer)
    out["_o"] = n.index.append(removed).get_indexer(pd.Index(out["feature_id"]))
    out["_f"] = pd.Index([ROW_FIELD, *fields, GEOMETRY_FIELD]).get_indexer(pd.Index(out["field"]))
    out = out.sort_values(["_o", "_f"], kind="stable").drop(columns=["_o", "_f"])
    return out.reset_index(drop=True)[cols]


# --- the recorder --------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """Who made a change and from what (one row of ``versions``)."""

    username: str
    agency: str
    kind: str
    summary: str = ""
    source_file: str = ""
    source_sha256: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown version kind {self.kind!r}; expected one of {KINDS}")


@dataclass
class Recorder:
    """Records what one :meth:`~geo.io.workspace.Workspace.update` block writes.

    Attach it with :meth:`geo.io.workspace.Workspace.recording`. The staging copy calls
    :meth:`written` before replacing a layer and :meth:`finish` before it is swapped in;
    ``version`` and ``n_changes`` then say what was recorded.
    """

    entry: Entry
    version: int | None = None
    n_changes: int = 0
    _pending: list[pd.DataFrame] = field(default_factory=list)

    def written(self, stage: Staging, layer: str, frame: pd.DataFrame) -> None:
        """Compare ``frame`` with the layer it replaces in ``stage``."""
        if layer not in RECORDED:
            return
        if not stage.has(layer):
            old = None
        elif layer == TASKS:
            old = stage.read_table(layer)
        else:
            old = stage.read(layer)
        self._pending.append(diff_layer(layer, old, frame))

    def finish(self, stage: Staging) -> None:
        """Append the version and its changes to ``stage``; mark the scores stale."""
        pending = [p for p in self._pending if len(p)]
        self._pending = []
        changes = pd.concat(pending, ignore_index=True) if pending else None
        version = append_version(stage, self.entry)
        if changes is not None:
            changes.insert(0, "version", version)
            stage.append_table(CHANGES, changes[list(CHANGE_COLUMNS)])
            if changes["layer"].isin(TRACKED).any():  # a task alone changes no data
                stage.set_meta(**{STALE_KEY: "true", DATA_VERSION_KEY: version})
        self.version = version
        self.n_changes = 0 if changes is None else len(changes)


def sha256_file(path: str | Path) -> str:
    """The sha256 of a file (recorded with an upload or import)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def last_version(ws: _Reader) -> int:
    """The highest version recorded (0 when there is none)."""
    if not ws.has(VERSIONS):
        return 0
    v = pyogrio.read_dataframe(ws.path, layer=VERSIONS, columns=["version"],
                               read_geometry=False)["version"]
    return int(v.max()) if len(v) else 0


def data_version(ws: _Reader) -> int:
    """The version of the last change to the data layers (0 when none is recorded); what
    a preview is based on, and what scores reflect."""
    raw = ws.metadata().get(DATA_VERSION_KEY, "")
    return int(raw) if raw.isdigit() else 0


def scores_stale(ws: _Reader) -> bool:
    """Whether the data changed since the scores were computed (metadata ``scores_stale``)."""
    return ws.metadata().get(STALE_KEY, "") == "true"


def append_version(stage: Staging, entry: Entry) -> int:
    """Append one row to ``versions`` and return its version number."""
    version = last_version(stage) + 1
    row = {"version": version, "at": utc_now(),
           "username": entry.username, "agency": entry.agency, "kind": entry.kind,
           "summary": entry.summary, "source_file": entry.source_file,
           "source_sha256": entry.source_sha256}
    stage.append_table(VERSIONS, pd.DataFrame([row], columns=list(VERSION_COLUMNS)))
    return version


def append_scores(stage: Staging, table: pd.DataFrame, dimensions: Iterable[str],
                  entry: Entry) -> int | None:
    """Append the scores of a new data version to ``scores_history`` (with its ``score``
    row in ``versions``); clear the stale flag. Nothing is appended when the last scores
    appended already reflect the current data version.

    Returns the version appended, or None.
    """
    data = data_version(stage)
    stage.set_meta(**{STALE_KEY: "false"})
    if stage.has(SCORES_HISTORY):
        done = pyogrio.read_dataframe(stage.path, layer=SCORES_HISTORY, columns=["data_version"],
                                      read_geometry=False)["data_version"]
        if len(done) and int(done.max()) >= data:
            return None
    version = append_version(stage, entry)
    cols = ["id", "score", "score_low", "score_high", "class", "rank",
            *[f"score_{d}" for d in dimensions]]
    rows = pd.DataFrame({c: (table[c].to_numpy() if c in table.columns else np.nan)
                         for c in cols})
    rows.insert(0, "data_version", data)
    rows.insert(0, "version", version)
    rows["id"] = rows["id"].astype(str)
    rows["class"] = rows["class"].astype(object)
    stage.append_table(SCORES_HISTORY, rows)
    return version


def read_versions(ws: _Reader) -> pd.DataFrame:
    """The ``versions`` table, oldest first (empty with its columns when none)."""
    table = ws.read_table(VERSIONS)
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in VERSION_COLUMNS})
    return table.sort_values("version", kind="stable").reset_index(drop=True)


def values_hold(ws: _Reader, changes: pd.DataFrame) -> np.ndarray:
    """Per row of ``changes`` (``layer``, ``feature_id``, ``field``, ``new``): whether the
    workspace still holds that new value today (``False`` once a rollback or a later
    change put another value there, or the row is gone).

    What "this change still stands" means for a task proved by it: the data that showed
    the work done must still show it.
    """
    out = np.zeros(len(changes), dtype=bool)
    if not len(changes):
        return out
    for layer, rows in changes.groupby("layer", sort=False):
        if not ws.has(str(layer)):
            continue
        fields = [f for f in rows["field"].astype(str).unique()
                  if f not in (ROW_FIELD, GEOMETRY_FIELD)]
        # only the columns asked about (and the id's), not the whole layer
        have = set(pyogrio.read_info(ws.path, layer=str(layer))["fields"])
        present = [f for f in fields if f in have]
        key = ["u", "v"] if layer == "roads" else ["task_id"] if layer == TASKS else ["id"]
        want_geom = bool((rows["field"] == GEOMETRY_FIELD).any())
        frame = pyogrio.read_dataframe(ws.path, layer=str(layer), columns=[*key, *present],
                                       read_geometry=want_geom)
        ids = feature_ids(str(layer), frame)
        pos = {fid: i for i, fid in enumerate(ids.tolist()) if fid is not None}
        cols = {f: frame[f].to_numpy(dtype=object) for f in present}
        geoms = frame.geometry.to_numpy() if want_geom else None
        for k, fid, field_, new in zip(rows.index, rows["feature_id"], rows["field"],
                                       rows["new"], strict=True):  # a task's few changes
            i = pos.get(str(fid))
            if field_ == ROW_FIELD:
                now = "null" if i is None else "true"
            elif i is None:
                now = None
            elif field_ == GEOMETRY_FIELD:
                now = value_json(geoms[i] if geoms is not None else None)
            elif field_ in cols:
                now = value_json(cols[field_][i], str(field_))
            else:
                now = "null"
            out[changes.index.get_loc(k)] = now is not None and now == (
                "null" if new is None else str(new))
    return out


def _data_change_versions(ws: _Reader) -> np.ndarray:
    """The versions with a ``changes`` row in a data layer (:data:`TRACKED`)."""
    if not ws.has(CHANGES):
        return np.empty(0, dtype=np.int64)
    layers = ", ".join(f"'{t}'" for t in TRACKED)  # constants, not user text
    v = pyogrio.read_dataframe(ws.path, layer=CHANGES, columns=["version"],
                               read_geometry=False, where=f"layer IN ({layers})")["version"]
    return np.unique(v.to_numpy(dtype=np.int64))


def read_changes(ws: _Reader, *, after: int | None = None) -> pd.DataFrame:
    """The ``changes`` table, in the order written; only versions > ``after`` if given."""
    if not ws.has(CHANGES):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CHANGE_COLUMNS})
    where = None if after is None else f"version > {int(after)}"
    table: pd.DataFrame = pyogrio.read_dataframe(ws.path, layer=CHANGES, read_geometry=False,
                                                 where=where)
    return table.reset_index(drop=True)


def read_scores_history(ws: _Reader) -> pd.DataFrame:
    """The ``scores_history`` table (empty when the workspace was never scored)."""
    return ws.read_table(SCORES_HISTORY)


def last_updates(ws: _Reader) -> pd.DataFrame:
    """Each agency's last change to the data: ``agency``, ``version``, ``at``,
    ``username``, ``kind``, ``summary``; most recent first.

    A ``score`` is a recomputation and a ``task`` a commitment, not data: an agency that
    only adopts tasks has not updated its data (the rapor's "days since it last updated").
    A task closed with the data change that proves it is one version of kind ``task`` that
    also changed a data layer: it counts.
    """
    vers = read_versions(ws)
    kind = vers["kind"].astype(str)
    data = vers[~kind.isin(NOT_DATA) | ((kind == "task")
                                        & vers["version"].isin(_data_change_versions(ws)))]
    last = data.sort_values("version", kind="stable").drop_duplicates("agency", keep="last")
    cols = ["agency", "version", "at", "username", "kind", "summary"]
    return last.sort_values("version", ascending=False)[cols].reset_index(drop=True)
