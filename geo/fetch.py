"""``siapwisata fetch-osm``: OSM data for the workspace boundary from the Overpass API.

The download goes through osmnx's own Overpass machinery (query building, subdivision
of large regions into several requests, rate limiting, and its on-disk response cache,
kept in ``settings.cache_dir / "overpass"``). The JSON responses are merged and written
as an OSM XML file in a temporary folder, which then takes the very same path as
``ingest-osm`` (:func:`geo.osm.ingest_path`): one code path for both.

Two kinds of requests are made per sub-polygon: the road ways (every ``highway`` except
the values ingestion drops anyway, and ``route=ferry``) with their nodes, and the points
of interest (the keys of :mod:`geo._osmtags`) with the members they need.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import quoteattr

import requests
import shapely
from shapely.geometry.base import BaseGeometry

from . import _osmtags as rules
from . import schema
from ._progress import SILENT, Reporter
from .exceptions import InputError, Problem, SiapError, WorkspaceError
from .osm import OsmSource, ingest_path
from .settings import Settings
from .workspace import Workspace

# Overpass way filters (regexes anchored so that e.g. "platform" does not drop
# "bus_platform"); ingestion re-applies the exact rules, this only saves bandwidth.
ROAD_FILTERS: tuple[str, ...] = (
    '["highway"]["area"!~"^yes$"]["highway"!~"^('
    + "|".join(sorted(rules.EXCLUDED_HIGHWAY)) + ')$"]',
    '["route"="ferry"]',
)
POI_TAGS: dict[str, bool | str | list[str]] = {
    **{key: True for key in rules.POI_ANY_KEYS},
    **{key: sorted(values) for key, values in rules.POI_VALUE_KEYS.items()},
}
# Overpass rounds polygon coordinates to 1e-6 degrees after a projection round trip;
# a 1e-5 degree (about 1 m) margin keeps features on the boundary line in the answer.
QUERY_MARGIN_DEG = 1e-5


@contextlib.contextmanager
def _osmnx_settings(settings: Settings) -> Iterator[Any]:
    """Point osmnx at our endpoint and cache for the duration of the download."""
    import osmnx as ox

    wanted: dict[str, Any] = {
        "overpass_url": settings.overpass_url,
        "use_cache": True,
        "cache_folder": str(settings.cache_dir / "overpass"),
        "cache_only_mode": False,
    }
    old = {k: getattr(ox.settings, k) for k in wanted}
    for k, v in wanted.items():
        setattr(ox.settings, k, v)
    try:
        yield ox
    finally:
        for k, v in old.items():
            setattr(ox.settings, k, v)


class _Collected:
    """OSM elements merged from several Overpass responses (deduplicated by id)."""

    def __init__(self) -> None:
        self.nodes: dict[int, dict[str, Any]] = {}
        self.ways: dict[int, dict[str, Any]] = {}
        self.relations: dict[int, dict[str, Any]] = {}
        self.base_timestamp = ""

    def add(self, response: dict[str, Any]) -> None:
        stamp = str(response.get("osm3s", {}).get("timestamp_osm_base", ""))
        self.base_timestamp = max(self.base_timestamp, stamp)
        for el in response.get("elements", []):
            kind = el.get("type")
            if kind == "node":
                self.nodes[int(el["id"])] = el
            elif kind == "way":
                self.ways[int(el["id"])] = el
            elif kind == "relation":
                self.relations[int(el["id"])] = el

    def __len__(self) -> int:
        return len(self.nodes) + len(self.ways) + len(self.relations)


def _tags(out: TextIO, tags: dict[str, Any] | None) -> None:
    for k, v in (tags or {}).items():
        out.write(f"  <tag k={quoteattr(str(k))} v={quoteattr(str(v))}/>\n")


def write_osm_xml(elements: _Collected, path: Path) -> None:
    """Write merged Overpass JSON elements as an OSM XML file (sorted, as pyosmium expects)."""
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write('<osm version="0.6" generator="siapwisata fetch-osm (Overpass via osmnx)">\n')
        for nid in sorted(elements.nodes):
            el = elements.nodes[nid]
            head = f'<node id="{nid}" lat="{float(el["lat"]):.7f}" lon="{float(el["lon"]):.7f}"'
            if el.get("tags"):
                out.write(head + ">\n")
                _tags(out, el["tags"])
                out.write("</node>\n")
            else:
                out.write(head + "/>\n")
        for wid in sorted(elements.ways):
            el = elements.ways[wid]
            out.write(f'<way id="{wid}">\n')
            for ref in el.get("nodes", []):
                out.write(f'  <nd ref="{int(ref)}"/>\n')
            _tags(out, el.get("tags"))
            out.write("</way>\n")
        for rid in sorted(elements.relations):
            el = elements.relations[rid]
            out.write(f'<relation id="{rid}">\n')
            for m in el.get("members", []):
                out.write(f'  <member type={quoteattr(str(m["type"]))} ref="{int(m["ref"])}" '
                          f'role={quoteattr(str(m.get("role", "")))}/>\n')
            _tags(out, el.get("tags"))
            out.write("</relation>\n")
        out.write("</osm>\n")


def _download(polygon: BaseGeometry, settings: Settings, reporter: Reporter) -> _Collected:
    from osmnx import _overpass
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    got = _Collected()
    with _osmnx_settings(settings):
        n_parts = len(_overpass._make_overpass_polygon_coord_strs(polygon))
        try:
            reporter.step(f"Overpass {settings.overpass_url}: jalan (roads), {n_parts} bagian")
            roads = _overpass._download_overpass_network(polygon, "all", list(ROAD_FILTERS))
            for response in reporter.track(roads, n_parts * len(ROAD_FILTERS), "jalan (roads)"):
                got.add(response)
            reporter.step("Overpass: titik minat (points of interest)")
            feats = _overpass._download_overpass_features(polygon, POI_TAGS)  # type: ignore[arg-type]
            for response in reporter.track(feats, n_parts, "POI"):
                got.add(response)
        except (requests.RequestException, InsufficientResponseError,
                ResponseStatusCodeError) as exc:
            raise SiapError(
                f"Overpass {settings.overpass_url}: unduhan gagal (download failed): {exc}"
            ) from None
    return got


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
        Rows written per layer, as :func:`geo.osm.ingest_osm`.
    """
    ws.require()
    if not ws.has(schema.BOUNDARY):
        raise WorkspaceError(f"{ws.path}: tidak ada batas wilayah (no boundary); "
                             "create it with 'siapwisata init' first")
    boundary = ws.boundary()
    polygon = shapely.buffer(boundary, QUERY_MARGIN_DEG, join_style="mitre")
    got = _download(polygon, settings, reporter)
    name = f"OpenStreetMap via Overpass API ({settings.overpass_url})"
    if not len(got):
        raise InputError([Problem(name, "tidak ada data OSM untuk batas wilayah ini "
                                  "(no OSM data for the workspace boundary)")])
    today = dt.date.today().isoformat()
    source = OsmSource(
        name=name,
        date=got.base_timestamp,
        url=settings.overpass_url,
        note=f"fetched {today} via osmnx for the workspace boundary"
        + ("" if got.base_timestamp else "; Overpass gave no data timestamp"),
        region=ws.metadata().get("region", ""),
    )
    with tempfile.TemporaryDirectory(prefix="siapwisata-overpass-") as tmp:
        xml = Path(tmp) / "overpass.osm"
        reporter.step(f"{len(got):,} objek OSM (objects) -> {xml.name}")
        write_osm_xml(got, xml)
        try:
            return ingest_path(xml, ws, source=source, reporter=reporter)
        except InputError as exc:  # name the download, not the temporary file
            raise InputError([Problem(name, p.message, p.line, p.field)
                              for p in exc.problems]) from None


def elements_from(responses: Iterable[dict[str, Any]]) -> _Collected:
    """Merge Overpass JSON responses (exposed for tests and notebooks)."""
    got = _Collected()
    for r in responses:
        got.add(r)
    return got
