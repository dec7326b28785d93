"""The OSM steps: an extract (``siapwisata ingest-osm``) or an Overpass download
(``siapwisata fetch-osm``) into the workspace.

Both read with :mod:`geo.io.osm` (``fetch-osm`` first downloads with :mod:`geo.io.fetch`
and writes the elements as an OSM XML file) and store through one path,
:func:`ingest_path`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from geo import fmt, schema
from geo._progress import SILENT, Reporter
from geo.crs import metric_crs
from geo.exceptions import InputError, Problem, WorkspaceError
from geo.io.fetch import QUERY_MARGIN_DEG, download, write_osm_xml
from geo.io.osm import (
    DERIVED_LAYERS,
    OSM_LICENCE,
    OsmExtract,
    OsmSource,
    check_osm_file,
    classes_of,
    derived_boundary,
    destinations_frame,
    gateways_frame,
    points_hull,
    read_osm,
    region_name,
    road_chunks,
    road_hull_points,
    umkm_frame,
    usable_nodes,
)
from geo.io.regions import write_region
from geo.io.workspace import Source, Staging, Workspace, writes_workspace
from geo.settings import Settings


def _merge_keep_agency(stage: Staging, layer: str, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Replace the OSM rows of ``layer``, keeping rows that came from agencies or the demo."""
    if not stage.has(layer):
        return new
    old = stage.read(layer)
    keep = old[old["provenance"].astype(str) != "osm"] if "provenance" in old else old
    if keep.empty:
        return new
    keep = keep.to_crs(schema.WGS84)
    both = pd.concat([keep, new], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=schema.WGS84)




def ingest_osm(file: Path, ws: Workspace, *, reporter: Reporter = SILENT) -> dict[str, int]:
    """Read an OSM extract into ``roads``, ``pois``, ``destinations``, ``umkm``, ``gateways``.

    Parameters
    ----------
    file
        ``.osm.pbf``, ``.osm`` or ``.osm.bz2`` (also ``.osm.gz``), streamed.
    ws
        The workspace. If it has a boundary, only data inside it is kept; if it does not
        exist, it is created with the convex hull of the data as boundary and the file
        name (without suffixes) as region name.

    Returns
    -------
    dict
        Rows written per layer.

    Raises
    ------
    InputError
        The file is missing, unreadable, not OSM, or holds nothing usable.
    """
    path = check_osm_file(file)
    return ingest_path(path, ws, source=OsmSource(name=path.name, region=region_name(path)),
                       reporter=reporter)


@writes_workspace
def ingest_path(path: Path, ws: Workspace, *, source: OsmSource,
                reporter: Reporter = SILENT) -> dict[str, int]:
    """The one ingestion path shared by ``ingest-osm`` and ``fetch-osm``."""
    boundary = ws.boundary() if ws.exists and ws.has(schema.BOUNDARY) else None
    created_boundary = boundary is None
    counts: dict[str, int] = {}
    with ws.update(create=True) as stage:
        roads = _RoadsFirst(stage, boundary, None if created_boundary else ws.metric_crs(),
                            counts, reporter)
        ext = read_osm(path, reporter=reporter, on_roads=roads)

        date, date_note = source.date, source.note
        if not date:
            if ext.header_date:
                date, date_note = ext.header_date, date_note or "tanggal data OSM dari header berkas"
            elif ext.newest_object is not None:
                date = ext.newest_object.replace(microsecond=0).isoformat().replace("+00:00", "Z")
                date_note = date_note or "header berkas tanpa tanggal: suntingan objek terbaru di berkas"
            else:
                date = "tidak diketahui"

        if boundary is None:
            boundary = derived_boundary(ext, str(path), roads.hull_points)
            roads.write(ext, metric_crs(boundary))  # again only if the guess was wrong

        reporter.step("titik minat dan turunannya")
        if ext.skipped_pois:
            reporter.step(f"{ext.skipped_pois} POI tanpa geometri dilewati "
                          "(titiknya tidak ada di berkas)")
        pts = ext.poi_geometry
        inside = shapely.intersects_xy(boundary, shapely.get_x(pts), shapely.get_y(pts)) \
            if len(pts) else np.zeros(0, dtype=bool)
        pois = gpd.GeoDataFrame(ext.pois[inside].reset_index(drop=True), geometry=pts[inside],
                                crs=schema.WGS84)
        classes = classes_of(ext.poi_classes, inside) if ext.poi_classes else None
        derived = {
            "destinations": destinations_frame(pois, classes),
            "umkm": umkm_frame(pois, classes),
            "gateways": gateways_frame(pois, classes),
        }

        def src(layer: str) -> Source:
            return Source(name=source.name, layer=layer, date=date, licence=OSM_LICENCE,
                          url=source.url, note=date_note)

        reporter.step(f"menulis workspace {ws.path}")
        if created_boundary:
            b = gpd.GeoDataFrame(geometry=[boundary], crs=schema.WGS84)
            write_region(stage, b, name=source.region or region_name(path),
                         boundary_source=Source(
                             name=source.name, layer=schema.BOUNDARY, date=date,
                             licence=OSM_LICENCE, url=source.url,
                             note="selubung cembung data OSM (tidak ada batas wilayah yang diberikan)"))
            stage.set_meta(boundary_origin="convex_hull_of_osm_data")
        if not counts["roads"] and pois.empty:  # raised inside: the workspace is untouched
            raise InputError([Problem(str(path),
                                      "tidak ada jalan atau POI di dalam batas wilayah")])
        stage.write("pois", pois)
        counts["pois"] = len(pois)
        stage.add_source(src("roads"))
        stage.add_source(src("pois"))
        _drop_osm_sources(stage, DERIVED_LAYERS)
        for layer, frame in derived.items():
            merged = _merge_keep_agency(stage, layer, frame)
            stage.write(layer, merged)
            counts[layer] = len(merged)
            stage.add_source(src(layer), replace_layer=False)
        stage.set_meta(osm_source=source.name, osm_data_date=date)
    return counts


