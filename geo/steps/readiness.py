"""The scoring step: access, inputs and readiness scores of a workspace (``siapwisata score``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._progress import SILENT, Reporter
from geo.access import AccessResult
from geo.exceptions import WorkspaceError
from geo.io import check_out_path
from geo.io.history import CLI_ACTOR, Entry, append_scores
from geo.io.workspace import Source, Workspace, writes_workspace
from geo.network import NetworkConfig
from geo.readiness import (
    ASSUMPTION_NOTE,
    OUT_SUFFIXES,
    SCORES_LAYER,
    UMKM_COLUMNS,
    ReadinessConfig,
    ScoreResult,
    score_frame,
    write_scores,
)
from geo.schema import GATEWAY_REPORT, WGS84
from geo.steps.access import compute_access
from geo.steps.configs import ConfigText, network_of, readiness_of


def build_inputs(ws: Workspace, access: AccessResult) -> gpd.GeoDataFrame:
    """Join the destinations layer with the access table (and gateway labels) for scoring.

    Access columns win over same-named destination attributes. Without UMKM data in the
    workspace the UMKM counts are unknown (NaN), not zero; without gateways the travel
    times, routes and transport options are unknown.
    """
    # the layers the access run was given: read again, they would be the same rows
    # (20-30 ms of a run at Andorra size)
    dest, gws_layer = access.layers["destinations"], access.layers["gateways"]
    acc = access.destinations.copy()
    geom = dest.geometry
    if len(dest) and not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    attrs = pd.DataFrame(dest.drop(columns=dest.geometry.name))
    keep = [c for c in attrs.columns if c == "id" or c not in acc.columns]
    acc.index = acc.index.astype(object)
    acc.index.name = "id"
    joined = attrs[keep].join(acc, on="id", how="left")
    if "access_gateway" in joined.columns:
        gws = pd.DataFrame(gws_layer.drop(columns=gws_layer.geometry.name))
        gws = gws.drop_duplicates("id").set_index("id")
        joined["access_gateway_name"] = joined["access_gateway"].map(_lookup(gws, "name"))
        if "iata" in gws.columns:
            joined["access_gateway_iata"] = joined["access_gateway"].map(_lookup(gws, "iata"))
    if gws_layer.empty:
        # No trip origins: travel times, routes and transport options are unknown, not
        # "unreachable" (the engine reports every destination as not reached).
        for col in joined.columns:
            if col in ("access_gateway", "route_modes", "reach_road", "reach_water",
                       "reach_air"):
                joined[col] = pd.Series(None, index=joined.index, dtype=object)
            elif col.startswith("route_") or col == "access_minutes":
                joined[col] = np.nan
    if ws.is_empty("umkm"):
        for col in UMKM_COLUMNS:
            if col in joined.columns:
                joined[col] = np.nan
        joined = joined.drop(columns=["umkm_30min_penginapan"], errors="ignore")
    joined["inputs_synthetic"] = ws.any_synthetic("roads", "umkm", "gateways", "pois")
    return gpd.GeoDataFrame(joined, geometry=np.asarray(geom.values), crs=dest.crs or WGS84)


def _lookup(frame: pd.DataFrame, col: str) -> dict[Any, Any]:
    s = frame[col].astype(object)
    return {k: v for k, v in s.items() if isinstance(v, str) and v.strip()}


@dataclass(frozen=True)
class ScoreJob:
    """A score step's arguments, checked before any work (:func:`score_job`)."""

    config: ReadinessConfig
    config_text: ConfigText
    network: NetworkConfig
    network_text: ConfigText
    out: Path | None


def score_job(ws: Workspace, config: str | os.PathLike[str] | ConfigText | None = None,
              out: str | os.PathLike[str] | None = None, *,
              network_config: str | os.PathLike[str] | ConfigText | None = None) -> ScoreJob:
    """Check a score step's output path, configurations and workspace, before any work."""
    out_path = check_out_path(out, OUT_SUFFIXES)
    ws.require()
    cfg, cfg_text = readiness_of(config)
    net_cfg, net_text = network_of(network_config)
    if ws.is_empty("destinations"):
        raise WorkspaceError(
            f"{ws.path}: tidak ada destinasi untuk dinilai; "
            "impor dulu dengan 'siapwisata import destinations'"
        )
    return ScoreJob(cfg, cfg_text, net_cfg, net_text, out_path)


