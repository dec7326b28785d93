"""Shared dependencies: the workspace store and its per-version response cache.

Every response is computed once per workspace version (:meth:`Workspace.version`) and
kept, so a page view or a GeoJSON download is a dictionary lookup. When the GeoPackage
changes (a new ``siapwisata score`` run, an import), the next request sees a new version
and the cache starts afresh; nothing needs restarting. The whole answers of the version
left (:class:`api.fastpath.Kept`) are kept as its previous generation: the fast path sends
one, marked as old, while the current answer is built (stale-while-revalidate).

The cache is bounded by memory (bytes, ``SIAPWISATA_API_CACHE_MB``, the previous
generation's answers first out, then the least recently used), not by a count of entries: a priorities download and a health answer differ by
a factor of 10,000. New budgets and weight sets are computed on the bounded recomputation
lane (:mod:`api._lane`) through :meth:`WorkspaceStore.compute`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

from fastapi import Depends, Request

from geo.exceptions import WorkspaceError
from geo.io.workspace import Workspace
from geo.settings import get_settings
from maps import Basemaps, MapData, as_tuple, load_map_data

from ._lane import RecomputeLane, raise_job_error, run_job
from ._util import Body

if TYPE_CHECKING:
    from geo.access import AccessResult
    from geo.network import NetworkConfig
    from geo.priorities import PrioritiesConfig, PrioritiesState
    from geo.readiness import DimensionLabel, ReadinessConfig
    from geo.steps.configs import ConfigText

    from .services.writes import Writes

T = TypeVar("T")

_MISSING: Any = object()


def nbytes(value: Any, depth: int = 4, seen: set[int] | None = None) -> int:
    """Approximate memory held by a cached value: array, frame and body bytes, followed
    through containers and object attributes (each object once).

    An estimate for the cache bound, deliberately on the high side for shared parts (the
    graph an engine refers to is counted with each entry that holds it).
    """
    seen = set() if seen is None else seen
    if id(value) in seen or value is None:
        return 0
    seen.add(id(value))
    import numpy as np
    import pandas as pd

    if isinstance(value, Body):
        return len(value.content) + 200
    if isinstance(value, bytes | bytearray | str):
        return sys.getsizeof(value)
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + 100
    if isinstance(value, pd.DataFrame | pd.Series):
        return int(value.memory_usage(index=True, deep=True).sum()) if isinstance(
            value, pd.DataFrame) else int(value.memory_usage(index=True, deep=True))
    if hasattr(value, "indptr") and hasattr(value, "data"):  # scipy sparse
        return sum(int(getattr(value, a).nbytes) for a in ("data", "indices", "indptr"))
    if depth <= 0:
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(nbytes(k, depth - 1, seen) + nbytes(v, depth - 1, seen)
                                          for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return sys.getsizeof(value) + sum(nbytes(v, depth - 1, seen) for v in value)
    attrs = getattr(value, "__dict__", None)
    if attrs is not None:
        return sys.getsizeof(value) + sum(nbytes(v, depth - 1, seen) for v in attrs.values())
    return sys.getsizeof(value)


class _Slot:
    """One key's build: its lock, and the value last built with the version it was built on
    (for the callers that waited on the lock)."""

    __slots__ = ("lock", "value", "version", "waiting")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting = 0
        self.value: Any = None
        self.version: str | None = None


class WorkspaceStore:
    """One workspace, its derived objects and rendered responses, cached per version.

    Thread-safe: FastAPI runs plain ``def`` endpoints in a thread pool. A value is built
    by one thread while others asking for the same key wait for it rather than building
    it again.
    """

    def __init__(self, path: str | os.PathLike[str], *, tiles: Basemaps = None,
                 max_bytes: int | None = None, lane: RecomputeLane | None = None):
        self.ws = Workspace(path)
        self.tiles = as_tuple(tiles)
        self.max_bytes = (max_bytes if max_bytes is not None else
                          get_settings().api_cache_mb * 1024 * 1024)
        self._lane = lane
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, _Slot] = {}
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self.cache_bytes = 0
        self._cache_version: str | None = None
        # the previous generations' kept answers (stale-while-revalidate, api.fastpath):
        # key -> (answer, the version it was built on); counted in cache_bytes
        self._prev: OrderedDict[Hashable, tuple[Any, str]] = OrderedDict()
        self._prev_sizes: dict[Hashable, int] = {}
        self._order: dict[str, int] = {}  # version -> when it was first seen
        self._dropped = 0
        self._stat: tuple[int, int, int] | None = None
        self._version: str | None = None
        self.builds = 0  # how many values were computed (tests check caching with it)

    @property
    def path(self) -> Path:
        return self.ws.path

    @property
    def lane(self) -> RecomputeLane:
        """The recomputation lane, started on first use (worker processes only then)."""
        with self._lock:
            if self._lane is None:
                self._lane = RecomputeLane()
            return self._lane

    @lane.setter
    def lane(self, lane: RecomputeLane) -> None:
        self._lane = lane

    def close(self) -> None:
        """Stop the recomputation lane's workers, if any were started (server shutdown)."""
        with self._lock:
            lane, self._lane = self._lane, None
        if lane is not None:
            lane.shutdown()

    def version(self) -> str:
        """The workspace version; re-read only when the file's stat changes."""
        try:
            st = os.stat(self.ws.path)
        except FileNotFoundError:
            raise WorkspaceError(
                f"workspace {self.ws.path} tidak ditemukan"
            ) from None
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if key != self._stat or self._version is None:
                self._version = self.ws.version()
                self._stat = key
                if self._version not in self._order:  # the order versions were seen in
                    self._order[self._version] = len(self._order) + self._dropped
                    if len(self._order) > 1000:
                        self._order.pop(next(iter(self._order)))
                        self._dropped += 1
            return self._version

    def _fresh(self, version: str) -> None:
        """Start the cache afresh for a new workspace version (caller holds ``_lock``).

        The answers kept for the version being left (:class:`api.fastpath.Kept`: whole
        answers, never the derived objects) become the previous generation, merged over
        older ones: the fast path may send one, marked as old, while the current version's
        answer is built. They still count against ``max_bytes`` and go out first."""
        if version == self._cache_version:
            return
        from .fastpath import Kept

        old_version = self._cache_version
        for key, value in self._cache.items():
            if isinstance(value, Kept) and old_version is not None:
                self._prev.pop(key, None)
                self._prev[key] = (value, old_version)
                self._prev_sizes[key] = self._sizes.get(key, 0)
        self._cache.clear()
        self._sizes.clear()
        self.cache_bytes = sum(self._prev_sizes.values())
        self._key_locks.clear()
        self._cache_version = version

    def previous(self, key: Hashable) -> tuple[Any, str] | None:
        """The answer an earlier version kept for ``key`` and that version, if any: only
        for the fast path's stale-while-revalidate (:mod:`api.fastpath`)."""
        version = self.version()
        with self._lock:
            self._fresh(version)
            got = self._prev.get(key)
            return got if got is not None and got[1] != version else None

    def replace_previous(self, key: Hashable, value: Any, version: str) -> None:
        """Put the marked-stale form of an earlier answer in its place (computed once)."""
        size = nbytes(value)
        with self._lock:
            got = self._prev.get(key)
            if got is not None and got[1] == version:
                self.cache_bytes += size - self._prev_sizes.get(key, 0)
                self._prev[key] = (value, version)
                self._prev_sizes[key] = size
                self._evict(keep=None)

    def lookup(self, key: Hashable, default: Any = _MISSING) -> Any:
        """The cached value for ``key`` at the current version, or ``default``; never builds."""
        version = self.version()
        with self._lock:
            self._fresh(version)
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        return default

    def put(self, key: Hashable, value: Any, version: str) -> None:
        """Keep ``value`` for ``key`` if the cache still holds ``version`` (the version it
        was computed on). A whole answer (:class:`api.fastpath.Kept`) of a version left
        meanwhile becomes the earlier answer for ``key`` when it is newer than the one
        kept: while versions follow each other faster than a map page is built, no
        answer would otherwise ever be kept, and every reader would wait for a build."""
        from .fastpath import Kept

        size = nbytes(value)
        with self._lock:
            if self._cache_version == version:
                self._keep(key, value, size)
            elif isinstance(value, Kept) and key not in self._cache:
                order = self._order.get(version)
                got = self._prev.get(key)
                if order is not None and (got is None or self._order.get(got[1], -1) < order):
                    self.cache_bytes += size - self._prev_sizes.get(key, 0)
                    self._prev[key] = (value, version)
                    self._prev.move_to_end(key)
                    self._prev_sizes[key] = size
                    self._evict(keep=None)

    def _keep(self, key: Hashable, value: Any, size: int) -> None:
        """Store ``value`` (``size`` bytes) as the newest entry and evict to the bound
        (caller holds ``_lock``); an earlier version's answer for it is no longer needed."""
        if key in self._prev:
            self._prev.pop(key)
            self.cache_bytes -= self._prev_sizes.pop(key, 0)
        self.cache_bytes += size - self._sizes.get(key, 0)
        self._cache[key] = value
        self._cache.move_to_end(key)
        self._sizes[key] = size
        self._evict(keep=key)

    def cached(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value for ``key`` at the current version, building it at most once.

        Callers waiting for the same build get its value even when a new version came
        meanwhile (they asked on the version it was built on): each of them built it
        again, one after the other, while writes made new versions every few seconds."""
        version = self.version()
        with self._lock:
            self._fresh(version)
            if key in self._cache:
                self._cache.move_to_end(key)
                return cast(T, self._cache[key])
            slot = self._key_locks.setdefault(key, _Slot())
            slot.waiting += 1
        try:
            with slot.lock:
                if slot.version == version:
                    return cast(T, slot.value)
                with self._lock:
                    if self._cache_version == version and key in self._cache:
                        return cast(T, self._cache[key])
                value = build()
                size = nbytes(value)
                slot.version, slot.value = version, value
                with self._lock:
                    self.builds += 1
                    if self._cache_version == version:
                        self._keep(key, value, size)
                return value
        finally:
            with self._lock:  # the last caller out lets the value go (the bound is the cache's)
                slot.waiting -= 1
                if slot.waiting == 0:
                    slot.value = slot.version = None

    def _evict(self, keep: Hashable | None) -> None:
        """Out until the cache fits ``max_bytes``: first the previous generations' answers
        (oldest first), then the current version's least recently used entries (the
        newest entry stays even when alone it is larger: it is about to be served)."""
        while self.cache_bytes > self.max_bytes and self._prev:
            old, _ = self._prev.popitem(last=False)
            self.cache_bytes -= self._prev_sizes.pop(old, 0)
        while self.cache_bytes > self.max_bytes and len(self._cache) > 1:
            old = next(iter(self._cache))
            if old == keep:
                self._cache.move_to_end(old)
                old = next(iter(self._cache))
            self._cache.pop(old)
            self.cache_bytes -= self._sizes.pop(old, 0)

    async def compute(self, key: Hashable, job: tuple[str, str], *args: Any) -> Any:
        """Like :meth:`cached`, for values that cost a recomputation (a new budget or weight
        set): a hit is answered at once; a miss is computed by ``module.function(store,
        *args)`` (``job``) in a worker process of the bounded lane, and waited for without
        holding a thread; the answer is cached here.

        Raises
        ------
        api._lane.Busy
            The lane is full (answered 503 with ``Retry-After``).
        """
        hit = self.lookup(key)
        if hit is not _MISSING:
            return hit
        future = self.lane.submit(key, run_job, str(self.path), job, *args)
        seen, value = await asyncio.wrap_future(future)
        raise_job_error(value)
        version = self.version()
        if seen == version:  # computed on the version this cache holds
            size = nbytes(value)
            with self._lock:
                self._fresh(version)
                if key not in self._cache:
                    self._keep(key, value, size)
                    self.builds += 1
        return value

    # --- configurations: those the stored layers were computed with -----------------

    def readiness(self) -> tuple[ReadinessConfig, ConfigText]:
        """The readiness configuration of the stored ``scores`` layer (as the workspace
        recorded it; an explicit ``SIAPWISATA_READINESS_CONFIG`` wins; else the default)."""
        from geo.steps import workspace_readiness_config

        return self.cached(("readiness",), lambda: workspace_readiness_config(self.ws))

    def readiness_config(self) -> ReadinessConfig:
        return self.readiness()[0]

    def dimensions(self) -> dict[str, DimensionLabel]:
        """Labels of the agency dimensions (:func:`geo.readiness.dimension_labels`)."""
        from geo.readiness import dimension_labels

        return dimension_labels(self.readiness_config())

    def network(self) -> tuple[NetworkConfig, ConfigText]:
        """The network configuration the stored ``scores`` were computed with."""
        from geo.steps import workspace_network_config

        return self.cached(("network",), lambda: workspace_network_config(self.ws))

    def priorities_config(self) -> tuple[PrioritiesConfig, ConfigText]:
        """The priorities configuration of the stored ``priorities`` layer."""
        from geo.steps import workspace_priorities_config

        return self.cached(("priorities_config",), lambda: workspace_priorities_config(self.ws))

    def synthetic(self) -> bool:
        """Whether the workspace holds synthetic data (:meth:`geo.io.workspace.Workspace.holds_synthetic`,
        the one rule of every page's "DATA CONTOH (SINTETIS)" label); False with no
        workspace yet."""
        return self.cached(("synthetic",),
                           lambda: self.ws.exists and self.ws.holds_synthetic())

    # --- derived objects shared by several endpoints ---------------------------------

    def access(self) -> AccessResult:
        """The accessibility engine's result for this version."""
        from geo.steps import compute_access

        return self.cached(("access",),
                           lambda: compute_access(self.ws.require(), self.network()[0]))

    def map_data(self) -> MapData:
        def build() -> MapData:
            ws = self.ws.require()
            needs_access = ws.has("roads") and ws.has("destinations") and ws.has("gateways")
            return load_map_data(ws, access=self.access() if needs_access else None,
                                 compute_access=False)

        return self.cached(("map_data",), build)

    def score_inputs(self) -> Any:
        """Destination attributes joined with the access table (readiness inputs)."""
        from geo.steps import build_inputs

        return self.cached(("score_inputs",), lambda: build_inputs(self.ws, self.access()))

    def priorities_state(self, authority: str) -> PrioritiesState:
        """The prepared priorities run for an authority: a new budget re-runs only the
        greedy selection from it (:func:`geo.priorities.select_priorities`)."""
        import pandas as pd

        from geo.priorities import prepare_priorities
        from geo.steps import inputs_synthetic

        def build() -> PrioritiesState:
            data = self.map_data()
            if data.destinations is None:
                raise WorkspaceError("layer 'destinations' belum ada")
            from ._util import is_synthetic

            return prepare_priorities(
                self.access(), data.destinations, authority=authority,
                score_inputs=pd.DataFrame(self.score_inputs()),
                config=self.priorities_config()[0], readiness=self.readiness_config(),
                synthetic=inputs_synthetic(self.ws) or is_synthetic(data.roads))

        return self.cached(("priorities_state", authority), build)


async def get_store(request: Request) -> WorkspaceStore:
    """FastAPI dependency: the store created by :func:`api.main.create_app`.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency on the
    thread pool, and that hop alone cost /health ~80 ms under 50 clients."""
    return cast(WorkspaceStore, request.app.state.store)


StoreDep = Annotated[WorkspaceStore, Depends(get_store)]
"""The store of the app, as every router declares it (``store: StoreDep``)."""


async def get_writes(request: Request) -> Writes:
    """FastAPI dependency: the server's writer queue and background recomputation
    (:class:`api.services.writes.Writes`, created by :func:`api.main.create_app`)."""
    return cast("Writes", request.app.state.writes)


WritesDep = Annotated["Writes", Depends(get_writes)]
"""The writer queue every write endpoint sends its change through (``writes: WritesDep``)."""
