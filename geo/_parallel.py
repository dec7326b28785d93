"""Independent pieces of one computation run on the machine's cores.

scipy's Dijkstra (``scipy.sparse.csgraph``) holds the GIL for its whole run, so threads
cannot share the routing work. Forked processes can, and cheaply: a child starts with the
parent's memory (graph, costs, the current state) shared copy-on-write, so only a piece's
index goes to it and only the piece's result comes back pickled; nothing large is copied
or pickled on the way in. Each child writes only its own scratch buffers, which the kernel
then copies for it alone.

Vectorised calls that release the GIL (PROJ's transforms through pyproj, GEOS through
shapely's STRtree queries and functions) need no process: :func:`thread_map` runs their
pieces on threads, which share everything and return their results without pickling.

How many processes a computation may use is set around it with :func:`workers` (the steps
do, from the setting ``workers``); computations run in one process otherwise, so the API
and the reports never fork. Their results never depend on the number.

Forking is used only where it is known to be safe: on a platform that has it, from a
process that is not a daemon (worker processes of Dask's ``LocalCluster`` are daemons and
may not have children; the batch already keeps every core busy there), and not from inside
a child or while another map is running. Otherwise the pieces run one after the other
here, with the same results in the same order.
"""

from __future__ import annotations

import contextvars
import gc
import multiprocessing
import os
import select
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

P = TypeVar("P")
R = TypeVar("R")

_WORKERS: ContextVar[int] = ContextVar("siapwisata_workers", default=1)
_BEFORE_FORK: list[Callable[[], None]] = []
"""What :func:`load_before_fork` was given and this process has not run yet."""
_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
"""The running map's function and pieces, inherited by its children."""


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def workers(n: int | None) -> Iterator[int]:
    """Let the computations inside share their independent pieces among ``n``
    processes (None: one per core, :func:`default_workers`); yields that number."""
    n = default_workers() if n is None else max(1, n)
    token = _WORKERS.set(n)
    try:
        yield n
    finally:
        _WORKERS.reset(token)


def current_workers() -> int:
    """The processes the computations may use here (see :func:`workers`)."""
    return _WORKERS.get()


