"""Independent pieces of one computation run on the machine's cores.

scipy's Dijkstra (``scipy.sparse.csgraph``) holds the GIL for its whole run, so threads
cannot share the routing work. Forked processes can, and cheaply: a child starts with the
parent's memory (graph, costs, the current state) shared copy-on-write, so only a piece's
index goes to it and only the piece's (small) result comes back pickled; nothing large is
copied or pickled. Each child writes only its own scratch buffers, which the kernel then
copies for it alone.

Forking is used only where it is known to be safe: on a platform that has it, from a
process that is not a daemon (worker processes of Dask's ``LocalCluster`` are daemons and
may not have children; the batch already keeps every core busy there), and when the caller
asks for more than one worker. Otherwise the pieces run one after the other here, with the
same results in the same order.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

P = TypeVar("P")
R = TypeVar("R")

_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
"""The running :func:`fork_map`'s function and pieces, inherited by its children."""


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def worker_count(workers: int | None) -> int:
    """``workers``, or one per core when None (:func:`default_workers`)."""
    return default_workers() if workers is None else max(1, workers)


def can_fork() -> bool:
    """Whether this process may fork workers (see the module's notes)."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


def _run(i: int) -> Any:
    assert _JOB is not None  # set by fork_map before the children are forked
    fn, pieces = _JOB
    return fn(pieces[i])


def fork_map(fn: Callable[[P], R], pieces: Sequence[P], *, workers: int | None = 1
             ) -> list[R]:
    """``[fn(p) for p in pieces]``, on up to ``workers`` forked processes (``None``: one per
    core, :func:`default_workers`).

    ``fn`` and the pieces are inherited by the children, not pickled; each result is
    pickled back. A child sees the parent's state as it was when :func:`fork_map` was
    called, and what it changes stays in the child: ``fn`` must return what it computes,
    and must not change what another piece reads (a child runs several pieces).
    Pieces are handed out one at a time as workers free up, so pieces of uneven cost
    balance. A child that dies (killed for memory, say) makes every piece run here instead.
    """
    global _JOB
    workers = min(worker_count(workers), len(pieces))
    if workers <= 1 or not can_fork() or _JOB is not None:
        return [fn(p) for p in pieces]
    _JOB = (fn, pieces)
    # the collector of a child would otherwise visit (and so copy) every page holding a
    # Python object of the parent; frozen objects are never visited
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")
                                 ) as pool:
            return list(pool.map(_run, range(len(pieces))))
    except BrokenProcessPool:
        return [fn(p) for p in pieces]
    finally:
        _JOB = None
        gc.unfreeze()
