"""A compiled reader (numba) of the PBF files :mod:`geo.io.osm` has libosmium write: the
roads (uncompressed blobs, node locations on the ways, timestamps only) and the objects
with a POI key (the same, with nodes written one by one instead of as dense nodes).

Private. Imported on first use only (numba takes a quarter of a second to import).

Why: the roads' intermediate file sits on the ingest's critical path twice, written by
libosmium, then read here. As OPL (text) 100 tiles of Andorra made 384 MB, written in
4,9 s and parsed in 2,2 s; as PBF without compression they make 79 MB, written in 3,5 s,
and the node lists are varints this module reads in one pass. The strings come from each
block's string table as they were in the OSM file (OPL had to escape them).

The format (https://wiki.openstreetmap.org/wiki/PBF_Format): each blob is a 4-byte
big-endian length, a ``BlobHeader`` (1: type, 3: size) and a ``Blob`` (1: raw bytes;
3: zlib). An ``OSMData`` blob holds a ``PrimitiveBlock``: 1 its string table (1: each
string), 2 its groups, 17 ``granularity``, 18 ``date_granularity``, 19/20 the offsets.
A group holds 1 nodes, 2 dense nodes, 3 ways or 4 relations. A way: 1 id, 2/3 its tags'
key and value indexes (packed), 4 ``Info`` (2: timestamp), 8 its node ids (packed,
zigzag, delta), 9/10 their latitudes and longitudes (the ``LocationsOnWays`` feature,
coded like the ids). Dense nodes: 1 ids, 5 ``DenseInfo`` (2: timestamps), both packed
zigzag deltas. A node: 1 id (zigzag), 2/3 and 4 as a way's, 8/9 its latitude and
longitude (zigzag). A relation: 1 id, 4 ``Info``.
"""

from __future__ import annotations

import numba
import numpy as np

OK, COMPRESSED, NOT_UNDERSTOOD, SCALE, LOCATIONS = 0, 1, 2, 3, 4
"""What :func:`blocks` found: everything read; a compressed blob; bytes that do not
follow the format; a block with other coordinate units than libosmium's (granularity
100, no offsets); a way whose locations are not one per node (a way without any is read
with its locations undefined: the POI objects' file is written without them)."""

PROBLEMS = {
    COMPRESSED: "a compressed blob",
    NOT_UNDERSTOOD: "bytes that do not follow the PBF format",
    SCALE: "coordinates in other units than 1e-7 degrees",
    LOCATIONS: "a way whose locations are not one per node",
}
"""What each status says (in the reader's error)."""

UNDEFINED = 2147483647
"""A coordinate libosmium left undefined (a node missing from the file)."""

_OSMDATA = np.frombuffer(b"OSMData", dtype=np.uint8)
_NODE, _WAY, _RELATION = ord("n"), ord("w"), ord("r")


@numba.njit(cache=True, nogil=True)
def _varint(b: np.ndarray, k: int, end: int) -> tuple[np.uint64, int]:  # pragma: no cover
    """The varint at ``b[k:]`` and the position after it; position -1 when it runs past
    ``end`` or past ten bytes."""
    value = np.uint64(0)
    shift = np.uint64(0)
    while k < end:
        c = np.uint64(b[k])
        k += 1
        value |= (c & np.uint64(0x7F)) << shift
        if c < 0x80:
            return value, k
        shift += np.uint64(7)
        if shift > 63:
            return value, -1
    return value, -1


@numba.njit(cache=True, nogil=True)
def _zigzag(v: np.uint64) -> np.int64:  # pragma: no cover
    return np.int64(v >> np.uint64(1)) ^ -np.int64(v & np.uint64(1))


