"""Contributions through the API and the browser forms (issue 12): upload → preview →
apply, one-record edits, the writer queue and the background recompute.

Every test works on its own copy of the scored demo workspace; the acting user is set by
overriding ``api.auth.current_user``. Expected values are read from the workspace before
the change and worked out by hand (which edges a ruas holds, which values a file sets),
never from the answer under test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi import Request
from fastapi.testclient import TestClient

import api.auth
from api.main import create_app
from api.services.writes import Recomputer, WriteQueue
from geo.exceptions import InputError
from geo.io import road_sections, ruas_rows
from geo.io.history import feature_ids
from geo.io.workspace import Workspace
from geo.steps.imports import import_file
from tests.api._writers import (
    ADMIN,
    Acting,
    copy_served,
    csv_bytes,
    data_version,
    editor,
    last_version,
    marked_real,
    writer_app,
    writer_client,
)

RUAS = "R00264"  # Jalan Bandara Kokonau (kabupaten) in the demo
DEST = "DST-001"


@pytest.fixture()
def ws_path(served: Path, tmp_path: Path) -> Path:
    return copy_served(served, tmp_path)


def _section(path: Path, ruas: str = RUAS) -> np.ndarray:
    roads = Workspace(path).read_table("roads")
    rows = ruas_rows(ruas, road_sections(roads))
    assert rows is not None and rows.size
    return rows


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the whole flow: PU uploads a road survey, admin rolls it back ----------------------


def test_upload_preview_apply_history_rollback(ws_path: Path) -> None:
    acting = Acting(editor("pu"))
    roads0 = Workspace(ws_path).read_table("roads")
    rows = _section(ws_path)
    fids = feature_ids("roads", roads0).to_numpy()[rows]
    # by hand: every edge of the section becomes tanah / rusak_berat; those already so
    # are unchanged
    want = {(str(f), "condition", str(c)) for f, c in zip(fids, roads0["condition"].iloc[rows],
                                                          strict=True) if c != "rusak_berat"}
    want |= {(str(f), "surface", str(s)) for f, s in zip(fids, roads0["surface"].iloc[rows],
                                                         strict=True) if s != "tanah"}
    assert want, "the section must change for this test to mean anything"
    body = csv_bytes([{"ruas_id": RUAS, "kondisi": "rusak berat", "permukaan": "tanah"}])
    before = _sha(ws_path)
    with writer_client(ws_path, acting) as (client, writes):
        r = client.post("/api/uploads", data={"kind": "road-conditions"},
                        files={"file": ("jalan rusak.csv", body, "text/csv")})
        assert r.status_code == 200, r.text
        p = r.json()
        assert _sha(ws_path) == before  # a preview writes nothing
        assert (p["new"], p["changed"], p["unchanged"]) == (0, 1, 0)
        assert p["problems"] == [] and p["scope_error"] is None and p["token"]
        assert p["sha256"] == hashlib.sha256(body).hexdigest()
        got = {(d["feature_id"], d["field"], d["old"]) for d in p["diffs"]
               if d["field"] in ("condition", "surface")}
        assert got == want
        assert {d["new"] for d in p["diffs"] if d["field"] == "condition"} == {"rusak_berat"}

        v0 = data_version(ws_path)
        r = client.post(f"/api/uploads/{p['token']}/apply")
        assert r.status_code == 200, r.text
        applied = r.json()
        assert applied["version"] > v0 and applied["n_changes"] == p["n_diffs"]
        roads1 = Workspace(ws_path).read_table("roads")
        assert (roads1["condition"].iloc[rows] == "rusak_berat").all()
        assert (roads1["surface"].iloc[rows] == "tanah").all()
        others = np.setdiff1d(np.arange(len(roads0)), rows)
        for col in ("condition", "surface", "authority"):
            assert roads1[col].iloc[others].equals(roads0[col].iloc[others]), col
        # the token is spent
        assert client.post(f"/api/uploads/{p['token']}/apply").status_code == 404

        r = client.get("/api/changes", params={"agency": "pu"})
        assert r.status_code == 200
        mine = [c for c in r.json()["changes"] if c["version"] == applied["version"]]
        assert {(c["feature_id"], c["field"], c["old"]) for c in mine
                if c["field"] in ("condition", "surface")} == want
        assert {(c["username"], c["agency"], c["kind"], c["source_file"], c["source_sha256"])
                for c in mine} == {("pu-editor", "pu", "upload", "jalan rusak.csv",
                                    hashlib.sha256(body).hexdigest())}
        page = client.get("/riwayat").text
        assert "jalan rusak.csv" in page and "pu-editor" in page
        assert "Kembalikan ke versi" not in page  # an editor sees no rollback button

        # rollback: refused to the editor, done by the admin as a new version
        r = client.post("/api/rollback", json={"version": v0})
        assert r.status_code == 403, r.text
        acting.user = ADMIN
        assert "Kembalikan ke versi" in client.get("/riwayat").text
        r = client.post("/api/rollback", json={"version": v0})
        assert r.status_code == 200, r.text
        assert r.json()["version"] > applied["version"]
        roads2 = Workspace(ws_path).read_table("roads")
        for col in ("condition", "surface", "authority"):
            assert roads2[col].equals(roads0[col]), col
        kinds = {c["kind"] for c in client.get("/api/changes").json()["changes"]
                 if c["version"] == r.json()["version"]}
        assert kinds == {"rollback"}
        writes.recomputer.wait_idle(60)


def test_preview_reports_the_problems_the_cli_reports(ws_path: Path, tmp_path: Path) -> None:
    rows = [{"ruas_id": "R99999", "kondisi": "baik", "permukaan": "aspal"},
            {"ruas_id": RUAS, "kondisi": "hancur", "permukaan": "aspal"},
            {"ruas_id": "", "kondisi": "baik", "permukaan": "batu bulan"}]
    body = csv_bytes(rows)
    cli_file = tmp_path / "jalan-salah.csv"
    cli_file.write_bytes(body)
    cli_ws = copy_served(ws_path, tmp_path, "cli.gpkg")
    with pytest.raises(InputError) as err:
        import_file("road-conditions", cli_file, Workspace(cli_ws))
    expected = [str(dataclasses.replace(p, file="jalan-salah.csv")) for p in err.value.problems]
    assert len(expected) >= 3
    before = _sha(ws_path)
    with writer_client(ws_path, Acting(editor("pu"))) as (client, _):
        r = client.post("/api/uploads", data={"kind": "road-conditions"},
                        files={"file": ("jalan-salah.csv", body, "text/csv")})
        assert r.status_code == 200, r.text
        assert r.json()["problems"] == expected
        assert r.json()["token"] is None
        page = client.post("/kontribusi/unggah", data={"kind": "road-conditions"},
                           files={"file": ("jalan-salah.csv", body, "text/csv")})
        assert page.status_code == 200
        assert "tidak ada yang disimpan" in page.text and "Terapkan" not in page.text
    assert _sha(ws_path) == before
    assert str(tmp_path) not in r.text  # the server's folders are never shown


def test_a_token_is_refused_once_the_data_changed(ws_path: Path) -> None:
    acting = Acting(editor("pu"))
    body = csv_bytes([{"ruas_id": RUAS, "kondisi": "rusak ringan", "permukaan": "kerikil"}])
    with writer_client(ws_path, acting) as (client, _):
        token = client.post("/api/uploads", data={"kind": "road-conditions"},
                            files={"file": ("a.csv", body, "text/csv")}).json()["token"]
        assert token
        # another change lands between the preview and its confirmation
        r = client.patch("/api/roads/R00107", json={"condition": "rusak_berat"})
        assert r.status_code == 200, r.text
        v = data_version(ws_path)
        r = client.post(f"/api/uploads/{token}/apply")
        assert r.status_code == 409, r.text
        assert "pratinjau" in r.json()["detail"]
        assert data_version(ws_path) == v


def test_a_token_is_its_uploaders_alone(ws_path: Path) -> None:
    acting = Acting(editor("pu"))
    body = csv_bytes([{"ruas_id": RUAS, "kondisi": "baik", "permukaan": "aspal"}])
    with writer_client(ws_path, acting) as (client, _):
        token = client.post("/api/uploads", data={"kind": "road-conditions"},
                            files={"file": ("a.csv", body, "text/csv")}).json()["token"]
        acting.user = dataclasses.replace(editor("pu"), username="pu-lain")
        assert client.post(f"/api/uploads/{token}/apply").status_code == 404
        acting.user = editor("pu")
        assert client.post("/api/uploads/../../etc/apply").status_code in (404, 405)
        assert client.post(f"/api/uploads/{token}/apply").status_code == 200


@pytest.mark.parametrize(("kind", "name", "body", "field"), [
    ("jalan", "a.csv", b"ruas_id\nR00001\n", "kind"),
    ("road-conditions", "a.exe", b"MZ", "file"),
    ("road-conditions", "a.csv", b"", "file"),
])
def test_bad_uploads_are_422(ws_path: Path, kind: str, name: str, body: bytes,
                             field: str) -> None:
    with writer_client(ws_path, Acting(editor("pu"))) as (client, _):
        r = client.post("/api/uploads", data={"kind": kind},
                        files={"file": (name, body, "text/csv")})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field


# --- the browser forms -------------------------------------------------------------------


def test_destination_upload_preview_page_warns_and_maps_new_points(ws_path: Path) -> None:
    ws = Workspace(ws_path)
    dest = ws.read("destinations")
    admin = ws.read("admin_areas")
    anchor = dest[dest["id"] == DEST].iloc[0]
    wrong = next(n for n in admin.loc[admin["level"] == "distrik", "nama"]
                 if n != anchor["distrik"])
    rows = [
        {"id": DEST, "nama": anchor["name"], "kategori": anchor["category"],
         "lintang": anchor.geometry.y, "bujur": anchor.geometry.x,
         "fasilitas": "toilet; gazebo; parkir", "fasilitass": "x", "distrik": anchor["distrik"]},
        {"id": "DST-BARU", "nama": "Air Terjun Baru", "kategori": "alam",
         "lintang": anchor.geometry.y + 0.01, "bujur": anchor.geometry.x + 0.01,
         "fasilitas": "toilet", "fasilitass": "", "distrik": wrong},
    ]
    with writer_client(ws_path, Acting(editor("pariwisata"))) as (client, _):
        r = client.post("/kontribusi/unggah", data={"kind": "destinations"},
                        files={"file": ("destinasi.csv", csv_bytes(rows), "text/csv")})
        assert r.status_code == 200, r.text
        page = r.text
        assert "fasilitass" in page and "&#39;fasilitas&#39;" in page  # nearest header
        assert f"distrik {wrong}" in page or wrong in page
        assert "Titik baru" in page and "DST-BARU" in page and 'id="preview-map"' in page
        assert "/static/npm/leaflet/dist/leaflet.js" in page
        assert "toilet; gazebo; parkir" in page  # the old → new table
        token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
        r = client.post("/kontribusi/terapkan", data={"token": token})
        assert r.status_code == 303, r.text
        assert r.headers["location"].startswith("/kontribusi?tersimpan=")
        assert "tersimpan" in client.get(r.headers["location"]).text
    after = Workspace(ws_path).read("destinations")
    assert "DST-BARU" in set(after["id"])
    assert after.loc[after["id"] == DEST, "fasilitas"].iloc[0] == "toilet; gazebo; parkir"


def test_forms_edit_a_destination_a_road_and_a_umkm(ws_path: Path) -> None:
    acting = Acting(editor("pariwisata"))
    rows = _section(ws_path)
    umkm0 = Workspace(ws_path).read("umkm")
    with writer_client(ws_path, acting) as (client, _):
        form = client.get(f"/kontribusi/destinasi?id={DEST}")
        assert form.status_code == 200 and 'name="fasilitas"' in form.text
        assert 'name="sinyal"' not in form.text  # kominfo's column: shown read-only
        r = client.post(f"/kontribusi/destinasi?id={DEST}",
                        data={"fasilitas": "toilet; mushola", "pengelola": "Pokdarwis Landun"})
        assert r.status_code == 303, r.text
        v = client.get("/api/changes", params={"agency": "pariwisata"}).json()["changes"]
        assert {c["field"] for c in v if c["kind"] == "edit"} >= {"fasilitas", "pengelola"}

        acting.user = editor("pu")
        assert RUAS in client.get("/kontribusi/jalan", params={"ruas_id": RUAS}).text
        r = client.post("/kontribusi/jalan", data={"ruas_id": RUAS, "condition": "baik",
                                                   "surface": ""})
        assert r.status_code == 303, r.text
        r = client.get("/kontribusi/jalan", params={"ruas_id": "R99999"})
        assert r.status_code == 404 and "R99999" in r.text

        acting.user = editor("umkm")
        one = umkm0[umkm0["location_precision"] == "exact"].iloc[0]
        x, y = one.geometry.x + 0.003, one.geometry.y + 0.002
        r = client.post("/kontribusi/umkm", data={"name": "Warung Mama Yo", "type": "kuliner",
                                                  "lon": f"{x:.6f}", "lat": f"{y:.6f}"})
        assert r.status_code == 303, r.text
        r = client.post("/kontribusi/umkm", data={"id": one["id"], "name": one["name"],
                                                  "type": one["type"], "lon": f"{x:.6f}",
                                                  "lat": f"{y:.6f}"})
        assert r.status_code == 303, r.text
    ws = Workspace(ws_path)
    dest = ws.read("destinations").set_index("id")
    assert dest.loc[DEST, "fasilitas"] == "toilet; mushola"
    assert dest.loc[DEST, "pengelola"] == "pokdarwis"  # a manager kind, read as a file's is
    assert (ws.read_table("roads")["condition"].iloc[rows] == "baik").all()
    umkm = ws.read("umkm").set_index("id")
    assert len(umkm) == len(umkm0) + 1
    added = umkm[umkm["name"] == "Warung Mama Yo"]
    assert len(added) == 1 and added.iloc[0]["type"] == "kuliner"
    assert added.iloc[0].geometry.distance(umkm.loc[one["id"]].geometry) < 1e-6  # moved there
    assert abs(umkm.loc[one["id"]].geometry.x - x) < 1e-6


def test_json_edits(ws_path: Path) -> None:
    acting = Acting(editor("kominfo"))
    with writer_client(ws_path, acting) as (client, _):
        r = client.patch(f"/api/destinations/{DEST}", json={"sinyal": "4g"})
        assert r.status_code == 200, r.text
        assert r.json()["n_changes"] >= 1
        same = client.patch(f"/api/destinations/{DEST}", json={"sinyal": "4g"})
        assert same.status_code == 200 and same.json()["n_changes"] == 0
        assert client.patch("/api/destinations/NOPE", json={"sinyal": "4g"}).status_code == 404
        acting.user = editor("pu")
        r = client.patch(f"/api/roads/{RUAS}", json={"condition": "rusak_ringan"})
        assert r.status_code == 200, r.text
        assert client.patch("/api/roads/R99999", json={"condition": "baik"}).status_code == 404
        assert client.patch(f"/api/roads/{RUAS}", json={"condition": "hancur"}).status_code == 422
        assert client.patch(f"/api/roads/{RUAS}", json={}).status_code == 422
        acting.user = editor("umkm")
        d = Workspace(ws_path).read("destinations").set_index("id").loc[DEST].geometry
        r = client.post("/api/umkm", json={"name": "Kios Noken", "type": "kerajinan",
                                           "lon": d.x + 0.001, "lat": d.y})
        assert r.status_code == 200, r.text
        assert client.post("/api/umkm", json={"name": "X", "type": "toko", "lon": "abc",
                                               "lat": 1}).status_code == 422
        r = client.patch("/api/umkm/UMKM-0001", json={"lon": d.x, "lat": d.y - 0.001})
        assert r.status_code == 200, r.text
    ws = Workspace(ws_path)
    assert ws.read("destinations").set_index("id").loc[DEST, "sinyal"] == "4g"
    umkm = ws.read("umkm").set_index("id")
    assert "Kios Noken" in set(umkm["name"])
    assert abs(umkm.loc["UMKM-0001"].geometry.y - (d.y - 0.001)) < 1e-9


def test_priorities_map_links_each_section_to_its_form(ws_path: Path) -> None:
    with writer_client(ws_path, Acting(None)) as (client, _):
        page = client.get("/maps/priorities").text
    assert "/kontribusi/jalan?ruas_id=R0" in page
    assert "Ubah kondisi/permukaan ruas ini" in page


def test_nobody_and_viewers_cannot_write(ws_path: Path) -> None:
    acting = Acting(None)
    before = _sha(ws_path)
    with writer_client(ws_path, acting) as (client, _):
        calls = [("PATCH", f"/api/destinations/{DEST}", {"fasilitas": "x"}),
                 ("PATCH", f"/api/roads/{RUAS}", {"condition": "baik"}),
                 ("POST", "/api/umkm", {"name": "x", "type": "toko", "lon": 136.9, "lat": -4.5}),
                 ("POST", "/api/rollback", {"version": 0})]
        for user, status in ((None, 401), (dataclasses.replace(editor("pu"), role="viewer"),
                                           403)):
            acting.user = user
            for method, url, body in calls:
                assert client.request(method, url, json=body).status_code == status, url
            r = client.post("/api/uploads", data={"kind": "umkm"},
                            files={"file": ("a.csv", b"id\n1\n", "text/csv")})
            assert r.status_code == status
        acting.user = None
        # the forms open read-only to a visitor
        r = client.get(f"/kontribusi/destinasi?id={DEST}")
        assert r.status_code == 200 and "Masuk (login)" in r.text and "<form" not in \
            r.text.split("<main>", 1)[1]
    assert _sha(ws_path) == before


# --- the writer queue and the recompute --------------------------------------------------


def test_concurrent_writers_lose_nothing(ws_path: Path) -> None:
    """Five agencies write at once (and readers read): every write lands, one version each."""
    acting = Acting(None)
    app, writes = writer_app(ws_path, acting)
    users = {"pariwisata": editor("pariwisata"), "kominfo": editor("kominfo"),
             "pu": editor("pu"), "umkm": editor("umkm"), "perhubungan": editor("perhubungan")}
    ws = Workspace(ws_path)
    dest_ids = sorted(ws.read_table("destinations")["id"].astype(str))[:4]
    anchor = ws.read("destinations").iloc[0].geometry
    ruas = ["R00107", "R00264", "R00173"]
    v0 = last_version(ws_path)
    # the user is chosen per request through a header the override reads
    app.dependency_overrides.clear()

    async def by_header(request: Request):  # type: ignore[no-untyped-def]
        return users.get(request.headers.get("x-test-agency", ""))

    app.dependency_overrides[api.auth.current_user] = by_header
    # values that differ from the stored ones, so that every write makes a version
    signal = {d: "4g" if s != "4g" else "3g"
              for d, s in ws.read_table("destinations").set_index("id")["sinyal"].items()}
    roads0 = ws.read_table("roads")
    road_values = {}
    for r in ruas:
        rows = _section(ws_path, r)
        road_values[r] = {
            "condition": next(c for c in ("rusak_berat", "baik") if
                              (roads0["condition"].iloc[rows] != c).any()),
            "surface": next(v for v in ("tanah", "aspal") if
                            (roads0["surface"].iloc[rows] != v).any())}
    jobs: list[tuple[str, str, str, dict[str, object]]] = []
    for i, d in enumerate(dest_ids):
        jobs.append(("pariwisata", "PATCH", f"/api/destinations/{d}",
                     {"fasilitas": f"toilet; gazebo {i}"}))
        jobs.append(("kominfo", "PATCH", f"/api/destinations/{d}", {"sinyal": signal[d]}))
        jobs.append(("perhubungan", "PATCH", f"/api/destinations/{d}",
                     {"layanan_per_minggu": 3 + i}))
        jobs.append(("umkm", "POST", "/api/umkm",
                     {"name": f"Usaha Serentak {i}", "type": "toko",
                      "lon": anchor.x + 0.001 * (i + 1), "lat": anchor.y}))
    for r in ruas:
        jobs.append(("pu", "PATCH", f"/api/roads/{r}", road_values[r]))

    async def run() -> tuple[list[httpx.Response], list[httpx.Response]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            writes_ = [c.request(m, u, json=b, headers={"x-test-agency": a})
                       for a, m, u, b in jobs]
            reads = [c.get("/api/destinations") for _ in range(10)]
            out = await asyncio.gather(*writes_, *reads)
        return list(out[:len(jobs)]), list(out[len(jobs):])

    try:
        written, read = asyncio.run(run())
    finally:
        writes.shutdown()
    assert [r.status_code for r in written] == [200] * len(jobs), \
        [r.text for r in written if r.status_code != 200]
    assert all(r.status_code == 200 for r in read)
    assert all(r.json()["n_changes"] > 0 for r in written)
    versions = sorted(r.json()["version"] for r in written)
    assert versions == list(range(v0 + 1, v0 + len(jobs) + 1))  # one version each, none lost
    dest = Workspace(ws_path).read("destinations").set_index("id")
    for i, d in enumerate(dest_ids):
        assert dest.loc[d, "fasilitas"] == f"toilet; gazebo {i}"
        assert dest.loc[d, "sinyal"] == signal[d]
        assert float(dest.loc[d, "layanan_per_minggu"]) == 3 + i
    umkm = Workspace(ws_path).read_table("umkm")
    assert {f"Usaha Serentak {i}" for i in range(4)} <= set(umkm["name"])
    roads = Workspace(ws_path).read_table("roads")
    for r in ruas:
        rows = _section(ws_path, r)
        assert (roads["condition"].iloc[rows] == road_values[r]["condition"]).all()
        assert (roads["surface"].iloc[rows] == road_values[r]["surface"]).all()


def test_the_writer_queue_runs_one_write_at_a_time() -> None:
    queue = WriteQueue()
    active, peak = [0], [0]
    lock = threading.Lock()

    def write(i: int) -> int:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.01)
        with lock:
            active[0] -= 1
        return i

    async def run() -> list[int]:
        return list(await asyncio.gather(*(queue.run(write, i) for i in range(20))))

    assert asyncio.run(run()) == list(range(20))
    assert peak[0] == 1
    queue.shutdown()


RUNS: list[float] = []


def slow_job(ws: Workspace) -> None:
    """A recomputation that takes a while and records when it started."""
    RUNS.append(time.monotonic())
    time.sleep(0.3)


def test_recompute_requests_coalesce(tmp_path: Path) -> None:
    RUNS.clear()
    rec = Recomputer(str(tmp_path / "ws.gpkg"), job=(__name__, "slow_job"), processes=False)
    for _ in range(10):  # ten versions applied while the first recompute runs
        rec.request()
    assert rec.wait_idle(10)
    assert len(RUNS) == 2  # the running one, and one more that sees every change
    assert RUNS[1] - RUNS[0] >= 0.3  # the second started after the first ended
    rec.request()
    assert rec.wait_idle(10) and len(RUNS) == 3
    rec.shutdown()


def test_the_queue_and_the_recompute_work_again_after_a_shutdown(tmp_path: Path) -> None:
    """An app started again after its lifespan ended (schemathesis' ASGI transport does
    this) still writes and still recomputes: before, the recomputer stayed closed."""
    RUNS.clear()
    rec = Recomputer(str(tmp_path / "ws.gpkg"), job=(__name__, "slow_job"), processes=False)
    rec.request()
    assert rec.wait_idle(10) and len(RUNS) == 1
    rec.shutdown()
    rec.request()
    assert rec.wait_idle(10) and len(RUNS) == 2
    rec.shutdown()
    queue = WriteQueue()
    assert asyncio.run(queue.run(lambda: 1)) == 1
    queue.shutdown()
    assert asyncio.run(queue.run(lambda: 2)) == 2
    queue.shutdown()


def test_every_form_page_labels_synthetic_data_and_each_record_says_where_it_is_from(
        served: Path, tmp_path: Path) -> None:
    """An editor correcting a record must know it was generated: the demo's forms, history
    and plans carry the synthetic banner, and each record's form says where the record
    came from (its provenance as stored, in words); the same pages of data marked real
    carry no banner."""
    ws = Workspace(served)
    dest = ws.read_table("destinations").set_index("id").loc[DEST]
    umkm = ws.read_table("umkm").iloc[0]
    roads = ws.read_table("roads").iloc[_section(served)]
    assert dest["provenance"] == umkm["provenance"] == "synthetic"
    n_synthetic = int((roads["provenance"] == "synthetic").sum())
    assert n_synthetic == len(roads)
    pages = ["/kontribusi", "/kontribusi/destinasi?id=" + DEST,
             "/kontribusi/jalan?ruas_id=" + RUAS, "/kontribusi/umkm",
             "/kontribusi/umkm?id=" + str(umkm["id"]), "/riwayat", "/rencana"]
    banner = 'id="sw-sintetis"'
    with TestClient(create_app(served)) as client:
        html = {url: client.get(url) for url in pages}
    for url, r in html.items():
        assert r.status_code == 200, url
        assert banner in r.text and "DATA CONTOH (SINTETIS)" in r.text, url
    assert "Asal data: <b>sintetis</b>" in html[pages[1]].text
    assert f"Asal data (segmen): <b>sintetis ({n_synthetic})</b>" in html[pages[2]].text
    assert "Asal data" not in html[pages[3]].text  # a new UMKM has no origin yet
    assert "Asal data: <b>sintetis</b>" in html[pages[4]].text

    with TestClient(create_app(marked_real(served, tmp_path))) as real:
        for url in pages:
            r = real.get(url)
            assert r.status_code == 200 and banner not in r.text, url
        assert "Asal data: <b>data dinas (OPD)</b>" in real.get(pages[1]).text
        assert (f"Asal data (segmen): <b>data dinas (OPD) ({n_synthetic})</b>"
                in real.get(pages[2]).text)


def test_a_ruas_tally_counts_in_indonesian_format() -> None:
    import pandas as pd

    from api.services.forms import _tally

    values = pd.Series(["baik"] * 1204 + ["rusak_ringan"] * 3 + [None])
    assert _tally(values) == "baik (1.204), rusak_ringan (3), unknown (1)"
    assert _tally(pd.Series(["synthetic"] * 2), str.upper) == "SYNTHETIC (2)"
    # a segment without provenance is said in words too, not as 'unknown'
    from api.services.forms import _origin

    assert _tally(pd.Series(["osm", None, "synthetic"]), _origin) == (
        "OpenStreetMap (1), tidak diketahui (1), sintetis (1)")


def test_the_road_form_shows_words_and_posts_codes(ws_path: Path) -> None:
    """The ruas form names conditions and surfaces in words (geo.labels, issue 14), as the
    maps do; its options still post the schema's codes."""
    import re

    from geo import schema
    from geo.labels import label

    roads = Workspace(ws_path).read_table("roads").iloc[_section(ws_path)]
    with writer_client(ws_path, Acting(editor("pu"))) as (client, _):
        html = client.get("/kontribusi/jalan", params={"ruas_id": RUAS}).text
    options = dict(re.findall(r'<option value="([a-z_]+)">([^<]+)</option>', html))
    assert set(options) == ({c for c in schema.CONDITIONS if c != "unknown"}
                            | {s for s in schema.SURFACE_CLASSES if s != "unknown"})
    assert all(words == label("condition", c) or words == label("surface", c)
               for c, words in options.items())
    assert options["rusak_berat"] == "Rusak berat"  # the example
    now = html[html.index("Kondisi sekarang"):html.index('id="asal"')]
    for code in roads["condition"].astype("string").fillna("unknown").unique():
        assert label("condition", code) in now
        assert f"{code} (" not in now or label("condition", code) == code


def test_the_umkm_form_shows_types_in_words_and_posts_codes(ws_path: Path) -> None:
    import re

    from geo import schema
    from geo.labels import label

    one = Workspace(ws_path).read_table("umkm").iloc[0]
    with writer_client(ws_path, Acting(editor("umkm"))) as (client, _):
        html = client.get("/kontribusi/umkm", params={"id": str(one["id"])}).text
    options = re.findall(r'<option value="([a-z_]+)"( selected)?>([^<]+)</option>', html)
    assert [(code, words) for code, _, words in options] == [
        (t, label("umkm_type", t)) for t in schema.UMKM_TYPES]
    assert [code for code, selected, _ in options if selected] == [one["type"]]
    assert ("penginapan", "Penginapan / homestay") in [(c, w) for c, _, w in options]
