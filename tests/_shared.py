"""Read-only workspaces built once per test run and shared by every pytest-xdist worker.

Each worker is its own process with its own session fixtures, so a session workspace (an
ingested extract, the demo, the scored demo) would otherwise be built once per worker: with
two workers, every such build twice. The first worker to ask builds it under a file lock in
the run's common temporary folder (pytest-xdist's documented pattern); the others wait for
the lock and take the finished file.

Sharing relies on what the fixtures already promise: nobody writes to these files (tests
copy them first). :func:`check_unchanged` verifies that at the end of the session, so a test
that breaks the promise fails instead of silently changing another worker's input.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

import pytest

_BUILT: dict[Path, tuple[int, int]] = {}


def _root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker's base is <run>/popen-gwN: the run folder is common to all
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory: pytest.TempPathFactory, key: str, filename: str,
               build: Callable[[Path], None]) -> Path:
    """``<run>/shared-<key>/<filename>``, made by ``build(path)`` by the first caller only.

    ``build`` writes a temporary path that is renamed into place when it returns, so a
    build that fails leaves nothing another worker could take for finished.
    """
    folder = _root(tmp_path_factory) / f"shared-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not path.exists():
            tmp = folder / f"building-{filename}"
            tmp.unlink(missing_ok=True)
            build(tmp)
            os.replace(tmp, path)
    st = path.stat()
    _BUILT[path] = (st.st_size, st.st_mtime_ns)
    return path


def check_unchanged() -> list[str]:
    """Shared files whose size or modification time changed since this worker took them."""
    changed = []
    for path, before in _BUILT.items():
        st = path.stat()
        if (st.st_size, st.st_mtime_ns) != before:
            changed.append(str(path))
    return changed
