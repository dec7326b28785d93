"""/api/destinations (api/routers/destinations.py).

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers (fixtures in tests/api/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from geo.io.workspace import Workspace
from tests.api._common import DIMS, num


def test_destinations_geojson_carries_the_scores_columns(client: TestClient, scores) -> None:
    r = client.get("/api/destinations")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    assert fc["synthetic"] is True
    by_id = {f["properties"]["id"]: f for f in fc["features"]}
    assert set(by_id) == set(scores["id"].astype(str))
    contract = ("id", "name", "provenance", "score", "class", "bottleneck", "coverage",
                *(f"score_{d}" for d in DIMS), "access_minutes", "access_gateway",
                "umkm_15min", "umkm_30min", "rank", "rank_low", "rank_high", "actions")
    for _, row in scores.iterrows():
        f = by_id[str(row["id"])]
        p = f["properties"]
        assert set(contract) <= set(p)
        for col in ("score", "coverage", "access_minutes", *(f"score_{d}" for d in DIMS)):
            want = num(row[col])
            assert (p[col] is None) if want is None else p[col] == pytest.approx(want), col
        for col in ("class", "bottleneck", "actions", "access_gateway", "name"):
            want = row[col] if isinstance(row[col], str) else None
            assert p[col] == want, col
        for col in ("rank", "rank_low", "rank_high", "umkm_15min", "umkm_30min"):
            assert p[col] == (None if pd.isna(row[col]) else int(row[col])), col
        assert f["geometry"]["type"] == "Point"
        assert f["geometry"]["coordinates"][0] == pytest.approx(row.geometry.x, abs=1e-5)
        assert f["geometry"]["coordinates"][1] == pytest.approx(row.geometry.y, abs=1e-5)


def test_destination_filters(client: TestClient, served: Path, scores) -> None:
    admin = Workspace(served).read("admin_areas")
    distrik = admin[admin["level"] == "distrik"]
    joined = gpd.sjoin(scores, distrik[["kode", "nama", "geometry"]], predicate="intersects")
    name = joined["nama"].value_counts().index[0]
    want = set(joined.loc[joined["nama"] == name, "id"].astype(str))
    got = {f["properties"]["id"] for f in
           client.get("/api/destinations", params={"distrik": name}).json()["features"]}
    assert got == want
    for cls in ("rintisan", "berkembang", "maju", "mandiri"):
        got = {f["properties"]["id"] for f in
               client.get("/api/destinations", params={"kelas": cls}).json()["features"]}
        assert got == set(scores.loc[scores["class"] == cls, "id"].astype(str))


def test_destination_detail(client: TestClient, scores, access) -> None:
    for _, row in scores.iterrows():
        did = str(row["id"])
        r = client.get(f"/api/destinations/{did}")
        assert r.status_code == 200
        d = r.json()
        assert d["id"] == did and d["name"] == row["name"]
        assert [b["dimension"] for b in d["breakdown"]] == list(DIMS)
        for b in d["breakdown"]:
            want = num(row[f"score_{b['dimension']}"])
            assert (b["score"] is None) if want is None else b["score"] == pytest.approx(want)
        assert "; ".join(d["actions"]) == (row["actions"] or "")
        route = d["route"]
        acc = access.destinations.loc[did]
        for col in ("access_minutes", "route_km", "route_unpaved_km", "last_mile_m"):
            want = num(acc[col])
            assert (route[col] is None) if want is None else route[col] == pytest.approx(want)
        gm = access.gateway_minutes.of(did)
        for gid, minutes in gm.items():
            got = route["gateway_minutes"][str(gid)]
            assert (got is None) if not np.isfinite(minutes) else got == pytest.approx(minutes)
        if pd.notna(row["access_minutes"]):
            assert route["access_minutes"] == pytest.approx(float(gm.min()))


@pytest.mark.parametrize("bad", ["nope", "DST-999", "ÿ", "a b", "%2F..%2F", "x" * 200])
def test_unknown_destination_is_404_json(client: TestClient, bad: str) -> None:
    for url in (f"/api/destinations/{bad}", f"/api/destinations/{bad}/reach"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.headers["content-type"] == "application/json"
        assert r.json()["detail"]


def test_reach_matches_the_engine(client: TestClient, served: Path, access) -> None:
    ws = Workspace(served)
    roads = ws.read("roads")
    metric = ws.metric_crs()
    did = str(access.destinations.index[access.destinations["connected"].astype(bool)][0])
    fc = client.get(f"/api/destinations/{did}/reach").json()
    got = {f["properties"]["minutes"]: f for f in fc["features"]}
    r15 = access.reachable_edges(did, 15)
    r30 = np.setdiff1d(access.reachable_edges(did, 30), r15)
    for minutes, rows in ((15, r15), (30, r30)):
        sel = roads.iloc[rows]
        sel = sel[sel["mode"] == "road"]
        if sel.empty:
            assert minutes not in got
            continue
        g = shapely.geometry.shape(got[minutes]["geometry"])
        length = gpd.GeoSeries([g], crs=4326).to_crs(metric).length.iloc[0]
        assert length == pytest.approx(sel.to_crs(metric).length.sum(), rel=0.01)
        assert got[minutes]["properties"]["road_rows"] == len(sel)
