"""/api/priorities (api/routers/priorities.py).

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from geo.io.workspace import Workspace
from tests._served import NO_PRIORITIES, has_priorities


def test_priorities_json_and_downloads(client: TestClient, served: Path, tmp_path: Path) -> None:
    if not has_priorities(served):
        pytest.skip(NO_PRIORITIES)
    layer = Workspace(served).read("priorities")
    body = client.get("/api/priorities").json()
    assert body["count"] == len(layer)
    assert [r["ruas_id"] for r in body["rows"]] == \
        layer.sort_values("rank")["ruas_id"].astype(str).tolist()
    for col in ("cost_rp", "minutes_saved", "minutes_saved_alone", "benefit_cost",
                "score_gain", "score_gain_alone"):
        got = [r[col] for r in body["rows"]]
        assert got == pytest.approx(layer.sort_values("rank")[col].astype(float).tolist())
    assert [r["destinations"] or "" for r in body["rows"]] == \
        layer.sort_values("rank")["destinations"].fillna("").tolist()
    # Another budget must give what `siapwisata priorities --budget` gives (greedy with
    # re-evaluation): run the command's function on a copy as the reference.
    from geo.steps import priorities_workspace

    costs = layer.sort_values("rank")["cost_rp"].astype(float)
    budget = float(costs.iloc[: max(1, len(costs) // 10)].sum())
    ref_path = tmp_path / "ref.gpkg"
    shutil.copyfile(served, ref_path)
    ref = priorities_workspace(Workspace(ref_path), budget=budget).table
    want = set(ref.loc[ref["selected"], "ruas_id"].astype(str))
    assert want and len(want) < len(ref)
    body = client.get("/api/priorities", params={"budget": budget}).json()
    assert body["budget"] == budget
    assert [r["ruas_id"] for r in body["rows"]] == ref["ruas_id"].astype(str).tolist()
    assert {r["ruas_id"] for r in body["rows"] if r["selected"]} == want
    # the programme's order as the command gives it; nothing for the sections not picked
    assert {r["ruas_id"]: r["pick_order"] for r in body["rows"] if r["selected"]} == {
        str(i): int(p) for i, p in zip(ref.loc[ref["selected"], "ruas_id"],
                                       ref.loc[ref["selected"], "pick_order"], strict=True)}
    assert all(r["pick_order"] is None for r in body["rows"] if not r["selected"])
    assert body["selected_count"] == len(want)
    assert body["selected_cost_rp"] == pytest.approx(
        ref.loc[ref["selected"], "cost_rp"].sum())
    assert body["selected_cost_rp"] <= budget
    for auth in ("provinsi", "all"):
        ref_auth = priorities_workspace(Workspace(ref_path), authority=auth).table
        rows = client.get("/api/priorities", params={"authority": auth}).json()["rows"]
        assert [r["ruas_id"] for r in rows] == ref_auth["ruas_id"].astype(str).tolist()
    csv = client.get("/api/priorities", params={"format": "csv", "budget": budget})
    assert csv.headers["content-disposition"].endswith('prioritas-jalan.csv"')
    df = pd.read_csv(io.StringIO(csv.content.decode("utf-8-sig")))
    assert len(df) == len(layer)
    assert set(df.loc[df["selected"], "ruas_id"].astype(str)) == want
    xlsx = client.get("/api/priorities", params={"format": "xlsx"})
    assert xlsx.status_code == 200
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert "Asumsi" in book.sheetnames
    first = book[book.sheetnames[0]]
    assert first.max_row == len(layer) + 1 or first.max_row > len(layer)
    gpkg = client.get("/api/priorities", params={"format": "gpkg"})
    assert gpkg.status_code == 200
    path = tmp_path / "download.gpkg"
    path.write_bytes(gpkg.content)
    back = pyogrio.read_dataframe(path)
    assert len(back) == len(layer)
    assert set(back["ruas_id"].astype(str)) == set(layer["ruas_id"].astype(str))
    r = client.get("/maps/priorities", params={"budget": budget, "warna": "benefit_cost"})
    assert r.status_code == 200 and "Manfaat/biaya" in r.text


def test_priorities_missing_is_409(client: TestClient, demo_ws: Path) -> None:
    with TestClient(create_app(demo_ws)) as c:  # the demo before any scoring
        for url in ("/api/priorities", "/maps/priorities", "/api/destinations",
                    "/maps/readiness"):
            r = c.get(url)
            assert r.status_code == 409, url
            assert "belum ada" in r.json()["detail"]
