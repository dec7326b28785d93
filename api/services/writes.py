"""One writer queue, and the background recomputation that keeps scores current (issue 12).

Every change the server makes to the workspace (an applied upload, a form edit, a
rollback) runs on :class:`WriteQueue`: a single thread, so two agencies saving at once are
applied one after the other, each on the version the previous one left, and neither change
is lost. The workspace's file lock (:meth:`geo.io.workspace.Workspace.lock`) still
serialises them against the command line and the recomputation.

After each applied version the scores and priorities are stale (metadata ``scores_stale``,
set by the contribution step in the same update as the change). :class:`Recomputer` then
runs ONE recomputation (:func:`geo.steps.contribute.recompute`) in its own worker process;
requests that arrive while it runs are coalesced into at most one more run, which starts
when it ends and so sees every change made meanwhile. The pages and maps show "sedang
menghitung ulang…" while the metadata says the scores are stale
(:mod:`api.services.freshness`).

The worker is a process (``spawn``) for the reason the recomputation lane's are
(:mod:`api._lane`): scoring holds the interpreter lock for seconds, which on a thread of
the server would stall every cached answer. It runs at a lower priority and ends with the
server.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import (
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from dataclasses import dataclass
from typing import Any, TypeVar

from .._lane import _worker_init
from ..errors import WriteInterrupted

log = logging.getLogger("siapwisata.api")

T = TypeVar("T")

RECOMPUTE_JOB: tuple[str, str] = ("geo.steps.contribute", "recompute")
"""``module.function(workspace)`` the background worker runs."""


class WriteQueue:
    """The single line every workspace write of the server goes through.

    One dispatcher thread takes the writes in order; with ``processes`` it hands each to
    ONE worker process (``spawn``) and waits for it, so page builds on the server's threads
    (which hold the interpreter lock for long stretches) cannot starve a write, and a
    write never slows the cached answers. Only one write is in the worker at a time: a
    worker that dies (killed, out of memory) fails that write alone, with
    :class:`api.errors.WriteInterrupted` (503, try again), and the next write starts a
    new worker. The workspace's atomic update leaves the data as it was before the
    interrupted write.

    Parameters
    ----------
    processes
        Run writes in a worker process (the server); False runs them on the dispatcher
        thread itself (tests, whose write functions need not pickle).
    """

    def __init__(self, *, processes: bool = False) -> None:
        self.processes = processes
        self._pool: ThreadPoolExecutor | None = None
        self._worker: ProcessPoolExecutor | None = None
        self._started: Any = None  # the worker's "last write begun" (shared memory)
        self._seq = 0  # writes handed to workers (dispatcher thread only)
        self._lock = threading.Lock()
        self.applied = 0  # writes run (tests and /api/status)

    def _executor(self) -> ThreadPoolExecutor:
        # Made on first use, and again after a shutdown: an ASGI app may be started again
        # after its lifespan ended (a test client per request, as schemathesis' ASGI
        # transport does), and a write must then not fail with "cannot schedule new
        # futures after shutdown".
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="siap-writer")
            return self._pool

    def _process(self) -> tuple[ProcessPoolExecutor, Any]:
        """The worker process (made on first use, after a shutdown and after it died):
        at the server's own priority, unlike the recomputation's, and ending with it.
        With it, the shared counter in which it marks each write it begins."""
        with self._lock:
            if self._worker is None:
                context = multiprocessing.get_context("spawn")
                self._started = context.RawValue("q", 0)
                self._worker = ProcessPoolExecutor(
                    1, initializer=_writer_init, initargs=(os.getpid(), self._started),
                    mp_context=context)
            return self._worker, self._started

    def start(self) -> None:
        """Start the worker process now (server start-up), so that the first write does
        not wait for it to import the libraries."""
        if self.processes:
            self._executor().submit(lambda: self._process()[0].submit(int).result())

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on the writer (``fn`` and its arguments must pickle
        with ``processes``: a module-level function, plain values), awaited without
        holding a thread of the request pool. Its exceptions are raised here."""
        future = self._executor().submit(self._counted, fn, *args, **kwargs)
        return await asyncio.wrap_future(future)

    def _counted(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            if not self.processes:
                return fn(*args, **kwargs)
            tries = 0
            while True:
                worker, started = self._process()
                self._seq += 1
                tries += 1
                try:
                    future: Future[T] = worker.submit(_begun, self._seq, fn, *args,
                                                      **kwargs)
                    return future.result()
                except BrokenExecutor as exc:
                    self._forget(worker)  # the next write starts a new one
                    # The worker died. Had it begun this write, the write may or may not
                    # be in (the update is atomic either way): the caller must look. A
                    # worker that died before (killed while idle, noticed by the pool
                    # only after this submit) ran none of it, so it runs on a new one.
                    if started.value == self._seq or tries == _ATTEMPTS:
                        log.warning("writer process died during a write: %s", exc)
                        raise WriteInterrupted() from None
                    log.warning("writer process had died before a write; new worker")
        finally:
            self.applied += 1

    def _forget(self, worker: ProcessPoolExecutor) -> None:
        """Drop a worker that died."""
        with self._lock:
            if self._worker is worker:
                self._worker = None
        worker.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.shutdown(wait=True)


_ATTEMPTS = 2
"""Workers a write is tried on when they die before beginning it."""

_STARTED: Any = None
"""In the writer's worker: the shared counter of :class:`WriteQueue` (``_writer_init``)."""


def _writer_init(server_pid: int, started: Any) -> None:
    """The writer's worker: at the server's priority, ending with it (``_worker_init``),
    and marking in ``started`` each write it begins."""
    global _STARTED
    _STARTED = started
    _worker_init(server_pid, 0)


def _begun(seq: int, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """In the worker: mark write ``seq`` as begun, then run it. A death after this line
    may have left the write in; before it, nothing of it ran."""
    _STARTED.value = seq
    return fn(*args, **kwargs)


@dataclass(frozen=True)
class RecomputeStatus:
    """What the background recomputation is doing."""

    running: bool
    pending: bool
    runs: int
    last_error: str | None
    last_seconds: float | None


class Recomputer:
    """Coalescing background recomputation of one workspace.

    Parameters
    ----------
    path
        The workspace GeoPackage.
    job
        ``(module, function)`` called as ``function(Workspace(path))`` in the worker
        (default :data:`RECOMPUTE_JOB`).
    processes
        Run in a worker process (the server); False runs on a thread (tests).
    """

    def __init__(self, path: str, *, job: tuple[str, str] = RECOMPUTE_JOB,
                 processes: bool = True):
        self.path = path
        self.job = job
        self.processes = processes
        self._pool: Executor | None = None
        self._cond = threading.Condition()
        self._running = False
        self._pending = False
        self.runs = 0
        self.last_error: str | None = None
        self.last_seconds: float | None = None
        self._failed_on: str | None = None  # workspace version a run failed on

    def _executor(self) -> Executor:
        # Made on first use, and again after a shutdown, as the writer queue's is: an app
        # started again after its lifespan ended must still recompute.
        if self._pool is None:
            if self.processes:
                self._pool = ProcessPoolExecutor(
                    1, initializer=_worker_init, initargs=(os.getpid(),),
                    mp_context=multiprocessing.get_context("spawn"))
            else:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="siap-recompute")
        return self._pool

    def request(self) -> None:
        """Ask for a recomputation: start one now, or (one is running) run once more after
        it; further requests meanwhile join that one."""
        with self._cond:
            if self._running:
                self._pending = True
                return
            self._running = True
            self._failed_on = None
        self._start()

    def ensure(self, stale: bool, version: str) -> None:
        """Start a recomputation when the scores are stale and none is running, unless the
        last one failed on this very version (it would fail again: wait for a change).

        Called when a page or ``/api/status`` finds the scores stale: a ``siapwisata
        import`` on the command line marks them stale, and the server recomputes them."""
        if not stale:
            return
        with self._cond:
            if self._running or self._failed_on == version:
                return
            self._running = True
        self._start()

    def _start(self) -> None:
        try:
            fut = self._executor().submit(_recompute, self.path, self.job)
        except Exception as exc:  # broken pool (worker killed): start afresh next time
            log.warning("recompute could not start: %s", exc)
            self._pool = None
            self._finish(None, f"{type(exc).__name__}: {exc}", None)
            return
        fut.add_done_callback(self._done)

    def _done(self, fut: Future[tuple[float, str | None, str | None]]) -> None:
        if fut.cancelled():
            self._finish(None, None, None)
            return
        exc = fut.exception()
        if exc is not None:  # the worker died (killed, out of memory)
            self._pool = None
            self._finish(None, f"{type(exc).__name__}: {exc}", None)
            return
        seconds, error, version = fut.result()
        self._finish(seconds, error, version)

    def _finish(self, seconds: float | None, error: str | None, version: str | None) -> None:
        again = False
        with self._cond:
            self.runs += 1
            self.last_seconds = seconds if seconds is not None else self.last_seconds
            self.last_error = error
            if error is not None:
                log.warning("recompute failed: %s", error)
                self._failed_on = version
            if self._pending:
                self._pending = False
                again = True
            else:
                self._running = False
            self._cond.notify_all()
        if again:
            self._start()

    def status(self) -> RecomputeStatus:
        with self._cond:
            return RecomputeStatus(self._running, self._pending, self.runs, self.last_error,
                                   self.last_seconds)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no recomputation runs or waits (tests, shutdown); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._running, timeout)

    def shutdown(self) -> None:
        """Stop the worker; a run asked for meanwhile is dropped (the scores stay marked
        stale, so the next server recomputes them)."""
        with self._cond:
            self._pending = False
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _recompute(path: str, job: tuple[str, str]) -> tuple[float, str | None, str | None]:
    """In the worker: run the recomputation; (seconds, error message or None, workspace
    version after the run)."""
    from geo.exceptions import SiapError
    from geo.io.workspace import Workspace

    t0 = time.perf_counter()
    ws = Workspace(path)
    fn = getattr(importlib.import_module(job[0]), job[1])
    error = None
    try:
        fn(ws)
    except SiapError as exc:
        error = str(exc)
    except Exception as exc:  # a bug: reported on the page, logged by the server
        error = f"{type(exc).__name__}: {exc}"
    try:
        version = ws.version()
    except OSError:
        version = None
    return time.perf_counter() - t0, error, version


