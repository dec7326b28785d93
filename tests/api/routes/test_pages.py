"""The landing page (api/routers/pages.py).

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests._served import has_priorities


def test_landing_page_links_maps_and_downloads(client: TestClient, served: Path,
                                               scores) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="id">' in page
    links = ["/maps/readiness", "/api/destinations", "/api/umkm", "/api/kampung"]
    if has_priorities(served):
        links += ["/maps/priorities", "/api/priorities?format=xlsx", "/api/priorities?format=csv"]
    else:
        assert "siapwisata priorities" in page  # tells how to get them
    for href in links:
        assert f'"{href}' in page, href
    for text in ("Peta kesiapan destinasi", "Unduhan", "Ringkasan destinasi", "DATA CONTOH (SINTETIS)",
                 "Mimika Baru"):
        assert text in page, text
    for name in scores["name"]:
        assert str(name).replace("&", "&amp;") in page
    assert "https://" not in page and "http://" not in page  # nothing loaded from outside
