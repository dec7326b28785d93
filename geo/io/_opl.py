"""A compiled scanner of the node lists in libosmium's OPL (numba), for :mod:`geo.io.osm`.

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
