"""geo._parallel.fork_map: results in order, work really forked, and the cases where it
must run here instead (one worker, a daemon process, a nested call, a dead child)."""

from __future__ import annotations

import multiprocessing
import os

import numpy as np
import pytest

import geo._parallel as parallel
from geo._parallel import fork_map


def _where(piece: list[int]) -> tuple[int, list[int]]:
    return os.getpid(), [x * x for x in piece]


def test_results_come_back_in_order_from_other_processes() -> None:
    pieces = [list(range(i, i + 3)) for i in range(0, 60, 3)]
    got = fork_map(_where, pieces, workers=2)
    assert [r for _, r in got] == [[x * x for x in p] for p in pieces]
    assert os.getpid() not in {pid for pid, _ in got}  # computed in the children


def test_children_see_the_parent_state_and_do_not_change_it() -> None:
    big = np.arange(1_000_000, dtype=np.int64)  # inherited, never pickled

    def fn(i: int) -> int:
        big[0] = os.getpid()  # written in the child's own copy only
        return int(big[1 + i::7].sum())

    assert fork_map(fn, list(range(7)), workers=2) == [int(big[1 + i::7].sum())
                                                       for i in range(7)]
    assert big[0] == 0


@pytest.mark.parametrize("workers", [1, 0])
def test_one_worker_runs_here(workers: int) -> None:
    assert {pid for pid, _ in fork_map(_where, [[1], [2]], workers=workers)} == {os.getpid()}


def test_a_daemon_process_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    # Dask's worker processes are daemons, which may not have children
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True)
    assert {pid for pid, _ in fork_map(_where, [[1], [2]], workers=2)} == {os.getpid()}


def test_a_nested_call_runs_in_the_child() -> None:
    def outer(piece: list[int]) -> tuple[int, set[int]]:
        inner = fork_map(_where, [piece, piece], workers=2)
        return os.getpid(), {pid for pid, _ in inner}

    for pid, inner in fork_map(outer, [[1], [2], [3]], workers=2):
        assert inner == {pid}


def test_a_dead_child_makes_the_pieces_run_here() -> None:
    parent = os.getpid()

    def fn(piece: list[int]) -> tuple[int, list[int]]:
        if os.getpid() != parent:
            os._exit(1)  # as a child killed for memory
        return _where(piece)

    got = fork_map(fn, [[1], [2], [3]], workers=2)
    assert got == [(parent, [1]), (parent, [4]), (parent, [9])]
    assert parallel._JOB is None


def test_an_error_in_a_child_reaches_the_caller() -> None:
    def fn(piece: list[int]) -> int:
        raise ValueError(f"potongan {piece}")

    with pytest.raises(ValueError, match="potongan"):
        fork_map(fn, [[1], [2]], workers=2)
    assert parallel._JOB is None


def test_worker_count() -> None:
    assert parallel.worker_count(3) == 3
    assert parallel.worker_count(None) == parallel.default_workers() >= 1
