"""Agency dimensions come from readiness.toml alone, and every output records and shows the
configurations it was computed with (issue 11).

A sixth dimension ``dlh`` (Dinas Lingkungan Hidup, one indicator on a destination column
added here) is written into a copy of the default TOML; with no code change it must reach
the scores layer, the CSV/XLSX exports, ``POST /api/score``, the destination GeoJSON, the
OpenAPI description and the readiness map's popups and legend. The expected values are
derived here from the TOML text and the test data (linear 0..5 -> 0..100, weights read with
tomllib), not from the code under test.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import shutil
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.main import create_app
from geo.exceptions import ConfigError
from geo.io.workspace import Workspace
from geo.readiness import dimension_labels, load_readiness_config, readiness_config_from_dict
from geo.steps import score_workspace
from tests._paths import PROJECT_ROOT

DEFAULT = PROJECT_ROOT / "data"
DLH = """
# ---------------------------------------------------------------------------------------
# Dinas Lingkungan Hidup: cleanliness of the site (test dimension).
[dimensions.dlh]
agency = "Dinas Lingkungan Hidup"
short = "DLH"
color = "#8b4513"
four_a = ["atraksi"]
weight = 0.2
assumption = true

[dimensions.dlh.indicators.kebersihan]
label = "kebersihan lokasi (0-5)"
column = "kebersihan"
zero = 0.0
full = 5.0
weight = 1.0
assumption = true
gap = "kebersihan {kebersihan:.0f}/5"
"""


def _cleanliness(n: int) -> list[float]:
    """Test values: 0..5 in turn, every seventh site unknown."""
    return [math.nan if i % 7 == 6 else float(i % 6) for i in range(n)]


@pytest.fixture(scope="module")
def dlh(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> dict[str, Any]:
    """The demo workspace with a ``kebersihan`` column, scored with the six-dimension TOML
    (and the default network), with exports written; then prioritised with a priorities
    TOML whose unit costs differ from the default."""
    base = tmp_path_factory.mktemp("dlh")
    toml = base / "readiness-dlh.toml"
    toml.write_text((DEFAULT / "readiness.toml").read_text(encoding="utf-8") + DLH,
                    encoding="utf-8")
    prio = base / "priorities-mahal.toml"
    prio.write_text((DEFAULT / "priorities.toml").read_text(encoding="utf-8").replace(
        "unit_cost_rp_per_km = 1_500_000_000", "unit_cost_rp_per_km = 1_750_000_000"),
        encoding="utf-8")
    path = base / "dlh.gpkg"
    shutil.copyfile(demo_ws, path)
    ws = Workspace(path)
    dest = ws.read("destinations")
    dest["kebersihan"] = _cleanliness(len(dest))
    with ws.update() as stage:
        stage.write("destinations", dest)
    outs = {ext: base / f"skor.{ext}" for ext in ("csv", "xlsx")}
    score_workspace(ws, config=toml, out=outs["xlsx"])
    from geo.readiness import read_readiness_config, write_scores

    write_scores(ws.read("scores"), outs["csv"], read_readiness_config(toml)[0])
    from geo.steps import priorities_workspace

    priorities_workspace(ws, config=prio, readiness_config=toml, out=base / "prioritas.xlsx")
    return {"path": path, "toml": toml, "prio": prio, "outs": outs,
            "prio_xlsx": base / "prioritas.xlsx", "dest": dest}


@pytest.fixture(scope="module")
def client(dlh: dict[str, Any]):
    # no explicit SIAPWISATA_READINESS_CONFIG: the app serves what the workspace recorded
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SIAPWISATA_READINESS_CONFIG", raising=False)
        mp.delenv("SIAPWISATA_PRIORITIES_CONFIG", raising=False)
        with TestClient(create_app(dlh["path"])) as c:
            yield c


def _weights(toml: Path) -> dict[str, float]:
    dims = tomllib.loads(toml.read_text(encoding="utf-8"))["dimensions"]
    return {k: float(v["weight"]) for k, v in dims.items()}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_text(encoding="utf-8").encode("utf-8")).hexdigest()


# --- the scores layer and the exports -------------------------------------------------------


def test_sixth_dimension_is_scored_with_bounds(dlh: dict[str, Any]) -> None:
    s = Workspace(dlh["path"]).read("scores")
    for col in ("score_dlh", "score_dlh_low", "score_dlh_high"):
        assert col in s.columns, col
    clean = dict(zip(dlh["dest"]["id"].astype(str), dlh["dest"]["kebersihan"], strict=True))
    want = np.array([clean[str(i)] / 5.0 * 100.0 for i in s["id"]])  # linear 0..5
    known = ~np.isnan(want)
    assert known.any() and (~known).any()
    np.testing.assert_allclose(s["score_dlh"].to_numpy(float)[known], want[known])
    assert s["score_dlh"].isna().to_numpy()[~known].all()
    np.testing.assert_allclose(s["score_dlh_low"].to_numpy(float)[~known], 0.0)
    np.testing.assert_allclose(s["score_dlh_high"].to_numpy(float)[~known], 100.0)
    # score_low is the weighted mean of the six dimension lower bounds, weights of the TOML
    w = _weights(dlh["toml"])
    assert len(w) == 6
    lows = np.column_stack([s[f"score_{d}_low"].to_numpy(float) for d in w])
    ref = lows @ np.array(list(w.values())) / sum(w.values())
    scored = s["score"].notna().to_numpy()
    np.testing.assert_allclose(s["score_low"].to_numpy(float)[scored], ref[scored], atol=1e-9)
    # the agency's short label names its gaps in the actions
    low_clean = s[(s["score_dlh"] < 100) & (s["bottleneck"] == "dlh")]
    for _, row in low_clean.iterrows():
        assert "DLH: kebersihan" in str(row["actions"])
        assert row["bottleneck_agency"] == "Dinas Lingkungan Hidup"


def test_csv_and_xlsx_carry_the_sixth_dimension(dlh: dict[str, Any]) -> None:
    with open(dlh["outs"]["csv"], encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    assert {"score_dlh", "score_dlh_low", "score_dlh_high"} <= set(header)
    wb = load_workbook(dlh["outs"]["xlsx"], read_only=True)
    head = next(wb["Skor kesiapan"].iter_rows(values_only=True))
    assert "Skor DLH" in head
    assert "Skor DLH (batas bawah: data kosong = 0, skor terbukti)" in head
    # the other labels are the TOML's `short` too: one label per agency everywhere
    assert "Skor PU" in head and "Skor UMKM" in head
    asumsi = list(wb["Asumsi"].iter_rows(values_only=True))
    keys = {r[1] for r in asumsi}
    assert "dimensions.dlh.weight" in keys and "dimensions.dlh.indicators.kebersihan" in keys
    conf = [r for r in asumsi if r[0] == "Konfigurasi"]
    assert any(r[1] == "readiness-dlh.toml" and _sha(dlh["toml"])[:16] in r[2] for r in conf)


def test_workspace_records_the_configurations_used(dlh: dict[str, Any]) -> None:
    meta = Workspace(dlh["path"]).metadata()
    configs = json.loads(meta["configs"])
    rec = configs["scores"]["readiness"]
    assert rec["text"] == dlh["toml"].read_text(encoding="utf-8")
    assert rec["sha256"] == _sha(dlh["toml"])
    assert configs["scores"]["network"]["sha256"] == _sha(DEFAULT / "network.toml")
    prio = configs["priorities"]
    assert prio["priorities"]["sha256"] == _sha(dlh["prio"])
    assert prio["readiness"]["sha256"] == _sha(dlh["toml"])
    assert set(prio) == {"priorities", "readiness", "network"}


# --- the API ---------------------------------------------------------------------------------


def test_score_weights_follow_the_stored_dimensions(client: TestClient,
                                                    dlh: dict[str, Any]) -> None:
    r = client.post("/api/score", json={"weights": {"dlh": 3, "pu": 1}, "ranks": False})
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    w = _weights(dlh["toml"]) | {"dlh": 3.0, "pu": 1.0}
    total = sum(w.values())
    assert set(body["weights"]) == set(w)
    for k, v in w.items():
        assert body["weights"][k] == pytest.approx(v / total)
    stored = Workspace(dlh["path"]).read("scores")
    stored = stored.set_index(stored["id"].astype(str))
    for row in body["destinations"]:
        want = stored.loc[row["id"], "score_dlh"]
        assert (row["score_dlh"] is None) == bool(pd.isna(want))
        if row["score_dlh"] is not None:
            assert row["score_dlh"] == pytest.approx(float(want))


@pytest.mark.parametrize("weights", [
    {"dinsos": 1},  # not a dimension of the TOML
    {"dlh": "1"}, {"dlh": True}, {"dlh": None, "jalan": 2},
    {d: 1e308 for d in ("pariwisata", "pu", "umkm", "kominfo", "perhubungan", "dlh")},
])
def test_score_weights_refused(client: TestClient, weights: dict[str, Any]) -> None:
    r = client.post("/api/score", json={"weights": weights, "ranks": False})
    assert r.status_code == 422, r.text[:300]
    assert r.json()["errors"][0]["field"].startswith("body.weights")


def test_openapi_and_geojson_name_the_sixth_dimension(client: TestClient,
                                                      dlh: dict[str, Any]) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "dlh" in schemas["ScoreWeights"]["properties"]
    assert "Dinas Lingkungan Hidup" in schemas["ScoreWeights"]["properties"]["dlh"]["description"]
    for name in ("DestinationProperties", "ScoreRow"):
        assert "score_dlh" in schemas[name]["properties"], name
    assert "score_dlh_high" in schemas["DestinationProperties"]["properties"]
    fc = client.get("/api/destinations").json()
    props = fc["features"][0]["properties"]
    assert {"score_dlh", "score_dlh_low", "score_dlh_high"} <= set(props)
    one = client.get(f"/api/destinations/{props['id']}").json()
    dims = [b["dimension"] for b in one["breakdown"]]
    assert dims == list(_weights(dlh["toml"]))
    dlh_row = one["breakdown"][-1]
    assert dlh_row["agency"] == "Dinas Lingkungan Hidup"
    assert dlh_row["weight"] == pytest.approx(0.2)


def test_readiness_map_popups_and_legend_show_the_sixth_dimension(client: TestClient) -> None:
    r = client.get("/maps/readiness")
    assert r.status_code == 200
    html = r.text
    assert "DLH: Dinas Lingkungan Hidup" in html  # legend row
    assert "Skor per OPD (dimensi)" in html
    assert "background:#8b4513" in html  # the dimension's colour: popup bars and swatch
    assert "#e69f00" in html  # PU's colour from the default TOML
    # each popup has six bars, the sixth titled by its agency
    assert html.count("Dinas Lingkungan Hidup: ") >= 1


def test_api_priorities_xlsx_shows_the_stored_configuration(client: TestClient,
                                                            dlh: dict[str, Any]) -> None:
    r = client.get("/api/priorities", params={"format": "xlsx"})
    assert r.status_code == 200, r.text[:300]
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    rows = list(wb["Asumsi"].iter_rows(values_only=True))
    cost = [row for row in rows if row[1] == "upgrades.rehabilitasi"]
    # the stored, not the default; Rp 1.75e9 in Indonesian grouping (issue 14)
    assert cost and "1.750.000.000" in str(cost[0][2]), cost
    conf = {row[1]: row[2] for row in rows if row[0] == "Konfigurasi"}
    assert _sha(dlh["prio"])[:16] in conf["priorities-mahal.toml"]
    assert _sha(dlh["toml"])[:16] in conf["readiness-dlh.toml"]
    # the step's own file says the same
    wb2 = load_workbook(dlh["prio_xlsx"], read_only=True)
    rows2 = list(wb2["Asumsi"].iter_rows(values_only=True))
    assert [row for row in rows2 if row[1] == "upgrades.rehabilitasi"] == cost
    # another budget is computed with the stored configuration too
    r = client.get("/api/priorities", params={"format": "xlsx", "budget": 1e9})
    wb3 = load_workbook(io.BytesIO(r.content), read_only=True)
    rows3 = list(wb3["Asumsi"].iter_rows(values_only=True))
    assert [row for row in rows3 if row[1] == "upgrades.rehabilitasi"] == cost


# --- scenario takes its configurations as given ---------------------------------------------


def test_scenario_uses_the_configurations_it_is_given(dlh: dict[str, Any],
                                                      tmp_path: Path) -> None:
    from geo.steps import scenario_workspace

    slow = tmp_path / "network-lambat.toml"
    text = (DEFAULT / "network.toml").read_text(encoding="utf-8")
    assert "\nspeed_kmh = 5.0\n" in text
    slow.write_text(text.replace("\nspeed_kmh = 5.0\n", "\nspeed_kmh = 2.5\n", 1),
                    encoding="utf-8")
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(dlh["path"], path)
    ws = Workspace(path)
    # the reference: the scores step with the same network configuration
    score_workspace(ws, config=dlh["toml"], network_config=slow)
    ref = ws.read("scores").set_index("id")
    p = ws.read("priorities").sort_values("rank").iloc[0]
    works = tmp_path / "pekerjaan.csv"
    works.write_text(f"ruas_id,surface\n{p['ruas_id']},aspal\n", encoding="utf-8")
    out = tmp_path / "skenario.xlsx"
    res = scenario_workspace(ws, works, out=out, readiness_config=dlh["toml"],
                             network_config=slow, config=dlh["prio"])
    t = res.table.set_index("id")
    before = t["access_minutes_before"].reindex(ref.index).to_numpy(float)
    np.testing.assert_allclose(before, ref["access_minutes"].to_numpy(float), equal_nan=True)
    np.testing.assert_allclose(t["score_before"].reindex(ref.index).to_numpy(float),
                               ref["score"].to_numpy(float), equal_nan=True)
    # and the default network gives other times: the configuration was not ignored
    default = Workspace(dlh["path"]).read("scores").set_index("id")
    assert not np.allclose(before, default["access_minutes"].reindex(ref.index).to_numpy(float),
                           equal_nan=True)
    wb = load_workbook(out, read_only=True)
    head = next(wb["Skenario"].iter_rows(values_only=True))
    assert "Skor PU sebelum" in head and "Skor PU sesudah" in head
    conf = {r[1]: r[2] for r in wb["Asumsi"].iter_rows(values_only=True) if r[0] == "Konfigurasi"}
    assert set(conf) == {"readiness-dlh.toml", "network-lambat.toml", "priorities-mahal.toml"}
    assert _sha(slow)[:16] in conf["network-lambat.toml"]


# --- the configuration model ----------------------------------------------------------------


def test_labels_and_colours_come_from_the_toml() -> None:
    raw = tomllib.loads((DEFAULT / "readiness.toml").read_text(encoding="utf-8"))
    labels = dimension_labels(load_readiness_config(DEFAULT / "readiness.toml"))
    assert list(labels) == list(raw["dimensions"])
    for key, lab in labels.items():
        assert (lab.key, lab.short, lab.agency, lab.color) == (
            key, raw["dimensions"][key]["short"], raw["dimensions"][key]["agency"],
            raw["dimensions"][key]["color"])
        assert lab.header == f"Skor {raw['dimensions'][key]['short']}"
    # fewer agencies are fine; a dimension without a colour gets one, a bad colour is named
    one = {k: v for k, v in raw.items() if k != "access"}
    one["dimensions"] = {"pu": {k: v for k, v in raw["dimensions"]["pu"].items() if k != "color"}}
    cfg = readiness_config_from_dict(one)
    assert list(dimension_labels(cfg)) == ["pu"]
    assert dimension_labels(cfg)["pu"].color.startswith("#")
    one["dimensions"]["pu"]["color"] = "red"
    with pytest.raises(ConfigError, match="dimensions.pu.color"):
        readiness_config_from_dict(one)
    with pytest.raises(ConfigError, match="paling sedikit satu dimensi"):
        readiness_config_from_dict(one | {"dimensions": {}})


def test_no_dimension_list_outside_the_toml() -> None:
    """The five default keys appear in no code that decides what the dimensions are."""
    import re

    hits = []
    for folder in ("geo", "api", "maps"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for m in re.finditer(r"[\"'](pariwisata|kominfo|perhubungan)[\"']", text):
                hits.append(f"{path.relative_to(PROJECT_ROOT)}: {m.group(0)}")
    assert hits == []
