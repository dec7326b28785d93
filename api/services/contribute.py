"""Contributions from the browser and from scripts: upload → preview → apply, one-record
edits, rollback (issue 12).

The geo side (:mod:`geo.steps.contribute`) reads and checks the files with the importers the
command line uses, checks each agency's scope against readiness.toml, and writes the change
with its history rows in one workspace update. Here: keeping an uploaded file between its
preview and its confirmation, turning a preview into plain values for the page and the JSON
answer, and sending every write through the server's one writer queue
(:mod:`api.services.writes`), which then asks for the background recomputation.

Uploaded files wait in a private folder beside the workspace (``.NAME.unggahan``, mode
0700), one sub-folder per preview token holding the file and who uploaded it against which
data version. A token is the user's alone, expires after :data:`TOKEN_TTL_S`, and is
refused (409) once another change has been applied since its preview: the preview the user
confirmed must be the change that gets applied.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo.accounts import User
from geo.exceptions import InputError, Problem, ScopeError

from .._util import json_value
from ..deps import WorkspaceStore
from ..errors import BadParameter, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from geo.readiness import ReadinessConfig
    from geo.steps.contribute import Applied, Preview

    from .writes import Writes

KINDS: tuple[str, ...] = ("destinations", "umkm", "gateways", "road-conditions")
KIND_LABELS: dict[str, str] = {
    "destinations": "Destinasi wisata",
    "umkm": "UMKM",
    "gateways": "Gerbang (bandara, pelabuhan, terminal)",
    "road-conditions": "Kondisi ruas jalan (ruas_id atau osm_way_id)",
}
SUFFIXES = (".csv", ".xlsx", ".geojson", ".json", ".gpkg")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""ASSUMPTION: an agency table of a regency is a few MB; 50 MB bounds the disk a wrong
file can take."""
TOKEN_TTL_S = 24 * 3600
MAX_DIFF_ROWS = 2000
"""Changed values a preview lists (all are counted; the apply writes them all)."""
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


# --- the upload folder ---------------------------------------------------------------


def upload_dir(store: WorkspaceStore) -> Path:
    """The private folder of previewed uploads, beside the workspace (created 0700)."""
    path = store.path.with_name(f".{store.path.name}.unggahan")
    path.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _safe_name(filename: str) -> str:
    """The uploaded file's base name, reduced to harmless characters (its suffix picks the
    reader)."""
    base = os.path.basename(filename.replace("\\", "/")).strip() or "unggahan"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _SAFE_NAME.sub("_", stem).strip(". ")[:80] or "unggahan"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def _sweep(folder: Path, now: float) -> None:
    """Delete previews older than :data:`TOKEN_TTL_S`."""
    for entry in folder.iterdir():
        try:
            if entry.is_dir() and now - entry.stat().st_mtime > TOKEN_TTL_S:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


@dataclasses.dataclass(frozen=True)
class Upload:
    """One previewed upload waiting for its confirmation."""

    token: str
    kind: str
    filename: str
    path: Path
    sha256: str
    username: str
    agency: str
    base_version: int


def _keep(store: WorkspaceStore, user: User, kind: str, filename: str, data: bytes) -> Upload:
    """Write the uploaded bytes to a new token's folder (not yet confirmable: :func:`_seal`)."""
    folder = upload_dir(store)
    _sweep(folder, time.time())
    token = secrets.token_urlsafe(24)
    place = folder / token
    place.mkdir(mode=0o700)
    name = _safe_name(filename)
    path = place / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return Upload(token, kind, name, path, hashlib.sha256(data).hexdigest(), user.username,
                  user.agency, -1)


def _seal(upload: Upload, base_version: int) -> None:
    """Make a previewed upload confirmable: who uploaded it, against which data version."""
    upload = dataclasses.replace(upload, base_version=base_version)
    meta = {k: str(v) if isinstance(v, Path) else v
            for k, v in dataclasses.asdict(upload).items()}
    (upload.path.parent / "upload.json").write_text(json.dumps(meta), encoding="utf-8")


def find_upload(store: WorkspaceStore, token: str, user: User) -> Upload:
    """The upload of ``token``, which must be ``user``'s and not expired.

    Raises
    ------
    NotFound
        No such token (or another user's: tokens are not shared, and not confirmed).
    """
    missing = NotFound(f"pratinjau '{token[:64]}' tidak ditemukan atau kedaluwarsa: "
                       "unggah berkasnya lagi")
    if not _TOKEN.match(token):
        raise missing
    place = upload_dir(store) / token
    try:
        meta = json.loads((place / "upload.json").read_text(encoding="utf-8"))
        age = time.time() - place.stat().st_mtime
    except (OSError, ValueError):
        raise missing from None
    if age > TOKEN_TTL_S or meta.get("username") != user.username:
        raise missing
    meta["path"] = Path(meta["path"])
    return Upload(**meta)


