"""History and "always current" (issue 12): /api/changes and /riwayat, the append-only log,
the admin's rollback form, and the background recompute with its banner.

The recompute tests run the real step (score, then priorities) on a thread of the test
process: a change shows "sedang menghitung ulang…" on the pages and maps, and once the
worker is done the banner is gone and the destination's new score is served.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from api.services.writes import RECOMPUTE_JOB
from geo.io.workspace import Workspace
from geo.steps.contribute import import_recorded, recompute
from tests.api._writers import (
    ADMIN,
    Acting,
    copy_served,
    csv_bytes,
    current,
    editor,
    last_version,
    wait_for,
    writer_client,
)

BANNER = "sedang menghitung ulang"
DEST = "DST-001"


@pytest.fixture()
def ws_path(served: Path, tmp_path: Path) -> Path:
    return copy_served(served, tmp_path)


GATE = threading.Event()


def gated_recompute(ws: Workspace) -> None:
    """The real recompute, started once the test has looked at the stale pages."""
    assert GATE.wait(120)
    recompute(ws)


def _score(path: Path, id: str) -> float:
    scores = Workspace(path).read_table("scores").set_index("id")
    return float(scores.loc[id, "score"])


def test_changes_are_filtered_and_the_log_has_no_write_endpoint(ws_path: Path) -> None:
    acting = Acting(editor("pariwisata"))
    with writer_client(ws_path, acting) as (client, _):
        assert client.patch(f"/api/destinations/{DEST}",
                            json={"fasilitas": "toilet"}).status_code == 200
        acting.user = editor("kominfo")
        assert client.patch(f"/api/destinations/{DEST}", json={"sinyal": "4g"}).status_code == 200
        everything = client.get("/api/changes").json()["changes"]
        assert [c["version"] for c in everything] == sorted(
            (c["version"] for c in everything), reverse=True)  # newest first
        mine = client.get("/api/changes", params={"agency": "kominfo"}).json()["changes"]
        assert mine and {c["agency"] for c in mine} == {"kominfo"}
        assert {(c["field"], c["new"]) for c in mine} >= {("sinyal", "4g")}
        assert len(client.get("/api/changes", params={"limit": 1}).json()["changes"]) == 1
        assert client.get("/api/changes", params={"since": "2999-01-01"}).json()["changes"] == []
        assert client.get("/api/changes", params={"since": "kemarin"}).status_code == 422

        # the page says who and where in words: the agency's name from readiness.toml,
        # the layer's from geo.labels; the filter still sends the key
        import tomllib

        from geo.labels import label
        from tests._paths import PROJECT_ROOT

        names = {k: d["agency"] for k, d in tomllib.loads(
            (PROJECT_ROOT / "data" / "readiness.toml").read_text())["dimensions"].items()}
        page = client.get("/riwayat", params={"agency": "kominfo"}).text
        assert f'<option value="kominfo" selected>{names["kominfo"]}</option>' in page
        assert f'<td>{names["kominfo"]}</td>' in page
        assert f'<td>{label("layer", "destinations")}</td>' in page
        assert f'<td>{label("change", "edit")}</td>' in page  # the PATCH: an edit
        assert "<td>kominfo</td>" not in page and "<td>destinations</td>" not in page
        assert "<td>edit</td>" not in page
        # append-only: nothing edits or deletes the log
        for method in ("PUT", "PATCH", "DELETE", "POST"):
            assert client.request(method, "/api/changes").status_code == 405
            assert client.request(method, "/riwayat").status_code == 405
        spec = client.get("/openapi.json").json()["paths"]
        assert set(spec["/api/changes"]) == {"get"} and set(spec["/riwayat"]) == {"get"}


def test_rollback_form_of_the_admin(ws_path: Path) -> None:
    acting = Acting(editor("pariwisata"))
    before = Workspace(ws_path).read_table("destinations").set_index("id").loc[DEST, "fasilitas"]
    with writer_client(ws_path, acting) as (client, _):
        v0 = last_version(ws_path)
        assert client.patch(f"/api/destinations/{DEST}",
                            json={"fasilitas": "toilet; gazebo"}).status_code == 200
        assert client.post("/riwayat/kembalikan", data={"version": str(v0)}).status_code == 403
        acting.user = ADMIN
        r = client.post("/riwayat/kembalikan", data={"version": str(v0)})
        assert r.status_code == 303, r.text[:300]
        assert r.headers["location"].startswith("/riwayat?dikembalikan=")
        page = client.get(r.headers["location"]).text
        assert "pengembalian" in page and "bappeda-admin" in page
        r = client.post("/riwayat/kembalikan", data={"version": "99999"})
        assert r.status_code == 422 and "99999" in r.text
    after = Workspace(ws_path).read_table("destinations").set_index("id").loc[DEST, "fasilitas"]
    assert (pd.isna(after) and pd.isna(before)) or after == before


def test_stale_banner_then_the_new_score(ws_path: Path) -> None:
    """Proof 3 of the issue: change data, see 'sedang menghitung ulang…', then the new
    score, on the pages and the maps."""
    acting = Acting(editor("pariwisata"))
    score0 = _score(ws_path, DEST)
    GATE.clear()
    with writer_client(ws_path, acting, job=(__name__, "gated_recompute")) as (client, writes):
        assert BANNER not in client.get("/").text
        status = client.get("/api/status").json()
        assert status["stale"] is False and status["recomputing"] is False
        r = client.patch(f"/api/destinations/{DEST}", json={
            "fasilitas": "toilet; mushola; gazebo; parkir; warung; pusat informasi",
            "pengelola": "pokdarwis"})
        assert r.status_code == 200 and r.json()["n_changes"] > 0
        # until the worker has scored the new version, every page says so
        status = client.get("/api/status").json()
        assert status["stale"] and status["scores_stale"] and status["recomputing"], status
        for url in ("/", "/maps/readiness", "/maps/priorities", "/kontribusi", "/riwayat"):
            page = client.get(url)
            assert BANNER in page.text, url
            assert "/api/status" in page.text, url  # it polls, then reloads
        assert score0 == _score(ws_path, DEST)
        GATE.set()
        assert writes.recomputer.wait_idle(300)
        status = client.get("/api/status").json()
        assert status["stale"] is False and status["last_error"] is None, status
        assert status["last_seconds"] is not None
        for url in ("/", "/maps/readiness", "/maps/priorities"):
            assert BANNER not in current(client, url).text, url
        detail = current(client, f"/api/destinations/{DEST}").json()
        # the recomputation is a version that changed no value: shown by its summary, never
        # as a row of empty cells ("None")
        changes = client.get("/api/changes").json()["changes"]
        assert any(c["field"] is None for c in changes), changes[:3]
        page = client.get("/riwayat").text
        assert ">None<" not in page
    score1 = _score(ws_path, DEST)
    assert score1 > score0  # more facilities and a manager: readier
    assert detail["score"] == pytest.approx(score1)
    history = Workspace(ws_path).read_table("scores_history")
    newest = history[history["version"] == last_version(ws_path)].set_index("id")
    assert float(newest.loc[DEST, "score"]) == pytest.approx(score1)  # kept per version


def test_a_cli_import_is_recomputed_by_the_server(ws_path: Path, tmp_path: Path) -> None:
    """``siapwisata import`` marks the scores stale; the server notices and recomputes."""
    d = Workspace(ws_path).read("destinations").set_index("id").loc[DEST]
    file = tmp_path / "destinasi.csv"
    file.write_bytes(csv_bytes([{"id": DEST, "nama": d["name"], "kategori": d["category"],
                                 "lintang": d.geometry.y, "bujur": d.geometry.x,
                                 "fasilitas": "toilet; gazebo; parkir; warung"}]))
    with writer_client(ws_path, Acting(None), job=RECOMPUTE_JOB) as (client, writes):
        import_recorded("destinations", file, Workspace(ws_path))
        assert BANNER in client.get("/maps/readiness").text
        status = client.get("/api/status").json()
        assert status["scores_stale"] is True and status["recomputing"] is True
        assert wait_for(lambda: not client.get("/api/status").json()["stale"], 300)
        assert writes.recomputer.wait_idle(300)
        assert BANNER not in current(client, "/maps/readiness").text