class _RoadsFirst:
    """Writes the ``roads`` layer as soon as the roads are read (:data:`RoadsHook`), while
    the POI pass still runs beside (N = 100 tiles: ~15 s of topology and writing that
    used to wait for it).

    Lengths need the metric CRS. A workspace with a boundary has it; otherwise it is the
    UTM zone of the convex hull of all the data, points of interest included, which are
    not read yet: the roads' own hull gives a guess, and :meth:`write` writes the layer
    again in the rare case the whole hull's zone differs. The layer is the same either way.
    """

    def __init__(self, stage: Staging, boundary: BaseGeometry | None, metric: CRS | None,
                 counts: dict[str, int], reporter: Reporter) -> None:
        self.stage, self.boundary, self.metric = stage, boundary, metric
        self.counts, self.reporter = counts, reporter
        self.hull_points: np.ndarray | None = None
        self.written: CRS | None = None

    def __call__(self, roads: OsmExtract) -> None:
        self.written = None  # a second call: the roads of a sorted copy
        metric = self.metric
        if self.boundary is None:
            self.hull_points = road_hull_points(roads)
            if not len(self.hull_points):
                return  # no road: the layer is written once the boundary is known
            metric = metric_crs(points_hull(self.hull_points))
        assert metric is not None
        self.write(roads, metric)

    def write(self, ext: OsmExtract, metric: CRS) -> None:
        """Write the roads of ``ext`` with lengths in ``metric``, unless already done so."""
        if self.written is not None and self.written.equals(metric):
            return
        # road nodes outside the workspace boundary break the ways there
        usable = usable_nodes(ext, self.boundary)
        self.reporter.step("membangun topologi jalan")
        self.counts["roads"] = self.stage.write_chunks("roads", road_chunks(ext, usable, metric))
        self.written = metric


def _drop_osm_sources(stage: Staging, layers: Iterable[str]) -> None:
    """Forget earlier OSM sources of ``layers`` while keeping the agencies' sources."""
    old = stage.sources()
    if old.empty:
        return
    drop = old["layer"].isin(list(layers)) & (old["licence"] == OSM_LICENCE)
    if drop.any():
        stage.write_table(schema.SOURCES, old[~drop])


def fetch_osm(ws: Workspace, *, settings: Settings, reporter: Reporter = SILENT,
              ) -> dict[str, int]:
    """Download OSM data for the workspace boundary from Overpass and ingest it.

    Parameters
    ----------
    ws
        An existing workspace with a ``boundary`` layer.
    settings
        ``overpass_url`` (the API base, e.g. ``https://overpass-api.de/api``) and
        ``cache_dir`` (responses are cached under ``cache_dir/overpass``; a second run
        for the same boundary makes no request).

    Returns
    -------
    dict
        Rows written per layer, as :func:`ingest_osm`.
    """
    ws.require()
    if not ws.has(schema.BOUNDARY):
        raise WorkspaceError(f"{ws.path}: tidak ada batas wilayah; "
                             "buat dulu dengan 'siapwisata init'")
    boundary = ws.boundary()
    polygon = shapely.buffer(boundary, QUERY_MARGIN_DEG, join_style="mitre")
    got = download(polygon, settings, reporter)
    name = f"OpenStreetMap via Overpass API ({settings.overpass_url})"
    if not len(got):
        raise InputError([Problem(name, "tidak ada data OSM untuk batas wilayah ini")])
    today = dt.date.today().isoformat()
    source = OsmSource(
        name=name,
        date=got.base_timestamp,
        url=settings.overpass_url,
        note=f"diunduh {fmt.date_text(today)} lewat osmnx untuk batas workspace"
        + ("" if got.base_timestamp else "; Overpass tidak memberi tanggal data"),
        region=ws.metadata().get("region", ""),
    )
    with tempfile.TemporaryDirectory(prefix="siapwisata-overpass-") as tmp:
        xml = Path(tmp) / "overpass.osm"
        reporter.step(f"{fmt.integer(len(got))} objek OSM -> {xml.name}")
        write_osm_xml(got, xml)
        try:
            return ingest_path(xml, ws, source=source, reporter=reporter)
        except InputError as exc:  # name the download, not the temporary file
            raise InputError([Problem(name, p.message, p.line, p.field)
                              for p in exc.problems]) from None