def _discard(upload: Upload) -> None:
    shutil.rmtree(upload.path.parent, ignore_errors=True)


# --- versions -------------------------------------------------------------------------


def data_version(store: WorkspaceStore) -> int:
    """The workspace's data version (0 before any recorded change): what a preview is
    made against (:func:`geo.io.history.data_version`)."""
    from geo.io.history import data_version as version_of

    return version_of(store.ws)


# --- previews -------------------------------------------------------------------------


@dataclasses.dataclass
class PreviewView:
    """A preview as plain values: the page and the JSON answer show the same."""

    token: str | None
    kind: str
    filename: str
    sha256: str
    base_version: int
    problems: list[str]
    problem_rows: list[dict[str, Any]]
    scope_error: str | None
    warnings: list[str]
    new: int
    changed: int
    unchanged: int
    n_diffs: int
    diffs: list[dict[str, Any]]
    new_points: dict[str, Any]

    @property
    def can_apply(self) -> bool:
        return self.token is not None


def _cell(value: Any) -> Any:
    """A diff value (JSON text, as the history stores it) as its plain value."""
    value = json_value(value)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _diff_rows(diffs: pd.DataFrame | None) -> tuple[int, list[dict[str, Any]]]:
    if diffs is None or len(diffs) == 0:
        return 0, []
    rows = []
    for r in diffs.head(MAX_DIFF_ROWS).to_dict("records"):
        rows.append({"feature_id": str(r.get("feature_id")), "field": str(r.get("field")),
                     "old": _cell(r.get("old")), "new": _cell(r.get("new"))})
    return len(diffs), rows


def _points(points: Any) -> dict[str, Any]:
    """The new points as a GeoJSON FeatureCollection (id and name only)."""
    from maps import features

    if points is None or len(points) == 0:
        return {"type": "FeatureCollection", "features": []}
    pts = points[points.geometry.notna() & ~points.geometry.is_empty]
    pts = pts.to_crs(4326) if pts.crs is not None else pts
    cols = [c for c in ("id", "name") if c in pts]
    return features(pts, cols)


def _problem_text(p: Problem, filename: str) -> str:
    """A problem as the command line prints it, naming the uploaded file (never the
    server's folder)."""
    return str(dataclasses.replace(p, file=filename))


