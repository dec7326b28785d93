"""The recomputation lane: new budgets and weight sets are computed here, a few at a time.

A new budget or weight set costs seconds of CPU. Computed on the request threads, 50
clients sending new values kept every thread busy, and even cached pages waited (issue 10,
item 9). Here they run on their own small executor (``workers`` at once, ``queue`` more
waiting); a request beyond that is answered at once with 503 and ``Retry-After`` instead of
piling up. The endpoints that may recompute are ``async``: a request waiting for its result
holds no worker thread, so cached pages, answered from the thread pool without touching this
lane, stay fast. Identical requests in flight share one computation and one slot.

The workers are separate processes (``spawn``): numpy, scipy's Dijkstra and pandas hold the
interpreter lock for long stretches, so a recomputation on a thread of the server process
would still stall the event loop and every cached answer. A worker keeps its own
per-version store of the workspace (:func:`run_job`), so its prepared priorities states and
score inputs are built once and reused by every later job it runs.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import (
    BrokenExecutor,
    Executor,
    Future,
    InvalidStateError,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from typing import Any

from geo import exceptions
from geo.exceptions import SiapError
from geo.settings import get_settings

WORKER_NICE = 10
WATCHDOG_S = 1.0


class Busy(SiapError):
    """The recomputation lane is full: try again after ``retry_after`` seconds (503)."""

    def __reduce__(self) -> tuple[object, ...]:  # it may cross from a worker process
        return (type(self), (self.retry_after, self.in_flight))

    def __init__(self, retry_after: int, in_flight: int):
        self.retry_after = retry_after
        self.in_flight = in_flight
        super().__init__(
            f"server sedang menghitung {in_flight} permintaan baru (anggaran/bobot); coba lagi "
            f"dalam {retry_after} detik"
        )


class RecomputeLane:
    """A bounded executor for recomputations, with in-flight sharing per key.

    Parameters
    ----------
    workers
        Recomputations running at once (setting ``api_recompute_workers``, env
        ``SIAPWISATA_API_RECOMPUTE_WORKERS``, default 1: the machines this runs on have 2
        cores, and the other one answers cached pages).
    queue
        Recomputations waiting beyond those (setting ``api_recompute_queue``, env
        ``SIAPWISATA_API_RECOMPUTE_QUEUE``, default 4); 0 answers 503 whenever all workers are busy.
    """

    def __init__(self, workers: int | None = None, queue: int | None = None, *,
                 processes: bool = True):
        settings = get_settings()
        self.workers = workers if workers is not None else settings.api_recompute_workers
        self.queue = queue if queue is not None else settings.api_recompute_queue
        self.processes = processes
        self._pool = self._new_pool()
        self._lock = threading.Lock()
        self._in_flight: dict[Hashable, Future[Any]] = {}
        self._mean_s = 2.0  # running mean of a recomputation, for Retry-After
        self.rejected = 0
        self.completed = 0

    def _new_pool(self) -> Executor:
        if self.processes:
            return ProcessPoolExecutor(self.workers, initializer=_worker_init,
                                       initargs=(os.getpid(),),
                                       mp_context=multiprocessing.get_context("spawn"))
        return ThreadPoolExecutor(self.workers, thread_name_prefix="siap-lane")

    @property
    def capacity(self) -> int:
        return self.workers + self.queue

    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def submit(self, key: Hashable, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """The future of ``fn(*args)`` for ``key``: the one in flight, or a new one if there
        is room. ``fn`` and ``args`` must pickle (module-level function, plain values).

        Raises
        ------
        Busy
            ``workers + queue`` recomputations are in flight already.
        """
        with self._lock:
            fut = self._in_flight.get(key)
            if fut is not None:
                return _follower(fut)
            n = len(self._in_flight)
            if n >= self.capacity:
                self.rejected += 1
                raise Busy(self.retry_after(n), n)
            timed: Future[Any] = Future()
            self._in_flight[key] = timed
        try:
            inner = self._pool.submit(_timed_call, fn, *args)
        except BrokenExecutor:  # a worker died (killed, out of memory): start afresh once
            self._pool = self._new_pool()
            try:
                inner = self._pool.submit(_timed_call, fn, *args)
            except Exception as exc:
                self._fail(key, timed, exc)
                return _follower(timed)
        inner.add_done_callback(functools.partial(self._done, key, timed=timed))
        return _follower(timed)

    def _fail(self, key: Hashable, timed: Future[Any], exc: BaseException) -> None:
        with self._lock:
            self._in_flight.pop(key, None)
        timed.set_exception(exc)

    def retry_after(self, in_flight: int) -> int:
        """Whole seconds until a slot is likely free: the queue ahead, at the mean time."""
        return max(1, math.ceil(self._mean_s * (in_flight - self.workers + 1) / self.workers))

    def _done(self, key: Hashable, inner: Future[Any], *, timed: Future[Any]) -> None:
        outer = timed
        with self._lock:
            self._in_flight.pop(key, None)
            self.completed += 1
        if inner.cancelled():  # the lane was shut down
            outer.cancel()
            return
        exc = inner.exception()
        if exc is not None:
            outer.set_exception(exc)
            return
        seconds, value = inner.result()
        with self._lock:
            self._mean_s = 0.8 * self._mean_s + 0.2 * seconds
        outer.set_result(value)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _follower(shared: Future[Any]) -> Future[Any]:
    """A future of one waiter that follows the shared one: a waiter that goes away (its
    client disconnected, so asyncio cancels what it awaited) cancels only its own."""
    mine: Future[Any] = Future()

    def copy(f: Future[Any]) -> None:
        if mine.cancelled():
            return
        with contextlib.suppress(InvalidStateError):  # cancelled meanwhile: nobody waits
            if f.cancelled():
                mine.cancel()
            elif f.exception() is not None:
                mine.set_exception(f.exception())
            else:
                mine.set_result(f.result())

    shared.add_done_callback(copy)
    return mine


def _worker_init(server_pid: int, nice: int = WORKER_NICE) -> None:
    """A worker yields the CPU to the server process: on a 2-core machine the cached pages
    must not wait behind a recomputation (a lower priority, ``nice`` +WORKER_NICE; the
    writer's worker passes 0: a write must not wait behind page builds either).

    It also ends when the server does: a server stopped (or killed) while a worker idles
    would otherwise leave the worker running, holding its memory, with init as parent.
    """
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    threading.Thread(target=_exit_with, args=(server_pid,), daemon=True,
                     name="siap-lane-watchdog").start()


def _exit_with(server_pid: int, every_s: float = WATCHDOG_S) -> None:
    """Exit this worker once its parent is no longer ``server_pid`` (re-parented: the
    server is gone). Polling the parent id is portable and needs no signal set-up."""
    while os.getppid() == server_pid:
        time.sleep(every_s)
    os._exit(0)


def _timed_call(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Run a job (in a worker) and say how long it took (for ``Retry-After``)."""
    t0 = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - t0, value


# --- in a worker process ----------------------------------------------------------------

_STORES: dict[str, Any] = {}


def run_job(path: str, job: tuple[str, str], *args: Any) -> tuple[str, Any]:
    """In a worker: ``module.function(store, *args)`` on this process's store of the
    workspace at ``path``; returns (workspace version seen, value).

    A user error comes back as ``("error", class name, message)`` and is raised again by
    :func:`raise_job_error` (exceptions with their own constructors do not always pickle).
    """
    from .deps import WorkspaceStore

    store = _STORES.get(path)
    if store is None:
        store = _STORES[path] = WorkspaceStore(path)
    module, name = job
    fn = getattr(importlib.import_module(module), name)
    version = store.version()
    from maps import UnknownArea

    try:
        return version, fn(store, *args)
    except UnknownArea as exc:  # 422 with the list of distrik
        return version, ("error", "UnknownArea", (exc.key, exc.choices))
    except SiapError as exc:
        return version, ("error", type(exc).__name__, str(exc))


def raise_job_error(value: Any) -> None:
    """Raise the user error a worker reported (409/422/503 as if raised here), if any."""
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "error":
        if value[1] == "UnknownArea":
            from maps import UnknownArea

            raise UnknownArea(*value[2])
        cls = getattr(exceptions, value[1], None)
        if not (isinstance(cls, type) and issubclass(cls, SiapError)) or cls in (
                exceptions.InputError, exceptions.WorkspaceLocked):
            cls = exceptions.WorkspaceError if value[1] == "WorkspaceLocked" else SiapError
        raise cls(value[2])
