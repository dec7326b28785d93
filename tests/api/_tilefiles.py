"""Tiny basemap files for the tile tests, written with independent tools: SQLite for
MBTiles (rows addressed in TMS by hand), the PyPI ``pmtiles`` writer for PMTiles, and PNG
bytes built from the PNG specification with zlib/struct (one pixel of a chosen colour)."""

from __future__ import annotations

import gzip
import math
import sqlite3
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path


def png(r: int, g: int, b: int) -> bytes:
    """A 1x1 RGB PNG of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8 bit, truecolour
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes([0, r, g, b]))) + chunk(b"IEND", b""))


def write_mbtiles(path: Path, rows: Iterable[tuple[int, int, int, bytes]], *,
                  metadata: dict[str, str]) -> Path:
    """An MBTiles file; ``rows`` are ``(zoom_level, tile_column, tile_row, data)`` with
    ``tile_row`` already in the TMS scheme (counted from the south)."""
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                   "tile_row INTEGER, tile_data BLOB)")
        db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
    db.close()
    return path


def write_pmtiles(path: Path, tiles: dict[tuple[int, int, int], bytes], *, vector: bool,
                  metadata: dict[str, object],
                  bounds: tuple[float, float, float, float] = (130.0, -6.0, 140.0, -3.0)) -> Path:
    """A PMTiles v3 archive of ``{(z, x, y): bytes}`` (XYZ) with the PyPI writer; vector
    tiles are stored gzip-compressed, as tippecanoe and ``pmtiles extract`` do."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    w, s, e, n = bounds
    with path.open("wb") as f:
        writer = Writer(f)
        for (z, x, y), data in sorted(tiles.items(), key=lambda kv: zxy_to_tileid(*kv[0])):
            writer.write_tile(zxy_to_tileid(z, x, y), gzip.compress(data) if vector else data)
        writer.finalize({
            "tile_type": TileType.MVT if vector else TileType.PNG,
            "tile_compression": Compression.GZIP if vector else Compression.NONE,
            "min_lon_e7": int(w * 1e7), "min_lat_e7": int(s * 1e7),
            "max_lon_e7": int(e * 1e7), "max_lat_e7": int(n * 1e7),
            "center_zoom": 1, "center_lon_e7": int((w + e) / 2 * 1e7),
            "center_lat_e7": int((s + n) / 2 * 1e7),
        }, metadata)
    return path


def xyz_range(bounds: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    """Every XYZ tile (x, y) of zoom ``z`` that meets ``bounds`` (west, south, east, north),
    from the slippy-map formulas of the OSM wiki."""
    w, s, e, n = bounds

    def tx(lon: float) -> int:
        return int((lon + 180.0) / 360.0 * 2 ** z)

    def ty(lat: float) -> int:
        r = math.radians(lat)
        return int((1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * 2 ** z)

    return [(x, y) for x in range(tx(w), tx(e) + 1) for y in range(ty(n), ty(s) + 1)]


def vector_metadata(*layers: str) -> dict[str, object]:
    return {"attribution": '<a href="https://www.openstreetmap.org/copyright">© OpenStreetMap</a>',
            "vector_layers": [{"id": name, "fields": {}} for name in layers],
            "name": "uji"}


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def mvt_square(layer: str, extent: int = 4096) -> bytes:
    """A Mapbox Vector Tile (spec 2.1) with one polygon covering the whole tile in
    ``layer``, encoded by hand: MoveTo(0,0), LineTo x3 (clockwise in screen coordinates,
    i.e. an exterior ring), ClosePath; parameters zigzag-encoded."""
    def zz(v: int) -> int:
        return (v << 1) ^ (v >> 31)

    geometry = [9, zz(0), zz(0), 26, zz(extent), zz(0), zz(0), zz(extent), zz(-extent), zz(0), 15]
    feature = (_varint(3 << 3) + _varint(3)  # type = POLYGON
               + _field(4, b"".join(_varint(g) for g in geometry)))
    body = (_field(1, layer.encode()) + _field(2, feature)
            + _varint(5 << 3) + _varint(extent) + _varint(15 << 3) + _varint(2))
    return _field(3, body)