def preview_upload(store: WorkspaceStore, user: User, kind: str, filename: str,
                   data: bytes) -> PreviewView:
    """Keep an uploaded file and preview what applying it would change.

    A file with row-level problems, or one that changes columns outside the user's scope,
    gets a preview without token (nothing can be applied); the file is not kept.
    """
    from geo.steps.contribute import preview_upload as preview_step

    if kind not in KINDS:
        raise BadParameter("kind", f"jenis unggahan '{kind[:50]}' tidak dikenal; pilih salah "
                                   f"satu: {', '.join(KINDS)}")
    name = _safe_name(filename)
    if not name.lower().endswith(SUFFIXES):
        raise BadParameter("file", f"berkas '{name}' bukan CSV, XLSX, GeoJSON atau GeoPackage "
                                   "(.csv .xlsx .geojson .gpkg)")
    if not data:
        raise BadParameter("file", f"berkas '{name}' kosong")
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadParameter("file", f"berkas '{name}' lebih dari "
                                   f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    upload = _keep(store, user, kind, name, data)
    keep = False
    try:
        config = store.readiness_config()
        try:
            preview = preview_step(store.ws, kind, upload.path, config=config, user=user)
        except InputError as exc:
            return _failed_view(upload, exc.problems)
        view = _view(upload, preview)
        if view.can_apply:
            _seal(upload, preview.base_version)
            keep = True
        return view
    finally:
        if not keep:
            _discard(upload)


def _failed_view(upload: Upload, problems: list[Problem]) -> PreviewView:
    return PreviewView(
        token=None, kind=upload.kind, filename=upload.filename, sha256=upload.sha256,
        base_version=-1,
        problems=[_problem_text(p, upload.filename) for p in problems],
        problem_rows=[{"line": p.line, "field": p.field, "message": p.message}
                      for p in problems],
        scope_error=None, warnings=[], new=0, changed=0, unchanged=0, n_diffs=0, diffs=[],
        new_points={"type": "FeatureCollection", "features": []})


def _view(upload: Upload, preview: Preview) -> PreviewView:
    """The preview as plain values; a token only when applying it would change something
    and succeed (no problem, inside the agency's scope)."""
    n_diffs, diffs = _diff_rows(preview.diffs)
    ok = preview.ok and n_diffs > 0
    warnings = [w.replace(str(upload.path), upload.filename) for w in preview.warnings]
    return PreviewView(
        token=upload.token if ok else None, kind=upload.kind, filename=upload.filename,
        sha256=upload.sha256, base_version=preview.base_version,
        problems=[_problem_text(p, upload.filename) for p in preview.problems],
        problem_rows=[{"line": p.line, "field": p.field, "message": p.message}
                      for p in preview.problems],
        scope_error=preview.scope_error, warnings=warnings, new=preview.n_new,
        changed=preview.n_changed, unchanged=preview.n_unchanged, n_diffs=n_diffs,
        diffs=diffs, new_points=_points(preview.new_points))


# --- writes (each on the writer queue) -------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AppliedView:
    """The new workspace version a write made."""

    version: int
    n_changes: int
    message: str


def _applied(result: Any, what: str) -> AppliedView:
    version = int(getattr(result, "version", 0) or 0)
    n = int(getattr(result, "n_changes", 0) or 0)
    message = (f"{what}: versi {version} tersimpan ({n} perubahan). Skor dan prioritas "
               "dihitung ulang di latar belakang." if n else f"{what}: tidak ada yang berubah.")
    return AppliedView(version, n, message)


async def apply_upload(store: WorkspaceStore, writes: Writes, user: User,
                       token: str) -> AppliedView:
    """Apply a previewed upload (the user's own token, on the version it was previewed
    against), atomically, on the writer queue.

    Raises
    ------
    geo.exceptions.StaleVersion
        Another change was applied since the preview (409: preview again).
    """
    upload = find_upload(store, token, user)
    result = await writes.apply(write_upload, upload.kind, str(upload.path), user,
                                upload.base_version)
    _discard(upload)
    return _applied(result, f"Unggahan {upload.filename}")


# The writes themselves: module-level functions of plain arguments, run on the writer
# (api.services.writes.run_write: in its worker process, with its own store).


def write_upload(store: WorkspaceStore, kind: str, path: str, user: User,
                 base_version: int) -> Applied:
    """Apply a previewed upload file."""
    from geo.steps.contribute import apply_upload as step

    # the step compares the version under the workspace lock (StaleVersion: 409)
    return step(store.ws, kind, Path(path), config=store.readiness_config(), user=user,
                expect_version=base_version)


def write_destination(store: WorkspaceStore, user: User, id: str,
                      values: dict[str, Value]) -> Applied:
    """Edit one destination's attributes."""
    from geo.steps.contribute import edit_destination as step

    _require(store, "destinations", id)
    return step(store.ws, id, values, config=store.readiness_config(), user=user)


def write_road(store: WorkspaceStore, user: User, ruas_id: str,
               values: dict[str, Value]) -> Applied:
    """Set a road section's condition and/or surface."""
    from geo.steps.contribute import edit_road as step

    require_section(store, ruas_id)
    return step(store.ws, ruas_id, values, config=store.readiness_config(), user=user)


def write_umkm(store: WorkspaceStore, user: User, id: str | None, values: dict[str, Value],
               lon: float | None, lat: float | None) -> Applied:
    """Add a UMKM (``id`` None) or edit/move one."""
    from geo.steps.contribute import save_umkm as step

    if id is not None:
        _require(store, "umkm", id)
    return step(store.ws, id, values, lon, lat, config=store.readiness_config(), user=user)


def write_rollback(store: WorkspaceStore, user: User, version: int) -> Applied:
    """Restore the data as it was at ``version``, as a new version."""
    from geo.steps.contribute import rollback as step

    return step(store.ws, version, user=user)


Value = str | int | float | bool | None


def _clean_values(values: Mapping[str, Value]) -> dict[str, Value]:
    """Field values of a form or JSON body: names checked, text stripped, blanks as empty."""
    out: dict[str, Value] = {}
    for key, value in values.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", key):
            raise BadParameter(f"body.{key[:40]}", "nama kolom tidak sah")
        if isinstance(value, str):
            value = value.strip()
            value = value if value else None
        if isinstance(value, float) and not math.isfinite(value):
            raise BadParameter(f"body.{key}", "angka tidak sah")
        out[key] = value
    return out


async def edit_destination(store: WorkspaceStore, writes: Writes, user: User, id: str,
                           values: Mapping[str, Value]) -> AppliedView:
    """Edit one destination's attributes."""
    clean = _clean_values(values)
    if not clean:
        raise BadParameter("body", "tidak ada kolom yang diubah")
    return _applied(await writes.apply(write_destination, user, id, clean), f"Destinasi {id}")


async def edit_road(store: WorkspaceStore, writes: Writes, user: User, ruas_id: str,
                    values: Mapping[str, Value]) -> AppliedView:
    """Set a road section's condition and/or surface."""
    clean = {k: v for k, v in _clean_values(values).items() if v is not None}
    if not clean:
        raise BadParameter("body", "isi kondisi dan/atau permukaan (condition/surface)")
    return _applied(await writes.apply(write_road, user, ruas_id, clean), f"Ruas {ruas_id}")


async def save_umkm(store: WorkspaceStore, writes: Writes, user: User, id: str | None,
                    values: Mapping[str, Value], lon: float | None,
                    lat: float | None) -> AppliedView:
    """Add a UMKM (``id`` None) or edit/move one."""
    if (lon is None) != (lat is None):
        raise BadParameter("body.lon", "isi bujur (lon) dan lintang (lat) bersama-sama")
    clean = _clean_values(values)
    return _applied(await writes.apply(write_umkm, user, id, clean, lon, lat),
                    f"UMKM {id}" if id else "UMKM baru")


async def rollback(store: WorkspaceStore, writes: Writes, user: User,
                   version: int) -> AppliedView:
    """Restore the data as it was at ``version``, as a new version (admin)."""
    if not user.is_admin:  # the router's AdminDep already refused; never rely on one check
        raise ScopeError(f"Hanya admin yang boleh mengembalikan versi; akun '{user.username}' "
                         f"berperan {user.role}.")
    result = await writes.apply(write_rollback, user, version)
    return _applied(result, f"Pengembalian ke versi {version}")


def _require(store: WorkspaceStore, layer: str, id: str) -> None:
    """404 for an id the layer does not hold (before the step reads the whole layer)."""
    table = store.ws.read_table(layer) if store.ws.has(layer) else None
    if table is None or not (table["id"].astype(str) == id).any():
        raise NotFound(f"{layer} '{id[:100]}' tidak ditemukan")


def require_section(store: WorkspaceStore, ruas_id: str) -> np.ndarray:
    """Rows of the ``roads`` table in section ``ruas_id``; 404 when it names none."""
    rows = section_rows(store, ruas_id)
    if rows is None:
        raise NotFound(f"ruas '{ruas_id[:40]}' tidak ditemukan: pakai ruas_id "
                       "dari tabel atau peta prioritas, mis. R00042")
    return rows


def section_rows(store: WorkspaceStore, ruas_id: str) -> np.ndarray | None:
    """Rows of the ``roads`` table in section ``ruas_id`` (the numbering the priorities
    print: :func:`geo.io.ruas_rows`), or None."""
    from geo.io import road_sections, ruas_rows

    if not store.ws.has("roads"):
        return None
    labels = store.cached(("road_sections",),
                          lambda: road_sections(store.ws.read_table("roads")))
    rows = ruas_rows(ruas_id, labels)
    return rows if rows is not None and rows.size else None


# --- reading for the forms --------------------------------------------------------------


def editable_columns(config: ReadinessConfig, user: User, layer: str,
                     columns: list[str]) -> list[str]:
    """The columns of ``layer`` the user's agency may edit (readiness.toml ownership);
    none for a viewer."""
    from geo.readiness.ownership import editable_columns as owned

    return owned(config, user.agency, layer, columns) if user.can_write else []


def record(store: WorkspaceStore, layer: str, id: str) -> dict[str, Any]:
    """One row of a point layer by id, its values as JSON (for a form)."""
    if not store.ws.has(layer):
        raise NotFound(f"layer '{layer}' belum ada di workspace")
    gdf = store.ws.read(layer)
    rows = gdf[gdf["id"].astype(str) == id]
    if rows.empty:
        raise NotFound(f"{layer} '{id[:100]}' tidak ditemukan")
    row = rows.iloc[0]
    out = {str(k): json_value(v) for k, v in row.drop(labels=[gdf.geometry.name]).items()}
    geom = row[gdf.geometry.name]
    if geom is not None and not geom.is_empty:
        c = geom.representative_point() if geom.geom_type != "Point" else geom
        out["lon"], out["lat"] = round(float(c.x), 6), round(float(c.y), 6)
    return out
