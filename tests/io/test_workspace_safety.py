"""Concurrent writers and crashes (issue 10, items 7 and 8).

Writers run as separate processes, as agencies' commands would: ``python -m geo.cli import``
and ``python -m geo.cli score`` started together on one workspace must both land (the
workspace's revision goes up by exactly two and both effects are there), and a writer
killed with SIGKILL at a random moment leaves a workspace that opens and reads, with its
private copy cleaned up on the next open. The independent reference for "no lost write" is
the revision counter: every committed update adds one to it, so a write based on a stale
copy shows up as one missing increment.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import geopandas.testing
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pytest
import shapely

from geo._parallel import workers
from geo.exceptions import WorkspaceError, WorkspaceLocked
from geo.io import workspace as workspace_module
from geo.io.workspace import Source, WkbFrame, Workspace, info
from tests._depth import runs

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _child(code: str, **env: str) -> subprocess.Popen[str]:
    """A Python child process (its own interpreter, so its own locks and pid)."""
    return subprocess.Popen([PY, "-c", textwrap.dedent(code)], env=_env(**env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_line(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    """The child's first stdout line (it prints one when it is in position)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    line = proc.stdout.readline()
    assert line, f"child ended early: {proc.wait()} {proc.stderr.read() if proc.stderr else ''}"
    assert time.monotonic() < deadline
    return line.strip()


def _copies(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if ".tmp.gpkg" in p.name)


def _meta(path: Path) -> dict[str, str]:
    return Workspace(path).metadata()


HOLD = """
    import sys, time
    from geo.io.workspace import Workspace
    ws = Workspace(sys.argv[1] if len(sys.argv) > 1 else {path!r})
    with ws.{what} as stage:
        print("held", flush=True)
        time.sleep({seconds})
"""


def _hold(path: Path, seconds: float, what: str = "lock()") -> subprocess.Popen[str]:
    proc = _child(HOLD.format(path=str(path), what=what, seconds=seconds))
    assert _wait_line(proc) == "held"
    return proc


@pytest.fixture()
def ws_path(demo_ws: Path, copy_ws) -> Path:  # type: ignore[no-untyped-def]
    return Path(copy_ws(demo_ws))


# --- the lock ---------------------------------------------------------------------------


def test_second_writer_times_out_clearly_and_changes_nothing(ws_path: Path) -> None:
    holder = _hold(ws_path, 60)
    try:
        before = ws_path.read_bytes()
        ws = Workspace(ws_path, lock_timeout=0.3)
        t0 = time.monotonic()
        with pytest.raises(WorkspaceLocked) as exc, ws.update() as stage:
            stage.set_meta(never="written")
        assert 0.3 <= time.monotonic() - t0 < 10
        msg = str(exc.value)
        assert "dikunci proses lain" in msg and str(ws_path) in msg
        assert f"pid {holder.pid}" in msg  # names the holder
        assert "tidak ada yang diubah" in msg
        assert ws_path.read_bytes() == before
        assert _copies(ws_path) == []
    finally:
        holder.kill()
        holder.wait()


def test_second_writer_waits_with_a_message_then_writes(ws_path: Path) -> None:
    holder = _hold(ws_path, 1.5)
    said: list[str] = []
    ws = Workspace(ws_path, lock_timeout=60, on_wait=said.append)
    rev = int(_meta(ws_path)["revision"])
    t0 = time.monotonic()
    with ws.update() as stage:
        stage.set_meta(after="holder")
    waited = time.monotonic() - t0
    assert holder.wait(timeout=30) == 0
    assert waited > 0.5
    assert len(said) == 1 and "menunggu giliran" in said[0] and str(ws_path) in said[0]
    assert int(_meta(ws_path)["revision"]) == rev + 1


def test_lock_is_freed_by_kill_9(ws_path: Path) -> None:
    holder = _hold(ws_path, 600)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    t0 = time.monotonic()
    with Workspace(ws_path, lock_timeout=5).update() as stage:
        stage.set_meta(after="kill")
    assert time.monotonic() - t0 < 2
    assert _meta(ws_path)["after"] == "kill"


