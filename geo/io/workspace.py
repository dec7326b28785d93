"""The workspace: one GeoPackage per region that opens as-is in QGIS.

All layers are stored in EPSG:4326. Every change goes through :meth:`Workspace.update`,
which works on a private copy and swaps it in atomically with :func:`os.replace` only when
the whole block succeeded: a failed import or update leaves the original file untouched,
byte for byte.

Writers are serialised by an OS file lock (:func:`fcntl.flock`) on a hidden sidecar file
``.NAME.lock``: the kernel releases it when its holder exits, even by ``kill -9``, so a
crashed writer never leaves the workspace locked. The lock covers the whole
read-modify-write of a step (:func:`writes_workspace`), and the private copy is taken only
once it is held, so a second writer waits (or fails after ``SIAPWISATA_LOCK_TIMEOUT``
seconds) and never overwrites the first one's change. Readers take no lock: they always see
one whole version, since the file is only ever swapped in by ``os.replace``.

Private copies are named ``.NAME.<pid>.<hex>.tmp.gpkg``. One left by a writer that died
(``kill -9``, power cut) is deleted the next time the workspace is opened: every such file
when the lock is free (only a lock holder makes copies), else those whose process is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import inspect
import json
import math
import os
import re
import shutil
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pandas.api.types import union_categoricals
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from geo import schema
from geo._config import ConfigText
from geo._parallel import thread_map
from geo.crs import metric_crs
from geo.exceptions import ConfigError, WorkspaceError, WorkspaceLocked
from geo.settings import software_version

P = ParamSpec("P")
R = TypeVar("R")

LOCK_TIMEOUT_ENV = "SIAPWISATA_LOCK_TIMEOUT"
QUIET_WAIT = 0.5
"""Seconds a writer waits silently first: a reader tidying stale copies holds the lock for
milliseconds, which is not worth a message."""
_POLL = 0.05
CONFIGS_KEY = "configs"
"""Metadata key of the configurations each output layer was computed with: JSON
``{layer: {"readiness": {"path", "sha256", "text"}, "network": ..., ...}}``, written by the
step that wrote the layer, read by whatever shows that layer's assumptions."""


def utc_now() -> str:
    """The time stamp of every record the workspace keeps (metadata, accounts, history):
    UTC, whole seconds, ISO 8601, so that text order is time order."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Source:
    """Provenance of one data set in the workspace (listed by ``siapwisata info``)."""

    name: str
    layer: str
    date: str
    licence: str
    url: str = ""
    synthetic: bool = False
    note: str = ""


class ChangeRecorder(Protocol):
    """What records the changes of an update block (:class:`geo.io.history.Recorder`)."""

    def written(self, stage: Staging, layer: str, frame: pd.DataFrame) -> None:
        """Called before ``layer`` is replaced by ``frame`` in the staging copy."""

    def finish(self, stage: Staging) -> None:
        """Called once the block succeeded, before the copy is swapped in."""


def _file_version(path: Path) -> tuple[int, int, int]:
    """Which file is at ``path`` now: an atomic swap gives another inode."""
    st = path.stat()
    return st.st_ino, st.st_mtime_ns, st.st_size


_READ_ROWS = 250_000
"""Features per batch when a large layer is read (:meth:`_Reader._read_in_batches`)."""


def _read_frame(path: Path, layer: str, *, categories: bool = False, wkb: bool = False,
                **kwargs: Any) -> pd.DataFrame:
    """One read of a workspace layer.

    Row by row by default, not through GDAL's Arrow interface: that reads the roads of
    N = 100 tiles in 4 s instead of 11, but the frame it leaves with ``str`` columns held
    1,1 GB instead of 0,74 (measured), and memory is what bounds the largest regions.

    ``categories``: every text column as a categorical, read through the Arrow interface
    and dictionary-encoded there, so no ``str`` per cell and no text buffers are made (the
    roads of N = 100 tiles: 12,1 s and 1.058 MB peak -> 2,4 s and 811 MB, text columns
    222 -> 52 MB). The categories are sorted, as ``astype("category")`` sorts them.
    ``wkb`` (with ``categories``): a plain frame whose column ``geometry`` holds each
    row's WKB as GDAL gives it (Arrow binary, no shapely object made).
    ``kwargs``: ``where`` only.
    """
    if not categories:
        frame: pd.DataFrame = pyogrio.read_dataframe(path, layer=layer, **kwargs)
        return frame
    meta, table = pyogrio.raw.read_arrow(path, layer=layer, **kwargs)
    geometry_name = meta["geometry_name"] or "wkb_geometry"
    columns: dict[str, Any] = {}
    for name in table.column_names:
        if name == geometry_name:
            continue
        col = table.column(name)
        if isinstance(col.type, pa.ExtensionType):  # JSON text (GDAL >= 3.11): its text
            col = pa.chunked_array([c.storage for c in col.chunks], type=col.type.storage_type)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = col.dictionary_encode()
        columns[name] = col.to_pandas()
    geometry: Any = None
    if geometry_name in table.column_names:
        raw = table.column(geometry_name)
        if isinstance(raw.type, pa.BaseExtensionType):  # a registered geoarrow.wkb: its bytes
            raw = pa.chunked_array([c.storage for c in raw.chunks], type=raw.type.storage_type)
        geometry = (pd.Series(pd.arrays.ArrowExtensionArray(raw)) if wkb
                    else shapely.from_wkb(raw.to_numpy(zero_copy_only=False)))
    rows = table.num_rows
    del table
    frame = pd.DataFrame(columns, index=pd.RangeIndex(rows))
    for name, values in frame.items():
        if isinstance(values.dtype, pd.CategoricalDtype):
            # sorted, and of text even when a batch holds no value at all
            frame[name] = values.cat.set_categories(
                pd.Index(sorted(values.cat.categories), dtype="str"))
    if wkb:  # read_wkb reads only layers with a geometry
        frame["geometry"] = geometry
    elif geometry is not None:
        frame = gpd.GeoDataFrame(frame, geometry=geometry, crs=meta["crs"])
    return frame


def _write_frame(frame: pd.DataFrame, path: Path, layer: str, **kwargs: Any) -> None:
    """One write of a workspace layer through GDAL's Arrow interface (N = 100 tiles,
    roads: 13 -> 5 s); values and types read back as the row-by-row writer's do."""
    pyogrio.write_dataframe(frame.reset_index(drop=True), path, layer=layer, use_arrow=True,
                            **kwargs)


