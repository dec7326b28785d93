"""The local basemap of ``serve --tiles FILE`` and the online layers, as the maps show them.

The archive itself is read by :mod:`geo.io.tiles`; this module turns it into the map
layer "Peta dasar lokal" (:func:`local_layer`) and into tile answers (:func:`tile_body`),
and composes every basemap a page offers (:func:`basemaps`).
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.io.tiles import TileSource
from geo.settings import Settings
from maps import ONLINE_BASEMAPS, Tiles, local_basemap

TILE_PATH = "/tiles/{z}/{x}/{y}"
# A tile never changes while the server runs (a new file needs a restart): browsers may
# keep it for a day.
TILE_CACHE = "public, max-age=86400"


def local_layer(source: TileSource) -> Tiles:
    """The "Peta dasar lokal" layer of an open archive, at ``/tiles/{z}/{x}/{y}.<ext>``."""
    info = source.info
    return local_basemap(f"{TILE_PATH}.{info.format}", kind=info.kind,
                         attribution=info.attribution, min_zoom=info.min_zoom,
                         max_zoom=info.max_zoom, bounds=info.bounds,
                         vector_layers=info.vector_layers)


def basemaps(settings: Settings, *, source: TileSource | None,
             tiles: Tiles | None) -> tuple[Tiles, ...]:
    """Every basemap of the pages, the one shown first: the local file, a tile server
    named by ``tiles`` (``SIAPWISATA_TILES_URL``), then the online layers when
    ``SIAPWISATA_BASEMAPS=online``. Empty by default (offline pages, no basemap)."""
    out: list[Tiles] = []
    if source is not None:
        out.append(local_layer(source))
    if tiles is not None:
        out.append(tiles)
    if settings.basemaps == "online":
        out.extend(ONLINE_BASEMAPS)
    return tuple(out)


@dataclass(frozen=True)
class TileAnswer:
    """A tile's bytes and headers, or an empty answer (``data is None``)."""

    data: bytes | None
    media_type: str
    status: int
    headers: dict[str, str]


def tile_body(source: TileSource, z: int, x: int, y: int, ext: str) -> TileAnswer | None:
    """The tile at ``z/x/y`` of the archive; ``None`` when ``ext`` is not the archive's
    format (the URL names no tile of this server).

    A tile the archive lacks is ``404`` for raster tiles (Leaflet leaves the square
    empty) and ``204`` for vector tiles (an empty vector tile, which protomaps-leaflet
    draws as nothing instead of failing to parse an error body).
    """
    info = source.info
    if ext.lower() not in {info.format, *_aliases(info.format)}:
        return None
    tile = source.tile(z, x, y)
    headers = {"Cache-Control": TILE_CACHE}
    if tile is None:
        status = 204 if info.kind == "vector" else 404
        return TileAnswer(None, info.media_type, status, headers)
    if tile.encoding:
        headers["Content-Encoding"] = tile.encoding
    return TileAnswer(tile.data, info.media_type, 200, headers)


def _aliases(fmt: str) -> tuple[str, ...]:
    return {"pbf": ("mvt",), "jpg": ("jpeg",)}.get(fmt, ())
