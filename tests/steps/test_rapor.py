"""The rapor's figures (geo.steps.rapor, issue 13) against the workspace's own tables.

Every expected value is computed here from the layers and history tables as stored
(pyogrio, numpy), or from readiness.toml as written: the columns each agency owns, and
the scoring rule of its header (a dimension whose indicators are all known at 100 scores
100; ``score_low`` is the weighted mean of the dimensions' low bounds with weights that
sum to 1). Nothing is copied from the code under test.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo.accounts import User
from geo.io.workspace import Workspace
from geo.steps import workspace_readiness_config
from geo.steps.contribute import edit_destination, recompute
from geo.steps.rapor import (
    class_changes,
    completeness,
    destination_trend,
    rapor,
    regency_trend,
)

ROOT = Path(__file__).resolve().parents[2]
KOMINFO = User("kominfo-editor", "kominfo", "editor")


def _toml() -> dict:
    with (ROOT / "data" / "readiness.toml").open("rb") as f:
        return tomllib.load(f)


@pytest.fixture()
def scored(served: Path) -> Path:
    return served


def _read(ws: Workspace, layer: str) -> pd.DataFrame:
    return pyogrio.read_dataframe(ws.path, layer=layer, read_geometry=False)


def _filled(values: pd.Series) -> np.ndarray:
    text = values.astype(str).str.strip().str.lower()
    return (values.notna() & (text != "") & (text != "unknown") & (text != "nan")).to_numpy()


def _today() -> date:
    return datetime.now(UTC).date()


def test_completeness_is_the_share_of_filled_owned_cells(ws: Workspace) -> None:
    config = workspace_readiness_config(ws)[0]
    toml = _toml()["dimensions"]
    dest = _read(ws, "destinations")
    roads = _read(ws, "roads")
    road = roads[roads["mode"] == "road"]
    length = road["length_m"].to_numpy(dtype=float)

    # Kominfo and PU own columns by name (readiness.toml), rows resp. road km
    for key in ("kominfo", "pu"):
        got = {c.column: c for c in completeness(ws, config, key)}
        names = toml[key]["owns"]["columns"]
        assert sorted(f"{c.layer}.{c.column}" for c in got.values()) == sorted(names)
        for name in names:
            layer, col = name.split(".")
            if layer == "roads":
                want = length[_filled(road[col])].sum() / length.sum()
                assert got[col].weight == "km"
            else:
                want = _filled(dest[col]).mean()
                assert got[col].weight == "baris"
            assert got[col].share == pytest.approx(want, abs=1e-12), name

    # Perhubungan: the gateways layer's name and kind, and layanan_per_minggu, which the
    # demo has not got: 0 % and flagged absent
    got = {(c.layer, c.column): c for c in completeness(ws, config, "perhubungan")}
    assert set(got) == {("gateways", "name"), ("gateways", "kind"),
                        ("destinations", "layanan_per_minggu")}
    assert "layanan_per_minggu" not in dest.columns
    miss = got[("destinations", "layanan_per_minggu")]
    assert (miss.share, miss.present) == (0.0, False)

    # Pariwisata: its layer's data columns minus those Kominfo and Perhubungan own by name
    got_p = {c.column for c in completeness(ws, config, "pariwisata")}
    assert got_p == {"name", "category", "fasilitas", "jumlah_fasilitas", "pengunjung_tahun",
                     "pengelola", "daya_tarik", "importance"}


def _class_of(score_low: float, classes: dict) -> str:
    out = "rintisan"
    for name in ("berkembang", "maju", "mandiri"):
        if score_low >= classes[name]:
            out = name
    return out


def _kominfo_climber(ws: Workspace) -> tuple[str, float, str]:
    """A destination whose class rises when every Kominfo indicator is set to its best
    value: (id, predicted score_low, predicted class), by readiness.toml's rule."""
    toml = _toml()
    weights = {k: d["weight"] for k, d in toml["dimensions"].items()}
    assert sum(weights.values()) == pytest.approx(1.0)
    s = _read(ws, "scores")
    for _, r in s.sort_values("id").iterrows():
        predicted = r["score_low"] + weights["kominfo"] * (100.0 - r["score_kominfo_low"])
        now = _class_of(r["score_low"], toml["classes"])
        assert now == r["class"]  # the stored class is the class of score_low
        if _class_of(predicted, toml["classes"]) != now:
            return str(r["id"]), predicted, _class_of(predicted, toml["classes"])
    pytest.fail("no destination of the demo changes class with Kominfo's data")


