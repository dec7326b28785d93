"""score_and_priorities_workspace (``priorities --with-score``, the batch, the recompute after
a contribution): one access run for both steps, and the workspace the two steps in turn
write. The reference is :func:`score_workspace` then :func:`priorities_workspace`, each
with its own access run."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import geo.steps.priorities as step
import geo.steps.readiness as score_step
from geo.exceptions import WorkspaceError
from geo.io.workspace import Workspace
from geo.steps import priorities_workspace, score_and_priorities_workspace, score_workspace
from geo.steps.configs import network_of

WRITTEN = ("scores", "priorities", "gateway_report", "scores_history")


def _copy(src: Path, to: Path) -> Workspace:
    shutil.copyfile(src, to)
    return Workspace(to)


def _frame(ws: Workspace, layer: str) -> pd.DataFrame:
    if layer in ("gateway_report", "scores_history"):
        return ws.read_table(layer)
    frame = ws.read(layer)
    return pd.DataFrame(frame.drop(columns=frame.geometry.name)).assign(
        wkb=frame.geometry.to_wkb())


def _same_workspace(a: Workspace, b: Workspace) -> None:
    for layer in WRITTEN:
        pd.testing.assert_frame_equal(_frame(a, layer), _frame(b, layer), check_exact=True)
    # the same records, but for when each was written
    meta_a, meta_b = a.metadata(), b.metadata()
    assert {k for k in meta_a if not k.endswith("_at")} == {
        k for k in meta_b if not k.endswith("_at")}
    for key in meta_a:
        if not key.endswith("_at") and key != "configs":
            assert meta_a[key] == meta_b[key], key
    for layer in ("scores", "priorities"):
        assert a.stored_configs(layer) == b.stored_configs(layer)
    pd.testing.assert_frame_equal(a.sources().drop(columns="date"),
                                  b.sources().drop(columns="date"))
    # ranked after the scores, as the two steps in turn (the API's freshness reads this)
    assert b.metadata()["priorities_at"] > b.metadata()["scores_at"]


def _counting_access(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every network configuration an access run of the steps was made with."""
    runs: list[Any] = []
    real = step.compute_access
    assert score_step.compute_access is real

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(args[1] if len(args) > 1 else kwargs.get("config"))
        return real(*args, **kwargs)

    monkeypatch.setattr(step, "compute_access", counted)
    monkeypatch.setattr(score_step, "compute_access", counted)
    return runs


@pytest.mark.parametrize("ws_name", ["andorra_ws", "demo_ws"])
def test_both_at_once_write_what_the_two_steps_write_with_one_access_run(
        ws_name: str, request: pytest.FixtureRequest, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    src = request.getfixturevalue(ws_name)
    apart, both = _copy(src, tmp_path / "apart.gpkg"), _copy(src, tmp_path / "both.gpkg")
    score_workspace(apart)
    priorities_workspace(apart, authority="all")
    runs = _counting_access(monkeypatch)
    scores, ranked = score_and_priorities_workspace(both, authority="all")
    assert len(runs) == 1
    assert len(scores.table) == len(both.read("destinations")) and len(ranked.table)
    _same_workspace(apart, both)


def test_other_network_configurations_get_their_own_access_runs(
        andorra_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the scores on a slower walk than the priorities: two sets of travel times
    _, default = network_of(None)
    assert "speed_kmh = 5.0" in default.text
    slow = tmp_path / "jalan-lambat.toml"
    slow.write_text(default.text.replace("speed_kmh = 5.0", "speed_kmh = 3.5", 1),
                    encoding="utf-8")
    apart, both = (_copy(andorra_ws, tmp_path / "apart.gpkg"),
                   _copy(andorra_ws, tmp_path / "both.gpkg"))
    score_workspace(apart, network_config=slow)
    priorities_workspace(apart, authority="all")
    runs = _counting_access(monkeypatch)
    score_and_priorities_workspace(both, authority="all", score_network_config=slow)
    assert len(runs) == 2
    _same_workspace(apart, both)
    # and the slower walk did reach the scores (else this test could not fail)
    plain = _copy(andorra_ws, tmp_path / "plain.gpkg")
    score_workspace(plain)
    assert not _frame(plain, "scores").equals(_frame(both, "scores"))


def test_without_gateways_nothing_is_written(demo_ws: Path, tmp_path: Path) -> None:
    # the score step cannot run without them either: refused before any work
    src = Workspace(demo_ws)
    ws = Workspace(tmp_path / "tanpa-gerbang.gpkg")
    with ws.update(create=True) as stage:
        for layer in ("boundary", "roads", "destinations", "umkm"):
            stage.write(layer, src.read(layer))
    before = ws.layers()
    with pytest.raises(WorkspaceError, match="gateways"):
        score_workspace(_copy(ws.path, tmp_path / "skor.gpkg"))
    with pytest.raises(WorkspaceError, match="gateways tidak ada"):
        score_and_priorities_workspace(ws, authority="all")
    assert ws.layers() == before
