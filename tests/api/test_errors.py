"""Errors are JSON with a clear message, never a 500.

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/maps/readiness?distrik=Atlantis", 422),
        ("/maps/priorities?budget=-5", 422),
        ("/maps/priorities?budget=abc", 422),
        ("/maps/priorities?budget=inf", 422),
        ("/maps/priorities?budget=nan", 422),
        ("/maps/priorities?warna=merah", 422),
        ("/maps/priorities?authority=kota", 422),
        ("/api/destinations?kelas=super", 422),
        ("/api/destinations?distrik=", 200),
        ("/api/umkm?type=warung", 422),
        ("/api/umkm?distrik=Atlantis", 422),
        ("/api/kampung?distrik=99.99.99", 422),
        ("/api/priorities?format=pdf", 422),
        ("/api/priorities?budget=-1", 422),
        ("/api/priorities?authority=kota", 422),
        ("/api/priorities?authority=desa", 422),
        ("/nowhere", 404),
        ("/api/destinations/", 200),  # redirected to /api/destinations
    ],
)
def test_bad_parameters_get_clear_json_errors(client: TestClient, url: str, status: int) -> None:
    r = client.get(url)
    assert r.status_code == status, r.text[:300]
    if status >= 400:
        assert r.headers["content-type"] == "application/json"
        assert r.json()["detail"]


def test_unknown_distrik_lists_choices(client: TestClient) -> None:
    body = client.get("/api/destinations", params={"distrik": "Atlantis"}).json()
    assert "Mimika Baru" in body["choices"]
    assert body["errors"][0]["field"] == "query.distrik"


def test_wrong_method_is_json(client: TestClient) -> None:
    r = client.delete("/api/destinations")
    assert r.status_code == 405
    assert r.json()["detail"]


def test_missing_workspace_is_not_a_500(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "none.gpkg")) as c:
        h = c.get("/health").json()
        assert h["status"] == "degraded" and h["problems"]
        for url in ("/", "/maps/readiness", "/api/destinations", "/api/umkm", "/api/kampung"):
            r = c.get(url)
            assert r.status_code == 409, url
            assert "tidak ditemukan" in r.json()["detail"]
