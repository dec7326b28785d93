"""The HTTP API through httpx (FastAPI's TestClient) against the real app and a real,
scored Mimika demo workspace.

Expected values come from the workspace layers read directly and from the engine run
independently here, never from the API's own helpers.
"""

from __future__ import annotations

import hashlib
import io
import math
import shutil
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient

from api.main import create_app
from geo.io.workspace import Workspace
from tests._served import NO_PRIORITIES, has_priorities, served_workspace

DIMS = ("pariwisata", "pu", "umkm", "kominfo", "perhubungan")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> Path:
    return served_workspace(tmp_path_factory, demo_ws)


@pytest.fixture(scope="module")
def client(served: Path):
    # raise_server_exceptions: any unhandled error fails the test loudly (never a 500)
    with TestClient(create_app(served)) as c:
        yield c


@pytest.fixture(scope="module")
def scores(served: Path) -> gpd.GeoDataFrame:
    return Workspace(served).read("scores")


@pytest.fixture(scope="module")
def access(served: Path):
    from geo.steps import compute_access

    return compute_access(Workspace(served))


def _num(v):
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    return float(v)


# --- service --------------------------------------------------------------------------


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


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/", "/health", "/maps/readiness", "/maps/priorities", "/api/destinations",
                 "/api/destinations/{id}", "/api/destinations/{id}/reach", "/api/priorities",
                 "/api/umkm", "/api/kampung", "/api/score"):
        assert path in spec["paths"], path
    assert "ScoreRequest" in spec["components"]["schemas"]
    # no CDN-backed docs pages
    assert client.get("/docs").status_code == 404
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


# --- destinations ---------------------------------------------------------------------


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
            want = _num(row[col])
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
            want = _num(row[f"score_{b['dimension']}"])
            assert (b["score"] is None) if want is None else b["score"] == pytest.approx(want)
        assert "; ".join(d["actions"]) == (row["actions"] or "")
        route = d["route"]
        acc = access.destinations.loc[did]
        for col in ("access_minutes", "route_km", "route_unpaved_km", "last_mile_m"):
            want = _num(acc[col])
            assert (route[col] is None) if want is None else route[col] == pytest.approx(want)
        gm = access.gateway_minutes[did]
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


# --- UMKM and kampung -----------------------------------------------------------------


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


# --- maps -----------------------------------------------------------------------------


def test_map_pages(client: TestClient, scores) -> None:
    r = client.get("/maps/readiness")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert len(r.content) <= 2 * 1024 * 1024
    for name in scores["name"]:
        assert str(name) in r.text or str(name).encode("unicode_escape").decode() in r.text
    r = client.get("/maps/readiness", params={"distrik": "94.04.01"})
    assert r.status_code == 200 and "Mimika Baru" in r.text


# --- priorities -----------------------------------------------------------------------


