"""Issue 14.4 in a real browser: maps people can work with, on a desk and on a phone.

One Chromium session (module fixture) opens the demo served by uvicorn on 127.0.0.1:
- readiness map: the "Dihambat oleh" filter keeps exactly the destinations whose
  bottleneck is the chosen agency (the scores layer read here is the reference), the
  "Warnai menurut" choice colours every marker by that agency's score as its legend says,
  boat and air links are their own overlays, off when they outweigh the roads and drawn
  thin, faint and dashed, and the gateway labels shown never overlap;
- priorities map: the side panel lists the sections the API selects for the budget, and a
  click flies to the section (the map then contains its geometry read from the layer)
  and puts it in front, thick, with the others faded;
- at 390 px: the legend and the panel start collapsed, no control covers the synthetic
  banner nor the freshness banner, and the landing page does not scroll sideways.
Screenshots at 1280 and 390 px are saved under tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
import shutil
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

from geo.io.workspace import Workspace
from tests._browser import (
    ARTIFACTS,
    chromium,
    console_errors,
    leaving_loopback,
    requests_made,
    served_app,
    wait_for,
)
from tests._served import NO_PRIORITIES, has_priorities, served_workspace

pytestmark = pytest.mark.browser

READINESS_TOML = Path(__file__).resolve().parents[2] / "data" / "readiness.toml"
DESK = (1280, 800)
PHONE = (390, 844)
MAP = "window[document.querySelector('.folium-map').id]"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> Path:
    """The served demo with its priorities stored for :data:`budget` (a programme of a
    few sections): the map for that budget then reads the stored layer, as the map of
    ``siapwisata priorities --budget`` does, instead of a new selection on the lane."""
    src = served_workspace(tmp_path_factory, demo_ws)
    if not has_priorities(src):
        return src
    path = tmp_path_factory.mktemp("usability") / src.name
    shutil.copyfile(src, path)
    from geo.steps import priorities_workspace

    priorities_workspace(Workspace(path), budget=_budget(path), authority="kabupaten")
    return path


@pytest.fixture(scope="module")
def base_url(served: Path) -> Iterator[str]:
    with served_app(served) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    yield from chromium(tmp_path_factory.mktemp("chromium"))


def _budget(path: Path) -> float:
    """About a tenth of the ranked sections' cost, in whole Rupiah."""
    layer = Workspace(path).read("priorities").sort_values("rank")
    return float(round(layer["cost_rp"].iloc[: max(2, len(layer) // 10)].sum()))


@pytest.fixture(scope="module")
def budget(served: Path) -> float:
    if not has_priorities(served):
        pytest.skip(NO_PRIORITIES)
    return float(Workspace(served).metadata()["priorities_budget"])


def _size(browser: Any, size: tuple[int, int]) -> None:
    browser.set_window_size(*size)
    assert browser.execute_script("return window.innerWidth") == size[0]


def _shot(browser: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / name))


def _agencies() -> dict[str, str]:
    """Dimension key -> agency, read from readiness.toml itself."""
    with READINESS_TOML.open("rb") as f:
        return {k: v["agency"] for k, v in tomllib.load(f)["dimensions"].items()}


def _shown_destinations(browser: Any) -> list[str]:
    """Ids of the destination markers on the map now."""
    return browser.execute_script(
        f"var out = []; {MAP}.eachLayer(function (l) {{"
        "  if (l.feature && l._path && l.feature.properties.bottleneck !== undefined) {"
        "    out.push(l.feature.properties.id); } }); return out;")


def _fills(browser: Any) -> dict[str, str]:
    return browser.execute_script(
        f"var out = {{}}; {MAP}.eachLayer(function (l) {{"
        "  if (l.feature && l._path && l.feature.properties.bottleneck !== undefined) {"
        "    out[l.feature.properties.id] = l._path.getAttribute('fill'); } }); return out;")


def _select(browser: Any, css: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("css selector", css)).select_by_value(value)


def _rgb(color: str) -> tuple[int, ...]:
    """'#d7191c', 'rgb(215, 25, 28)' or 'rgba(215, 25, 28, 1)' as (215, 25, 28)."""
    if color.startswith("#"):
        return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(x) for x in re.findall(r"\d+", color)[:3])


def _rects_disjoint(rects: list[dict[str, float]]) -> bool:
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            if (a["left"] < b["right"] and b["left"] < a["right"]
                    and a["top"] < b["bottom"] and b["top"] < a["bottom"]):
                return False
    return True


def _rect(browser: Any, css: str) -> dict[str, float] | None:
    return browser.execute_script(
        "var e = document.querySelector(arguments[0]); if (!e) { return null; }"
        "var r = e.getBoundingClientRect();"
        "return r.width && r.height ? {left: r.left, right: r.right, top: r.top,"
        " bottom: r.bottom} : null;", css)


def _visible_labels(browser: Any) -> list[dict[str, Any]]:
    return browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('.sw-gw-label'),"
        " function (e) { var r = e.getBoundingClientRect();"
        "  return {text: e.textContent, hidden: getComputedStyle(e).visibility === 'hidden',"
        "          left: r.left, right: r.right, top: r.top, bottom: r.bottom}; });")


def _settled_bounds(browser: Any, timeout: float = 8.0) -> list[float]:
    """The map's [south, west, north, east] once it has stopped moving."""
    last = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.3)
        b = browser.execute_script(f"var b = {MAP}.getBounds(); return [b.getSouth(),"
                                   " b.getWest(), b.getNorth(), b.getEast()];")
        if b == last:
            return b
        last = b
    pytest.fail("the map kept moving")


