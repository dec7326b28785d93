"""Stored XSS (issue 10): hostile text imported from agency files runs nothing in Chromium.

A copy of the scored demo workspace gets, through the real importers (geo.io.importers), a
destination whose name, category, manager, facilities and an extra column carry script,
a UMKM and a gateway with script in their names; a distrik name and a road section name
carry script too (edited in the layers, as an admin boundary file or OSM would bring
them). The workspace is then scored and prioritised by the real pipeline and served.

In Chromium: hovering the destination's marker, opening its popup, typing ``<img`` in the
map search and picking the suggestion, and opening every tooltip of both maps must run
nothing: the payloads' window flag stays unset, no alert opens, no element carries an
event-handler attribute, the hostile text shows as text, and the console stays clean (a
script that the Content-Security-Policy blocked would be logged there as an error, so
the test does not pass merely because the policy caught what escaping let through).
"""

from __future__ import annotations

import csv
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.io.workspace import Workspace
from geo.steps import import_file
from tests._browser import (
    ARTIFACTS,
    chromium,
    close_popup,
    console_errors,
    feature_path,
    leaving_loopback,
    map_view,
    requests_made,
    served_app,
    settle,
    wait_for,
)
from tests._served import NO_PRIORITIES, PRIORITIES_AVAILABLE, served_workspace

pytestmark = pytest.mark.browser

XSS_ID = "XSS-1"


def payload(tag: str) -> str:
    """Markup and script that, if ever parsed or run, records ``tag`` in window.__xss."""
    flag = f"window.__xss=(window.__xss||[]).concat(['{tag}'])"
    return (f'<img src=x onerror="{flag}"><script>{flag}</script>'
            f'<svg onload="{flag}"></svg>"\'><b onmouseover="{flag}">x</b>'
            f"`${{{flag}}}`</script><script>alert('{tag}')</script>")


NAME = "Pantai " + payload("name")


