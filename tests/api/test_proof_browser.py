"""The proof of issue 12 in Chromium, with the real login (no dependency override).

On a private copy of the served demo workspace: a PU editor logs in through ``/masuk``,
uploads a road survey keyed by ``ruas_id`` through ``/kontribusi``, sees the preview
(counts, old → new), confirms it; the page says "sedang menghitung ulang…" until the
server's worker has recomputed; the destination that road serves scores lower on the API
and on the map; the change is on ``/riwayat``. The editor logs out, the Bappeda admin logs
in and rolls the change back from ``/riwayat``; after the recompute the score is the
original one again. The console stays clean and every request stays on 127.0.0.1.

The section is chosen, and the direction of the change worked out, independently of the
contribution code: the stored priorities name the one destination whose time an upgrade
of that section shortens (so its fastest route runs on it) and say the upgrade raises its
score; readiness.toml scores PU time linearly between 30 min (full) and 240 min (zero).
Making every edge of the section ``rusak_berat`` / ``tanah`` slows that route, so a
destination whose time lies strictly inside (30, 240) must score strictly lower.
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo.io.workspace import Workspace
from geo.labels import label
from geo.steps.accounts import add_user
from tests._browser import (
    chromium,
    console_errors,
    leaving_loopback,
    requests_made,
    served_app,
    wait_for,
)
from tests.api._writers import ROOT, agencies, copy_served, csv_bytes

pytestmark = pytest.mark.browser

EDITOR, EDITOR_PW = "budi.pu", "jalan-rusak-2026!"
ADMIN, ADMIN_PW = "sari.bappeda", "kembalikan-2026!"
RECOMPUTE_SECONDS = 300


@pytest.fixture()
def driver(tmp_path: Path) -> Iterator[Any]:
    yield from chromium(tmp_path)


def _pu_time_bounds() -> tuple[float, float]:
    with (ROOT / "data" / "readiness.toml").open("rb") as f:
        ind = tomllib.load(f)["dimensions"]["pu"]["indicators"]["waktu_tempuh"]
    assert ind["column"] == "access_minutes"
    return float(ind["full"]), float(ind["zero"])


def _pick(path: Path) -> tuple[str, str, float]:
    """(ruas_id, destination id, its score): a section on exactly one destination's fastest
    route, not yet rusak_berat/tanah, whose upgrade raises that destination's score, with
    the destination's time strictly inside the linear part of the PU time indicator."""
    ws = Workspace(path)
    prio, scores = ws.read("priorities"), ws.read("scores")
    full, zero = _pu_time_bounds()
    by_name = scores.drop_duplicates("name", keep=False).set_index("name")
    for row in prio.sort_values("score_gain", ascending=False).itertuples():
        if row.destinations_served != 1 or not row.score_gain > 0:
            continue
        if row.condition == "rusak_berat" and row.surface == "tanah":
            continue
        name = str(row.destinations).strip()
        if name not in by_name.index:
            continue
        d = by_name.loc[name]
        if full + 1 < float(d["access_minutes"]) < zero - 1:
            return str(row.ruas_id), str(d["id"]), float(d["score"])
    pytest.fail("the demo has no section on a single destination's route to degrade")


