"""The rencana aksi endpoints and pages (issue 13) through httpx on the real app.

Expected values come from the workspace layers read with pyogrio (the scores' ``tasks``
JSON, the history tables), from workbooks read back with openpyxl, or from the score
recomputed by :func:`geo.steps.contribute.recompute` and read back from the scores layer.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import openpyxl
import pyogrio
from fastapi.testclient import TestClient

from api.main import create_app
from geo.io.workspace import Workspace
from geo.steps.accounts import add_user
from geo.steps.contribute import recompute
from geo.steps.tasks import list_tasks
from tests.api._writers import (
    Acting,
    agencies,
    copy_served,
    data_version,
    editor,
    last_version,
    writer_client,
)
from tests.api.routes.test_contribute_xss import XSS, _safe

DIMENSIONS, ADMIN_AGENCY = agencies()


def _suggested(path: Path, agency: str) -> list[str]:
    scores = pyogrio.read_dataframe(path, layer="scores", read_geometry=False,
                                    columns=["id", "tasks"])
    return [f"{d}:{t['dimension']}:{t['indicator']}" for d, raw in
            zip(scores["id"], scores["tasks"], strict=True) for t in json.loads(raw)
            if t["dimension"] == agency]


def _score(path: Path, did: str) -> dict[str, object]:
    s = pyogrio.read_dataframe(path, layer="scores", read_geometry=False)
    return s.set_index("id").loc[did].to_dict()


def test_kominfo_adopts_runs_and_closes_a_task_and_the_score_changes(
        served: Path, tmp_path: Path) -> None:
    path = copy_served(served, tmp_path)
    tid = next(t for t in _suggested(path, "kominfo") if t.endswith(":portal"))
    did = tid.split(":")[0]
    before = _score(path, did)
    with writer_client(path, Acting(editor("kominfo"))) as (client, _):
        r = client.post(f"/api/tasks/{tid}", json={"budget_rp": 25_000_000,
                                                   "target_year": 2026})
        assert r.status_code == 200, r.text
        task = r.json()["task"]
        assert (task["status"], task["budget_rp"], task["target_year"]) == (
            "direncanakan", 25_000_000, 2026)
        assert task["text"] == "Kominfo: daftarkan di portal resmi"
        r = client.patch(f"/api/tasks/{tid}", json={"status": "berjalan", "progress_pct": 50,
                                                    "expect_version": task["version"]})
        assert r.status_code == 200 and r.json()["task"]["status"] == "berjalan", r.text
        # the version read before is stale now: 409, nothing written
        stale = client.patch(f"/api/tasks/{tid}", json={"notes": "x",
                                                        "expect_version": task["version"]})
        assert stale.status_code == 409 and "sudah diubah" in stale.json()["detail"]
        no_proof = client.patch(f"/api/tasks/{tid}", json={"status": "selesai"})
        assert no_proof.status_code == 422
        assert "kolom 'proof_version'" in no_proof.json()["detail"]
        data_before = data_version(path)
        r = client.patch(f"/api/tasks/{tid}", json={
            "status": "selesai", "proof_values": {"promosi_portal": True}})
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["task"]["status"] == "selesai"
        assert done["task"]["proof_version"] == done["version"] == data_version(path)
        assert data_version(path) > data_before
        changes = pyogrio.read_dataframe(path, layer="changes", read_geometry=False)
        here = changes[changes["version"] == done["version"]]
        assert set(here["layer"]) == {"destinations", "tasks"}
        recompute(Workspace(path))
        after = _score(path, did)
        assert float(after["score"]) > float(before["score"])  # type: ignore[arg-type]
        assert float(after["score_kominfo"]) > float(before["score_kominfo"])  # type: ignore[arg-type]
        listed = client.get("/api/tasks", params={"agency": "kominfo", "status": "selesai"})
        assert [t["task_id"] for t in listed.json()["rows"]] == [tid]
        api = client.get(f"/api/destinations/{did}").json()
        assert api["score"] == after["score"]


def test_the_xlsx_has_the_agencys_tasks_and_nothing_else(served: Path,
                                                         tmp_path: Path) -> None:
    path = copy_served(served, tmp_path)
    mine, theirs = _suggested(path, "pu")[0], _suggested(path, "umkm")[0]
    with writer_client(path, Acting(editor("pu"))) as (client, _):
        assert client.post(f"/api/tasks/{mine}", json={"notes": "=1+1"}).status_code == 200
    with writer_client(path, Acting(editor("umkm"))) as (client, _):
        assert client.post(f"/api/tasks/{theirs}", json={}).status_code == 200
        r = client.get("/api/tasks", params={"agency": "pu", "format": "xlsx"})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        book = openpyxl.load_workbook(io.BytesIO(r.content))
        rows = list(book["Rencana aksi"].iter_rows(values_only=True))
        header = rows[0]
        ids = [row[0] for row in rows[1:]]
        # the agency's tasks as listed (suggestions naming the same section works are
        # one task: tests/steps/test_tasks.py); the adopted one among them
        listed = list_tasks(Workspace(path), agency="pu")["task_id"].tolist()
        assert sorted(ids) == sorted(listed) and mine in ids
        assert set(ids) <= set(_suggested(path, "pu"))
        assert theirs not in ids
        status = header.index("Status")
        assert [row[status] for row in rows[1:] if row[0] == mine] == ["direncanakan"]
        cell = next(c for c in book["Rencana aksi"]["M"] if c.value == "=1+1")
        assert cell.data_type == "s"  # a note is text, never a formula
        # the account's own agency by default; an unknown agency is 404
        own = client.get("/api/tasks", params={"format": "xlsx"})
        own_ids = [row[0] for row in openpyxl.load_workbook(io.BytesIO(own.content))[
            "Rencana aksi"].iter_rows(min_row=2, values_only=True)]
        assert sorted(own_ids) == sorted(_suggested(path, "umkm"))
        assert client.get("/api/tasks", params={"agency": "dlh"}).status_code == 404
    with writer_client(path, Acting(None)) as (client, _):
        assert client.get("/api/tasks", params={"format": "xlsx"}).status_code == 404


def test_every_typed_task_field_is_shown_as_text(served: Path, tmp_path: Path) -> None:
    path = copy_served(served, tmp_path)
    first, second = _suggested(path, "kominfo")[:2]
    with writer_client(path, Acting(editor("kominfo"))) as (client, _):
        # JSON: notes and programme code
        r = client.post(f"/api/tasks/{first}", json={"notes": XSS, "program_code": XSS[:200]})
        assert r.status_code == 200, r.text
        # the form: the same fields, and hostile text in the numbers (refused, named)
        r = client.post(f"/rencana/tugas/{second}", data={
            "notes": XSS, "program_code": XSS[:200], "kembali": "kominfo"})
        assert r.status_code == 303, r.text[:300]
        bad = client.post(f"/rencana/tugas/{second}", data={"budget_rp": XSS})
        assert bad.status_code == 422
        _safe(bad)
        for url in ("/rencana?agency=kominfo", f"/rencana/tugas/{first}",
                    f"/rencana/tugas/{second}", "/riwayat"):
            _safe(client.get(url))
        # hostile query strings and paths
        _safe(client.get("/rencana", params={"agency": "kominfo", "status": "usulan"}),
              shown=False)
        assert client.get("/rencana/tugas/" + XSS.replace("/", "")).status_code == 404
        assert client.get("/rencana", params={"agency": XSS}).status_code == 422


def test_the_form_of_a_logged_in_editor_carries_and_needs_csrf(served: Path,
                                                               tmp_path: Path) -> None:
    path = copy_served(served, tmp_path)
    add_user(Workspace(path), "kiki.kominfo", "kominfo", "editor", "kata-sandi-kominfo-26",
             admin_agency=ADMIN_AGENCY, agencies=DIMENSIONS)
    tid = _suggested(path, "kominfo")[0]
    with TestClient(create_app(path), follow_redirects=False) as c:
        page = c.get("/masuk")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        r = c.post("/masuk", data={"csrf_token": token.group(1), "username": "kiki.kominfo",
                                   "password": "kata-sandi-kominfo-26", "next": "/rencana"})
        assert r.status_code == 303
        plan = c.get("/rencana")
        assert plan.status_code == 200 and "Diskominfo" in plan.text and "Adopsi" in plan.text
        form = c.get(f"/rencana/tugas/{tid}")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf
        version = last_version(path)
        refused = c.post(f"/rencana/tugas/{tid}", data={"budget_rp": "1000"})
        assert refused.status_code == 403 and last_version(path) == version
        ok = c.post(f"/rencana/tugas/{tid}", data={"budget_rp": "1.000",
                                                   "csrf_token": csrf.group(1)})
        assert ok.status_code == 303 and last_version(path) == version + 1
        assert ok.headers["location"].startswith("/rencana/tugas/")
