"""Many regions at once on Dask distributed (``siapwisata batch``).

Each row of a regions CSV is one kabupaten: its name, its Kemendagri code, its boundary file,
its OSM extract and optionally agency files. Every region runs ``init`` (when a boundary is
given) → ``ingest-osm`` → ``import`` of its agency files → ``score`` → ``priorities`` as one
Dask task, into its own workspace ``OUT/<kode>/workspace.gpkg``. The results are gathered
into one summary, ``OUT/ringkasan.gpkg`` (layer ``regions``) and ``OUT/ringkasan.csv``: per
region the counts by class, the bottleneck agencies and the top priorities.

Why Dask distributed: the same code runs on a laptop (a ``LocalCluster`` of worker
processes, the default) and on a real cluster (``--scheduler tcp://host:8786``), with its
dashboard, retries of lost workers and memory limits per worker, none of which a hand-made
process pool gives. Dask is imported only here, so the rest of the project does not need it
(``pip install siapwisata[scale]``).

A region whose workspace is already done with the same inputs is skipped: its folder keeps
``selesai.json`` with a hash of every input file, the configuration texts and the program
version. A region that fails is reported with its message and does not stop the others.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd
from shapely import wkt

from geo import fmt
from geo.exceptions import ConfigError, InputError, Problem
from geo.io import write_csv
from geo.io.importers import KINDS
from geo.io.workspace import Workspace
from geo.readiness import CLASSES
from geo.settings import get_settings

SUMMARY_GPKG: Final = "ringkasan.gpkg"
SUMMARY_CSV: Final = "ringkasan.csv"
DONE: Final = "selesai.json"
TOP: Final = 5
"""How many best-ranked priorities the summary lists per region."""

_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "name": ("nama", "name", "kabupaten", "wilayah"),
    "code": ("kode", "kode_kemendagri", "code"),
    "boundary": ("batas", "boundary", "file_batas"),
    "osm": ("osm", "file_osm", "osm_file"),
}
_FILE_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "destinations": ("destinations", "destinasi"),
    "umkm": ("umkm",),
    "gateways": ("gateways", "gerbang"),
    "road-conditions": ("road-conditions", "road_conditions", "kondisi_jalan", "jalan"),
}
assert set(_FILE_COLUMNS) == set(KINDS)  # every import kind can come with a region
_CODE: Final = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


@dataclass(frozen=True)
class Region:
    """One row of the regions CSV, with its files resolved against the CSV's folder."""

    name: str
    code: str
    osm: Path
    boundary: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def folder(self) -> str:
        """Folder name of the region's outputs: its code, which is unique in a batch."""
        return self.code


@dataclass
class Outcome:
    """What became of one region."""

    region: Region
    status: str  # "selesai", "dilewati" (already done with the same inputs) or "gagal"
    summary: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass
class BatchResult:
    """Every region's outcome and the summary files written."""

    outcomes: list[Outcome]
    summary_gpkg: Path
    summary_csv: Path
    dashboard: str | None = None

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "gagal"]


# -- reading the regions CSV -------------------------------------------------------------

def _column(header: Sequence[str], names: tuple[str, ...]) -> str | None:
    low = {h.strip().lower(): h for h in header}
    return next((low[n] for n in names if n in low), None)


