"""Agencies contributing their data, with history (issue 12): previews, uploads, one-record
edits, rollbacks and the recompute after them.

Every write here is one :meth:`~geo.io.workspace.Workspace.update` with a
:class:`~geo.io.history.Recorder` attached, so the data, its ``versions`` row, its
``changes`` rows and the ``scores_stale`` flag land in the workspace together or not at all.
Every write is checked against the acting agency's scope first
(:func:`geo.readiness.ownership.check_scope`, from readiness.toml) and raises
:class:`~geo.exceptions.ScopeError` (HTTP 403) outside it.

Files are read and validated by :mod:`geo.io.importers` (the same problems, lines and
messages as ``siapwisata import``). An upload updates the columns the file gives and keeps
the others, so an agency's file never wipes another agency's columns; ``siapwisata import``
keeps replacing whole rows (:func:`geo.io.importers.merge_layer`) and is recorded as a
version too (:func:`import_recorded`).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo import schema
from geo._progress import SILENT, Reporter
from geo.accounts import User
from geo.exceptions import InputError, Problem, ScopeError, StaleVersion
from geo.io import Table, number, road_sections, ruas_rows, text
from geo.io import importers as imp
from geo.io.history import (
    CLI_ACTOR,
    GEOMETRY_FIELD,
    ROW_FIELD,
    TRACKED,
    Entry,
    Recorder,
    data_version,
    diff_layer,
    feature_ids,
    geometry_from_text,
    read_changes,
    read_versions,
    sha256_file,
    value_from_json,
    value_json,
)
from geo.io.workspace import Source, Workspace, writes_workspace
from geo.readiness import ReadinessConfig
from geo.readiness.ownership import check_scope
from geo.roads import condition_class
from geo.steps.imports import import_file
from geo.words import normalise_word

KINDS: Final = imp.KINDS
LAYERS: Final[dict[str, str]] = {"destinations": "destinations", "umkm": "umkm",
                                 "gateways": "gateways", "road-conditions": "roads"}
"""The layer each upload kind writes."""
FORM: Final = "formulir"
"""The ``file`` of problems found in a form's fields (there is no file, nor a line)."""
ROAD_FIELDS: Final = ("condition", "surface", "authority")
SYSTEM_ACTOR: Final = "sistem"
"""The actor of the background recompute's ``score`` versions."""
DISTRIK_HEADERS: Final = ("distrik", "nama_distrik", "kecamatan")
"""Headers whose values are checked against the distrik polygon the point falls in."""


@dataclass(frozen=True)
class Preview:
    """What an upload would change, computed without writing.

    Attributes
    ----------
    kind, file, sha256
        The upload kind, the file as given, and its sha256.
    base_version
        The data version the preview was computed on (:func:`apply_upload`'s
        ``expect_version``).
    rows_read
        Rows in the file.
    n_new, n_changed, n_unchanged
        File rows that add a feature, change one, or change nothing (a road survey row
        counts as changed when any road edge it sets changes).
    diffs
        One row per changed value: ``feature_id``, ``field``, ``old``, ``new`` (JSON text;
        ``_row`` null -> true for a new feature).
    new_points
        The features the file adds (EPSG:4326), for the map.
    warnings
        Unrecognised columns (with the nearest known header) and ``distrik`` values that
        disagree with the polygon the point falls in; Bahasa Indonesia.
    problems
        Every row-level problem, exactly as ``siapwisata import`` reports them; ``error`` is
        the CLI's message. With problems, nothing can be applied.
    scope_error
        The message a :class:`~geo.exceptions.ScopeError` would carry on apply (403).
    """

    kind: str
    file: str
    sha256: str
    base_version: int
    rows_read: int = 0
    n_new: int = 0
    n_changed: int = 0
    n_unchanged: int = 0
    diffs: pd.DataFrame = field(default_factory=lambda: _empty_diffs())
    new_points: gpd.GeoDataFrame = field(
        default_factory=lambda: gpd.GeoDataFrame({"id": []}, geometry=[], crs=schema.WGS84))
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None
    scope_error: str | None = None

    @property
    def layer(self) -> str:
        """The layer the upload writes ("" for an unknown kind)."""
        return LAYERS.get(self.kind, "")

    @property
    def ok(self) -> bool:
        """Whether applying it would succeed (no problem, inside the agency's scope)."""
        return not self.problems and self.error is None and self.scope_error is None

    @property
    def fields(self) -> list[str]:
        """The fields the upload changes, in order."""
        return list(dict.fromkeys(self.diffs["field"])) if len(self.diffs) else []


@dataclass(frozen=True)
class Applied:
    """A change written: its new workspace ``version`` and the values it changed.

    ``version`` is the current data version and ``n_changes`` 0 when nothing differed (then
    nothing is written).
    """

    version: int
    n_changes: int


