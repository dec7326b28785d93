"""In Chromium (issue 12): a stale map says "sedang menghitung ulang…", and shows the new
result by itself once the server's worker has recomputed.

The workspace is changed the way the command line does (``siapwisata import``, which marks
the scores stale); the server is the real one (uvicorn on 127.0.0.1, its recompute in a
worker process). The page's poll of ``/api/status`` makes the server notice, recompute and
the page reload; the console stays clean (the banner's script runs under the page's CSP).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo.io.workspace import Workspace
from geo.steps.contribute import import_recorded
from tests._browser import chromium, console_errors, served_app, wait_for
from tests.api._writers import copy_served, csv_bytes

pytestmark = pytest.mark.browser


@pytest.fixture()
def driver(tmp_path: Path) -> Iterator[Any]:
    yield from chromium(tmp_path)


def test_stale_map_says_so_then_shows_the_new_result(served: Path, tmp_path: Path,
                                                     driver: Any) -> None:
    path = copy_served(served, tmp_path)
    d = Workspace(path).read("destinations").set_index("id").loc["DST-001"]
    file = tmp_path / "destinasi.csv"
    file.write_bytes(csv_bytes([{"id": "DST-001", "nama": d["name"], "kategori": d["category"],
                                 "lintang": d.geometry.y, "bujur": d.geometry.x,
                                 "fasilitas": "toilet; gazebo; parkir; warung"}]))
    import_recorded("destinations", file, Workspace(path))
    with served_app(path) as base:
        driver.get(f"{base}/maps/readiness")
        banner = wait_for(driver, "#sw-stale")
        assert "sedang menghitung ulang" in banner.text
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            time.sleep(1)
            if not driver.find_elements("css selector", "#sw-stale"):
                break
        else:
            pytest.fail("the banner stayed: the page never saw the recomputed scores")
        assert driver.find_elements("css selector", ".leaflet-container")
        assert Workspace(path).metadata().get("scores_stale") == "false"
        assert console_errors(driver) == []
