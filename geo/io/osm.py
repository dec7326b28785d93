"""Reading OpenStreetMap extracts (for the steps ``ingest-osm`` and ``fetch-osm``,
:mod:`geo.steps.ingest`).

The file is streamed with pyosmium (``.osm.pbf``, ``.osm``, ``.osm.bz2``). C++
filters drop every object without an interesting key before Python sees it; node
locations are cached by pyosmium so ways come with coordinates, and multipolygon
relations are assembled into areas by libosmium.

Streaming needs the file sorted by type (nodes, ways, relations) and id, as planet
extracts and ``.pbf`` files are. The openstreetmap.org "Export" (CGImap) and editors write
XML that is not: XML files, small by nature, are therefore first sorted in memory by
libosmium (:class:`osmium.MergeInputReader`) into a temporary ``.pbf``
(:func:`sorted_copy`), which gives exactly what the sorted file gives. A large file found
unsorted while streaming is refused with advice to sort it (``osmium sort``).

Road ways never reach Python one object at a time: libosmium writes them with their
node locations as an uncompressed PBF file (C++ filters, index and writer), and a
compiled reader (:mod:`geo.io._osmpbf`) turns it into flat arrays (node id, lon, lat per
node reference); :mod:`geo.io._topology` then splits them into edges with numpy. The
nodes with a point-of-interest key take the same way (:func:`_poi_nodes`); Python
iterates only the ways and relations that are points of interest. Points of interest
become representative points (``shapely.point_on_surface``), and the tag rules
of :mod:`geo.osmtags` derive ``destinations``, ``umkm`` and ``gateways``.

When the workspace has a boundary, only what lies inside it is kept: road nodes outside
break the way there, points of interest outside are dropped. When the workspace does not
exist yet, it is created with the convex hull of the data as its boundary (recorded in
the metadata as ``boundary_origin``).
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeAlias

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from geo import osmtags as rules
from geo import schema
from geo._memory import available_bytes
from geo._parallel import (
    can_fork_beside,
    current_workers,
    fork_beside,
    fork_imap,
    transform_on_threads,
)
from geo._progress import SILENT, Reporter
from geo.exceptions import InputError, Problem
from geo.io._pbf import ways_onward
from geo.io._topology import Edges, build_edges, shared_nodes, steps
from geo.io.workspace import WkbFrame
from geo.roads import authority_from_highway, condition_from_smoothness, surface_class

OSM_LICENCE = "ODbL 1.0 (© OpenStreetMap contributors)"
OSM_URL = "https://www.openstreetmap.org/copyright"
SUPPORTED_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")
_DERIVED_RULES: Final = {
    "destinations": rules.DESTINATION_RULES,
    "umkm": rules.UMKM_RULES,
    "gateways": rules.GATEWAY_RULES,
}
"""The layers derived from the points of interest, and the rules that pick their rows."""
DERIVED_LAYERS = tuple(_DERIVED_RULES)
_XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz")
_COMPRESSED_SUFFIXES = (".pbf", ".bz2", ".gz")
_SORT_IN_MEMORY_MAX_BYTES = 1 << 30
"""Largest file sorted in memory, in uncompressed XML bytes (estimated as 10x a
compressed file). An openstreetmap.org export (at most 50 000 nodes) is a few MB."""
_RANK = {"n": 0, "w": 1, "r": 2}  # libosmium's order of object types
_UNDEFINED = 2147483647  # libosmium's fixed-point value of an undefined coordinate
_SCALE = 1e-7  # libosmium stores coordinates as integer 1e-7 degrees

_ROAD_FIELDS = ("osm_way_id", "highway", "route", *rules.ROAD_TAGS, "oneway")
_ROAD_KEYS = _ROAD_FIELDS[1:]
"""The tags of a road row, after its way id: both road readers build rows from them."""
_POI_TAG_COLUMNS = ("name", *schema.POI_KEYS, *(
    t for t in rules.POI_EXTRA_TAGS if t not in schema.POI_KEYS
))
_EMPTY_ARRAY_INT = np.empty(0, dtype=np.int64)
_AREA_RELATIONS = frozenset({"multipolygon", "boundary"})  # what libosmium assembles
_ROADS_PBF = "pbf,locations_on_ways=true,add_metadata=timestamp,pbf_compression=none"
"""The roads as libosmium writes them for :func:`_parse_road_pbf`: PBF blobs without
compression, each way with its nodes' locations, each object with its timestamp."""
_PBF_CHUNK_BYTES = 1 << 24


@dataclass
class OsmSource:
    """Where the OSM data came from, for the ``sources`` table."""

    name: str
    date: str = ""
    url: str = OSM_URL
    note: str = ""
    region: str = ""


PoiClasses: TypeAlias = dict[str, tuple[pd.Series, pd.Series]]
"""Per derived layer, the class of every POI row and the tag that decided it
(:func:`geo.osmtags.classify`)."""


