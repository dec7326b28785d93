"""The priorities and scenario steps (``siapwisata priorities``, ``siapwisata scenario``)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import fmt
from geo._memory import give_back
from geo._progress import SILENT, Reporter
from geo.access import AccessResult, compute_access_frames, populated_places
from geo.exceptions import SiapError, WorkspaceError
from geo.io import check_out_path
from geo.io.history import CLI_ACTOR
from geo.io.workspace import Source, Workspace, writes_workspace
from geo.network import NetworkConfig, read_network_config
from geo.priorities import PrioritiesConfig, read_priorities_config
from geo.priorities.config import ASSUMPTION_NOTE
from geo.priorities.output import LAYER, OUT_SUFFIXES, write_priorities, write_scenario
from geo.priorities.scenario import ScenarioResult, read_works, scenario_frames
from geo.priorities.selection import PrioritiesResult, SharedScan, priorities_frame
from geo.readiness import (
    ReadinessConfig,
    ScoreResult,
    dimension_labels,
    read_readiness_config,
    score_frame,
)
from geo.steps.access import compute_access
from geo.steps.configs import ConfigText, network_of, priorities_of, readiness_of
from geo.steps.readiness import build_inputs, score_job, score_with


def _require(ws: Workspace, *layers: str) -> None:
    ws.require()
    missing = [name for name in layers if not ws.has(name)]
    if missing:
        raise WorkspaceError(f"{ws.path}: layer {', '.join(missing)} tidak ada; "
                             "jalankan dulu ingest-osm, impor data OPD atau bangun workspace contoh (demo)")


def inputs_synthetic(ws: Workspace) -> bool:
    """Whether the destinations, gateways, kampung or places used hold synthetic rows."""
    return ws.any_synthetic("destinations", "gateways", "admin_areas", "pois")


@writes_workspace
def priorities_workspace(ws: Workspace, budget: float | None = None,
                         authority: str = "kabupaten", out: str | os.PathLike[str] | None = None,
                         reporter: Reporter = SILENT, *,
                         config: str | os.PathLike[str] | ConfigText | None = None,
                         readiness_config: str | os.PathLike[str] | ConfigText | None = None,
                         network_config: str | os.PathLike[str] | ConfigText | None = None
                         ) -> PrioritiesResult:
    """Rank road upgrades of a workspace; write layer ``priorities`` and optionally a file.

    ``config`` (priorities), ``readiness_config`` and ``network_config`` default to the
    settings' files; the texts used are recorded in the workspace (metadata ``configs``,
    layer ``priorities``) and listed in the 'Asumsi' sheet.

    The output path, authority and budget are checked before any work; the workspace is
    changed atomically; ``out`` may be .csv, .xlsx (formatted, with an 'Asumsi' sheet) or
    .gpkg.

    Raises
    ------
    SiapError
        Bad output format, authority or budget; WorkspaceError without roads, destinations
        or gateways; ConfigError for a bad configuration.
    """

    job = priorities_job(ws, budget, authority, out, config=config,
                         readiness_config=readiness_config, network_config=network_config)
    access, scan = _access_run(ws, job, reporter)
    return write_ranked(ws, job, rank_with(ws, job, access, scan, reporter), reporter)


def _access_run(ws: Workspace, job: PrioritiesJob, reporter: Reporter
                ) -> tuple[AccessResult, SharedScan]:
    """A priorities step's access run, once its layers are there: one scan of every
    destination serves the access table and the scorer's bounds."""
    _require(ws, "roads", "destinations", "gateways")
    reporter.step("Menghitung aksesibilitas (accessibility)")
    scan = SharedScan(job.config, job.authority, reporter=reporter)
    return compute_access(ws, job.network, reporter=reporter, scan=scan), scan


@dataclass(frozen=True)
class PrioritiesJob:
    """A priorities step's arguments, checked before any work (:func:`priorities_job`)."""

    config: PrioritiesConfig
    readiness: ReadinessConfig
    network: NetworkConfig
    texts: dict[str, ConfigText]
    authority: str
    budget: float | None
    out: Path | None


def priorities_job(ws: Workspace, budget: float | None = None, authority: str = "kabupaten",
                   out: str | os.PathLike[str] | None = None, *,
                   config: str | os.PathLike[str] | ConfigText | None = None,
                   readiness_config: str | os.PathLike[str] | ConfigText | None = None,
                   network_config: str | os.PathLike[str] | ConfigText | None = None
                   ) -> PrioritiesJob:
    """Check a priorities step's output path, configurations, authority and budget (not
    yet the workspace's layers), before any work."""
    out_path = check_out_path(out, OUT_SUFFIXES)
    cfg, cfg_text = priorities_of(config)
    readiness, readiness_text = readiness_of(readiness_config)
    net_cfg, net_text = network_of(network_config)
    cfg.allowed(authority)
    if budget is not None and not (math.isfinite(budget) and budget >= 0):
        raise SiapError(f"--budget harus angka >= 0, bukan {budget}")
    return PrioritiesJob(cfg, readiness, net_cfg,
                         {"priorities": cfg_text, "readiness": readiness_text,
                          "network": net_text}, authority, budget, out_path)