def test_threads_of_one_process_take_turns(ws_path: Path) -> None:
    """The API server and notebooks write from threads: the lock serialises them too."""
    from concurrent.futures import ThreadPoolExecutor

    rev = int(_meta(ws_path)["revision"])

    def bump(i: int) -> None:
        ws = Workspace(ws_path)
        with ws.lock():
            n = int(ws.metadata().get("counter", "0"))  # read-modify-write
            with ws.update() as stage:
                stage.set_meta(counter=n + 1)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(bump, range(8)))
    meta = _meta(ws_path)
    assert meta["counter"] == "8"
    assert int(meta["revision"]) == rev + 8


def test_cli_reports_a_held_lock_in_bahasa_indonesia(ws_path: Path, tmp_path: Path) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("id,name,category,lat,lon\nUJI-1,Pantai Uji,pantai,-4.55,136.88\n")
    holder = _hold(ws_path, 60)
    try:
        before = ws_path.read_bytes()
        r = subprocess.run([PY, "-m", "geo.cli", "import", "destinations", str(csv),
                            "--workspace", str(ws_path)], env=_env(SIAPWISATA_LOCK_TIMEOUT="1"),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 1, r.stderr
        assert "menunggu giliran" in r.stderr
        assert "masih dikunci proses lain" in r.stderr
        assert "Traceback" not in r.stderr
        assert ws_path.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()


def test_bad_lock_timeout_setting_is_named(ws_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from geo.exceptions import WorkspaceError

    monkeypatch.setenv("SIAPWISATA_LOCK_TIMEOUT", "lama")
    with pytest.raises(WorkspaceError, match="SIAPWISATA_LOCK_TIMEOUT"), \
            Workspace(ws_path).update():
        pass


PAUSED_WRITER = """
    import os, sys, time
    from geo.io.workspace import Workspace
    ws = Workspace({path!r})
    with ws.update() as stage:  # its copy is taken: now hold until released
        stage.set_meta(paused_writer="1")
        print("held", flush=True)
        deadline = time.monotonic() + 120
        while not os.path.exists({flag!r}) and time.monotonic() < deadline:
            time.sleep(0.05)
"""


def test_an_import_during_another_write_waits_and_keeps_both(ws_path: Path,
                                                             tmp_path: Path) -> None:
    """Deterministic lost-update check: writer A has taken its copy and is still working
    when ``import`` starts. Without the lock the import copies the old version, finishes
    first, and A's swap then throws the import away; with it, the import waits for A."""
    flag = tmp_path / "release"
    csv = tmp_path / "d.csv"
    csv.write_text("id,name,category,lat,lon\nUJI-A,Pantai Uji,pantai,-4.55,136.88\n")
    rev = int(_meta(ws_path)["revision"])
    a = _child(PAUSED_WRITER.format(path=str(ws_path), flag=str(flag)))
    assert _wait_line(a) == "held"
    b = subprocess.Popen([PY, "-m", "geo.cli", "import", "destinations", str(csv),
                          "--workspace", str(ws_path)], env=_env(), text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        b.wait(timeout=20)  # without a lock it is done by now; with one it is waiting
    except subprocess.TimeoutExpired:
        pass
    flag.touch()
    assert a.wait(timeout=120) == 0
    _, err = b.communicate(timeout=300)
    assert b.returncode == 0, err
    meta = _meta(ws_path)
    assert meta["paused_writer"] == "1"
    assert "UJI-A" in set(Workspace(ws_path).read("destinations")["id"].astype(str))
    assert int(meta["revision"]) == rev + 2


@pytest.mark.slow
def test_concurrent_import_and_score_pairs_lose_nothing(ws_path: Path, tmp_path: Path) -> None:
    """Trials of ``import destinations`` and ``score`` started together (processes): 4, or
    20 with ``SIAPWISATA_TEST_DEPTH=full``; either order starts first in half of them."""
    ws = Workspace(ws_path)
    base_ids = set(ws.read("destinations")["id"].astype(str))
    imported: list[str] = []
    for trial in range(runs(4, 20)):
        did = f"UJI-{trial:02d}"
        csv = tmp_path / f"d{trial}.csv"
        # inside Timika (the demo's boundary), 100 m apart per trial
        csv.write_text("id,name,category,lat,lon\n"
                       f"{did},Pantai Uji {trial},pantai,{-4.55 - trial * 0.001:.4f},136.88\n")
        before = _meta(ws_path)
        cmds = [
            [PY, "-m", "geo.cli", "import", "destinations", str(csv), "--workspace",
             str(ws_path)],
            [PY, "-m", "geo.cli", "score", "--workspace", str(ws_path)],
        ]
        if trial % 2:  # either may start first
            cmds.reverse()
        procs = [subprocess.Popen(c, env=_env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for c in cmds]
        for p in procs:
            out, err = p.communicate(timeout=600)
            assert p.returncode == 0, (trial, p.args, err)
        imported.append(did)
        after = _meta(ws_path)
        # both writes committed on top of each other: two increments, none lost
        assert int(after["revision"]) == int(before["revision"]) + 2, trial
        assert after["scores_at"] != before.get("scores_at"), trial  # score's write is there
        ids = set(ws.read("destinations")["id"].astype(str))
        assert ids == base_ids | set(imported), trial  # every import is there
        scored = set(ws.read("scores")["id"].astype(str))
        # the scores were computed on one whole version: with or without this trial's site
        assert scored in (base_ids | set(imported), base_ids | set(imported[:-1])), trial
        assert _copies(ws_path) == []


# --- crashes ------------------------------------------------------------------------------


WRITER = """
    import sys
    from geo.io.workspace import Workspace
    ws = Workspace({path!r})
    d = ws.read("destinations")
    print("ready", flush=True)
    i = 0
    while True:  # write until killed
        i += 1
        with ws.update() as stage:
            stage.write("destinations", d)
            stage.set_meta(writer_round=i)
"""


def _layers_read(path: Path) -> None:
    ws = Workspace(path).require()
    for name, geom in pyogrio.list_layers(path):
        if geom is None:
            ws.read_table(str(name))
        else:
            assert len(ws.read(str(name))) >= 0
    assert int(ws.metadata()["revision"]) > 0


@pytest.mark.slow
def test_kill_9_at_random_points_leaves_a_readable_workspace_and_no_copies(
        ws_path: Path) -> None:
    rng = random.Random(20240517)
    leftovers_seen = 0
    for _run in range(8):
        writer = _child(WRITER.format(path=str(ws_path)))
        assert _wait_line(writer) == "ready"
        time.sleep(rng.uniform(0.05, 1.5))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        leftovers_seen += bool(_copies(ws_path))
        _layers_read(ws_path)  # opening sweeps the dead writer's copy
        assert _copies(ws_path) == []
    # the kills did land during writes (else this test would prove nothing)
    assert leftovers_seen >= 2


def test_open_never_deletes_a_live_writers_copy(ws_path: Path) -> None:
    writer = _hold(ws_path, 600, what="update()")
    try:
        live = _copies(ws_path)
        assert len(live) == 1 and f".{writer.pid}." in live[0]
        # a copy from a dead process (pid of a finished child) and an old-style one
        done = subprocess.run([PY, "-c", "import os; print(os.getpid())"], text=True,
                              capture_output=True, check=True)
        dead = ws_path.with_name(f".{ws_path.name}.{done.stdout.strip()}.0badc0de.tmp.gpkg")
        dead.write_bytes(b"x")
        Path(f"{dead}-journal").write_bytes(b"x")
        old = ws_path.with_name(f".{ws_path.name}.0ddba11a.tmp.gpkg")
        old.write_bytes(b"x")
        Workspace(ws_path).require()
        # the dead writer's files go; the live one's stays; an unattributable one waits for
        # the lock to be free
        assert _copies(ws_path) == sorted([live[0], old.name])
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    Workspace(ws_path).require()
    assert _copies(ws_path) == []
    _layers_read(ws_path)


# --- a layer written in chunks (ingest of a large region) ---------------------------------
def _points(first: int, n: int) -> gpd.GeoDataFrame:
    ids = range(first, first + n)
    return gpd.GeoDataFrame({"id": [f"p{i}" for i in ids],
                             "name": [None if i % 3 else f"titik {i}" for i in ids]},
                            geometry=shapely.points(np.arange(first, first + n), 0.0), crs=4326)


def test_a_layer_written_in_chunks_is_all_of_them_in_order(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "chunks.gpkg")
    chunks = [_points(0, 4), _points(4, 0), _points(4, 3), _points(7, 5)]
    with ws.update(create=True) as stage:
        assert stage.write_chunks("sample", iter(chunks)) == 12
    got = ws.read("sample")
    assert got["id"].tolist() == [f"p{i}" for i in range(12)]
    assert shapely.get_x(got.geometry.to_numpy()).tolist() == list(range(12))
    assert got["name"].isna().tolist() == [bool(i % 3) for i in range(12)]


def _lines(first: int, n: int) -> gpd.GeoDataFrame:
    ids = range(first, first + n)
    return gpd.GeoDataFrame({"id": [f"l{i}" for i in ids], "length_m": [1.5 * i for i in ids],
                             "name": [None if i % 2 else f"jalan {i}" for i in ids]},
                            geometry=[shapely.LineString([(i, 0.0), (i, 1.0), (i + 1, 2.5)])
                                      for i in ids], crs=4326)


def _wkb_frame(gdf: gpd.GeoDataFrame) -> WkbFrame:
    data = pd.DataFrame(gdf.drop(columns="geometry"))
    return WkbFrame(data, pa.array(shapely.to_wkb(gdf.geometry.to_numpy()), pa.binary()),
                    "LineString")


def test_frames_of_wkb_are_written_as_the_same_frames_of_shapes(tmp_path: Path) -> None:
    frames = [_lines(0, 3), _lines(3, 0), _lines(3, 4)]
    shapes, wkb = Workspace(tmp_path / "shapes.gpkg"), Workspace(tmp_path / "wkb.gpkg")
    with shapes.update(create=True) as stage:
        assert stage.write_chunks("sample", iter(frames)) == 7
    with wkb.update(create=True) as stage:
        assert stage.write_chunks("sample", (_wkb_frame(f) for f in frames)) == 7
    a, b = shapes.read("sample"), wkb.read("sample")
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))
    assert list(shapely.to_wkb(a.geometry.to_numpy())) == list(
        shapely.to_wkb(b.geometry.to_numpy()))
    # the layer's declared type is the frames' one type, as for shapes
    assert pyogrio.read_info(wkb.path, layer="sample")["geometry_type"] == "LineString"


def test_frames_of_wkb_with_columns_that_do_not_stream_are_written_alike(
        tmp_path: Path) -> None:
    # a date column is written by pyogrio's own conversion: through shapes, the same
    frames = [_lines(0, 2).assign(when=pd.Timestamp("2026-01-02")), _lines(2, 2).assign(
        when=pd.Timestamp("2026-03-04"))]
    shapes, wkb = Workspace(tmp_path / "shapes.gpkg"), Workspace(tmp_path / "wkb.gpkg")
    with shapes.update(create=True) as stage:
        stage.write_chunks("sample", iter(frames))
    with wkb.update(create=True) as stage:
        stage.write_chunks("sample", (_wkb_frame(f) for f in frames))
    geopandas.testing.assert_geodataframe_equal(shapes.read("sample"), wkb.read("sample"))


def test_frames_of_wkb_keep_the_checks_of_a_write(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "roads.gpkg")
    frame = _wkb_frame(_lines(0, 2))
    with pytest.raises(WorkspaceError, match="kolom wajib"), ws.update(create=True) as stage:
        stage.write_chunks("roads", [frame])
    with pytest.raises(ValueError, match="3 geometries for 2 rows"):
        WkbFrame(frame.data, pa.concat_arrays([frame.wkb, frame.wkb[:1]]), "LineString")
    with pytest.raises(ValueError, match="already hold"):
        WkbFrame(frame.data.assign(geometry=1), frame.wkb, "LineString")


def test_a_chunked_write_that_fails_midway_changes_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "chunks.gpkg")
    with ws.update(create=True) as stage:
        stage.write_chunks("sample", [_points(0, 2)])

    def failing() -> Iterator[gpd.GeoDataFrame]:
        yield _points(100, 3)
        raise RuntimeError("putus di tengah")

    with pytest.raises(RuntimeError), ws.update() as stage:
        stage.write_chunks("sample", failing())
    assert ws.read("sample")["id"].tolist() == ["p0", "p1"]


def test_a_chunked_write_is_sent_to_disk_as_it_goes_and_the_update_waits_for_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GDAL does not sync a new file's layer: a flush starts while the frames are still
    written, another once the layer is complete, and the update ends after both."""
    events: list[str] = []
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        events.append("flush")
        time.sleep(0.05)
        real_fsync(fd)

    monkeypatch.setattr(workspace_module.os, "fsync", slow_fsync)

    def frames() -> Iterator[gpd.GeoDataFrame]:
        for i in range(4):
            events.append(f"frame {i}")
            time.sleep(0.02)
            yield _points(10 * i, 3)

    ws = Workspace(tmp_path / "flushed.gpkg")
    with ws.update(create=True) as stage:
        assert stage.write_chunks("sample", frames()) == 12
        events.append("written")
    assert "flush" in events[:events.index("frame 3")]  # during the write
    assert "flush" in events[events.index("written"):]  # and after it
    assert not [t for t in threading.enumerate() if t.name == "siapwisata-flush"]
    assert ws.read("sample")["id"].tolist() == [f"p{10 * i + j}" for i in range(4)
                                                for j in range(3)]


def test_a_flush_asked_for_during_one_runs_once_more_after_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release, started = threading.Event(), threading.Event()
    calls: list[int] = []

    def held_fsync(fd: int) -> None:
        calls.append(fd)
        started.set()
        release.wait(5)

    monkeypatch.setattr(workspace_module.os, "fsync", held_fsync)
    path = tmp_path / "f.bin"
    path.write_bytes(b"x")
    flush = workspace_module._FlushBehind(path)
    flush.kick()
    assert started.wait(5)
    for _ in range(3):  # all while the first one runs: one more flush, not three
        flush.kick()
    release.set()
    flush.wait()
    assert len(calls) == 2
    gone = workspace_module._FlushBehind(tmp_path / "hilang.bin")
    gone.kick()  # a file that is not there: nothing to send, no error
    gone.wait()


def test_synthetic_rows_are_counted_as_a_read_of_the_layer_counts_them(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "provenance.gpkg")
    marked = _points(0, 7).assign(provenance=["synthetic", "osm", None, "synthetic",
                                              "SYNTHETIC", "synthetic ", "synthetic"])
    with ws.update(create=True) as stage:
        stage.write("marked", marked)
        stage.write("real", _points(0, 3).assign(provenance="osm"))
        stage.write("untagged", _points(0, 3))  # no provenance column at all
        stage.write("empty", _points(0, 0).assign(provenance=pd.Series([], dtype=object)))
    # the reference: every value read back by GDAL, compared in Python
    want = int((pyogrio.read_dataframe(ws.path, layer="marked")["provenance"]
                == "synthetic").sum())
    assert want == 3
    assert ws.synthetic_rows("marked") == want
    assert [ws.synthetic_rows(n) for n in ("real", "untagged", "empty", "absent")] == [0] * 4
    assert ws.any_synthetic("real", "untagged", "marked")
    assert not ws.any_synthetic("real", "untagged", "empty", "absent")
    assert not ws.any_synthetic()


@pytest.mark.parametrize("case", ["real", "row", "table_row", "source", "flag", "flag_false"])
def test_holds_synthetic_exactly_when_a_row_a_source_or_the_workspace_says_so(
        tmp_path: Path, case: str) -> None:
    """The one rule of every "DATA CONTOH (SINTETIS)" label, against the workspace read
    back by GDAL and checked in Python."""
    ws = Workspace(tmp_path / f"{case}.gpkg")
    with ws.update(create=True) as stage:
        stage.write("real", _points(0, 4).assign(provenance="osm"))
        stage.write("untagged", _points(0, 2))
        stage.write_table("notes", pd.DataFrame(
            {"id": ["a", "b"], "provenance": ["agency", "agency"]}))
        stage.add_source(Source(name="OSM", layer="real", date="2026-01-01",
                                licence="ODbL"))
        if case == "row":
            stage.write("marked", _points(0, 3).assign(provenance=["osm", "synthetic", None]))
        if case == "table_row":
            stage.write_table("notes", pd.DataFrame(
                {"id": ["a", "b"], "provenance": ["agency", "synthetic"]}))
        if case == "source":
            stage.add_source(Source(name="Contoh", layer="marked", date="2026-01-01",
                                    licence="-", synthetic=True))
        if case in ("flag", "flag_false"):
            stage.set_meta(synthetic="true" if case == "flag" else "false")

    rows = any(
        (pyogrio.read_dataframe(ws.path, layer=name, read_geometry=False)
         .get("provenance", pd.Series(dtype=object)) == "synthetic").any()
        for name in pyogrio.list_layers(ws.path)[:, 0])
    sources = pyogrio.read_dataframe(ws.path, layer="sources", read_geometry=False)
    meta = pyogrio.read_dataframe(ws.path, layer="metadata", read_geometry=False)
    flag = "true" in set(meta.loc[meta["key"] == "synthetic", "value"])
    want = bool(rows or sources["synthetic"].astype(bool).any() or flag)
    assert want == (case in ("row", "table_row", "source", "flag"))
    assert ws.holds_synthetic() == want
    assert info(ws)["synthetic"] == want


def test_the_sources_synthetic_flag_reads_as_bool_however_it_was_stored(
        tmp_path: Path) -> None:
    """Every reader of the sources (info, pages, maps, reports) gets the flag as bool:
    the stored boolean, or text another writer left ("True", "1", "false")."""
    ws = Workspace(tmp_path / "sources.gpkg")
    with ws.update(create=True) as stage:
        stage.write("real", _points(0, 2).assign(provenance="osm"))
        stage.add_source(Source(name="OSM", layer="real", date="2026-01-01", licence="ODbL"))
    assert ws.sources()["synthetic"].tolist() == [False] and not ws.holds_synthetic()
    text = pd.DataFrame({"name": ["a", "b", "c", "d"], "layer": ["real"] * 4,
                         "synthetic": ["True", " 1", "false", ""]})
    # another writer (GDAL itself here), not the workspace's staging, which stores bools
    pyogrio.write_dataframe(text, ws.path, layer="sources")
    assert pd.api.types.is_string_dtype(
        pyogrio.read_dataframe(ws.path, layer="sources")["synthetic"])
    assert ws.sources()["synthetic"].tolist() == [True, True, False, False]
    assert ws.holds_synthetic()


@pytest.mark.parametrize("change", ["none", "gaps", "shifted", "appended_out_of_order"])
def test_a_batched_read_of_any_fids_equals_a_whole_read(
        tmp_path: Path, change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    ws = Workspace(tmp_path / "fids.gpkg")
    with ws.update(create=True) as stage:
        stage.write("sample", _points(0, 25))
    with sqlite3.connect(ws.path) as db:  # fids a later edit of the file may leave
        # the layer's R-tree triggers call GDAL's SQL functions; no read here uses the index
        for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            db.create_function(fn, 1, lambda _geom: 0)
        if change == "gaps":
            db.execute("DELETE FROM sample WHERE fid IN (5, 20)")
        elif change == "shifted":
            db.execute("UPDATE sample SET fid = fid + 100")
        elif change == "appended_out_of_order":
            db.execute("UPDATE sample SET fid = 40 WHERE fid = 3")
    monkeypatch.setattr(workspace_module, "_READ_ROWS", 10)
    got = ws.read("sample")
    want = pyogrio.read_dataframe(ws.path, layer="sample")  # whole, by GDAL
    geopandas.testing.assert_geodataframe_equal(got, want)
    assert len(got) == {"gaps": 23}.get(change, 25)


def test_is_empty_means_missing_or_without_rows(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "empty.gpkg")
    with ws.update(create=True) as stage:
        stage.write("some", _points(0, 2))
        stage.write("none", _points(0, 0))
    assert [ws.is_empty(n) for n in ("some", "none", "absent")] == [False, True, True]


@pytest.mark.parametrize(("batch", "threads"), [(None, 1), (1000, 1), (1000, 2)])
def test_reading_in_batches_changes_no_value_and_keeps_text_in_arrow_buffers(
        andorra_ws: Path, batch: int | None, threads: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if batch:  # ~10 000 roads read 1 000 at a time by fid ranges (on two threads too)
        monkeypatch.setattr(workspace_module, "_READ_ROWS", batch)
    with workers(threads):
        got = Workspace(andorra_ws).read("roads")
    want = pyogrio.read_dataframe(andorra_ws, layer="roads")  # whole
    assert list(got.dtypes) == list(want.dtypes)
    geopandas.testing.assert_geodataframe_equal(got, want)
    # a text column is Arrow buffers (its bytes and an offset per row), not a str per cell
    highway = got["highway"].array
    assert isinstance(highway, pd.arrays.ArrowStringArray)
    assert highway.nbytes < 24 * len(highway)


@pytest.mark.parametrize("batch", [None, 1000])
def test_reading_text_as_categories_keeps_every_value_and_sorts_categories(
        andorra_ws: Path, tmp_path: Path, batch: int | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    path = tmp_path / "roads.gpkg"
    shutil.copyfile(andorra_ws, path)
    ws = Workspace(path)
    with ws.update() as stage:  # a text column with no value at all, and one in few rows
        roads = stage.read("roads")
        roads["empty_text"] = pd.Series(None, index=roads.index, dtype=object)
        roads["rare_text"] = pd.Series(None, index=roads.index, dtype=object)
        roads.loc[roads.index[-3:], "rare_text"] = ["zeta", "alfa", "zeta"]
        stage.write("roads", roads)
    if batch:  # the all-null batches of rare_text meet the batches holding its values
        monkeypatch.setattr(workspace_module, "_READ_ROWS", batch)
    got = ws.read("roads", categories=True)
    # the reference: pyogrio's own whole read, row by row
    want = pyogrio.read_dataframe(path, layer="roads")
    assert list(got.columns) == list(want.columns)
    for name in want.columns:
        if name == "geometry":
            assert got.geometry.geom_equals_exact(want.geometry, 0).all()
            assert got.crs == want.crs
        elif want[name].dtype.kind in "biuf":
            pd.testing.assert_series_equal(got[name], want[name])
        else:  # text: categorical, same value in every row, NA where NA
            assert isinstance(got[name].dtype, pd.CategoricalDtype), name
            cats = list(got[name].cat.categories)
            assert cats == sorted(cats), name
            assert got[name].cat.categories.dtype == "str", name
            assert (got[name].isna() == want[name].isna()).all(), name
            known = want[name].notna()
            assert (got[name][known].astype(str) == want[name][known].astype(str)).all(), name
    assert got["rare_text"].cat.categories.tolist() == ["alfa", "zeta"]
    assert got["empty_text"].isna().all() and not len(got["empty_text"].cat.categories)


@pytest.mark.parametrize(("batch", "threads"), [(None, 1), (1000, 1), (1000, 2)])
def test_read_wkb_gives_the_attributes_of_a_categorical_read_and_the_geometries_as_wkb(
        andorra_ws: Path, batch: int | None, threads: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if batch:
        monkeypatch.setattr(workspace_module, "_READ_ROWS", batch)
    ws = Workspace(andorra_ws)
    with workers(threads):
        attrs, wkb, crs = ws.read_wkb("roads")
    want = ws.read("roads", categories=True)
    pd.testing.assert_frame_equal(attrs, pd.DataFrame(want.drop(columns="geometry")))
    assert crs == want.crs
    # the reference geometries: pyogrio's own whole read, row by row
    whole = pyogrio.read_dataframe(andorra_ws, layer="roads")
    got = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
    assert len(got) == len(whole)
    assert shapely.equals_exact(got, whole.geometry.to_numpy(), 0).all()
    if batch:
        assert wkb.num_chunks >= len(whole) // batch


def test_a_batched_read_never_mixes_two_versions_of_the_file(
        andorra_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    path = tmp_path / "swapped.gpkg"
    shutil.copyfile(andorra_ws, path)
    ws = Workspace(path)
    want = pyogrio.read_dataframe(path, layer="roads")
    monkeypatch.setattr(workspace_module, "_READ_ROWS", 1000)
    real = pyogrio.read_dataframe
    calls = []

    def swapping(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("where"))
        if len(calls) == 2:  # a writer swaps a changed copy in after the first batch
            with ws.update() as stage:
                roads = stage.read("roads")
                stage.write("roads", roads.iloc[::-1])
        return real(*args, **kwargs)

    monkeypatch.setattr(workspace_module.pyogrio, "read_dataframe", swapping)
    got = ws.read("roads")
    # the read started over as one whole read of the new version: reversed, not mixed
    assert calls[-1] is None
    assert got["edge_id"].tolist() == want["edge_id"].tolist()[::-1]


@pytest.mark.parametrize("extra", ["none", "datetime"])
def test_a_layer_written_in_chunks_equals_one_write_of_all_of_them(
        tmp_path: Path, extra: str) -> None:
    """Chunks go to GDAL as one Arrow stream (or frame by frame, for columns pyogrio
    converts itself): the layer must read back as pyogrio's one write of all the rows,
    also when a text column holds only nulls in the first chunk."""
    chunks = [_points(0, 3).assign(note=None, n=1.5), _points(3, 4).assign(note="ada", n=2.0),
              _points(7, 2).assign(note=None, n=np.nan)]
    if extra == "datetime":
        for i, c in enumerate(chunks):
            c["when"] = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=i)
    ws = Workspace(tmp_path / "chunks.gpkg")
    with ws.update(create=True) as stage:
        assert stage.write_chunks("sample", iter(chunks)) == 9
    whole = tmp_path / "whole.gpkg"
    pyogrio.write_dataframe(pd.concat(chunks, ignore_index=True), whole, layer="sample")
    got, want = ws.read("sample"), pyogrio.read_dataframe(whole, layer="sample")
    pd.testing.assert_frame_equal(got, want)
    info, ref = pyogrio.read_info(ws.path, layer="sample"), pyogrio.read_info(whole, layer="sample")
    assert list(info["fields"]) == list(ref["fields"])
    assert list(info["dtypes"]) == list(ref["dtypes"])
    assert info["geometry_type"] == ref["geometry_type"]


@pytest.mark.parametrize("west", [-0.7, 5.0, 137.2, 179.1])
def test_without_a_boundary_the_metric_crs_is_the_utm_zone_of_the_roads_box(
        tmp_path: Path, west: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """The roads' extent decides the zone (the centre of their bounding box), taken from
    the layer's own extent: the layer is not read."""
    lines = [shapely.LineString([(west, -4.5), (west + 0.2, -4.4)]),
             shapely.LineString([(west + 0.6, -4.6), (min(west + 0.9, 179.9), -4.55)])]
    gpd.GeoDataFrame({"u": [1, 3], "v": [2, 4]}, geometry=lines, crs=4326).to_file(
        tmp_path / "ws.gpkg", layer="roads", driver="GPKG")
    minx, _, maxx, _ = shapely.total_bounds(lines)
    # UTM zones are 6 degrees wide from 180 W; south of the equator EPSG 327xx
    want = 32700 + int((minx + maxx) / 2 + 180) // 6 + 1
    ws = Workspace(tmp_path / "ws.gpkg")

    def no_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the roads layer was read")

    monkeypatch.setattr(Workspace, "read", no_read)
    assert ws.metric_crs().to_epsg() == want