_STORES: dict[str, Any] = {}


def run_write(path: str, job: Callable[..., T], *args: Any) -> T:
    """On the writer (its process, or its thread in tests): ``job(store, *args)`` with the
    writer's own store of the workspace at ``path`` (configurations and road sections
    cached per version, as in the recomputation lane's workers)."""
    from ..deps import WorkspaceStore

    store = _STORES.get(path)
    if store is None:
        store = _STORES[path] = WorkspaceStore(path)
    return job(store, *args)


class Writes:
    """The server's writer queue and its background recomputation, for one workspace.

    Parameters
    ----------
    path
        The workspace GeoPackage.
    processes
        Write and recompute in worker processes (the server) or on threads (tests).
    job
        The recomputation (``(module, function)``), default :data:`RECOMPUTE_JOB`.
    """

    def __init__(self, path: str, *, processes: bool = True,
                 job: tuple[str, str] = RECOMPUTE_JOB):
        self.path = path
        self.queue = WriteQueue(processes=processes)
        self.recomputer = Recomputer(path, job=job, processes=processes)

    def start(self) -> None:
        """Start the writer's worker process (server start-up)."""
        self.queue.start()

    async def run(self, job: Callable[..., T], *args: Any) -> T:
        """Run one write, ``job(store, *args)``, on the queue (:func:`run_write`), without
        asking for a recomputation (the caller knows whether the scores changed)."""
        result: T = await self.queue.run(run_write, self.path, job, *args)
        return result

    async def apply(self, job: Callable[..., T], *args: Any) -> T:
        """Run one write, ``job(store, *args)`` (:func:`run_write`: a module-level function
        and plain arguments, which pickle), on the queue; when it made a new version
        (``n_changes`` > 0), ask for one background recomputation."""
        result: T = await self.queue.run(run_write, self.path, job, *args)
        if int(getattr(result, "n_changes", 1) or 0) > 0:
            self.recomputer.request()
        return result

    def shutdown(self) -> None:
        self.recomputer.shutdown()
        self.queue.shutdown()
