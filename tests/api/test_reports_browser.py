"""The destination page and the rapor OPD in Chromium (issue 13).

- ``/destinasi/{id}``: the small Leaflet map (served from this server) draws the 15/30-minute
  reach the API returns, the trend is drawn, the console stays clean and every request
  stays on 127.0.0.1.
- ``/rapor`` printed by Chromium (DevTools ``Page.printToPDF`` with the page's own CSS page
  size): one summary page, then exactly one A4 landscape page per agency of readiness.toml,
  each holding that agency's heading and no other's; no navigation or form on paper.
  Pages are counted and measured with pypdf.
"""

from __future__ import annotations

import base64
import io
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyogrio
import pytest

from tests._browser import (
    chromium,
    console_errors,
    leaving_loopback,
    requests_made,
    served_app,
    wait_for,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
A4_LANDSCAPE_PT = (297 / 25.4 * 72, 210 / 25.4 * 72)


@pytest.fixture()
def driver(tmp_path: Path) -> Iterator[Any]:
    yield from chromium(tmp_path)


def dimensions() -> dict[str, dict[str, Any]]:
    with (ROOT / "data" / "readiness.toml").open("rb") as f:
        return dict(tomllib.load(f)["dimensions"])


def print_pdf(driver: Any) -> Any:
    """The page printed by Chromium, as a pypdf reader."""
    import pypdf

    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                     "printBackground": True})
    return pypdf.PdfReader(io.BytesIO(base64.b64decode(pdf["data"])))


def check_rapor_print(driver: Any) -> list[str]:
    """Print the open rapor; check one summary page and one A4 landscape page per agency.
    Returns each page's text."""
    dims = dimensions()
    reader = print_pdf(driver)
    texts = [p.extract_text() for p in reader.pages]
    assert len(reader.pages) == 1 + len(dims), [t[:60] for t in texts]
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A4_LANDSCAPE_PT[0], abs=1.0)
        assert float(page.mediabox.height) == pytest.approx(A4_LANDSCAPE_PT[1], abs=1.0)
    heads = {k: f"{d['agency']} ({d['short']})" for k, d in dims.items()}
    assert not any(h in texts[0] for h in heads.values())
    assert "Rapor OPD per" in texts[0]
    for text, key in zip(texts[1:], dims, strict=True):
        assert heads[key] in text, (key, text[:80])
        assert [k for k, h in heads.items() if h in text] == [key]
    for text in texts:
        for word in ("Tampilkan", "Beranda", "Kontribusi", "Masuk", "Keluar"):
            assert word not in text, word
    return texts


def test_destination_page_draws_its_reach_and_trend(served: Path, driver: Any) -> None:
    s = pyogrio.read_dataframe(served, layer="scores", read_geometry=False)
    s = s[s["access_minutes"].notna()].sort_values("id")
    id = str(s["id"].iloc[0])
    with served_app(served) as base:
        driver.get(f"{base}/api/destinations/{quote(id)}/reach")
        reach = json.loads(driver.find_element("tag name", "body").text)
        assert reach["features"], "a reachable destination reaches some road"
        driver.get(f"{base}/destinasi/{quote(id)}")
        el = wait_for(driver, "#peta-destinasi[data-reach]")
        assert int(el.get_attribute("data-reach")) == len(reach["features"])
        drawn = driver.execute_script(
            "return document.querySelectorAll('#peta-destinasi .leaflet-overlay-pane path')"
            ".length")
        assert drawn == len(reach["features"]) + 1  # the reach lines and the marker
        assert driver.find_element("css selector", "svg.tren circle.titik").is_displayed()
        status = driver.find_element("id", "peta-status").text
        assert "terjangkau" in status and "tidak dapat dimuat" not in status
        assert console_errors(driver) == []
        urls = requests_made(driver)
        assert any(u.endswith("/static/npm/leaflet/dist/leaflet.js") for u in urls)
        assert leaving_loopback(urls) == []


def test_rapor_prints_one_a4_landscape_page_per_agency(served: Path, driver: Any) -> None:
    with served_app(served) as base:
        driver.get(f"{base}/rapor")
        wait_for(driver, "section.opd")
        check_rapor_print(driver)
        assert console_errors(driver) == []
        assert leaving_loopback(requests_made(driver)) == []


def test_rapor_with_many_long_tasks_still_prints_one_page_per_agency(
        served: Path, tmp_path: Path, driver: Any) -> None:
    """Every agency adopts ten tasks with long notes (and a hostile one): the printed
    rapor keeps one page per agency (the lists are cut on paper, whole on screen)."""
    import shutil

    from geo.accounts import User
    from geo.io.workspace import Workspace
    from geo.steps.tasks import adopt_task, list_tasks

    path = tmp_path / "ws.gpkg"
    shutil.copyfile(served, path)
    ws = Workspace(path)
    long_note = ("Menunggu pengesahan DPA perubahan; koordinasi dengan kampung dan "
                 "pokdarwis setempat " * 6 + '<img src=x onerror="alert(1)">')
    adopted: dict[str, int] = {}
    tasks = list_tasks(ws)
    for key in dimensions():
        mine = tasks[tasks["agency"] == key]["task_id"].head(10)
        for i, tid in enumerate(mine):
            adopt_task(ws, tid, {"budget_rp": 1_000_000_000 + i, "target_year": 2027,
                                 "notes": long_note}, user=User(f"{key}-ed", key, "editor"))
        adopted[key] = len(mine)
    assert sum(adopted.values()) >= 40
    with served_app(path) as base:
        driver.get(f"{base}/rapor")
        wait_for(driver, "section.opd")
        for key, n in adopted.items():  # whole on screen
            shown = driver.find_elements("css selector", f"#opd-{key} tr[data-task]")
            assert len(shown) == n
        texts = check_rapor_print(driver)
        assert any("… dan" in t for t in texts[1:])  # cut on paper, and says so
        assert driver.execute_script(
            "return document.querySelectorAll('img[src=\"x\"]').length") == 0
        assert console_errors(driver) == []
