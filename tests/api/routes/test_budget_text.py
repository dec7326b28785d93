"""Budgets typed as officers write them (issue 14.3): "20 miliar", "Rp 20.000.000.000",
in the task form, the task API (JSON numbers still work) and the priorities map; text that
is no amount gets an Indonesian message naming the field, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
from fastapi.testclient import TestClient

from api.main import create_app
from api.routers import maps as maps_routes
from tests.api._writers import Acting, copy_served, editor, last_version, writer_client


def _suggested(path: Path, agency: str) -> list[str]:
    scores = pyogrio.read_dataframe(path, layer="scores", read_geometry=False,
                                    columns=["id", "tasks"])
    return [f"{d}:{t['dimension']}:{t['indicator']}" for d, raw in
            zip(scores["id"], scores["tasks"], strict=True) for t in json.loads(raw)
            if t["dimension"] == agency]


def test_task_budget_accepts_words_and_refuses_nonsense_in_indonesian(
        served: Path, tmp_path: Path) -> None:
    path = copy_served(served, tmp_path)
    first, second, third = _suggested(path, "kominfo")[:3]
    with writer_client(path, Acting(editor("kominfo"))) as (client, _):
        r = client.post(f"/api/tasks/{first}", json={"budget_rp": "20 miliar"})
        assert r.status_code == 200, r.text
        task = r.json()["task"]
        assert task["budget_rp"] == 20_000_000_000
        r = client.patch(f"/api/tasks/{first}", json={"budget_rp": "Rp 1.250.000.000",
                                                      "expect_version": task["version"]})
        assert r.status_code == 200 and r.json()["task"]["budget_rp"] == 1_250_000_000, r.text
        version = last_version(path)
        bad = client.patch(f"/api/tasks/{first}", json={"budget_rp": "dua puluh kambing"})
        assert bad.status_code == 422
        body = bad.json()
        assert body["errors"][0]["field"] == "body.budget_rp"
        assert "anggaran" in body["detail"] and "tidak terbaca sebagai nilai rupiah" in body["detail"]
        assert "Value error" not in body["detail"]
        assert last_version(path) == version  # nothing written
        # a JSON number is still a number
        r = client.post(f"/api/tasks/{second}", json={"budget_rp": 7.5e9})
        assert r.status_code == 200 and r.json()["task"]["budget_rp"] == 7_500_000_000
        # the /rencana/tugas form: words in, the rupiah shown back in Indonesian format
        r = client.post(f"/rencana/tugas/{third}", data={"budget_rp": "20 M", "kembali": "kominfo"})
        assert r.status_code == 303, r.text[:300]
        page = client.get(f"/rencana/tugas/{third}").text
        assert 'value="Rp 20.000.000.000"' in page
        version = last_version(path)
        bad = client.post(f"/rencana/tugas/{third}", data={"budget_rp": "dua puluh kambing"})
        assert bad.status_code == 422
        assert "anggaran: &#39;dua puluh kambing&#39; tidak terbaca sebagai nilai rupiah" in bad.text \
            or "anggaran: 'dua puluh kambing' tidak terbaca sebagai nilai rupiah" in bad.text
        assert last_version(path) == version


def test_api_validation_errors_are_indonesian_and_name_the_field(served: Path) -> None:
    with TestClient(create_app(served), base_url="http://127.0.0.1") as c:
        r = c.get("/api/priorities", params={"budget": "banyak"})
        assert r.status_code == 422
        err = r.json()
        assert err["errors"][0] == {"field": "query.budget", "message": "harus angka"}
        assert err["detail"] == "parameter tidak sah: query.budget: harus angka"
        r = c.get("/api/priorities", params={"budget": "-5"})
        assert r.json()["errors"][0]["message"] == "harus >= 0"
        # the landing page's budget box reads words; nonsense names the field
        assert maps_routes._budget("Rp 20.000.000.000") == maps_routes._budget("20 M") == 2e10
        bad = c.get("/maps/priorities", params={"budget": "20 kambing"})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "query.budget"
        assert "'20 kambing' tidak terbaca sebagai nilai rupiah" in bad.json()["detail"]
        page = c.get("/")
        assert '<option value="all">semua</option>' in page.text
        assert ">all<" not in page.text