def read_regions(path: str | os.PathLike[str]) -> list[Region]:
    """Read and check a regions CSV; every problem at once, naming its row and column.

    Columns (Indonesian or English names): ``nama``, ``kode`` (Kemendagri code such as
    ``94.12``), ``osm`` (extract), optional ``batas`` (boundary file; without it the
    region is the extract's hull) and optional agency files ``destinasi``, ``umkm``,
    ``gerbang``, ``kondisi_jalan``. Relative paths are read from the CSV's folder.

    Raises
    ------
    InputError
        The file is missing or empty, a required column is absent, a code is malformed or
        repeated, or a named file does not exist.
    """
    src = Path(path)
    if not src.is_file():
        raise InputError([Problem(str(src), "file daftar wilayah tidak ditemukan")])
    with src.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
        header = list(rows[0].keys()) if rows else []
    problems: list[Problem] = []
    if not rows:
        raise InputError([Problem(str(src), "file daftar wilayah kosong: tidak ada baris")])
    cols = {key: _column(header, names) for key, names in _COLUMNS.items()}
    for key in ("name", "code", "osm"):
        if cols[key] is None:
            problems.append(Problem(str(src), f"kolom '{_COLUMNS[key][0]}' tidak ada "
                                    f"(kolom yang ada: {', '.join(header)})",
                                    field=_COLUMNS[key][0]))
    if problems:
        raise InputError(problems)
    file_cols = {kind: _column(header, names) for kind, names in _FILE_COLUMNS.items()}
    regions: list[Region] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows, start=2):  # row 1 is the header

        def cell(col: str | None, row: dict[str, str] = row) -> str:
            return (row.get(col) or "").strip() if col else ""

        def existing(col: str | None, *, required: bool, line: int = i) -> Path | None:
            text = cell(col)
            if not text:
                if required:
                    problems.append(Problem(str(src), "file wajib diisi", line=line,
                                            field=col or ""))
                return None
            p = Path(text) if Path(text).is_absolute() else src.parent / text
            if not p.is_file():
                problems.append(Problem(str(src), f"file '{text}' tidak ditemukan",
                                        line=line, field=col or ""))
            return p

        name, code = cell(cols["name"]), cell(cols["code"])
        if not name:
            problems.append(Problem(str(src), "nama wilayah kosong", line=i,
                                    field=str(cols["name"])))
        if not _CODE.match(code):
            problems.append(Problem(str(src), f"kode Kemendagri '{code}' tidak sah "
                                    "(contoh: 94, 94.12, 94.12.01)", line=i,
                                    field=str(cols["code"])))
        elif code in seen:
            problems.append(Problem(str(src), f"kode '{code}' sudah dipakai di baris "
                                    f"{seen[code]}", line=i, field=str(cols["code"])))
        seen.setdefault(code, i)
        osm = existing(cols["osm"], required=True)
        boundary = existing(cols["boundary"], required=False)
        files = {kind: p for kind, col in file_cols.items()
                 if (p := existing(col, required=False)) is not None}
        if osm is not None:
            regions.append(Region(name, code, osm, boundary, files))
    if problems:
        raise InputError(problems)
    return regions


# -- one region ---------------------------------------------------------------------------

def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _program_version() -> str:
    try:
        return version("siapwisata")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0"


