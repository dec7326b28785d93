"""The blocks of an OSM PBF file, found without decoding them: a sorted file's ways and
what follows them, as a smaller PBF file.

A PBF file is a sequence of blobs, each preceded by a 4-byte big-endian length and a
small ``BlobHeader`` (protobuf: field 1 the type, field 3 the blob's size); the first
blob is the ``OSMHeader`` (https://wiki.openstreetmap.org/wiki/PBF_Format). A file
sorted by type then id holds its nodes first, then its ways, then its relations, and
libosmium writes one type per block. A read of the ways alone still inflates every
node block (three quarters of the bytes of 100 tiles of Andorra): :func:`ways_onward`
copies the header blob and the blobs from the first one that holds a way or a relation,
so that libosmium reads only those.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import osmium

_HEADER_LIMIT = 64 * 1024
"""Largest ``BlobHeader`` the format allows."""
_BLOB_LIMIT = 32 * 1024 * 1024
"""Largest blob the format allows."""


class _NotPbf(Exception):
    """The bytes do not follow the PBF layout."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise _NotPbf("varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def _blob_header(data: bytes) -> tuple[bytes, int]:
    """``(type, datasize)`` of a ``BlobHeader`` message."""
    kind, size, at = b"", -1, 0
    while at < len(data):
        key, at = _varint(data, at)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
            if field == 3:
                size = value
        elif wire == 2:
            length, at = _varint(data, at)
            if field == 1:
                kind = data[at:at + length]
            at += length
        elif wire in (1, 5):
            at += 8 if wire == 1 else 4
        else:
            raise _NotPbf("wire type")
    if at != len(data) or not kind or not 0 <= size <= _BLOB_LIMIT:
        raise _NotPbf("header")
    return kind, size


def _blobs(fh: BinaryIO, end: int) -> Iterator[tuple[bytes, int, int]]:
    """``(type, start, stop)`` of every blob, headers included, in file order."""
    at = 0
    while at < end:
        fh.seek(at)
        head = fh.read(4)
        if len(head) < 4:
            raise _NotPbf("truncated")
        (length,) = struct.unpack(">I", head)
        if length > _HEADER_LIMIT:
            raise _NotPbf("header size")
        kind, size = _blob_header(fh.read(length))
        stop = at + 4 + length + size
        if stop > end:
            raise _NotPbf("truncated")
        yield kind, at, stop
        at = stop


def _holds_later_types(header: bytes, blob: bytes) -> bool:
    """Whether a data blob holds a way or a relation (libosmium decodes it, whatever its
    compression)."""
    data = osmium.io.FileBuffer(header + blob, "pbf")
    with osmium.io.Reader(data, osmium.osm.WAY | osmium.osm.RELATION) as reader:
        return next(iter(osmium.OsmFileIterator(reader)), None) is not None


def ways_onward(path: Path, out: Path) -> bool:
    """Write to ``out`` a PBF file holding ``path``'s header and its blocks from the first
    one with a way or a relation; False (``out`` not written) when ``path`` is not a PBF
    file, or has no way or relation.

    ``path`` must be sorted by type then id (nodes before ways before relations): the
    copy then holds every way and relation of the file, and whatever nodes share a block
    with the first way. The first such block is found by bisection, a few blocks decoded.
    """
    try:
        with open(path, "rb") as fh:
            end = os.fstat(fh.fileno()).st_size
            spans = list(_blobs(fh, end))
            if not spans or spans[0][0] != b"OSMHeader":
                return False
            fh.seek(0)
            header = fh.read(spans[0][2])
            data = spans[1:]

            def later(i: int) -> bool:
                _, start, stop = data[i]
                fh.seek(start)
                return _holds_later_types(header, fh.read(stop - start))

            lo, hi = 0, len(data)  # the first blob with ways or relations: in [lo, hi]
            while lo < hi:
                mid = (lo + hi) // 2
                if later(mid):
                    hi = mid
                else:
                    lo = mid + 1
            if lo == len(data):
                return False
            with open(out, "wb") as dst:
                dst.write(header)
                fh.seek(data[lo][1])
                shutil.copyfileobj(fh, dst, 1 << 20)
                if dst.tell() != len(header) + end - data[lo][1]:
                    raise _NotPbf("truncated")  # the file changed while read
    except (_NotPbf, RuntimeError, OSError):
        out.unlink(missing_ok=True)
        return False
    return True