@numba.njit(cache=True, nogil=True)
def _field(b: np.ndarray, k: int, end: int) -> tuple[int, int, np.uint64, int, int, int]:  # pragma: no cover
    """The field at ``b[k:end]``: ``(number, wire type, value, lo, hi, next)``: a varint's
    value, or a length-delimited field's span ``[lo, hi)``; ``next`` -1 when malformed."""
    key, k = _varint(b, k, end)
    if k < 0:
        return 0, 0, np.uint64(0), 0, 0, -1
    number, wire = int(np.int64(key >> np.uint64(3))), int(np.int64(key & np.uint64(7)))
    if wire == 0:
        value, k = _varint(b, k, end)
        return number, wire, value, 0, 0, k
    if wire == 2:
        size, k = _varint(b, k, end)
        if k < 0 or size > np.uint64(end - k):
            return 0, 0, np.uint64(0), 0, 0, -1
        return number, wire, np.uint64(0), k, k + int(np.int64(size)), k + int(np.int64(size))
    if wire == 1 or wire == 5:
        skip = 8 if wire == 1 else 4
        if k + skip > end:
            return 0, 0, np.uint64(0), 0, 0, -1
        return number, wire, np.uint64(0), k, k + skip, k + skip
    return 0, 0, np.uint64(0), 0, 0, -1


@numba.njit(cache=True, nogil=True)
def _count_varints(b: np.ndarray, lo: int, hi: int) -> int:  # pragma: no cover
    n = 0
    for k in range(lo, hi):
        if b[k] < 0x80:
            n += 1
    return n


@numba.njit(cache=True, nogil=True)
def _timestamp(b: np.ndarray, lo: int, hi: int) -> tuple[np.int64, bool]:  # pragma: no cover
    """The timestamp (field 2) of an ``Info`` message; (0, False) when malformed."""
    k = lo
    stamp = np.int64(0)
    while k < hi:
        number, wire, value, _, _, k = _field(b, k, hi)
        if k < 0:
            return np.int64(0), False
        if number == 2 and wire == 0:
            stamp = np.int64(value)
    return stamp, True


@numba.njit(cache=True, nogil=True)
def _walk(b: np.ndarray, keys: np.ndarray, key_offsets: np.ndarray, fill: bool,
          kinds: np.ndarray, ids: np.ndarray, tagged_at: np.ndarray, count: np.ndarray,
          ref: np.ndarray, x: np.ndarray, y: np.ndarray, tag_lo: np.ndarray,
          tag_hi: np.ndarray, stamps: np.ndarray) -> tuple[int, int, int, int, int]:  # pragma: no cover
    """One walk over the whole blobs at the start of ``b``; with ``fill`` it writes the
    arrays (sized by a walk without). Returns ``(status, consumed, objects, tagged, refs)``.
    ``stamps``: [newest timestamp in seconds (0: none)]."""
    n = len(b)
    n_keys = len(key_offsets) - 1
    objects = tagged = refs = 0
    consumed = 0
    k = 0
    while k + 4 <= n:
        size = int((np.int64(b[k]) << 24) | (np.int64(b[k + 1]) << 16)
                   | (np.int64(b[k + 2]) << 8) | np.int64(b[k + 3]))
        h0 = k + 4
        h1 = h0 + size
        if h1 > n:
            break
        # the blob header: its type and the blob's size
        t0 = t1 = 0
        data_size = -1
        j = h0
        while j < h1:
            number, wire, value, lo, hi, j = _field(b, j, h1)
            if j < 0:
                return NOT_UNDERSTOOD, consumed, objects, tagged, refs
            if number == 1 and wire == 2:
                t0, t1 = lo, hi
            elif number == 3 and wire == 0:
                data_size = int(np.int64(value))
        if data_size < 0:
            return NOT_UNDERSTOOD, consumed, objects, tagged, refs
        b0 = h1
        b1 = b0 + data_size
        if b1 > n:
            break
        is_data = t1 - t0 == len(_OSMDATA)
        if is_data:
            for i in range(len(_OSMDATA)):
                if b[t0 + i] != _OSMDATA[i]:
                    is_data = False
        if is_data:
            r0 = r1 = -1
            j = b0
            while j < b1:
                number, wire, value, lo, hi, j = _field(b, j, b1)
                if j < 0:
                    return NOT_UNDERSTOOD, consumed, objects, tagged, refs
                if number == 1 and wire == 2:
                    r0, r1 = lo, hi
                elif number == 3:
                    return COMPRESSED, consumed, objects, tagged, refs
            if r0 < 0:
                return NOT_UNDERSTOOD, consumed, objects, tagged, refs
            status, objects, tagged, refs = _block(
                b, r0, r1, keys, key_offsets, n_keys, fill, kinds, ids, tagged_at, count,
                ref, x, y,
                tag_lo, tag_hi, stamps, objects, tagged, refs)
            if status != OK:
                return status, consumed, objects, tagged, refs
        consumed = b1
        k = b1
    return OK, consumed, objects, tagged, refs


