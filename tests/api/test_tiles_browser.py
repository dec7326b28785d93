"""A local basemap in Chromium (issue 14.4): the raster file's tiles load as images under
the readiness map, the land fill clears and comes back with "Tanpa peta dasar", and a vector
file is drawn by protomaps-leaflet. Nothing leaves 127.0.0.1 and the console stays clean
(a Content-Security-Policy violation would be logged there).

One Chromium session for both servers. The vector tile is a hand-encoded polygon covering
the tile in layer "water": the pixel read from the drawn canvas must be the basic style's
water colour (#aad3df), not its background.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._browser import (
    ARTIFACTS,
    chromium,
    console_errors,
    leaving_loopback,
    requests_made,
    served_app,
    wait_for,
)

from ._tilefiles import mvt_square, png, write_mbtiles, write_pmtiles, xyz_range

pytestmark = pytest.mark.browser

# Around Kabupaten Mimika (west, south, east, north), wider than the map's opening frame.
BOUNDS = (133.5, -6.0, 139.5, -2.5)
ZOOMS = range(6, 10)
WATER = (0xAA, 0xD3, 0xDF)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from chromium(tmp_path_factory.mktemp("chrome"))


def _land_opacity(driver: Any) -> list[float]:
    return driver.execute_script(
        "var id = document.querySelector('.folium-map').id, out = [];"
        "window[id].eachLayer(function (l) {"
        "  if (l.options && l.options.swLand) { out.push(l.options.fillOpacity); } });"
        "return out;")


def _choose_base(driver: Any, name: str) -> None:
    driver.execute_script(
        "var labels = document.querySelectorAll('.leaflet-control-layers-base label');"
        "for (var i = 0; i < labels.length; i++) {"
        "  if (labels[i].textContent.trim() === arguments[0]) {"
        "    labels[i].querySelector('input').click(); } }", name)
    time.sleep(0.3)


def _wait(driver: Any, script: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for: {script}")


def test_local_raster_and_vector_basemaps_in_chromium(browser, served: Path,
                                                      tmp_path: Path) -> None:
    raster = write_mbtiles(
        tmp_path / "kantor.mbtiles",
        [(z, x, (1 << z) - 1 - y, png(200, 120, 40)) for z in ZOOMS
         for x, y in xyz_range(BOUNDS, z)],
        metadata={"format": "png", "minzoom": str(ZOOMS[0]), "maxzoom": str(ZOOMS[-1]),
                  "bounds": ",".join(map(str, BOUNDS)), "attribution": "© Peta Kantor"})
    requests: list[str] = []
    with served_app(served, tiles_file=raster) as url:
        browser.get(f"{url}/maps/readiness")
        wait_for(browser, ".sw-legend")
        size = _wait(browser,
                     "var t = Array.from(document.querySelectorAll('img.leaflet-tile-loaded'))"
                     ".filter(function (i) { return i.src.indexOf('/tiles/') > 0 &&"
                     "  i.complete && i.naturalWidth > 0; });"
                     "return t.length ? [t.length, t[0].naturalWidth, t[0].naturalHeight] : null;")
        assert size[1:] == [1, 1]  # our one-pixel PNG, stretched by Leaflet
        assert _land_opacity(browser) and set(_land_opacity(browser)) == {0}
        attribution = browser.find_element("css selector", ".leaflet-control-attribution").text
        assert "© Peta Kantor" in attribution
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "basemap-local-raster.png"))
        _choose_base(browser, "Tanpa peta dasar")
        assert set(_land_opacity(browser)) == {1}
        assert not browser.find_elements("css selector", "img.leaflet-tile")
        requests += requests_made(browser)
        assert console_errors(browser) == []
        # A basemap whose tiles all fail (an online layer in a browser without internet;
        # here a closed loopback port the page's policy also refuses) gives way to none.
        shown_first = browser.execute_script(
            "var map = window[document.querySelector('.folium-map').id];"
            "var dead = L.tileLayer('http://127.0.0.1:9/{z}/{x}/{y}.png').addTo(map);"
            "var none = L.layerGroup(); window._swDead = [map, dead, none];"
            "SiapWisata.basemaps(map, dead, none); return map.hasLayer(dead);")
        assert shown_first
        _wait(browser, "var s = window._swDead;"
                       "return !s[0].hasLayer(s[1]) && s[0].hasLayer(s[2]);")
        assert set(_land_opacity(browser)) == {1}
        browser.get_log("browser")  # the refused tiles' errors were wanted here

    vector = write_pmtiles(
        tmp_path / "mimika.pmtiles",
        {(z, x, y): mvt_square("water") for z in (7, 8) for x, y in xyz_range(BOUNDS, z)},
        vector=True, bounds=BOUNDS,
        metadata={"attribution": "© Uji", "vector_layers": [{"id": "water", "fields": {}}]})
    with served_app(served, tiles_file=vector) as url:
        browser.get(f"{url}/maps/readiness")
        wait_for(browser, ".sw-legend")
        pixel = _wait(browser,
                      "var c = Array.from(document.querySelectorAll("
                      "  'canvas.leaflet-tile.leaflet-tile-loaded'));"
                      "if (!c.length) { return null; }"
                      "var d = c[0].getContext('2d').getImageData(c[0].width / 2,"
                      "  c[0].height / 2, 1, 1).data; return [d[0], d[1], d[2]];")
        assert tuple(pixel) == WATER
        browser.save_screenshot(str(ARTIFACTS / "basemap-local-vector.png"))
        requests += requests_made(browser)
        assert console_errors(browser) == []
    assert any("/tiles/" in r and r.endswith(".png") for r in requests)
    assert any("/tiles/" in r and r.endswith(".pbf") for r in requests)
    assert leaving_loopback(requests) == []