@writes_workspace
def score_workspace(
    ws: Workspace,
    config: str | os.PathLike[str] | ConfigText | None = None,
    out: str | os.PathLike[str] | None = None,
    reporter: Reporter = SILENT,
    *,
    network_config: str | os.PathLike[str] | ConfigText | None = None,
    actor: str = CLI_ACTOR,
) -> ScoreResult:
    """Score every destination of a workspace; write layer ``scores`` and optionally a file.

    The output path is checked before any work, the workspace is changed atomically
    (``ws.update()``), then ``out`` (.csv, .geojson or .xlsx) is written. ``config`` (readiness)
    and ``network_config`` default to the settings' files (or are the texts a workspace
    recorded); the texts used are recorded in the workspace (metadata ``configs``, layer
    ``scores``). The update clears ``scores_stale`` and appends the scores of a new data
    version to ``scores_history`` (:func:`geo.io.history.append_scores`), as ``actor``.

    Raises
    ------
    SiapError
        Unknown output format; WorkspaceError without destinations; ConfigError for a bad
        configuration; whatever the accessibility engine raises.
    """
    job = score_job(ws, config, out, network_config=network_config)
    reporter.step("Menghitung aksesibilitas (accessibility)")
    access = compute_access(ws, job.network, reporter=reporter)
    return score_with(ws, job, access, reporter, actor=actor)


def score_with(ws: Workspace, job: ScoreJob, access: AccessResult,
               reporter: Reporter = SILENT, *, actor: str = CLI_ACTOR) -> ScoreResult:
    """The scores of ``access`` (the access run of ``job.network`` on ``ws``), written to
    the workspace and to ``job.out``: :func:`score_workspace` after its access run."""
    cfg, cfg_text, net_text, out_path = job.config, job.config_text, job.network_text, job.out
    cfg_path = Path(cfg_text.path)
    reporter.step("Menghitung skor kesiapan")
    inputs = build_inputs(ws, access)
    table = score_frame(inputs, cfg)
    table = gpd.GeoDataFrame(table, geometry=table.geometry.name, crs=WGS84)
    synthetic = bool(table["synthetic"].any())
    # made when read (the priorities step does not need them): before the write, not in it
    reporter.step(f"Waktu tempuh dari {len(access.gateway_ids)} gerbang")
    gateways = access.gateways
    reporter.step("Menulis layer 'scores' (writing)")
    with ws.update() as stage:
        stage.write(SCORES_LAYER, table)
        stage.write_table(GATEWAY_REPORT, gateways)
        stage.set_meta(scores_config=str(cfg_path), scores_at=datetime.now(UTC).isoformat())
        stage.record_configs(SCORES_LAYER, readiness=cfg_text, network=net_text)
        append_scores(stage, table, cfg.names,
                      Entry(actor, actor, "score", "skor kesiapan dihitung ulang "
                            f"(konfigurasi {cfg_path.name})"))
        stage.add_source(
            Source(
                name="SIAP Wisata: skor kesiapan",
                layer=SCORES_LAYER,
                date=datetime.now(UTC).date().isoformat(),
                licence="turunan dari layer workspace",
                synthetic=synthetic,
                note=f"{ASSUMPTION_NOTE}; konfigurasi {cfg_path.name}",
            )
        )
    notes = []
    if access.layers["gateways"].empty:
        notes.append("tidak ada gerbang: waktu tempuh dan moda tidak diketahui; "
                     "tambahkan dengan 'siapwisata import gateways'")
    if ws.is_empty("umkm"):
        notes.append("tidak ada data UMKM: dimensi UMKM tidak diketahui")
    result = ScoreResult(
        table=table, config=cfg, config_path=cfg_path, out=out_path, notes=notes,
        gateways=gateways,
    )
    if out_path is not None:
        reporter.step(f"Menulis {out_path}")
        write_scores(table, out_path, cfg, {"readiness": cfg_text, "network": net_text})
    return result
