"""Shared dependencies: the workspace store and its per-version response cache.

Every response is computed once per workspace version (:meth:`Workspace.version`) and
kept, so a page view or a GeoJSON download is a dictionary lookup. When the GeoPackage
changes (a new ``siapwisata score`` run, an import), the next request sees a new version
and the cache starts afresh; nothing needs restarting.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from fastapi import Request

from geo.exceptions import WorkspaceError
from geo.workspace import Workspace
from maps._data import MapData, load_map_data
from maps._layers import Tiles

if TYPE_CHECKING:
    from geo.access import AccessResult
    from geo.readiness import ReadinessConfig

T = TypeVar("T")


class WorkspaceStore:
    """One workspace, its derived objects and rendered responses, cached per version.

    Thread-safe: FastAPI runs plain ``def`` endpoints in a thread pool. A value is built
    by one thread while others asking for the same key wait for it rather than building
    it again.
    """

    def __init__(self, path: str | os.PathLike[str], *, tiles: Tiles | None = None,
                 max_entries: int = 512):
        self.ws = Workspace(path)
        self.tiles = tiles
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._cache_version: str | None = None
        self._stat: tuple[int, int, int] | None = None
        self._version: str | None = None
        self.builds = 0  # how many values were computed (tests check caching with it)

    @property
    def path(self) -> Path:
        return self.ws.path

    def version(self) -> str:
        """The workspace version; re-read only when the file's stat changes."""
        try:
            st = os.stat(self.ws.path)
        except FileNotFoundError:
            raise WorkspaceError(
                f"workspace {self.ws.path} tidak ditemukan (not found)"
            ) from None
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if key != self._stat or self._version is None:
                self._version = self.ws.version()
                self._stat = key
            return self._version

    def cached(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value for ``key`` at the current version, building it at most once."""
        version = self.version()
        with self._lock:
            if version != self._cache_version:
                self._cache.clear()
                self._key_locks.clear()
                self._cache_version = version
            if key in self._cache:
                self._cache.move_to_end(key)
                return cast(T, self._cache[key])
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if self._cache_version == version and key in self._cache:
                    return cast(T, self._cache[key])
            value = build()
            with self._lock:
                self.builds += 1
                if self._cache_version == version:
                    self._cache[key] = value
                    while len(self._cache) > self.max_entries:
                        self._cache.popitem(last=False)
            return value

    # --- derived objects shared by several endpoints ---------------------------------

    def access(self) -> AccessResult:
        """The accessibility engine's result for this version."""
        from geo.access import compute_access

        return self.cached(("access",), lambda: compute_access(self.ws.require()))

    def map_data(self) -> MapData:
        def build() -> MapData:
            ws = self.ws.require()
            needs_access = ws.has("roads") and ws.has("destinations") and ws.has("gateways")
            return load_map_data(ws, access=self.access() if needs_access else None,
                                 compute_access=False)

        return self.cached(("map_data",), build)

    def readiness_config(self) -> ReadinessConfig:
        from geo.readiness import load_readiness_config

        return self.cached(("readiness_config",), load_readiness_config)

    def score_inputs(self) -> Any:
        """Destination attributes joined with the access table (readiness inputs)."""
        from geo.readiness import build_inputs

        return self.cached(("score_inputs",), lambda: build_inputs(self.ws, self.access()))


def get_store(request: Request) -> WorkspaceStore:
    """FastAPI dependency: the store created by :func:`api.main.create_app`."""
    return cast(WorkspaceStore, request.app.state.store)
