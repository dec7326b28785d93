"""Contributions with history (issue 12) on copies of the Mimika demo workspace.

Expected values come from the files written here, from the demo layers read directly with
pyogrio, from the real distrik polygons, or from ``siapwisata import`` itself where the
contract is "exactly as the CLI reports them"; never from the function under test.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.accounts import User
from geo.exceptions import InputError, ScopeError, StaleVersion
from geo.io import road_sections, ruas_rows
from geo.io.history import CHANGES, SCORES_HISTORY, VERSIONS, last_updates
from geo.io.workspace import Workspace
from geo.readiness import load_readiness_config
from geo.steps.contribute import (
    apply_upload,
    edit_destination,
    edit_road,
    history,
    import_recorded,
    preview_upload,
    rollback,
    save_umkm,
    versions,
)
from geo.steps.imports import import_file
from tests._depth import runs as depth_runs
from tests._paths import PROJECT_ROOT

CONFIG = load_readiness_config(PROJECT_ROOT / "data" / "readiness.toml")
PARIWISATA = User("ani", "pariwisata", "editor")
KOMINFO = User("kiki", "kominfo", "editor")
PU = User("putu", "pu", "editor")
UMKM = User("umi", "umkm", "editor")
ADMIN = User("bapp", "bappeda", "admin")
# A point in central Timika (distrik Mimika Baru), inside the regency.
TIMIKA = (136.8826, -4.5487)


def _csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def _layer(path: Path, layer: str) -> pd.DataFrame:
    return pyogrio.read_dataframe(path, layer=layer)


def _table(path: Path, layer: str) -> pd.DataFrame:
    if layer not in pyogrio.list_layers(path)[:, 0]:
        return pd.DataFrame()
    return pyogrio.read_dataframe(path, layer=layer, read_geometry=False)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _row(dest: pd.DataFrame, fid: str, **changes: Any) -> dict[str, Any]:
    """A file row repeating a destination as the layer has it (coordinates to the digit)."""
    r = dest[dest["id"] == fid].iloc[0]
    row = {"id": fid, "nama": r["name"], "kategori": r["category"],
           "lintang": repr(r.geometry.y), "bujur": repr(r.geometry.x)}
    row.update(changes)
    return row


@pytest.fixture()
def ws(demo_ws: Path, tmp_path: Path) -> Workspace:
    dst = tmp_path / "ws.gpkg"
    shutil.copyfile(demo_ws, dst)
    return Workspace(dst)


# --- preview ------------------------------------------------------------------------------


def test_preview_counts_and_values_of_a_hand_built_file(ws: Workspace, tmp_path: Path) -> None:
    dest = _layer(ws.path, "destinations")
    visitors = int(dest.loc[dest["id"] == "DST-003", "pengunjung_tahun"].fillna(0).iloc[0])
    first = _csv(tmp_path / "a.csv", [_row(dest, "DST-003", pengunjung_tahun=visitors),
                                      _row(dest, "DST-004", pengunjung_tahun=visitors)])
    apply_upload(ws, "destinations", first, config=CONFIG, user=PARIWISATA)
    before = _sha(ws.path)
    second = _csv(tmp_path / "b.csv", [
        _row(dest, "DST-003", pengunjung_tahun=visitors + 7),           # changed
        {"id": "DST-901", "nama": "Pantai Baru", "kategori": "wisata bahari",
         "lintang": repr(TIMIKA[1]), "bujur": repr(TIMIKA[0]),
         "pengunjung_tahun": 120},                                      # new
        _row(dest, "DST-004", pengunjung_tahun=visitors),               # unchanged
    ])
    p = preview_upload(ws, "destinations", second, config=CONFIG, user=PARIWISATA)
    assert _sha(ws.path) == before  # a preview writes nothing
    assert (p.rows_read, p.n_new, p.n_changed, p.n_unchanged) == (3, 1, 1, 1)
    assert p.ok and p.problems == [] and p.scope_error is None
    assert p.sha256 == hashlib.sha256(second.read_bytes()).hexdigest()
    got = {(r.feature_id, r.field): (r.old, r.new) for r in p.diffs.itertuples()}
    assert got[("DST-003", "pengunjung_tahun")] == (str(visitors), str(visitors + 7))
    assert [k for k in got if k[0] == "DST-003"] == [("DST-003", "pengunjung_tahun")]
    assert got[("DST-901", "_row")] == ("null", "true")
    assert got[("DST-901", "category")] == ("null", '"pantai"')
    assert got[("DST-901", "pengunjung_tahun")] == ("null", "120")
    assert got[("DST-901", "geometry")] == ("null", json.dumps(f"POINT ({TIMIKA[0]!r} "
                                                              f"{TIMIKA[1]!r})"))
    assert not any(k[0] == "DST-004" for k in got)
    assert list(p.new_points["id"]) == ["DST-901"]
    assert p.new_points.geometry.iloc[0].coords[0] == TIMIKA


def test_problems_are_exactly_the_cli_ones(ws: Workspace, tmp_path: Path) -> None:
    bad = _csv(tmp_path / "bad.csv", [
        {"id": "X-1", "nama": "", "kategori": "pantai", "lintang": "-4.55", "bujur": "136.88"},
        {"id": "X-2", "nama": "Situs", "kategori": "gunung berapi salju", "lintang": "abc",
         "bujur": "136.88"},
        {"id": "X-2", "nama": "Dua", "kategori": "alam", "lintang": "4.55", "bujur": "136.88"},
    ])
    p = preview_upload(ws, "destinations", bad, config=CONFIG, user=PARIWISATA)
    other = Workspace(ws.path.with_name("cli.gpkg"))
    shutil.copyfile(ws.path, other.path)
    with pytest.raises(InputError) as exc:
        import_file("destinations", bad, other)
    assert p.problems == exc.value.problems and len(p.problems) >= 4
    assert p.error == str(exc.value)
    assert not p.ok and (p.n_new, p.n_changed, p.n_unchanged) == (0, 0, 0)
    before = _sha(ws.path)
    with pytest.raises(InputError):
        apply_upload(ws, "destinations", bad, config=CONFIG, user=PARIWISATA)
    assert _sha(ws.path) == before


def _distrik_point(ws: Workspace, name: str) -> tuple[float, float]:
    admin = gpd.read_file(ws.path, layer="admin_areas")
    poly = admin[(admin["level"] == "distrik") & (admin["nama"] == name)].geometry.iloc[0]
    pt = poly.representative_point()
    return float(pt.x), float(pt.y)


def test_warnings_name_unknown_columns_and_a_distrik_mismatch(ws: Workspace,
                                                              tmp_path: Path) -> None:
    lon, lat = _distrik_point(ws, "Agimuga")
    f = _csv(tmp_path / "w.csv", [
        {"id": "DST-950", "nama": "A", "kategori": "alam", "lintang": lat, "bujur": lon,
         "distrik": "Mimika Baru", "Pengunjug Tahun": "10", "Catatan Petugas": "x"},
        {"id": "DST-951", "nama": "B", "kategori": "alam", "lintang": lat, "bujur": lon,
         "distrik": "Distrik AGIMUGA", "Pengunjug Tahun": "", "Catatan Petugas": ""},
    ])
    p = preview_upload(ws, "destinations", f, config=CONFIG, user=PARIWISATA)
    assert p.ok
    unknown = [w for w in p.warnings if "tidak dikenal" in w]
    assert len(unknown) == 2
    assert "'Pengunjug Tahun'" in unknown[0] and "'pengunjung_tahun'" in unknown[0]
    assert "'Catatan Petugas'" in unknown[1] and "maksudnya" not in unknown[1]
    distrik = [w for w in p.warnings if "distrik" in w and "tidak cocok" in w]
    assert len(distrik) == 1  # line 3 names Agimuga, where its point is
    assert "baris 2" in distrik[0] and "Mimika Baru" in distrik[0] and "Agimuga" in distrik[0]


# --- scope ----------------------------------------------------------------------------------


def test_an_upload_outside_the_scope_is_refused_and_changes_nothing(ws: Workspace,
                                                                    tmp_path: Path) -> None:
    dest = _layer(ws.path, "destinations")
    f = _csv(tmp_path / "s.csv", [_row(dest, "DST-001", sinyal="4g", pengunjung_tahun=5)])
    for user in (KOMINFO, PU, UMKM):
        p = preview_upload(ws, "destinations", f, config=CONFIG, user=user)
        assert p.scope_error is not None and not p.ok
        before = _sha(ws.path)
        with pytest.raises(ScopeError, match="destinations"):
            apply_upload(ws, "destinations", f, config=CONFIG, user=user)
        assert _sha(ws.path) == before
    # Pariwisata may not set Kominfo's sinyal either, even with its own columns beside
    p = preview_upload(ws, "destinations", f, config=CONFIG, user=PARIWISATA)
    assert p.scope_error is not None and "sinyal" in p.scope_error


def test_kominfo_changes_only_its_columns_of_a_full_file(ws: Workspace, tmp_path: Path) -> None:
    dest = _layer(ws.path, "destinations")
    apply_upload(ws, "destinations", _csv(tmp_path / "base.csv", [_row(dest, "DST-002")]),
                 config=CONFIG, user=PARIWISATA)
    f = _csv(tmp_path / "k.csv", [_row(dest, "DST-002", sinyal="blank spot",
                                       promosi_medsos="ya")])
    applied = apply_upload(ws, "destinations", f, config=CONFIG, user=KOMINFO)
    after = _layer(ws.path, "destinations").set_index("id").loc["DST-002"]
    assert after["sinyal"] == "none" and bool(after["promosi_medsos"])
    changes = _table(ws.path, CHANGES)
    assert set(changes.loc[changes["version"] == applied.version, "field"]) <= {
        "sinyal", "promosi_medsos"}


# --- apply, history, rollback ---------------------------------------------------------------


def test_apply_records_history_and_rollback_restores_exactly(ws: Workspace,
                                                             tmp_path: Path) -> None:
    dest0 = _layer(ws.path, "destinations")
    umkm0 = _layer(ws.path, "umkm")
    f = _csv(tmp_path / "up.csv", [
        _row(dest0, "DST-005", pengunjung_tahun=4321, daya_tarik=4, pengelola="Pokdarwis"),
        {"id": "DST-902", "nama": "Air Terjun", "kategori": "alam", "lintang": TIMIKA[1],
         "bujur": TIMIKA[0]},
    ])
    p = preview_upload(ws, "destinations", f, config=CONFIG, user=PARIWISATA)
    applied = apply_upload(ws, "destinations", f, config=CONFIG, user=PARIWISATA,
                           expect_version=p.base_version)
    assert applied.version == 1 and applied.n_changes == len(p.diffs)
    vers = _table(ws.path, VERSIONS)
    assert vers[["version", "username", "agency", "kind", "source_file"]].values.tolist() == [
        [1, "ani", "pariwisata", "upload", "up.csv"]]
    assert vers["source_sha256"].iloc[0] == hashlib.sha256(f.read_bytes()).hexdigest()
    changes = _table(ws.path, CHANGES)
    assert sorted(map(tuple, changes[["feature_id", "field", "old", "new"]].values.tolist())) == \
        sorted(map(tuple, p.diffs[["feature_id", "field", "old", "new"]].values.tolist()))
    meta = dict(_table(ws.path, "metadata")[["key", "value"]].values.tolist())
    assert meta["scores_stale"] == "true" and meta["data_version"] == "1"
    after = _layer(ws.path, "destinations").set_index("id")
    assert after.loc["DST-005", "pengunjung_tahun"] == 4321
    assert after.loc["DST-005", "pengelola"] == "pokdarwis"

    edit_destination(ws, "DST-005", {"promosi_portal": "tidak"}, config=CONFIG, user=KOMINFO)
    save_umkm(ws, None, {"name": "Warung Mama", "type": "rumah makan"}, *TIMIKA,
              config=CONFIG, user=UMKM)
    with pytest.raises(ScopeError):
        rollback(ws, 0, user=PARIWISATA)
    back = rollback(ws, 0, user=ADMIN)
    assert back.version == 4
    pd.testing.assert_frame_equal(_layer(ws.path, "destinations"), dest0)
    pd.testing.assert_frame_equal(_layer(ws.path, "umkm"), umkm0)
    assert list(_table(ws.path, VERSIONS)["kind"]) == ["upload", "edit", "edit", "rollback"]
    # the log keeps every change; newest first; per agency
    log = history(ws)
    assert log["version"].iloc[0] == 4 and log["version"].iloc[-1] == 1
    assert set(history(ws, agency="kominfo")["field"]) == {"promosi_portal"}
    assert len(history(ws, limit=3)) == 3
    assert history(ws, since="2100-01-01").empty
    assert len(history(ws, since="2000-01-01T00:00:00+07:00")) == len(log)
    assert list(versions(ws)["version"]) == [1, 2, 3, 4]
    assert last_updates(ws)[["agency", "version"]].values.tolist() == [
        ["bappeda", 4], ["umkm", 3], ["kominfo", 2], ["pariwisata", 1]]
    # rolling back to 3 puts the rolled-back changes in again
    rollback(ws, 3, user=ADMIN)
    redo = _layer(ws.path, "destinations").set_index("id")
    assert redo.loc["DST-005", "pengunjung_tahun"] == 4321 and "DST-902" in redo.index
    assert "UMKM-0429" in set(_layer(ws.path, "umkm")["id"])


def test_a_stale_preview_is_refused(ws: Workspace, tmp_path: Path) -> None:
    dest = _layer(ws.path, "destinations")
    f = _csv(tmp_path / "a.csv", [_row(dest, "DST-006", pengunjung_tahun=11)])
    p = preview_upload(ws, "destinations", f, config=CONFIG, user=PARIWISATA)
    edit_destination(ws, "DST-007", {"daya_tarik": "3"}, config=CONFIG, user=PARIWISATA)
    before = _sha(ws.path)
    with pytest.raises(StaleVersion):
        apply_upload(ws, "destinations", f, config=CONFIG, user=PARIWISATA,
                     expect_version=p.base_version)
    assert _sha(ws.path) == before


def test_edit_destination_parses_like_an_import_and_names_bad_fields(ws: Workspace) -> None:
    with pytest.raises(InputError) as exc:
        edit_destination(ws, "DST-001", {"daya_tarik": "9", "pengunjug": "3"}, config=CONFIG,
                         user=PARIWISATA)
    fields = {p.field for p in exc.value.problems}
    assert fields == {"daya_tarik", "pengunjug"}
    assert "pengunjung_tahun" in str(exc.value)
    with pytest.raises(InputError, match="DST-999"):
        edit_destination(ws, "DST-999", {"daya_tarik": "3"}, config=CONFIG, user=PARIWISATA)
    a = edit_destination(ws, "DST-001", {"fasilitas": "toilet, parkir; gazebo"},
                         config=CONFIG, user=PARIWISATA)
    row = _layer(ws.path, "destinations").set_index("id").loc["DST-001"]
    assert row["fasilitas"] == "toilet, parkir; gazebo" and row["jumlah_fasilitas"] == 3
    assert a.n_changes >= 1
    same = edit_destination(ws, "DST-001", {"fasilitas": "toilet, parkir; gazebo"},
                            config=CONFIG, user=PARIWISATA)
    assert same.n_changes == 0 and same.version == a.version


# --- roads by ruas_id ------------------------------------------------------------------------


def test_edit_road_sets_every_edge_of_the_section(ws: Workspace) -> None:
    roads0 = _layer(ws.path, "roads")
    edges = ruas_rows("R00003", road_sections(roads0))
    assert edges is not None and len(edges) > 0
    with pytest.raises(ScopeError):
        edit_road(ws, "R00003", {"condition": "baik"}, config=CONFIG, user=KOMINFO)
    with pytest.raises(InputError) as exc:
        edit_road(ws, "R00003", {"condition": "hancur", "lebar": "4"}, config=CONFIG, user=PU)
    assert {p.field for p in exc.value.problems} == {"condition", "lebar"}
    with pytest.raises(InputError, match="R99999"):
        edit_road(ws, "R99999", {"condition": "baik"}, config=CONFIG, user=PU)
    a = edit_road(ws, "R00003", {"condition": "Rusak Berat", "surface": "tanah liat"},
                  config=CONFIG, user=PU)
    roads = _layer(ws.path, "roads")
    hit = np.zeros(len(roads), dtype=bool)
    hit[edges] = True
    assert (roads.loc[hit, "condition"] == "rusak_berat").all()
    assert (roads.loc[hit, "surface"] == "tanah").all()
    assert (roads.loc[hit, "condition_source"] == "agency").all()
    untouched = [c for c in roads0.columns if c != "geometry"]
    pd.testing.assert_frame_equal(roads.loc[~hit, untouched], roads0.loc[~hit, untouched])
    assert a.n_changes > 0
    rollback(ws, 0, user=ADMIN)
    pd.testing.assert_frame_equal(_layer(ws.path, "roads"), roads0)


def test_road_survey_upload_keyed_by_ruas_id(ws: Workspace, tmp_path: Path) -> None:
    roads = _layer(ws.path, "roads")
    labels = road_sections(roads)
    edges = ruas_rows("R00002", labels)
    assert edges is not None
    f = _csv(tmp_path / "pu.csv", [{"ruas_id": "R00002", "kondisi": "rusak ringan",
                                    "lebar_m": "4"}])
    p = preview_upload(ws, "road-conditions", f, config=CONFIG, user=PU)
    assert p.ok and (p.n_new, p.n_changed, p.n_unchanged) == (0, 1, 0)
    changed_edges = {fid for fid, fld in zip(p.diffs["feature_id"], p.diffs["field"],
                                              strict=True) if fld == "condition"}
    expected = {f"{roads['u'].iloc[e]}-{roads['v'].iloc[e]}" for e in edges
                if roads["condition"].iloc[e] != "rusak_ringan"}
    assert {c.split("#")[0] for c in changed_edges} == expected
    assert any("'lebar_m'" in w for w in p.warnings)
    assert preview_upload(ws, "road-conditions", f, config=CONFIG,
                          user=PARIWISATA).scope_error is not None
    apply_upload(ws, "road-conditions", f, config=CONFIG, user=PU)
    assert (_layer(ws.path, "roads")["condition"].iloc[edges] == "rusak_ringan").all()


# --- UMKM ------------------------------------------------------------------------------------


def test_save_umkm_adds_and_moves(ws: Workspace) -> None:
    n0 = len(_layer(ws.path, "umkm"))
    with pytest.raises(ScopeError):
        save_umkm(ws, None, {"name": "X", "type": "toko"}, *TIMIKA, config=CONFIG,
                  user=PARIWISATA)
    with pytest.raises(InputError) as exc:
        save_umkm(ws, None, {"name": "", "type": "pesawat"}, 140.5, -2.0, config=CONFIG,
                  user=UMKM)
    assert {p.field for p in exc.value.problems} >= {"name", "type"}
    assert all(p.line is None for p in exc.value.problems)
    a = save_umkm(ws, None, {"name": "Homestay Mama", "type": "homestay"}, *TIMIKA,
                  config=CONFIG, user=UMKM)
    umkm = _layer(ws.path, "umkm").set_index("id")
    assert len(umkm) == n0 + 1
    new_id = umkm.index[-1]
    assert umkm.loc[new_id, "type"] == "penginapan"
    assert umkm.loc[new_id].geometry.coords[0] == TIMIKA
    moved = save_umkm(ws, new_id, {}, TIMIKA[0] + 0.001, TIMIKA[1], config=CONFIG, user=UMKM)
    assert moved.version == a.version + 1
    umkm = _layer(ws.path, "umkm").set_index("id")
    assert umkm.loc[new_id].geometry.coords[0] == (TIMIKA[0] + 0.001, TIMIKA[1])
    assert umkm.loc[new_id, "name"] == "Homestay Mama"


# --- CLI import and the score step --------------------------------------------------------------


def test_cli_import_is_a_version_and_score_clears_the_flag(ws: Workspace,
                                                            tmp_path: Path) -> None:
    from geo.steps.readiness import score_workspace

    dest = _layer(ws.path, "destinations")
    f = _csv(tmp_path / "cli.csv", [_row(dest, "DST-008", pengunjung_tahun=777)])
    env = {**os.environ, "COLUMNS": "400"}
    out = subprocess.run([sys.executable, "-m", "geo.cli", "import", "destinations", str(f),
                          "--workspace", str(ws.path)], capture_output=True, text=True,
                         timeout=600, cwd=PROJECT_ROOT, env=env)
    assert out.returncode == 0, out.stderr
    vers = _table(ws.path, VERSIONS)
    assert vers[["version", "username", "kind", "source_file"]].values.tolist() == [
        [1, "cli", "import", "cli.csv"]]
    meta = dict(_table(ws.path, "metadata")[["key", "value"]].values.tolist())
    assert meta["scores_stale"] == "true"
    score_workspace(ws)
    meta = dict(_table(ws.path, "metadata")[["key", "value"]].values.tolist())
    assert meta["scores_stale"] == "false"
    hist = _table(ws.path, SCORES_HISTORY)
    scores = _layer(ws.path, "scores")
    assert len(hist) == len(scores) and set(hist["version"]) == {2}
    assert set(hist["data_version"]) == {1}
    merged = hist.merge(pd.DataFrame(scores.drop(columns="geometry")), on="id",
                        suffixes=("", "_now"))
    for col in ("score", "score_low", "score_pu", "rank"):
        assert np.allclose(merged[col].astype(float), merged[f"{col}_now"].astype(float),
                           equal_nan=True)
    assert list(_table(ws.path, VERSIONS)["kind"]) == ["import", "score"]
    score_workspace(ws)  # nothing new to keep: same data version
    assert len(_table(ws.path, SCORES_HISTORY)) == len(hist)
    summary, version = import_recorded("destinations", f, ws)
    assert version == 3 and summary.replaced == 1


# --- crash safety -----------------------------------------------------------------------------

_WRITER = r"""
import csv, sys
from pathlib import Path
from geo.accounts import User
from geo.io.workspace import Workspace
from geo.readiness import load_readiness_config
from geo.steps.contribute import apply_upload
ws = Workspace(sys.argv[1]); tmp = Path(sys.argv[2]); row = next(csv.DictReader(open(sys.argv[3])))
cfg = load_readiness_config(); user = User("ani", "pariwisata", "editor")
print("ready", flush=True)
i = 0
while True:
    i += 1
    f = tmp / f"v{i}.csv"
    with f.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[*row, "pengunjung_tahun"]); w.writeheader()
        w.writerow({**row, "pengunjung_tahun": 1000 + i})
    apply_upload(ws, "destinations", f, config=cfg, user=user)
