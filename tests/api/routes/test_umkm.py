"""/api/umkm (api/routers/umkm.py).

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from geo.io.workspace import Workspace


def test_umkm_geojson_and_type_filter(client: TestClient, served: Path) -> None:
    umkm = Workspace(served).read("umkm")
    fc = client.get("/api/umkm").json()
    assert len(fc["features"]) == len(umkm)
    assert {f["properties"]["id"] for f in fc["features"]} == set(umkm["id"].astype(str))
    counts = umkm["type"].value_counts()
    for t, n in counts.items():
        got = client.get("/api/umkm", params={"type": t}).json()["features"]
        assert len(got) == n
        assert {f["properties"]["type"] for f in got} == {t}
    two = client.get("/api/umkm", params=[("type", "kuliner"), ("type", "toko")]).json()
    assert len(two["features"]) == int(counts.get("kuliner", 0) + counts.get("toko", 0))
