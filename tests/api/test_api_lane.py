"""The server under load (issue 10, item 9): recomputations on a bounded lane, cached
pages on their own, a cache bounded by bytes.

A real uvicorn server on 127.0.0.1 and httpx clients in threads. The lane (worker
processes) is made to look busy by parking jobs on it that wait for a file, so "full" is a
state the test controls, not a race it hopes to win.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn

from api._lane import RecomputeLane
from api.deps import WorkspaceStore, nbytes
from api.main import create_app
from bench._common import free_port
from bench._common import served as served_process
from bench.load import children
from tests._served import NO_PRIORITIES, has_priorities


@pytest.fixture(scope="module")
def server(served: Path) -> Iterator[tuple[str, WorkspaceStore]]:
    app = create_app(served)
    store: WorkspaceStore = app.state.store
    store.lane = RecomputeLane(workers=1, queue=1)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", store
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def _park(flag: str) -> None:
    """A job (in a worker process) that holds its slot until ``flag`` exists."""
    deadline = time.monotonic() + 300
    while not os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.02)


class Parked:
    """Jobs parked on the lane until released (each holds one slot)."""

    def __init__(self, lane: RecomputeLane, n: int, folder: Path):
        self.flag = folder / f"release-{id(self)}"
        self.futures = [lane.submit(("parked", i, id(self)), _park, str(self.flag))
                        for i in range(n)]

    def release(self) -> None:
        self.flag.touch()

    def __enter__(self) -> Parked:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        for f in self.futures:
            f.result(timeout=120)


WEIGHTS = {"weights": {"pariwisata": 3, "pu": 1, "umkm": 1, "kominfo": 1, "perhubungan": 1}}


def _busy(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    retry = r.headers.get("retry-after")
    assert retry is not None and retry.isdigit() and int(retry) >= 1
    body = r.json()
    assert set(body) <= {"detail", "errors", "choices"}
    assert "coba lagi" in body["detail"]


def test_full_lane_answers_503_with_retry_after_and_cached_pages_stay_fast(
        server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, store = server
    with httpx.Client(base_url=base, timeout=120) as c:
        for url in ("/maps/readiness", "/api/destinations", "/api/umkm", "/health"):
            assert c.get(url).status_code == 200  # warm: these are the cached lane
        with Parked(store.lane, store.lane.capacity, tmp_path):
            _busy(c.post("/api/score", json=WEIGHTS))
            if has_priorities(store.path):
                _busy(c.get("/api/priorities", params={"budget": 12_345_678_901}))
                _busy(c.get("/maps/priorities", params={"budget": 12_345_678_901}))
            # cached pages do not queue behind recomputations
            for url in ("/maps/readiness", "/api/destinations", "/api/umkm", "/health"):
                t0 = time.perf_counter()
                r = c.get(url)
                assert r.status_code == 200, url
                assert time.perf_counter() - t0 < 2.0, url
            assert store.lane.rejected >= 1
        # once a slot is free the same request is computed
        r = c.post("/api/score", json=WEIGHTS)
        assert r.status_code == 200, r.text
        assert len(r.json()["destinations"]) > 0


def test_identical_requests_in_flight_share_one_slot(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, store = server
    weights = {"weights": {"pariwisata": 1, "pu": 5, "umkm": 1, "kominfo": 2, "perhubungan": 1}}
    other = {"weights": {"pariwisata": 1, "pu": 1, "umkm": 7, "kominfo": 1, "perhubungan": 1}}
    # one slot parked (the worker), one left: the queue
    with Parked(store.lane, store.lane.capacity - 1, tmp_path) as parked, \
            ThreadPoolExecutor(4) as pool, httpx.Client(base_url=base, timeout=120) as c:
        same = [pool.submit(c.post, "/api/score", json=weights) for _ in range(3)]
        deadline = time.monotonic() + 30
        while store.lane.in_flight() < store.lane.capacity:  # the first took the queue slot
            assert time.monotonic() < deadline
            time.sleep(0.02)
        _busy(c.post("/api/score", json=other))  # a different weight set: no room
        parked.release()
        answers = [f.result(timeout=120) for f in same]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert len({r.content for r in answers}) == 1


def test_new_budgets_go_through_the_lane_and_reuse_the_prepared_state(server) -> None:  # type: ignore[no-untyped-def]
    base, store = server
    if not has_priorities(store.path):
        pytest.skip(NO_PRIORITIES)
    budgets = (20_000_000_000, 7_000_000_000)
    with httpx.Client(base_url=base, timeout=600) as c:
        answers = [c.get("/api/priorities", params={"budget": b}) for b in budgets]
    for b, r in zip(budgets, answers, strict=True):
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["budget"] == b
        assert 0 < body["selected_cost_rp"] <= b
    # in one store (as in a worker process) the state is prepared once per authority
    from api.services.priorities import priorities_body

    local = WorkspaceStore(store.path)
    first = priorities_body(local, budgets[0], None, "json")
    state = local.lookup(("priorities_state", "kabupaten"), None)
    assert state is not None
    priorities_body(local, budgets[1], None, "json")
    assert local.lookup(("priorities_state", "kabupaten"), None) is state
    assert first.content == answers[0].content  # the worker's answer is the same bytes


def test_cache_is_bounded_by_bytes(served: Path) -> None:
    from api._util import Body

    store = WorkspaceStore(served, max_bytes=50_000)
    bodies = {i: Body(bytes([i % 256]) * 10_000, "application/octet-stream") for i in range(20)}
    for i, body in bodies.items():
        assert store.cached(("blob", i), lambda body=body: body) is body
    assert store.cache_bytes <= 50_000
    kept = [i for i in bodies if store.lookup(("blob", i), None) is not None]
    assert kept == list(range(16, 20))  # least recently used out first
    # a single entry larger than the bound is still served (and the only one kept)
    big = Body(b"x" * 200_000, "application/octet-stream")
    assert store.cached(("big",), lambda: big) is big
    assert store.lookup(("big",), None) is big
    assert [i for i in bodies if store.lookup(("blob", i), None) is not None] == []
    assert nbytes(big) >= 200_000


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_recompute_workers_end_with_the_server(served: Path, stop: str) -> None:
    """A server stopped (or killed) after a recomputation leaves no worker process behind."""
    import signal

    with served_process(served, timeout=300) as (proc, base):
        with httpx.Client(base_url=base, timeout=300) as c:
            r = c.post("/api/score", json={"weights": {"pu": 3}})
            assert r.status_code == 200, r.text
        workers = children(proc.pid)
        assert workers, "the recomputation ran in a worker process"
        proc.send_signal(getattr(signal, stop))
        proc.wait(timeout=60)
        deadline = time.monotonic() + 20
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers)
