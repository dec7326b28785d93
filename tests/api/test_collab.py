"""Issue 12's concurrency proof, short: ``bench.collab`` (five agencies writing through the
real server while clients read) loses no write and answers no error.

The same code path as ``python -m bench.collab`` (60 s, 50 readers), run for ~10 s with a
few readers so that CI checks it.
"""

from __future__ import annotations

from pathlib import Path

from bench.collab import Acked, _final_values, bench, make_writers, private_copy
from tests.api._writers import agencies


def test_five_agencies_write_while_clients_read(served: Path) -> None:
    record = bench(served, seconds=10, readers=3)
    dims, _ = agencies()
    assert record["agencies"] == dims  # one writer per agency of readiness.toml
    assert all(n >= 1 for n in record["writes_by_agency"].values()), record
    assert record["lost_writes"] == 0, record
    assert record["write_errors"] == 0, record
    assert record["read_errors"] == 0, record
    assert record["read_requests"] > 0 and record["read_p95_ms"] is not None
    # one data version per acknowledged write, none shared, none dropped
    assert record["versions_made"] == record["writes_ok"], record
    assert record["recomputes"] >= 1 and record["settle_seconds"] is not None, record


def test_lost_write_detector_can_fail(served: Path, tmp_path: Path) -> None:
    """A write acknowledged but not stored (here: never sent) is reported as lost."""
    path = private_copy(served, tmp_path)
    writers = make_writers(path)
    w = next(w for w in writers if w.agency == "pariwisata")
    edit = w.plan.next()
    w.acked.append(Acked(edit, 999))
    assert _final_values(path, writers) == [
        f"pariwisata destinations/{edit.key}.pengunjung_tahun != {edit.value!r}"]