def test_readiness_filter_colour_links_and_labels(browser, base_url: str, served: Path) -> None:
    ws = Workspace(served)
    scores = ws.read("scores").set_index("id")
    agencies = _agencies()
    _size(browser, DESK)
    browser.get(f"{base_url}/maps/readiness")
    wait_for(browser, ".sw-tools select")
    _shot(browser, "readiness-1280.png")

    # the filter offers "semua" and every agency of readiness.toml, in its order
    options = [(o.get_attribute("value"), o.text) for o in
               browser.find_elements("css selector", ".sw-filter option")]
    assert options == [("", "semua"), *agencies.items()]
    assert sorted(_shown_destinations(browser)) == sorted(scores.index)
    for key in agencies:
        _select(browser, ".sw-filter select", key)
        want = sorted(scores.index[scores["bottleneck"] == key])
        assert sorted(_shown_destinations(browser)) == want, key
        assert len(browser.find_elements("css selector", "path.sw-dest")) == len(want)
        count = browser.find_element("css selector", ".sw-count").text
        assert count.startswith(f"{len(want)} dari {len(scores)} "), count
    assert (scores["bottleneck"].value_counts() > 0).sum() >= 2  # the filter had to choose
    _select(browser, ".sw-filter select", "")
    assert sorted(_shown_destinations(browser)) == sorted(scores.index)

    # colour by one agency: each marker's fill is the legend step holding its score
    by_class = _fills(browser)
    for key, agency in agencies.items():
        _select(browser, ".sw-colour select", key)
        legend = browser.execute_script(
            "var box = document.querySelector('.sw-by-agency');"
            "return {shown: !!box.offsetParent,"
            " classes: !!document.querySelector('.sw-by-class').offsetParent,"
            " title: box.querySelector('h4').textContent,"
            " rows: Array.prototype.map.call(box.querySelectorAll('.row'), function (r) {"
            "   return [getComputedStyle(r.querySelector('.dot')).backgroundColor,"
            "           r.textContent]; })};")
        assert legend["shown"] and not legend["classes"]
        assert agency in legend["title"]
        steps = {}
        for color, label in legend["rows"]:
            nums = [float(x.replace(",", ".")) for x in re.findall(r"\d+(?:,\d+)?", label)]
            steps[_rgb(color)] = (nums[0], nums[1]) if len(nums) == 2 else None
        fills = _fills(browser)
        used = set()
        for did, fill in fills.items():
            step = steps.get(_rgb(fill))
            assert _rgb(fill) in steps, (key, did, fill)
            value = scores.loc[did, f"score_{key}"]
            if step is None:
                assert pd.isna(value), (key, did)
            else:
                assert step[0] - 0.05 <= value <= step[1] + 0.05, (key, did, value, step)
            used.add(_rgb(fill))
        assert len(used) >= 2 or scores[f"score_{key}"].round(-1).nunique() < 2, key
    _select(browser, ".sw-colour select", "")
    assert _fills(browser) == by_class
    assert browser.find_element("css selector", ".sw-by-class").is_displayed()

    # boat and air links: their own overlays; off when longer than the roads, faint
    roads = ws.read("roads")
    metric = roads.to_crs(roads.estimate_utm_crs())
    length = metric.length.groupby(roads["mode"].fillna("road")).sum()
    dominate = length.get("water", 0) + length.get("air", 0) > length.get("road", 0)
    overlays = {lab.get_attribute("textContent").strip():
                lab.find_element("css selector", "input") for lab in
                browser.find_elements("css selector",
                                      ".leaflet-control-layers-overlays label")}
    names = {"water": "Jalur air (perahu dari pelabuhan)",
             "air": "Jalur udara (penerbangan perintis)"}
    for mode, name in names.items():
        if length.get(mode, 0) == 0:
            continue
        box = overlays[name]
        assert box.is_selected() == (not dominate), name
        if not box.is_selected():
            browser.execute_script("arguments[0].click();", box)
        styles = browser.execute_script(
            f"var out = [], want = arguments[0]; {MAP}.eachLayer(function (l) {{"
            "  if (l.feature && l._path && l.feature.properties.tip === want) {"
            "    out.push([l._path.getAttribute('stroke-width'),"
            "              l._path.getAttribute('stroke-opacity'),"
            "              l._path.getAttribute('stroke-dasharray')]); } }); return out;", name)
        assert styles, name
        for width, opacity, dash in styles:
            assert float(width) <= 1.5 and float(opacity) <= 0.5 and dash, (name, width)

    # gateway labels: every gateway named, and those shown never overlap, at any zoom
    gateways = ws.read("gateways")
    for zoom in (None, 11, 13):
        if zoom is not None:
            timika = gateways.iloc[0].geometry
            browser.execute_script(f"{MAP}.setView([arguments[0], arguments[1]], arguments[2],"
                                   " {animate: false});", timika.y, timika.x, zoom)
            time.sleep(0.4)
        labels = _visible_labels(browser)
        assert sorted(lab["text"] for lab in labels) == sorted(gateways["name"].astype(str))
        shown = [lab for lab in labels if not lab["hidden"]]
        assert shown, zoom
        assert _rects_disjoint(shown), (zoom, shown)
    assert leaving_loopback(requests_made(browser)) == []
    assert console_errors(browser) == []


