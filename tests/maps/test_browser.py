"""A real browser (Debian's Chromium via Selenium) opens the maps served by uvicorn on
127.0.0.1, with nothing beyond loopback.

Checks: no console errors, every request stays on 127.0.0.1 (Chrome DevTools Network
events from the performance log), markers and legend in the DOM, a click on a destination
opens the popup with the per-agency breakdown, the search box finds a destination. A
screenshot of each map is saved under tests/artifacts/ (git-ignored).

``make test`` installs chromium and chromium-driver with apt-get (target system-deps).
Every page is served with its Content-Security-Policy: a violation is a console error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.io.workspace import Workspace
from tests._browser import (
    ARTIFACTS,
    chromium,
    click_until,
    close_popup,
    console_errors,
    feature_path,
    leaving_loopback,
    map_view,
    requests_made,
    served_app,
    wait_for,
)
from tests._served import NO_PRIORITIES, has_priorities, served_workspace

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> Path:
    return served_workspace(tmp_path_factory, demo_ws)


@pytest.fixture(scope="module")
def base_url(served: Path) -> Iterator[str]:
    with served_app(served) as url:
        yield url


@pytest.fixture()
def browser(tmp_path: Path):
    yield from chromium(tmp_path)


def test_readiness_map_in_chromium(browser, base_url: str, served: Path) -> None:
    scores = Workspace(served).read("scores")
    browser.get(f"{base_url}/maps/readiness")
    wait_for(browser, ".sw-legend")
    markers = browser.find_elements("css selector", "path.sw-dest")
    assert len(markers) == len(scores)
    legend = browser.find_element("css selector", ".sw-legend").text
    for text in ("Legenda", "Rintisan", "Berkembang", "Maju", "Mandiri", "Aspal", "Tanah"):
        assert text in legend, text
    banner = browser.find_element("css selector", ".sw-banner")
    assert banner.text == "DATA CONTOH (SINTETIS)" and banner.is_displayed()
    # third-party controls carry Indonesian labels
    zoom_in = browser.find_element("css selector", ".leaflet-control-zoom-in")
    assert zoom_in.get_attribute("title") == "Perbesar"
    measure = browser.find_element("css selector", ".leaflet-control-measure-toggle")
    assert measure.get_attribute("title") == "Ukur jarak dan luas"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "readiness.png"))

    # The best-ranked destination: zoom to it so it is not under a cluster or control.
    best = scores.sort_values(["rank", "id"]).iloc[0]
    map_view(browser, best.geometry.y, best.geometry.x)
    # the SVG element Leaflet drew for that feature
    target = feature_path(browser, "id", str(best["id"]))
    assert target is not None, "destination marker not drawn"
    assert "sw-dest" in target.get_attribute("class")
    popup = click_until(browser, target, ".leaflet-popup-content .sw-pop")
    # textContent, not .text: the popup may still be auto-panning into view
    text = popup.get_attribute("textContent")
    assert str(best["name"]) in text
    assert len(popup.find_elements("css selector", ".sw-bars tr")) == 5
    # bar labels: the `short` of each [dimensions.*] table of readiness.toml
    for label in ("Skor kesiapan", "Skor per OPD", "Pariwisata", "PU", "Kominfo", "Akses:"):
        assert label in text, label
    # the popup asks the API for this destination's 15/30-minute reach and draws it
    deadline = time.monotonic() + 10
    requests: list[str] = []
    while time.monotonic() < deadline:
        requests += requests_made(browser)
        if any(f"/api/destinations/{best['id']}/reach" in u for u in requests):
            break
        time.sleep(0.2)
    assert any(f"/api/destinations/{best['id']}/reach" in u for u in requests)
    browser.save_screenshot(str(ARTIFACTS / "readiness-popup.png"))

    # search by destination name opens its popup
    close_popup(browser)
    other = scores.sort_values(["rank", "id"]).iloc[-1]
    box = browser.find_element("css selector", ".leaflet-control-search input.search-input")
    # leaflet-search strips regex characters such as "(" from what is typed
    box.send_keys(str(other["name"]).split(" (")[0])
    wait_for(browser, ".search-tooltip .search-tip")
    tips = [t for t in browser.find_elements("css selector", ".search-tooltip .search-tip")
            if t.text == str(other["name"])]
    assert tips, "the search box does not offer the destination"
    tips[0].click()
    deadline = time.monotonic() + 10
    found = ""
    while str(other["name"]) not in found and time.monotonic() < deadline:
        time.sleep(0.2)
        pops = browser.find_elements("css selector", ".leaflet-popup-content .sw-pop")
        found = pops[0].get_attribute("textContent") if pops else ""
    assert str(other["name"]) in found

    requests += requests_made(browser)
    assert requests, "no network events recorded"
    assert any(u.startswith(f"{base_url}/static/npm/leaflet/") for u in requests)
    assert leaving_loopback(requests) == []
    assert console_errors(browser) == []


def test_landing_and_priorities_pages_in_chromium(browser, base_url: str, served: Path) -> None:
    browser.get(f"{base_url}/")
    assert "SIAP Wisata" in browser.title
    links = {a.get_attribute("href") for a in browser.find_elements("css selector", "a")}
    assert f"{base_url}/api/destinations" in links
    if not has_priorities(served):
        assert leaving_loopback(requests_made(browser)) == []
        assert console_errors(browser) == []
        pytest.skip(NO_PRIORITIES)
    layer = Workspace(served).read("priorities").sort_values("rank")
    budget = float(layer["cost_rp"].iloc[: max(1, len(layer) // 10)].sum())
    browser.get(f"{base_url}/maps/priorities?warna=benefit_cost&budget={budget:.0f}")
    wait_for(browser, ".sw-legend")
    legend = browser.find_element("css selector", ".sw-legend").text
    assert "Terpilih dalam anggaran" in legend
    assert "ruas terpilih" in legend
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "priorities.png"))
    assert leaving_loopback(requests_made(browser)) == []
    assert console_errors(browser) == []