class Browser:
    """The driver, with the console and network logs kept across pages."""

    def __init__(self, driver: Any, base: str):
        self.d, self.base = driver, base
        self.errors: list[dict] = []
        self.urls: list[str] = []

    def drain(self) -> None:
        self.errors += console_errors(self.d)
        self.urls += requests_made(self.d)

    def get(self, path: str) -> None:
        self.d.get(self.base + path)
        self.drain()

    def current(self, path: str) -> None:
        """``path`` as the current version shows it: a page sent from the earlier version
        says so and reloads itself once the current one is built."""
        self.get(path)
        deadline = time.monotonic() + RECOMPUTE_SECONDS
        while self.d.find_elements("css selector", "#sw-stale"):
            assert time.monotonic() < deadline, f"{path}: the earlier version's page stayed"
            time.sleep(0.5)
        self.drain()

    def text(self) -> str:
        return str(self.d.find_element("tag name", "body").text)

    def json(self, path: str) -> Any:
        """``path`` as a script that must read what was just written reads it: with
        ``cache: 'no-store'`` (``Cache-Control: no-cache``), so never an earlier version's
        answer (stale-while-revalidate, api/fastpath.py)."""
        text = self.d.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {cache: 'no-store', credentials: 'same-origin'})"
            ".then(function (r) { return r.text(); }).then(done);", self.base + path)
        self.drain()
        return json.loads(text)

    def login(self, username: str, password: str, next_path: str) -> None:
        self.get(f"/masuk?next={next_path}")
        self.d.find_element("id", "username").send_keys(username)
        self.d.find_element("id", "password").send_keys(password)
        self.d.find_element("css selector", "form[action='/masuk'] button[type=submit]").click()
        wait_for(self.d, "#keluar")
        assert self.d.current_url.startswith(self.base + next_path), self.d.current_url
        self.drain()

    def wait_recomputed(self) -> None:
        """The page shows the banner, then reloads by itself once the scores are current."""
        assert "sedang menghitung ulang" in wait_for(self.d, "#sw-stale").text
        deadline = time.monotonic() + RECOMPUTE_SECONDS
        while time.monotonic() < deadline:
            time.sleep(1)
            if not self.d.find_elements("css selector", "#sw-stale"):
                self.drain()
                return
        pytest.fail("'sedang menghitung ulang…' stayed: the scores were never recomputed")

    def map_score(self, dest: str) -> float:
        self.get("/maps/readiness")
        wait_for(self.d, ".leaflet-container")
        # a map sent from the earlier version says so, and reloads itself once the
        # current one is built
        from selenium.common.exceptions import StaleElementReferenceException

        deadline = time.monotonic() + RECOMPUTE_SECONDS
        while True:
            # a reload may itself bring the earlier version again (the build still runs):
            # only a whole page without the banner ends the wait
            wait_for(self.d, ".leaflet-container")
            done = self.d.execute_script("return document.readyState") == "complete"
            banners = self.d.find_elements("css selector", "#sw-stale")
            if done and not banners:
                break
            if banners:  # none: the page is still loading
                try:
                    text = banners[0].text
                except StaleElementReferenceException:  # the page reloaded itself meanwhile
                    text = ""
                assert not text or "versi data sebelumnya" in text, text
            assert time.monotonic() < deadline, "the earlier version's map never reloaded"
            time.sleep(0.5)
        value = self.d.execute_script(
            "var id = document.querySelector('.folium-map').id, hit = null, want = arguments[0];"
            "window[id].eachLayer(function (l) {"
            "  if (l.feature && l.feature.properties.id === want) {"
            "    hit = l.feature.properties.score; } });"
            "return hit;", dest)
        assert value is not None, f"{dest} is not on the readiness map"
        self.drain()
        return float(value)


