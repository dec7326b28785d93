"""A real browser (Debian's Chromium via Selenium) opens the maps served by uvicorn on
127.0.0.1, with nothing beyond loopback.

Checks: no console errors, every request stays on 127.0.0.1 (Chrome DevTools Network
events from the performance log), markers and legend in the DOM, a click on a destination
opens the popup with the per-agency breakdown, the search box finds a destination. A
screenshot of each map is saved under tests/artifacts/ (git-ignored).

``make test`` installs chromium and chromium-driver with apt-get (target system-deps).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn

from api.main import create_app
from geo.workspace import Workspace
from tests._served import NO_PRIORITIES, has_priorities, served_workspace

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# Only these schemes reach the network. Everything else (chrome:, chrome-untrusted:,
# devtools:, data:, blob:, about: and whatever internal scheme the next Chromium adds)
# stays inside the browser, so an allow-list of network schemes is the robust test.
NETWORK_SCHEMES = {"http", "https", "ws", "wss"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> Path:
    return served_workspace(tmp_path_factory, demo_ws)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(served: Path) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(served), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture()
def browser(tmp_path: Path):
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not exe.exists():
            pytest.fail(f"{exe} missing: run `make system-deps` (apt-get install chromium "
                        "chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'chrome-profile'}", "--window-size=1400,900"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _requests(driver) -> list[str]:
    """URLs of every request the page made (CDP Network.requestWillBeSent events)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
        elif msg.get("method") == "Network.webSocketCreated":
            urls.append(msg["params"]["url"])
    return urls


def _leaving_loopback(urls: list[str]) -> list[str]:
    out = []
    for u in urls:
        parts = urlsplit(u)
        if parts.scheme.lower() not in NETWORK_SCHEMES:
            continue
        if parts.hostname not in LOOPBACK_HOSTS:
            out.append(u)
    return out


def _console_errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _wait(driver, css: str, timeout: float = 20.0):
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        ec.presence_of_element_located(("css selector", css)))


def _click_until(driver, element, css: str, tries: int = 3):
    """Click the element as a person would, with a real mouse at its centre once the map
    has stopped moving, until ``css`` appears (a person clicks again when a click lands
    during a marker-cluster animation)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains

    for _ in range(tries):
        last = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            box = element.rect
            if box == last:
                break
            last = box
            time.sleep(0.3)
        ActionChains(driver).move_to_element(element).click().perform()
        try:
            return _wait(driver, css, timeout=5)
        except TimeoutException:
            continue
    pytest.fail(f"clicking did not open {css} after {tries} tries")


def test_readiness_map_in_chromium(browser, base_url: str, served: Path) -> None:
    scores = Workspace(served).read("scores")
    browser.get(f"{base_url}/maps/readiness")
    _wait(browser, ".sw-legend")
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
    browser.execute_script(
        "var id = document.querySelector('.folium-map').id;"
        "window[id].setView([arguments[0], arguments[1]], 15, {animate: false});",
        best.geometry.y, best.geometry.x)
    time.sleep(0.5)
    # the SVG element Leaflet drew for that feature
    target = browser.execute_script(
        "var id = document.querySelector('.folium-map').id, hit = null, want = arguments[0];"
        "window[id].eachLayer(function (l) {"
        "  if (l.feature && l.feature.properties.id === want && l._path) {"
        "    hit = l._path; } });"
        "return hit;", str(best["id"]))
    assert target is not None, "destination marker not drawn"
    assert "sw-dest" in target.get_attribute("class")
    popup = _click_until(browser, target, ".leaflet-popup-content .sw-pop")
    # textContent, not .text: the popup may still be auto-panning into view
    text = popup.get_attribute("textContent")
    assert str(best["name"]) in text
    assert len(popup.find_elements("css selector", ".sw-bars tr")) == 5
    for label in ("Skor kesiapan", "Skor per OPD", "Pariwisata", "PUPR (jalan)", "Akses:"):
        assert label in text, label
    # the popup asks the API for this destination's 15/30-minute reach and draws it
    deadline = time.monotonic() + 10
    requests: list[str] = []
    while time.monotonic() < deadline:
        requests += _requests(browser)
        if any(f"/api/destinations/{best['id']}/reach" in u for u in requests):
            break
        time.sleep(0.2)
    assert any(f"/api/destinations/{best['id']}/reach" in u for u in requests)
    browser.save_screenshot(str(ARTIFACTS / "readiness-popup.png"))

    # search by destination name opens its popup
    browser.find_element("css selector", ".leaflet-popup-close-button").click()
    other = scores.sort_values(["rank", "id"]).iloc[-1]
    box = browser.find_element("css selector", ".leaflet-control-search input.search-input")
    # leaflet-search strips regex characters such as "(" from what is typed
    box.send_keys(str(other["name"]).split(" (")[0])
    _wait(browser, ".search-tooltip .search-tip")
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

    requests += _requests(browser)
    assert requests, "no network events recorded"
    assert any(u.startswith(f"{base_url}/static/npm/leaflet/") for u in requests)
    assert _leaving_loopback(requests) == []
    assert _console_errors(browser) == []


def test_landing_and_priorities_pages_in_chromium(browser, base_url: str, served: Path) -> None:
    browser.get(f"{base_url}/")
    assert "SIAP Wisata" in browser.title
    links = {a.get_attribute("href") for a in browser.find_elements("css selector", "a")}
    assert f"{base_url}/api/destinations" in links
    if not has_priorities(served):
        assert _leaving_loopback(_requests(browser)) == []
        assert _console_errors(browser) == []
        pytest.skip(NO_PRIORITIES)
    layer = Workspace(served).read("priorities").sort_values("rank")
    budget = float(layer["cost_rp"].iloc[: max(1, len(layer) // 10)].sum())
    browser.get(f"{base_url}/maps/priorities?warna=benefit_cost&budget={budget:.0f}")
    _wait(browser, ".sw-legend")
    legend = browser.find_element("css selector", ".sw-legend").text
    assert "Terpilih dalam anggaran" in legend
    assert "ruas terpilih" in legend
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "priorities.png"))
    assert _leaving_loopback(_requests(browser)) == []
    assert _console_errors(browser) == []
