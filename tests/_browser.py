"""Driving Debian's Chromium (Selenium) against the app served by uvicorn on 127.0.0.1.

Shared by tests/maps/test_browser.py and tests/api/test_xss.py: starting a server for a workspace,
starting a headless Chromium, and reading what the page did (requests, console errors).
``make test`` installs chromium and chromium-driver with apt-get (target system-deps).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from api.main import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# Only these schemes reach the network. Everything else (chrome:, chrome-untrusted:,
# devtools:, data:, blob:, about: and whatever internal scheme the next Chromium adds)
# stays inside the browser, so an allow-list of network schemes is the robust test.
NETWORK_SCHEMES = {"http", "https", "ws", "wss"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served_app(workspace: Path, **options: Any) -> Iterator[str]:
    """Serve the app for ``workspace`` with uvicorn on 127.0.0.1; yields the base URL.
    ``options`` go to :func:`api.main.create_app` (``tiles_file=...``)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(workspace, **options), host="127.0.0.1",
                                           port=port,
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


def chromium(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium (selenium driver) logging console and network events; for a
    fixture to ``yield from``."""
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
    # a page whose server recomputes (a priorities map for a new budget) took over 60 s
    # on a loaded 2-core machine (other tests beside it); a limit, not a speed target
    driver.set_page_load_timeout(180)
    try:
        yield driver
    finally:
        driver.quit()


def requests_made(driver: Any) -> list[str]:
    """URLs of every request the page made (CDP Network.requestWillBeSent events)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
        elif msg.get("method") == "Network.webSocketCreated":
            urls.append(msg["params"]["url"])
    return urls


def leaving_loopback(urls: list[str]) -> list[str]:
    out = []
    for u in urls:
        parts = urlsplit(u)
        if parts.scheme.lower() not in NETWORK_SCHEMES:
            continue
        if parts.hostname not in LOOPBACK_HOSTS:
            out.append(u)
    return out


def console_errors(driver: Any) -> list[dict]:
    """SEVERE console entries: script errors, failed loads and CSP violations."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_for(driver: Any, css: str, timeout: float = 20.0) -> Any:
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        ec.presence_of_element_located(("css selector", css)))


def click_until(driver: Any, element: Any, css: str, tries: int = 3) -> Any:
    """Click the element as a person would, with a real mouse at its centre once the map
    has stopped moving, until ``css`` appears (a person clicks again when a click lands
    during a marker-cluster animation)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains

    for _ in range(tries):
        settle(element)
        ActionChains(driver).move_to_element(element).click().perform()
        try:
            return wait_for(driver, css, timeout=5)
        except TimeoutException:
            continue
    pytest.fail(f"clicking did not open {css} after {tries} tries")


def close_popup(driver: Any, timeout: float = 10.0) -> None:
    """Click the open popup's close button as a person would: once it is shown and still.

    Opening a popup taller than the room above its marker pans the map (Leaflet's
    autoPan, ~0,25 s); until the pan ends the button can sit above the map's top edge,
    clipped and so "not interactable" for the driver (seen in CI on a loaded machine).
    """
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    button = WebDriverWait(driver, timeout).until(
        ec.visibility_of_element_located(("css selector", ".leaflet-popup-close-button")))
    settle(button)
    WebDriverWait(driver, timeout).until(ec.element_to_be_clickable(button)).click()


def settle(element: Any, timeout: float = 10.0) -> None:
    """Wait until the element stops moving (map animations)."""
    last = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        box = element.rect
        if box == last:
            return
        last = box
        time.sleep(0.3)


def map_view(driver: Any, lat: float, lon: float, zoom: int = 15) -> None:
    """Centre the folium map of the page on a point, without animation."""
    driver.execute_script(
        "var id = document.querySelector('.folium-map').id;"
        "window[id].setView([arguments[0], arguments[1]], arguments[2], {animate: false});",
        lat, lon, zoom)
    time.sleep(0.5)


def feature_path(driver: Any, prop: str, value: str) -> Any:
    """The SVG element Leaflet drew for the feature whose ``properties[prop] == value``."""
    return driver.execute_script(
        "var id = document.querySelector('.folium-map').id, hit = null,"
        "    key = arguments[0], want = arguments[1];"
        "window[id].eachLayer(function (l) {"
        "  if (l.feature && l.feature.properties[key] === want && l._path) {"
        "    hit = l._path; } });"
        "return hit;", prop, value)
