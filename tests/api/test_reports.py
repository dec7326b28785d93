"""``GET /destinasi/{id}`` and ``GET /rapor`` (issue 13) through httpx on the real app.

The pages are read with the standard library's HTML parser and compared with values
computed here from the workspace tables (pyogrio) and readiness.toml: scores and bounds
per agency, actions, the trend's points, the rapor's bottleneck counts, completeness and
last-update dates. Number formats are re-derived here (Indonesian: decimal comma, ``%``),
as are the Indonesian month names.
"""

from __future__ import annotations

import math
import tomllib
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from geo.io.workspace import Workspace
from geo.steps.contribute import recompute
from tests.api._writers import Acting, copy_served, editor, marked_real, writer_client

ROOT = Path(__file__).resolve().parents[2]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def _toml() -> dict:
    with (ROOT / "data" / "readiness.toml").open("rb") as f:
        return tomllib.load(f)


def _read(path: Path, layer: str) -> pd.DataFrame:
    return pyogrio.read_dataframe(path, layer=layer, read_geometry=False)


class _Rows(HTMLParser):
    """Text of the cells of every ``<tr>`` carrying ``data-<attr>``, and the attributes
    of every element with an id."""

    def __init__(self, attr: str) -> None:
        super().__init__()
        self.attr = f"data-{attr}"
        self.rows: dict[str, list[str]] = {}
        self.row_attrs: dict[str, dict[str, str | None]] = {}
        self._key: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get(self.attr) is not None:
            self._key = str(a[self.attr])
            self.rows[self._key] = []
            self.row_attrs[self._key] = a
        elif tag == "td" and self._key is not None:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._key is not None:
            self.rows[self._key].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._key = None


def rows(html: str, attr: str) -> _Rows:
    p = _Rows(attr)
    p.feed(html)
    return p


def id_num(x: float, decimals: int = 0) -> str:
    """Indonesian number: decimal comma (no thousands below 1000 here), rounded half away
    from zero as people round by hand (Python's own rounding is half-even)."""
    q = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{q:.{decimals}f}".replace(".", ",")


def id_date(at: str) -> str:
    t = datetime.fromisoformat(at).astimezone(UTC)
    return f"{t.day} {MONTHS[t.month - 1]} {t.year}"


def section(html: str, id: str) -> str:
    """The markup of ``<section ... id="ID">`` up to its end."""
    start = html.index(f'id="{id}"')
    return html[start:html.index("</section>", start)]


# --- the destination page ------------------------------------------------------------------


def test_landing_page_links_each_destination_to_its_page(client: TestClient,
                                                         served: Path) -> None:
    page = client.get("/").text
    s = _read(served, "scores")
    for id, name in zip(s["id"], s["name"], strict=True):
        assert f'href="/destinasi/{quote(id)}">{escape(name)}</a>' in page, id
    first = s["id"].iloc[0]
    r = client.get(f"/destinasi/{quote(first)}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


def test_destination_page_shows_breakdown_bounds_actions_and_trend(client: TestClient,
                                                                   served: Path) -> None:
    dims = _toml()["dimensions"]
    s = _read(served, "scores")
    hist = _read(served, "scores_history")
    for _, d in s.iterrows():  # every destination of the demo
        r = client.get(f"/destinasi/{quote(d['id'])}")
        assert r.status_code == 200
        html = r.text
        assert f"<h2>{escape(d['name'])} " in html
        assert f"{id_num(d['score'], 1)} <span" in html  # the overall score
        assert f"rentang {id_num(d['score_low'], 1)}–{id_num(d['score_high'], 1)}" in html
        bars = rows(html, "dimensi")
        assert list(bars.rows) == list(dims)  # configuration order
        for key in dims:
            label, _, score, span, weight = bars.rows[key]
            assert label.startswith(dims[key]["short"])
            v, lo, hi = (d[f"score_{key}"], d[f"score_{key}_low"], d[f"score_{key}_high"])
            assert score == ("?" if pd.isna(v) else id_num(v)), (d["id"], key)
            want = "–" if abs(hi - lo) < 0.05 else f"{id_num(lo)}–{id_num(hi)}"
            assert span == want, (d["id"], key)
            assert weight == id_num(dims[key]["weight"], 2)
            assert ("bottleneck" in (bars.row_attrs[key].get("class") or "")) == (
                key == d["bottleneck"])
        actions = section(html, "tindakan")
        for a in [p.strip() for p in str(d["actions"] or "").replace("\n", "; ").split("; ")
                  if p.strip()]:
            assert escape(a, quote=False) in actions or escape(a) in actions, (d["id"], a)
        assert f"/api/destinations/{quote(d['id'], safe='')}/reach" in html
        n = int((hist["id"] == d["id"]).sum())
        assert section(html, "tren").count('class="titik"') == n
        dates = {id_date(at) for at in _read(served, "versions")["at"]}
        assert any(day in section(html, "tren") for day in dates)
    # kept per version: the second visit is the same bytes
    assert client.get(f"/destinasi/{quote(d['id'])}").content == r.content


def test_unknown_destination_is_a_404_page_in_bahasa_indonesia(client: TestClient) -> None:
    r = client.get("/destinasi/" + quote('nope<img src=x onerror="alert(1)">'))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "tidak ditemukan" in r.text
    assert "<img src=x" not in r.text and "&lt;img src=x" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]


