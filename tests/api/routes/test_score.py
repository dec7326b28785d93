"""POST /api/score with custom weights (api/routers/score.py).

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.api._common import DIMS, num


def test_score_with_stored_weights_reproduces_stored_scores(client: TestClient, served: Path,
                                                           scores) -> None:
    before = hashlib.sha256(Path(served).read_bytes()).hexdigest()
    r = client.post("/api/score", json={})
    assert r.status_code == 200
    body = r.json()
    assert body["stored"] is False
    assert sum(body["weights"].values()) == pytest.approx(1.0)
    got = {d["id"]: d for d in body["destinations"]}
    for _, row in scores.iterrows():
        d = got[str(row["id"])]
        want = num(row["score"])
        assert (d["score"] is None) if want is None else d["score"] == pytest.approx(want)
        assert d["class"] == (row["class"] if isinstance(row["class"], str) else None)
        assert d["rank"] == (None if pd.isna(row["rank"]) else int(row["rank"]))
    assert hashlib.sha256(Path(served).read_bytes()).hexdigest() == before


def test_score_with_one_agency_weight_equals_that_agency(client: TestClient, scores) -> None:
    weights = {d: 0.0 for d in DIMS} | {"pu": 2.5}
    body = client.post("/api/score", json={"weights": weights, "ranks": False}).json()
    assert body["weights"]["pu"] == pytest.approx(1.0)
    got = {d["id"]: d for d in body["destinations"]}
    for _, row in scores.iterrows():
        d = got[str(row["id"])]
        if pd.notna(row["score_pu"]):
            assert d["score"] == pytest.approx(float(row["score_pu"]))
        assert d["stored_score"] == pytest.approx(num(row["score"])) if pd.notna(row["score"]) \
            else d["stored_score"] is None
    # what every other endpoint shows is unchanged
    fc = client.get("/api/destinations").json()
    stored = {f["properties"]["id"]: f["properties"]["score"] for f in fc["features"]}
    for _, row in scores.iterrows():
        if pd.notna(row["score"]):
            assert stored[str(row["id"])] == pytest.approx(float(row["score"]))


@pytest.mark.parametrize(
    "body",
    [
        {"weights": {"pariwisata": -1}},
        {"weights": {"jalan": 1}},
        {"weights": {"pu": "banyak"}},
        {"weights": {"pu": None, "umkm": float("inf")}},
        {"weights": {d: 0 for d in DIMS}},
        {"weights": [1, 2, 3]},
        {"bobot": {"pu": 1}},
        [1, 2],
    ],
)
def test_bad_weights_are_422(client: TestClient, body) -> None:
    import json

    r = client.post("/api/score", content=json.dumps(body, allow_nan=True),
                    headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
    assert r.json()["errors"]


def test_score_body_not_json_is_422(client: TestClient) -> None:
    r = client.post("/api/score", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
