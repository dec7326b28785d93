"""``siapwisata priorities`` and ``siapwisata scenario`` end to end, as a user runs them.

The CLI runs as a subprocess (exit codes and messages as a user sees them) on a small
hand-worked workspace and on a copy of the Mimika demo. Expected values use the default
speed model (``data/network.toml``: tertiary 40 km/h = 1.5 min/km on a good paved road;
free IRI 5, tanah baik IRI 15 -> x 1/3 = 13.33 km/h = 4.5 min/km, kerikil baik IRI 8 ->
x 5/8 = 25 km/h = 2.4 min/km) and unit costs (``data/priorities.toml``: tanah -> kerikil
Rp 3 billion/km), worked out in the comments.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from shapely.geometry import LineString, Point

from geo.io.workspace import Source, Workspace
from tests._paths import PROJECT_ROOT

UTM = "EPSG:32753"
X0, Y0 = 700_000.0, 9_500_000.0


def siapwisata(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "400"}  # rich would wrap messages at 80 columns
    return subprocess.run([sys.executable, "-m", "geo.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT,
                          env=env)


def xy(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


G, M1, M2, T, T2 = (0, 0), (5000, 3000), (5000, -3000), (10000, 0), (12000, 0)
# G -> T by P (10 km tanah: 45 min, 24 as kerikil) + P2 (1 km aspal: 1.5) = 46.5, or by Q
# (11 km tanah: 49.5, 26.4 as kerikil) + Q2 (1.5) = 51; T -> T2 by W (2 km tanah: 9, 4.8
# as kerikil).
ROWS = [
    (1, 2, G, M1, 10, "Jalan P", "tanah", 101),
    (2, 4, M1, T, 1, "Jalan P2", "asphalt", 102),
    (1, 3, G, M2, 11, "Jalan Q", "tanah", 103),
    (3, 4, M2, T, 1, "Jalan Q2", "asphalt", 104),
    (4, 5, T, T2, 2, "Jalan W", "tanah", 105),
]


@pytest.fixture()
def hand_ws(tmp_path: Path) -> Path:
    roads = gpd.GeoDataFrame([{
        "u": u, "v": v, "osm_way_id": way, "highway": "tertiary", "name": name, "ref": None,
        "surface": surface, "smoothness": None, "tracktype": None, "maxspeed": None,
        "oneway": False, "length_m": km * 1000.0, "authority": "kabupaten",
        "condition": "baik", "mode": "road", "provenance": "agency",
        "geometry": LineString([xy(*a), xy(*b)]),
    } for u, v, a, b, km, name, surface, way in ROWS], geometry="geometry", crs=UTM)

    def pts(coords: list[tuple[float, float]], **cols: Any) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(cols, geometry=[Point(xy(*c)) for c in coords], crs=UTM)

    path = tmp_path / "hand.gpkg"
    with Workspace(path).update(create=True) as stage:
        stage.write("roads", roads)
        stage.write("destinations", pts([T, T2], id=["D1", "D2"], name=["Tujuan T", "Tujuan T2"],
                                        category=["alam", "pantai"],
                                        provenance=["agency", "agency"]))
        stage.write("gateways", pts([G], id=["G1"], name=["Gerbang G"], kind=["pelabuhan"],
                                    provenance=["agency"]))
        stage.add_source(Source(name="hand-worked", layer="roads", date="2024-05-17",
                                licence="test"))
    return path


def test_priorities_ranks_selects_and_writes_the_layer_and_file(hand_ws: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "prioritas.csv"
    # Alone: P saves 21 min to T and 21 to T2 (42 min, Rp 30 bn: 1.4 per bn); with Q as
    # kerikil T is 27.9 min away, 18.6 less than 46.5, for T and T2: 37.2 min (Rp 33 bn:
    # 1.127 per bn); W saves 4.2 min to T2 (Rp 6 bn: 0.7 per bn).
    # Budget 36 bn: P first; then Q (33 bn) does not fit and W (6 bn) fits exactly.
    res = siapwisata("priorities", "--workspace", hand_ws, "--budget", "36000000000",
                     "--authority", "all", "--out", out)
    assert res.returncode == 0, res.stderr + res.stdout
    assert "Prioritas ruas jalan" in res.stdout and "ASUMSI" in res.stdout
    assert "Program (urutan pilihan)" in res.stdout
    table = pd.read_csv(out)
    assert table["name"].tolist() == ["Jalan P", "Jalan Q", "Jalan W"]  # rank order
    assert table["rank"].tolist() == [1, 2, 3]
    assert table["selected"].tolist() == [True, False, True]
    assert table["pick_order"].tolist() == pytest.approx([1, float("nan"), 2], nan_ok=True)
    assert table["cost_rp"].tolist() == pytest.approx([30e9, 33e9, 6e9])
    # Q after P (and W): 27.9 min via Q against 25.5 via the paved P: nothing saved
    assert table["minutes_saved"].tolist() == pytest.approx([42.0, 0.0, 4.2], abs=1e-6)
    assert table["minutes_saved_alone"].tolist() == pytest.approx([42.0, 37.2, 4.2], abs=1e-6)
    assert table["cumulative_cost_rp"].tolist() == pytest.approx([30e9, float("nan"), 36e9],
                                                                 nan_ok=True)
    assert table["benefit_cost"].tolist() == pytest.approx([1.4, 37.2 / 33, 0.7], abs=1e-7)
    assert table["destinations"].tolist() == ["Tujuan T; Tujuan T2"] * 2 + ["Tujuan T2"]
    assert (table["provenance"] == "agency").all()
    layer = pyogrio.read_dataframe(hand_ws, layer="priorities")
    assert layer["ruas_id"].tolist() == table["ruas_id"].tolist()
    assert layer.crs.to_epsg() == 4326


def test_priorities_refuses_bad_options_before_touching_the_workspace(hand_ws: Path,
                                                                      tmp_path: Path) -> None:
    before = hand_ws.read_bytes()
    res = siapwisata("priorities", "--workspace", hand_ws, "--out", tmp_path / "p.pdf")
    assert res.returncode == 1 and "format keluaran" in res.stderr
    res = siapwisata("priorities", "--workspace", hand_ws, "--budget", "-5")
    assert res.returncode == 1 and "budget" in res.stderr
    res = siapwisata("priorities", "--workspace", hand_ws, "--authority", "kota")
    assert res.returncode == 2  # not one of the choices (typer)
    assert hand_ws.read_bytes() == before


def test_scenario_reports_scores_before_and_after(hand_ws: Path, tmp_path: Path) -> None:
    works = tmp_path / "rencana.csv"
    works.write_text("nama_ruas;peningkatan\nJalan P;tanah_kerikil\n", encoding="utf-8")
    out = tmp_path / "skenario.csv"
    before = hand_ws.read_bytes()
    res = siapwisata("scenario", "--workspace", hand_ws, "--what-if", works, "--out", out)
    assert res.returncode == 0, res.stderr + res.stdout
    assert "Skenario" in res.stdout
    t = pd.read_csv(out).set_index("id")
    # T: 46.5 -> 25.5 min, T2: 55.5 -> 34.5 min
    assert t.loc["D1", "access_minutes_before"] == pytest.approx(46.5)
    assert t.loc["D1", "access_minutes_after"] == pytest.approx(25.5)
    assert t.loc["D2", "access_minutes_after"] == pytest.approx(34.5)
    assert t["access_delta"].tolist() == pytest.approx([-21.0, -21.0])
    assert (t["delta"] >= 0).all() and (t["delta"] > 0).any()
    assert (t["delta"] == t["score_after"] - t["score_before"]).all()
    assert hand_ws.read_bytes() == before  # a what-if changes nothing


def test_scenario_by_way_and_surface_and_xlsx(hand_ws: Path, tmp_path: Path) -> None:
    works = tmp_path / "rencana.xlsx"
    pd.DataFrame({"osm_way_id": [103], "surface": ["hotmix"], "kondisi": ["baik"]}).to_excel(
        works, index=False)
    out = tmp_path / "skenario.xlsx"
    res = siapwisata("scenario", "--workspace", hand_ws, "--what-if", works, "--out", out)
    assert res.returncode == 0, res.stderr + res.stdout
    wb = load_workbook(out)
    assert wb.sheetnames == ["Skenario", "Asumsi", "Pekerjaan"]
    rows = list(wb["Skenario"].iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:2] == ["ID destinasi", "Nama destinasi"]
    # Q paved: 11 km at 40 km/h = 16.5 + 1.5 = 18 min to T (was 46.5)
    after = header.index("Waktu tempuh sesudah (menit)")
    assert rows[1][after] == pytest.approx(18.0)
    work = list(wb["Pekerjaan"].iter_rows(values_only=True))
    assert work[1][list(work[0]).index("Segmen diubah")] == 1


def test_scenario_lists_every_bad_line(hand_ws: Path, tmp_path: Path) -> None:
    works = tmp_path / "rencana.csv"
    works.write_text(
        "ruas_id;name;upgrade;surface\n"
        "R09999;;tanah_kerikil;\n"  # line 2: unknown section
        ";Jalan X;tanah_kerikil;\n"  # line 3: unknown road name
        ";Jalan P;emas;\n"  # line 4: unknown upgrade
        ";Jalan P;tanah_kerikil;aspal\n"  # line 5: both an upgrade and a surface
        ";Jalan W;;marmer\n"  # line 6: unknown surface word
        ";Jalan W;;\n",  # line 7: nothing to do
        encoding="utf-8")
    res = siapwisata("scenario", "--workspace", hand_ws, "--what-if", works)
    assert res.returncode == 1
    msg = " ".join(res.stderr.split())
    assert "6 masalah" in msg
    for line, field in ((2, "ruas_id"), (3, "name"), (4, "upgrade"), (5, "upgrade"),
                        (6, "surface"), (7, "upgrade")):
        assert f"baris {line}, kolom '{field}'" in msg, (line, field)


def test_priorities_on_the_demo_writes_formatted_files(demo_ws: Path, tmp_path: Path) -> None:
    ws = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_ws, ws)
    for ext in ("xlsx", "gpkg"):
        res = siapwisata("priorities", "--workspace", ws, "--budget", "25000000000",
                         "--out", tmp_path / f"p.{ext}")
        assert res.returncode == 0, res.stderr + res.stdout
        assert "SINTETIS" in res.stdout
    wb = load_workbook(tmp_path / "p.xlsx")
    sheet = wb["Prioritas"]
    assert sheet.freeze_panes == "C2"
    header = [c.value for c in sheet[1]]
    assert "Biaya kumulatif (Rp)" in header
    assert "Kenaikan skor kesiapan (jumlah, tambahan dalam program)" in header
    assert "Nama destinasi terlayani" in header
    col = header.index("Biaya (Rp, asumsi)") + 1
    assert sheet.cell(row=2, column=col).number_format == '"Rp" #,##0'
    layer = pyogrio.read_dataframe(tmp_path / "p.gpkg", layer="priorities")
    stored = pyogrio.read_dataframe(ws, layer="priorities")
    assert layer["ruas_id"].tolist() == stored["ruas_id"].tolist()
    assert stored.loc[stored["selected"], "cost_rp"].sum() <= 25e9
    assert (stored["provenance"] == "synthetic").all()


def test_priorities_with_score_writes_both_layers_as_the_two_commands(hand_ws: Path,
                                                                      tmp_path: Path) -> None:
    both, apart = tmp_path / "both.gpkg", tmp_path / "apart.gpkg"
    shutil.copyfile(hand_ws, both)
    shutil.copyfile(hand_ws, apart)
    before = both.read_bytes()
    res = siapwisata("priorities", "--workspace", both, "--with-score", "--out",
                     tmp_path / "p.pdf")
    assert res.returncode == 1 and "format keluaran" in res.stderr
    assert both.read_bytes() == before  # refused before any work, scores included
    out = tmp_path / "prioritas.csv"
    res = siapwisata("priorities", "--workspace", both, "--with-score", "--budget",
                     "36000000000", "--authority", "all", "--out", out)
    assert res.returncode == 0, res.stderr + res.stdout
    assert "layer 'scores'" in res.stdout and "layer 'priorities'" in res.stdout
    # the hand-worked program of the test above: P, then W
    table = pd.read_csv(out)
    assert table["name"].tolist() == ["Jalan P", "Jalan Q", "Jalan W"]
    assert table["selected"].tolist() == [True, False, True]
    for args in (("score",), ("priorities", "--budget", "36000000000", "--authority", "all")):
        res = siapwisata(*args, "--workspace", apart)
        assert res.returncode == 0, res.stderr + res.stdout
    for layer in ("scores", "priorities"):
        a = pyogrio.read_dataframe(apart, layer=layer)
        b = pyogrio.read_dataframe(both, layer=layer)
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                      pd.DataFrame(b.drop(columns="geometry")))
