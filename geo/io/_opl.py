"""Compiled scanners of libosmium's OPL (numba), for :mod:`geo.io.osm`: the node lists,
and the first fields of each object line.

Private. Imported on first use only (numba takes a quarter of a second to import).

Why compiled code: the node lists are most of the roads' OPL (11 million references in
384 MB at 100 tiles of Andorra). Taken apart with numpy masks and Arrow's decimal casts
they cost 4,5 s there, a dozen passes over the text and its copies; one pass over the
bytes that reads each number as it goes costs a fraction of that, on the step's critical
path (the parent's, while the POI pass holds the other core).
"""

from __future__ import annotations

import numba
import numpy as np

OK, NO_LIST, NOT_UNDERSTOOD = 0, 1, 2
"""What :func:`node_lists` found: everything read; a way line without exactly one node
list; a node list it cannot read (a reference without id, a marker out of place, a
coordinate with more than 7 decimals or beyond 180 degrees)."""

UNDEFINED = 2147483647
"""A coordinate libosmium left empty (a node missing from the file), as
:data:`geo.io.osm._UNDEFINED`."""

_NL, _SP, _COMMA, _MINUS, _DOT, _ZERO = 10, 32, 44, 45, 46, 48
_BIG_N, _N, _X, _Y, _W = 78, 110, 120, 121, 119
_INT64_MAX = 2**63 - 1
_SCALE = np.array([10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1], np.int64)


@numba.njit(cache=True, nogil=True)
def _fixed(b: np.ndarray, k: int, end: int) -> tuple[int, int, bool]:  # pragma: no cover
    """The decimal at ``b[k:]`` (up to a byte not of a number) in 1e-7 units, exactly:
    (value, position after it, ok). An empty number reads as (UNDEFINED, k, True)."""
    neg = k < end and b[k] == _MINUS
    j = k + 1 if neg else k
    whole = 0
    digits = 0
    while j < end and np.uint8(b[j] - _ZERO) < 10:
        whole = whole * 10 + (int(b[j]) - _ZERO)
        digits += 1
        j += 1
        if digits > 4:  # 180 degrees has three
            return 0, j, False
    frac = 0
    decimals = 0
    if j < end and b[j] == _DOT:
        j += 1
        while j < end and np.uint8(b[j] - _ZERO) < 10:
            frac = frac * 10 + (int(b[j]) - _ZERO)
            decimals += 1
            j += 1
            if decimals > 7:
                return 0, j, False
        if decimals == 0 and digits == 0:
            return 0, j, False
    elif digits == 0:
        return (UNDEFINED, j, True) if not neg else (0, j, False)
    value = whole * 10_000_000 + frac * _SCALE[decimals]
    if value > 1_800_000_000:
        return 0, j, False
    return (-value if neg else value), j, True


