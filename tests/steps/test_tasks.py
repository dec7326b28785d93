"""Rencana aksi (issue 13): tasks listed from the scores, adopted, updated and closed with
their proof, on copies of the scored Mimika demo workspace.

Expected values come from the workspace layers read directly with pyogrio (the scores'
``tasks`` and ``ind_*`` columns, the priorities layer, the history tables), from
readiness.toml read with tomllib, or from workbooks read back with openpyxl; never from the
function under test.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.accounts import User
from geo.exceptions import InputError, ScopeError, StaleVersion
from geo.io.workspace import Workspace
from geo.readiness import load_readiness_config
from geo.steps.contribute import edit_destination, edit_road, recompute, rollback
from geo.steps.tasks import (
    STATUSES,
    adopt_task,
    list_tasks,
    task_id,
    update_task,
    write_tasks_xlsx,
)
from tests._paths import PROJECT_ROOT

TOML = PROJECT_ROOT / "data" / "readiness.toml"
CONFIG = load_readiness_config(TOML)
with TOML.open("rb") as _f:
    RAW = tomllib.load(_f)
AGENCIES = list(RAW["dimensions"])
ADMIN = User("bapp", RAW["admin"]["agency"], "admin")
KOMINFO = User("kiki", "kominfo", "editor")


def editor(agency: str) -> User:
    return User(f"{agency}-ed", agency, "editor")


def _scores(path: Path) -> pd.DataFrame:
    return pyogrio.read_dataframe(path, layer="scores", read_geometry=False)


def _table(path: Path, layer: str) -> pd.DataFrame:
    if layer not in pyogrio.list_layers(path)[:, 0]:
        return pd.DataFrame()
    return pyogrio.read_dataframe(path, layer=layer, read_geometry=False)


def _suggested(path: Path) -> dict[str, dict[str, Any]]:
    """task id -> the score step's item, read from the scores layer's JSON directly."""
    out = {}
    for did, raw in zip(_scores(path)["id"], _scores(path)["tasks"], strict=True):
        for item in json.loads(raw):
            out[f"{did}:{item['dimension']}:{item['indicator']}"] = item
    return out


def _first(path: Path, agency: str, indicator: str | None = None) -> str:
    return next(t for t, item in _suggested(path).items()
                if item["dimension"] == agency and indicator in (None, item["indicator"]))


# --- the list ----------------------------------------------------------------------------


def test_every_gap_below_100_is_one_task_of_the_agency_owning_its_indicator(
        served: Path) -> None:
    tasks = list_tasks(Workspace(served))
    scores = _scores(served)
    assert tasks["task_id"].is_unique
    assert set(tasks["status"]) == {"usulan"}  # nothing adopted yet
    for row in tasks.itertuples():
        did, dim, ind = row.task_id.rsplit(":", 2)
        assert (did, dim, ind) == (row.destination_id, row.agency, row.indicator)
        assert ind in RAW["dimensions"][dim]["indicators"], row.task_id
        assert row.agency_name == RAW["dimensions"][dim]["agency"]
        assert row.text.startswith(RAW["dimensions"][dim]["short"] + ": ")
        score = scores.loc[scores["id"] == did, f"ind_{dim}_{ind}"].iloc[0]
        assert score < 100.0, row.task_id  # a task is a gap
    # and every indicator below 100 has its task, unless its gap text names nothing
    # (readiness.toml: "" for a zero another indicator already names, or a route share
    # whose gap is under 0.05 km)
    have = set(tasks["task_id"])
    for dim, spec in RAW["dimensions"].items():
        for ind in spec["indicators"]:
            col = f"ind_{dim}_{ind}"
            if col not in scores.columns:
                continue
            low = scores[pd.to_numeric(scores[col], errors="coerce") < 100.0]
            missing = [d for d in low["id"] if task_id(d, dim, ind) not in have]
            if ind not in ("ragam_30", "umkm_15", "jalan_aspal", "jalan_mantap"):
                assert not missing, (dim, ind, missing[:5])


def test_kominfo_portal_task_names_what_to_do_and_its_proof(served: Path) -> None:
    tasks = list_tasks(Workspace(served), agency="kominfo")
    portal = tasks[tasks["indicator"] == "portal"].iloc[0]
    dest = pyogrio.read_dataframe(served, layer="destinations", read_geometry=False)
    assert portal["text"] == "Kominfo: daftarkan di portal resmi"
    assert (portal["proof_layer"], portal["proof_field"]) == ("destinations", "promosi_portal")
    assert portal["proof_feature_ids"] == [portal["destination_id"]]
    # the demo has it as false for that destination (the gap is real)
    value = dest.loc[dest["id"] == portal["destination_id"], "promosi_portal"].iloc[0]
    assert not bool(value)
    assert set(tasks["agency"]) == {"kominfo"}


def test_pu_road_tasks_name_a_priorities_section_serving_the_destination(
        served: Path) -> None:
    tasks = list_tasks(Workspace(served), agency="pu")
    prio = pyogrio.read_dataframe(served, layer="priorities", read_geometry=False)
    road = tasks[tasks["proof_field"].isin(["surface", "condition"])]
    named = road[road["text"].str.contains(" ruas R")]
    assert len(named) > 0
    for row in named.itertuples():
        ruas = row.proof_feature_ids[0]
        section = prio[prio["ruas_id"] == ruas].iloc[0]
        assert row.destination_id in json.loads(section["destination_ids"])
        assert row.destination_name in str(section["destinations"]).split("; ")
        assert f"ruas {ruas} (Rp " in row.text
        assert row.estimated_cost_rp == pytest.approx(float(section["cost_rp"]))
        served_by = prio[prio["destination_ids"].fillna("").map(
            lambda ids, d=row.destination_id: bool(ids) and d in json.loads(ids))]
        if row.proof_field == "condition":  # the best ranked section serving it
            assert section["rank"] == served_by["rank"].min()


def test_road_tasks_follow_destination_ids_not_names(ws: Workspace) -> None:
    # Two sites may share a name ("Pantai Baru" in two distrik): with every served name made
    # the same, each destination still gets the sections that serve IT, by id
    before = list_tasks(ws, agency="pu")
    prio = ws.read("priorities")
    with ws.update() as stage:
        stage.write("priorities", prio.assign(destinations="Pantai Sama"))
    after = list_tasks(ws, agency="pu")
    cols = ["task_id", "text", "estimated_cost_rp"]
    pd.testing.assert_frame_equal(before[cols].reset_index(drop=True),
                                  after[cols].reset_index(drop=True))
    assert after["text"].str.contains(" ruas R").any()


def test_one_task_per_section_works_of_a_destination(served: Path) -> None:
    # travel time and the good-paved share often ask for the same rehabilitation of the same
    # section: listed once, or its cost would be committed twice
    suggested = {t for t, item in _suggested(served).items() if item["dimension"] == "pu"}
    tasks = list_tasks(Workspace(served), agency="pu")
    named = tasks[tasks["text"].str.contains(" ruas R")]
    assert not named.duplicated(["destination_id", "text"]).any()
    dropped = suggested - set(tasks["task_id"])
    assert dropped  # the demo has such pairs
    for tid in dropped:  # each merged suggestion is a road task whose section is kept
        did, _, ind = tid.rsplit(":", 2)
        assert RAW["dimensions"]["pu"]["indicators"][ind]["proof"] in ("roads.surface",
                                                                        "roads.condition")
        assert named["destination_id"].eq(did).any()


def test_unknown_status_or_agency_is_named(served: Path) -> None:
    with pytest.raises(InputError, match="status 'tamat'"):
        list_tasks(Workspace(served), status="tamat")
    with pytest.raises(InputError, match="dinas 'dlh'"):
        list_tasks(Workspace(served), agency="dlh")


# --- adopting, updating, closing ----------------------------------------------------------


def test_adopt_berjalan_selesai_with_proof_values_changes_the_score(ws: Workspace) -> None:
    tid = _first(ws.path, "kominfo", "portal")
    did = tid.split(":")[0]
    before = _scores(ws.path).set_index("id").loc[did]
    a = adopt_task(ws, tid, {"budget_rp": "25.000.000", "target_year": "2026",
                             "program_code": "2.16.02.1.01"}, user=KOMINFO)
    b = update_task(ws, tid, {"status": "berjalan", "progress_pct": 40}, user=KOMINFO,
                    expect_version=a.version)
    meta = ws.metadata()
    assert meta.get("scores_stale") != "true"  # commitments are not data
    c = update_task(ws, tid, {"status": "selesai"}, user=KOMINFO, expect_version=b.version,
                    proof_values={"promosi_portal": "ya"})
    assert ws.metadata()["scores_stale"] == "true"
    assert ws.metadata()["data_version"] == str(c.version)
    stored = _table(ws.path, "tasks").set_index("task_id").loc[tid]
    assert stored["status"] == "selesai" and int(stored["proof_version"]) == c.version
    assert float(stored["budget_rp"]) == 25_000_000 and int(stored["target_year"]) == 2026
    assert float(stored["progress_pct"]) == 100.0
    # one version holds the data change and the task's
    changes = _table(ws.path, "changes")
    mine = changes[changes["version"] == c.version]
    assert set(mine["layer"]) == {"destinations", "tasks"}
    assert mine.loc[mine["layer"] == "destinations", "field"].tolist() == ["promosi_portal"]
    versions = _table(ws.path, "versions").set_index("version")
    assert versions.loc[c.version, "kind"] == "task"
    assert versions.loc[c.version, "agency"] == "kominfo"
    recompute(ws)
    after = _scores(ws.path).set_index("id").loc[did]
    # portal: weight 1 of kominfo's 3.5, 0 -> 100
    assert after["ind_kominfo_portal"] == 100.0 and before["ind_kominfo_portal"] == 0.0
    assert after["score_kominfo"] > before["score_kominfo"]
    assert after["score"] > before["score"]
    # the task stays listed, done, though its gap closed
    listed = list_tasks(ws, destination=did).set_index("task_id")
    assert listed.loc[tid, "status"] == "selesai"
    assert tid not in _suggested(ws.path)


def test_selesai_needs_a_proof_that_touches_the_linked_data(ws: Workspace) -> None:
    tid = _first(ws.path, "kominfo", "portal")
    did = tid.split(":")[0]
    adopt_task(ws, tid, {}, user=KOMINFO)
    with pytest.raises(InputError, match="proof_version"):
        update_task(ws, tid, {"status": "selesai"}, user=KOMINFO)
    # a version that changed another column of that destination proves nothing
    other = edit_destination(ws, did, {"sinyal": "4g"}, config=CONFIG, user=KOMINFO)
    with pytest.raises(InputError, match=f"versi {other.version} tidak mengubah data bukti"):
        update_task(ws, tid, {"status": "selesai"}, user=KOMINFO, proof_version=other.version)
    # proof values that miss the proof column are refused too, and nothing is written
    n_versions = len(_table(ws.path, "versions"))
    with pytest.raises(InputError, match="kolom bukti 'promosi_portal'"):
        update_task(ws, tid, {"status": "selesai"}, user=KOMINFO,
                    proof_values={"sinyal": "3g"})
    assert len(_table(ws.path, "versions")) == n_versions
    done = edit_destination(ws, did, {"promosi_portal": "ya"}, config=CONFIG, user=KOMINFO)
    applied = update_task(ws, tid, {"status": "selesai"}, user=KOMINFO,
                          proof_version=done.version)
    stored = _table(ws.path, "tasks").set_index("task_id").loc[tid]
    assert int(stored["proof_version"]) == done.version
    assert applied.version > done.version
    # reopened, the task no longer claims a proof
    update_task(ws, tid, {"status": "berjalan"}, user=KOMINFO)
    assert pd.isna(_table(ws.path, "tasks").set_index("task_id").loc[tid, "proof_version"])


def test_a_road_task_is_proved_by_a_change_of_its_section(ws: Workspace) -> None:
    tasks = list_tasks(ws, agency="pu")
    task = tasks[(tasks["proof_field"] == "condition")
                 & tasks["text"].str.contains(" ruas R")].iloc[0]
    ruas = task["proof_feature_ids"][0]
    pu = editor("pu")
    adopt_task(ws, task["task_id"], {"status": "berjalan"}, user=pu)
    other = "R00264" if ruas != "R00264" else "R00173"
    elsewhere = edit_road(ws, other, {"condition": "baik"}, config=CONFIG, user=pu)
    with pytest.raises(InputError, match="tidak mengubah data bukti"):
        update_task(ws, task["task_id"], {"status": "selesai"}, user=pu,
                    proof_version=elsewhere.version)
    applied = update_task(ws, task["task_id"], {"status": "selesai"}, user=pu,
                          proof_values={"condition": "baik"})
    changes = _table(ws.path, "changes")
    roads = changes[(changes["version"] == applied.version) & (changes["layer"] == "roads")]
    assert set(roads["field"]) >= {"condition"}


@pytest.mark.parametrize("agency", AGENCIES)
def test_only_the_tasks_agency_adopts_it(agency: str, ws: Workspace) -> None:
    tid = _first(ws.path, agency)
    for other in [*AGENCIES, ADMIN.agency]:
        user = ADMIN if other == ADMIN.agency else editor(other)
        if other == agency:
            continue
        with pytest.raises(ScopeError, match="tidak boleh|hanya membaca") as exc:
            adopt_task(ws, tid, {"budget_rp": 1}, user=user)
        assert other in str(exc.value)
    with pytest.raises(ScopeError, match="hanya boleh membaca"):
        adopt_task(ws, tid, {}, user=User("v", agency, "viewer"))
    assert _table(ws.path, "tasks").empty
    adopt_task(ws, tid, {"budget_rp": 1}, user=editor(agency))
    with pytest.raises(ScopeError):
        update_task(ws, tid, {"notes": "x"}, user=ADMIN)


def test_bad_fields_are_named_and_change_nothing(ws: Workspace) -> None:
    tid = _first(ws.path, "kominfo")
    with pytest.raises(InputError) as exc:
        adopt_task(ws, tid, {"budget_rp": "-5", "target_year": "1800", "progress_pct": "150",
                             "anggaran": "1", "status": "tamat"}, user=KOMINFO)
    fields = {p.field for p in exc.value.problems}
    assert fields == {"budget_rp", "target_year", "progress_pct", "anggaran", "status"}
    assert "mungkin maksudnya" in str(exc.value) or "bisa:" in str(exc.value)
    assert _table(ws.path, "tasks").empty
    adopt_task(ws, tid, {}, user=KOMINFO)
    with pytest.raises(InputError, match="sudah diadopsi"):
        adopt_task(ws, tid, {}, user=KOMINFO)
    with pytest.raises(InputError, match="belum diadopsi"):
        update_task(ws, _first(ws.path, "kominfo", "sinyal"), {"notes": "x"}, user=KOMINFO)


def test_stale_version_refuses_a_lost_update(ws: Workspace) -> None:
    tid = _first(ws.path, "pariwisata")
    user = editor("pariwisata")
    a = adopt_task(ws, tid, {}, user=user)
    update_task(ws, tid, {"notes": "pertama"}, user=user, expect_version=a.version)
    with pytest.raises(StaleVersion, match="sudah diubah"):
        update_task(ws, tid, {"notes": "kedua"}, user=user, expect_version=a.version)
    assert _table(ws.path, "tasks").set_index("task_id").loc[tid, "notes"] == "pertama"


def test_rollback_restores_data_not_commitments(ws: Workspace) -> None:
    tid = _first(ws.path, "kominfo", "portal")
    start = int(_table(ws.path, "versions")["version"].max())
    adopt_task(ws, tid, {}, user=KOMINFO)
    update_task(ws, tid, {"status": "selesai"}, user=KOMINFO,
                proof_values={"promosi_portal": "ya"})
    did = tid.split(":")[0]
    assert _holds(ws, tid) is True  # the data shows the work done
    rollback(ws, start, user=ADMIN)
    dest = pyogrio.read_dataframe(ws.path, layer="destinations", read_geometry=False)
    assert not bool(dest.loc[dest["id"] == did, "promosi_portal"].iloc[0])
    assert _table(ws.path, "tasks").set_index("task_id").loc[tid, "status"] == "selesai"
    # ...but a done task whose proof was undone says so, never counted as done silently
    assert _holds(ws, tid) is False
    # a later edit that puts the value back makes the proof stand again
    edit_destination(ws, did, {"promosi_portal": "ya"}, config=CONFIG, user=KOMINFO)
    assert _holds(ws, tid) is True
    # another field of the same destination changing does not touch the proof
    edit_destination(ws, did, {"promosi_medsos": "ya"}, config=CONFIG, user=KOMINFO)
    assert _holds(ws, tid) is True


def _holds(ws: Workspace, tid: str) -> object:
    row = list_tasks(ws, agency="kominfo").set_index("task_id").loc[tid]
    v = row["proof_holds"]
    return None if pd.isna(v) else bool(v)


# --- the workbook ------------------------------------------------------------------------


@pytest.mark.parametrize("agency", ["kominfo", "pu"])
def test_the_workbook_has_the_agencys_tasks_and_nothing_else(agency: str, ws: Workspace,
                                                              tmp_path: Path) -> None:
    mine = _first(ws.path, agency)
    other = _first(ws.path, "pariwisata")
    adopt_task(ws, mine, {"notes": '=HYPERLINK("http://x","klik")',
                          "program_code": "+1.02", "budget_rp": 5_000_000},
               user=editor(agency))
    adopt_task(ws, other, {"notes": "milik pariwisata"}, user=editor("pariwisata"))
    out = tmp_path / "tugas.xlsx"
    write_tasks_xlsx(ws, agency, out)
    book = openpyxl.load_workbook(out)
    sheet = book["Rencana aksi"]
    header = [c.value for c in sheet[1]]
    assert header[0] == "ID tugas" and "Anggaran (Rp)" in header and "Catatan" in header
    ids = [r[0].value for r in sheet.iter_rows(min_row=2)]
    expected = {t for t, item in _suggested(ws.path).items() if item["dimension"] == agency}
    listed = set(list_tasks(ws, agency=agency)["task_id"])
    # the suggestions, less those merged into one task naming the same works (see below)
    assert listed <= expected | {mine}
    assert set(ids) == listed | {mine} and len(ids) == len(set(ids))
    agency_col = header.index("Dinas")
    assert {r[agency_col].value for r in sheet.iter_rows(min_row=2)} == {
        RAW["dimensions"][agency]["agency"]}
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == mine)
    notes, code = row[header.index("Catatan")], row[header.index("Kode program/kegiatan")]
    assert notes.value == '=HYPERLINK("http://x","klik")' and notes.data_type == "s"
    assert code.value == "+1.02" and code.data_type == "s"
    assert row[header.index("Anggaran (Rp)")].value == 5_000_000
    assert "Asumsi" in book.sheetnames


# --- the history -------------------------------------------------------------------------


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["direncanakan", "berjalan", "batal"]),
                                st.integers(0, 100)), min_size=1, max_size=5))
def test_status_history_in_changes_matches_the_updates_applied(
        steps: list[tuple[str, int]], served: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("prop") / "ws.gpkg"
    shutil.copyfile(served, path)
    ws = Workspace(path)
    tid = _first(path, "umkm")
    user = editor("umkm")
    adopt_task(ws, tid, {}, user=user)
    applied = ["direncanakan"]
    for status, progress in steps:
        update_task(ws, tid, {"status": status, "progress_pct": progress}, user=user)
        if status != applied[-1]:
            applied.append(status)
    changes = _table(path, "changes")
    mine = changes[(changes["layer"] == "tasks") & (changes["feature_id"] == tid)
                   & (changes["field"] == "status")].sort_values("version")
    assert [json.loads(v) for v in mine["new"]] == applied
    olds = [json.loads(v) for v in mine["old"]]
    assert olds == [None, *applied[:-1]]
    versions = _table(path, "versions").set_index("version")
    assert set(versions.loc[mine["version"].to_numpy(), "kind"]) == {"task"}
    assert all(s in STATUSES for s in applied)
    assert np.all(np.diff(mine["version"].to_numpy()) > 0)