def test_pu_upload_then_admin_rollback_in_chromium(served: Path, tmp_path: Path,
                                                   driver: Any) -> None:
    path = copy_served(served, tmp_path)
    ruas, dest, score0 = _pick(path)
    dims, admin_agency = agencies()
    for name, agency, role, pw in ((EDITOR, "pu", "editor", EDITOR_PW),
                                   (ADMIN, admin_agency, "admin", ADMIN_PW)):
        add_user(Workspace(path), name, agency, role, pw, admin_agency=admin_agency,
                 agencies=[*dims, admin_agency])
    survey = tmp_path / "survei jalan PU.csv"
    survey.write_bytes(csv_bytes([{"ruas_id": ruas, "kondisi": "rusak berat",
                                   "permukaan": "tanah"}]))

    with served_app(path) as base:
        b = Browser(driver, base)
        map0 = b.map_score(dest)
        assert map0 == pytest.approx(score0, abs=0.051)  # the map rounds to 0.1
        assert b.json(f"/api/destinations/{dest}")["score"] == pytest.approx(score0)

        # 1. the PU editor logs in through the form
        b.login(EDITOR, EDITOR_PW, "/kontribusi")
        assert f"{EDITOR} (pu, editor)" in b.text()

        # 2. uploads the survey and sees the preview
        from selenium.webdriver.support.ui import Select

        Select(b.d.find_element("id", "kind")).select_by_value("road-conditions")
        b.d.find_element("id", "file").send_keys(str(survey))
        b.d.find_element("css selector",
                         "form[action='/kontribusi/unggah'] button[type=submit]").click()
        wait_for(b.d, "form[action='/kontribusi/terapkan']")
        b.drain()
        page = b.text()
        assert "Pratinjau: survei jalan PU.csv" in page
        assert "0 baris baru · 1 berubah · 0 tidak berubah" in page
        new = {td.text for td in b.d.find_elements("css selector", "td.new")}
        assert "rusak_berat" in new and "tanah" in new
        old = {td.text for td in b.d.find_elements("css selector", "td.old")}
        assert old - {"rusak_berat", "tanah"}, old  # the values the survey replaces
        assert Workspace(path).read_table("versions")["version"].max() == 1  # nothing yet

        # 3. confirms: "sedang menghitung ulang…", then the new result
        b.d.find_element("css selector",
                         "form[action='/kontribusi/terapkan'] button[type=submit]").click()
        wait_for(b.d, ".banner.ok")
        assert "tersimpan" in b.text()
        b.drain()
        b.wait_recomputed()
        score1 = b.json(f"/api/destinations/{dest}")["score"]
        assert score1 < score0 - 1e-6, (ruas, dest, score0, score1)
        map1 = b.map_score(dest)
        assert map1 == pytest.approx(score1, abs=0.051) and map1 < map0

        # 4. the change is on /riwayat
        versions = Workspace(path).read_table("versions").sort_values("version")
        upload = versions[versions["kind"] == "upload"].iloc[-1]
        assert (upload["username"], upload["agency"]) == (EDITOR, "pu")
        before = int(versions["version"][versions["version"] < upload["version"]].max())
        b.get("/riwayat")
        page = b.text()
        assert "survei jalan PU.csv" in page and EDITOR in page and ruas not in ("",)
        rows = [r.text for r in b.d.find_elements("css selector", "tr")
                if r.text.startswith(f"{int(upload['version'])} ")]
        # the page names the agency as readiness.toml does and the kind in words, not
        # by the codes it stores
        with (ROOT / "data" / "readiness.toml").open("rb") as f:
            pu_name = tomllib.load(f)["dimensions"]["pu"]["agency"]
        assert any(f"{EDITOR} {pu_name} {label('change', 'upload')}" in r for r in rows), rows
        assert "Kembalikan ke versi" not in page  # not for an editor

        # 5. logs out; the admin logs in and rolls back to the version before the upload
        b.d.find_element("css selector", "#keluar button").click()
        wait_for(b.d, "form[action='/masuk']")
        assert "Anda sudah keluar" in b.text()
        b.login(ADMIN, ADMIN_PW, "/riwayat")
        b.d.find_element("css selector", "form[action='/riwayat/kembalikan'] "
                         f"input[name=version][value='{before}'] ~ button").click()
        wait_for(b.d, ".banner.ok")
        assert "pengembalian" in b.text()
        b.drain()
        b.wait_recomputed()
        score2 = b.json(f"/api/destinations/{dest}")["score"]
        assert score2 == pytest.approx(score0, abs=1e-9)
        assert b.map_score(dest) == pytest.approx(map0)
        kinds = Workspace(path).read_table("versions").sort_values("version")["kind"].tolist()
        assert "rollback" in kinds[kinds.index("upload"):]
        b.drain()

    assert b.errors == []
    assert leaving_loopback(b.urls) == []
    assert any(u.startswith(base + "/kontribusi/terapkan") for u in b.urls)