BEST_KOMINFO = {"promosi_portal": "ya", "promosi_medsos": "ya", "papan_petunjuk": "ya",
                "sinyal": "4g"}


def test_a_kominfo_edit_dates_its_update_fills_columns_and_moves_trend_and_class(
        ws: Workspace) -> None:
    config = workspace_readiness_config(ws)[0]
    dest0 = _read(ws, "destinations")
    id, predicted, new_class = _kominfo_climber(ws)
    before = {c.column: c.share for c in completeness(ws, config, "kominfo")}
    assert rapor(ws, config).agencies[3].last_update is None  # the demo records no edit
    hist0 = _read(ws, "scores_history")

    applied = edit_destination(ws, id, BEST_KOMINFO, config=config, user=KOMINFO)
    recompute(ws)

    # completeness: each column that was empty for this destination gains one row in n
    n = len(dest0)
    row = dest0[dest0["id"] == id].iloc[0]
    after = {c.column: c.share for c in completeness(ws, config, "kominfo")}
    for col in BEST_KOMINFO:
        gained = 0.0 if _filled(pd.Series([row[col]]))[0] else 1.0 / n
        assert after[col] == pytest.approx(before[col] + gained, abs=1e-12), col

    # last update: the edit's version, by the editor, today (0 days; 7 a week later)
    today = _today()
    report = rapor(ws, config, today=today)
    kominfo = next(a for a in report.agencies if a.key == "kominfo")
    assert kominfo.last_update is not None
    assert (kominfo.last_update.version, kominfo.last_update.username) == (
        applied.version, KOMINFO.username)
    assert kominfo.last_update.days == 0
    later = rapor(ws, config, today=today + timedelta(days=7))
    assert next(a for a in later.agencies if a.key == "kominfo").last_update.days == 7
    assert all(a.last_update is None for a in report.agencies if a.key != "kominfo")

    # the destination's score: the prediction from readiness.toml's rule
    scores = _read(ws, "scores").set_index("id")
    assert scores.loc[id, "score_low"] == pytest.approx(predicted, abs=1e-9)
    assert scores.loc[id, "class"] == new_class

    # trend: one point per scored version, the mean of that version's rows
    hist = _read(ws, "scores_history")
    assert hist["version"].nunique() == hist0["version"].nunique() + 1
    trend = regency_trend(ws)
    assert [p.version for p in trend] == sorted(hist["version"].unique().tolist())
    for p in trend:
        rows = hist[hist["version"] == p.version]
        assert p.score == pytest.approx(rows["score"].to_numpy(float).mean())
        assert p.score_low == pytest.approx(rows["score_low"].to_numpy(float).mean())
    assert trend[-1].score == pytest.approx(scores["score"].to_numpy(float).mean())
    assert trend[-1].score > trend[-2].score
    own = destination_trend(ws, id)
    assert len(own) == len(trend)
    assert own[-1].score_low == pytest.approx(predicted, abs=1e-9)
    assert own[-1].klass == new_class and own[0].klass != new_class
    assert own[0].at <= own[-1].at

    # class changes since today: compared with the earliest scored version (none is older)
    base, changes = class_changes(ws, today, _read(ws, "scores"))
    first = hist[hist["version"] == hist["version"].min()].set_index("id")["class"]
    now = scores["class"]
    assert base is not None and base.version == int(hist["version"].min())
    assert {c.id for c in changes} == {i for i in now.index if first[i] != now[i]}
    assert id in {c.id for c in changes}
    hit = next(c for c in changes if c.id == id)
    assert (hit.before, hit.now) == (first[id], new_class)
    # since tomorrow: the latest scored version is the baseline; nothing changed since
    base, changes = class_changes(ws, today + timedelta(days=1), _read(ws, "scores"))
    assert base is not None and base.version == int(hist["version"].max())
    assert changes == []


