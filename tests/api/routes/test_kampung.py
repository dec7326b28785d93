"""/api/kampung (api/routers/kampung.py).

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from geo.io.workspace import Workspace


def test_kampung_times(client: TestClient, served: Path, access) -> None:
    fc = client.get("/api/kampung").json()
    k = access.kampung.set_index("kode")
    assert len(fc["features"]) == len(k)
    names = Workspace(served).read("scores").set_index("id")["name"]
    for f in fc["features"]:
        p = f["properties"]
        want = k.loc[p["kode"], "minutes_to_nearest_destination"]
        if np.isfinite(want):
            assert p["minutes_to_nearest_destination"] == pytest.approx(want)
            assert p["nearest_destination"] == k.loc[p["kode"], "nearest_destination"]
            assert p["nearest_destination_name"] == names[p["nearest_destination"]]
        else:
            assert p["minutes_to_nearest_destination"] is None
    one = client.get("/api/kampung", params={"distrik": "Mimika Baru"}).json()["features"]
    assert one and all(f["properties"]["kode"].startswith("94.04.01.") for f in one)
    admin = Workspace(served).read("admin_areas")
    assert len(one) == int(admin["kode"].astype(str).str.startswith("94.04.01.").sum())