def rank_with(ws: Workspace, job: PrioritiesJob, access: AccessResult, scan: SharedScan,
              reporter: Reporter = SILENT) -> PrioritiesResult:
    """The priorities of ``access`` (the access run of ``job.network`` on ``ws``, with
    ``scan``): :func:`priorities_workspace` after its access run, before its writes
    (:func:`write_ranked`)."""
    destinations = access.layers["destinations"]  # as read by the access run
    inputs = pd.DataFrame(build_inputs(ws, access))
    result = priorities_frame(access, destinations, authority=job.authority,
                              budget=job.budget, config=job.config, score_inputs=inputs,
                              readiness=job.readiness,
                              synthetic=inputs_synthetic(ws) or ws.any_synthetic("roads"),
                              reporter=reporter, scan=scan)
    result.configs = dict(job.texts)
    return result


def write_ranked(ws: Workspace, job: PrioritiesJob, result: PrioritiesResult,
                 reporter: Reporter = SILENT) -> PrioritiesResult:
    """Write :func:`rank_with`'s ``result`` to the workspace and to ``job.out``."""
    authority, budget, out_path = job.authority, job.budget, job.out
    reporter.step("Menulis layer 'priorities' (writing)")
    with ws.update() as stage:
        stage.write(LAYER, result.table)
        stage.record_configs(LAYER, **result.configs)
        stage.set_meta(priorities_authority=authority,
                       priorities_budget="" if budget is None else f"{budget:.0f}",
                       priorities_at=datetime.now(UTC).isoformat())
        stage.add_source(Source(
            name="SIAP Wisata: prioritas ruas jalan", layer=LAYER,
            date=datetime.now(UTC).date().isoformat(),
            licence="turunan dari layer workspace", synthetic=result.synthetic,
            note=(f"{ASSUMPTION_NOTE}; kewenangan {authority}; "
                  + ("tanpa anggaran" if budget is None else f"anggaran {fmt.rupiah(budget)}"))))
    if out_path is not None:
        reporter.step(f"Menulis {out_path}")
        write_priorities(result, out_path)
    result.out = out_path
    return result


@writes_workspace
def score_and_priorities_workspace(
        ws: Workspace, budget: float | None = None, authority: str = "kabupaten",
        out: str | os.PathLike[str] | None = None, reporter: Reporter = SILENT, *,
        score_config: str | os.PathLike[str] | ConfigText | None = None,
        config: str | os.PathLike[str] | ConfigText | None = None,
        readiness_config: str | os.PathLike[str] | ConfigText | None = None,
        network_config: str | os.PathLike[str] | ConfigText | None = None,
        score_network_config: str | os.PathLike[str] | ConfigText | None = None,
        actor: str = CLI_ACTOR) -> tuple[ScoreResult, PrioritiesResult]:
    """:func:`score_workspace` and :func:`priorities_workspace` as one step under one
    lock: the same layers and records as the two in turn, with one access run for both
    when they use the same network configuration.

    The two steps build the same network, snap the same points and scan every
    destination to the same times; the priorities' scan (with its candidates' bounds)
    gives the access table the score step writes too, so it is made once (at 100 tiles
    of Andorra about a quarter of the two steps' time). The batch and the recompute after
    a contribution run both steps on every region or version.

    ``score_config`` and ``score_network_config`` are the score step's ``config`` and
    ``network_config`` (default: ``readiness_config`` and ``network_config``); the other
    parameters are the priorities step's (``out``: its file). Every argument and the
    layers both steps need are checked before any work. The priorities are ranked
    before the scores are made; the scores are written first, then the priorities, each
    in its own update. An error while ranking writes neither (the scores stay as they
    were, and stale if they were).
    """
    if score_config is None:
        score_config = readiness_config
    if score_network_config is None:
        score_network_config = network_config
    sjob = score_job(ws, score_config, network_config=score_network_config)
    pjob = priorities_job(ws, budget, authority, out, config=config,
                          readiness_config=readiness_config, network_config=network_config)
    # its layers are the score step's too (its access run reads them): nothing is written
    # when one is missing
    access, scan = _access_run(ws, pjob, reporter)
    # Ranked first: the priorities' state (the scan's times to the points, the bounds,
    # the engines) is the step's peak, and the scores table (~0,6 GB at 1.000 tiles) and
    # the score part's freed heap would be held beside it. Written after the scores, as
    # the two steps in turn: ranked after the scores, the priorities are not behind them
    # (api.services.freshness compares the two times).
    ranked = rank_with(ws, pjob, access, scan, reporter)
    del scan
    if sjob.network_text.text != pjob.texts["network"].text:  # other travel times
        del access  # freed before the scores' own access run
        give_back()
        access = compute_access(ws, sjob.network, reporter=reporter)
    else:
        give_back()
    scores = score_with(ws, sjob, access, reporter, actor=actor)
    return scores, write_ranked(ws, pjob, ranked, reporter)


