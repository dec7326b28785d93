"""Handing freed memory back to the operating system.

Road geometries are millions of small GEOS allocations. Once freed, glibc keeps their
pages in the heap for reuse, but the large numpy arrays that follow are separate
mappings and cannot reuse them, so the process holds both: a step's resident memory
then grows by every copy it ever dropped. ``malloc_trim(0)`` returns the free pages
(Dask's workers do the same; see "Memory not released back to the OS" in the
distributed documentation). Elsewhere than glibc it is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _trim() -> ctypes._NamedFuncPointer | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc
        return None


def give_back() -> None:
    """Return the heap's free pages to the operating system (what reference counting
    freed; cycles are left to the collector)."""
    trim = _trim()
    if trim is not None:
        trim(0)


def available_bytes() -> int:
    """Memory the system can give without swapping (``MemAvailable``); 0 where unknown,
    so that callers take the frugal path."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
