"""``siapwisata fetch-osm``: OSM data for the workspace boundary from the Overpass API.

The download goes through osmnx's public API (:func:`osmnx.graph_from_polygon` for the
roads, :func:`osmnx.features_from_polygon` for the points of interest): its query building,
subdivision of large regions into several requests and rate limiting. osmnx has no public
function that returns the Overpass responses themselves; its documented way to keep them is
``settings.cache_only_mode``: download every response into ``settings.cache_folder``, then
stop before building a graph. So each download runs in cache-only mode into a private
temporary folder, and the responses found there are merged and kept as one JSON file per
request in ``settings.cache_dir / "overpass"`` (a second run for the same boundary, endpoint
and filters makes no request).

osmnx is configured only through its ``settings`` module. :func:`_osmnx_settings` sets the
few values a download needs for that download alone, under a lock (so two downloads in one
process never see each other's endpoint or folder), and puts the previous values back.

The merged elements are written as an OSM XML file with pyosmium's
:class:`osmium.SimpleWriter`, which the step :func:`geo.steps.fetch_osm` then ingests by the
very same path as ``ingest-osm`` (:func:`geo.steps.ingest.ingest_path`): one code path for
both.

Two kinds of requests are made per sub-polygon: the road ways (every ``highway`` except
the values ingestion drops anyway, and ``route=ferry``) with their nodes, and the points
of interest (the keys of :mod:`geo.osmtags`) with the members they need.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import requests
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo import osmtags as rules
from geo._progress import Reporter
from geo.exceptions import SiapError
from geo.io.workspace import atomic_write
from geo.settings import Settings

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
# Bump when the requests change in a way the cache key does not see.
_CACHE_VERSION = "1"

_SETTINGS_LOCK = threading.Lock()


@contextlib.contextmanager
def _osmnx_settings(**values: Any) -> Iterator[None]:
    """osmnx's settings set to ``values`` for one download, then restored (under a lock)."""
    import osmnx as ox

    with _SETTINGS_LOCK:
        old = {k: getattr(ox.settings, k) for k in values}
        try:
            for k, v in values.items():
                setattr(ox.settings, k, v)
            yield
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

    def response(self) -> dict[str, Any]:
        """All elements as one Overpass JSON response (what the cache keeps)."""
        return {"osm3s": {"timestamp_osm_base": self.base_timestamp},
                "elements": [*self.nodes.values(), *self.ways.values(),
                             *self.relations.values()]}

    def __len__(self) -> int:
        return len(self.nodes) + len(self.ways) + len(self.relations)


_MEMBER_TYPES = {"node": "n", "way": "w", "relation": "r"}


def _tags(el: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (el.get("tags") or {}).items()}


def write_osm_xml(elements: _Collected, path: Path) -> None:
    """Write merged Overpass JSON elements as an OSM XML file with :class:`osmium.SimpleWriter`.

    Nodes, then ways, then relations, each sorted by id, as pyosmium's readers expect.
    """
    import osmium
    from osmium.osm.mutable import Node, Relation, Way

    header = osmium.io.Header()
    header.set("generator", "siapwisata fetch-osm (Overpass via osmnx)")
    writer = osmium.SimpleWriter(str(path), header=header, overwrite=True)
    try:
        for nid in sorted(elements.nodes):
            el = elements.nodes[nid]
            writer.add_node(Node(id=nid, location=(float(el["lon"]), float(el["lat"])),
                                 tags=_tags(el)))
        for wid in sorted(elements.ways):
            el = elements.ways[wid]
            writer.add_way(Way(id=wid, nodes=[int(r) for r in el.get("nodes", [])],
                               tags=_tags(el)))
        for rid in sorted(elements.relations):
            el = elements.relations[rid]
            members = [(_MEMBER_TYPES[str(m["type"])], int(m["ref"]), str(m.get("role", "")))
                       for m in el.get("members", [])]
            writer.add_relation(Relation(id=rid, members=members, tags=_tags(el)))
    finally:
        writer.close()


def _cache_file(polygon: BaseGeometry, settings: Settings) -> Path:
    """One cache file per request: endpoint, boundary and filters (a change asks again)."""
    key = hashlib.sha256(json.dumps(
        [_CACHE_VERSION, settings.overpass_url, shapely.to_wkt(polygon, rounding_precision=7),
         list(ROAD_FILTERS), POI_TAGS], sort_keys=True).encode()).hexdigest()
    return settings.cache_dir / "overpass" / f"{key}.json"


def _responses(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(folder.glob("*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


def download(polygon: BaseGeometry, settings: Settings, reporter: Reporter) -> _Collected:
    """The OSM elements inside ``polygon`` from Overpass (or from the cache: see the module
    docstring), merged; write them with :func:`write_osm_xml`."""
    import osmnx as ox

    cached = _cache_file(polygon, settings)
    if cached.exists():
        reporter.step(f"Overpass: dari cache {cached}")
        return elements_from([json.loads(cached.read_text(encoding="utf-8"))])
    if not isinstance(polygon, Polygon | MultiPolygon):
        raise SiapError(f"batas wilayah bukan poligon: "
                        f"{polygon.geom_type}")
    got = _Collected()
    with tempfile.TemporaryDirectory(prefix="siapwisata-overpass-") as tmp, _osmnx_settings(
        overpass_url=settings.overpass_url, use_cache=True, cache_folder=tmp,
        cache_only_mode=True,
    ):
        try:
            reporter.step(f"Overpass {settings.overpass_url}: jalan")
            # cache-only mode: osmnx stores every response, then stops (InterruptedError)
            with contextlib.suppress(InterruptedError):
                ox.graph_from_polygon(polygon, custom_filter=list(ROAD_FILTERS),
                                      retain_all=True, simplify=False)
            reporter.step("Overpass: titik minat")
            with contextlib.suppress(InterruptedError):
                ox.features_from_polygon(polygon, POI_TAGS)
        except (requests.RequestException, ValueError) as exc:
            # osmnx's InsufficientResponseError and ResponseStatusCodeError are ValueErrors
            raise SiapError(
                f"Overpass {settings.overpass_url}: unduhan gagal (download failed): {exc}"
            ) from None
        for response in reporter.track(_responses(Path(tmp)), None, "Overpass JSON"):
            got.add(response)
    def keep(path: Path) -> None:
        path.write_text(json.dumps(got.response()), encoding="utf-8")

    atomic_write(cached, keep)
    return got


def elements_from(responses: Iterable[dict[str, Any]]) -> _Collected:
    """Merge Overpass JSON responses (exposed for tests and notebooks)."""
    got = _Collected()
    for r in responses:
        got.add(r)
    return got