def test_priorities_panel_flies_to_the_section(browser, base_url: str, served: Path,
                                               budget: float) -> None:
    layer = Workspace(served).read("priorities")
    chosen = layer[layer["selected"].fillna(False).astype(bool)].sort_values("rank")
    chosen = [{"ruas_id": r.ruas_id, "rank": int(r.rank),
               "name": r.name if isinstance(r.name, str) and r.name else r.ruas_id}
              for r in chosen.itertuples()]
    assert len(chosen) >= 2
    layer = layer.set_index("ruas_id")
    _size(browser, DESK)
    browser.get(f"{base_url}/maps/priorities?budget={budget:.0f}")
    wait_for(browser, ".sw-panel button.sw-section")
    panel = browser.find_element("css selector", ".sw-panel details")
    assert panel.get_attribute("open") is not None
    buttons = browser.find_elements("css selector", ".sw-panel button.sw-section")
    assert [b.get_attribute("data-ruas") for b in buttons] == [r["ruas_id"] for r in chosen]
    for b, r in zip(buttons, chosen, strict=True):
        assert b.text.startswith(f"{r['rank']}. {r['name']}")
        assert "Rp " in b.text
    _shot(browser, "priorities-1280.png")

    target = chosen[1]
    buttons[1].click()
    south, west, north, east = _settled_bounds(browser)
    minx, miny, maxx, maxy = gpd.GeoSeries([layer.loc[target["ruas_id"]].geometry]).total_bounds
    assert south <= miny and north >= maxy and west <= minx and east >= maxx
    state = browser.execute_script(
        f"var out = {{front: null, others: []}}, want = arguments[0];"
        f"{MAP}.eachLayer(function (l) {{"
        "  if (!l.feature || !l._path || l.feature.properties.ruas_id === undefined) { return; }"
        "  var p = l._path;"
        "  if (l.feature.properties.ruas_id === want) {"
        "    out.front = {last: p === p.parentNode.lastElementChild,"
        "                 width: +p.getAttribute('stroke-width'),"
        "                 base: l.feature.properties.style.weight,"
        "                 prev: p.previousElementSibling &&"
        "                       +p.previousElementSibling.getAttribute('stroke-width')};"
        "  } else { out.others.push(+p.getAttribute('stroke-opacity')); } });"
        "return out;", target["ruas_id"])
    front = state["front"]
    assert front["last"], "the picked section is not drawn in front"
    assert front["width"] > front["base"]
    assert front["prev"] and front["prev"] > front["width"], "no outline under the section"
    assert state["others"] and max(state["others"]) <= 0.3
    current = browser.find_element("css selector", ".sw-panel button[aria-current]")
    assert current.get_attribute("data-ruas") == target["ruas_id"]
    _shot(browser, "priorities-1280-selected.png")
    browser.find_element("css selector", ".sw-panel button.sw-reset").click()
    assert browser.find_elements("css selector", ".sw-panel button[aria-current]") == []

    browser.get(f"{base_url}/")
    _shot(browser, "landing-1280.png")
    assert leaving_loopback(requests_made(browser)) == []
    assert console_errors(browser) == []