def _write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def hostile_ws(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> Path:
    from geo.steps import score_workspace

    base = tmp_path_factory.mktemp("xss")
    path = base / "hostile.gpkg"
    shutil.copyfile(served_workspace(tmp_path_factory, demo_ws), path)
    ws = Workspace(path)
    anchor = ws.read("destinations").sort_values("id").iloc[0].geometry
    lat, lon = anchor.y + 0.02, anchor.x + 0.02
    import_file("destinations", _write_csv(base / "destinasi.csv", [{
        "id": XSS_ID, "nama": NAME, "kategori": "pantai " + payload("category"),
        "lintang": lat, "bujur": lon, "pengelola": payload("pengelola"),
        "fasilitas": payload("fasilitas"), "keterangan": payload("extra"),
    }]), ws)
    import_file("umkm", _write_csv(base / "umkm.csv", [{
        "id": "UMKM-XSS", "nama": "Warung " + payload("umkm"), "jenis": "warung makan",
        "lintang": lat + 0.003, "bujur": lon + 0.003,
    }]), ws)
    gw = ws.read("gateways").sort_values("id").iloc[0]
    import_file("gateways", _write_csv(base / "gerbang.csv", [{
        "id": gw["id"], "nama": "Gerbang " + payload("gateway"), "jenis": gw["kind"],
        "lintang": gw.geometry.y, "bujur": gw.geometry.x,
    }]), ws)
    admin = ws.read("admin_areas")
    first = admin.index[admin["level"] == "distrik"][0]
    admin.loc[first, "nama"] = "Distrik " + payload("distrik")
    with ws.update() as stage:
        stage.write("admin_areas", admin)
    score_workspace(ws)
    if PRIORITIES_AVAILABLE:
        from geo.steps import priorities_workspace

        priorities_workspace(ws, budget=None, authority="kabupaten")
        p = ws.read("priorities")
        p.loc[p["rank"] == p["rank"].min(), "name"] = "Jalan " + payload("road")
        with ws.update() as stage:
            stage.write("priorities", p)
    return path


@pytest.fixture(scope="module")
def base_url(hostile_ws: Path) -> Iterator[str]:
    with served_app(hostile_ws) as url:
        yield url


@pytest.fixture()
def browser(tmp_path: Path):
    yield from chromium(tmp_path)


def _nothing_ran(driver) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        text = None
    assert text is None, f"an alert opened: {text}"
    assert driver.execute_script("return window.__xss || null") is None
    handlers = driver.execute_script(
        "var out = [];"
        "document.querySelectorAll('*').forEach(function (el) {"
        "  for (var i = 0; i < el.attributes.length; i++) {"
        "    var a = el.attributes[i].name;"
        "    if (a.indexOf('on') === 0) { out.push(el.tagName + ' ' + a); } } });"
        "return out;")
    assert handlers == []
    assert driver.execute_script("return document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert console_errors(driver) == []


def _hover_tooltip(driver, element, text: str):
    """Hover ``element`` with the mouse; the tooltip (element) that then shows ``text``."""
    from selenium.webdriver.common.action_chains import ActionChains

    settle(element)
    ActionChains(driver).move_to_element(element).perform()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for tip in driver.find_elements("css selector", ".leaflet-tooltip"):
            if tip.get_attribute("textContent").strip() == text:
                return tip
        time.sleep(0.2)
    shown = [t.get_attribute("textContent") for t in
             driver.find_elements("css selector", ".leaflet-tooltip")]
    pytest.fail(f"hovering shows no tooltip {text!r}; shown: {shown}")


def _open_every_tooltip(driver) -> list[str]:
    """Open the tooltip of every layer on the map (distrik, kampung, roads, gateways,
    UMKM markers out of their clusters, destinations); returns their texts."""
    return driver.execute_script(
        "var id = document.querySelector('.folium-map').id, map = window[id], out = [];"
        "map.eachLayer(function (l) {"
        "  if (l.getTooltip && l.getTooltip() && (l._latlng || l._latlngs)) {"
        "    try { l.openTooltip(); } catch (e) { return; }"
        "    var el = l.getTooltip().getElement();"
        "    if (el) { out.push(el.textContent); } } });"
        "return out;")


def test_hostile_names_run_nothing_on_the_readiness_map(browser, base_url: str,
                                                        hostile_ws: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    dest = Workspace(hostile_ws).read("scores").set_index("id").loc[XSS_ID]
    browser.get(f"{base_url}/maps/readiness")
    wait_for(browser, ".sw-legend")

    # hover: the tooltip shows the name as text
    map_view(browser, dest.geometry.y, dest.geometry.x, 17)
    marker = feature_path(browser, "id", XSS_ID)
    assert marker is not None, "hostile destination not drawn"
    tip = _hover_tooltip(browser, marker, NAME)
    assert tip.find_elements("css selector", "img, script, svg, b") == []
    _nothing_ran(browser)

    # popup: name, category, actions (manager, facilities) as text
    ActionChains(browser).move_to_element(marker).click().perform()
    popup = wait_for(browser, ".leaflet-popup-content .sw-pop")
    text = popup.get_attribute("textContent")
    assert NAME in text
    assert "<img src=x" in text  # the manager's payload, inside the actions
    assert popup.find_elements("css selector", "img, script, svg") == []  # <b> is ours
    _nothing_ran(browser)
    close_popup(browser)

    # search: typing "<img" offers the hostile name as text; picking it opens its popup
    box = browser.find_element("css selector", ".leaflet-control-search input.search-input")
    box.send_keys("<img")
    wait_for(browser, ".search-tooltip .search-tip")
    tips = browser.find_elements("css selector", ".search-tooltip .search-tip")
    assert [t.get_attribute("textContent") for t in tips] == [NAME]
    assert tips[0].find_elements("css selector", "*") == []
    _nothing_ran(browser)
    tips[0].click()
    deadline = time.monotonic() + 10
    found = ""
    while NAME not in found and time.monotonic() < deadline:
        time.sleep(0.2)
        pops = browser.find_elements("css selector", ".leaflet-popup-content .sw-pop")
        found = pops[0].get_attribute("textContent") if pops else ""
    assert NAME in found
    _nothing_ran(browser)

    # every other tooltip: UMKM (unclustered at this zoom), gateway, distrik, kampung
    texts = _open_every_tooltip(browser)
    assert any(t.startswith("Warung <img src=x") for t in texts), "UMKM tooltip missing"
    gw = Workspace(hostile_ws).read("gateways")
    hostile_gw = gw[gw["name"].astype(str).str.startswith("Gerbang <img")].iloc[0]
    map_view(browser, hostile_gw.geometry.y, hostile_gw.geometry.x, 12)
    texts += _open_every_tooltip(browser)
    assert any(t.startswith("Gerbang <img src=x") for t in texts), "gateway tooltip missing"
    assert any("Distrik <img src=x" in t for t in texts), "distrik tooltip missing"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "xss-readiness.png"))
    _nothing_ran(browser)
    assert leaving_loopback(requests_made(browser)) == []


def test_hostile_names_run_nothing_on_the_priorities_map_and_landing_page(
        browser, base_url: str, hostile_ws: Path) -> None:
    browser.get(f"{base_url}/")
    assert NAME in browser.find_element("css selector", "table").get_attribute("textContent")
    options = [o.get_attribute("textContent")
               for o in browser.find_elements("css selector", "#distrik-r option")]
    assert any(o.startswith("Distrik <img src=x") for o in options)
    _nothing_ran(browser)

    if not PRIORITIES_AVAILABLE:
        pytest.skip(NO_PRIORITIES)
    dest = Workspace(hostile_ws).read("scores").set_index("id").loc[XSS_ID]
    browser.get(f"{base_url}/maps/priorities")
    wait_for(browser, ".sw-legend")
    map_view(browser, dest.geometry.y, dest.geometry.x, 17)
    marker = browser.execute_script(
        "var id = document.querySelector('.folium-map').id, hit = null, want = arguments[0];"
        "window[id].eachLayer(function (l) {"
        "  if (l.feature && l.feature.properties.name === want && l._path) { hit = l._path; }"
        "});"
        "return hit;", NAME)
    assert marker is not None, "hostile destination not drawn on the priorities map"
    tip = _hover_tooltip(browser, marker, NAME)
    assert tip.find_elements("css selector", "img, script, svg, b") == []
    _nothing_ran(browser)

    # the hostile road section: tooltip and popup as text
    road = Workspace(hostile_ws).read("priorities")
    road = road[road["name"].astype(str).str.startswith("Jalan <img")].iloc[0]
    mid = road.geometry.interpolate(0.5, normalized=True)
    map_view(browser, mid.y, mid.x, 16)
    texts = _open_every_tooltip(browser)
    assert any(t.startswith("Jalan <img src=x") for t in texts), "road tooltip missing"
    # the side panel lists it (the best rank) by its name, as text
    entry = browser.find_element(
        "css selector", f".sw-panel button[data-ruas='{road['ruas_id']}']")
    assert str(road["name"]) in entry.get_attribute("textContent")
    assert entry.find_elements("css selector", "img, script, svg") == []  # <b> is ours
    browser.execute_script("arguments[0].click();", entry)
    time.sleep(1)
    _nothing_ran(browser)
    browser.execute_script(
        "var id = document.querySelector('.folium-map').id, want = arguments[0];"
        "window[id].eachLayer(function (l) {"
        "  if (l.feature && l.feature.properties.name === want && l.openPopup) {"
        "    l.openPopup(); } });", str(road["name"]))
    popup = wait_for(browser, ".leaflet-popup-content .sw-pop")
    assert str(road["name"]) in popup.get_attribute("textContent")
    assert popup.find_elements("css selector", "img, script, svg") == []  # <b> is ours
    browser.save_screenshot(str(ARTIFACTS / "xss-priorities.png"))
    _nothing_ran(browser)
    assert leaving_loopback(requests_made(browser)) == []


def test_hostile_names_run_nothing_on_the_destination_page_and_rapor(
        browser, base_url: str, hostile_ws: Path) -> None:
    """Issue 13: the destination page (name, manager, and the manager and facilities in
    the actions) and the rapor OPD show the hostile texts as text."""
    dest = Workspace(hostile_ws).read_table("scores").set_index("id").loc[XSS_ID]
    browser.get(f"{base_url}/destinasi/{XSS_ID}")
    wait_for(browser, "#peta-destinasi[data-reach]")
    heading = browser.find_element("css selector", "#ringkasan h2")
    assert heading.text.startswith(NAME)
    assert heading.find_elements("css selector", "img, script, svg, b") == []
    actions = browser.find_element("id", "tindakan").text
    assert "<img src=x" in actions  # the manager's and facilities' payloads, as text
    assert payload("pengelola") in browser.find_element("id", "ringkasan").text
    _nothing_ran(browser)

    browser.get(f"{base_url}/rapor")
    wait_for(browser, "section.opd")
    # listed under the agency that holds it back
    part = browser.find_element("id", f"opd-{dest['bottleneck']}")
    link = part.find_element("css selector", f"tr[data-id='{XSS_ID}'] a")
    assert link.text == NAME
    assert link.find_elements("css selector", "img, script, svg, b") == []
    _nothing_ran(browser)
    assert leaving_loopback(requests_made(browser)) == []