@numba.njit(cache=True, nogil=True)
def _block(b: np.ndarray, r0: int, r1: int, keys: np.ndarray, key_offsets: np.ndarray,
           n_keys: int, fill: bool, kinds: np.ndarray, ids: np.ndarray,
           tagged_at: np.ndarray, count: np.ndarray, ref: np.ndarray, x: np.ndarray,
           y: np.ndarray, tag_lo: np.ndarray,
           tag_hi: np.ndarray, stamps: np.ndarray, objects: int, tagged: int, refs: int
           ) -> tuple[int, int, int, int]:  # pragma: no cover
    """One ``PrimitiveBlock`` at ``b[r0:r1]``."""
    s0 = s1 = -1
    granularity = 100
    date_granularity = 1000
    lat_offset = lon_offset = 0
    j = r0
    while j < r1:
        number, wire, value, lo, hi, j = _field(b, j, r1)
        if j < 0:
            return NOT_UNDERSTOOD, objects, tagged, refs
        if number == 1 and wire == 2:
            s0, s1 = lo, hi
        elif number == 17 and wire == 0:
            granularity = int(np.int64(value))
        elif number == 18 and wire == 0:
            date_granularity = int(np.int64(value))
        elif number == 19 and wire == 0:
            lat_offset = int(np.int64(value))
        elif number == 20 and wire == 0:
            lon_offset = int(np.int64(value))
    if granularity != 100 or lat_offset != 0 or lon_offset != 0:
        return SCALE, objects, tagged, refs
    # the string table: each string's span, and which of ``keys`` it is (-1: none); a
    # walk that only counts reads no tag
    n_strings = 0
    j = s0 if fill else -1
    while 0 <= j < s1:
        number, wire, value, lo, hi, j = _field(b, j, s1)
        if j < 0:
            return NOT_UNDERSTOOD, objects, tagged, refs
        n_strings += 1
    str_lo = np.empty(n_strings, np.int64)
    str_hi = np.empty(n_strings, np.int64)
    str_key = np.full(n_strings, -1, np.int64)
    i = 0
    j = s0 if fill else -1
    while 0 <= j < s1:
        number, wire, value, lo, hi, j = _field(b, j, s1)
        str_lo[i], str_hi[i] = lo, hi
        for q in range(n_keys):
            k0, k1 = key_offsets[q], key_offsets[q + 1]
            if k1 - k0 == hi - lo:
                same = True
                for c in range(k1 - k0):
                    if b[lo + c] != keys[k0 + c]:
                        same = False
                        break
                if same:
                    str_key[i] = q
                    break
        i += 1
    j = r0
    while 0 <= j < r1:  # fields read once above: well formed
        number, wire, value, g0, g1, j = _field(b, j, r1)
        if number != 2 or wire != 2:
            continue
        q = g0
        while q < g1:
            kind, wire, value, lo, hi, q = _field(b, q, g1)
            if q < 0 or wire != 2:
                return NOT_UNDERSTOOD, objects, tagged, refs
            if kind == 2:
                status, objects = _dense(b, lo, hi, fill, kinds, ids, stamps,
                                         date_granularity, objects)
            elif kind == 1 or kind == 3:
                status, objects, tagged, refs = _tagged(
                    b, lo, hi, kind == 3, str_lo, str_hi, str_key, n_keys, fill, kinds,
                    ids, tagged_at, count, ref, x, y, tag_lo, tag_hi, stamps,
                    date_granularity, objects, tagged, refs)
            elif kind == 4:
                status, objects = _relation(b, lo, hi, fill, kinds, ids, stamps,
                                            date_granularity, objects)
            else:
                status = OK  # changesets: none in an OSM data file
            if status != OK:
                return status, objects, tagged, refs
    return OK, objects, tagged, refs


