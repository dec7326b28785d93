"""geo._parallel: results in order, work really forked, memory bounded while reading,
and the cases where the pieces must run here instead (one worker, a daemon process, a
nested call, a dead child); work beside the caller in one child; pieces of GIL-free calls
on threads."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time

import numpy as np
import pytest

import geo._parallel as parallel
from geo._parallel import (
    Background,
    fork_beside,
    fork_imap,
    fork_map,
    load_before_fork,
    slices,
    thread_map,
    workers,
)


def _where(piece: list[int]) -> tuple[int, list[int]]:
    return os.getpid(), [x * x for x in piece]


def test_computations_run_here_unless_told() -> None:
    assert parallel.current_workers() == 1
    assert {pid for pid, _ in fork_map(_where, [[1], [2], [3]])} == {os.getpid()}
    with workers(3) as n:
        assert n == parallel.current_workers() == 3
        with workers(None) as m:
            assert m == parallel.default_workers() >= 1
        assert parallel.current_workers() == 3
    assert parallel.current_workers() == 1


def test_what_children_inherit_is_loaded_once_here_before_the_first_fork(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_BEFORE_FORK", [])
    loaded: list[int] = []
    load_before_fork(lambda: loaded.append(os.getpid()))
    fork_map(_where, [[1], [2]])  # one worker: nothing forks, nothing loaded
    assert loaded == []

    def seen(_: object) -> int:
        return len(loaded)  # the parent's list, as it was at the fork

    with workers(2):
        assert fork_map(seen, [0, 1, 2]) == [1, 1, 1]
        fork_map(_where, [[1], [2]])
        with fork_beside(lambda: len(loaded)) as beside:
            assert beside.result() == 1
    assert loaded == [os.getpid()]  # once, here

    monkeypatch.setattr(parallel, "_BEFORE_FORK", [])
    load_before_fork(lambda: loaded.append(-1))
    with workers(2), fork_beside(lambda: len(loaded)) as beside:
        assert beside.result() == 2  # work beside the caller loads first too


def test_work_that_runs_no_compiled_kernel_forks_without_loading_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The ingest's workers (road slices, the POI pass) run no kernel of the network
    search: they fork without loading them, and the first fork that does load them
    still finds them waiting."""
    monkeypatch.setattr(parallel, "_BEFORE_FORK", [])
    loaded: list[int] = []
    load_before_fork(lambda: loaded.append(os.getpid()))
    with workers(2):
        assert list(fork_imap(lambda _: len(loaded), [0, 1, 2], compiled=False)) == [0] * 3
        with fork_beside(lambda: len(loaded), compiled=False) as beside:
            assert beside.result() == 0
        assert loaded == []
        assert fork_map(lambda _: len(loaded), [0, 1]) == [1, 1]
    assert loaded == [os.getpid()]


def test_results_come_back_in_order_from_other_processes() -> None:
    pieces = [list(range(i, i + 3)) for i in range(0, 60, 3)]
    with workers(2):
        got = fork_map(_where, pieces)
    assert [r for _, r in got] == [[x * x for x in p] for p in pieces]
    assert os.getpid() not in {pid for pid, _ in got}  # computed in the children
    assert parallel._JOB is None


def test_children_see_the_parent_state_and_do_not_change_it() -> None:
    big = np.arange(1_000_000, dtype=np.int64)  # inherited, never pickled

    def fn(i: int) -> int:
        big[0] = os.getpid()  # written in the child's own copy only
        return int(big[1 + i::7].sum())

    with workers(2):
        got = fork_map(fn, list(range(7)))
    assert got == [int(big[1 + i::7].sum()) for i in range(7)]
    assert big[0] == 0


def test_at_most_ahead_results_wait_to_be_read() -> None:
    started = multiprocessing.get_context("fork").Value("i", 0)

    def fn(i: int) -> int:
        with started.get_lock():
            started.value += 1
        return i

    with workers(2):
        it = fork_imap(fn, list(range(40)), ahead=3)
        assert next(it) == 0
        # the first was read; at most 3 more were handed out since
        assert started.value <= 4
        assert list(it) == list(range(1, 40))
    assert started.value == 40