@dataclass
class OsmExtract:
    """What the stream kept, as flat arrays and small tables.

    Road node arrays have one entry per node reference of a kept way (ways one after
    another); ``way_nodes`` gives the count per way, matching the rows of ``ways``.
    Coordinates stay in libosmium's fixed point (``int32`` 1e-7 degrees, as OSM stores
    them: half the memory of floats); :meth:`lonlat` gives degrees for a slice.
    """

    ref: np.ndarray = field(default_factory=lambda: _EMPTY_ARRAY_INT)
    x: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    y: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    valid: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    way_nodes: np.ndarray = field(default_factory=lambda: _EMPTY_ARRAY_INT)
    ways: pd.DataFrame = field(default_factory=pd.DataFrame)
    pois: pd.DataFrame = field(default_factory=pd.DataFrame)
    poi_geometry: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    header_date: str = ""
    newest_object: dt.datetime | None = None
    skipped_pois: int = 0
    poi_classes: PoiClasses = field(default_factory=dict)
    """:func:`poi_classes` of ``pois`` (empty when not made)."""

    def __getstate__(self) -> dict[str, Any]:
        # The POI pass's result crosses back from its child process pickled: its
        # geometries as one vectorised WKB array, not one pickle call per geometry
        # (N = 100 tiles, 216.400 points: 1,9 s of pickling, 1,3 s in the child and 0,6 s
        # in the parent, against 0,2 s). WKB keeps the coordinates bit for bit.
        state = dict(self.__dict__)
        state["poi_geometry"] = shapely.to_wkb(self.poi_geometry)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        geometry = shapely.from_wkb(state["poi_geometry"])
        self.__dict__.update(state, poi_geometry=np.asarray(geometry, dtype=object))

    def lonlat(self, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Longitudes and latitudes (degrees, NaN where unknown) of references ``start:stop``."""
        sl = slice(start, stop)
        valid = self.valid[sl]
        return (np.where(valid, self.x[sl] * _SCALE, np.nan),
                np.where(valid, self.y[sl] * _SCALE, np.nan))


# --- reading -----------------------------------------------------------------------------
def check_osm_file(file: str | Path) -> Path:
    """Raise :class:`InputError` naming the file unless it is a readable OSM file."""
    path = Path(file)
    name = str(file)
    if not path.exists():
        raise InputError([Problem(name, "file tidak ditemukan")])
    if not path.is_file():
        raise InputError([Problem(name, "bukan file")])
    if not path.name.lower().endswith(SUPPORTED_SUFFIXES):
        raise InputError([Problem(
            name, "format tidak didukung; gunakan "
            + ", ".join(SUPPORTED_SUFFIXES),
        )])
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise InputError([Problem(name, f"tidak bisa dibaca: {exc}")]) from None
    return path


def region_name(path: Path) -> str:
    """File name without its OSM suffixes (``andorra-2021-04-14.osm.pbf`` -> ``andorra-2021-04-14``)."""
    name = path.name
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return path.stem


def _header_date(path: Path) -> str:
    header = osmium.io.Reader(str(path), osmium.osm.NOTHING).header()
    for key in ("osmosis_replication_timestamp", "timestamp"):
        value = header.get(key)
        if value:
            return str(value)
    return ""


class _UnsortedError(Exception):
    """The file is not sorted by type and id: it cannot be streamed."""


def _out_of_order(kind: str, oid: int, last: tuple[int, bool, int]) -> str:
    """What :class:`_UnsortedError` says: object ``kind``/``oid`` came after ``last``, a
    sort key (type rank, id >= 0, |id|) as both passes compare them."""
    return f"{kind}{oid} setelah (after) {'nwr'[last[0]]}{last[2] if last[1] else -last[2]}"


def _guarded(items: Iterable[Any], name: str) -> Iterator[Any]:
    """Re-raise libosmium read errors (corrupt or truncated files) as InputError."""
    it = iter(items)
    while True:
        try:
            obj = next(it)
        except StopIteration:
            return
        except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
            if "out of order" in str(exc):  # libosmium's order check (area assembly)
                raise _UnsortedError(str(exc)) from None
            raise InputError([Problem(name, f"file OSM rusak: {exc}")]
                             ) from None
        yield obj


def _xml_bytes(path: Path) -> int:
    """Size of the file as uncompressed XML, estimated for compressed formats."""
    size = path.stat().st_size
    return size * 10 if path.name.lower().endswith(_COMPRESSED_SUFFIXES) else size


def sorted_copy(path: Path, directory: Path, *, name: str | None = None) -> Path:
    """Sort an OSM file by type and id in memory into ``directory/sorted.osm.pbf``.

    libosmium reads every object into a buffer and sorts it
    (:class:`osmium.MergeInputReader`, the same ordering as ``osmium sort``);
    :class:`osmium.SimpleWriter` writes the result with all tags, members, versions and
    timestamps, so reading the copy gives what reading a sorted file gives.

    Raises
    ------
    InputError
        Naming ``name`` (default: the file) when the file cannot be read.
    """
    out = directory / "sorted.osm.pbf"
    merge = osmium.MergeInputReader()
    try:
        merge.add_file(str(path))
        writer = osmium.SimpleWriter(str(out), overwrite=True)
        try:
            merge.apply(writer, simplify=True)
        finally:
            writer.close()
    except (RuntimeError, ValueError) as exc:
        raise InputError([Problem(name or str(path),
                                  f"file OSM rusak: {exc}")]) from None
    return out


RoadsHook = Callable[["OsmExtract"], None]
"""Called by :func:`read_osm` with the roads alone, while the POI pass may still run."""


def read_osm(path: Path, *, reporter: Reporter = SILENT,
             on_roads: RoadsHook | None = None) -> OsmExtract:
    """Read an OSM file once and keep road ways (as flat arrays) and points of interest.

    XML files (``.osm``, ``.osm.bz2``, ``.osm.gz``) are sorted in memory first, so that
    files in any object order (openstreetmap.org exports) give the same result as the
    sorted file; ``.pbf`` files are streamed. A file found unsorted while streaming is
    sorted in memory when small enough, else refused.

    ``on_roads``, when given, is called with an extract holding the roads only (no points
    of interest, no edit date) as soon as they are read: while the POI pass still runs in
    its own process (see :func:`_read_stream`), so that the caller's work on the roads
    overlaps it. When the file turns out unsorted after that call, it is called again with
    the roads of the sorted copy.

    Raises
    ------
    InputError
        Naming the file: unreadable, or unsorted and too large to sort in memory.
    """
    name = str(path)
    try:
        header_date = _header_date(path)
    except (RuntimeError, ValueError) as exc:
        raise InputError([Problem(name, f"file OSM rusak: {exc}")]) from None
    small = _xml_bytes(path) <= _SORT_IN_MEMORY_MAX_BYTES
    if not (small and path.name.lower().endswith(_XML_SUFFIXES)):
        try:
            return _read_stream(path, name, header_date, reporter, on_roads)
        except _UnsortedError as exc:
            if not small:
                raise InputError([Problem(name, (
                    f"file OSM tidak terurut menurut jenis dan id ({exc}) dan terlalu besar "
                    "untuk diurutkan di memori; urutkan dulu, mis. `osmium sort`"))]) from None
    reporter.step(f"mengurutkan OSM di memori {path.name}")
    with tempfile.TemporaryDirectory(prefix="siapwisata-osm-") as tmp:
        copy = sorted_copy(path, Path(tmp), name=name)
        try:
            return _read_stream(copy, name, header_date, reporter, on_roads)
        except _UnsortedError as exc:  # cannot happen after sorting; say so if it does
            raise InputError([Problem(name, f"file OSM rusak: {exc}")]
                             ) from None


def _read_stream(path: Path, name: str, header_date: str, reporter: Reporter,
                 on_roads: RoadsHook | None = None) -> OsmExtract:
    """Two streamed passes over a file sorted by type and id (``name`` for messages).

    Roads never reach Python one object at a time: libosmium itself (C++ filters, node
    location index, PBF writer with ``locations_on_ways``) writes every object with a
    ``highway`` or ``route`` key to a temporary file, which :func:`_parse_road_pbf` reads
    with compiled code and Arrow. The second pass gives Python only the ways and relations
    that are points of interest (and assembles their areas); their nodes come as arrays.
    """
    reporter.step(f"membaca OSM {Path(name).name}")
    with tempfile.TemporaryDirectory(prefix="siapwisata-ways-") as tmp:
        roads_pbf = Path(tmp) / "roads.osm.pbf"
        # the POI pass runs in a second process while this one writes and parses the
        # roads and hands them to ``on_roads`` (its result is small; the roads' arrays
        # stay here). It shows no progress of its own: a child must not touch the
        # parent's display.
        forked = _both_passes_fit(path) and can_fork_beside()
        with fork_beside(functools.partial(_stream, path, name, header_date,
                                           SILENT if forked else reporter),
                         when=forked, compiled=False) as pois:
            _write_roads(path, roads_pbf, name)
            # in one process the POI pass (and its node index) ends before the roads'
            # arrays are made, so the two never add up
            ext = None if forked else pois.result()
            parsed = _parse_road_pbf(roads_pbf, name)
            roads_pbf.unlink()  # held in memory where /tmp is tmpfs
            roads = _road_extract(parsed)
            del parsed
            if on_roads is not None:
                on_roads(roads)
            if ext is None:
                ext = pois.result()
    ext.ref, ext.x, ext.y, ext.valid = roads.ref, roads.x, roads.y, roads.valid
    ext.way_nodes, ext.ways = roads.way_nodes, roads.ways
    if roads.newest_object is not None and (ext.newest_object is None
                                            or roads.newest_object > ext.newest_object):
        ext.newest_object = roads.newest_object
    return ext


def _frame_column(values: np.ndarray | pa.Array | pa.ChunkedArray) -> Any:
    """A column of the roads' or POIs' frame as pandas makes it of Python values (str
    dtype; object where a tag never occurs), made from Arrow: at 100 tiles of Andorra the
    roads' frame took 0,68 s from object arrays, 0,08 s from Arrow."""
    if not isinstance(values, pa.Array | pa.ChunkedArray):
        return values  # the ids
    if values.null_count == len(values):
        return np.full(len(values), None, dtype=object)
    return values.to_pandas()


def _road_extract(roads: _RoadArrays) -> OsmExtract:
    """The roads read as an extract (no points of interest); raises
    :class:`_UnsortedError` for an unsorted file, before anything uses its roads."""
    if roads.unsorted:
        raise _UnsortedError(roads.unsorted)
    return OsmExtract(
        ref=roads.ref, x=roads.x, y=roads.y,
        valid=(roads.x != _UNDEFINED) & (roads.y != _UNDEFINED),
        way_nodes=roads.count,
        ways=(pd.DataFrame({k: _frame_column(v) for k, v in roads.ways.items()},
                           columns=list(_ROAD_FIELDS)) if roads.ways
              else pd.DataFrame(columns=list(_ROAD_FIELDS))),
        newest_object=roads.newest,
    )


_FORKED_BYTES_PER_PBF_BYTE = 9
"""Peak memory of the two passes side by side (both processes' proportional set sizes,
from the start of the step to its end) per byte of PBF: 8,9 for 1.000 tiles of Andorra
(12,7 GB for 1,43 GB of PBF; in one process 7,6 GB), 14 for 100 tiles, where the two
interpreters' own 0,6 GB weigh more."""
_MEMORY_SHARE = 0.75
"""The share of the memory available now (``MemAvailable``) the two passes may take."""


def _both_passes_fit(path: Path) -> bool:
    """Whether the two passes side by side fit in :data:`_MEMORY_SHARE` of the memory
    available now (an XML file counts as a tenth of its size in PBF)."""
    size = path.stat().st_size
    if not path.name.lower().endswith(".pbf"):
        size = _xml_bytes(path) // 10
    return _FORKED_BYTES_PER_PBF_BYTE * size <= _MEMORY_SHARE * available_bytes()


def _write_roads(path: Path, out: Path, name: str) -> None:
    """Write every object with a ``highway`` or ``route`` key, ways with node locations."""
    index = osmium.index.create_map("flex_mem")
    locations = osmium.NodeLocationsForWays(index)
    locations.ignore_errors()  # a node missing from the extract: undefined location
    writer = osmium.SimpleWriter(osmium.io.File(str(out), _ROADS_PBF))
    try:
        osmium.apply(osmium.io.Reader(str(path)), _ways_with("highway", "route"), locations,
                     osmium.filter.KeyFilter("highway", "route"), writer)
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        raise InputError([Problem(name, f"file OSM rusak: {exc}")]) from None
    finally:
        writer.close()


def _ways_with(*keys: str) -> osmium.filter.KeyFilter:
    """A filter of the ways without any of ``keys``, for the head of a handler chain,
    before the node locations: every node still reaches the location index, but only
    the ways kept have their nodes looked up in it. After it, the index looked up every
    node of every way of the file (100 tiles of Andorra, 25 million references, most of
    them of buildings and streams): 1,3 CPU-s of the POI pass, 0,6-0,9 of the roads'."""
    ways = osmium.filter.KeyFilter(*keys)
    ways.enable_for(osmium.osm.WAY)
    return ways


def _stream(path: Path, name: str, header_date: str, reporter: Reporter) -> OsmExtract:
    """The pass over the points of interest (objects with a POI key, and their areas)."""
    with (tempfile.TemporaryDirectory(prefix="siapwisata-relations-") as tmp,
          _collector_paused()):
        return _poi_pass(path, name, header_date, reporter, Path(tmp) / "relations.opl")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the block, back as it was after.

    The POI pass makes a tuple per point of interest and a Python object per OSM object
    it sees, and makes no cycle (a collection right after it frees nothing, at 1 and 100
    tiles of Andorra), yet the collector ran ~1.500 times in it: 0,44 s of the pass at
    100 tiles. Anything cyclic a block leaves is collected after it.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _poi_pass(path: Path, name: str, header_date: str, reporter: Reporter,
              kept: Path) -> OsmExtract:
    """:func:`_stream`, keeping the multipolygon relations it finds in the file ``kept``
    (for :func:`_relation_areas`: a read of them there, not of the whole file again)."""
    # the node locations stay for the member ways and label nodes read after this pass
    index = osmium.index.create_map("flex_mem")
    wkb = osmium.geom.WKBFactory()

    poi_rows: list[tuple[Any, ...]] = []
    poi_geom: list[Any] = []  # (lon, lat) tuple for nodes, WKB hex for ways/areas
    way_area: dict[int, str] = {}
    relations: dict[int, tuple[tuple[Any, ...], list[int]]] = {}
    place_labels: dict[int, list[int]] = {}  # place relation -> label/admin_centre nodes
    relation_pos: dict[int, int] = {}  # relation -> its row in poi_rows
    poi_way_pos: dict[int, int] = {}
    skipped = 0

    def tag_values(tags: Any) -> tuple[Any, ...]:
        vals = [tags.get(k) for k in _POI_TAG_COLUMNS]
        for i, k in enumerate(_POI_TAG_COLUMNS):
            if vals[i] is None and k in rules.POI_TAG_FALLBACK:
                vals[i] = tags.get(rules.POI_TAG_FALLBACK[k])
        return tuple(vals)

    objects = kept.with_name("objects.osm.pbf")
    writer = osmium.SimpleWriter(osmium.io.File(str(kept), "opl"))
    try:
        for obj in reporter.track(_guarded(_poi_objects(path, index, objects), name), None,
                                  "membaca OSM"):
            if obj.is_area():
                # the area of a closed way just read (relations are assembled later, in
                # _relation_areas), with that way's tags and time: a point of interest
                # exactly when the way was one
                way_id = obj.orig_id()
                if way_id in poi_way_pos:
                    try:
                        way_area[way_id] = wkb.create_multipolygon(obj)
                    except (RuntimeError, osmium.InvalidLocationError):
                        pass  # the way keeps its line
                continue
            tags = obj.tags
            if obj.is_way():
                if rules.is_poi(tags):
                    try:
                        geom: Any = wkb.create_linestring(obj, osmium.geom.use_nodes.UNIQUE)
                    except (RuntimeError, osmium.InvalidLocationError):
                        geom = None  # fewer than two located nodes; an area may still come
                    poi_way_pos[obj.id] = len(poi_rows)
                    poi_rows.append(("w", obj.id, *tag_values(tags)))
                    poi_geom.append(geom)
            elif obj.is_relation():
                if tags.get("type") in _AREA_RELATIONS and rules.is_poi(tags):
                    relations[obj.id] = (
                        tag_values(tags), [m.ref for m in obj.members if m.type == "w"]
                    )
                    if tags.get("place") in rules.PLACE_POI:
                        place_labels[obj.id] = _label_members(obj.members)
                    writer.add_relation(obj)
    finally:
        writer.close()
    # the nodes, and the order and edit dates of every object read (libosmium checks the
    # order only while assembling areas; a way read before its nodes would silently lose
    # their locations)
    nodes = _poi_nodes(objects, name)
    objects.unlink()
    if nodes.unsorted:
        raise _UnsortedError(nodes.unsorted)
    place_nodes = set(nodes.places.tolist())  # a label node may be a place

    # closed POI ways: prefer the assembled area (a proper polygon) over the ring
    for way_id, geom in way_area.items():
        pos = poi_way_pos.get(way_id)
        if pos is not None:
            poi_geom[pos] = geom

    # the multipolygons, in file order after the ways: assembled from their member ways
    # in a read of those ways only; the ones libosmium cannot assemble (members cut off
    # by the extract) are kept, placed on what remains of their outline
    areas, outlines = _relation_areas(path, kept, relations, name, index)
    broken = sum(rid not in areas for rid in relations)
    if broken:
        reporter.step(f"{broken} multipolygon(s) incomplete: placing them on their "
                      "remaining members")
    for rid, (values, _) in relations.items():
        geom = areas.get(rid, outlines.get(rid))
        if geom is None:
            skipped += 1
            continue
        relation_pos[rid] = len(poi_rows)
        poi_rows.append(("r", rid, *values))
        poi_geom.append(geom)

    if place_labels:
        drop = _locate_places(place_labels, index, place_nodes, relation_pos, poi_geom)
        if drop:
            poi_rows = [r for i, r in enumerate(poi_rows) if i not in drop]
            poi_geom = [g for i, g in enumerate(poi_geom) if i not in drop]
    del index  # the node locations: the largest part of this pass's memory

    pois = _poi_frame(poi_rows, nodes)
    geoms = np.concatenate([shapely.points(nodes.lon, nodes.lat), _poi_points(poi_geom)])
    located = ~shapely.is_missing(geoms)
    skipped += int((~located).sum())
    pois = pois[located].reset_index(drop=True)
    return OsmExtract(
        ways=pd.DataFrame(columns=list(_ROAD_FIELDS)),
        pois=pois,
        poi_geometry=geoms[located],
        poi_classes=poi_classes(pois),
        header_date=header_date,
        newest_object=(dt.datetime.fromtimestamp(nodes.newest, tz=dt.UTC) if nodes.newest
                       else None),
        skipped_pois=skipped,
    )


def _poi_frame(rows: list[tuple[Any, ...]], nodes: _PoiNodes | None = None
               ) -> pd.DataFrame:
    """``pd.DataFrame.from_records(rows, columns=...)`` of the POI rows (type, id, then
    :data:`_POI_TAG_COLUMNS`) after those of ``nodes``: the same frame, its text columns
    made by Arrow a column at a time (100 tiles of Andorra, 216.400 rows: 0,52 s ->
    0,28-0,32 s)."""
    names = ["osm_type", "osm_id", *_POI_TAG_COLUMNS]
    first = len(nodes.ids) if nodes is not None else 0
    if not rows and not first:
        return pd.DataFrame.from_records(rows, columns=names)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)

    def text(i: int, name: str) -> Any:
        values = pa.array(columns[i], type=pa.large_string())
        if nodes is not None:
            head = (pa.array(["n"] * first, type=pa.large_string()) if name == "osm_type"
                    else nodes.columns[name])
            values = pa.concat_arrays([head, values])
        return _frame_column(values)

    ids = np.array(columns[1], dtype=np.int64)
    return pd.DataFrame({
        name: (np.concatenate([nodes.ids, ids]) if nodes is not None else ids)
        if name == "osm_id" else text(i, name)
        for i, name in enumerate(names)}, columns=names)