@numba.njit(cache=True, nogil=True)
def _newest(stamps: np.ndarray, stamp: np.int64, date_granularity: int) -> None:  # pragma: no cover
    seconds = stamp * date_granularity // 1000
    if seconds > stamps[0]:
        stamps[0] = seconds


@numba.njit(cache=True, nogil=True)
def _relation(b: np.ndarray, lo: int, hi: int, fill: bool, kinds: np.ndarray,
              ids: np.ndarray, stamps: np.ndarray, date_granularity: int, objects: int
              ) -> tuple[int, int]:  # pragma: no cover
    """A relation: its id and timestamp."""
    if fill:
        j = lo
        oid = np.int64(0)
        while j < hi:
            number, wire, value, f0, f1, j = _field(b, j, hi)
            if j < 0:
                return NOT_UNDERSTOOD, objects
            if number == 1 and wire == 0:
                oid = np.int64(value)
            elif number == 4 and wire == 2:
                stamp, ok = _timestamp(b, f0, f1)
                if not ok:
                    return NOT_UNDERSTOOD, objects
                _newest(stamps, stamp, date_granularity)
        kinds[objects] = _RELATION
        ids[objects] = oid
    return OK, objects + 1


@numba.njit(cache=True, nogil=True)
def _dense(b: np.ndarray, lo: int, hi: int, fill: bool, kinds: np.ndarray, ids: np.ndarray,
           stamps: np.ndarray, date_granularity: int, objects: int
           ) -> tuple[int, int]:  # pragma: no cover
    """Dense nodes: their ids and timestamps."""
    i0 = i1 = d0 = d1 = -1
    j = lo
    while j < hi:
        number, wire, value, f0, f1, j = _field(b, j, hi)
        if j < 0:
            return NOT_UNDERSTOOD, objects
        if number == 1 and wire == 2:
            i0, i1 = f0, f1
        elif number == 5 and wire == 2:
            d0, d1 = f0, f1
    if i0 < 0:
        return OK, objects
    if not fill:
        return OK, objects + _count_varints(b, i0, i1)
    oid = np.int64(0)
    j = i0
    while j < i1:
        value, j = _varint(b, j, i1)
        if j < 0:
            return NOT_UNDERSTOOD, objects
        oid += _zigzag(value)
        kinds[objects] = _NODE
        ids[objects] = oid
        objects += 1
    j = d0
    while 0 <= j < d1:
        number, wire, value, f0, f1, j = _field(b, j, d1)
        if j < 0:
            return NOT_UNDERSTOOD, objects
        if number == 2 and wire == 2:
            stamp = np.int64(0)
            q = f0
            while q < f1:
                value, q = _varint(b, q, f1)
                if q < 0:
                    return NOT_UNDERSTOOD, objects
                stamp += _zigzag(value)
                _newest(stamps, stamp, date_granularity)
    return OK, objects


@numba.njit(cache=True, nogil=True)
def _deltas(b: np.ndarray, lo: int, hi: int, out: np.ndarray, start: int, stop: int
            ) -> bool:  # pragma: no cover
    """Write the packed zigzag deltas at ``b[lo:hi]`` to ``out[start:stop]``; whether
    there were exactly that many."""
    value = np.int64(0)
    r = start
    j = lo
    while 0 <= j < hi:
        delta, j = _varint(b, j, hi)
        if j < 0 or r >= stop:
            return False
        value += _zigzag(delta)
        out[r] = value
        r += 1
    return r == stop


