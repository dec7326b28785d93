"""Local basemap files: MBTiles and PMTiles archives read tile by tile.

An office without internet can still show a basemap under the maps: ``siapwisata serve
--tiles FILE`` opens one archive (:func:`open_tiles`) and the API answers
``/tiles/{z}/{x}/{y}.<ext>`` from it, so the browser sees plain XYZ tiles whatever the
archive format. Raster tiles (PNG, JPEG, WebP) become a Leaflet tile layer, vector tiles
(Mapbox Vector Tiles) are drawn in the browser by protomaps-leaflet.

Both formats are read here, not in the browser:

- **MBTiles** is SQLite; rows are addressed in the TMS scheme (``tile_row`` counts from
  the south), so ``y`` is flipped (:func:`tms_row`). One read-only connection serves every
  thread of the server behind a lock (a tile read takes well under a millisecond).
- **PMTiles** v3 is read with the PyPI ``pmtiles`` package's header and directory
  decoders over a memory map; decoded directories are kept in a small cache so a tile
  costs one dictionary lookup and a slice, not a gzip inflate of the root directory.

A file that is missing, not an archive, empty or in a tile format a browser cannot show is
refused when it is opened (:class:`TileFileError`, in Bahasa Indonesia, naming the file),
not with an error on the first tile request.
"""

from __future__ import annotations

import functools
import gzip
import json
import mmap
import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from geo.exceptions import SiapError


class TileFileError(SiapError):
    """A basemap file that cannot be served (the message names the file)."""


# tile format -> (media type, kind)
FORMATS: Final[dict[str, tuple[str, Literal["raster", "vector"]]]] = {
    "png": ("image/png", "raster"),
    "jpg": ("image/jpeg", "raster"),
    "webp": ("image/webp", "raster"),
    "avif": ("image/avif", "raster"),
    "pbf": ("application/vnd.mapbox-vector-tile", "vector"),
}
_FORMAT_ALIASES: Final = {"jpeg": "jpg", "mvt": "pbf"}
SUFFIXES: Final = (".mbtiles", ".pmtiles")
MAX_ZOOM: Final = 30  # beyond any real archive; bounds the tile numbers a request may ask for
GZIP_MAGIC: Final = b"\x1f\x8b"


@dataclass(frozen=True)
class TileInfo:
    """What the maps need to know about an archive to show it."""

    path: Path
    format: str  # a key of FORMATS: the extension of the tile URLs
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None  # west, south, east, north (WGS 84)
    attribution: str  # plain text (tags of the file's HTML attribution removed)
    name: str
    vector_layers: tuple[str, ...] = ()  # layer ids of a vector archive

    @property
    def media_type(self) -> str:
        return FORMATS[self.format][0]

    @property
    def kind(self) -> Literal["raster", "vector"]:
        return FORMATS[self.format][1]


@dataclass(frozen=True)
class Tile:
    """One tile's bytes as stored, and the ``Content-Encoding`` they carry (vector tiles
    are usually stored gzip-compressed; the browser inflates them itself)."""

    data: bytes
    encoding: str | None = None


class TileSource(Protocol):
    """An open archive (:func:`open_tiles`)."""

    info: TileInfo

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        """The tile at ``z/x/y`` (XYZ scheme, ``y`` from the north), ``None`` if absent."""
        ...

    def close(self) -> None: ...


def open_tiles(path: str | os.PathLike[str]) -> TileSource:
    """Open an ``.mbtiles`` or ``.pmtiles`` file and check that it can be served.

    Raises
    ------
    TileFileError
        The file is missing, has another suffix, is not a readable archive, holds no
        tiles, or holds tiles in a format a browser cannot show.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise TileFileError(f"berkas peta dasar '{p}' tidak ditemukan")
    if p.stat().st_size == 0:
        raise TileFileError(f"berkas peta dasar '{p}' kosong (0 bita)")
    suffix = p.suffix.lower()
    if suffix == ".mbtiles":
        return MBTiles(p)
    if suffix == ".pmtiles":
        return PMTiles(p)
    raise TileFileError(f"berkas peta dasar '{p}': jenis '{p.suffix or '(tanpa akhiran)'}' "
                        "tidak didukung; gunakan .mbtiles atau .pmtiles")


def tms_row(z: int, y: int) -> int:
    """The MBTiles ``tile_row`` of XYZ row ``y`` at zoom ``z`` (TMS counts from the south)."""
    return (1 << z) - 1 - y


def valid_zxy(z: int, x: int, y: int) -> bool:
    """Whether ``z/x/y`` names a tile of the web-mercator pyramid."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def plain_text(html: str) -> str:
    """An attribution as plain text: tags dropped, entities decoded, spaces collapsed.

    Archives often carry HTML attributions (links); a page shows them as text, so a file
    can never put markup into the map.
    """
    text = unescape(re.sub(r"<[^>]*>", "", html))
    return re.sub(r"\s+", " ", text).strip()