# --- the rapor -------------------------------------------------------------------------------


def _completeness(served: Path) -> dict[str, dict[str, float]]:
    """Independent completeness of the columns each agency owns by name (rows / road km)."""
    dims = _toml()["dimensions"]
    dest = _read(served, "destinations")
    roads = _read(served, "roads")
    road = roads[roads["mode"] == "road"]
    length = road["length_m"].to_numpy(float)
    out: dict[str, dict[str, float]] = {}
    for key, d in dims.items():
        for name in d.get("owns", {}).get("columns", []):
            layer, col = name.split(".")
            frame = road if layer == "roads" else dest
            if col not in frame.columns:
                share = 0.0
            else:
                text = frame[col].astype(str).str.strip().str.lower()
                ok = (frame[col].notna() & ~text.isin(["", "unknown"])).to_numpy()
                share = (length[ok].sum() / length.sum() if layer == "roads"
                         else float(ok.mean()))
            out.setdefault(key, {})[name] = share
    return out


def test_rapor_per_agency_figures(client: TestClient, served: Path) -> None:
    r = client.get("/rapor")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    dims = _toml()["dimensions"]
    s = _read(served, "scores")
    positions = [html.index(f'id="opd-{key}"') for key in dims]
    assert positions == sorted(positions)  # configuration order
    filled = _completeness(served)
    for key, d in dims.items():
        part = section(html, f"opd-{key}")
        assert f"<h2>{escape(d['agency'])} " in part
        n = int((s["bottleneck"] == key).sum())
        assert f"<small>Hambatan utama di</small><b>{n}</b>" in part, key
        assert len(rows(part, "id").rows) == n
        for name, share in filled.get(key, {}).items():
            cells = rows(part, "kolom").rows[name]
            assert cells[-1].startswith(f"{id_num(100 * share)}%"), (key, name, cells)
        # the demo records no agency edit
        assert "belum pernah memperbarui data" in part
        assert "Rp 0" in part  # nothing committed yet
    n_versions = _read(served, "scores_history")["version"].nunique()
    assert section(html, "ringkasan").count('class="titik"') == n_versions
    assert "Tidak ada destinasi yang berubah kelas" in html
    assert "@page { size: A4 landscape" in html


def test_rapor_of_synthetic_data_says_so_on_screen_and_on_every_agency_page(
        client: TestClient, served: Path, tmp_path: Path) -> None:
    """The demo's rapor carries the synthetic banner above the summary and, for print, on
    each agency's page (each is handed out alone); the same rapor of data whose every
    row is marked real (provenance, sources and the workspace's flag rewritten) has
    neither."""
    banner = "DATA CONTOH (SINTETIS)"
    html = client.get("/rapor").text
    assert html.index('id="sintetis"') < html.index('id="ringkasan"')
    assert banner in html[html.index('id="sintetis"'):html.index('id="ringkasan"')]
    for key in _toml()["dimensions"]:
        part = section(html, f"opd-{key}")
        assert 'class="synthetic cetak-saja"' in part and banner in part, key

    path = marked_real(served, tmp_path)
    with TestClient(create_app(path)) as real:
        html = real.get("/rapor").text
    assert 'id="ringkasan"' in html
    assert banner not in html  # neither above the summary nor on an agency's page


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30", "kemarin", "2026-1-5",
                                 "31-01-2026", '"><script>alert(1)</script>'])
