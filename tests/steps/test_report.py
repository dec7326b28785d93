"""Printable PDF reports (issue 14 part 1): ``geo.report``, ``siapwisata report`` and the
``.pdf`` routes, on the scored Mimika demo.

The PDFs are read back with pypdf and compared with values computed here from the
workspace tables (pyogrio, shapely) and formatted by hand the Indonesian way (decimal
comma, dots between thousands, Indonesian month names), never with the code under test.
"""

from __future__ import annotations

import io
import re
import shutil
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from geo.cli import app
from geo.exceptions import SiapError
from geo.io.workspace import Workspace
from geo.report import (
    Programme,
    UnknownReportId,
    agency_pdf,
    destination_pdf,
    distrik_pdf,
    priorities_pdf,
)

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
BANNER = "DATA CONTOH (SINTETIS)"
OSM = "© kontributor OpenStreetMap"
DAY = date(2026, 3, 7)
HOSTILE = '<script>alert("x")</script> =HYPERLINK("http://x.invalid","klik")'


def _text(pdf: bytes) -> tuple[str, int]:
    """All text of a PDF with runs of white space made one space, and its page count."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(p.extract_text() or "" for p in reader.pages)
    return re.sub(r"\s+", " ", text), len(reader.pages)


def _dec(x: float, decimals: int) -> str:
    """``1234.56`` -> ``1.234,6``: half up, dots between thousands, decimal comma."""
    q = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{q:f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return sign + ".".join(groups) + ("," + frac if frac else "")


def _rp(x: float) -> str:
    return "Rp " + _dec(x, 0)


def _read(path: Path, layer: str) -> pd.DataFrame:
    return pyogrio.read_dataframe(path, layer=layer, read_geometry=False)


def _common(text: str, path: Path) -> None:
    """The date, workspace version, banner, OSM credit and Asumsi box of every report."""
    assert f"{DAY.day} {MONTHS[DAY.month - 1]} {DAY.year}" in text
    version = int(pd.to_numeric(_read(path, "versions")["version"]).max())
    assert f"Workspace versi {version}" in text
    assert BANNER in text  # the demo's roads, destinations and UMKM are synthetic
    assert OSM in text
    assert "Asumsi" in text


@pytest.fixture(scope="module")
def access(served: Path):
    from geo.steps import compute_access, workspace_network_config

    ws = Workspace(served)
    return compute_access(ws, workspace_network_config(ws)[0])


def test_destination_report_is_one_page_with_its_scores(served: Path, access) -> None:
    scores = _read(served, "scores")
    row = scores.sort_values("score").iloc[len(scores) // 2]  # any destination
    report = destination_pdf(Workspace(served), str(row["id"]), access=access, today=DAY)
    text, pages = _text(report.pdf)
    assert pages == 1
    assert report.filename == f"destinasi-{row['id']}.pdf"
    _common(text, served)
    assert str(row["name"]) in text and str(row["id"]) in text
    assert f"Skor {_dec(row['score'], 1)} (rentang {_dec(row['score_low'], 1)}–" \
           f"{_dec(row['score_high'], 1)})" in text
    assert f"dari {len(scores)}" in text
    assert str(row["bottleneck_agency"]) in text
    for dim in ("pariwisata", "pu", "umkm", "kominfo", "perhubungan"):
        value = row[f"score_{dim}"]
        assert pd.isna(value) or _dec(value, 0) in text
    # the reach map is drawn: 15 and 30 minutes, the destination, the scale bar
    html = report.html
    assert 'class="jangkauan-15"' in html and 'class="destinasi"' in html
    assert re.search(r'<path class="jangkauan-15" d="M[-\d.]+,[-\d.]+ ', html)
    assert "Jangkauan 15/30 menit" in text


def test_unknown_ids_name_valid_ones(served: Path) -> None:
    ws = Workspace(served)
    with pytest.raises(UnknownReportId, match=r"destinasi 'DST-404' .*DST-001"):
        destination_pdf(ws, "DST-404")
    with pytest.raises(UnknownReportId, match=r"distrik 'Atlantis' .*Agimuga"):
        distrik_pdf(ws, "Atlantis")
    with pytest.raises(UnknownReportId, match=r"OPD 'dinsos' .*pu \(Dinas PUPR\)"):
        agency_pdf(ws, "dinsos")


def test_distrik_report_lists_the_destinations_inside_it(served: Path) -> None:
    admin = gpd.read_file(served, layer="admin_areas")
    distrik = admin[admin["level"] == "distrik"]
    scores = gpd.read_file(served, layer="scores")
    counts = {k: int(scores.within(g).sum()) for k, g in zip(distrik["kode"], distrik.geometry,
                                                             strict=True)}
    kode = max(counts, key=lambda k: counts[k])
    area = distrik[distrik["kode"] == kode].iloc[0]
    inside = scores[scores.within(area.geometry)]
    outside = scores[~scores.intersects(area.geometry)]
    by_name = distrik_pdf(Workspace(served), str(area["nama"]).upper(), today=DAY)
    by_code = distrik_pdf(Workspace(served), kode, today=DAY)
    assert by_name.html == by_code.html
    text, _ = _text(by_code.pdf)
    _common(text, served)
    assert f"Distrik {area['nama']} ({kode})" in text
    assert f"{len(inside)} destinasi dinilai" in text
    assert f"rata-rata skor {_dec(inside['score'].mean(), 1)}" in text
    for _, r in inside.iterrows():
        assert str(r["name"]) in text and _dec(r["score"], 1) in text
    for name in outside["name"].astype(str):
        assert name not in text


def test_agency_report_shows_bottlenecks_and_committed_budget(served: Path,
                                                              tmp_path: Path) -> None:
    from geo.accounts import User
    from geo.steps.tasks import adopt_task, list_tasks

    path = tmp_path / "ws.gpkg"
    shutil.copyfile(served, path)
    ws = Workspace(path)
    task = list_tasks(ws, agency="pu").iloc[0]
    adopt_task(ws, str(task["task_id"]), {"budget_rp": "1.250.000.000", "target_year": "2027"},
               user=User("pu-ed", "pu", "editor"))
    report = agency_pdf(ws, "pu", today=DAY)
    text, _ = _text(report.pdf)
    _common(text, path)
    scores = _read(path, "scores")
    held = scores[scores["bottleneck"] == "pu"]
    assert f"{len(held)} dari {len(scores)}" in text
    for _, r in held.iterrows():
        assert str(r["name"]) in text and _dec(r["gain_pu"], 1) in text
    assert "Rp 1.250.000.000" in text and "2027" in text
    assert str(task["text"])[:40] in text


def test_road_programme_costs_add_up(served: Path) -> None:
    table = gpd.read_file(served, layer="priorities").sort_values("rank")
    # a programme the report is given: the first sections by rank that fit 12 billion
    budget = 12e9
    cost = table["cost_rp"].to_numpy()
    fits = cost.cumsum() <= budget
    take = table[fits].copy()
    assert 0 < len(take) < len(table)
    take["selected"] = True
    take["pick_order"] = range(1, len(take) + 1)
    take["cumulative_cost_rp"] = take["cost_rp"].cumsum()
    rest = table[~fits].assign(selected=False)
    prog = Programme(gpd.GeoDataFrame(pd.concat([take, rest]), crs=table.crs), budget,
                     "kabupaten", False)
    report = priorities_pdf(Workspace(served), programme=prog, today=DAY)
    text, _ = _text(report.pdf)
    _common(text, served)
    total = float(take["cost_rp"].sum())
    assert f"Total biaya {_rp(total)}" in text
    assert f"Sisa anggaran {_rp(budget - total)}" in text
    assert f"Anggaran {_rp(budget)}" in text
    for _, r in take.iterrows():
        assert str(r["ruas_id"]) in text and _rp(r["cost_rp"]) in text
        served_names = [n.strip() for n in str(r["destinations"]).split(";") if n.strip()]
        assert f"{len(served_names)}: " in text
        assert all(n in text for n in served_names)
    for ruas in rest["ruas_id"].astype(str):
        assert ruas not in text
    assert 'class="ruas-terpilih"' in report.html


def test_hostile_names_print_as_text(served: Path, tmp_path: Path, access) -> None:
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(served, path)
    ws = Workspace(path)
    with ws.update() as stage:
        for layer in ("scores", "destinations"):
            frame = ws.read(layer)
            frame.loc[frame["id"] == "DST-001", "name"] = HOSTILE
            stage.write(layer, frame)
    report = destination_pdf(ws, "DST-001", access=access, today=DAY)
    text, pages = _text(report.pdf)
    assert HOSTILE in text
    assert pages == 1
    assert "<script" not in report.html
    assert "&lt;script&gt;alert(" in report.html


runner = CliRunner()


def _cli(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    out = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert isinstance(result.exception, SiapError), result.exception
        out += str(result.exception)
    return result.exit_code, out


def test_cli_report(served: Path, tmp_path: Path) -> None:
    out = tmp_path / "pu.pdf"
    code, said = _cli("report", "opd", "--workspace", served, "--id", "pu", "--out", out)
    assert code == 0, said
    text, _ = _text(out.read_bytes())
    assert "Dinas PUPR" in text
    today = datetime.now(UTC).date()
    assert f"{today.day} {MONTHS[today.month - 1]} {today.year}" in text
    for args, message in (
            (("destinasi", "--id", "DST-404"), "destinasi 'DST-404' tidak ditemukan"),
            (("distrik", "--id", "Atlantis"), "distrik 'Atlantis' tidak ditemukan"),
            (("opd", "--id", "dinsos"), "OPD 'dinsos' tidak ditemukan"),
            (("opd",), "memerlukan --id"),
            (("prioritas", "--budget", "sepuluh"), "tidak terbaca sebagai nilai rupiah"),
            (("prioritas", "--id", "x"), "tidak memakai --id")):
        bad = tmp_path / "x.pdf"
        code, said = _cli("report", *args, "--workspace", served, "--out", bad)
        assert code != 0 and message in said, said
        assert not bad.exists()
    code, said = _cli("report", "opd", "--id", "pu", "--workspace", served, "--out",
                      tmp_path / "x.txt")
    assert code != 0 and ".pdf" in said


def test_routes_answer_pdf(served: Path) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(served)) as client:
        r = client.get("/rapor/kominfo.pdf")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/pdf"
        assert 'filename="rapor-kominfo.pdf"' in r.headers["content-disposition"]
        text, _ = _text(r.content)
        assert "Diskominfo" in text
        missing = client.get("/distrik/Atlantis.pdf")
        assert missing.status_code == 404
        assert "Atlantis" in missing.json()["detail"]
        page = client.get("/rapor")
        assert 'href="/rapor/kominfo.pdf"' in page.text
        scores = _read(served, "scores")
        dest = client.get(f"/destinasi/{scores['id'].iloc[0]}")
        assert f'href="/destinasi/{scores["id"].iloc[0]}.pdf"' in dest.text
