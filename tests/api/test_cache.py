"""The response cache, per workspace version.

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from geo.io.workspace import Workspace


def test_responses_are_cached_per_workspace_version(served: Path, tmp_path: Path) -> None:
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(served, path)
    app = create_app(path)
    store = app.state.store
    with TestClient(app) as c:
        first = c.get("/api/destinations").content
        builds = store.builds
        for _ in range(3):
            assert c.get("/api/destinations").content == first
        assert store.builds == builds  # served from the cache
        # concurrent first requests for a new key build it once
        results: list[bytes] = []
        threads = [threading.Thread(target=lambda: results.append(
            c.get("/api/umkm", params={"type": "toko"}).content)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(results)) == 1
        assert store.builds == builds + 1
        # a new workspace version (an edit through the workspace API) is picked up
        ws = Workspace(path)
        s = ws.read("scores")
        s.loc[0, "name"] = "Nama Baru Untuk Uji"
        with ws.update() as stage:
            stage.write("scores", s)
        # (the first answer after it may be the earlier version's, marked old, while the
        # current one is built: stale-while-revalidate, tests/api/test_swr.py)
        old = c.get("/api/destinations")
        assert old.headers.get("x-siapwisata-versi-data") == "lama" or old.content != first
        r = old
        for _ in range(600):
            if "x-siapwisata-versi-data" not in r.headers:
                break
            time.sleep(0.1)
            r = c.get("/api/destinations")
        fc = r.json()
        assert "Nama Baru Untuk Uji" in {f["properties"]["name"] for f in fc["features"]}
