"""siapwisata batch: regions on a 2-worker Dask LocalCluster equal each region run alone."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.exceptions import InputError
from geo.io.workspace import Workspace
from geo.readiness import CLASSES
from geo.steps import ingest_osm, priorities_workspace, score_workspace
from geo.steps.batch import read_regions, run_batch
from tests._depth import FULL

# Columns that say when or in which file something was computed, not what.
VOLATILE = {"computed_at", "scored_at", "version", "data_version"}


def _regions_csv(tmp: Path, rows: list[tuple[str, str, Path]]) -> Path:
    path = tmp / "wilayah.csv"
    lines = ["nama,kode,osm"] + [f"{n},{c},{p}" for n, c, p in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _alone(src: Path, tmp: Path) -> Workspace:
    """The region as a user runs it by hand: ingest-osm, score, priorities --authority all."""
    ws = Workspace(tmp / "alone.gpkg")
    ingest_osm(src, ws)
    score_workspace(ws)
    priorities_workspace(ws, authority="all")
    return ws


def _same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    cols = [c for c in a.columns if c not in VOLATILE]
    pd.testing.assert_frame_equal(pd.DataFrame(a[cols]).reset_index(drop=True),
                                  pd.DataFrame(b[cols]).reset_index(drop=True))


def test_batch_equals_each_region_alone_and_a_failure_stops_nothing(
        tmp_path: Path, monaco_pbf: Path, menteng_osm: Path) -> None:
    bad = tmp_path / "rusak.osm.pbf"
    bad.write_bytes(b"bukan OSM")
    rows = [("Monaco", "91.01", monaco_pbf), ("Rusak", "91.02", bad)]
    if FULL:
        rows.append(("Menteng", "31.71", menteng_osm))
    out = tmp_path / "hasil"
    seen: list[str] = []
    result = run_batch(read_regions(_regions_csv(tmp_path, rows)), out, workers=2,
                       on_done=lambda o: seen.append(o.region.code))
    status = {o.region.code: o.status for o in result.outcomes}
    assert status == {"91.01": "selesai", "91.02": "gagal"} | (
        {"31.71": "selesai"} if FULL else {})
    assert sorted(seen) == sorted(status)
    failed = result.failed[0]
    assert "rusak.osm.pbf" in failed.message and "OSM" in failed.message
    assert not (out / "91.02" / "workspace.gpkg").exists()
    assert not (out / "91.02" / "workspace.tmp.gpkg").exists()

    # Each finished region equals the same region run by hand, layer by layer.
    for name, code, src in rows:
        if code == "91.02":
            continue
        batch_ws = Workspace(out / code / "workspace.gpkg")
        alone = _alone(src, tmp_path / f"alone-{code}")
        for layer in ("scores", "priorities"):
            _same(batch_ws.read(layer), alone.read(layer))

        # The summary row counts what the region's scores layer holds.
        summary = pd.read_csv(out / "ringkasan.csv", dtype={"kode": str}).set_index("kode")
        scores = alone.read("scores")
        row = summary.loc[code]
        assert row["nama"] == name and row["status"] == "selesai"
        assert row["destinasi"] == len(scores)
        for c in CLASSES:
            assert row[f"kelas_{c}"] == int((scores["class"] == c).sum())
        for agency, n in scores["bottleneck"].value_counts().items():
            assert row[f"dihambat_{agency}"] == n
        top = alone.read("priorities").sort_values("rank")["ruas_id"].head(5).astype(str)
        assert all(r in row["prioritas_teratas"] for r in top)
    regions = gpd.read_file(out / "ringkasan.gpkg", layer="regions")
    assert list(regions["kode"]) == [c for _, c, _ in rows]
    assert regions.geometry.iloc[0].is_valid and not regions.geometry.iloc[0].is_empty
    assert regions.geometry.iloc[1] is None  # the failed region has no boundary

    # A re-run skips what is done with the same inputs and retries only the failure.
    again = run_batch(read_regions(_regions_csv(tmp_path, rows)), out, workers=1)
    assert {o.region.code: o.status for o in again.outcomes}["91.01"] == "dilewati"
    assert {o.region.code: o.status for o in again.outcomes}["91.02"] == "gagal"


def test_the_regions_file_is_checked_row_by_row(tmp_path: Path, monaco_pbf: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("nama,kode,osm,umkm\n"
                    f"A,91.01,{monaco_pbf},\n"
                    f",91.01,{monaco_pbf},tidak-ada.csv\n"
                    f"C,9x,hilang.pbf,\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_regions(path)
    text = str(info.value)
    assert "baris 3, kolom 'nama'" in text and "nama wilayah kosong" in text
    assert "kode '91.01' sudah dipakai di baris 2" in text
    assert "baris 3, kolom 'umkm': file 'tidak-ada.csv' tidak ditemukan" in text
    assert "baris 4, kolom 'kode'" in text and "'9x' tidak sah" in text
    assert "baris 4, kolom 'osm': file 'hilang.pbf' tidak ditemukan" in text
    (tmp_path / "no.csv").write_text("name,osm\nA,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="kolom 'kode' tidak ada"):
        read_regions(tmp_path / "no.csv")
