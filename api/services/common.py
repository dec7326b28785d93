"""Answering from the store: a cached body, the thread pool, or the recomputation lane."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Hashable

from starlette.concurrency import run_in_threadpool

from .._util import Body
from ..deps import WorkspaceStore


async def answer(store: WorkspaceStore, key: Hashable, job: tuple[str, str],
                 *args: object, stored: Callable[[], bool]) -> Body:
    """A cached body at once; else ``job(store, *args)`` in the thread pool when the stored
    layers answer it (``stored()``, itself run in the thread pool), or on the bounded
    recomputation lane (503 + Retry-After when full) when it needs a recomputation."""
    hit = store.lookup(key, None)
    if isinstance(hit, Body):
        return hit
    if await run_in_threadpool(stored):
        fn: Callable[..., Body] = getattr(importlib.import_module(job[0]), job[1])
        return await run_in_threadpool(store.cached, key, lambda: fn(store, *args))
    body = await store.compute(key, job, *args)
    assert isinstance(body, Body)
    return body