def _covered(browser: Any) -> list[str]:
    """Top controls (search box, layer control, account…) that overlap a banner."""
    return browser.execute_script(
        "var banners = [document.getElementById('sw-stale'),"
        "               document.querySelector('.sw-banner')].filter(Boolean)"
        "  .map(function (e) { return e.getBoundingClientRect(); });"
        "var els = Array.prototype.slice.call(document.querySelectorAll("
        "  '.leaflet-top .leaflet-control, nav.akun, .leaflet-control-search input'));"
        "var out = [];"
        "els.forEach(function (e) { var r = e.getBoundingClientRect();"
        "  if (!r.width) { return; }"
        "  banners.forEach(function (b) {"
        "    if (r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom)"
        "      { out.push(e.className || e.tagName); } }); });"
        "return out;")


def test_phone_390(browser, base_url: str, served: Path, budget: float) -> None:
    from api.services.freshness import banner

    _size(browser, PHONE)
    browser.get(f"{base_url}/maps/readiness")
    wait_for(browser, ".sw-legend details")
    assert browser.find_element("css selector", ".sw-legend details").get_attribute(
        "open") is None
    search = _rect(browser, ".leaflet-control-search input")
    synthetic = _rect(browser, ".sw-banner")
    assert search and synthetic
    assert _rects_disjoint([search, synthetic])
    assert _covered(browser) == []
    _shot(browser, "readiness-390.png")
    # the freshness banner, as the server puts it after <body> (its poll script left out)
    html = re.sub(r"<script>.*</script>", "", str(banner("v")), flags=re.S)
    browser.execute_script("document.body.insertAdjacentHTML('afterbegin', arguments[0]);"
                           "window.dispatchEvent(new Event('resize'));", html)
    time.sleep(0.3)
    stale = _rect(browser, "#sw-stale")
    search = _rect(browser, ".leaflet-control-search input")
    synthetic = _rect(browser, ".sw-banner")
    assert stale and search and synthetic
    assert _rects_disjoint([stale, search]) and _rects_disjoint([stale, synthetic])
    assert _covered(browser) == []
    _shot(browser, "readiness-390-stale.png")

    browser.get(f"{base_url}/maps/priorities?budget={budget:.0f}")
    wait_for(browser, ".sw-panel details")
    for css in (".sw-panel details", ".sw-legend details"):
        assert browser.find_element("css selector", css).get_attribute("open") is None, css
    assert _covered(browser) == []
    _shot(browser, "priorities-390.png")

    browser.get(f"{base_url}/")
    wait_for(browser, "table.stack")
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")
    assert browser.execute_script("return document.body.scrollWidth <= window.innerWidth")
    browser.execute_script("document.querySelector('table.stack').scrollIntoView();")
    _shot(browser, "landing-390.png")
    assert leaving_loopback(requests_made(browser)) == []
    assert console_errors(browser) == []