@numba.njit(cache=True, nogil=True)
def _lists(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:  # pragma: no cover
    """One pass over the bytes: per way line the span of its node list (after `` N``, up
    to the end of the line), the number of references, and the status."""
    n = len(b)
    lines = 1
    for k in range(n):
        if b[k] == _NL:
            lines += 1
    start = np.empty(lines, np.int64)
    stop = np.empty(lines, np.int64)
    w = 0
    refs = 0
    at = -1  # this line's list start (-1: none yet)
    way = n > 0 and b[0] == _W
    for k in range(n + 1):
        c = b[k] if k < n else _NL
        if c == _NL:
            if way:
                if at < 0:
                    return start, stop, 0, NO_LIST
                start[w] = at
                stop[w] = k
                if at < k:
                    refs += 1
                w += 1
            at = -1
            way = k + 1 < n and b[k + 1] == _W
        elif way:
            if c == _COMMA:
                if at >= 0:
                    refs += 1
            elif c == _BIG_N and b[k - 1] == _SP:
                if at >= 0:
                    return start, stop, 0, NO_LIST
                at = k + 1
    return start[:w], stop[:w], refs, OK


@numba.njit(cache=True, nogil=True)
def node_lists(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                       int]:  # pragma: no cover
    """(ref, x, y, count, status) of the way lines of a chunk of whole OPL lines
    (``b``: its bytes; the last line may lack its newline): per reference the node id and
    its coordinates in 1e-7 degrees (:data:`UNDEFINED` for an empty location), per way
    line the number of references. ``status``: :data:`OK` or what was wrong."""
    start, stop, n_refs, status = _lists(b)
    ref = np.empty(n_refs, np.int64)
    x = np.empty(n_refs, np.int32)
    y = np.empty(n_refs, np.int32)
    count = np.zeros(len(start), np.int64)
    if status != OK:
        return ref, x, y, count, status
    r = 0
    for w in range(len(start)):
        k, end = start[w], stop[w]
        while k < end:
            if b[k] != _N:
                return ref, x, y, count, NOT_UNDERSTOOD
            k += 1
            neg = k < end and b[k] == _MINUS
            if neg:
                k += 1
            node = 0
            digits = 0
            while k < end and np.uint8(b[k] - _ZERO) < 10:
                digit = int(b[k]) - _ZERO
                if node > (_INT64_MAX - digit) // 10:
                    return ref, x, y, count, NOT_UNDERSTOOD
                node = node * 10 + digit
                digits += 1
                k += 1
            if digits == 0 or k >= end or b[k] != _X:
                return ref, x, y, count, NOT_UNDERSTOOD
            lon, k, ok = _fixed(b, k + 1, end)
            if not ok or k >= end or b[k] != _Y:
                return ref, x, y, count, NOT_UNDERSTOOD
            lat, k, ok = _fixed(b, k + 1, end)
            if not ok or (k < end and b[k] != _COMMA):
                return ref, x, y, count, NOT_UNDERSTOOD
            if k < end:
                k += 1
                if k == end:  # a comma ending the list
                    return ref, x, y, count, NOT_UNDERSTOOD
            if r == n_refs:  # more references than commas said: cannot be
                return ref, x, y, count, NOT_UNDERSTOOD
            ref[r] = -node if neg else node
            known = lon != UNDEFINED and lat != UNDEFINED
            x[r] = lon if known else UNDEFINED
            y[r] = lat if known else UNDEFINED
            r += 1
            count[w] += 1
    return ref, x, y, count, OK


NO_FIELDS, NOT_D, NOT_T, NOT_TAGS, BAD_ID = 3, 4, 5, 6, 7
"""What :func:`object_heads` found wrong (beside :data:`OK`): a line with fewer than four
fields; a second field not ``d...``, a third not ``t...``, a fourth not ``T...``; an id
that is not a number."""

HEAD_PROBLEMS = {
    NO_FIELDS: "an object line without timestamp and tags",
    NOT_D: "field 2 of an object line is not 'd'",
    NOT_T: "field 3 of an object line is not 't'",
    NOT_TAGS: "field 4 of an object line is not 'T'",
    BAD_ID: "an object id is not a number",
}
"""What each of those statuses says (in the reader's error)."""

_D, _T, _BIG_T = 100, 116, 84


@numba.njit(cache=True, nogil=True)
def _later_text(b: np.ndarray, a0: int, a1: int, c0: int, c1: int) -> bool:  # pragma: no cover
    """Whether ``b[a0:a1]`` sorts after ``b[c0:c1]`` as text (byte order)."""
    n = min(a1 - a0, c1 - c0)
    for i in range(n):
        if b[a0 + i] != b[c0 + i]:
            return bool(b[a0 + i] > b[c0 + i])
    return a1 - a0 > c1 - c0


@numba.njit(cache=True, nogil=True)
def object_heads(b: np.ndarray, starts: np.ndarray
                 ) -> tuple[int, int, np.ndarray, int, int, np.ndarray, np.ndarray]:  # pragma: no cover
    """The first four fields of the object lines starting at ``starts`` (each running to
    the next start, or to the end of ``b``): ``n<id> d<visible> t<timestamp> T<tags>``.

    Returns ``(status, line, ids, newest_start, newest_stop, tag_offsets, tag_bytes)``:
    :data:`OK` or what was wrong first (and on which line); every object's id; the span of
    the latest timestamp as text (empty when none); the tags of the way lines (after the
    ``T``, up to the next space or the line's end, trailing newlines dropped), one after
    the other. One pass over the heads of the lines: Arrow's split of whole lines copied
    every node list once more (a quarter of a chunk's parse).
    """
    n = len(starts)
    ids = np.empty(n, np.int64)
    tag_lo = np.empty(n, np.int64)
    tag_hi = np.empty(n, np.int64)
    best0 = best1 = 0
    ways = 0
    total = 0
    for i in range(n):
        k = starts[i]
        stop = starts[i + 1] if i + 1 < n else len(b)
        # the first three spaces; the fourth field ends at the fourth or the line's end
        sp = np.empty(4, np.int64)
        found = 0
        j = k
        while j < stop and found < 4:
            if b[j] == _SP:
                sp[found] = j
                found += 1
            j += 1
        if found < 3:
            return NO_FIELDS, i, ids, 0, 0, tag_lo, np.empty(0, np.uint8)
        end4 = sp[3] if found == 4 else stop
        if sp[0] + 1 >= sp[1] or b[sp[0] + 1] != _D:
            return NOT_D, i, ids, 0, 0, tag_lo, np.empty(0, np.uint8)
        if sp[1] + 1 >= sp[2] or b[sp[1] + 1] != _T:
            return NOT_T, i, ids, 0, 0, tag_lo, np.empty(0, np.uint8)
        if sp[2] + 1 >= end4 or b[sp[2] + 1] != _BIG_T:
            return NOT_TAGS, i, ids, 0, 0, tag_lo, np.empty(0, np.uint8)
        # the id: after the type letter, an optional minus and digits
        q = k + 1
        neg = q < sp[0] and b[q] == _MINUS
        if neg:
            q += 1
        if q >= sp[0]:
            return BAD_ID, i, ids, 0, 0, tag_lo, np.empty(0, np.uint8)
        value = 0
        while q < sp[0]:
            digit = int(b[q]) - _ZERO
            if digit < 0 or digit > 9 or value > (_INT64_MAX - digit) // 10:
                return BAD_ID, i, ids, 0, 0, tag_lo, np.empty(0, np.uint8)
            value = value * 10 + digit
            q += 1
        ids[i] = -value if neg else value
        if _later_text(b, sp[1] + 2, sp[2], best0, best1):
            best0, best1 = sp[1] + 2, sp[2]
        if b[k] == _W:
            lo, hi = sp[2] + 2, end4
            while hi > lo and b[hi - 1] == _NL:
                hi -= 1
            tag_lo[ways] = lo
            tag_hi[ways] = hi
            ways += 1
            total += hi - lo
    offsets = np.empty(ways + 1, np.int64)
    out = np.empty(total, np.uint8)
    offsets[0] = 0
    at = 0
    for w in range(ways):
        size = tag_hi[w] - tag_lo[w]
        out[at:at + size] = b[tag_lo[w]:tag_hi[w]]
        at += size
        offsets[w + 1] = at
    return OK, n, ids, best0, best1, offsets, out
