"""The application as a whole: OpenAPI description and local static assets (api/main.py).

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi.testclient import TestClient


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/", "/health", "/maps/readiness", "/maps/priorities", "/api/destinations",
                 "/api/destinations/{id}", "/api/destinations/{id}/reach", "/api/priorities",
                 "/api/umkm", "/api/kampung", "/api/score", "/rapor", "/destinasi/{id}"):
        assert path in spec["paths"], path
    assert "ScoreRequest" in spec["components"]["schemas"]
    # /docs is Swagger UI from local files (tests/lang/test_docs_offline.py); no ReDoc
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/npm/swagger-ui-dist/" in docs.text
    assert client.get("/redoc").status_code == 404


def test_static_assets_are_served_locally(client: TestClient) -> None:
    r = client.get("/static/npm/leaflet/dist/leaflet.js")
    assert r.status_code == 200
    assert "javascript" in r.headers["content-type"]
    installed = Path(__file__).resolve().parents[2] / "node_modules/leaflet/dist/leaflet.js"
    assert hashlib.sha256(r.content).hexdigest() == hashlib.sha256(installed.read_bytes()).hexdigest()
    assert client.get("/static/app/siapwisata.css").status_code == 200
    assert client.get("/static/folium/leaflet_heat.min.js").status_code == 200
    for bad in ("/static/app/_assets.py", "/static/npm/brfs/package.json",
                "/static/npm/leaflet/%2e%2e/%2e%2e/package.json", "/static/nothing"):
        r = client.get(bad)
        assert r.status_code == 404, bad
        assert r.json()["detail"]
