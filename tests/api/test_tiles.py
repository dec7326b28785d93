"""Basemaps (issue 14.4): a local tile file (``serve --tiles``) and the online layers.

Tile files are built here with independent tools (tests/api/_tilefiles.py): SQLite rows
whose TMS row is worked out by hand, and PMTiles written by the PyPI writer. Expected
answers are the bytes put in; the page policy is parsed from its header.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from geo.cli import app as cli_app
from geo.io.tiles import TileFileError, open_tiles
from geo.io.workspace import Workspace
from maps._assets import external_urls
from tests._served import has_priorities

from ._tilefiles import png, vector_metadata, write_mbtiles, write_pmtiles

RED, GREEN, BLUE = png(255, 0, 0), png(0, 255, 0), png(0, 0, 255)
# A minimal Mapbox Vector Tile: one layer "water" (field 3) named by field 1, version 2
# (field 15), hand-encoded protobuf. Served as stored: the test compares bytes only.
MVT = bytes([0x1A, 0x09, 0x0A, 0x05]) + b"water" + bytes([0x78, 0x02])
OSM_HOST = "https://tile.openstreetmap.org"
ESRI_HOST = "https://server.arcgisonline.com"


def _policy(header: str) -> dict[str, list[str]]:
    return {p.split()[0]: p.split()[1:] for p in header.split(";") if p.split()}


@pytest.fixture(scope="module")
def mbtiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # zoom 1 has rows 0 (north) and 1 (south) in XYZ; TMS counts from the south, so
    # XYZ 1/0/0 is stored at tile_row 1 and XYZ 1/1/1 at tile_row 0 (worked by hand).
    rows = [(0, 0, 0, RED), (1, 0, 1, GREEN), (1, 1, 0, BLUE)]
    return write_mbtiles(tmp_path_factory.mktemp("mb") / "kantor.mbtiles", rows, metadata={
        "name": "Peta kantor", "format": "png", "minzoom": "0", "maxzoom": "1",
        "bounds": "130.0,-6.0,140.0,-3.0",
        "attribution": '<a href="https://example.org">© Bappeda <b>Mimika</b></a> '
                       '<script>alert(1)</script>'})


@pytest.fixture(scope="module")
def pmtiles_vector(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pmtiles(tmp_path_factory.mktemp("pm") / "mimika.pmtiles",
                         {(0, 0, 0): MVT, (2, 3, 2): MVT}, vector=True,
                         metadata=vector_metadata("water", "roads"))


# --- reading the files -------------------------------------------------------------------


def test_mbtiles_rows_are_read_with_the_tms_flip(mbtiles: Path) -> None:
    src = open_tiles(mbtiles)
    try:
        assert src.info.kind == "raster" and src.info.media_type == "image/png"
        assert (src.info.min_zoom, src.info.max_zoom) == (0, 1)
        assert src.info.bounds == (130.0, -6.0, 140.0, -3.0)
        # tags dropped (shown as text), the script's text stays harmless text
        assert src.info.attribution == "© Bappeda Mimika alert(1)"
        assert src.tile(0, 0, 0).data == RED
        assert src.tile(1, 0, 0).data == GREEN  # stored at tile_row 1
        assert src.tile(1, 1, 1).data == BLUE  # stored at tile_row 0
        assert src.tile(1, 0, 1) is None and src.tile(1, 1, 0) is None
        assert src.tile(1, 2, 0) is None and src.tile(31, 0, 0) is None  # outside the pyramid
    finally:
        src.close()


def test_pmtiles_vector_archive_is_read(pmtiles_vector: Path) -> None:
    src = open_tiles(pmtiles_vector)
    try:
        assert src.info.kind == "vector" and src.info.format == "pbf"
        assert src.info.vector_layers == ("water", "roads")
        assert src.info.attribution == "© OpenStreetMap"
        tile = src.tile(2, 3, 2)
        assert tile is not None and tile.encoding == "gzip"
        assert gzip.decompress(tile.data) == MVT
        assert src.tile(2, 3, 1) is None
    finally:
        src.close()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("tidak-ada.mbtiles", None, "tidak ditemukan"),
    ("kosong.pmtiles", b"", "kosong"),
    ("rusak.mbtiles", b"bukan sqlite" * 20, "bukan MBTiles"),
    ("rusak.pmtiles", b"bukan pmtiles" * 20, "bukan PMTiles"),
    ("peta.geojson", b"{}", "tidak didukung"),
])
def test_bad_files_are_refused_in_indonesian_naming_the_file(
        tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TileFileError, match=message) as err:
        open_tiles(path)
    assert name in str(err.value)


def test_mbtiles_without_tiles_or_in_an_unknown_format_is_refused(tmp_path: Path) -> None:
    empty = write_mbtiles(tmp_path / "kosong.mbtiles", [], metadata={"format": "png"})
    with pytest.raises(TileFileError, match="tidak berisi satu ubin pun"):
        open_tiles(empty)
    tiff = write_mbtiles(tmp_path / "tiff.mbtiles", [(0, 0, 0, b"II*\x00")],
                         metadata={"format": "tiff"})
    with pytest.raises(TileFileError, match="format ubin 'tiff' tidak didukung"):
        open_tiles(tiff)


def test_serve_stops_at_start_on_a_bad_tile_file(served: Path, tmp_path: Path) -> None:
    bad = tmp_path / "peta-rusak.mbtiles"
    bad.write_bytes(b"x" * 200)
    result = CliRunner().invoke(cli_app, ["serve", "--workspace", str(served),
                                          "--tiles", str(bad), "--port", "1"])
    assert isinstance(result.exception, TileFileError)
    assert "peta-rusak.mbtiles" in str(result.exception)


# --- the app with a local raster file -------------------------------------------------


@pytest.fixture(scope="module")
def local_client(served: Path, mbtiles: Path):
    with TestClient(create_app(served, tiles_file=mbtiles)) as c:
        yield c


def test_local_tiles_answer_the_right_bytes(local_client: TestClient) -> None:
    for url, body in (("/tiles/0/0/0.png", RED), ("/tiles/1/0/0.png", GREEN),
                      ("/tiles/1/1/1.png", BLUE)):
        r = local_client.get(url)
        assert r.status_code == 200, url
        assert r.content == body, url
        assert r.headers["content-type"] == "image/png"
        assert "content-encoding" not in r.headers
        assert "max-age" in r.headers["cache-control"]
    assert local_client.get("/tiles/1/0/1.png").status_code == 404  # not in the file
    assert local_client.get("/tiles/0/0/0.pbf").status_code == 404  # not its format
    assert local_client.get("/tiles/1/5/0.png").status_code == 404  # outside the pyramid
    assert local_client.get("/tiles/99/0/0.png").status_code == 422


def test_map_page_shows_the_local_layer_and_loads_nothing_from_outside(
        local_client: TestClient) -> None:
    r = local_client.get("/maps/readiness")
    assert r.status_code == 200
    page = r.text
    assert "/tiles/{z}/{x}/{y}.png" in page
    assert "Peta dasar lokal" in page and "Tanpa peta dasar" in page
    assert "Bappeda Mimika alert(1)" in page  # the file's attribution, as text
    assert "<script>alert(1)" not in page and "alert(1)</script>" not in page
    assert external_urls(page) == []
    assert "openstreetmap.org/{z}" not in page and "arcgisonline" not in page
    assert "protomaps-leaflet" not in page  # raster: Leaflet alone
    policy = _policy(r.headers["content-security-policy"])
    assert set(policy["img-src"]) == {"'self'", "data:"}


# --- vector PMTiles and the online layers ---------------------------------------------


@pytest.fixture(scope="module")
def online_client(served: Path, pmtiles_vector: Path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SIAPWISATA_BASEMAPS", "online")
        with TestClient(create_app(served, tiles_file=pmtiles_vector)) as c:
            yield c


def test_vector_tiles_are_served_gzip_encoded(online_client: TestClient) -> None:
    r = online_client.get("/tiles/2/3/2.pbf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert r.headers["content-encoding"] == "gzip"
    assert r.content == MVT  # httpx inflates, as a browser does
    assert online_client.get("/tiles/0/0/0.mvt").content == MVT
    empty = online_client.get("/tiles/2/0/0.pbf")
    assert empty.status_code == 204 and empty.content == b""


def test_online_pages_offer_osm_and_satellite_with_exactly_their_hosts(
        online_client: TestClient, served: Path) -> None:
    first = Workspace(served).read_table("scores")["id"].iloc[0]
    urls = ["/maps/readiness", f"/destinasi/{first}"]
    if has_priorities(served):
        urls.append("/maps/priorities")
    for url in urls:
        r = online_client.get(url)
        assert r.status_code == 200, url
        page = r.text
        assert f"{OSM_HOST}/{{z}}/{{x}}/{{y}}.png" in page, url
        assert "kontributor" in page and "OpenStreetMap" in page, url
        assert f"{ESRI_HOST}/ArcGIS/rest/services/World_Imagery/MapServer/tile/" in page, url
        assert "Powered by" in page and "Esri" in page and "Maxar" in page, url
        assert "strict-origin" in page  # OSM's policy: a Referer, the origin only
        assert "Peta dasar lokal" in page and "/tiles/{z}/{x}/{y}.pbf" in page, url
        assert "/static/npm/protomaps-leaflet/dist/protomaps-leaflet.js" in page, url
        policy = _policy(r.headers["content-security-policy"])
        assert sorted(policy["img-src"]) == sorted(["'self'", "data:", OSM_HOST, ESRI_HOST]), url
        assert policy["connect-src"] == ["'self'"], url  # vector tiles: same origin
        # the external loads of the page are exactly the tile templates (in scripts)
        assert external_urls(page) == [], url
    js = online_client.get("/static/npm/protomaps-leaflet/dist/protomaps-leaflet.js")
    assert js.status_code == 200 and "protomapsL" in js.text


def test_online_layers_follow_the_layer_control_order(online_client: TestClient) -> None:
    page = online_client.get("/maps/readiness").text
    names = re.findall(r'"(Peta dasar lokal|OpenStreetMap|Citra satelit \(Esri\)|'
                       r'Tanpa peta dasar)"\s*:', page)
    assert names == ["Peta dasar lokal", "OpenStreetMap", "Citra satelit (Esri)",
                     "Tanpa peta dasar"]