@dataclass(frozen=True)
class Planned:
    """A one-record edit computed and checked but not written (:func:`plan_destination_edit`,
    :func:`plan_road_edit`): the ``layer`` and its new ``frame``, the ``diffs`` it makes
    (``feature_id``, ``field``, ``old``, ``new``) and the history ``summary``. Written by
    :func:`write_change`, alone or with other tables in the same update (a task closed by
    its proof, :mod:`geo.steps.tasks`)."""

    layer: str
    frame: gpd.GeoDataFrame
    diffs: pd.DataFrame
    summary: str


def _empty_diffs() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object)
                         for c in ("feature_id", "field", "old", "new")})


def _check_kind(kind: str, path: object = FORM) -> str:
    if kind not in KINDS:
        raise InputError([Problem(str(path), f"jenis unggahan '{kind}' tidak dikenal; "
                                  f"pilihan: {', '.join(KINDS)}")])
    return LAYERS[kind]


# --- merging and diffing (pure) ---------------------------------------------------------------


def _typed(values: pd.Series, like: pd.Series) -> pd.Series:
    """``values`` (object cells) in the dtype of ``like``, so a rewritten layer keeps its
    column types (pyogrio writes an object column as text)."""
    dtype = like.dtype
    blank = values.map(lambda v: v is None or (isinstance(v, float) and np.isnan(v))
                       or v is pd.NA)
    if pd.api.types.is_bool_dtype(dtype):
        if blank.any():
            return values.where(~blank, None).astype("boolean")
        return values.astype(bool)
    if pd.api.types.is_numeric_dtype(dtype):
        num = pd.to_numeric(values.where(~blank, np.nan), errors="coerce")
        if pd.api.types.is_integer_dtype(dtype):
            if (num.dropna() % 1 != 0).any():  # a fraction never goes into whole numbers
                return num.astype(float)
            if isinstance(dtype, pd.api.extensions.ExtensionDtype):
                return num.astype(dtype)
            return num.astype(dtype) if not num.isna().any() else num.astype("Int64")
        return num.astype(dtype) if not isinstance(dtype, np.dtype) else num.astype(float)
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return values.where(~blank, None).map(
            lambda v: v if v is None else str(v)).astype(dtype)
    return values