@dataclass
class _PoiNodes:
    """What :func:`_poi_nodes` read: the nodes that are points of interest, and what
    every object of the file tells."""

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    """Their locations in degrees, as libosmium gives them (``Location.lon``)."""
    columns: dict[str, pa.Array]
    """Per key of :data:`_POI_TAG_COLUMNS`, their values (the ``contact:`` spelling where
    the plain one is missing), as Arrow large strings."""
    places: np.ndarray
    """Every node that is a place (:data:`geo.osmtags.PLACE_POI`), POI or not."""
    newest: int
    """The newest edit of any object, in seconds since 1970 (0: no timestamp)."""
    unsorted: str


_POI_OBJECTS_PBF = "pbf,pbf_compression=none,pbf_dense_nodes=false,add_metadata=timestamp"
"""The objects with a POI key as :func:`_poi_objects` has libosmium write them for
:func:`_poi_nodes`: each node with its tags (not as dense nodes), no compression."""


def _key_bytes(keys: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """Tag keys as :func:`geo.io._osmpbf.blocks` takes them."""
    encoded = [k.encode() for k in keys]
    return (np.frombuffer(b"".join(encoded), dtype=np.uint8),
            np.cumsum([0, *map(len, encoded)]).astype(np.int64))


_POI_READ_KEYS = tuple(dict.fromkeys((*_POI_TAG_COLUMNS, *rules.POI_FILTER_KEYS,
                                      *rules.POI_TAG_FALLBACK.values())))
"""The keys read from the nodes: the POI columns, what makes a POI, the fallbacks."""
_POI_KEY_BYTES = _key_bytes(_POI_READ_KEYS)
_POI_KEY_INDEX = {k: i for i, k in enumerate(_POI_READ_KEYS)}


def _poi_nodes(objects: Path, name: str) -> _PoiNodes:
    """The nodes of the file of :func:`_poi_objects` that are points of interest
    (:func:`geo.osmtags.is_poi`, evaluated on columns) with a valid location; the order
    and newest edit of all its objects."""
    state = _PbfState()
    parts: list[tuple[Any, ...]] = []
    places: list[np.ndarray] = []
    for data, found in _pbf_chunks(objects, _POI_KEY_BYTES):
        _, _, kinds, ids, newest, tagged_at, count, ref, x, y, tag_lo, tag_hi = found
        _check_order(kinds, ids, state)
        state.newest = max(state.newest, int(newest))
        node = kinds[tagged_at] == ord("n")  # one reference each: the node itself
        b = np.frombuffer(data, dtype=np.uint8)
        spans = (b, tag_lo[:, node], tag_hi[:, node])
        per_ref = np.repeat(node, count)
        node_ids, x, y = ref[per_ref], x[per_ref], y[per_ref]
        rule_values = _poi_values(spans, rules.POI_FILTER_KEYS, slice(None))
        places.append(node_ids[_among(rule_values["place"], rules.PLACE_POI)])
        # Location::valid(): defined and within the world
        keep = np.flatnonzero(_poi_mask(rule_values)
                              & (np.abs(x.astype(np.int64)) <= 1_800_000_000)
                              & (np.abs(y.astype(np.int64)) <= 900_000_000))
        kept = _poi_values(spans, _POI_READ_KEYS, keep)  # the points of interest only
        columns = {}
        for k in _POI_TAG_COLUMNS:
            column = kept[k]
            if k in rules.POI_TAG_FALLBACK:
                column = pc.coalesce(column, kept[rules.POI_TAG_FALLBACK[k]])
            columns[k] = column
        _check_utf8(columns, node_ids[keep], "n", name)
        parts.append((node_ids[keep], x[keep], y[keep], columns))
    empty = pa.array([], type=pa.large_string())
    ids = np.concatenate([p[0] for p in parts] or [_EMPTY_ARRAY_INT])
    x = np.concatenate([p[1] for p in parts] or [np.empty(0, np.int32)])
    y = np.concatenate([p[2] for p in parts] or [np.empty(0, np.int32)])
    return _PoiNodes(
        ids=ids, lon=x / 1e7, lat=y / 1e7,  # libosmium divides by its precision too
        columns={k: pa.concat_arrays([p[3][k] for p in parts] or [empty])
                 for k in _POI_TAG_COLUMNS},
        places=np.concatenate(places or [_EMPTY_ARRAY_INT]),
        newest=state.newest, unsorted=state.unsorted)


def _poi_values(spans: tuple[np.ndarray, np.ndarray, np.ndarray], keys: Iterable[str],
                rows: np.ndarray | slice) -> dict[str, pa.Array]:
    """The values of ``keys`` of the ``rows`` of a chunk's nodes (``spans``: the chunk's
    bytes and its nodes' value spans, keys of :data:`_POI_READ_KEYS` by nodes)."""
    b, lo, hi = spans
    return {k: _tag_column(b, lo[_POI_KEY_INDEX[k]][rows], hi[_POI_KEY_INDEX[k]][rows])
            for k in keys}


def _poi_mask(values: dict[str, pa.Array]) -> np.ndarray:
    """:func:`geo.osmtags.is_poi` of each object, from the columns of its first values of
    the keys (its tables, evaluated on columns; a test holds the two together)."""
    n = len(values[rules.POI_ANY_KEYS[0]])
    mask = np.zeros(n, dtype=bool)
    for key in rules.POI_ANY_KEYS:
        mask |= np.asarray(pc.fill_null(pc.not_equal(values[key], "no"), False))
    for key, wanted in rules.POI_VALUE_KEYS.items():
        mask |= _among(values[key], wanted)
    return mask


def _among(values: pa.Array, wanted: Iterable[str]) -> np.ndarray:
    """Per value, whether it is one of ``wanted`` (a missing one is not)."""
    found = pc.is_in(values, value_set=pa.array(sorted(wanted), type=values.type))
    return np.asarray(pc.fill_null(found, False))


def _pbf_chunks(path: Path, keys: tuple[np.ndarray, np.ndarray]
                ) -> Iterator[tuple[bytes, tuple[Any, ...]]]:
    """What :func:`geo.io._osmpbf.blocks` finds in a PBF file written by libosmium, chunk
    by chunk of whole blobs (each with its bytes, which the spans point into)."""
    from geo.io import _osmpbf  # numba: imported on first use

    rest = b""
    with path.open("rb") as fh:
        while True:
            block = fh.read(_PBF_CHUNK_BYTES)
            data = rest + block
            found = _osmpbf.blocks(np.frombuffer(data, dtype=np.uint8), *keys)
            if found[0] != _osmpbf.OK:
                raise _unexpected(_osmpbf.PROBLEMS[found[0]])
            if found[1]:
                yield data, found
            rest = data[found[1]:]
            if not block:
                break
    if rest:
        raise _unexpected("a blob cut short")


@dataclass
class _RoadArrays:
    """What :func:`_parse_road_pbf` read: node arrays and one row per road way."""

    ref: np.ndarray
    x: np.ndarray
    y: np.ndarray
    count: np.ndarray
    ways: dict[str, Any]
    """The way ids (``osm_way_id``, int64 numpy) and each tag (Arrow strings, null where
    a way has no such tag)."""
    newest: dt.datetime | None
    unsorted: str = ""


@dataclass
class _PbfState:
    """Carried from chunk to chunk of a PBF file read by :func:`_pbf_chunks`."""

    ways: list[dict[str, Any]] = field(default_factory=list)
    """Per chunk, the road rows as columns (:data:`_ROAD_FIELDS`), for the roads."""
    newest: int = 0  # seconds since 1970 (0: no timestamp seen)
    last: tuple[int, bool, int] = (-1, False, 0)
    unsorted: str = ""


def _parse_road_pbf(pbf: Path, name: str) -> _RoadArrays:
    """Road ways from the PBF file of :func:`_write_roads` (``name`` for messages).

    ``ref``, ``x``, ``y`` hold one entry per node reference of a road way (int64 node
    ids, int32 coordinates in 1e-7 degrees, ``_UNDEFINED`` where the location is
    unknown), ``count`` the references per way, ``ways`` the :data:`_ROAD_FIELDS` columns
    (one row per way: the id as int64, tag values as Arrow strings).
    Ways that are not roads (excluded ``highway`` values, areas), nodes and relations
    count only for the newest edit date and the order check. The file is read in chunks
    of whole blobs by compiled code (:mod:`geo.io._osmpbf`), with no Python object per
    way or per node reference, so memory follows the output (16 bytes per reference).
    """
    state = _PbfState()
    parts = [_road_chunk(data, found, state, name)
             for data, found in _pbf_chunks(pbf, _TAG_KEY_BYTES)]
    newest = None
    if state.newest:
        newest = dt.datetime.fromtimestamp(state.newest, tz=dt.UTC)
    if not parts:
        empty = np.empty(0, dtype=np.int32)
        return _RoadArrays(_EMPTY_ARRAY_INT, empty, empty.copy(), _EMPTY_ARRAY_INT, {},
                           newest, state.unsorted)
    # one array at a time, each freeing its chunks: the peak is the chunks plus one array
    columns = [list(c) for c in zip(*parts, strict=True)]
    del parts
    ref, x, y, count = (_concatenate_freeing(c) for c in columns)
    ways: dict[str, Any] = {
        "osm_way_id": _concatenate_freeing([w.pop("osm_way_id") for w in state.ways]),
        **{k: pa.chunked_array([w.pop(k) for w in state.ways], type=pa.large_string())
           for k in _ROAD_KEYS}}
    return _RoadArrays(ref, x, y, count, ways, newest, state.unsorted)


def _concatenate_freeing(chunks: list[np.ndarray]) -> np.ndarray:
    """``np.concatenate`` that empties the list (its chunks can be freed once copied)."""
    out = np.concatenate(chunks)
    chunks.clear()
    return out


_TAG_KEYS = (*_ROAD_KEYS, "area")
"""The tag keys read from a way: a road row's (in its order), then ``area``."""
_AREA = len(_ROAD_KEYS)
_TAG_KEY_BYTES = _key_bytes(_TAG_KEYS)
_RANK_OF_BYTE = np.full(256, -1, dtype=np.int8)
for _kind, _rank in _RANK.items():
    _RANK_OF_BYTE[ord(_kind)] = _rank


def _unexpected(what: str) -> RuntimeError:
    return RuntimeError(f"unexpected PBF from libosmium: {what}")


def _road_chunk(data: bytes, found: tuple[Any, ...], state: _PbfState, name: str
                ) -> tuple[np.ndarray, ...]:
    """:func:`_parse_road_pbf` for what :func:`geo.io._osmpbf.blocks` found in one
    chunk of whole blobs: (ref, x, y, count) of its roads; their rows go to ``state``."""
    _, _, kinds, ids, newest, tagged_at, count, ref, x, y, tag_lo, tag_hi = found
    _check_order(kinds, ids, state)
    state.newest = max(state.newest, int(newest))
    b = np.frombuffer(data, dtype=np.uint8)
    highway, route, area = (_tag_column(b, tag_lo[i], tag_hi[i]) for i in (0, 1, _AREA))
    # libosmium writes the nodes as dense nodes, which carry no tags here: all are ways
    road = (kinds[tagged_at] == ord("w")) & _is_road(highway, route, area)
    way_ids = ids[tagged_at[road]]
    at = np.flatnonzero(road)  # the other values are gathered for the roads only
    rows = {k: _tag_column(b, tag_lo[i][at], tag_hi[i][at]) for i, k in enumerate(_ROAD_KEYS)}
    _check_utf8(rows, way_ids, "w", name)
    state.ways.append({"osm_way_id": way_ids, **rows})
    per_ref = np.repeat(road, count)
    return ref[per_ref], x[per_ref], y[per_ref], count[road]


def _check_utf8(columns: dict[str, pa.Array], ids: np.ndarray, kind: str, name: str) -> None:
    """Raise InputError naming the first object whose value of a key is not UTF-8 (the
    columns are read from PBF bytes as they are)."""
    for k, column in columns.items():
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            bad = int(ids[np.argmax(~_valid_utf8(column))])
            what = "jalan" if kind == "w" else "objek"
            raise InputError([Problem(name, f"file OSM rusak: nilai tag '{k}' {what} "
                                            f"{kind}{bad} bukan teks UTF-8 yang sah")]
                             ) from None


def _tag_column(b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> pa.LargeStringArray:
    """The values at the spans ``b[lo:hi]`` as Arrow strings (null where ``lo`` is -1),
    not yet checked as UTF-8. Large strings (64-bit offsets), as pandas holds them: the
    roads' frame took 0,2 s more casting 32-bit ones (100 tiles of Andorra)."""
    from geo.io._osmpbf import gather  # numba: imported on first use

    offsets, values = gather(b, lo, hi)
    present = lo >= 0
    return pa.LargeStringArray.from_buffers(
        len(lo), pa.py_buffer(offsets), pa.py_buffer(values),
        None if present.all() else pa.py_buffer(np.packbits(present, bitorder="little")))


def _valid_utf8(column: pa.LargeStringArray) -> np.ndarray:
    """Per value, whether it is valid UTF-8 (null counts as valid): the rare path of an
    invalid file, one value at a time."""
    raw = column.cast(pa.large_binary()).to_pylist()
    ok = np.ones(len(raw), dtype=bool)
    for i, value in enumerate(raw):
        try:
            if value is not None:
                value.decode("utf-8")
        except UnicodeDecodeError:
            ok[i] = False
    return ok


def _check_order(kind: np.ndarray, ids: np.ndarray, state: _PbfState) -> None:
    """Record the first object out of libosmium's order (type, then id: negative ids after
    positive ones, by absolute value) in ``state.unsorted``; carry the last one on."""
    if not len(kind):
        return
    rank = _RANK_OF_BYTE[kind]
    if (rank < 0).any():
        raise _unexpected(f"object type '{chr(int(kind[np.argmax(rank < 0)]))}'")
    r = np.concatenate([[state.last[0]], rank]).astype(np.int64)
    s = np.concatenate([[state.last[1]], ids >= 0])
    a = np.concatenate([[state.last[2]], np.abs(ids)])
    before = (r[1:] < r[:-1]) | ((r[1:] == r[:-1]) & (
        (s[1:] < s[:-1]) | ((s[1:] == s[:-1]) & (a[1:] < a[:-1]))))
    if before.any() and not state.unsorted:
        i = int(np.argmax(before))
        state.unsorted = _out_of_order(chr(int(kind[i])), int(ids[i]),
                                       (int(r[i]), bool(s[i]), int(a[i])))
    state.last = (int(rank[-1]), bool(ids[-1] >= 0), int(abs(ids[-1])))


def _is_road(highway: pa.Array, route: pa.Array, area: pa.Array) -> np.ndarray:
    """Per way: a road (a kept ``highway`` value and not an area) or a ferry route."""

    kept = ~_among(highway, rules.EXCLUDED_HIGHWAY) & ~_among(area, {"yes"})
    road: np.ndarray = np.where(np.asarray(highway.is_valid()), kept,
                                _among(route, {"ferry"}))
    return road


def _label_members(members: Any) -> list[int]:
    """Node refs of a relation's ``label`` members, then its ``admin_centre`` members."""
    nodes = [(m.role, m.ref) for m in members if m.type == "n"]
    return [ref for role in rules.PLACE_LABEL_ROLES for r, ref in nodes if r == role]


def _locate_places(labels: dict[int, list[int]], index: Any, places: set[int],
                   relation_pos: dict[int, int], poi_geom: list[Any]) -> set[int]:
    """Put every place relation at its label node, else at a point inside its area.

    The outline of a place (a boundary line) is no place to start a trip from. With a
    ``label``/``admin_centre`` node the relation takes the node's location; when that node
    is itself a place in the file, the relation is the same place twice and its row is
    dropped (returned positions). Without such a node, an outline that libosmium could not
    close into an area gets a point inside the convex hull of its lines.

    The label nodes' locations come from the POI pass's node location ``index`` (no
    second read of the file); ``places``: the nodes that are places.
    """
    located: dict[int, tuple[tuple[float, float], bool]] = {}
    for n in {n for refs in labels.values() for n in refs}:
        loc = _indexed(index, n)
        if loc is not None:
            located[n] = ((loc.lon, loc.lat), n in places)
    drop: set[int] = set()
    for rid, refs in labels.items():  # one per place relation: a few hundred at most
        pos = relation_pos.get(rid)
        if pos is None:
            continue
        found = next((located[n] for n in refs if n in located), None)
        if found is not None:
            poi_geom[pos] = found[0]
            if found[1]:
                drop.add(pos)
            continue
        geom = poi_geom[pos]
        if isinstance(geom, BaseGeometry) and shapely.get_dimensions(geom) == 1:
            poi_geom[pos] = shapely.convex_hull(geom)
    return drop


def _indexed(index: Any, node: int) -> Any:
    """The valid location of ``node`` in a node location index, else None."""
    try:
        loc = index.get(node)
    except KeyError:  # not in the file
        return None
    return loc if loc.valid() else None


def _poi_objects(path: Path, index: Any, objects: Path) -> Iterator[Any]:
    """The ways and relations with a POI key, in file order, each closed way among them
    followed by its area; node locations go into ``index``, and every object with a POI
    key, nodes included, to the file ``objects`` (:data:`_POI_OBJECTS_PBF`), complete once
    the iteration ends.

    The nodes never reach Python: :func:`_poi_nodes` reads them from ``objects`` with
    compiled code (100 tiles of Andorra: 300.000 nodes pass the key filter, ~3,5 CPU-s
    of this pass when each became a Python object and its 34 tags were looked up).

    ``FileProcessor.with_areas`` puts its area manager before the filters, so libosmium
    assembles every closed way of the file, buildings included, to drop most of them
    (at 100 tiles of Andorra six areas in seven, 3 to 4 s of the pass). Here the manager
    sees only the ways with a POI key. Multipolygon relations need their member ways,
    which rarely carry one: :func:`_relation_areas` assembles them afterwards.
    """
    # the iterator does not keep its handlers alive: each is named here
    ways = _ways_with(*rules.POI_FILTER_KEYS)
    locations = osmium.NodeLocationsForWays(index)
    locations.ignore_errors()  # a node missing from the extract: undefined location
    keys = osmium.filter.KeyFilter(*rules.POI_FILTER_KEYS)
    written = osmium.SimpleWriter(osmium.io.File(str(objects), _POI_OBJECTS_PBF))
    no_nodes = osmium.filter.EntityFilter(osmium.osm.WAY | osmium.osm.RELATION)
    areas = osmium.BufferIterator()
    manager = osmium.area.AreaManager()
    assemble = manager.second_pass_to_buffer(areas)
    try:
        with osmium.io.Reader(osmium.io.File(str(path))) as reader:
            for obj in osmium.OsmFileIterator(reader, ways, locations, keys, written,
                                              no_nodes, assemble):
                yield obj
                if areas:
                    yield from areas
        if areas:
            yield from areas
    finally:
        written.close()


def _relation_areas(path: Path, kept: Path, relations: dict[int, tuple[Any, list[int]]],
                    name: str, index: Any) -> tuple[dict[int, str], dict[int, BaseGeometry]]:
    """Per relation of ``relations`` (id -> (tag values, member way ids)): the area
    libosmium assembles (WKB hex) and, for those it cannot (members cut off by the
    extract), the outline made of the member ways present in the file.

    The area manager reads these relations from ``kept`` (the POI pass wrote them there
    as it met them: a read of the whole file for a few thousand relations cost 1,8 s at
    100 tiles of Andorra), then one read of the member ways only (only these pass the
    C++ filter; of a PBF file, only its blocks from the ways on, :func:`ways_onward`),
    their nodes located from the POI pass's ``index`` (the nodes are not read again).
    Outline rings that still close become polygons; otherwise the loose member lines are
    used.
    """
    if not relations:
        return {}, {}
    manager = osmium.area.AreaManager()
    first = manager.first_pass_handler()
    with osmium.io.Reader(osmium.io.File(str(kept), "opl"), osmium.osm.RELATION) as reader:
        osmium.apply(reader, first)
    members = osmium.filter.IdFilter({w for _, ways in relations.values() for w in ways})
    locations = osmium.NodeLocationsForWays(index)
    locations.ignore_errors()
    built = osmium.BufferIterator()
    assemble = manager.second_pass_to_buffer(built)
    wkb = osmium.geom.WKBFactory()
    areas: dict[int, str] = {}
    lines: dict[int, str | BaseGeometry] = {}  # hex WKB when every node is located

    def take_areas() -> None:
        for area in built:  # only areas: the manager's buffer holds nothing else
            if not isinstance(area, osmium.osm.Area):
                continue
            rid = area.orig_id()
            # a member that is itself a closed way makes an area of its own: not asked
            if area.from_way() or rid not in relations:
                continue
            try:
                areas[rid] = wkb.create_multipolygon(area)
            except (RuntimeError, osmium.InvalidLocationError):
                pass  # placed on its outline, as one libosmium cannot assemble

    # the filter before the locations: only the wanted ways are looked up; from a PBF
    # file, only its blocks from the ways on are read (not its nodes' blocks)
    tail = kept.with_name("ways.osm.pbf")
    source = tail if ways_onward(path, tail) else path
    with osmium.io.Reader(osmium.io.File(str(source)), osmium.osm.WAY) as reader:
        for way in _guarded(osmium.OsmFileIterator(reader, members, locations, assemble),
                            name):
            try:  # in C++, and read only for a relation left unassembled
                lines[way.id] = wkb.create_linestring(way, osmium.geom.use_nodes.ALL)
            except (RuntimeError, osmium.InvalidLocationError):
                # the member ways may themselves be cut: keep their located nodes
                xy = [(n.location.lon, n.location.lat) for n in way.nodes
                      if n.location.valid()]
                if len(xy) >= 2:
                    lines[way.id] = shapely.linestrings(xy)
            take_areas()
    take_areas()
    outlines: dict[int, BaseGeometry] = {}
    for rid, (_, ways) in relations.items():  # per relation, to name its own members
        if rid in areas:
            continue
        parts = np.array([lines[m] for m in ways if m in lines], dtype=object)
        if not len(parts):
            continue
        hexed = np.array([isinstance(p, str) for p in parts], dtype=bool)
        parts[hexed] = shapely.from_wkb(parts[hexed])
        polys = shapely.get_parts(shapely.polygonize(parts))
        outlines[rid] = (shapely.multipolygons(polys) if len(polys)
                         else shapely.multilinestrings(parts))
    return areas, outlines


def _poi_points(geoms: list[Any]) -> np.ndarray:
    """Representative points: nodes as they are, ways and areas via point_on_surface.

    Entries are ``(lon, lat)`` for nodes, WKB hex for ways and areas, shapely geometries
    for rebuilt multipolygons, or ``None`` when no geometry could be made.
    """
    out = np.full(len(geoms), None, dtype=object)
    if not geoms:
        return out
    kind = np.array([0 if isinstance(g, tuple) else 1 if isinstance(g, str) else
                     2 if g is not None else 3 for g in geoms], dtype=np.int8)
    obj = np.array(geoms + [None], dtype=object)[:-1]  # keep tuples as objects
    if (kind == 0).any():
        out[kind == 0] = shapely.points(np.array(obj[kind == 0].tolist(), dtype=np.float64))
    shaped = np.full(len(geoms), None, dtype=object)
    if (kind == 1).any():
        shaped[kind == 1] = shapely.from_wkb(_hex_to_bytes(obj[kind == 1]),
                                             on_invalid="ignore")
    shaped[kind == 2] = obj[kind == 2]
    m = (kind == 1) | (kind == 2)
    if m.any():
        out[m] = shapely.point_on_surface(shaped[m])
    return out


def _hex_to_bytes(hexes: np.ndarray) -> np.ndarray:
    """Hex WKB strings (pyosmium's ``WKBFactory``) as WKB bytes, decoded in one call:
    GEOS reads hex several times slower than bytes (100.000 lines of 12 vertices: 0,96 s
    from hex, 0,18 s with this decoding included)."""
    ends = np.cumsum(np.fromiter(map(len, hexes), dtype=np.int64, count=len(hexes))) // 2
    starts = np.concatenate([np.zeros(min(len(ends), 1), dtype=np.int64), ends[:-1]])
    data = bytes.fromhex("".join(hexes))
    out = np.empty(len(hexes), dtype=object)
    out[:] = [data[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    return out


# --- layers ---------------------------------------------------------------------------
_ROAD_CHUNK_REFS = 1 << 22
"""Node references (about 4 million) per step of the lookups over every reference
(:func:`usable_nodes`, :func:`road_hull_points`): bounds the temporaries of a large
region."""

_ROAD_SLICE_REFS = 1 << 20
"""Node references (about a million) per slice of :func:`road_chunks`: the first slice
is made before anything is written, the others while the ones before are written."""


def usable_nodes(ext: OsmExtract, boundary: BaseGeometry | None) -> np.ndarray:
    """Per road node reference: its location is known and (with a boundary) inside it."""
    if boundary is None:
        return ext.valid
    shapely.prepare(boundary)
    usable = ext.valid.copy()
    for lo, hi in steps(len(usable), _ROAD_CHUNK_REFS):
        m = usable[lo:hi]
        lon, lat = ext.lonlat(lo, hi)
        m[m] = shapely.intersects_xy(boundary, lon[m], lat[m])
    return usable


def road_chunks(ext: OsmExtract, usable: np.ndarray, metric: CRS) -> Iterator[WkbFrame]:
    """Road edges (one row per edge between graph nodes) with the ``roads`` columns, a
    slice of ways at a time (at least one frame, empty when there is no edge).

    Which nodes are shared between ways is decided once over the whole network
    (:func:`geo.io._topology.shared_nodes`); the rest of the split is local to a way, so
    the slices give exactly the edges of one split, in the same order, and memory
    follows a slice rather than the file. ``edge_id`` runs on across slices.

    The slices are made in forked workers (:func:`geo._parallel.fork_imap`) while the
    caller writes the ones before: GDAL holds the GIL while it writes a layer, so a
    thread could not make the next slice meanwhile (100 tiles of Andorra: about 4 s to
    make the slices, 3 s to write them).
    """
    ways = ext.ways
    oneway, reverse = rules.oneway_flags(ways["oneway"], ways["junction"], ways["highway"])
    way_index = np.repeat(np.arange(len(ways), dtype=np.int32), ext.way_nodes)
    shared = shared_nodes(ext.ref, way_index, usable)
    offsets = np.concatenate([[0], np.cumsum(ext.way_nodes)])
    tr = Transformer.from_crs(schema.WGS84, metric, always_xy=True)
    pieces = _way_slices(offsets, len(ways))

    def table(piece: tuple[int, int]) -> WkbFrame:
        lo, hi = int(offsets[piece[0]]), int(offsets[piece[1]])
        lon, lat = ext.lonlat(lo, hi)
        edges = build_edges(ext.ref[lo:hi], lon, lat, way_index[lo:hi], usable[lo:hi],
                            reverse, shared[lo:hi])
        del lon, lat  # freed before the rows are made
        return _roads_table(edges, ways, oneway, tr)

    first = 0
    # one slice ahead per worker: memory holds a few slices, not the region
    for i, frame in enumerate(fork_imap(table, pieces, ahead=current_workers(),
                                        compiled=False)):
        count = len(frame.data)
        if count or (first == 0 and i == len(pieces) - 1):
            frame.data["edge_id"] += first
            yield frame
        del frame
        first += count


def _way_slices(offsets: np.ndarray, n_ways: int) -> list[tuple[int, int]]:
    """Ways ``[w0, w1)`` of about :data:`_ROAD_SLICE_REFS` references each (a longer way
    goes alone); one empty slice when there is no way."""
    out: list[tuple[int, int]] = []
    w0 = 0
    while True:
        w1 = int(np.searchsorted(offsets, offsets[w0] + _ROAD_SLICE_REFS, side="right")) - 1
        w1 = min(max(w1, w0 + 1), n_ways)
        out.append((w0, w1))
        if w1 >= n_ways:
            return out
        w0 = w1


def _roads_table(edges: Edges, ways: pd.DataFrame, oneway: np.ndarray, tr: Transformer
                 ) -> WkbFrame:
    """The ``roads`` rows of ``edges`` (``edge_id`` from 0: :func:`road_chunks` carries
    it on across slices), their lines as WKB: they are only written."""
    # on threads where this runs in the caller (one worker, or no fork); in a forked
    # worker of road_chunks, one after the other: the cores are taken
    px, py = np.empty(len(edges.lon)), np.empty(len(edges.lat))
    transform_on_threads(tr.transform, edges.lon, edges.lat, px, py)
    attrs = ways.iloc[edges.way].reset_index(drop=True)
    water = attrs["highway"].isna().to_numpy()
    out = pd.DataFrame({
        "u": edges.u,
        "v": edges.v,
        "osm_way_id": attrs["osm_way_id"].astype(np.int64),
        "highway": attrs["highway"],
        "name": attrs["name"],
        "ref": attrs["ref"],
        "surface": attrs["surface"],
        "smoothness": attrs["smoothness"],
        "tracktype": attrs["tracktype"],
        "maxspeed": attrs["maxspeed"],
        "oneway": oneway[edges.way],
        "length_m": np.round(edges.lengths(np.asarray(px), np.asarray(py)), 3),
        "authority": authority_from_highway(attrs["highway"]).to_numpy(),
        "condition": condition_from_smoothness(attrs["smoothness"]).to_numpy(),
        "mode": np.where(water, "water", "road"),
        "provenance": "osm",
        "edge_id": np.arange(len(edges), dtype=np.int64),
        "surface_class": surface_class(attrs["surface"]).to_numpy(),
        "authority_source": "inferred",
        **{key: attrs[key] for key in rules.ACCESS_KEYS},  # raw, read per mode by geo.network
        "bridge": attrs["bridge"],
        "tunnel": attrs["tunnel"],
        "junction": attrs["junction"],
        "route": attrs["route"],
    })
    return WkbFrame(out, edges.wkb(), "LineString")


def _osm_id(frame: pd.DataFrame) -> pd.Series:
    return "osm-" + frame["osm_type"].astype(str) + frame["osm_id"].astype(str)


def poi_classes(pois: pd.DataFrame) -> PoiClasses:
    """The classes of every row of ``pois`` for ``destinations``, ``umkm`` and
    ``gateways``. The POI pass makes them in its own process, beside the roads' work:
    they were 0,3 s of the single-threaded end of an ingest (100 tiles of Andorra)."""
    return {layer: rules.classify(pois, table) for layer, table in _DERIVED_RULES.items()}


def classes_of(classes: PoiClasses, rows: np.ndarray) -> PoiClasses:
    """``classes`` of the POI rows selected by the boolean mask ``rows``, renumbered from
    0 as the selected rows are."""
    return {layer: (value[rows].reset_index(drop=True), tag[rows].reset_index(drop=True))
            for layer, (value, tag) in classes.items()}


def _derive(pois: gpd.GeoDataFrame, layer: str, column: str, extras: tuple[str, ...],
            classes: PoiClasses | None) -> gpd.GeoDataFrame:
    value, tag = (classes[layer] if classes is not None
                  else rules.classify(pois, _DERIVED_RULES[layer]))
    m = value.notna().to_numpy()
    sel = pois[m]
    tag = tag[m]
    name = sel["name"].astype("string").fillna(tag + " tanpa nama (unnamed)")
    out = pd.DataFrame({
        "id": _osm_id(sel),
        "name": name.astype(str),
        column: value[m].astype(str),
        "provenance": "osm",
        "osm_type": sel["osm_type"],
        "osm_id": sel["osm_id"],
        "osm_tag": tag.astype(str),
        **{c: sel[c] for c in extras},
    })
    return gpd.GeoDataFrame(out, geometry=sel.geometry.to_numpy(), crs=schema.WGS84)


def destinations_frame(pois: gpd.GeoDataFrame, classes: PoiClasses | None = None
                       ) -> gpd.GeoDataFrame:
    """Destinations derived from POIs by :data:`geo.osmtags.DESTINATION_RULES`
    (``classes``: :func:`poi_classes` of ``pois``, when already made)."""
    return _derive(pois, "destinations", "category",
                   ("website", "opening_hours", "wheelchair", "toilets", "fee", "wikidata"),
                   classes)


def umkm_frame(pois: gpd.GeoDataFrame, classes: PoiClasses | None = None) -> gpd.GeoDataFrame:
    """UMKM derived from POIs by :data:`geo.osmtags.UMKM_RULES` (exact locations)."""
    out = _derive(pois, "umkm", "type", ("cuisine", "opening_hours", "phone", "website"),
                  classes)
    out.insert(3, "location_precision", "exact")
    return out


def gateways_frame(pois: gpd.GeoDataFrame, classes: PoiClasses | None = None
                   ) -> gpd.GeoDataFrame:
    """Gateways derived from POIs by :data:`geo.osmtags.GATEWAY_RULES`."""
    return _derive(pois, "gateways", "kind", (), classes)


def road_hull_points(ext: OsmExtract) -> np.ndarray:
    """The road coordinates that may lie on the convex hull of the data ((n, 2) lon/lat):
    what :func:`derived_boundary` needs of the roads, computable before the points of
    interest are read.

    Akl-Toussaint (:func:`_hull_mask`) over the whole network at once: the polygon of the
    extreme points of a sample of the references (a polygon of data points, so inside
    the hull all the same), then, slice by slice, the points outside its inner box
    (compared in fixed point) and outside the polygon, in degrees; their own
    :func:`_hull_candidates` last. (An octagon per slice, every point in degrees, kept 1,2
    million of the 11,1 million references of 100 tiles of Andorra, in ~0,9 s.)
    """
    n = len(ext.valid)
    step = max(1, n // _HULL_SAMPLE)
    sample = np.flatnonzero(ext.valid[::step]) * step
    ring = _extreme_ring(np.column_stack([ext.x[sample] * _SCALE, ext.y[sample] * _SCALE]))
    box = None if ring is None else _inner_box(ring)
    xy = [np.empty((0, 2))]
    for lo, hi in steps(n, _ROAD_CHUNK_REFS):
        x, y, valid = ext.x[lo:hi], ext.y[lo:hi], ext.valid[lo:hi]
        rest = np.flatnonzero(valid & ~_inside_fixed_box(x, y, box))
        px, py = x[rest] * _SCALE, y[rest] * _SCALE  # degrees as OsmExtract.lonlat gives
        if ring is not None:  # else a few points, or all on a line: all are kept
            near = ~_inside(ring, px, py)
            px, py = px[near], py[near]
        xy.append(np.column_stack([px, py]))
    return _hull_candidates(np.concatenate(xy))


_HULL_SAMPLE = 1 << 20
"""References (about a million) whose extreme points span :func:`road_hull_points`'s
polygon."""


def derived_boundary(ext: OsmExtract, name: str, road_points: np.ndarray | None = None,
                     ) -> BaseGeometry:
    """Convex hull of every kept coordinate: the region when none was given
    (``road_points``: :func:`road_hull_points` of ``ext``, when already computed)."""
    xy = [road_hull_points(ext) if road_points is None else road_points]
    if len(ext.poi_geometry):
        xy.append(shapely.get_coordinates(ext.poi_geometry))
    pts = np.concatenate(xy)
    if not len(pts):
        raise InputError([Problem(name, "tidak ada jalan atau POI berkoordinat di berkas")])
    return points_hull(pts)


def points_hull(pts: np.ndarray) -> BaseGeometry:
    """The region spanned by (n >= 1, 2) lon/lat points: their convex hull, given a small
    area (~10 m) when it is a point or a straight line."""
    hull = shapely.convex_hull(shapely.multipoints(_hull_candidates(pts)))
    if not isinstance(hull, shapely.Polygon):
        hull = shapely.buffer(hull, 1e-4)
    return hull


def _hull_candidates(pts: np.ndarray) -> np.ndarray:
    """The points of (n, 2) ``pts`` that may lie on their convex hull: :func:`_hull_mask`
    with an octagon, then, on the few that remain, with a polygon of 32 extreme points
    (which drops most of those near the corners; GEOS builds and sorts the rest)."""
    for directions in (8, 32):
        pts = pts[_hull_mask(np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1]),
                             directions)]
    return np.asarray(pts)


_BOX_SIZES = (0.9, 0.7, 0.5, 0.25)
"""Widths of the box tried inside the extreme points' polygon, as a share of their span."""


def _hull_mask(x: np.ndarray, y: np.ndarray, directions: int = 8) -> np.ndarray:
    """Which points may lie on the convex hull (Akl-Toussaint).

    The extreme points in ``directions`` directions span a convex polygon inside the
    hull; a point strictly inside it (by a margin far above rounding) is inside the
    hull, so dropping it changes nothing in the hull GEOS computes, and GEOS then builds
    thousands of points instead of millions. Most points lie deep inside: a box inside
    the polygon (:func:`_inner_box`) drops them with four comparisons each, and only the
    others are tested against the polygon's edges.
    """
    if len(x) < 2 * directions:
        return np.ones(len(x), dtype=bool)
    ring = _extreme_ring(np.column_stack([x, y]), directions)
    if ring is None:
        return np.ones(len(x), dtype=bool)
    rest: slice | np.ndarray = slice(None)  # no box fits: every point meets the edges
    box = _inner_box(ring)
    if box is not None:
        b0, b1 = box
        rest = np.flatnonzero((x <= b0[0]) | (x >= b1[0]) | (y <= b0[1]) | (y >= b1[1]))
    near = np.zeros(len(x), dtype=bool)
    near[rest] = ~_inside(ring, x[rest], y[rest])
    return near


def _extreme_ring(pts: np.ndarray, directions: int = 8) -> np.ndarray | None:
    """The points of (n, 2) ``pts`` extreme in ``directions`` evenly spaced directions
    (along the axes and diagonals first), counter-clockwise: the order in which they
    follow the hull, so that they span a convex polygon. Repeats dropped; None when
    fewer than three remain (no point, or all on one line)."""
    if not len(pts):
        return None
    x, y = pts[:, 0], pts[:, 1]
    angles = 2 * np.pi * np.arange(directions) / directions
    # the axes' and diagonals' directions exactly (no cos/sin rounding): x, x + y, ...
    cos, sin = np.round(np.cos(angles), 15), np.round(np.sin(angles), 15)
    diagonal = np.isclose(np.abs(cos), np.abs(sin))
    cos[diagonal], sin[diagonal] = np.sign(cos[diagonal]), np.sign(sin[diagonal])
    ring = pts[[int(np.argmax(c * x + s * y)) for c, s in zip(cos, sin, strict=True)]]
    ring = ring[np.r_[True, (np.diff(ring, axis=0) != 0).any(axis=1)]]
    if len(ring) > 1 and (ring[0] == ring[-1]).all():
        ring = ring[:-1]
    return ring if len(ring) >= 3 else None


def _inside(ring: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Which points lie strictly inside the convex counter-clockwise ``ring`` by a margin
    far above rounding (the ring holds the extremes of each axis, so its span is the
    points')."""
    span = float((ring.max(axis=0) - ring.min(axis=0)).max()) or 1.0
    margin = 1e-9 * span * span
    got = np.ones(len(px), dtype=bool)
    for a, b in zip(ring, np.roll(ring, -1, axis=0), strict=True):  # eight edges at most
        got &= (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0]) > margin
    return got


def _inner_box(ring: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Corners ``(b0, b1)`` of an axis-aligned box inside ``ring`` (its corners are
    tested, and the test is affine, so they decide for the whole box), centred on the
    ring's bounds and the widest of :data:`_BOX_SIZES` that fits; None when none does."""
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    for size in _BOX_SIZES:
        b0, b1 = mid - size * half, mid + size * half
        cx, cy = np.array([b0[0], b1[0], b1[0], b0[0]]), np.array([b0[1], b0[1], b1[1], b1[1]])
        if _inside(ring, cx, cy).all():
            return b0, b1
    return None


def _inside_fixed_box(x: np.ndarray, y: np.ndarray,
                      box: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Which fixed-point coordinates lie strictly inside ``box`` (degrees), compared as
    integers against the box shrunk by one unit, so that the rounding of ``x * 1e-7``
    cannot count a point in that is not; all False without a box."""
    if box is None:
        return np.zeros(len(x), dtype=bool)
    # within the points' range, so int32 comparisons (no float copy of every point)
    x0, y0 = (int(v) + 1 for v in np.floor(box[0] / _SCALE))
    x1, y1 = (int(v) - 1 for v in np.ceil(box[1] / _SCALE))
    return np.asarray((x > x0) & (x < x1) & (y > y0) & (y < y1))
