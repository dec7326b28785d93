"""The writer queue's worker process (issue 12): writes leave the server's interpreter,
stay one at a time, answer errors as before, and survive the worker being killed.

Values are checked in the workspace read directly (layers and the ``versions`` table),
never through the API's own answers.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import random
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from api.deps import WorkspaceStore
from api.errors import BadParameter, NotFound, WriteInterrupted, status_of
from api.services.contribute import write_destination
from api.services.writes import Writes
from geo.exceptions import InputError, Problem, ScopeError, SiapError, StaleVersion
from geo.io.workspace import Workspace
from tests.api._writers import NO_RECOMPUTE, copy_served, editor, last_version

FIELD = "pengunjung_tahun"


def pid_then_write(store: WorkspaceStore, pidfile: str, *args: Any) -> Any:
    """A write that first says which process runs it (the test kills that process)."""
    Path(pidfile).write_text(str(os.getpid()))
    return write_destination(store, *args)


def writer_pid(store: WorkspaceStore) -> int:
    return os.getpid()


def _dest(path: Path) -> str:
    return str(Workspace(path).read_table("destinations")["id"].iloc[0])


def _stored(path: Path, dest: str) -> float:
    table = Workspace(path).read_table("destinations")
    return float(table.loc[table["id"].astype(str) == dest, FIELD].iloc[0])


def _versions(path: Path) -> Any:
    return Workspace(path).read_table("versions")


@pytest.fixture
def writes_path(served: Path, tmp_path: Path) -> Any:
    path = copy_served(served, tmp_path)
    writes = Writes(str(path), processes=True, job=NO_RECOMPUTE)
    yield writes, path
    writes.shutdown()


def test_every_domain_error_survives_pickling() -> None:
    """Errors raised in the worker come back whole: same class, message and fields."""
    from api._lane import Busy
    from maps import UnknownArea

    errors: list[SiapError] = [
        InputError([Problem("jalan.csv", "nilai tidak sah", 3, "condition")] * 7, shown=2),
        BadParameter("body.lon", "isi bujur"), UnknownArea("mimika", ["Agimuga", "Jita"]),
        Busy(4, 5), WriteInterrupted(), StaleVersion("versi berubah"),
        ScopeError("bukan wewenang"), NotFound("tidak ada")]
    for exc in errors:
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc)
        assert vars(back) == vars(exc) and status_of(back) == status_of(exc)


def test_writes_run_in_one_other_process_one_at_a_time(writes_path: Any) -> None:
    writes, path = writes_path
    dest = _dest(path)
    first = last_version(path)

    async def run() -> list[Any]:
        pids = await asyncio.gather(*(writes.queue.run(_call_pid, str(path)) for _ in range(3)))
        applied = await asyncio.gather(*(
            writes.apply(write_destination, editor("pariwisata"), dest, {FIELD: 1000 + i})
            for i in range(6)))
        return [pids, applied]

    pids, applied = asyncio.run(run())
    assert len(set(pids)) == 1 and pids[0] != os.getpid()
    # six versions, one after the other, none lost: the last one queued is stored
    assert sorted(a.version for a in applied) == list(range(first + 1, first + 7))
    assert _stored(path, dest) == 1000 + 5
    assert last_version(path) == first + 6


def _call_pid(path: str) -> int:
    from api.services.writes import run_write

    return run_write(path, writer_pid)


def test_errors_of_the_worker_are_the_same_answers(writes_path: Any) -> None:
    writes, path = writes_path
    dest = _dest(path)
    with pytest.raises(NotFound):
        asyncio.run(writes.apply(write_destination, editor("pariwisata"), "NOPE", {FIELD: 1}))
    with pytest.raises(ScopeError):  # PU may not edit visitors
        asyncio.run(writes.apply(write_destination, editor("pu"), dest, {FIELD: 1}))
    with pytest.raises(InputError) as err:
        asyncio.run(writes.apply(write_destination, editor("pariwisata"), dest,
                                 {FIELD: "banyak"}))
    assert err.value.problems and status_of(err.value) == 422
    assert writes.queue.applied == 3
    # after a lifespan's shutdown the queue starts a new worker (the rule of both executors)
    writes.shutdown()
    with pytest.raises(NotFound):
        asyncio.run(writes.apply(write_destination, editor("pariwisata"), "NOPE", {FIELD: 1}))


def test_kill_9_of_the_writer_mid_write_leaves_the_workspace_whole(
        writes_path: Any, tmp_path: Path) -> None:
    """The worker killed at a random moment of a write, five times: each change is either
    fully in (value and its version row) or fully out, and the next write works."""
    writes, path = writes_path
    dest = _dest(path)
    rng = random.Random(20240517)
    pidfile = tmp_path / "writer.pid"
    asyncio.run(writes.queue.run(_call_pid, str(path)))  # the worker is up
    interrupted = 0
    for i in range(5):
        pidfile.unlink(missing_ok=True)
        before_value, before_version = _stored(path, dest), last_version(path)
        value = 5000 + i
        outcome: list[Any] = []

        def write(value: int, outcome: list[Any]) -> None:
            try:
                outcome.append(asyncio.run(writes.apply(
                    pid_then_write, str(pidfile), editor("pariwisata"), dest, {FIELD: value})))
            except Exception as exc:  # the test looks at which
                outcome.append(exc)

        t = threading.Thread(target=write, args=(value, outcome))
        t.start()
        end = time.monotonic() + 60
        while not pidfile.exists() and time.monotonic() < end:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.9))
        os.kill(int(pidfile.read_text()), signal.SIGKILL)
        t.join(60)
        assert len(outcome) == 1
        stored, version = _stored(path, dest), last_version(path)
        if isinstance(outcome[0], WriteInterrupted):
            interrupted += 1
            assert status_of(outcome[0]) == 503
            # fully out, or (killed after the commit) fully in: value and version together
            assert (stored, version) in ((before_value, before_version),
                                         (value, before_version + 1))
        else:
            assert outcome[0].version == before_version + 1 and stored == value
        rows = _versions(path)
        assert rows["version"].is_unique
        # the server recovers: the next write starts a new worker and is stored
        after = asyncio.run(writes.apply(write_destination, editor("pariwisata"), dest,
                                         {FIELD: 9000 + i}))
        assert after.version == last_version(path) and _stored(path, dest) == 9000 + i
    assert interrupted >= 1


def _gone(pid: int) -> bool:
    """The process has exited (a zombie not yet reaped by the pool counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:  # no such file, or reaped between open and read (ESRCH)
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_worker_killed_while_idle_costs_the_next_write_nothing(writes_path: Any) -> None:
    """Killed between writes, the worker ran nothing of the next write: that write is run
    on a new worker and stored, never answered 503 (the race the test above hit once:
    its kill landed after the write had finished)."""
    writes, path = writes_path
    dest = _dest(path)
    for i in range(3):
        pid = asyncio.run(writes.queue.run(_call_pid, str(path)))
        os.kill(pid, signal.SIGKILL)
        end = time.monotonic() + 30
        while not _gone(pid) and time.monotonic() < end:
            time.sleep(0.001)
        before = last_version(path)
        after = asyncio.run(writes.apply(write_destination, editor("pariwisata"), dest,
                                         {FIELD: 7000 + i}))
        assert after.version == before + 1 == last_version(path)
        assert _stored(path, dest) == 7000 + i