def update_layer(existing: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows of ``new`` update the rows of ``existing`` with the same ``id`` in the columns
    ``new`` has (others keep their values); rows with a new ``id`` are appended.

    The upload's merge: an agency file never clears the columns it does not carry. The
    layer's column types are kept (untouched cells stay byte for byte as they were).
    """
    if existing is None or existing.empty:
        return imp.coerce_attributes(new.reset_index(drop=True))
    old = existing.to_crs(schema.WGS84).copy()
    # a column the layer lacks and the file leaves empty in every row brings nothing
    void = [c for c in new.columns if c not in old.columns and c != new.geometry.name
            and new[c].map(lambda v: value_json(v) == "null").all()]
    new = new.drop(columns=void)
    ids = feature_ids("destinations", old)  # the id column, as text
    pos = pd.Series(np.arange(len(old)), index=ids.to_numpy())
    pos = pos[~pos.index.duplicated()]
    new_ids = new["id"].map(text)
    matched = new_ids.isin(pos.index).to_numpy()
    at = pos.reindex(new_ids[matched].to_numpy()).to_numpy(dtype=np.int64)
    src = new.loc[matched]
    geom_name = old.geometry.name
    for col in [c for c in new.columns if c != new.geometry.name]:
        cells = old[col].astype(object).copy() if col in old.columns else pd.Series(
            None, index=old.index, dtype=object)
        cells.iloc[at] = src[col].astype(object).to_numpy()
        like = old[col] if col in old.columns else new[col]
        old[col] = _typed(cells, like)
    geoms = np.asarray(old.geometry.to_numpy(), dtype=object).copy()
    geoms[at] = np.asarray(src.geometry.to_numpy(), dtype=object)
    old[geom_name] = gpd.GeoSeries(geoms, index=old.index, crs=schema.WGS84)
    added = new.loc[~matched]
    if not len(added):
        return old.reset_index(drop=True)
    if added.geometry.name != geom_name:
        added = added.rename_geometry(geom_name)
    merged = pd.concat([old, added], ignore_index=True)
    merged = gpd.GeoDataFrame(merged, geometry=geom_name, crs=schema.WGS84)
    for col in old.columns:  # the appended rows take the layer's column types
        if col != geom_name:
            merged[col] = _typed(merged[col].astype(object), old[col])
    return merged


def _diff_columns(diffs: pd.DataFrame) -> tuple[list[str], bool]:
    """The value columns a change touches, and whether it adds, deletes or moves rows."""
    fields = set(diffs["field"]) if len(diffs) else set()
    rows = bool(fields & {ROW_FIELD, GEOMETRY_FIELD})
    return sorted(fields - {ROW_FIELD, GEOMETRY_FIELD}), rows


def _check(config: ReadinessConfig, user: User, layer: str, diffs: pd.DataFrame) -> None:
    columns, rows = _diff_columns(diffs)
    check_scope(config, user, layer, columns, adds_rows=rows)


# --- uploads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frames:
    layer: str
    old: gpd.GeoDataFrame | None
    new: gpd.GeoDataFrame
    table: Table
    # per file row: the feature ids it sets (points: its id; surveys: its edges)
    row_features: list[list[str]]
    rows: gpd.GeoDataFrame | None = None


def _upload_frames(ws: Workspace, kind: str, path: Path) -> _Frames:
    """The layer before and after an upload (raises InputError like the CLI)."""
    layer = _check_kind(kind, path)
    if kind == "road-conditions":
        ru = imp.read_road_update(path, ws)
        fids = feature_ids("roads", ru.roads).to_numpy(dtype=object)
        per_row: list[list[str]] = [[] for _ in range(len(ru.table))]
        for e, r in zip(ru.edges.tolist(), ru.rows.tolist(), strict=True):
            per_row[r].append(str(fids[e]))
        return _Frames(layer, ru.roads, ru.updated, ru.table, per_row)
    pr = imp.read_point_table(kind, path, ws)
    old = ws.read(layer) if ws.has(layer) else None
    new = update_layer(old, pr.rows)
    return _Frames(layer, old, new, pr.table, [[str(i)] for i in pr.rows["id"]], pr.rows)


def _nearest(header: str, known: tuple[str, ...]) -> str | None:
    key = re.sub(r"[^\w]+", "_", normalise_word(header)).strip("_")
    hits = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return hits[0] if hits else None


def _header_warnings(frames: _Frames, kind: str) -> list[str]:
    """Unrecognised columns, each with the nearest header the import knows."""
    have = set(frames.old.columns) if frames.old is not None else set()
    have |= set(DISTRIK_HEADERS)
    known = imp.known_headers(kind)
    out = []
    for header in imp.unknown_headers(frames.table, kind):
        key = re.sub(r"[^\w]+", "_", normalise_word(header)).strip("_")
        if key in have:
            continue  # a column the layer already has: kept, not unknown
        what = ("diabaikan (ignored)" if kind == "road-conditions"
                else "disimpan apa adanya sebagai teks (kept as text)")
        near = _nearest(header, known)
        hint = f"; mungkin maksudnya '{near}'? (did you mean)" if near else ""
        out.append(f"kolom '{header}' tidak dikenal, {what}{hint}")
    return out


def _distrik_key(name: object) -> str:
    w = normalise_word(str(name))
    return re.sub(r"^(distrik|kecamatan|kec\.?)\s+", "", w).strip()


def _distrik_warnings(ws: Workspace, frames: _Frames) -> list[str]:
    """File rows whose ``distrik`` disagrees with the distrik polygon their point lies in."""
    table, rows = frames.table, frames.rows
    col = table.column(DISTRIK_HEADERS)
    if col is None or rows is None or not ws.has("admin_areas"):
        return []
    admin = ws.read("admin_areas")
    distrik = admin[admin["level"].astype(str) == "distrik"]
    if distrik.empty:
        return []
    given = table.frame[col].map(text)
    pts = gpd.GeoDataFrame({"row": np.arange(len(rows))}, geometry=rows.geometry.to_numpy(),
                           crs=schema.WGS84)
    pts = pts[given.notna().to_numpy() & ~pts.geometry.isna().to_numpy()]
    hit = gpd.sjoin(pts, distrik[["nama", "geometry"]].to_crs(schema.WGS84),
                    predicate="within", how="inner")
    hit = hit[~hit["row"].duplicated()]
    out = []
    for r, actual in zip(hit["row"].tolist(), hit["nama"].tolist(), strict=True):
        stated = given.iloc[r]
        if _distrik_key(stated) != _distrik_key(actual):
            out.append(f"{table.file}, baris {int(table.lines[r])}, kolom "
                       f"'{table.headers[col]}': distrik '{stated}' tidak cocok dengan lokasi "
                       f"titik, yang berada di distrik {actual}")
    return out


def preview_upload(ws: Workspace, kind: str, path: str | os.PathLike[str], *,
                   config: ReadinessConfig, user: User) -> Preview:
    """What uploading ``path`` as ``kind`` would change; writes nothing.

    Row-level problems come back in :attr:`Preview.problems` (not raised), a write outside
    the agency's scope in :attr:`Preview.scope_error`.

    Raises
    ------
    WorkspaceError
        The workspace is missing (or has no roads, for a road survey).
    """
    ws.require()
    path = Path(path)
    sha = sha256_file(path) if path.is_file() else ""
    base = data_version(ws)
    try:
        frames = _upload_frames(ws, kind, path)
    except InputError as exc:
        return Preview(kind, str(path), sha, base, problems=exc.problems, error=str(exc))
    diffs = diff_layer(frames.layer, frames.old, frames.new).drop(columns="layer")
    changed = set(diffs["feature_id"])
    old_ids = (set(feature_ids(frames.layer, frames.old)) if frames.old is not None
               else set())
    n_new = n_changed = 0
    for fids in frames.row_features:
        if kind != "road-conditions" and fids[0] not in old_ids:
            n_new += 1
        elif any(f in changed for f in fids):
            n_changed += 1
    rows_read = len(frames.table)
    new_points = gpd.GeoDataFrame({"id": []}, geometry=[], crs=schema.WGS84)
    if frames.rows is not None:
        new_points = frames.rows[~frames.rows["id"].map(text).isin(old_ids).to_numpy()]
        new_points = new_points.reset_index(drop=True)
    scope_error = None
    try:
        _check(config, user, frames.layer, diffs)
    except ScopeError as exc:
        scope_error = str(exc)
    warnings = _header_warnings(frames, kind) + _distrik_warnings(ws, frames)
    return Preview(kind, str(path), sha, base, rows_read, n_new, n_changed,
                   rows_read - n_new - n_changed, diffs, new_points, warnings,
                   scope_error=scope_error)


def _as_stored(ws: Workspace, layer: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with the field types the layer has in the GeoPackage: read back, an integer
    or yes/no field with empty cells comes as float, and written so it would turn Real."""
    if not ws.has(layer):
        return frame
    info = pyogrio.read_info(ws.path, layer=layer)
    out = frame.copy()
    for name, dtype in zip(info["fields"], info["dtypes"], strict=True):
        if name not in out.columns:
            continue
        if str(dtype).startswith("int"):
            out[name] = pd.to_numeric(out[name], errors="coerce").astype("Int64")
        elif str(dtype) == "bool":
            cells = out[name].astype(object)
            out[name] = cells.where(~cells.map(lambda v: value_json(v) == "null"), None).map(
                lambda v: v if v is None else bool(v)).astype("boolean")
    return out


def _write(ws: Workspace, entry: Entry, layers: Mapping[str, gpd.GeoDataFrame],
           source: Source | None = None, tables: Mapping[str, pd.DataFrame] | None = None
           ) -> Applied:
    """Write ``layers`` (and non-spatial ``tables``, such as ``tasks``) and their history
    in one update."""
    rec = Recorder(entry)
    with ws.recording(rec).update() as stage:
        for layer, frame in layers.items():
            stage.write(layer, _as_stored(ws, layer, frame))
        for name, table in (tables or {}).items():
            stage.write_table(name, table)
        if source is not None:
            stage.add_source(source, replace_layer=False)
    assert rec.version is not None
    return Applied(rec.version, rec.n_changes)


def _expect(ws: Workspace, expect_version: int | None) -> None:
    if expect_version is not None and (now := data_version(ws)) != expect_version:
        raise StaleVersion(f"data workspace sudah berubah sejak pratinjau (versi {expect_version} "
                           f"-> {now}); unggah ulang untuk pratinjau baru")


@writes_workspace
def apply_upload(ws: Workspace, kind: str, path: str | os.PathLike[str], *,
                 config: ReadinessConfig, user: User,
                 expect_version: int | None = None) -> Applied:
    """Apply an upload atomically, with its history; mark the scores stale.

    Parameters
    ----------
    expect_version
        The :attr:`Preview.base_version` the user confirmed; a workspace changed since
        raises :class:`~geo.exceptions.StaleVersion` (HTTP 409) and nothing is written.

    Raises
    ------
    InputError
        Problems in the file (nothing written).
    ScopeError
        A change outside the agency's scope (nothing written).
    StaleVersion
        The data changed since the preview.
    """
    ws.require()
    path = Path(path)
    _expect(ws, expect_version)
    frames = _upload_frames(ws, kind, path)
    diffs = diff_layer(frames.layer, frames.old, frames.new)
    _check(config, user, frames.layer, diffs)
    if diffs.empty:
        return Applied(data_version(ws), 0)
    n = len(frames.table)
    entry = Entry(user.username, user.agency, "upload",
                  f"unggah {kind}: {n} baris dari {path.name}", path.name, sha256_file(path))
    source = Source(name=path.name, layer=frames.layer,
                    date=datetime.now(UTC).date().isoformat(), licence=imp.LICENCE,
                    note=f"unggahan {kind} oleh {user.username} ({user.agency}): {n} baris")
    return _write(ws, entry, {frames.layer: frames.new}, source)


def import_recorded(kind: str, path: str | os.PathLike[str], ws: Workspace, *,
                    reporter: Reporter = SILENT) -> tuple[imp.ImportSummary, int | None]:
    """``siapwisata import``: :func:`geo.steps.imports.import_file` recorded as a version
    (actor ``cli``, kind ``import``) in the same update; marks the scores stale.

    Returns the import summary and the version written.
    """
    path = Path(path)
    sha = sha256_file(path) if path.is_file() else ""
    rec = Recorder(Entry(CLI_ACTOR, CLI_ACTOR, "import", f"impor {kind} dari {path.name}",
                         path.name, sha))
    summary = import_file(kind, path, ws.recording(rec), reporter=reporter)
    return summary, rec.version


# --- one-record edits ---------------------------------------------------------------------


def _form_error(problems: list[Problem]) -> InputError:
    return InputError(problems)


def _unknown_field(key: str, known: list[str]) -> Problem:
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; mungkin maksudnya '{near[0]}'?" if near else ""
    return Problem(FORM, f"kolom '{key}' tidak bisa diubah di sini; "
                         f"yang bisa: {', '.join(known)}{hint}", field=key)


def _numeric_indicator_columns(config: ReadinessConfig) -> set[str]:
    """Destination columns agencies own by name that are numeric indicators (e.g.
    ``layanan_per_minggu``) and not import attributes."""
    owned = {c.split(".", 1)[1] for d in config.dimensions.values() for c in d.owns.columns
             if c.startswith("destinations.")}
    numeric = {i.column for d in config.dimensions.values() for i in d.indicators.values()
               if i.numeric}
    return (owned & numeric) - set(schema.DESTINATION_ATTRIBUTES)


def _parse_destination(values: Mapping[str, object], config: ReadinessConfig
                       ) -> dict[str, Any]:
    extra = _numeric_indicator_columns(config)
    known = ["name", "category", *schema.DESTINATION_ATTRIBUTES, *sorted(extra)]
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, raw in values.items():
        if key == "name":
            v = text(raw)
            if v is None:
                problems.append(Problem(FORM, "nama kosong", field=key))
            out[key] = v
        elif key == "category":
            v = imp.destination_category(pd.Series([raw], dtype=object)).iloc[0]
            if v is None or pd.isna(v):
                problems.append(Problem(FORM, f"category '{raw!s}' tidak dikenal; "
                                        f"pilihan: "
                                        f"{', '.join(schema.DESTINATION_CATEGORIES)}", field=key))
            out[key] = v
        elif key in schema.DESTINATION_ATTRIBUTES:
            v, msg = imp.parse_attribute(key, raw)
            if msg:
                problems.append(Problem(FORM, msg, field=key))
            out[key] = v
        elif key in extra:
            f = None if text(raw) is None else number(raw)
            if text(raw) is not None and (f is None or f < 0):
                problems.append(Problem(FORM, f"'{raw!s}' bukan angka >= 0",
                                        field=key))
            out[key] = f
        else:
            problems.append(_unknown_field(key, known))
    if "fasilitas" in out and "jumlah_fasilitas" not in values:
        # as an import does: the count follows the list unless it is stated
        listed = text(out["fasilitas"])
        out["jumlah_fasilitas"] = (
            None if listed is None
            else len([p for p in re.split(r"[,;/\n]|\bdan\b", listed) if p.strip()]))
    if problems:
        raise _form_error(problems)
    return out


def _set_row(frame: gpd.GeoDataFrame, pos: np.ndarray, values: Mapping[str, Any]
             ) -> gpd.GeoDataFrame:
    out = frame.copy()
    for col, v in values.items():
        cells = out[col].astype(object).copy() if col in out.columns else pd.Series(
            None, index=out.index, dtype=object)
        cells.iloc[pos] = [v] * len(pos)
        out[col] = _typed(cells, frame[col]) if col in frame.columns else cells
    return out


def _locate(frame: pd.DataFrame, layer: str, fid: str, what: str) -> np.ndarray:
    pos = np.flatnonzero((feature_ids(layer, frame) == str(fid).strip()).to_numpy())
    if not len(pos):
        raise InputError([Problem(FORM, f"{what} '{fid}' tidak ada di layer '{layer}'", field="id")])
    return pos


def plan_destination_edit(ws: Workspace, id: str, values: Mapping[str, object], *,
                          config: ReadinessConfig, user: User) -> Planned | None:
    """:func:`edit_destination` without writing: the change, or None when nothing differs.

    Raises
    ------
    InputError, ScopeError
        As :func:`edit_destination`.
    """
    ws.require()
    parsed = _parse_destination(values, config)
    old = ws.read("destinations")
    pos = _locate(old, "destinations", id, "destinasi")
    new = _set_row(old, pos, parsed)
    diffs = diff_layer("destinations", old, new)
    _check(config, user, "destinations", diffs)
    if diffs.empty:
        return None
    fields = ", ".join(dict.fromkeys(diffs["field"]))
    return Planned("destinations", new, diffs.drop(columns="layer"),
                   f"ubah destinasi {id}: {fields}")


def write_change(ws: Workspace, user: User, planned: Planned | None, *, kind: str = "edit",
                 summary: str | None = None,
                 tables: Mapping[str, pd.DataFrame] | None = None) -> Applied:
    """Write a planned edit (and ``tables``) as one version with its history; nothing is
    written when there is neither. The caller holds the workspace lock."""
    if planned is None and not tables:
        return Applied(data_version(ws), 0)
    text_ = summary if summary is not None else (planned.summary if planned else "")
    layers = {planned.layer: planned.frame} if planned is not None else {}
    return _write(ws, Entry(user.username, user.agency, kind, text_), layers, tables=tables)


@writes_workspace
def edit_destination(ws: Workspace, id: str, values: Mapping[str, object], *,
                     config: ReadinessConfig, user: User) -> Applied:
    """Change attributes of one destination (``name``, ``category`` and the agency
    attributes of :data:`geo.schema.DESTINATION_ATTRIBUTES`, plus numeric indicator columns
    an agency owns by name), parsed as an import parses them; blank clears a value.

    Raises
    ------
    InputError
        Unknown destination, unknown field or a bad value (field named).
    ScopeError
        A column outside the agency's scope.
    """
    return write_change(ws, user, plan_destination_edit(ws, id, values, config=config,
                                                        user=user))


def _road_value(key: str, raw: object) -> tuple[str | None, Problem | None]:
    if text(raw) is None:
        return None, None
    s = pd.Series([text(raw)], dtype="string")
    if key == "condition":
        got, vocab = condition_class(s).iloc[0], [c for c in schema.CONDITIONS if c != "unknown"]
    elif key == "surface":
        got, vocab = imp.pu_surface(s).iloc[0], [c for c in schema.SURFACE_CLASSES
                                                 if c != "unknown"]
    else:
        got, vocab = imp.pu_authority(s).iloc[0], [c for c in schema.AUTHORITIES
                                                   if c != "unknown"]
    if got is None or pd.isna(got):
        return None, Problem(FORM, f"{key} '{raw!s}' tidak dikenal; "
                                   f"pilihan: {', '.join(vocab)}", field=key)
    return str(got), None


def plan_road_edit(ws: Workspace, ruas_id: str, values: Mapping[str, object], *,
                   config: ReadinessConfig, user: User) -> Planned | None:
    """:func:`edit_road` without writing: the change, or None when nothing differs.

    Raises
    ------
    InputError, ScopeError
        As :func:`edit_road`.
    """
    ws.require()
    problems = [_unknown_field(k, list(ROAD_FIELDS)) for k in values if k not in ROAD_FIELDS]
    parsed: dict[str, str | None] = {}
    for key in ROAD_FIELDS:
        if key in values:
            parsed[key], p = _road_value(key, values[key])
            if p is not None:
                problems.append(p)
    if not any(v is not None for v in parsed.values()) and not problems:
        problems.append(Problem(FORM, "tidak ada kondisi/permukaan/kewenangan untuk diisi", field="condition"))
    if problems:
        raise _form_error(problems)
    if not ws.has("roads"):
        raise InputError([Problem(FORM, "layer 'roads' tidak ada", field="ruas_id")])
    roads = ws.read("roads")
    edges = ruas_rows(str(ruas_id), road_sections(roads.reset_index(drop=True)))
    if edges is None or not len(edges):
        raise InputError([Problem(FORM, f"ruas_id '{ruas_id}' tidak ada di workspace "
                                        "(pakai ID dari keluaran prioritas)",
                                  field="ruas_id")])
    survey = imp.RoadSurvey(np.array([1]), [None], np.array([None], dtype=object),
                            [parsed.get("condition")], [parsed.get("surface")],
                            [parsed.get("authority")])
    updated, _ = imp.apply_survey(roads, survey, edges, np.zeros(len(edges), dtype=np.int64))
    diffs = diff_layer("roads", roads, updated)
    _check(config, user, "roads", diffs)
    if diffs.empty:
        return None
    set_ = ", ".join(f"{k}={v}" for k, v in parsed.items() if v is not None)
    return Planned("roads", updated, diffs.drop(columns="layer"),
                   f"ubah ruas {ruas_id} ({len(edges)} segmen): {set_}")


@writes_workspace
def edit_road(ws: Workspace, ruas_id: str, values: Mapping[str, object], *,
              config: ReadinessConfig, user: User) -> Applied:
    """Set ``condition`` / ``surface`` (and ``authority``) of every edge of one road
    section, named by the ``ruas_id`` the priorities show (``R00042``); words as a PU survey
    writes them (``rusak berat``, ``hotmix``). Marks them ``*_source = agency`` as an import
    does.

    Raises
    ------
    InputError
        Unknown section, field or value.
    ScopeError
        Outside the agency's scope.
    """
    return write_change(ws, user, plan_road_edit(ws, ruas_id, values, config=config,
                                                 user=user))


def _next_umkm_id(existing: gpd.GeoDataFrame | None) -> str:
    ids = [] if existing is None else [text(v) or "" for v in existing["id"]]
    nums = [int(m.group(1)) for i in ids if (m := re.fullmatch(r"UMKM-(\d+)", i))]
    return f"UMKM-{(max(nums) if nums else 0) + 1:04d}"


@writes_workspace
def save_umkm(ws: Workspace, id: str | None, values: Mapping[str, object],
              lon: float | None, lat: float | None, *, config: ReadinessConfig,
              user: User) -> Applied:
    """Add a UMKM (``id`` None: a new ``UMKM-NNNN`` id) or change / move one.

    ``values``: ``name``, ``type`` (words as in a file: ``warung makan``), and optionally
    ``kode_kampung``; for a change, omitted fields and a missing ``lon``/``lat`` keep what
    the UMKM has. The row is validated exactly as a UMKM file row (inside the boundary,
    known type, known kampung code).

    Raises
    ------
    InputError
        A bad value (field named) or an unknown id.
    ScopeError
        Outside the agency's scope.
    """
    ws.require()
    allowed = ["name", "type", "kode_kampung"]
    bad = [_unknown_field(k, allowed) for k in values if k not in allowed]
    if bad:
        raise _form_error(bad)
    old = ws.read("umkm") if ws.has("umkm") else None
    cells: dict[str, object] = {k: values.get(k) for k in allowed if k in values}
    if id is None:
        fid = _next_umkm_id(old)
    else:
        fid = str(id).strip()
        if old is None:
            raise InputError([Problem(FORM, f"UMKM '{fid}' tidak ada", field="id")])
        row = old.iloc[_locate(old, "umkm", fid, "UMKM")[0]]
        for k, col in (("name", "name"), ("type", "type")):
            cells.setdefault(k, row.get(col))
        if lon is None or lat is None:
            lon, lat = float(row.geometry.x), float(row.geometry.y)
            if "kode_kampung" not in cells and text(row.get("location_precision")) == (
                    "kampung_centroid"):
                cells["kode_kampung"] = row.get("kode_kampung")
                lon = lat = None  # keeps being placed by its kampung
    frame = pd.DataFrame({"id": [fid], "nama": [cells.get("name")], "jenis": [cells.get("type")],
                          "bujur": [lon], "lintang": [lat],
                          **({"kode_kampung": [cells["kode_kampung"]]}
                             if text(cells.get("kode_kampung")) else {})}, dtype=object)
    headers = {"id": "id", "nama": "name", "jenis": "type", "bujur": "lon", "lintang": "lat",
               "kode_kampung": "kode_kampung"}
    table = Table(FORM, "form", frame, {c: headers[c] for c in frame.columns}, np.array([2]))
    try:
        rows = imp.point_rows("umkm", table, ws)
    except InputError as exc:  # a form has no lines: name the field only
        raise InputError([Problem(p.file, p.message, None, p.field) for p in exc.problems]
                         ) from None
    new = update_layer(old, rows)
    diffs = diff_layer("umkm", old, new)
    _check(config, user, "umkm", diffs)
    if diffs.empty:
        return Applied(data_version(ws), 0)
    what = "tambah" if id is None else "ubah"
    return _write(ws, Entry(user.username, user.agency, "edit", f"{what} UMKM {fid}"),
                  {"umkm": new})


# --- rollback --------------------------------------------------------------------------------


def _restore(layer: str, frame: gpd.GeoDataFrame, target: pd.DataFrame) -> gpd.GeoDataFrame:
    """``frame`` with the values of ``target`` (feature_id, field, value JSON) put back:
    rows whose ``_row`` target is null deleted, rows whose target is true and are missing
    re-created from their target values."""
    ids = feature_ids(layer, frame)
    rows = target[target["field"] == ROW_FIELD]
    gone = set(rows.loc[rows["value"] == "null", "feature_id"])
    back = [f for f in rows.loc[rows["value"] == "true", "feature_id"] if f not in set(ids)]
    out = frame.loc[~ids.isin(gone).to_numpy()].copy()
    if back:
        blank = pd.DataFrame({c: [None] * len(back) for c in out.columns if c != out.geometry.name})
        if "id" in blank.columns:
            blank["id"] = back
        add = gpd.GeoDataFrame(blank, geometry=[None] * len(back), crs=out.crs)
        out = gpd.GeoDataFrame(pd.concat([out, add.rename_geometry(out.geometry.name)
                                          if add.geometry.name != out.geometry.name else add],
                                         ignore_index=True), geometry=out.geometry.name,
                               crs=out.crs)
        for col in frame.columns:
            if col != frame.geometry.name:
                out[col] = _typed(out[col].astype(object), frame[col])
    out = out.reset_index(drop=True)
    ids = feature_ids(layer, out)
    pos = pd.Series(np.arange(len(out)), index=ids.to_numpy())
    pos = pos[~pos.index.duplicated()]
    values = target[(target["field"] != ROW_FIELD) & target["feature_id"].isin(pos.index)]
    for col, group in values.groupby("field", sort=False):
        at = pos.reindex(group["feature_id"].to_numpy()).to_numpy(dtype=np.int64)
        if col == GEOMETRY_FIELD:
            geoms = np.asarray(out.geometry.to_numpy(), dtype=object).copy()
            geoms[at] = [geometry_from_text(value_from_json(v)) if v != "null" else None
                         for v in group["value"]]
            out[out.geometry.name] = gpd.GeoSeries(geoms, index=out.index, crs=out.crs)
            continue
        cells = out[col].astype(object).copy() if col in out.columns else pd.Series(
            None, index=out.index, dtype=object)
        cells.iloc[at] = [value_from_json(v) for v in group["value"]]
        out[col] = _typed(cells, frame[col]) if col in frame.columns else cells
    return out


@writes_workspace
def rollback(ws: Workspace, to_version: int, *, user: User) -> Applied:
    """Put every value changed after ``to_version`` back as it was then, as a NEW version
    (kind ``rollback``); the history keeps every earlier version. Admin only.

    Features added since are deleted and features deleted since re-created; values changed
    outside the recorded history (a re-ingest) are left alone.

    Raises
    ------
    ScopeError
        The user is not an admin.
    InputError
        ``to_version`` is not a recorded version (or 0, before the first).
    """
    if not user.is_admin:
        raise ScopeError(f"hanya admin yang boleh mengembalikan versi; "
                         f"akun '{user.username}' berperan '{user.role}'")
    ws.require()
    versions = read_versions(ws)
    last = int(versions["version"].max()) if len(versions) else 0
    if not (0 <= int(to_version) <= last):
        raise InputError([Problem(FORM, f"versi {to_version} tidak ada; "
                                        f"versi yang ada: 0-{last}", field="version")])
    changes = read_changes(ws, after=int(to_version))
    # data only: an agency's commitments (tasks) are not undone by restoring data
    changes = changes[changes["layer"].isin(TRACKED)]
    if changes.empty:
        return Applied(data_version(ws), 0)
    # the value a field had at to_version is the 'old' of its first change after it
    first = changes.drop_duplicates(["layer", "feature_id", "field"], keep="first")
    layers: dict[str, gpd.GeoDataFrame] = {}
    for layer, target in first.groupby("layer", sort=False):
        frame = ws.read(str(layer)) if ws.has(str(layer)) else None
        if frame is None:
            continue
        restored = _restore(str(layer), frame, target.rename(columns={"old": "value"}))
        # a column the changes brought in, empty again everywhere, goes: the layer as it was
        brought = set(target["field"]) - {ROW_FIELD, GEOMETRY_FIELD}
        empty = [c for c in brought if c in restored.columns and c not in schema.REQUIRED.get(
            str(layer), ()) and restored[c].map(lambda v: value_json(v) == "null").all()]
        layers[str(layer)] = restored.drop(columns=empty)
    return _write(ws, Entry(user.username, user.agency, "rollback",
                            f"kembalikan ke versi {int(to_version)}"), layers)


# --- reading the history ---------------------------------------------------------------------


def versions(ws: Workspace) -> pd.DataFrame:
    """The ``versions`` table, oldest first."""
    ws.require()
    return read_versions(ws)


def history(ws: Workspace, *, agency: str | None = None, since: str | datetime | None = None,
            limit: int | None = None) -> pd.DataFrame:
    """The change log, newest first: one row per changed value, with its version's
    ``at``, ``username``, ``agency``, ``kind``, ``summary``, ``source_file`` and
    ``source_sha256`` (a version that changed no value, such as ``score``, has one row with
    empty change columns).

    Parameters
    ----------
    agency
        Only versions by this agency.
    since
        Only versions at or after this time (ISO text or datetime; naive means UTC).
    limit
        At most this many rows.
    """
    ws.require()
    vers = read_versions(ws)
    if agency is not None:
        vers = vers[vers["agency"].astype(str) == agency]
    if since is not None:
        t = pd.Timestamp(since)
        t = t.tz_localize(UTC) if t.tzinfo is None else t.tz_convert(UTC)
        at = pd.to_datetime(vers["at"], utc=True, format="ISO8601")
        vers = vers[(at >= t).to_numpy()]
    changes = read_changes(ws, after=int(vers["version"].min()) - 1 if len(vers) else None)
    out = vers.merge(changes, on="version", how="left")
    out = out.iloc[::-1].reset_index(drop=True)  # newest first
    if limit is not None:
        out = out.head(int(limit))
    return out


# --- the recompute after a change --------------------------------------------------------------


def recompute(ws: Workspace, *, reporter: Reporter = SILENT) -> None:
    """Score and rank priorities, with the configurations the workspace recorded
    (:mod:`geo.steps.configs`): the background worker's step after each applied version.
    Clears ``scores_stale`` and appends ``scores_history`` (the score step does).

    Priorities are recomputed only when the workspace has them, with the authority and
    budget they were computed with.
    """
    from geo.priorities import LAYER as PRIORITIES
    from geo.steps.configs import (
        read_stored_priorities_configs,
        workspace_network_config,
        workspace_readiness_config,
    )
    from geo.steps.priorities import score_and_priorities_workspace
    from geo.steps.readiness import score_workspace

    ws.require()
    _, readiness_text = workspace_readiness_config(ws)
    _, network_text = workspace_network_config(ws)
    if not ws.has(PRIORITIES):
        score_workspace(ws, config=readiness_text, network_config=network_text,
                        reporter=reporter, actor=SYSTEM_ACTOR)
        return
    stored = read_stored_priorities_configs(ws)
    meta = ws.metadata()
    budget = meta.get("priorities_budget", "")
    kwargs: dict[str, Any] = {}
    if stored is not None:
        texts = stored[2]
        kwargs = {"config": texts["priorities"], "readiness_config": texts.get("readiness"),
                  "network_config": texts["network"]}
    # one access run for both steps where their network configurations agree
    score_and_priorities_workspace(ws, budget=float(budget) if budget else None,
                                   authority=meta.get("priorities_authority") or "kabupaten",
                                   reporter=reporter, score_config=readiness_text,
                                   score_network_config=network_text, actor=SYSTEM_ACTOR,
                                   **kwargs)