def input_hash(region: Region, authority: str) -> str:
    """Hash of everything a region's results depend on: files, configurations, version."""
    settings = get_settings()
    parts: list[tuple[str, str]] = [
        ("version", _program_version()), ("authority", authority),
        ("name", region.name), ("osm", _file_hash(region.osm)),
    ]
    if region.boundary is not None:
        parts.append(("boundary", _file_hash(region.boundary)))
    parts += [(f"file:{k}", _file_hash(p)) for k, p in sorted(region.files.items())]
    defaults = Path(__file__).resolve().parents[1] / "data"
    for key in ("readiness", "network", "priorities"):
        cfg = getattr(settings, f"{key}_config", None) or defaults / f"{key}.toml"
        if Path(cfg).is_file():
            parts.append((key, _file_hash(Path(cfg))))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _done(folder: Path, digest: str) -> dict[str, Any] | None:
    """The stored summary when the region was finished with the same inputs."""
    try:
        record = json.loads((folder / DONE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("hash") != digest or not (folder / "workspace.gpkg").is_file():
        return None
    summary = record.get("summary")
    return summary if isinstance(summary, dict) else None


def region_summary(ws: Workspace, region: Region) -> dict[str, Any]:
    """Counts by class, bottleneck agencies and the top priorities of a finished workspace."""
    scores = ws.read("scores")
    by_class = scores["class"].value_counts()
    agencies = scores["bottleneck"].value_counts() if "bottleneck" in scores else pd.Series()
    top: list[dict[str, Any]] = []
    if ws.has("priorities"):
        pr = ws.read("priorities")
        for _, r in pr.sort_values("rank").head(TOP).iterrows():
            top.append({"rank": int(r["rank"]), "ruas_id": str(r["ruas_id"]),
                        "name": "" if pd.isna(r["name"]) else str(r["name"]),
                        "upgrade": str(r["upgrade"]), "cost_rp": float(r["cost_rp"]),
                        "selected": bool(r["selected"]),
                        "destinations": str(r["destinations"])})
    boundary = ws.read("boundary").to_crs(4326).union_all()
    return {
        "name": region.name, "code": region.code,
        "destinations": int(len(scores)),
        "classes": {c: int(by_class.get(c, 0)) for c in CLASSES},
        "bottlenecks": {str(k): int(v) for k, v in agencies.items()},
        "top_priorities": top,
        "boundary_wkt": boundary.wkt,
    }


def run_region(region: Region, out: str | os.PathLike[str], authority: str = "all",
               digest: str | None = None) -> dict[str, Any]:
    """Run one region from its files to its priorities; returns its summary.

    The workspace is built in ``OUT/<kode>/workspace.tmp.gpkg`` and moved into place only
    when every step succeeded, then ``selesai.json`` records the inputs' hash: a region
    interrupted half-way is redone, never taken for done.
    """
    from geo.steps.contribute import import_recorded
    from geo.steps.ingest import ingest_osm
    from geo.steps.init import init_workspace
    from geo.steps.priorities import score_and_priorities_workspace

    folder = Path(out) / region.folder
    # The batch hashed the inputs already to decide what to skip; an OSM file of a
    # province is gigabytes, so it is not read a second time.
    digest = digest or input_hash(region, authority)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "workspace.tmp.gpkg"
    tmp.unlink(missing_ok=True)
    ws = Workspace(tmp)
    try:
        if region.boundary is not None:
            init_workspace(ws, region.boundary, name=region.name)
        ingest_osm(region.osm, ws)
        for kind, path in region.files.items():
            import_recorded(kind, path, ws)
        score_and_priorities_workspace(ws, authority=authority)
        summary = region_summary(ws, region)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a half-built workspace is never left to be mistaken
        raise
    final = folder / "workspace.gpkg"
    os.replace(tmp, final)
    record = folder / (DONE + ".tmp")
    record.write_text(json.dumps({"hash": digest, "summary": summary}, ensure_ascii=False),
                      encoding="utf-8")
    os.replace(record, folder / DONE)
    return summary


# -- the batch ----------------------------------------------------------------------------

def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigError("Dask distributed belum terpasang; pasang dengan "
                          "pip install 'siapwisata[scale]'") from None
    return distributed


def _client(scheduler: str | None, workers: int | None) -> Any:
    Client, LocalCluster = _distributed().Client, _distributed().LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=30)
        except OSError as exc:
            raise ConfigError(f"scheduler Dask '{scheduler}' tidak dapat dihubungi: {exc}"
                              ) from None
    n = workers or max(1, min(os.cpu_count() or 1, 4))
    # One thread per worker: the steps are numpy/GDAL bound and each holds a workspace
    # lock; processes give each region its own memory limit and interpreter.
    # A failed region is reported by the batch itself; Dask's own "Compute Failed" log
    # lines would repeat it as a traceback.
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address="127.0.0.1:0",
                           silence_logs=logging.CRITICAL)
    return Client(cluster)