@dataclass(frozen=True)
class WkbFrame:
    """Rows of a spatial layer whose geometries are already WKB, in EPSG:4326, for
    :meth:`Staging.write_chunks`: written as they are, with no shapely object per row (a
    region's roads are ~10**6 lines, made only to be written).

    Attributes
    ----------
    data
        The attribute columns, one row per geometry.
    wkb
        The geometries as ISO WKB (Arrow binary or large binary, no null).
    geometry_type
        The one type of every row, as pyogrio names it (e.g. ``"LineString"``).
    geometry_name
        The geometry column's name.
    """

    data: pd.DataFrame
    wkb: pa.Array
    geometry_type: str
    geometry_name: str = "geometry"

    def __post_init__(self) -> None:
        if len(self.wkb) != len(self.data):
            raise ValueError(f"{len(self.wkb)} geometries for {len(self.data)} rows")
        if self.geometry_name in self.data.columns:
            raise ValueError(f"the attributes already hold a column '{self.geometry_name}'")

    def __len__(self) -> int:
        return len(self.data)

    def frame(self) -> gpd.GeoDataFrame:
        """The rows as a GeoDataFrame (a shapely object per row), for the writes that
        need one."""
        geoms = shapely.from_wkb(self.wkb.to_numpy(zero_copy_only=False))
        out = self.data.copy()
        out[self.geometry_name] = geoms
        return gpd.GeoDataFrame(out, geometry=self.geometry_name, crs=schema.WGS84)


def _required_first(layer: str, columns: Iterable[Any]) -> list[Any]:
    """``columns`` (the attributes of a layer's rows) with those the layer requires
    (:data:`geo.schema.REQUIRED`) first, in that order; raises when one is missing."""
    columns = list(columns)
    required = schema.REQUIRED.get(layer, ())
    missing = [c for c in required if c not in columns]
    if missing:
        raise WorkspaceError(f"layer '{layer}' tidak punya kolom wajib: {', '.join(missing)}")
    return [*required, *(c for c in columns if c not in required)]


def _as_frame(frame: gpd.GeoDataFrame | WkbFrame) -> gpd.GeoDataFrame:
    return frame.frame() if isinstance(frame, WkbFrame) else frame


def _geometry_name(frame: gpd.GeoDataFrame | WkbFrame) -> str:
    return frame.geometry_name if isinstance(frame, WkbFrame) else str(frame.geometry.name)


def _geometry_type(frame: gpd.GeoDataFrame | WkbFrame) -> str:
    """The layer's geometry type: the frame's one type (pyogrio's name), else "Unknown"
    (no row, or several types)."""
    if isinstance(frame, WkbFrame):
        return frame.geometry_type if len(frame) else "Unknown"
    types = frame.geom_type.dropna().unique()
    if len(types) != 1:
        return "Unknown"
    return f"{types[0]} Z" if frame.has_z.any() else str(types[0])


def _streamable(frame: gpd.GeoDataFrame | WkbFrame) -> bool:
    """Whether every column converts to Arrow as pyogrio's own writer converts it:
    numbers, booleans and text (pyogrio turns other objects and datetimes into text
    first, which :func:`_write_stream` does not repeat)."""
    data = frame.data if isinstance(frame, WkbFrame) else frame
    geometry = _geometry_name(frame)
    for name, dtype in data.dtypes.items():
        if name == geometry:
            continue
        if dtype.kind in "biuf" or isinstance(dtype, pd.StringDtype):
            continue
        if dtype.kind == "O" and pd.api.types.infer_dtype(data[name]) in ("string", "empty"):
            continue
        return False
    return True


def _arrow_table(frame: gpd.GeoDataFrame | WkbFrame) -> pa.Table:
    """A frame as pyogrio's Arrow writer passes it to GDAL: the geometry as WKB, no index,
    columns of nulls as text."""
    if isinstance(frame, WkbFrame):
        table = pa.Table.from_pandas(frame.data, preserve_index=False).append_column(
            frame.geometry_name, frame.wkb)
    else:
        data = pd.DataFrame(frame, copy=False)
        data[frame.geometry.name] = gpd.array.to_wkb(frame.geometry.values)
        table = pa.Table.from_pandas(data, preserve_index=False)
    for i, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(i, field.with_type(pa.string()), table[i].cast(pa.string()))
    return table