def test_bottlenecks_are_the_destinations_each_agency_holds_back(ws: Workspace) -> None:
    config = workspace_readiness_config(ws)[0]
    s = _read(ws, "scores")
    report = rapor(ws, config)
    assert [a.key for a in report.agencies] == list(_toml()["dimensions"])
    for a in report.agencies:
        mine = s[s["bottleneck"] == a.key]
        assert sorted(b.id for b in a.bottlenecks) == sorted(mine["id"])
        gains = [b.gain for b in a.bottlenecks]
        assert gains == sorted(gains, reverse=True)
        for b in a.bottlenecks:
            assert b.gain == pytest.approx(float(mine.set_index("id").loc[b.id, f"gain_{a.key}"]))
    assert sum(len(a.bottlenecks) for a in report.agencies) == int(s["bottleneck"].notna().sum())


def test_a_kominfo_task_adopted_budgeted_and_proven_shows_in_the_rapor(ws: Workspace) -> None:
    """The proof of issue 13 on the workspace: a Kominfo editor adopts the "portal" task of
    a destination not yet on the portal with a budget and a target year, moves it to
    berjalan, then to selesai with the data change that proves it. After the recomputation
    the destination's score_low rises by exactly Kominfo's weight x the portal indicator's
    share of Kominfo's indicator weight x 100 (readiness.toml), the rapor counts the task
    and its budget (a cancelled task's budget is not committed), dates Kominfo's update
    with the proof's version, and the destination's trend has one more point."""
    from geo.steps.tasks import adopt_task, list_tasks, update_task

    toml = _toml()["dimensions"]["kominfo"]
    ind = toml["indicators"]
    share = ind["portal"]["weight"] / sum(i["weight"] for i in ind.values())
    delta = toml["weight"] * 100.0 * share
    config = workspace_readiness_config(ws)[0]
    dest = _read(ws, "destinations").set_index("id")
    tasks = list_tasks(ws, agency="kominfo")
    portal = tasks[(tasks["indicator"] == "portal")
                   & tasks["destination_id"].map(lambda i: dest.loc[i, "promosi_portal"] != 1)]
    tid, id = str(portal["task_id"].iloc[0]), str(portal["destination_id"].iloc[0])
    other = str(tasks[tasks["destination_id"] != id]["task_id"].iloc[0])
    low0 = float(_read(ws, "scores").set_index("id").loc[id, "score_low"])
    trend0 = len(destination_trend(ws, id))

    adopt_task(ws, tid, {"budget_rp": 150_000_000, "target_year": 2027}, user=KOMINFO)
    adopt_task(ws, other, {"budget_rp": 99_000_000}, user=KOMINFO)
    update_task(ws, other, {"status": "batal"}, user=KOMINFO)
    update_task(ws, tid, {"status": "berjalan", "progress_pct": 40}, user=KOMINFO)
    # commitments are not data: Kominfo has still not updated its data
    k0 = next(a for a in rapor(ws, config).agencies if a.key == "kominfo")
    assert k0.last_update is None
    done = update_task(ws, tid, {"status": "selesai"}, user=KOMINFO,
                       proof_values={"promosi_portal": "ya"})
    recompute(ws)

    s = _read(ws, "scores").set_index("id")
    assert s.loc[id, "score_low"] == pytest.approx(low0 + delta, abs=1e-9)
    assert len(destination_trend(ws, id)) == trend0 + 1
    report = rapor(ws, config)
    k = next(a for a in report.agencies if a.key == "kominfo")
    assert k.counts == {"direncanakan": 0, "berjalan": 0, "selesai": 1, "batal": 1}
    assert k.adopted == 1
    assert k.committed_rp == 150_000_000
    got = k.tasks.set_index("task_id")
    assert got.loc[tid, "status"] == "selesai" and got.loc[tid, "budget_rp"] == 150_000_000
    assert int(got.loc[tid, "target_year"]) == 2027
    assert k.last_update is not None and k.last_update.version == done.version
    assert k.last_update.days == 0
    assert all(a.committed_rp == 0 and a.adopted == 0 for a in report.agencies
               if a.key != "kominfo")