def test_a_reader_that_stops_early_leaves_nothing_behind() -> None:
    with workers(2):
        it = fork_imap(_where, [[i] for i in range(50)])
        assert next(it)[1] == [0]
        it.close()  # type: ignore[attr-defined]
        assert parallel._JOB is None
        assert {pid for pid, _ in fork_map(_where, [[1], [2], [3]])} - {os.getpid()}


def test_a_daemon_process_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    # worker processes of Dask's LocalCluster are daemons, which may not have children
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True)
    with workers(2):
        assert {pid for pid, _ in fork_map(_where, [[1], [2]])} == {os.getpid()}


def test_a_nested_call_runs_in_the_child() -> None:
    def outer(piece: list[int]) -> tuple[int, set[int]]:
        inner = fork_map(_where, [piece, piece])
        return os.getpid(), {pid for pid, _ in inner}

    with workers(2):
        for pid, inner in fork_map(outer, [[1], [2], [3]]):
            assert inner == {pid}


def test_a_dead_child_makes_the_pieces_run_here() -> None:
    parent = os.getpid()

    def fn(piece: list[int]) -> tuple[int, list[int]]:
        if os.getpid() != parent and piece[0] >= 3:
            os._exit(1)  # as a child killed for memory
        return _where(piece)

    with workers(2):
        got = fork_map(fn, [[i] for i in range(8)])
    assert [r for _, r in got] == [[i * i] for i in range(8)]
    assert all(pid == parent for pid, r in got if r[0] >= 9)
    assert parallel._JOB is None


def test_an_error_in_a_child_reaches_the_caller() -> None:
    def fn(piece: list[int]) -> int:
        raise ValueError(f"potongan {piece}")

    with workers(2), pytest.raises(ValueError, match="potongan"):
        fork_map(fn, [[1], [2]])
    assert parallel._JOB is None



def test_children_write_to_streams_of_their_own() -> None:
    """A progress display's thread may hold the lock of stdout or stderr at the moment
    of the fork; a child flushing the inherited stream on exit would then wait for it
    for ever. The children print to streams of their own instead."""
    def streams(_: int) -> tuple[str, str, bool]:
        print("tidak terlihat")  # goes nowhere, and never waits for the parent's lock
        return sys.stdout.name, sys.stderr.name, sys.stdout is sys.__stdout__

    with workers(2):
        got = fork_map(streams, list(range(4)))
    assert got == [(os.devnull, os.devnull, False)] * 4


def test_work_beside_runs_in_a_child_while_the_caller_goes_on() -> None:
    state = np.arange(10)
    parent = os.getpid()

    def fn() -> tuple[int, int]:
        return os.getpid(), int(state.sum())

    with workers(2), fork_beside(fn) as beside:
        state[:] = 0  # after the fork: the child keeps what it saw when started
        assert parallel._JOB is None  # the caller may fork again meanwhile
        assert [r for _, r in fork_map(_where, [[1], [2]])] == [[1], [4]]
        pid, total = beside.result()
    assert pid != parent and total == 45


def test_work_beside_has_started_when_the_caller_goes_on() -> None:
    # The job reaches the child through threads of this process; a caller that next
    # holds the GIL (a long C call; here a spin with thread switches made rare) must not
    # keep it from the child: the child is running fn when fork_beside returns.
    flag = multiprocessing.Value("b", 0, lock=False)  # shared memory: no lock, no syscall

    def fn() -> int:
        flag.value = 1
        return 7

    interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        with workers(2), fork_beside(fn) as beside:
            deadline = time.perf_counter() + 20.0  # ends at once when the child runs
            while not flag.value and time.perf_counter() < deadline:
                pass
            seen = flag.value
            assert beside.result() == 7
    finally:
        sys.setswitchinterval(interval)
    assert seen == 1