class _FlushBehind:
    """Sends a file's written pages to disk in a thread while its writer goes on.

    GDAL writes a layer into a new GeoPackage without syncing it, and the next write's
    commit then waits until all of it is on disk: the roads of 100 tiles of Andorra
    (460 MB) held the ingest's single-threaded end 0,25 s. Flushed as the frames are
    written, the disk works while the cores compute. Only an early start: SQLite's
    commits still sync what they must.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._again = self._running = False
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        """Flush now, or once more after the flush under way."""
        with self._lock:
            self._again = True
            if self._running:
                return
            self._running = True
        self._thread = threading.Thread(target=self._run, name="siapwisata-flush",
                                        daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Until the flushes asked for are done."""
        thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._again:
                    self._running = False
                    return
                self._again = False
            with contextlib.suppress(OSError):  # gone or unreadable: nothing to hurry
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)


def _write_stream(held: list[gpd.GeoDataFrame | WkbFrame],
                  rest: Iterator[gpd.GeoDataFrame | WkbFrame],
                  path: Path, layer: str, geometry_type: str,
                  between: Callable[[], None] | None = None) -> int:
    """Consecutive frames of one layer in one GDAL write, through an Arrow stream whose
    batches are made as GDAL asks for them (memory follows a frame); ``between`` is
    called after each frame has gone to GDAL.

    The layer is created once, and GDAL builds its spatial index once at the end;
    appending frame by frame kept the R-tree up to date row by row (the roads of
    N = 100 tiles in 7 pieces: 7,3 s, whole 5,2 s). An error while the frames are made
    is raised as itself, not as GDAL's report of a broken stream. ``held`` holds the
    first frame, taken from it so that no caller keeps it alive.
    """
    first = held.pop()
    geometry = _geometry_name(first)
    head = _arrow_table(first)
    del first
    schema = head.schema
    rows = 0
    failed: list[BaseException] = []

    def batches(table: pa.Table | None) -> Iterator[pa.RecordBatch]:
        nonlocal rows
        try:
            while table is not None:
                rows += table.num_rows
                yield from table.to_batches()
                table = None  # freed before the next frame is made
                if between is not None:
                    between()
                frame = next(rest, None)
                if frame is not None:
                    table = _arrow_table(frame).select(schema.names).cast(schema)
                    del frame
        except BaseException as exc:
            failed.append(exc)
            raise

    stream = pa.RecordBatchReader.from_batches(schema, batches(head))
    del head  # the stream's own reference is dropped once its batches are out
    try:
        pyogrio.raw.write_arrow(stream, path, layer=layer, driver="GPKG",
                                geometry_name=geometry, geometry_type=geometry_type,
                                crs="EPSG:4326")
    except Exception:
        if failed:
            raise failed[0] from None
        raise
    return rows


def _quoted(name: str) -> str:
    """An SQL identifier (a layer or column name) in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def _flag(value: object) -> bool:
    """A yes/no cell as bool: text ``true``/``1`` (any case), else truthiness; a missing
    value is no."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return not pd.isna(value) and bool(value)  # type: ignore[call-overload]


