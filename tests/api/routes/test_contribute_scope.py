"""The 403 matrix (issue 12): every agency × every write endpoint.

The agencies are those of data/readiness.toml (its dimensions) and the admin agency. What
each may change is written here BY HAND from the issue's table, not read from the
configuration under test:

| agency      | edits                                               |
|-------------|-----------------------------------------------------|
| pariwisata  | destinations and their site attributes              |
| pu          | road condition and surface                          |
| umkm        | UMKM                                                |
| kominfo     | promotion and signal attributes of destinations     |
| perhubungan | gateways and the boat/air services of destinations  |
| bappeda     | (admin) no data; rollbacks                          |

Issue 13 adds the tasks (rencana aksi): each agency adopts and updates only its own tasks
(the gaps of the indicators readiness.toml gives it); the admin agency reads them only.

Every endpoint is called by an editor of every agency (the admin agency's account is an
admin): inside its scope it succeeds (200, or 303 for a form), outside it is refused with
403, a message naming the agency, and nothing written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pyogrio
import pytest
from fastapi.testclient import TestClient

from geo.accounts import User
from geo.io.workspace import Workspace
from tests.api._writers import (
    ADMIN,
    Acting,
    agencies,
    copy_served,
    csv_bytes,
    data_version,
    editor,
    last_version,
    writer_app,
    writer_client,
)

DIMENSIONS, ADMIN_AGENCY = agencies()
ALL = [*DIMENSIONS, ADMIN_AGENCY]
ADMIN_ONLY = "admin"

Call = Callable[[TestClient, Path], httpx.Response]


def _upload(kind: str, name: str, rows: Callable[[Workspace], list[dict[str, object]]],
            url: str = "/api/uploads") -> Call:
    def call(client: TestClient, path: Path) -> httpx.Response:
        body = csv_bytes(rows(Workspace(path)))
        return client.post(url, data={"kind": kind}, files={"file": (name, body, "text/csv")})

    return call


def _destination_rows(ws: Workspace) -> list[dict[str, object]]:
    d = ws.read("destinations").sort_values("id").iloc[1]
    return [{"id": d["id"], "nama": d["name"], "kategori": d["category"],
             "lintang": d.geometry.y, "bujur": d.geometry.x, "fasilitas": "toilet; loket"}]


def _road_rows(ws: Workspace) -> list[dict[str, object]]:
    return [{"ruas_id": "R00264", "kondisi": "rusak ringan", "permukaan": "kerikil"}]


def _umkm_rows(id: str) -> Callable[[Workspace], list[dict[str, object]]]:
    def rows(ws: Workspace) -> list[dict[str, object]]:
        d = ws.read("destinations").sort_values("id").iloc[0].geometry
        return [{"id": id, "nama": "Toko Baru", "jenis": "toko", "lintang": d.y,
                 "bujur": d.x + 0.002}]

    return rows


def _gateway_rows(ws: Workspace) -> list[dict[str, object]]:
    g = ws.read("gateways").sort_values("id").iloc[0]
    return [{"id": g["id"], "nama": f"{g['name']} (baru)", "jenis": g["kind"],
             "lintang": g.geometry.y, "bujur": g.geometry.x}]


def _json(method: str, url: str, body: object) -> Call:
    return lambda client, path: client.request(method, url, json=body)


def _form(url: str, data: Callable[[Workspace], dict[str, str]]) -> Call:
    return lambda client, path: client.post(url, data=data(Workspace(path)))


def _umkm_form(ws: Workspace) -> dict[str, str]:
    d = ws.read("destinations").sort_values("id").iloc[0].geometry
    return {"name": "Warung Form", "type": "kuliner", "lon": f"{d.x + 0.003:.6f}",
            "lat": f"{d.y:.6f}"}


# (name, owner, call): owner is an agency key, or "admin" for the admin role
ENDPOINTS: list[tuple[str, str, Call]] = [
    ("POST /api/uploads destinations", "pariwisata",
     _upload("destinations", "destinasi.csv", _destination_rows)),
    ("POST /api/uploads road-conditions", "pu",
     _upload("road-conditions", "jalan.csv", _road_rows)),
    ("POST /api/uploads umkm", "umkm", _upload("umkm", "umkm.csv", _umkm_rows("UMKM-BARU-1"))),
    ("POST /api/uploads gateways", "perhubungan",
     _upload("gateways", "gerbang.csv", _gateway_rows)),
    ("PATCH /api/destinations fasilitas", "pariwisata",
     _json("PATCH", "/api/destinations/DST-001", {"fasilitas": "toilet; gazebo"})),
    ("PATCH /api/destinations sinyal", "kominfo",
     _json("PATCH", "/api/destinations/DST-001", {"sinyal": "4g"})),
    ("PATCH /api/destinations promosi_portal", "kominfo",
     _json("PATCH", "/api/destinations/DST-002", {"promosi_portal": "ya"})),
    ("PATCH /api/destinations layanan_per_minggu", "perhubungan",
     _json("PATCH", "/api/destinations/DST-001", {"layanan_per_minggu": 4})),
    ("PATCH /api/roads", "pu", _json("PATCH", "/api/roads/R00107", {"condition": "rusak_berat"})),
    ("POST /api/umkm", "umkm", _json("POST", "/api/umkm", {
        "name": "Kios Baru", "type": "toko", "lon": 136.8854, "lat": -4.5127})),
    ("PATCH /api/umkm", "umkm", _json("PATCH", "/api/umkm/UMKM-0001", {"name": "Nama Baru"})),
    ("POST /api/rollback", ADMIN_ONLY, _json("POST", "/api/rollback", {"version": 0})),
    ("POST /kontribusi/unggah umkm", "umkm",
     _upload("umkm", "umkm.csv", _umkm_rows("UMKM-BARU-2"), url="/kontribusi/unggah")),
    ("POST /kontribusi/destinasi", "pariwisata",
     _form("/kontribusi/destinasi?id=DST-003", lambda ws: {"fasilitas": "toilet; kios"})),
    ("POST /kontribusi/jalan", "pu",
     _form("/kontribusi/jalan", lambda ws: {"ruas_id": "R00173", "condition": "baik"})),
    ("POST /kontribusi/umkm", "umkm", _form("/kontribusi/umkm", _umkm_form)),
    ("POST /riwayat/kembalikan", ADMIN_ONLY,
     _form("/riwayat/kembalikan", lambda ws: {"version": "0"})),
]


def _task_of(path: Path, agency: str, nth: int) -> str:
    """The nth task the scores suggest to ``agency``, read from the scores layer directly."""
    scores = pyogrio.read_dataframe(path, layer="scores", read_geometry=False,
                                    columns=["id", "tasks"])
    ids = [f"{d}:{t['dimension']}:{t['indicator']}" for d, raw in
           zip(scores["id"], scores["tasks"], strict=True) for t in json.loads(raw)
           if t["dimension"] == agency]
    return ids[nth]


def _task(method: str, agency: str, nth: int, body: dict[str, object]) -> Call:
    def call(client: TestClient, path: Path) -> httpx.Response:
        return client.request(method, f"/api/tasks/{_task_of(path, agency, nth)}", json=body)

    return call


def _task_form(agency: str, nth: int, data: dict[str, str]) -> Call:
    def call(client: TestClient, path: Path) -> httpx.Response:
        return client.post(f"/rencana/tugas/{_task_of(path, agency, nth)}", data=data)

    return call


# every agency's tasks: adopt (JSON), update it (JSON), adopt another through the form
ENDPOINTS += [
    entry for agency in DIMENSIONS for entry in (
        (f"POST /api/tasks {agency}", agency,
         _task("POST", agency, 0, {"budget_rp": 1_000_000, "target_year": 2027})),
        (f"PATCH /api/tasks {agency}", agency,
         _task("PATCH", agency, 0, {"status": "berjalan", "progress_pct": 10})),
        (f"POST /rencana/tugas {agency}", agency,
         _task_form(agency, 1, {"budget_rp": "2.500.000", "target_year": "2027"})),
    )
]
TASK_PATHS = ("/api/tasks", "/rencana/tugas")


def test_the_matrix_covers_every_write_endpoint(served: Path, tmp_path: Path) -> None:
    """Every operation that changes data is in the matrix (a new one must be added here)."""
    app, writes = writer_app(copy_served(served, tmp_path), Acting(None))
    writes.shutdown()
    routes = {(m.upper(), path) for path, item in app.openapi()["paths"].items()
              for m in item if m.upper() in ("POST", "PATCH", "PUT", "DELETE")}
    covered = {tuple(name.split(" ")[:2]) for name, _, _ in ENDPOINTS}
    reads = {("POST", "/api/score")}  # a what-if score: computes, writes nothing
    # confirmations of an upload: called in the matrix after each allowed upload
    confirms = {("POST", "/api/uploads/{token}/apply"), ("POST", "/kontribusi/terapkan")}
    assert confirms <= routes
    rest = {(m, p.split("/{")[0]) for m, p in routes - reads - confirms}
    assert rest == {(m, p.split("?")[0]) for m, p in covered}


def _user(agency: str) -> User:
    return ADMIN if agency == ADMIN_AGENCY else editor(agency)


def _allowed(agency: str, owner: str) -> bool:
    return (owner == ADMIN_ONLY and agency == ADMIN_AGENCY) or owner == agency


@pytest.mark.parametrize("agency", ALL)
def test_every_agency_on_every_write_endpoint(agency: str, served: Path,
                                              tmp_path: Path) -> None:
    path = copy_served(served, tmp_path)
    user = _user(agency)
    with writer_client(path, Acting(user)) as (client, _):
        for name, owner, call in ENDPOINTS:
            before = data_version(path)
            before_last = last_version(path)
            task = name.split(" ")[1] in TASK_PATHS
            r = call(client, path)
            html = r.headers.get("content-type", "").startswith("text/html")
            if _allowed(agency, owner):
                assert r.status_code in (200, 303), (agency, name, r.text[:500])
                if name.startswith("POST /api/uploads"):
                    token = r.json()["token"]
                    assert token, (agency, name, r.json())
                    a = client.post(f"/api/uploads/{token}/apply")
                    assert a.status_code == 200 and a.json()["n_changes"] > 0, (name, a.text)
                elif name == "POST /kontribusi/unggah umkm":
                    token = r.text.split('name="token" value="', 1)[1].split('"', 1)[0]
                    a = client.post("/kontribusi/terapkan", data={"token": token})
                    assert a.status_code == 303, (name, a.text[:300])
                elif task:  # a commitment: a version, but no data change
                    assert last_version(path) > before_last, (agency, name)
                    assert data_version(path) == before, (agency, name)
                elif owner != ADMIN_ONLY:
                    assert data_version(path) > before, (agency, name)
            else:
                assert r.status_code == 403, (agency, name, r.status_code, r.text[:500])
                detail = r.text if html else r.json()["detail"]
                assert agency in detail or user.username in detail, (agency, name, detail)
                assert data_version(path) == before, (agency, name)
                assert last_version(path) == before_last, (agency, name)