"""


def _check_whole(path: Path, original: object) -> int:
    """Every recorded change is in the layer and every layer value is recorded."""
    ws = Workspace(path).require()  # opens, and sweeps the dead writer's copy
    dest = ws.read("destinations").set_index("id")
    vers = _table(path, VERSIONS)
    changes = _table(path, CHANGES)
    n = len(vers)
    if n:
        assert list(vers["version"]) == list(range(1, n + 1))
        assert set(changes["version"]) == set(vers["version"])  # each version fully in
    if changes.empty:
        changes = pd.DataFrame(columns=["version", "feature_id", "field", "new"])
    mine = changes[(changes["feature_id"] == "DST-009") & (changes["field"] == "pengunjung_tahun")]
    value = dest.loc["DST-009", "pengunjung_tahun"]
    if len(mine):
        assert json.loads(mine["new"].iloc[-1]) == value
        meta = dict(_table(path, "metadata")[["key", "value"]].values.tolist())
        assert meta["data_version"] == str(n) and meta["scores_stale"] == "true"
    else:
        assert value == original or (pd.isna(value) and pd.isna(original))
    assert not [p for p in path.parent.iterdir() if ".tmp.gpkg" in p.name]
    return n


def test_kill_9_during_apply_leaves_each_change_fully_in_or_out(ws: Workspace,
                                                                tmp_path: Path) -> None:
    # the 50 with SIAPWISATA_TEST_DEPTH=full (or any count in SIAPWISATA_KILL_RUNS)
    runs = int(os.environ.get("SIAPWISATA_KILL_RUNS", str(depth_runs(8, 50))))
    dest = _layer(ws.path, "destinations")
    original = dest.loc[dest["id"] == "DST-009", "pengunjung_tahun"].iloc[0]
    base = _row(dest, "DST-009")
    row_file = _csv(tmp_path / "row.csv", [base])
    rng = random.Random(12)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    seen = 0
    for k in range(runs):
        files = tmp_path / f"run{k}"
        files.mkdir()
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(ws.path), str(files),
                                 str(row_file)], stdout=subprocess.PIPE, text=True, env=env,
                                cwd=PROJECT_ROOT)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.3, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        n = _check_whole(ws.path, original)
        assert n >= seen
        seen = n
    assert seen > 0  # the writers got changes in between the kills


# --- property: rollback undoes any sequence of edits --------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_EDIT = st.fixed_dictionaries({}, optional={
    "pengunjung_tahun": st.one_of(st.just(""), st.integers(0, 10**6).map(str)),
    "daya_tarik": st.one_of(st.just(""), st.integers(1, 5).map(str)),
    "pengelola": st.one_of(st.sampled_from(["pokdarwis", "adat", "", "tidak ada"]), _TEXT),
    "fasilitas": _TEXT,
    "importance": st.floats(0, 100, allow_nan=False).map(repr),
    "name": _TEXT.filter(lambda s: s.strip() != "" and s.strip() not in
                         {"-", "n/a", "na", "null", "none", "nan", "kosong"}),
})
_KOMINFO_EDIT = st.fixed_dictionaries({}, optional={
    "promosi_portal": st.sampled_from(["ya", "tidak", ""]),
    "sinyal": st.sampled_from(["4g", "3g", "blank spot", ""]),
})


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.integers(0, 28), _EDIT, _KOMINFO_EDIT), min_size=1,
                      max_size=3),
       moves=st.lists(st.tuples(st.floats(-0.01, 0.01), st.floats(-0.01, 0.01)), max_size=2))
def test_rollback_after_edits_restores_the_layers(demo_ws: Path, tmp_path: Path,
                                                  edits: list[tuple[int, dict[str, str],
                                                                    dict[str, str]]],
                                                  moves: list[tuple[float, float]]) -> None:
    path = tmp_path / f"p{random.randrange(10**9)}.gpkg"
    shutil.copyfile(demo_ws, path)
    ws = Workspace(path)
    dest0, umkm0, roads0 = (_layer(path, x) for x in ("destinations", "umkm", "roads"))
    ids = list(dest0["id"])
    for i, values, kominfo in edits:
        edit_destination(ws, ids[i], values, config=CONFIG, user=PARIWISATA)
        edit_destination(ws, ids[i], kominfo, config=CONFIG, user=KOMINFO)
    for dx, dy in moves:
        save_umkm(ws, "UMKM-0002", {}, TIMIKA[0] + dx, TIMIKA[1] + dy, config=CONFIG,
                  user=UMKM)
        save_umkm(ws, None, {"name": "Kios", "type": "kios"}, TIMIKA[0] - dx, TIMIKA[1] - dy,
                  config=CONFIG, user=UMKM)
    edit_road(ws, "R00001", {"surface": "aspal", "condition": "sedang"}, config=CONFIG, user=PU)
    rollback(ws, 0, user=ADMIN)
    pd.testing.assert_frame_equal(_layer(path, "destinations"), dest0)
    pd.testing.assert_frame_equal(_layer(path, "umkm"), umkm0)
    pd.testing.assert_frame_equal(_layer(path, "roads"), roads0)
    path.unlink()


# --- recompute ----------------------------------------------------------------------------------


def test_recompute_scores_and_ranks_with_the_recorded_configurations(
        ws: Workspace, tmp_path: Path) -> None:
    from geo.steps import priorities_workspace, score_workspace

    text = (PROJECT_ROOT / "data" / "readiness.toml").read_text(encoding="utf-8")
    custom = tmp_path / "kesiapan.toml"
    custom.write_text(text.replace('short = "PU"\nfour_a = ["aksesibilitas"]\nweight = 0.25',
                                   'short = "PU"\nfour_a = ["aksesibilitas"]\nweight = 0.6'),
                      encoding="utf-8")
    assert custom.read_text(encoding="utf-8") != text
    score_workspace(ws, config=custom)
    priorities_workspace(ws, authority="kabupaten", budget=5e9, readiness_config=custom)
    before = dict(_table(ws.path, "metadata")[["key", "value"]].values.tolist())
    edit_road(ws, "R00001", {"condition": "rusak berat"}, config=CONFIG, user=PU)
    assert dict(_table(ws.path, "metadata")[["key", "value"]].values.tolist())[
        "scores_stale"] == "true"
    from geo.steps.contribute import recompute

    recompute(ws)
    meta = dict(_table(ws.path, "metadata")[["key", "value"]].values.tolist())
    assert meta["scores_stale"] == "false"
    assert meta["priorities_at"] != before["priorities_at"]
    assert meta["priorities_budget"] == "5000000000"
    configs = json.loads(meta["configs"])
    want = hashlib.sha256(custom.read_text(encoding="utf-8").encode("utf-8")).hexdigest()
    assert configs["scores"]["readiness"]["sha256"] == want
    assert configs["priorities"]["readiness"]["sha256"] == want
    vers = _table(ws.path, VERSIONS)
    assert list(vers["kind"]) == ["score", "edit", "score"]
    assert list(vers["username"]) == ["cli", "putu", "sistem"]
    hist = _table(ws.path, SCORES_HISTORY)
    assert sorted(set(hist["version"])) == [1, 3] and sorted(set(hist["data_version"])) == [0, 2]


_CELL = st.one_of(st.just(""), st.integers(0, 10**6).map(str))


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 28), _CELL, st.sampled_from(["", "1", "5"]),
                               _TEXT), min_size=1, max_size=4, unique_by=lambda r: r[0]),
       new=st.lists(st.tuples(st.floats(-0.02, 0.02), st.floats(-0.02, 0.02), _CELL),
                    max_size=2))
def test_rollback_after_an_upload_restores_the_layer(demo_ws: Path, tmp_path: Path,
                                                     rows: list[tuple[int, str, str, str]],
                                                     new: list[tuple[float, float, str]]) -> None:
    path = tmp_path / f"u{random.randrange(10**9)}.gpkg"
    shutil.copyfile(demo_ws, path)
    ws = Workspace(path)
    dest0 = _layer(path, "destinations")
    file_rows = [_row(dest0, dest0["id"].iloc[i], pengunjung_tahun=v, daya_tarik=d,
                      catatan=note) for i, v, d, note in rows]
    file_rows += [{"id": f"DST-8{k:02d}", "nama": f"Baru {k}", "kategori": "alam",
                   "lintang": repr(TIMIKA[1] + dy), "bujur": repr(TIMIKA[0] + dx),
                   "pengunjung_tahun": v, "daya_tarik": "", "catatan": ""}
                  for k, (dx, dy, v) in enumerate(new)]
    f = _csv(tmp_path / f"{path.stem}.csv", file_rows)
    p = preview_upload(ws, "destinations", f, config=CONFIG, user=PARIWISATA)
    assert p.ok, (p.error, p.scope_error)
    assert p.n_new == len(new) and p.n_new + p.n_changed + p.n_unchanged == len(file_rows)
    applied = apply_upload(ws, "destinations", f, config=CONFIG, user=PARIWISATA)
    assert applied.n_changes == len(p.diffs)
    rollback(ws, 0, user=ADMIN)
    pd.testing.assert_frame_equal(_layer(path, "destinations"), dest0)
    path.unlink()