def run_batch(regions: Sequence[Region], out: str | os.PathLike[str], *,
              scheduler: str | None = None, workers: int | None = None,
              authority: str = "all",
              on_start: Callable[[str | None, int], None] | None = None,
              on_done: Callable[[Outcome], None] | None = None) -> BatchResult:
    """Run every region not done yet on Dask, then write the summary GeoPackage and CSV.

    Parameters
    ----------
    regions
        From :func:`read_regions`.
    out
        Output folder: one sub-folder per region and the two summary files.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); default a
        ``LocalCluster`` on this machine (listening on 127.0.0.1 only).
    workers
        Worker processes of the local cluster (default: the CPUs, at most 4).
    on_start, on_done
        Called with the dashboard link and the number of regions to run, then once per
        region as it finishes (for a progress bar).
    """
    as_completed = _distributed().as_completed
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, Outcome] = {}
    todo: list[tuple[Region, str]] = []
    for region in regions:
        digest = input_hash(region, authority)
        stored = _done(root / region.folder, digest)
        if stored is not None:
            outcomes[region.code] = Outcome(region, "dilewati", stored)
        else:
            todo.append((region, digest))
    dashboard = None
    if todo:
        with _client(scheduler, workers) as client:
            dashboard = client.dashboard_link
            if on_start is not None:
                on_start(dashboard, len(todo))
            futures = {client.submit(run_region, r, str(root), authority, digest, pure=False,
                                     key=f"wilayah-{r.code}"): r for r, digest in todo}
            for fut in as_completed(futures):
                region = futures[fut]
                if fut.status == "error":
                    outcome = Outcome(region, "gagal", message=_message(fut.exception()))
                else:
                    outcome = Outcome(region, "selesai", fut.result())
                outcomes[region.code] = outcome
                if on_done is not None:
                    on_done(outcome)
    elif on_start is not None:
        on_start(None, 0)
    ordered = [outcomes[r.code] for r in regions]
    gpkg, table = write_summary(ordered, root)
    return BatchResult(ordered, gpkg, table, dashboard)


def _message(exc: BaseException | None) -> str:
    if exc is None:
        return "gagal tanpa pesan"
    if isinstance(exc, InputError):
        return "; ".join(str(p) for p in exc.problems)
    text = str(exc) or type(exc).__name__
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return text if len(text) < 500 else last[:500]


def summary_frame(outcomes: Sequence[Outcome]) -> gpd.GeoDataFrame:
    """One row per region: status, counts by class, bottlenecks and top priorities."""
    classes: list[str] = []
    agencies: list[str] = []
    for o in outcomes:
        classes += [c for c in o.summary.get("classes", {}) if c not in classes]
        agencies += [a for a in o.summary.get("bottlenecks", {}) if a not in agencies]
    rows = []
    for o in outcomes:
        s = o.summary
        row: dict[str, Any] = {
            "nama": o.region.name, "kode": o.region.code, "status": o.status,
            "pesan": o.message, "destinasi": s.get("destinations"),
        }
        for c in classes:
            row[f"kelas_{c}"] = s.get("classes", {}).get(c, 0 if s else None)
        for a in agencies:
            row[f"dihambat_{a}"] = s.get("bottlenecks", {}).get(a, 0 if s else None)
        row["prioritas_teratas"] = "; ".join(
            f"{p['rank']}. {p['ruas_id']} {p['name']}: {p['upgrade']} "
            f"({fmt.rupiah_short(p['cost_rp'])}{', terpilih' if p['selected'] else ''})"
            for p in s.get("top_priorities", []))
        row["geometry"] = wkt.loads(s["boundary_wkt"]) if s.get("boundary_wkt") else None
        rows.append(row)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    counts = [c for c in frame.columns if c.startswith(("kelas_", "dihambat_"))]
    frame[["destinasi", *counts]] = frame[["destinasi", *counts]].astype("Int64")
    return frame


def write_summary(outcomes: Sequence[Outcome], root: Path) -> tuple[Path, Path]:
    """``ringkasan.gpkg`` (layer ``regions``) and ``ringkasan.csv``, each replaced atomically."""
    frame = summary_frame(outcomes)
    gpkg, table = root / SUMMARY_GPKG, root / SUMMARY_CSV
    tmp_gpkg = root / (SUMMARY_GPKG + ".tmp.gpkg")
    tmp_gpkg.unlink(missing_ok=True)
    frame.to_file(tmp_gpkg, layer="regions", driver="GPKG")
    os.replace(tmp_gpkg, gpkg)
    tmp_csv = root / (SUMMARY_CSV + ".tmp")
    write_csv(pd.DataFrame(frame.drop(columns="geometry")), tmp_csv)
    os.replace(tmp_csv, table)
    return gpkg, table
