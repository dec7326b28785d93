"""GET /health (api/routers/health.py).

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from geo.io.workspace import Workspace


def test_health(client: TestClient, served: Path) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok", body
    assert body["missing_assets"] == []
    assert body["synthetic"] is True
    assert body["region"] == "Kabupaten Mimika"
    layers = {x["layer"]: x["features"] for x in body["layers"]}
    ws = Workspace(served)
    assert layers["scores"] == len(ws.read("scores"))
    assert layers["umkm"] == len(ws.read("umkm"))