def test_rapor_refuses_a_bad_date_in_bahasa_indonesia(client: TestClient, bad: str) -> None:
    r = client.get("/rapor", params={"sejak": bad})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "sejak" in r.text
    assert "bukan tanggal yang sah" in r.text and "YYYY-MM-DD" in r.text
    assert "<script>alert" not in r.text
    assert 'id="sejak"' in r.text  # the form to correct it


def test_rapor_and_destination_page_follow_a_kominfo_edit(served: Path, tmp_path: Path) -> None:
    """Kominfo records a destination's promotion and signal: after the recomputation the
    rapor dates Kominfo's update today and lists the destination's class change, and the
    destination page's trend has a second point."""
    path = copy_served(served, tmp_path)
    s = _read(path, "scores")
    weights = {k: d["weight"] for k, d in _toml()["dimensions"].items()}
    classes = _toml()["classes"]

    def klass(x: float) -> str:
        return next((c for c in ("mandiri", "maju", "berkembang") if x >= classes[c]),
                    "rintisan")

    pick = s[[klass(lo + weights["kominfo"] * (100 - k)) != c for lo, k, c in
              zip(s["score_low"], s["score_kominfo_low"], s["class"], strict=True)]]
    id = str(pick["id"].iloc[0])
    acting = Acting(editor("kominfo"))
    with writer_client(path, acting) as (c, _):
        r = c.patch(f"/api/destinations/{quote(id)}", json={
            "promosi_portal": True, "promosi_medsos": True, "papan_petunjuk": True,
            "sinyal": "4g"})
        assert r.status_code == 200, r.text
        recompute(Workspace(path))
        today = datetime.now(UTC).date().isoformat()
        html = c.get("/rapor", params={"sejak": today}).text
        kominfo = section(html, "opd-kominfo")
        assert "<b>0 hari lalu</b>" in kominfo
        at = _read(path, "versions").query("agency == 'kominfo'")["at"].iloc[-1]
        assert id_date(at) in kominfo and "kominfo-editor" in kominfo
        changed = rows(section(html, "ringkasan"), "id").rows
        assert id in changed
        page = c.get(f"/destinasi/{quote(id)}").text
        assert section(page, "tren").count('class="titik"') == 2
        new = _read(path, "scores").set_index("id").loc[id]
        assert f"{id_num(new['score'], 1)} <span" in page
        assert math.isclose(new["score_kominfo"], 100.0)
        assert np.isclose(new["score_low"], pick["score_low"].iloc[0]
                          + weights["kominfo"] * (100 - pick["score_kominfo_low"].iloc[0]))


def test_a_done_task_whose_proof_was_rolled_back_says_so(served: Path, tmp_path: Path) -> None:
    """Kominfo closes a task with its proof; the admin rolls the data back: the rapor, the
    destination page and the task page say the proof no longer stands."""
    from tests.api._writers import ADMIN, current

    path = copy_served(served, tmp_path)
    start = int(_read(path, "versions")["version"].max())
    tasks = pyogrio.read_dataframe(path, layer="scores", columns=["id", "tasks"],
                                   read_geometry=False)
    dest = _read(path, "destinations").set_index("id")
    id = next(str(i) for i in tasks["id"] if not dest.loc[i, "promosi_portal"])
    tid = f"{id}:kominfo:portal"
    acting = Acting(editor("kominfo"))
    with writer_client(path, acting) as (c, _):
        assert c.post(f"/api/tasks/{quote(tid)}", json={}).status_code == 200
        r = c.patch(f"/api/tasks/{quote(tid)}", json={
            "status": "selesai", "proof_values": {"promosi_portal": "ya"}})
        assert r.status_code == 200, r.text
        assert r.json()["task"]["proof_holds"] is True
        acting.user = ADMIN
        r = c.post("/api/rollback", json={"version": start})
        assert r.status_code == 200, r.text
        row = c.get("/api/tasks", params={"agency": "kominfo", "status": "selesai"}).json()
        assert [(t["task_id"], t["proof_holds"]) for t in row["rows"]] == [(tid, False)]
        for url in ("/rapor", f"/destinasi/{quote(id)}"):
            assert "selesai, tetapi bukti sudah dibatalkan" in current(c, url).text, url
        assert "bukti sudah dibatalkan" in current(c, f"/rencana/tugas/{quote(tid)}").text