def scenario_workspace(ws: Workspace, what_if: str | os.PathLike[str],
                       out: str | os.PathLike[str] | None = None,
                       reporter: Reporter = SILENT, *,
                       config: str | os.PathLike[str] | None = None,
                       readiness_config: str | os.PathLike[str] | None = None,
                       network_config: str | os.PathLike[str] | None = None) -> ScenarioResult:
    """Apply a file of planned works and score every destination before and after.

    ``config`` (priorities: the upgrade options), ``readiness_config`` and
    ``network_config`` default to the settings' files; all three are used as given (the
    travel times, the scores and the options) and listed in the 'Asumsi' sheet.

    The works file (CSV/XLSX/GeoJSON/GPKG) names each work by ``ruas_id`` (from the
    priorities output), ``osm_way_id`` or road ``name``/``ref``, and gives either an
    ``upgrade`` (an option id or label of ``data/priorities.toml``) or a target
    ``surface`` and/or ``condition``. Every bad line is reported at once (InputError with
    file, line and field). The workspace is not changed; ``out`` (.csv, .xlsx or .gpkg)
    receives the before/after table.

    Raises
    ------
    InputError
        Bad lines in the works file; SiapError for a bad output format; WorkspaceError
        when layers are missing.
    """

    out_path = check_out_path(out, OUT_SUFFIXES)
    cfg, cfg_text = read_priorities_config(config)
    readiness, readiness_text = read_readiness_config(readiness_config)
    net_cfg, net_text = read_network_config(network_config)
    _require(ws, "roads", "destinations", "gateways")
    roads = ws.read("roads")
    works = read_works(what_if, roads, cfg, net_cfg)
    destinations = ws.read("destinations")
    gateways = ws.read("gateways")
    umkm = ws.read("umkm") if ws.has("umkm") else None
    pois = ws.read("pois") if ws.has("pois") else None
    kampung = populated_places(ws.read("admin_areas") if ws.has("admin_areas") else None, pois)

    def score(r: gpd.GeoDataFrame) -> pd.DataFrame:
        reporter.step("Menghitung aksesibilitas dan skor")
        acc = compute_access_frames(r, destinations, gateways, umkm, pois, kampung, net_cfg,
                                    ws.metric_crs())
        return pd.DataFrame(score_frame(build_inputs(ws, acc), readiness, ranks=False))

    road = (readiness.access.road_dimension,) if readiness.access is not None else ()
    table, _ = scenario_frames(roads, works, score, road)
    synthetic = (inputs_synthetic(ws) or ws.any_synthetic("roads")
                 or bool((table["provenance"] == "synthetic").any()))
    result = ScenarioResult(table=table, works=works.summary, synthetic=synthetic,
                            source=str(what_if), out=out_path)
    if out_path is not None:
        reporter.step(f"Menulis {out_path}")
        labels = dimension_labels(readiness)
        headers = {f"score_{d}_{when}": f"{labels[d].header} {word}" for d in road
                   for when, word in (("before", "sebelum"), ("after", "sesudah"))}
        write_scenario(result, out_path, destinations, cfg, net_cfg, headers=headers,
                       configs={"priorities": cfg_text, "readiness": readiness_text,
                                "network": net_text})
    return result


def priorities_setting(meta: Mapping[str, str]) -> tuple[str | None, float | None]:
    """Authority and budget the stored ``priorities`` layer was computed with, from the
    workspace metadata (``priorities_authority``, ``priorities_budget``; None when unset)."""
    authority = meta.get("priorities_authority") or None
    raw = meta.get("priorities_budget", "")
    try:
        budget = float(raw) if raw not in ("", None) else None
    except ValueError:
        budget = None
    return authority, budget


def stored_priorities_setting(ws: Workspace) -> tuple[str | None, float | None]:
    """:func:`priorities_setting` of a workspace."""
    return priorities_setting(ws.metadata())