class _Reader:
    """Read access shared by the workspace and its staging copy."""

    path: Path
    _layers_cache: tuple[tuple[int, int, int], list[str]] | None = None

    def layers(self) -> list[str]:
        """Layer names; cached until the file changes (listing opens the GeoPackage)."""
        try:
            stamp = _file_version(self.path)
        except FileNotFoundError:
            return []
        if self._layers_cache is None or self._layers_cache[0] != stamp:
            names = [str(name) for name in pyogrio.list_layers(self.path)[:, 0]]
            self._layers_cache = (stamp, names)
        return list(self._layers_cache[1])

    def has(self, layer: str) -> bool:
        return layer in self.layers()

    def read(self, layer: str, *, categories: bool = False, **kwargs: Any) -> gpd.GeoDataFrame:
        """Read a spatial layer. Raises :class:`WorkspaceError` if it is missing.

        ``categories``: text columns as categoricals (see :func:`_read_frame`), for a
        reader that only looks values up (the network), never one that writes new ones.
        """
        self._require_layer(layer)
        gdf = None if kwargs else self._read_in_batches(layer, categories)
        if gdf is None:
            gdf = _read_frame(self.path, layer, categories=categories, **kwargs)
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise WorkspaceError(f"{self.path}: layer '{layer}' tidak punya geometri")
        return gdf

    def read_wkb(self, layer: str) -> tuple[pd.DataFrame, pa.ChunkedArray, CRS]:
        """A spatial layer as its attributes (text as categoricals, see :meth:`read`), its
        geometries as WKB (Arrow binary, as GDAL gives them) and its CRS: for a reader
        that takes the vertices out of the geometries (the network), which would
        otherwise make a shapely object per row only to read its coordinates. Raises
        :class:`WorkspaceError` if the layer is missing or has no geometry or CRS."""
        self._require_layer(layer)
        info = pyogrio.read_info(self.path, layer=layer)
        if not info.get("geometry_type") or not info.get("crs"):
            raise WorkspaceError(f"{self.path}: layer '{layer}' tidak punya geometri atau CRS")
        frame = self._read_in_batches(layer, True, wkb=True)
        if frame is None:
            frame = _read_frame(self.path, layer, categories=True, wkb=True)
        geometry = frame.pop("geometry").array.__arrow_array__()  # no copy
        return frame, geometry, CRS(info["crs"])

    def _require_layer(self, layer: str) -> None:
        if not self.has(layer):
            raise WorkspaceError(
                f"{self.path}: layer '{layer}' tidak ada; layer yang ada: "
                f"{', '.join(self.layers()) or 'tidak ada'}"
            )

    def _read_in_batches(self, layer: str, categories: bool = False, *, wkb: bool = False
                         ) -> pd.DataFrame | None:
        """A large layer read :data:`_READ_ROWS` features at a time by ranges of its fid
        (a rowid range in SQLite: each batch costs its own rows), so the peak is the
        frame plus one batch per worker (pyogrio makes one ``str`` per cell before pandas
        packs a column into Arrow buffers; the batches are read on the threads of
        :func:`geo._parallel.thread_map`), not the frame plus one ``str`` per cell of the
        layer. None (read it whole) when the layer is small, when its fids are not
        1..n (as the layers this workspace writes whole are), or when the file was
        replaced between batches (a writer swapped its copy in): each batch opens the
        file anew, and a whole read sees one version."""
        before = _file_version(self.path)
        with self._sql() as db:
            table = _quoted(layer)
            fid = next((str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")
                        if row[5] == 1), "")  # the INTEGER PRIMARY KEY of a GeoPackage layer
            # the highest fid, not a count (an index lookup, not a scan): a layer whose
            # fids are not 1..n leaves a batch short, and is then read whole
            rows = int(db.execute(f"SELECT MAX({_quoted(fid)}) FROM {table}").fetchone()[0]
                       or 0) if fid else 0
        if rows <= _READ_ROWS or not fid or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", fid):
            return None
        def batch(lo: int) -> pd.DataFrame:
            return _read_frame(self.path, layer, categories=categories, wkb=wkb,
                               where=f"{fid} > {lo} AND {fid} <= {lo + _READ_ROWS}")

        # GDAL reads a batch without the GIL (its own dataset each): on two threads the
        # roads of 100 tiles read in 0,9-1,1 s instead of 1,8-2,5 s
        starts = range(0, rows, _READ_ROWS)
        parts = thread_map(batch, starts)
        if any(len(part) != min(_READ_ROWS, rows - lo)
               for part, lo in zip(parts, starts, strict=True)):
            return None
        if _file_version(self.path) != before:
            return None
        # categoricals are joined by their union: pd.concat would make text of them
        order = list(parts[0].columns)
        cats = [n for n in order if isinstance(parts[0][n].dtype, pd.CategoricalDtype)]
        joined = {n: union_categoricals([p.pop(n) for p in parts], sort_categories=True)
                  for n in cats}
        out = pd.concat(parts, ignore_index=True)
        for name in out.columns:
            if len({str(p[name].dtype) for p in parts}) > 1:
                # a batch where a text column is all null reads as object: infer the
                # column's dtype from all its values, as a whole read does
                out[name] = pd.Series(out[name].to_numpy(dtype=object), index=out.index,
                                      name=name)
        for name, values in joined.items():
            out[name] = pd.Series(values, index=out.index, name=name)
        out = out[order]
        if wkb:
            return out
        whole: pd.DataFrame = gpd.GeoDataFrame(out, geometry=parts[0].geometry.name,
                                               crs=parts[0].crs)
        return whole

    def synthetic_rows(self, layer: str) -> int:
        """Rows of ``layer`` with ``provenance = 'synthetic'`` (0 when absent or no column).

        Counted by SQLite in the GeoPackage, so big layers are not read into memory.
        """
        return self._synthetic([layer], "SELECT COUNT(*) FROM {} WHERE provenance = ?")

    def any_synthetic(self, *layers: str) -> bool:
        """Whether any of ``layers`` holds a synthetic row (outputs derived from them are
        labelled synthetic)."""
        return self._synthetic(
            layers, "SELECT EXISTS (SELECT 1 FROM {} WHERE provenance = ?)") > 0

    def holds_synthetic(self) -> bool:
        """Whether anything the workspace holds is synthetic: a row of any layer, a source
        marked synthetic, or the workspace itself (metadata ``synthetic``, set by ``demo``).

        The one rule of the "DATA CONTOH (SINTETIS)" label on the pages, reports and
        ``info``: each shows results derived from the whole workspace, so one synthetic
        input labels them all; a label shown in doubt costs less than generated data
        passed off as surveyed.
        """
        if self.any_synthetic(*self.layers()):
            return True
        if self.metadata().get("synthetic") == "true":
            return True
        sources = self.sources()
        return "synthetic" in sources and bool(sources["synthetic"].any())

    def _synthetic(self, layers: Iterable[str], query: str) -> int:
        """Sum of ``query`` (``{}``: the table, ``?``: 'synthetic') over those of ``layers``
        that exist and have a ``provenance`` column.

        Straight SQLite, read-only (a GeoPackage layer is a table of that name): GDAL
        opened the file, listed its fields and ran the filter per layer, ~6 ms a layer
        even when empty, and these checks run on every score.
        """
        names = [layer for layer in layers if self.has(layer)]
        if not names:
            return 0
        total = 0
        with self._sql() as db:
            for name in names:
                table = _quoted(name)
                fields = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if "provenance" in fields:
                    total += int(db.execute(query.format(table), ("synthetic",)).fetchone()[0])
        return total

    def is_empty(self, layer: str) -> bool:
        """Whether ``layer`` is missing or has no rows."""
        if not self.has(layer):
            return True
        with self._sql() as db:
            return not db.execute(f"SELECT EXISTS (SELECT 1 FROM {_quoted(layer)})").fetchone()[0]

    @contextlib.contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        """A read-only SQLite connection to the GeoPackage, for questions about a layer
        that need no GDAL open (~5 ms each): counts, its fid column."""
        db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            yield db
        finally:
            db.close()

    def read_table(self, layer: str) -> pd.DataFrame:
        """Read a non-spatial table (``metadata``, ``sources``)."""
        if not self.has(layer):
            return pd.DataFrame()
        return _read_frame(self.path, layer, read_geometry=False)

    def metadata(self) -> dict[str, str]:
        df = self.read_table(schema.METADATA)
        if df.empty:
            return {}
        return dict(zip(df["key"].astype(str), df["value"].astype(str), strict=True))

    def sources(self) -> pd.DataFrame:
        """The sources table, its ``synthetic`` flag as bool (GDAL gives the stored boolean;
        a text "true"/"1" from another writer reads the same), so every reader tests it
        alike: ``info``, the pages, the maps and the reports."""
        df = self.read_table(schema.SOURCES)
        if "synthetic" in df:
            df["synthetic"] = df["synthetic"].map(_flag).astype(bool)
        return df

    def _configs(self) -> dict[str, dict[str, dict[str, str]]]:
        raw = self.metadata().get(CONFIGS_KEY, "")
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            raise WorkspaceError(f"{self.path}: metadata '{CONFIGS_KEY}' rusak") from None
        return data if isinstance(data, dict) else {}

    def stored_configs(self, layer: str) -> dict[str, ConfigText]:
        """The configurations layer ``layer`` was computed with (name -> text), as recorded
        by its step; empty for a layer written before configurations were recorded."""
        entries = self._configs().get(layer, {})
        return {name: ConfigText(str(e.get("path", name)), str(e.get("text", "")))
                for name, e in entries.items() if isinstance(e, dict) and "text" in e}

    def stored_config(self, name: str, *layers: str) -> ConfigText | None:
        """The configuration ``name`` ("readiness", "network", "priorities") recorded with
        the first of ``layers`` that recorded one, or None."""
        for layer in layers:
            text = self.stored_configs(layer).get(name)
            if text is not None:
                return text
        return None

    def boundary(self) -> BaseGeometry:
        """The region polygon (union of the ``boundary`` layer)."""
        b = self.read(schema.BOUNDARY)
        return b.geometry.union_all()

    def metric_crs(self) -> CRS:
        """UTM CRS of the boundary's centroid (or of the roads when there is no boundary)."""
        if self.has(schema.BOUNDARY):
            return metric_crs(self.boundary())
        if self.has("roads"):
            return metric_crs(self._roads_envelope())
        raise WorkspaceError(f"{self.path}: tidak ada batas wilayah atau jalan untuk memilih CRS metrik")

    def _roads_envelope(self) -> BaseGeometry:
        """The bounding box of the ``roads`` layer, from the extent GDAL keeps for it,
        not from a read and a union of every road (at 100 tiles: 11,2 s of reading and
        17,5 s of union, asked twice by every access run). The stored extent may differ
        from the union's envelope in the last digit, which moves the centre by far less
        than a millimetre: the zone is the same unless the centre lies on its edge."""
        bounds = pyogrio.read_info(self.path, layer="roads",
                                   force_total_bounds=True).get("total_bounds")
        if bounds is None or not all(map(math.isfinite, bounds)):
            return self.read("roads").geometry.union_all().envelope
        return shapely.box(*bounds)