@pytest.mark.parametrize("n, when", [(1, True), (2, False)])
def test_work_beside_runs_here_at_result_when_not_allowed(n: int, when: bool) -> None:
    calls = []

    def fn() -> int:
        calls.append(os.getpid())
        return 7

    with workers(n), fork_beside(fn, when=when) as beside:
        assert calls == []  # nothing ran yet
        assert beside.result() == 7
        assert beside.result() == 7  # asked again: the same result, not computed again
    assert calls == [os.getpid()]


def test_work_beside_errors_and_dead_children() -> None:
    parent = os.getpid()

    def fails() -> int:
        raise ValueError("di samping")

    def dies() -> int:
        if os.getpid() != parent:
            os._exit(1)
        return os.getpid()

    with workers(2):
        with fork_beside(fails) as beside:
            for _ in range(2):  # the same error each time it is asked
                with pytest.raises(ValueError, match="di samping"):
                    beside.result()
        with fork_beside(dies) as beside:
            assert beside.result() == parent  # computed here once the child died
        # an error in the caller's own work still waits for the child, then propagates
        with pytest.raises(RuntimeError), fork_beside(dies):
            raise RuntimeError("pekerjaan sendiri gagal")
    assert parallel._JOB is None


@pytest.mark.parametrize("n", [0, 1, 7, 99, 100, 101, 1000, 12_345])
@pytest.mark.parametrize("k", [1, 2, 3, 8])
@pytest.mark.parametrize("least", [1, 10, 100])
def test_slices_cover_the_range_in_order(n: int, k: int, least: int) -> None:
    with workers(k):
        got = slices(n, least)
    assert [i for sl in got for i in range(n)[sl]] == list(range(n))
    assert 1 <= len(got) <= k
    if len(got) > 1:  # never pieces too small to be worth a thread
        assert min(sl.stop - sl.start for sl in got) >= least
        assert len(got) == min(k, n // least)


def test_thread_map_runs_pieces_at_once_on_threads_in_order() -> None:
    # both pieces must be running at the same time to pass the barrier: run one after
    # the other, the first would wait for ever (here: fail after the timeout)
    barrier = threading.Barrier(2, timeout=30)

    def fn(i: int) -> tuple[int, int, int]:
        barrier.wait()
        return i * i, threading.get_ident(), parallel.current_workers()

    with workers(2):
        got = thread_map(fn, [3, 4])
    assert [r for r, _, _ in got] == [9, 16]
    assert len({t for _, t, _ in got}) == 2
    assert [w for _, _, w in got] == [1, 1]  # a map inside a piece stays in its thread


def test_thread_map_runs_here_with_one_worker_and_inside_a_forked_child() -> None:
    here = threading.get_ident()

    def fn(i: int) -> int:
        return threading.get_ident()

    assert thread_map(fn, [1, 2, 3]) == [here] * 3

    def in_child(i: int) -> bool:
        inner = threading.get_ident()
        return set(thread_map(lambda _: threading.get_ident(), [1, 2])) == {inner}

    with workers(2):
        assert fork_map(in_child, [1, 2]) == [True, True]


def test_background_work_runs_beside_the_caller_with_its_workers() -> None:
    # the caller and the work meet at the barrier: run at result(), it would wait for ever
    barrier = threading.Barrier(2, timeout=30)
    here = threading.get_ident()

    def work(x: int) -> tuple[int, int, int]:
        barrier.wait()
        return x * x, threading.get_ident(), parallel.current_workers()

    with workers(2):
        job = Background(work, 7)
        barrier.wait()
    value, thread, n = job.result()
    assert value == 49 and thread != here
    assert n == 2  # the caller's workers: maps inside the work use the cores
    # and its thread has ended: a fork after result() copies no running thread
    assert thread not in {t.ident for t in threading.enumerate()}


def test_background_work_raises_its_error_at_result() -> None:
    def fail() -> None:
        raise ValueError("rusak")

    job = Background(fail)
    with pytest.raises(ValueError, match="rusak"):
        job.result()
