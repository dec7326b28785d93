"""/maps/* pages (api/routers/maps.py).

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_map_pages(client: TestClient, scores) -> None:
    r = client.get("/maps/readiness")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert len(r.content) <= 2 * 1024 * 1024
    for name in scores["name"]:
        assert str(name) in r.text or str(name).encode("unicode_escape").decode() in r.text
    r = client.get("/maps/readiness", params={"distrik": "94.04.01"})
    assert r.status_code == 200 and "Mimika Baru" in r.text
