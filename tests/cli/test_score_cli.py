"""``siapwisata score`` end to end on the Mimika demo and the real Andorra extract.

The CLI runs as a subprocess (exit codes and messages as a user sees them). Its output is
checked against independent computations: the accessibility engine called directly (the
join by id), the overall score re-derived from the per-agency columns and the configured
weights, classes from the thresholds, and ranks by counting better scores.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from geo.io.workspace import Workspace
from geo.readiness import load_readiness_config
from geo.steps import compute_access, score_workspace
from tests._paths import PROJECT_ROOT

# The five agency dimensions of the default data/readiness.toml (an explicit expectation:
# the code takes them from the TOML alone).
DIMENSIONS = ("pariwisata", "pu", "umkm", "kominfo", "perhubungan")

REQUIRED = [
    "id", "name", "provenance", "score", "class", "bottleneck", "coverage",
    "score_pariwisata", "score_pu", "score_umkm", "score_kominfo", "score_perhubungan",
    "access_minutes", "access_gateway", "umkm_15min", "umkm_30min",
    "rank", "rank_low", "rank_high", "actions",
    "score_low", "score_high", "class_provisional",
    *(f"score_{d}_{b}" for d in DIMENSIONS for b in ("low", "high")),
]
CONFIG = load_readiness_config(PROJECT_ROOT / "data" / "readiness.toml")


def siapwisata(*args: str | Path) -> subprocess.CompletedProcess[str]:
    # wide virtual terminal: rich would wrap messages at 80 columns
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(
        [sys.executable, "-m", "geo.cli", *map(str, args)],
        capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT, env=env,
    )


@pytest.fixture(scope="module", params=["demo_ws", "andorra_ws"])
def scored(request, tmp_path_factory):
    """Run ``score --out`` with each format on a copy of the workspace."""
    src: Path = request.getfixturevalue(request.param)
    tmp = tmp_path_factory.mktemp(f"score-{request.param}")
    ws = tmp / src.name
    shutil.copyfile(src, ws)
    outs = {}
    for ext in ("csv", "geojson", "xlsx"):
        out = tmp / f"scores.{ext}"
        res = siapwisata("score", "--workspace", ws, "--out", out)
        assert res.returncode == 0, res.stderr + res.stdout
        assert "Skor kesiapan" in res.stdout
        outs[ext] = out
    return request.param, ws, outs, res.stdout


def test_scores_layer_has_one_row_per_destination_with_the_contract_columns(scored):
    name, ws, _, stdout = scored
    dest = pyogrio.read_dataframe(ws, layer="destinations")
    scores = pyogrio.read_dataframe(ws, layer="scores")
    assert [c for c in REQUIRED if c not in scores.columns] == []
    assert len(scores) == len(dest) > 0
    assert scores["id"].tolist() == dest["id"].tolist()
    assert scores["name"].astype(object).tolist() == dest["name"].astype(object).tolist()
    assert scores.crs.to_epsg() == 4326
    assert set(scores.geom_type) == {"Point"}
    pts = dest.geometry.representative_point()
    assert np.allclose(scores.geometry.x, pts.x) and np.allclose(scores.geometry.y, pts.y)
    assert scores["score"].between(0, 100).all()
    assert scores["coverage"].between(0, 1).all()
    assert scores["class"].isin(["rintisan", "berkembang", "maju", "mandiri"]).all()
    if name == "demo_ws":
        assert scores["synthetic"].all() and (scores["provenance"] == "synthetic").all()
        assert "DATA CONTOH (SINTETIS)" in stdout
    else:
        # real OSM data throughout: nothing synthetic, provenance kept
        assert not scores["synthetic"].any() and (scores["provenance"] == "osm").all()
        assert "SINTETIS" not in stdout
        # OSM has no Diskominfo fields: unknown, never zero
        assert scores["score_kominfo"].isna().all()
        assert scores["actions"].str.contains("Kominfo: data belum tersedia").all()
        assert (scores["coverage"] < 1).all()


def test_access_columns_match_the_engine_by_id(scored):
    _, ws, _, _ = scored
    scores = pyogrio.read_dataframe(ws, layer="scores", read_geometry=False).set_index("id")
    acc = compute_access(Workspace(ws)).destinations
    acc.index = acc.index.astype(str)
    acc = acc.loc[scores.index]
    np.testing.assert_allclose(scores["access_minutes"], acc["access_minutes"], rtol=1e-9)
    assert scores["access_minutes"].isna().tolist() == acc["access_minutes"].isna().tolist()
    for col in ("umkm_15min", "umkm_30min"):
        np.testing.assert_array_equal(scores[col].to_numpy(float), acc[col].to_numpy(float))
    reached = acc["access_minutes"].notna()
    assert (scores.loc[reached, "access_gateway"].astype(str)
            == acc.loc[reached, "access_gateway"].astype(str)).all()


def test_overall_score_class_bottleneck_and_rank_follow_from_the_agency_scores(scored):
    _, ws, _, _ = scored
    s = pyogrio.read_dataframe(ws, layer="scores", read_geometry=False)
    w = np.array([CONFIG.dimensions[d].weight for d in DIMENSIONS])
    dims = s[[f"score_{d}" for d in DIMENSIONS]].to_numpy(float)
    lows = s[[f"score_{d}_low" for d in DIMENSIONS]].to_numpy(float)
    highs = s[[f"score_{d}_high" for d in DIMENSIONS]].to_numpy(float)
    c = CONFIG.classes
    minutes = s["access_minutes"].to_numpy(float)
    some_reached = bool(np.isfinite(minutes).any())

    def klass(v: float) -> str:
        return ("mandiri" if v >= c.mandiri else "maju" if v >= c.maju
                else "berkembang" if v >= c.berkembang else "rintisan")

    for i in range(len(s)):
        known = ~np.isnan(dims[i])
        expect = float(np.dot(dims[i, known], w[known]) / w[known].sum())
        assert s.loc[i, "score"] == pytest.approx(expect, abs=1e-9)
        # bounds: every dimension (unknown ones 0 .. 100) in the weighted mean
        assert np.all(lows[i] <= np.nan_to_num(dims[i], nan=100) + 1e-9)
        assert np.all(highs[i] >= np.nan_to_num(dims[i], nan=0) - 1e-9)
        assert np.all(lows[i][~known] == 0) and np.all(highs[i][~known] == 100)
        low = float(np.dot(lows[i], w) / w.sum())
        high = float(np.dot(highs[i], w) / w.sum())
        assert s.loc[i, "score_low"] == pytest.approx(low, abs=1e-9)
        assert s.loc[i, "score_high"] == pytest.approx(high, abs=1e-9)
        assert low - 1e-9 <= expect <= high + 1e-9
        # [ranking]: the class the data proves, provisional when it could be higher
        assert s.loc[i, "class"] == klass(low)
        assert bool(s.loc[i, "class_provisional"]) == (
            klass(low) != klass(high) or s.loc[i, "coverage"] < c.min_coverage)
        if some_reached and np.isnan(minutes[i]):
            # unreachable: held back by the agency that holds access ([access])
            far = ("nearest_reachable_road_m" in s
                   and not s.loc[i, "nearest_reachable_road_m"] <= 10_000)
            assert s.loc[i, "bottleneck"] == ("perhubungan" if far else "pu")
            continue
        # raise each known agency to 100 and re-take the weighted mean
        gains = {}
        for j, d in enumerate(DIMENSIONS):
            if known[j]:
                raised = dims[i].copy()
                raised[j] = 100.0
                gains[d] = float(np.dot(raised[known], w[known]) / w[known].sum()) - expect
        best = max(gains.values())
        if best > 1e-9:
            first = next(d for d in DIMENSIONS if d in gains and gains[d] >= best - 1e-9)
            assert s.loc[i, "bottleneck"] == first
        else:
            assert pd.isna(s.loc[i, "bottleneck"])
    score = s["score_low"].to_numpy()
    better = (score[None, :] > score[:, None]).sum(axis=1)
    np.testing.assert_array_equal(s["rank"].to_numpy(), better + 1)
    n = len(s)
    assert s["rank_low"].between(1, n).all() and s["rank_high"].between(1, n).all()
    assert (s["rank_low"] <= s["rank_high"]).all()


def test_out_files_csv_geojson_xlsx(scored):
    _, ws, outs, _ = scored
    layer = pyogrio.read_dataframe(ws, layer="scores")
    n = len(layer)

    csv = pd.read_csv(outs["csv"])
    assert [c for c in [*REQUIRED, "lon", "lat"] if c not in csv.columns] == []
    assert len(csv) == n and csv["id"].astype(str).tolist() == layer["id"].tolist()
    np.testing.assert_allclose(csv["score"], layer["score"])
    np.testing.assert_allclose(csv["lon"], layer.geometry.x)

    gj = gpd.read_file(outs["geojson"])
    assert len(gj) == n and gj.crs.to_epsg() == 4326 and set(gj.geom_type) == {"Point"}
    assert [c for c in REQUIRED if c not in gj.columns] == []
    np.testing.assert_allclose(gj["rank"].to_numpy(float), layer["rank"].to_numpy(float))

    wb = load_workbook(outs["xlsx"], read_only=True)
    # the table, one sheet of actions per agency of readiness.toml (issue 14), the assumptions
    assert wb.sheetnames == ["Skor kesiapan", *(CONFIG.dimensions[d].short for d in DIMENSIONS),
                             "Asumsi"]
    rows = list(wb["Skor kesiapan"].iter_rows(values_only=True))
    header = rows[0]
    for readable in ("ID", "Nama destinasi", "Skor kesiapan (0-100)", "Kelas",
                     "Penghambat utama", "Kelengkapan data (0-1)", "Waktu tempuh (menit)",
                     "Peringkat", "Tindakan per OPD", "Skor terbukti (data kosong = 0)",
                     "Skor tertinggi (data kosong = 100)",
                     "Skor PU (batas bawah: data kosong = 0, skor terbukti)"):
        assert readable in header
    assert len(rows) == n + 1
    ids = [r[header.index("ID")] for r in rows[1:]]
    # by rank (issue 14): rank 1 first, unranked last, ties in the layer's order
    by_rank = layer.assign(_r=layer["rank"].astype("float64").fillna(np.inf),
                           _i=np.arange(n)).sort_values(["_r", "_i"])
    assert [str(i) for i in ids] == by_rank["id"].tolist()
    sheet = list(wb["Asumsi"].iter_rows(min_row=2, values_only=True))
    notes = [r[3] for r in sheet if r[0] not in ("Data", "Konfigurasi")]
    assert notes and all(str(t).startswith("ASUMSI") for t in notes)
    # the files the scores came from, named first (issue 11)
    files = [r[1] for r in sheet if r[0] == "Konfigurasi"]
    assert files == ["readiness.toml", "network.toml"]
    banner = [r[3] for r in sheet if r[0] == "Data"]
    assert bool(banner) == bool(layer["synthetic"].any())
    assert all("DATA CONTOH (SINTETIS)" in t for t in banner)


# --- errors -------------------------------------------------------------------------------


def test_unknown_out_extension_fails_before_anything_is_written(demo_ws, copy_ws, tmp_path):
    ws = copy_ws(demo_ws)
    before = ws.read_bytes()
    out = tmp_path / "scores.txt"
    res = siapwisata("score", "--workspace", ws, "--out", out)
    assert res.returncode == 1
    assert ".txt" in res.stderr and ".csv" in res.stderr and ".xlsx" in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()
    assert ws.read_bytes() == before


def test_bad_config_names_the_key_and_leaves_the_workspace(demo_ws, copy_ws, tmp_path):
    ws = copy_ws(demo_ws)
    before = ws.read_bytes()
    text = (PROJECT_ROOT / "data" / "readiness.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("mandiri = 80.0", "mandiri = 50.0"), encoding="utf-8")
    res = siapwisata("score", "--workspace", ws, "--config", bad)
    assert res.returncode == 1
    assert "classes.mandiri" in res.stderr and "Traceback" not in res.stderr
    assert ws.read_bytes() == before


def test_missing_workspace_is_a_clear_error(tmp_path):
    res = siapwisata("score", "--workspace", tmp_path / "nothing.gpkg")
    assert res.returncode == 1 and "tidak ditemukan" in res.stderr


# --- behaviour through the Python entry point ------------------------------------------------


def test_without_umkm_data_the_umkm_agency_is_unknown(demo_ws, copy_ws):
    path = copy_ws(demo_ws)
    ws = Workspace(path)
    empty = ws.read("umkm").iloc[:0]
    with ws.update() as stage:
        stage.write("umkm", empty)
    result = score_workspace(ws)
    t = result.table
    assert t["score_umkm"].isna().all()
    assert t["actions"].str.contains("UMKM: data belum tersedia").all()
    assert (t["bottleneck"] != "umkm").all()
    # the other agencies still score, and coverage says a fifth of the weight is missing
    w = {d: CONFIG.dimensions[d].weight for d in DIMENSIONS}
    assert (t["coverage"] <= 1 - w["umkm"] / sum(w.values()) + 1e-9).all()
    assert t["score"].notna().all()


def test_rescoring_replaces_the_layer_and_custom_config_is_used(demo_ws, copy_ws, tmp_path):
    path = copy_ws(demo_ws)
    ws = Workspace(path)
    first = score_workspace(ws).table
    text = (PROJECT_ROOT / "data" / "readiness.toml").read_text(encoding="utf-8")
    # the Perhubungan weight to zero: it can no longer be the bottleneck or lower a score
    alt = tmp_path / "alt.toml"
    old = 'short = "Perhubungan"\nfour_a = ["aksesibilitas"]\nweight = 0.15'
    assert old in text
    alt.write_text(text.replace(old, old.replace("0.15", "0.0")), encoding="utf-8")
    out = tmp_path / "deep" / "dir" / "s.csv"
    second = score_workspace(ws, config=alt, out=out)
    layer = pyogrio.read_dataframe(path, layer="scores")
    assert len(layer) == len(first)
    assert (second.table["bottleneck"] != "perhubungan").all()
    assert out.exists() and len(pd.read_csv(out)) == len(first)
    dims = first[[f"score_{d}" for d in DIMENSIONS if d != "perhubungan"]].to_numpy(float)
    w = np.array([CONFIG.dimensions[d].weight for d in DIMENSIONS if d != "perhubungan"])
    known = ~np.isnan(dims)
    expect = np.where(known, dims, 0) @ w / (known @ w)
    np.testing.assert_allclose(layer["score"], expect, rtol=1e-9)
    assert "alt.toml" in second.summary()


def test_without_gateways_travel_and_transport_are_unknown(menteng_ws, copy_ws):
    """The real Menteng extract has no aerodrome, ferry terminal, bus station or town centre."""
    ws = Workspace(copy_ws(menteng_ws))
    assert len(ws.read("gateways")) == 0
    result = score_workspace(ws)
    t = result.table
    assert len(t) == len(ws.read("destinations")) > 0
    assert t["access_minutes"].isna().all() and t["score_perhubungan"].isna().all()
    assert t["actions"].str.contains("Perhubungan: data belum tersedia").all()
    assert not t["actions"].str.contains("tidak terjangkau").any()
    assert "tidak ada gerbang" in result.summary()


def test_no_destinations_is_a_clear_error(demo_ws, copy_ws):
    from geo.exceptions import WorkspaceError

    ws = Workspace(copy_ws(demo_ws))
    with ws.update() as stage:
        stage.write("destinations", ws.read("destinations").iloc[:0])
    before = ws.path.read_bytes()
    with pytest.raises(WorkspaceError, match="tidak ada destinasi"):
        score_workspace(ws)
    assert ws.path.read_bytes() == before