@numba.njit(cache=True, nogil=True)
def _tagged(b: np.ndarray, lo: int, hi: int, is_way: bool, str_lo: np.ndarray,
            str_hi: np.ndarray, str_key: np.ndarray, n_keys: int, fill: bool,
            kinds: np.ndarray, ids: np.ndarray, tagged_at: np.ndarray, count: np.ndarray,
            ref: np.ndarray, x: np.ndarray, y: np.ndarray, tag_lo: np.ndarray,
            tag_hi: np.ndarray, stamps: np.ndarray, date_granularity: int, objects: int,
            tagged: int, refs: int) -> tuple[int, int, int, int]:  # pragma: no cover
    """A way (``is_way``) or a node that is not a dense one: its id, timestamp, the values
    of ``keys`` (first occurrence) and its nodes with their locations (a node: itself)."""
    oid = np.int64(0)
    k0 = k1 = v0 = v1 = n0 = n1 = la0 = la1 = lo0 = lo1 = -1
    node_lat = node_lon = np.int64(UNDEFINED)
    j = lo
    while j < hi:
        number, wire, value, f0, f1, j = _field(b, j, hi)
        if j < 0:
            return NOT_UNDERSTOOD, objects, tagged, refs
        if number == 1 and wire == 0:
            oid = np.int64(value) if is_way else _zigzag(value)
        elif not is_way and wire == 0 and (number == 8 or number == 9):
            if number == 8:
                node_lat = _zigzag(value)
            else:
                node_lon = _zigzag(value)
        elif wire == 2:
            if number == 2:
                k0, k1 = f0, f1
            elif number == 3:
                v0, v1 = f0, f1
            elif number == 4 and fill:
                stamp, ok = _timestamp(b, f0, f1)
                if not ok:
                    return NOT_UNDERSTOOD, objects, tagged, refs
                _newest(stamps, stamp, date_granularity)
            elif number == 8 and is_way:
                n0, n1 = f0, f1
            elif number == 9 and is_way:
                la0, la1 = f0, f1
            elif number == 10 and is_way:
                lo0, lo1 = f0, f1
    if not fill:
        n_refs = (_count_varints(b, n0, n1) if n0 >= 0 else 0) if is_way else 1
        return OK, objects + 1, tagged + 1, refs + n_refs
    kinds[objects] = _WAY if is_way else _NODE
    ids[objects] = oid
    tagged_at[tagged] = objects
    for q in range(n_keys):
        tag_lo[q, tagged] = -1
        tag_hi[q, tagged] = -1
    # the tags: the value of each key's first occurrence
    a, c = k0, v0
    while 0 <= a < k1:
        key, a = _varint(b, a, k1)
        if c < 0 or c >= v1:
            return NOT_UNDERSTOOD, objects, tagged, refs
        val, c = _varint(b, c, v1)
        if a < 0 or c < 0 or key >= np.uint64(len(str_key)) or val >= np.uint64(len(str_key)):
            return NOT_UNDERSTOOD, objects, tagged, refs
        q = str_key[int(np.int64(key))]
        if q >= 0 and tag_lo[q, tagged] < 0:
            tag_lo[q, tagged] = str_lo[int(np.int64(val))]
            tag_hi[q, tagged] = str_hi[int(np.int64(val))]
    if 0 <= c < v1:
        return NOT_UNDERSTOOD, objects, tagged, refs
    start = refs
    if not is_way:
        if refs >= len(ref):
            return NOT_UNDERSTOOD, objects, tagged, refs
        ref[refs] = oid
        x[refs] = node_lon
        y[refs] = node_lat
        refs += 1
    else:  # a way's nodes and their locations: three delta-coded lists of one length
        n = _count_varints(b, n0, n1) if n0 >= 0 else 0
        if refs + n > len(ref) or not _deltas(b, n0, n1, ref, refs, refs + n):
            return NOT_UNDERSTOOD, objects, tagged, refs
        refs += n
    if is_way and la0 < 0 and lo0 < 0:  # written without locations (the POI objects)
        for r in range(start, refs):
            x[r] = UNDEFINED
            y[r] = UNDEFINED
        count[tagged] = refs - start
        return OK, objects + 1, tagged + 1, refs
    if is_way and not (_deltas(b, la0, la1, y, start, refs)
                       and _deltas(b, lo0, lo1, x, start, refs)):
        return LOCATIONS, objects, tagged, refs
    for r in range(start, refs):
        if x[r] == UNDEFINED or y[r] == UNDEFINED:
            x[r] = UNDEFINED
            y[r] = UNDEFINED
    count[tagged] = refs - start
    return OK, objects + 1, tagged + 1, refs