def _format(value: object, p: Path) -> str:
    fmt = str(value or "").strip().lower()
    fmt = _FORMAT_ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise TileFileError(f"berkas peta dasar '{p}': format ubin '{value}' tidak didukung "
                            f"(yang didukung: {', '.join(sorted(FORMATS))})")
    return fmt


def _sniff(data: bytes) -> str | None:
    """The format of one tile from its first bytes (MBTiles without a ``format`` row)."""
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(GZIP_MAGIC):
        return "pbf"
    return None


def _vector_layers(meta_json: object) -> tuple[str, ...]:
    layers = meta_json.get("vector_layers") if isinstance(meta_json, dict) else None
    if not isinstance(layers, list):
        return ()
    return tuple(str(v["id"]) for v in layers if isinstance(v, dict) and "id" in v)


def _bounds(value: object) -> tuple[float, float, float, float] | None:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        return None
    try:
        parts = [float(v) for v in items]
    except (TypeError, ValueError):
        return None
    if len(parts) != 4:
        return None
    w, s, e, n = parts
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        return None
    return (w, s, e, n)


# --- MBTiles ---------------------------------------------------------------------------


class MBTiles:
    """An MBTiles file (SQLite), read-only, shared by the server's threads."""

    def __init__(self, path: Path):
        self.path = p = path
        self._lock = threading.Lock()
        try:
            # read-only and immutable: the server never writes, and another process
            # replacing the file while serving is not supported
            self._db = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True,
                                       check_same_thread=False)
            names = {r[0] for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        except sqlite3.Error as exc:
            raise TileFileError(f"berkas peta dasar '{p}' bukan MBTiles yang dapat dibaca "
                                f"(SQLite: {exc})") from None
        if "tiles" not in names:
            self._db.close()
            raise TileFileError(f"berkas peta dasar '{p}' bukan MBTiles: tabel 'tiles' tidak ada")
        try:
            meta = dict(self._db.execute("SELECT name, value FROM metadata").fetchall()
                        if "metadata" in names else [])
            first = self._db.execute("SELECT tile_data, zoom_level FROM tiles LIMIT 1").fetchone()
            zooms = self._db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        except sqlite3.Error as exc:
            self._db.close()
            raise TileFileError(f"berkas peta dasar '{p}' tidak dapat dibaca (SQLite: {exc})") from None
        if first is None or first[0] is None:
            self._db.close()
            raise TileFileError(f"berkas peta dasar '{p}' tidak berisi satu ubin pun")
        raw_format = meta.get("format") or _sniff(bytes(first[0]))
        try:
            fmt = _format(raw_format, p)
            extra = json.loads(meta["json"]) if meta.get("json") else {}
        except (TileFileError, ValueError) as exc:
            self._db.close()
            if isinstance(exc, TileFileError):
                raise
            raise TileFileError(f"berkas peta dasar '{p}': metadata 'json' bukan JSON yang sah "
                                f"({exc})") from None
        self.info = TileInfo(
            path=p, format=fmt,
            min_zoom=_int(meta.get("minzoom"), zooms[0]),
            max_zoom=_int(meta.get("maxzoom"), zooms[1]),
            bounds=_bounds(meta.get("bounds")),
            attribution=plain_text(str(meta.get("attribution") or "")),
            name=plain_text(str(meta.get("name") or p.stem)),
            vector_layers=_vector_layers(extra),
        )

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        if not valid_zxy(z, x, y):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ?", (z, x, tms_row(z, y))).fetchone()
        if row is None or not row[0]:
            return None
        data = bytes(row[0])
        return Tile(data, "gzip" if data.startswith(GZIP_MAGIC) else None)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _int(value: object, default: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return int(default) if default is not None else 0


# --- PMTiles ---------------------------------------------------------------------------


_PMTILES_TYPES: Final = {1: "pbf", 2: "png", 3: "jpg", 4: "webp", 5: "avif"}


class PMTiles:
    """A PMTiles v3 archive over a memory map (reads need no lock: slicing is safe)."""

    def __init__(self, path: Path):
        from pmtiles.tile import Compression, deserialize_header

        self.path = p = path
        self._file = p.open("rb")
        try:
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError) as exc:  # an empty file cannot be mapped
            self._file.close()
            raise TileFileError(f"berkas peta dasar '{p}' bukan PMTiles yang dapat dibaca "
                                f"({exc})") from None
        try:
            if self._map[:7] != b"PMTiles":
                raise TileFileError(f"berkas peta dasar '{p}' bukan PMTiles (tanda 'PMTiles' "
                                    "tidak ada di awal berkas)")
            if self._map[7] != 3:
                raise TileFileError(f"berkas peta dasar '{p}': PMTiles versi {self._map[7]} "
                                    "tidak didukung (hanya versi 3; ubah dengan 'pmtiles convert')")
            try:
                self.header = deserialize_header(self._map[:127])
            except (ValueError, IndexError) as exc:
                raise TileFileError(f"berkas peta dasar '{p}': kepala PMTiles rusak ({exc})") from None
            h = self.header
            fmt = _PMTILES_TYPES.get(h["tile_type"].value)
            if fmt is None:
                raise TileFileError(f"berkas peta dasar '{p}': jenis ubin PMTiles "
                                    f"'{h['tile_type'].name}' tidak didukung")
            self._tile_encoding = {Compression.NONE: None, Compression.UNKNOWN: None,
                                   Compression.GZIP: "gzip"}.get(h["tile_compression"], "x")
            if self._tile_encoding == "x":
                raise TileFileError(f"berkas peta dasar '{p}': kompresi ubin "
                                    f"{h['tile_compression'].name} tidak didukung (hanya gzip "
                                    "atau tanpa kompresi)")
            if h["internal_compression"] not in (Compression.GZIP,):
                raise TileFileError(f"berkas peta dasar '{p}': kompresi direktori "
                                    f"{h['internal_compression'].name} tidak didukung (hanya gzip)")
            meta = self._metadata()
            if h["addressed_tiles_count"] == 0 or self._entries(h["root_offset"],
                                                                h["root_length"]) == []:
                raise TileFileError(f"berkas peta dasar '{p}' tidak berisi satu ubin pun")
        except TileFileError:
            self.close()
            raise
        except (ValueError, OSError, EOFError, gzip.BadGzipFile) as exc:
            self.close()
            raise TileFileError(f"berkas peta dasar '{p}' rusak ({exc})") from None
        bounds = (h["min_lon_e7"] / 1e7, h["min_lat_e7"] / 1e7,
                  h["max_lon_e7"] / 1e7, h["max_lat_e7"] / 1e7)
        self.info = TileInfo(
            path=p, format=fmt, min_zoom=h["min_zoom"], max_zoom=h["max_zoom"],
            bounds=_bounds(bounds),
            attribution=plain_text(str(meta.get("attribution") or "")),
            name=plain_text(str(meta.get("name") or p.stem)),
            vector_layers=_vector_layers(meta),
        )

    def _metadata(self) -> dict[str, Any]:
        h = self.header
        raw = self._map[h["metadata_offset"]:h["metadata_offset"] + h["metadata_length"]]
        if not raw:
            return {}
        meta = json.loads(gzip.decompress(raw))
        return meta if isinstance(meta, dict) else {}

    @functools.lru_cache(maxsize=256)  # noqa: B019  # one archive per server: no leak
    def _entries(self, offset: int, length: int) -> list[Any]:
        from pmtiles.tile import deserialize_directory

        return deserialize_directory(self._map[offset:offset + length])

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        from pmtiles.tile import find_tile, zxy_to_tileid

        if not valid_zxy(z, x, y):
            return None
        h = self.header
        tile_id = zxy_to_tileid(z, x, y)
        offset, length = h["root_offset"], h["root_length"]
        for _depth in range(4):  # the spec's maximum directory depth
            entry = find_tile(self._entries(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length > 0:
                start = h["tile_data_offset"] + entry.offset
                data = self._map[start:start + entry.length]
                return Tile(data, self._tile_encoding) if data else None
            offset, length = h["leaf_directory_offset"] + entry.offset, entry.length
        return None

    def close(self) -> None:
        if getattr(self, "_map", None) is not None and not self._map.closed:
            self._map.close()
        self._file.close()