def lock_timeout() -> float:
    """The writers' lock timeout in seconds (setting ``lock_timeout``,
    ``SIAPWISATA_LOCK_TIMEOUT``, default 600)."""
    from geo.settings import get_settings

    try:
        return get_settings().lock_timeout
    except ConfigError as exc:  # a writer reports a bad setting as a workspace error
        raise WorkspaceError(str(exc)) from None


class _Held:
    """This process's hold on one workspace lock: threads take turns through ``turn``;
    the thread holding it may re-enter (a step's lock, then its :meth:`Workspace.update`)."""

    def __init__(self) -> None:
        self.turn = threading.RLock()
        self.fd: int | None = None
        self.depth = 0


_HELD: dict[str, _Held] = {}
_HELD_GUARD = threading.Lock()
_LIVE_COPIES: set[str] = set()
"""Private copies this process is writing right now (never swept)."""


def _held(path: Path) -> _Held:
    key = os.path.abspath(path)
    with _HELD_GUARD:
        return _HELD.setdefault(key, _Held())


def _holder_text(path: Path) -> str:
    """Who holds a lock, as its holder wrote it (pid and command), for the wait message."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return "".join(ch if ch.isprintable() else " " for ch in text)[:200]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _say(message: str) -> None:
    """Default wait message: plain text on stderr (never console markup)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class Workspace(_Reader):
    """A region's GeoPackage. Reading is direct; writing goes through :meth:`update`.

    Parameters
    ----------
    path
        The GeoPackage.
    lock_timeout
        Seconds a writer waits for another one; default :func:`lock_timeout`.
    on_wait
        Called once with a message (Bahasa Indonesia) when a writer has to wait; default:
        printed on stderr.
    """

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float | None = None,
                 on_wait: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.on_wait = on_wait or _say
        self.recorder: ChangeRecorder | None = None

    def recording(self, recorder: ChangeRecorder) -> Workspace:
        """This workspace with ``recorder`` attached: every :meth:`update` through the
        returned object reports the layers it writes to ``recorder``, which appends the
        history in the same private copy (:mod:`geo.io.history`). It shares this one's
        file and writers' lock."""
        other = Workspace(self.path, lock_timeout=self.lock_timeout, on_wait=self.on_wait)
        other.recorder = recorder
        return other

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def require(self) -> Workspace:
        """The workspace, which must exist; opening it deletes stale private copies."""
        if not self.exists:
            raise WorkspaceError(
                f"workspace {self.path} tidak ditemukan; buat dengan "
                "'siapwisata init', 'siapwisata ingest-osm' atau 'siapwisata demo'"
            )
        self.sweep()
        return self

    # --- the writers' lock and stale copies ----------------------------------------------

    @property
    def lock_path(self) -> Path:
        """The sidecar file the writers' lock is taken on (hidden, next to the workspace)."""
        return self.path.with_name(f".{self.path.name}.lock")

    @contextlib.contextmanager
    def lock(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the writers' lock: wait for another writer (with one message), or raise
        :class:`~geo.exceptions.WorkspaceLocked` after ``timeout`` seconds.

        Re-entrant within a thread; other threads of this process wait their turn too.
        """
        limit = timeout if timeout is not None else (
            self.lock_timeout if self.lock_timeout is not None else lock_timeout())
        deadline = time.monotonic() + limit
        held = _held(self.path)
        if not held.turn.acquire(timeout=max(limit, 0.0)):
            raise self._locked(limit, "")
        try:
            if held.depth == 0:
                held.fd = self._acquire(deadline, limit)
            held.depth += 1
            try:
                yield
            finally:
                held.depth -= 1
                if held.depth == 0 and held.fd is not None:
                    fd, held.fd = held.fd, None
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, 0)
                    os.close(fd)  # closing releases the flock
        finally:
            held.turn.release()

    def _acquire(self, deadline: float, limit: float) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            told = False
            start = time.monotonic()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    now = time.monotonic()
                    if now >= deadline:
                        raise self._locked(limit, _holder_text(self.lock_path)) from None
                    if not told and now - start >= min(QUIET_WAIT, limit):
                        told = True
                        who = _holder_text(self.lock_path)
                        self.on_wait(
                            f"Workspace {self.path} sedang diubah proses lain"
                            f"{f' ({who})' if who else ''}; menunggu giliran, paling lama "
                            f"{limit:g} detik (waiting for another writer)..."
                        )
                    time.sleep(_POLL)
            command = " ".join(os.path.basename(a) if i == 0 else a
                               for i, a in enumerate(sys.argv))
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}: {command}".encode("utf-8", "replace"), 0)
            return fd
        except BaseException:
            os.close(fd)
            raise

    def _locked(self, limit: float, who: str) -> WorkspaceLocked:
        return WorkspaceLocked(
            f"workspace {self.path} masih dikunci proses lain{f' ({who})' if who else ''} "
            f"setelah {limit:g} detik; tidak ada yang diubah. Coba lagi setelah proses itu "
            f"selesai, atau atur {LOCK_TIMEOUT_ENV}"
        )

    def _copies(self) -> list[tuple[Path, int | None]]:
        """Private copies of this workspace on disk (with -journal/-wal/-shm), and the pid
        that made each (None for copies named before pids were)."""
        pattern = re.compile(rf"^\.{re.escape(self.path.name)}\.(?:(\d+)\.)?[0-9a-f]+"
                             r"\.tmp\.gpkg(?:-journal|-wal|-shm)?$")
        try:
            names = os.listdir(self.path.parent)
        except OSError:
            return []
        out = []
        for name in names:
            m = pattern.match(name)
            if m:
                out.append((self.path.parent / name, int(m.group(1)) if m.group(1) else None))
        return out

    def sweep(self) -> list[Path]:
        """Delete private copies left by writers that died; return what was deleted.

        With the lock free (or held by this thread) every copy but this process's live
        ones is stale, since only a lock holder makes copies; while another process holds
        it, only copies whose process is gone are deleted.
        """
        copies = self._copies()
        if not copies:
            return []
        held = _held(self.path)
        mine = held.turn.acquire(blocking=False)
        fd = None
        try:
            if mine and held.depth == 0:
                with contextlib.suppress(OSError):
                    fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        os.close(fd)
                        fd = None
            free = mine and (held.depth > 0 or fd is not None)
            gone = []
            for path, pid in copies:
                base = os.path.abspath(path)
                for suffix in ("-journal", "-wal", "-shm"):
                    base = base.removesuffix(suffix)
                if base in _LIVE_COPIES:
                    continue
                if free or (pid is not None and pid != os.getpid() and not _pid_alive(pid)):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        gone.append(path)
            return gone
        finally:
            if fd is not None:
                os.close(fd)
            if mine:
                held.turn.release()

    def version(self) -> str:
        """A token that changes whenever the file changes (used by caches)."""
        st = self.path.stat()
        return f"{st.st_mtime_ns}-{st.st_size}-{self.metadata().get('revision', '0')}"

    @contextlib.contextmanager
    def update(self, *, create: bool = False) -> Iterator[Staging]:
        """Stage changes on a copy and swap it in atomically when the block succeeds.

        Parameters
        ----------
        create
            Allow the workspace not to exist yet (it is created on success).
        """
        if not self.exists and not create:
            self.require()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock():
            # the copy is taken under the lock, so it holds every earlier writer's change
            self.sweep()
            tmp = self.path.with_name(
                f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.gpkg")
            _LIVE_COPIES.add(os.path.abspath(tmp))
            try:
                with _swapped_in(tmp, self.path):
                    if self.exists:
                        shutil.copyfile(self.path, tmp)
                    elif not create:
                        self.require()
                    staging = Staging(tmp, fresh=not self.exists, recorder=self.recorder)
                    yield staging
                    staging._finish()
            finally:
                _LIVE_COPIES.discard(os.path.abspath(tmp))


def atomic_write(path: str | os.PathLike[str], write_fn: Callable[[Path], None]) -> Path:
    """Write a file whole or not at all: the one atomic writer of output files.

    ``write_fn`` writes a temporary file beside ``path`` (same folder, so the move is a
    rename on one file system; same extension, so writers that choose the format by it
    still do); the file is then moved into place with :func:`os.replace`. A failure leaves
    ``path`` as it was and removes the temporary file. The workspace's own updates
    (:meth:`Workspace.update`) swap their copy in by the same step.

    Parameters
    ----------
    path
        The file to write; its folder is created.
    write_fn
        Writes the content to the path it is given.

    Returns
    -------
    Path
        ``path``.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{uuid.uuid4().hex[:8]}.tmp{out.suffix.lower()}")
    with _swapped_in(tmp, out):
        write_fn(tmp)
    return out


@contextlib.contextmanager
def _swapped_in(tmp: Path, path: Path) -> Iterator[None]:
    """Move ``tmp`` onto ``path`` (:func:`os.replace`) when the block succeeds; remove it
    and its SQLite side files (journal, WAL, shared memory) whatever happens.

    The one swap of every atomic write: output files (:func:`atomic_write`) and the
    workspace's own updates (:meth:`Workspace.update`).
    """
    try:
        yield
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def writes_workspace(func: Callable[P, R]) -> Callable[P, R]:
    """Hold the workspace's writers' lock (:meth:`Workspace.lock`) for a whole step.

    For steps that read the workspace, compute, then write it (``score``, ``import``...):
    without it two steps could both read the old version and the second would write back
    a result that misses the first one's change. The decorated function takes the
    workspace as its parameter ``ws``.
    """
    sig = inspect.signature(func)
    if "ws" not in sig.parameters:
        raise TypeError(f"{func.__qualname__} has no parameter 'ws'")

    @functools.wraps(func)
    def locked(*args: P.args, **kwargs: P.kwargs) -> R:
        ws = sig.bind_partial(*args, **kwargs).arguments["ws"]
        with ws.lock():
            return func(*args, **kwargs)

    return locked


class Staging(_Reader):
    """The private copy a :meth:`Workspace.update` block writes to."""

    def __init__(self, path: Path, *, fresh: bool, recorder: ChangeRecorder | None = None):
        self.path = path
        self._fresh = fresh
        self._recorder = recorder
        self._meta: dict[str, str] = {}
        self._sources: list[Source] = []
        self._replace_sources: set[str] = set()
        self._flush = _FlushBehind(path)

    def write(self, layer: str, gdf: gpd.GeoDataFrame) -> None:
        """Write (replace) one spatial layer, in EPSG:4326, required columns first."""
        out = self._prepared(layer, gdf)
        if self._recorder is not None:
            self._recorder.written(self, layer, out)
        self._write_layer(layer, out, append=False)

    def write_chunks(self, layer: str,
                     chunks: Iterable[gpd.GeoDataFrame | WkbFrame]) -> int:
        """Write (replace) one spatial layer given as consecutive frames; returns the rows.

        The first frame replaces the layer, the others are appended, so a layer larger
        than memory is written as it is made. With a change recorder the frames are
        joined first: the recorder compares the whole layer. A :class:`WkbFrame` is
        written with its WKB as it is (when its columns stream, as text and numbers do).
        """
        it = iter(chunks)
        first = next(it, None)
        if first is None:
            raise WorkspaceError(f"layer '{layer}' tanpa bagian untuk ditulis")
        if self._recorder is not None:
            frames = [_as_frame(first), *(_as_frame(c) for c in it)]
            whole = pd.concat(frames, ignore_index=True)
            self.write(layer, gpd.GeoDataFrame(whole, geometry=frames[0].geometry.name,
                                               crs=frames[0].crs))
            return len(whole)
        first = self._prepared_chunk(layer, first)
        if not _streamable(first):
            self._write_layer(layer, _as_frame(first), append=False)
            rows = len(first)
            del first  # each frame is freed once written
            for chunk in it:
                if len(chunk):
                    self._write_layer(layer, self._prepared(layer, _as_frame(chunk)),
                                      append=True)
                    rows += len(chunk)
                del chunk
            return rows
        geometry_type, held = _geometry_type(first), [first]
        del first  # the stream frees each frame once converted, the first one too
        rows = _write_stream(held, (self._prepared_chunk(layer, c) for c in it if len(c)),
                             self.path, layer, geometry_type, between=self._flush.kick)
        self._flush.kick()  # the rest, and the spatial index GDAL built at the end
        return rows

    def _prepared_chunk(self, layer: str, chunk: gpd.GeoDataFrame | WkbFrame
                        ) -> gpd.GeoDataFrame | WkbFrame:
        """:meth:`_prepared` of a frame or of a :class:`WkbFrame` (in EPSG:4326 by
        definition: only checked and ordered)."""
        if not isinstance(chunk, WkbFrame):
            return self._prepared(layer, chunk)
        order = _required_first(layer, chunk.data.columns)
        return WkbFrame(chunk.data[order], chunk.wkb, chunk.geometry_type, chunk.geometry_name)

    def _prepared(self, layer: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``gdf`` checked, in EPSG:4326, required columns first."""
        geometry = gdf.geometry.name
        order = _required_first(layer, (c for c in gdf.columns if c != geometry))
        if gdf.crs is None:
            raise WorkspaceError(f"layer '{layer}' tidak punya CRS")
        out = gdf.to_crs(schema.WGS84) if not CRS(gdf.crs).equals(CRS(schema.WGS84)) else gdf
        return out[[*order, geometry]]

    def _write_layer(self, layer: str, out: gpd.GeoDataFrame, *, append: bool) -> None:
        geometry_type = "Unknown" if _geometry_type(out) == "Unknown" else None
        _write_frame(out, self.path, layer, geometry_type=geometry_type, append=append)

    def write_table(self, layer: str, df: pd.DataFrame) -> None:
        """Write (replace) one non-spatial table; a recorded one (``tasks``) is compared
        with the table it replaces first, as :meth:`write` does for layers."""
        if self._recorder is not None:
            self._recorder.written(self, layer, df)
        _write_frame(df, self.path, layer)

    def append_table(self, layer: str, df: pd.DataFrame) -> None:
        """Append rows to a non-spatial table (created by the first rows): the history
        tables are only ever appended to."""
        _write_frame(df, self.path, layer, append=self.has(layer))

    def set_meta(self, **values: object) -> None:
        self._meta.update({k: str(v) for k, v in values.items()})

    def record_configs(self, layer: str, **texts: ConfigText) -> None:
        """Record the configurations ``layer`` was computed with (replacing what that layer
        had; other layers keep theirs)."""
        current = (json.loads(self._meta[CONFIGS_KEY]) if CONFIGS_KEY in self._meta
                   else self._configs())
        current[layer] = {name: text.record() for name, text in texts.items()}
        self._meta[CONFIGS_KEY] = json.dumps(current, ensure_ascii=False, sort_keys=True)

    def add_source(self, source: Source, *, replace_layer: bool = True) -> None:
        """Record a data source. By default it replaces earlier sources of the same layer."""
        if replace_layer:
            self._replace_sources.add(source.layer)
        self._sources.append(source)

    def _finish(self) -> None:
        self._flush.wait()
        if self._recorder is not None:
            self._recorder.finish(self)
        meta = self.metadata()
        if self._fresh or "created_at" not in meta:
            meta["created_at"] = utc_now()
        meta["updated_at"] = utc_now()
        meta["software"] = "siapwisata"
        meta["software_version"] = software_version()
        meta["revision"] = str(int(meta.get("revision", "0")) + 1)
        meta.update(self._meta)
        self.write_table(
            schema.METADATA,
            pd.DataFrame({"key": list(meta), "value": [meta[k] for k in meta]}),
        )
        old = self.sources()
        if not old.empty and self._replace_sources:
            old = old[~old["layer"].isin(self._replace_sources)]
        new = pd.DataFrame([s.__dict__ for s in self._sources])
        both = pd.concat([old, new], ignore_index=True) if not old.empty else new
        if not both.empty:
            both["synthetic"] = both["synthetic"].astype(bool)
            self.write_table(schema.SOURCES, both)


def info(ws: Workspace) -> dict[str, Any]:
    """Summary used by ``siapwisata info`` and the API: layers, counts, sources, synthetic."""
    ws.require()
    layers: list[dict[str, Any]] = []
    for name, geom_type in pyogrio.list_layers(ws.path):
        name = str(name)
        n = int(pyogrio.read_info(ws.path, layer=name)["features"])
        synthetic = ws.synthetic_rows(name) if geom_type is not None and n else 0
        layers.append(
            {"layer": name, "geometry": geom_type, "features": n, "synthetic": synthetic}
        )
    srcs = ws.sources()
    gateways = ws.read_table(schema.GATEWAY_REPORT)
    return {
        "path": str(ws.path),
        "metadata": ws.metadata(),
        "layers": layers,
        "sources": srcs.to_dict("records") if not srcs.empty else [],
        "synthetic": ws.holds_synthetic(),
        # written by `score`; empty until the workspace has been scored
        "gateways": gateways.to_dict("records") if not gateways.empty else [],
    }