def can_fork() -> bool:
    """Whether this process may fork workers (see the module's notes)."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon and _JOB is None)


def load_before_fork(load: Callable[[], None]) -> None:
    """Have ``load()`` run in this process once, just before it first forks workers.

    For compiled code (numba) that the children run: loaded in the parent, every child
    inherits it. Loaded in each child, numba's import and its cache's load (about 0,3 s)
    were paid by every worker of every pool: eight times in the combined score and
    priorities step at 100 tiles of Andorra."""
    _BEFORE_FORK.append(load)


def _load_before_forking() -> None:
    while _BEFORE_FORK:
        _BEFORE_FORK.pop(0)()


def _child_start() -> None:
    # a thread of the parent (the progress display's refresh) may have held the lock of
    # stdout or stderr when the child was forked; the child would then block for ever
    # flushing them on exit. It prints nothing, so it gets streams of its own.
    sys.stdout = open(os.devnull, "w")
    sys.stderr = open(os.devnull, "w")


def _fork_pool(n: int) -> ProcessPoolExecutor:
    """``n`` forked workers with streams of their own (:func:`_child_start`)."""
    return ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"),
                               initializer=_child_start)


def _run(i: int) -> Any:
    assert _JOB is not None  # set before the children are forked
    fn, pieces = _JOB
    return fn(pieces[i])


def fork_map(fn: Callable[[P], R], pieces: Sequence[P]) -> list[R]:
    """``[fn(p) for p in pieces]``, on up to :func:`current_workers` forked processes."""
    return list(fork_imap(fn, pieces))


def fork_imap(fn: Callable[[P], R], pieces: Sequence[P], *, ahead: int | None = None,
              compiled: bool = True) -> Iterator[R]:
    """``fn(p)`` for each piece in order, computed on up to :func:`current_workers`
    forked processes while the caller reads the results.

    ``fn`` and the pieces are inherited by the children, not pickled; each result is
    pickled back. A child sees the parent's state as it was when the first result was
    asked for, and what it changes stays in the child: ``fn`` must return what it
    computes, and must not change what another piece reads (a child runs several
    pieces). At most ``ahead`` results (default: twice the workers) are computed but not
    yet read, which bounds the memory of a fast producer. Pieces go to workers as they
    free up, so pieces of uneven cost balance. A child that dies (killed for memory, say)
    makes the remaining pieces run here instead.

    ``compiled=False``: ``fn`` runs none of the compiled kernels of
    :func:`load_before_fork`, which are then not loaded for it (a quarter to half a
    second, numba's import included).
    """
    global _JOB
    n = min(current_workers(), len(pieces))
    if n <= 1 or not can_fork():
        yield from (fn(p) for p in pieces)
        return
    ahead = max(1, 2 * n if ahead is None else ahead)
    if compiled:
        _load_before_forking()
    _JOB = (fn, pieces)
    # a child's collector would otherwise visit (and so copy) every page holding a
    # Python object of the parent; frozen objects are never visited
    gc.freeze()
    done = 0
    try:
        with _fork_pool(n) as pool:
            pending: deque[Future[Any]] = deque()
            try:
                while done < len(pieces):
                    while len(pending) < ahead and done + len(pending) < len(pieces):
                        pending.append(pool.submit(_run, done + len(pending)))
                    result = pending.popleft().result()
                    done += 1
                    yield result
            finally:
                for f in pending:  # the caller stopped reading: do not wait for those
                    f.cancel()
    except BrokenProcessPool:
        pass
    finally:
        _JOB = None
        gc.unfreeze()
    yield from (fn(p) for p in pieces[done:])


class Beside(Generic[R]):
    """The result of :func:`fork_beside`: ``fn()``, computed in a child or here."""

    def __init__(self, fn: Callable[[], R], *, compiled: bool = True):
        self._fn = fn
        self._compiled = compiled
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future[R] | None = None
        self._outcome: tuple[R] | BaseException | None = None

    def _start(self) -> None:
        global _JOB
        if self._compiled:
            _load_before_forking()
        ready, started = os.pipe()

        def job(_: object) -> R:
            os.write(started, b".")
            return self._fn()

        _JOB = (job, (None,))
        gc.freeze()
        try:
            self._pool = _fork_pool(1)
            # a fork pool starts its process on the first submit: the child has the state
            # of this moment, and this process may fork again once it returns
            self._future = self._pool.submit(_run, 0)
            # The job reaches the child through two threads of this process (the pool's
            # manager and its queue's feeder). A C call that holds the GIL for long,
            # which the caller typically makes next (libosmium's pass over a file: 6 to
            # 8 s at 100 tiles of Andorra), would hold the job back until it returns:
            # wait here, GIL released, until the child runs it (or has died).
            while not select.select([ready], [], [], 0.05)[0] and not self._future.done():
                pass
        finally:
            os.close(ready)
            os.close(started)
            _JOB = None
            gc.unfreeze()

    def result(self) -> R:
        """Wait for ``fn()`` and return it (its exception is raised here). Computed here
        when it was not started in a child, or when the child died. Computed once: a
        second call gives the same result (or raises the same exception)."""
        if self._outcome is None:
            try:
                self._outcome = (self._compute(),)
            except Exception as exc:
                self._outcome = exc
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome[0]

    def _compute(self) -> R:
        if self._future is None:
            return self._fn()
        assert self._pool is not None
        try:
            return self._future.result()
        except BrokenProcessPool:
            return self._fn()
        finally:
            self.close()

    def close(self) -> None:
        """Wait for the child to end (its result, if not asked for, is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._pool = self._future = None

    def __enter__(self) -> Beside[R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def can_fork_beside() -> bool:
    """Whether :func:`fork_beside` may run its function in a child here."""
    return current_workers() >= 2 and can_fork()


def fork_beside(fn: Callable[[], R], *, when: bool = True, compiled: bool = True
                ) -> Beside[R]:
    """Start ``fn()`` in one forked process while the caller goes on with other work;
    ``.result()`` waits for it (use it as a context manager, so that an error in the
    caller's own work still waits for the child).

    ``fn()`` runs at ``.result()`` instead, with the same result, when ``when`` is false
    or :func:`can_fork_beside` is not. As with :func:`fork_imap`, ``fn`` sees this
    process's state as it is now, must return what it computes, and its result is
    pickled back; ``compiled`` as for :func:`fork_imap`."""
    beside = Beside(fn, compiled=compiled)
    if when and can_fork_beside():
        beside._start()
    return beside


THREAD_PIECE_MIN: int = 20_000
"""Fewest items per piece of :func:`slices`: a smaller call is over before a thread
would start."""


def slices(n: int, least: int | None = None) -> list[slice]:
    """``range(n)`` as contiguous slices in order, one per worker (:func:`current_workers`)
    and none shorter than ``least`` (default :data:`THREAD_PIECE_MIN`; one slice when
    ``n`` is small)."""
    least = THREAD_PIECE_MIN if least is None else least
    k = max(1, min(current_workers(), n // max(least, 1)))
    cut = [n * i // k for i in range(k + 1)]  # sizes differ by one at most
    return [slice(lo, hi) for lo, hi in zip(cut[:-1], cut[1:], strict=True)]


def thread_map(fn: Callable[[P], R], pieces: Sequence[P]) -> list[R]:
    """``[fn(p) for p in pieces]``, on up to :func:`current_workers` threads.

    Only for ``fn`` whose time is spent in calls that release the GIL, on pieces that do
    not write what another piece reads. The results keep the pieces' order. A thread of
    the pool runs in a fresh context, where :func:`current_workers` is 1: a map inside
    ``fn`` runs in that thread. While a fork map runs (:func:`fork_imap`: in its workers,
    and in the caller reading its results) the pieces run here, one after the other: the
    cores are busy with the workers.
    """
    n = min(current_workers(), len(pieces))
    if n <= 1 or _JOB is not None:
        return [fn(p) for p in pieces]
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(fn, pieces))


def transform_on_threads(transform: Callable[[Any, Any], tuple[Any, Any]], x: Any, y: Any,
                         out_x: Any, out_y: Any) -> None:
    """``out_x, out_y = transform(x, y)`` for a pointwise ``transform`` that releases the
    GIL (PROJ's, through pyproj's ``Transformer.transform``): contiguous pieces of the
    coordinate arrays on :func:`thread_map`'s threads, each written into its own part of
    the outputs (arrays, or views into one), so the numbers are those of one call."""

    def piece(at: slice) -> None:
        out_x[at], out_y[at] = transform(x[at], y[at])

    thread_map(piece, slices(len(x)))


class Background(Generic[R]):
    """``fn(*args)`` on a thread of its own while the caller goes on, in the caller's
    context (so its :func:`workers`): for work whose calls release the GIL (a projection
    of every road) and whose result is read later.

    :meth:`result` waits for the work and for its thread to end: a fork must not copy a
    process while another of its threads runs.
    """

    def __init__(self, fn: Callable[..., R], *args: Any) -> None:
        self._pool = ThreadPoolExecutor(1)
        self._future = self._pool.submit(contextvars.copy_context().run, fn, *args)

    def result(self) -> R:
        """The work's result (its error, raised here)."""
        try:
            return self._future.result()
        finally:
            self._pool.shutdown(wait=True)