def test_priorities_json_and_downloads(client: TestClient, served: Path, tmp_path: Path) -> None:
    if not has_priorities(served):
        pytest.skip(NO_PRIORITIES)
    layer = Workspace(served).read("priorities")
    body = client.get("/api/priorities").json()
    assert body["count"] == len(layer)
    assert [r["ruas_id"] for r in body["rows"]] == \
        layer.sort_values("rank")["ruas_id"].astype(str).tolist()
    for col in ("cost_rp", "minutes_saved", "minutes_saved_alone", "benefit_cost",
                "score_gain", "score_gain_alone"):
        got = [r[col] for r in body["rows"]]
        assert got == pytest.approx(layer.sort_values("rank")[col].astype(float).tolist())
    assert [r["destinations"] or "" for r in body["rows"]] == \
        layer.sort_values("rank")["destinations"].fillna("").tolist()
    # Another budget must give what `siapwisata priorities --budget` gives (greedy with
    # re-evaluation): run the command's function on a copy as the reference.
    from geo.steps import priorities_workspace

    costs = layer.sort_values("rank")["cost_rp"].astype(float)
    budget = float(costs.iloc[: max(1, len(costs) // 10)].sum())
    ref_path = tmp_path / "ref.gpkg"
    shutil.copyfile(served, ref_path)
    ref = priorities_workspace(Workspace(ref_path), budget=budget).table
    want = set(ref.loc[ref["selected"], "ruas_id"].astype(str))
    assert want and len(want) < len(ref)
    body = client.get("/api/priorities", params={"budget": budget}).json()
    assert body["budget"] == budget
    assert [r["ruas_id"] for r in body["rows"]] == ref["ruas_id"].astype(str).tolist()
    assert {r["ruas_id"] for r in body["rows"] if r["selected"]} == want
    # the programme's order as the command gives it; nothing for the sections not picked
    assert {r["ruas_id"]: r["pick_order"] for r in body["rows"] if r["selected"]} == {
        str(i): int(p) for i, p in zip(ref.loc[ref["selected"], "ruas_id"],
                                       ref.loc[ref["selected"], "pick_order"], strict=True)}
    assert all(r["pick_order"] is None for r in body["rows"] if not r["selected"])
    assert body["selected_count"] == len(want)
    assert body["selected_cost_rp"] == pytest.approx(
        ref.loc[ref["selected"], "cost_rp"].sum())
    assert body["selected_cost_rp"] <= budget
    for auth in ("provinsi", "all"):
        ref_auth = priorities_workspace(Workspace(ref_path), authority=auth).table
        rows = client.get("/api/priorities", params={"authority": auth}).json()["rows"]
        assert [r["ruas_id"] for r in rows] == ref_auth["ruas_id"].astype(str).tolist()
    csv = client.get("/api/priorities", params={"format": "csv", "budget": budget})
    assert csv.headers["content-disposition"].endswith('prioritas-jalan.csv"')
    df = pd.read_csv(io.StringIO(csv.content.decode("utf-8-sig")))
    assert len(df) == len(layer)
    assert set(df.loc[df["selected"], "ruas_id"].astype(str)) == want
    xlsx = client.get("/api/priorities", params={"format": "xlsx"})
    assert xlsx.status_code == 200
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert "Asumsi" in book.sheetnames
    first = book[book.sheetnames[0]]
    assert first.max_row == len(layer) + 1 or first.max_row > len(layer)
    gpkg = client.get("/api/priorities", params={"format": "gpkg"})
    assert gpkg.status_code == 200
    path = tmp_path / "download.gpkg"
    path.write_bytes(gpkg.content)
    back = pyogrio.read_dataframe(path)
    assert len(back) == len(layer)
    assert set(back["ruas_id"].astype(str)) == set(layer["ruas_id"].astype(str))
    r = client.get("/maps/priorities", params={"budget": budget, "warna": "benefit_cost"})
    assert r.status_code == 200 and "Manfaat/biaya" in r.text


def test_priorities_missing_is_409(client: TestClient, demo_ws: Path) -> None:
    with TestClient(create_app(demo_ws)) as c:  # the demo before any scoring
        for url in ("/api/priorities", "/maps/priorities", "/api/destinations",
                    "/maps/readiness"):
            r = c.get(url)
            assert r.status_code == 409, url
            assert "belum ada" in r.json()["detail"]


# --- custom weights -------------------------------------------------------------------


def test_score_with_stored_weights_reproduces_stored_scores(client: TestClient, served: Path,
                                                           scores) -> None:
    before = hashlib.sha256(Path(served).read_bytes()).hexdigest()
    r = client.post("/api/score", json={})
    assert r.status_code == 200
    body = r.json()
    assert body["stored"] is False
    assert sum(body["weights"].values()) == pytest.approx(1.0)
    got = {d["id"]: d for d in body["destinations"]}
    for _, row in scores.iterrows():
        d = got[str(row["id"])]
        want = _num(row["score"])
        assert (d["score"] is None) if want is None else d["score"] == pytest.approx(want)
        assert d["class"] == (row["class"] if isinstance(row["class"], str) else None)
        assert d["rank"] == (None if pd.isna(row["rank"]) else int(row["rank"]))
    assert hashlib.sha256(Path(served).read_bytes()).hexdigest() == before


def test_score_with_one_agency_weight_equals_that_agency(client: TestClient, scores) -> None:
    weights = {d: 0.0 for d in DIMS} | {"pu": 2.5}
    body = client.post("/api/score", json={"weights": weights, "ranks": False}).json()
    assert body["weights"]["pu"] == pytest.approx(1.0)
    got = {d["id"]: d for d in body["destinations"]}
    for _, row in scores.iterrows():
        d = got[str(row["id"])]
        if pd.notna(row["score_pu"]):
            assert d["score"] == pytest.approx(float(row["score_pu"]))
        assert d["stored_score"] == pytest.approx(_num(row["score"])) if pd.notna(row["score"]) \
            else d["stored_score"] is None
    # what every other endpoint shows is unchanged
    fc = client.get("/api/destinations").json()
    stored = {f["properties"]["id"]: f["properties"]["score"] for f in fc["features"]}
    for _, row in scores.iterrows():
        if pd.notna(row["score"]):
            assert stored[str(row["id"])] == pytest.approx(float(row["score"]))


@pytest.mark.parametrize(
    "body",
    [
        {"weights": {"pariwisata": -1}},
        {"weights": {"jalan": 1}},
        {"weights": {"pu": "banyak"}},
        {"weights": {"pu": None, "umkm": float("inf")}},
        {"weights": {d: 0 for d in DIMS}},
        {"weights": [1, 2, 3]},
        {"bobot": {"pu": 1}},
        [1, 2],
    ],
)
def test_bad_weights_are_422(client: TestClient, body) -> None:
    import json

    r = client.post("/api/score", content=json.dumps(body, allow_nan=True),
                    headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
    assert r.json()["errors"]


def test_score_body_not_json_is_422(client: TestClient) -> None:
    r = client.post("/api/score", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


# --- errors: never a 500 --------------------------------------------------------------


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


# --- caching --------------------------------------------------------------------------


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
        fc = c.get("/api/destinations").json()
        assert "Nama Baru Untuk Uji" in {f["properties"]["name"] for f in fc["features"]}
