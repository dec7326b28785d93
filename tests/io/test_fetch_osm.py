"""``fetch-osm`` against a local Overpass stand-in (127.0.0.1) serving the real Menteng
extract: the layers must equal ``ingest-osm`` of the same file clipped to the same
boundary, the second run must come from the cache, and nothing may leave the machine."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import box

from geo.exceptions import SiapError, WorkspaceError
from geo.io.fetch import elements_from, write_osm_xml
from geo.io.workspace import Workspace
from geo.settings import get_settings
from geo.steps import fetch_osm, ingest_osm, init_workspace
from tests._overpass_server import OverpassData, overpass_server

# the middle of the Menteng extract (106.8246-106.8351 E, 6.2024-6.1909 S)
INNER = box(106.8265, -6.2010, 106.8335, -6.1930)
LAYERS = ("roads", "pois", "destinations", "umkm", "gateways")
KEYS = {"roads": ["osm_way_id", "u", "v"], "pois": ["osm_type", "osm_id"],
        "destinations": ["id"], "umkm": ["id"], "gateways": ["id"]}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that is not to the loopback interface."""
    real = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"test tried to reach {address!r}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    # osmnx pins host names by patching socket.getaddrinfo; undo it after each test
    monkeypatch.setattr(socket, "getaddrinfo", socket.getaddrinfo)


@pytest.fixture(scope="module")
def overpass_data(menteng_osm: Path) -> OverpassData:
    return OverpassData(menteng_osm, timestamp="2022-04-05T10:00:00Z")


def make_ws(folder: Path, name: str) -> Workspace:
    folder.mkdir(parents=True, exist_ok=True)
    bfile = folder / "boundary.geojson"
    if not bfile.exists():
        gpd.GeoDataFrame({"nama": ["Menteng (uji)"]}, geometry=[INNER], crs="EPSG:4326"
                         ).to_file(bfile)
    ws = Workspace(folder / f"{name}.gpkg")
    init_workspace(ws, bfile)
    return ws


def _sorted(path: Path, layer: str) -> pd.DataFrame:
    df = pyogrio.read_dataframe(path, layer=layer)
    df["wkb"] = shapely.to_wkb(df.geometry.to_numpy())
    df = df.drop(columns=["geometry", "edge_id"], errors="ignore")
    keys = [*KEYS[layer], "wkb"]
    return df.sort_values(keys).reset_index(drop=True)


def test_fetch_equals_ingest_and_uses_the_cache(tmp_path: Path, menteng_osm: Path,
                                                overpass_data: OverpassData) -> None:
    fetched = make_ws(tmp_path / "a", "fetched")
    again = make_ws(tmp_path / "a", "again")
    direct = make_ws(tmp_path / "a", "direct")
    with overpass_server(overpass_data) as (url, hits):
        settings = get_settings(overpass_url=url, cache_dir=tmp_path / "cache")
        counts = fetch_osm(fetched, settings=settings)
        first = hits["/api/interpreter"]
        assert first >= 3  # two road filters and the POI query, at least one polygon
        assert hits["/api/status"] >= 1  # osmnx's rate limiting asked the server
        assert list((tmp_path / "cache" / "overpass").glob("*.json"))
        counts_again = fetch_osm(again, settings=settings)
        assert hits["/api/interpreter"] == first  # answered from the cache
    assert counts_again == counts
    assert counts == ingest_osm(menteng_osm, direct)
    assert counts["roads"] > 100 and counts["pois"] > 10
    for layer in LAYERS:
        want = _sorted(direct.path, layer)
        for ws in (fetched, again):
            got = _sorted(ws.path, layer)
            pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
    src = fetched.sources().set_index("layer")
    assert url in src.loc["roads", "name"]
    assert src.loc["roads", "date"] == "2022-04-05T10:00:00Z"
    assert src.loc["pois", "licence"] == "ODbL 1.0 (© OpenStreetMap contributors)"
    assert fetched.metadata()["region"] == "Menteng (uji)"


def test_server_error_is_reported_and_changes_nothing(tmp_path: Path,
                                                      overpass_data: OverpassData) -> None:
    ws = make_ws(tmp_path, "ws")
    before = ws.path.read_bytes()
    with overpass_server(overpass_data, fail=True) as (url, hits):
        settings = get_settings(overpass_url=url, cache_dir=tmp_path / "cache")
        with pytest.raises(SiapError) as err:
            fetch_osm(ws, settings=settings)
        assert hits["/api/interpreter"] == 1
    assert url in str(err.value)
    assert ws.path.read_bytes() == before
    assert not list((tmp_path / "cache").rglob("*.json"))  # failures are not cached


def test_missing_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError):
        fetch_osm(Workspace(tmp_path / "none.gpkg"), settings=get_settings(
            overpass_url="http://127.0.0.1:9/api", cache_dir=tmp_path))


def test_json_to_xml_keeps_awkward_text(tmp_path: Path) -> None:
    name = 'Jl. "Kopi" & <Teh> \u2014 Timika'
    response = {"osm3s": {"timestamp_osm_base": "2024-01-01T00:00:00Z"}, "elements": [
        {"type": "node", "id": 1, "lat": -4.55, "lon": 136.88},
        {"type": "node", "id": 2, "lat": -4.551, "lon": 136.881},
        {"type": "node", "id": 3, "lat": -4.5505, "lon": 136.8805,
         "tags": {"amenity": "cafe", "name": name}},
        {"type": "way", "id": 10, "nodes": [1, 2], "tags": {"highway": "residential",
                                                            "name": name}},
    ]}
    got = elements_from([response, response])  # duplicates across responses merge
    assert len(got) == 4
    xml = tmp_path / "x.osm"
    write_osm_xml(got, xml)
    ws = Workspace(tmp_path / "x.gpkg")
    ingest_osm(xml, ws)
    assert ws.read("roads")["name"].tolist() == [name]
    assert ws.read("umkm")["name"].tolist() == [name]


def test_cli_fetch_osm(tmp_path: Path, overpass_data: OverpassData) -> None:
    ws = make_ws(tmp_path, "cli")
    exe = Path(sys.executable).with_name("siapwisata")
    with overpass_server(overpass_data) as (url, hits):
        res = subprocess.run(
            [str(exe), "fetch-osm", "--workspace", str(ws.path), "--overpass-url", url,
             "--cache-dir", str(tmp_path / "cache")],
            capture_output=True, text=True, timeout=300,
        )
    assert res.returncode == 0, res.stderr
    assert hits["/api/interpreter"] >= 3
    assert len(ws.read("roads")) > 100
