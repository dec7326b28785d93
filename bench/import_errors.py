"""Time and peak memory of ``siapwisata import`` on a file in which every row is bad.

Usage::

    python -m bench.import_errors [--rows 8000 200000] [--timeout 900]

For each row count it writes a CSV of destinations in which every row has three
problems (an unknown category, a latitude that is not a number, a visitor count that
is not a whole number), runs ``siapwisata import destinations FILE --workspace WS
--errors ERRORS.csv`` as a separate process on a workspace made of the real Mimika
boundary and kampung, and prints one JSON line per count: wall seconds, the child's
peak resident memory, the exit code, the number of lines printed and of problems in
the errors file. The run is killed after ``--timeout`` seconds (reported as
``finished: false``). CPU seconds are given besides wall seconds: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import child_peak_mb, emit, rss_mb
from geo.io import regions
from geo.io.workspace import Source, Workspace
from geo.settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The repository: the benchmark runs the CLI from its source tree."""


def bad_csv(path: Path, rows: int) -> None:
    """``rows`` destinations, each with three problems."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id;nama;kategori;lintang;bujur;pengunjung_tahun\n")
        for i in range(rows):
            fh.write(f"D{i};Tempat {i};kategori-aneh-{i % 7};abc;136,88;banyak\n")


def mimika_workspace(path: Path, data_dir: Path) -> Workspace:
    """Real Mimika boundary and kampung, nothing else."""
    src = data_dir / "mimika"
    boundary = regions.read_polygons(src / "kabupaten.geojson", "boundary")
    kampung = regions.admin_areas(regions.read_polygons(src / "kampung.geojson", "kampung"),
                                  "kampung.geojson")
    ws = Workspace(path)
    with ws.update(create=True) as stage:
        regions.write_region(
            stage, boundary, name="Mimika",
            boundary_source=Source("kabupaten.geojson", "boundary", "2025-01-01", "MIT"),
            admin=kampung, admin_source=Source("kampung.geojson", "admin_areas", "2025-01-01",
                                               "MIT"))
    return ws


def run(rows: int, ws: Workspace, tmp: Path, timeout: float, *,
        errors_file: bool = True) -> dict[str, object]:
    """One import of ``rows`` bad rows in a child process; its time and peak memory."""
    csv = tmp / f"bad-{rows}.csv"
    errors = tmp / f"errors-{rows}.csv"
    bad_csv(csv, rows)
    args = [sys.executable, "-m", "geo.cli", "import", "destinations", str(csv),
            "--workspace", str(ws.path)]
    if errors_file:
        args += ["--errors", str(errors)]
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(PROJECT_ROOT)}
    parent_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    polled: float | None = None
    t0 = time.perf_counter()
    with open(tmp / "stdout", "wb") as out, open(tmp / "stderr", "wb") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err, cwd=PROJECT_ROOT, env=env)
        finished = True
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            polled = max(polled or 0.0, rss_mb(proc.pid, "VmHWM") or 0.0)
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                finished = False
                break
            time.sleep(0.05)
    seconds = time.perf_counter() - t0
    printed = (tmp / "stderr").read_text(encoding="utf-8", errors="replace").count("\n")
    listed = (errors.read_text(encoding="utf-8").count("\n") - 1) if errors.exists() else None
    return {"bench": "import_errors", "rows": rows, "finished": finished,
            "exit_code": os.waitstatus_to_exitcode(status) if finished else None,
            "seconds": round(seconds, 2),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(child_peak_mb(usage.ru_maxrss, parent_kib, polled or None), 1),
            "lines_printed": printed, "problems_in_errors_file": listed}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[8000, 200000])
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--no-errors-file", action="store_true",
                    help="do not pass --errors (for versions without it)")
    a = ap.parse_args(argv)
    data_dir = get_settings(data_dir=a.data_dir).require_data_dir()
    with tempfile.TemporaryDirectory(prefix="siap-bench-") as tmp_:
        tmp = Path(tmp_)
        ws = mimika_workspace(tmp / "ws.gpkg", data_dir)
        for rows in a.rows:
            emit(run(rows, ws, tmp, a.timeout, errors_file=not a.no_errors_file))


if __name__ == "__main__":
    main()