@numba.njit(cache=True, nogil=True)
def blocks(b: np.ndarray, keys: np.ndarray, key_offsets: np.ndarray
           ) -> tuple[int, int, np.ndarray, np.ndarray, np.int64, np.ndarray, np.ndarray,
                      np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """The whole blobs at the start of ``b`` (the bytes of a PBF file from a blob's start):
    ``(status, consumed, kinds, ids, newest, tagged_at, count, ref, x, y, tag_lo,
    tag_hi)``.

    ``consumed``: the bytes of the whole blobs read (a blob cut by the end of ``b`` is
    left for the next call); per object in file order its type (``n``/``w``/``r`` as a
    byte) and id; the newest timestamp in seconds (0: none).

    Ways and nodes that are not dense nodes are read whole ("tagged" objects, in file
    order): their positions among the objects, the number of their nodes (a node: one, itself), per key of
    ``keys`` (UTF-8, one after the other, split at ``key_offsets``) the span of its value
    in ``b`` (-1 where the object has no such key: ``tag_lo``/``tag_hi``, keys by
    objects), and per node its id and coordinates in 1e-7 degrees (:data:`UNDEFINED`
    both where either is). Dense nodes give only their ids and timestamps.
    """
    n_keys = len(key_offsets) - 1
    u8 = np.empty(0, np.uint8)
    i64 = np.empty(0, np.int64)
    i32 = np.empty(0, np.int32)
    spans = np.empty((n_keys, 0), np.int64)
    stamps = np.zeros(1, np.int64)
    status, consumed, objects, tagged, refs = _walk(
        b, keys, key_offsets, False, u8, i64, i64, i64, i64, i32, i32, spans, spans, stamps)
    kinds = np.empty(objects, np.uint8)
    ids = np.empty(objects, np.int64)
    tagged_at = np.empty(tagged, np.int64)
    count = np.empty(tagged, np.int64)
    ref = np.empty(refs, np.int64)
    x = np.empty(refs, np.int32)
    y = np.empty(refs, np.int32)
    tag_lo = np.empty((n_keys, tagged), np.int64)
    tag_hi = np.empty((n_keys, tagged), np.int64)
    if status == OK:
        status, consumed, objects2, tagged2, refs2 = _walk(
            b[:consumed], keys, key_offsets, True, kinds, ids, tagged_at, count, ref, x,
            y, tag_lo, tag_hi, stamps)
        if status == OK and (objects2, tagged2, refs2) != (objects, tagged, refs):
            status = NOT_UNDERSTOOD
    return (status, consumed, kinds, ids, stamps[0], tagged_at, count, ref, x, y, tag_lo,
            tag_hi)


@numba.njit(cache=True, nogil=True)
def gather(b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """The spans ``b[lo:hi]`` one after the other, and their offsets (an Arrow string
    array's buffers; an empty span where ``lo`` is -1)."""
    n = len(lo)
    offsets = np.empty(n + 1, np.int64)
    offsets[0] = 0
    total = 0
    for i in range(n):
        if lo[i] >= 0:
            total += hi[i] - lo[i]
        offsets[i + 1] = total
    out = np.empty(total, np.uint8)
    for i in range(n):
        if lo[i] >= 0:
            out[offsets[i]:offsets[i + 1]] = b[lo[i]:hi[i]]
    return offsets, out
