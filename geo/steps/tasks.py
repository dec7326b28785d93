"""Rencana aksi (issue 13): a destination's gaps as tasks that the owning agency adopts,
budgets, follows and closes with the data change that proves it.

A **task** is one indicator gap of one destination, owned by the agency (dimension key of
readiness.toml) whose indicator it is: ``task_id = "<destination>:<dimension>:<indicator>"``
(indicator ``_data`` when nothing of the agency is known). Tasks are SUGGESTED by the current
scores (status ``usulan``, never stored: the ``tasks`` column the score step writes, from the
``task`` / ``proof`` keys of readiness.toml) and ADOPTED by an editor of the owning agency
into the workspace table ``tasks``. Every change of that table goes through one
:meth:`~geo.io.workspace.Workspace.update` with a :class:`~geo.io.history.Recorder` (version
kind ``task``, ``changes`` rows of layer ``tasks``), so ``/riwayat`` and
:func:`geo.io.history.last_updates` see it; a task change alone does not mark the scores stale.

Marking a task ``selesai`` needs its proof: a recorded version that changed the linked data
(``proof_version``), or the new values (``proof_values``) applied through the contribution
edits (:func:`geo.steps.contribute.edit_destination`, :func:`~geo.steps.contribute.edit_road`)
in the SAME update as the task.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

import numpy as np
import pandas as pd
import pyogrio

from geo.exceptions import InputError, Problem
from geo.io.history import CHANGES, TASKS
from geo.io.workspace import Workspace
from geo.readiness import ReadinessConfig
from geo.readiness._scoring import id_number
from geo.readiness.model import SCORES_LAYER

STATUSES: Final = ("usulan", "direncanakan", "berjalan", "selesai", "batal")
"""``usulan`` = suggested by the scores, not adopted yet (never stored)."""
SUGGESTED: Final = STATUSES[0]
ADOPTED: Final = STATUSES[1:]
DONE: Final = "selesai"
FORM: Final = "formulir"
PRIORITIES: Final = "priorities"
STORED_COLUMNS: Final = (
    "task_id", "destination_id", "agency", "indicator", "text", "proof_layer",
    "proof_feature_ids", "proof_field", "estimated_cost_rp", "status", "budget_rp",
    "target_year", "program_code", "progress_pct", "notes", "proof_version", "adopted_at",
    "adopted_by", "updated_at", "updated_by",
)
"""The columns of the workspace table ``tasks``."""
COLUMNS: Final = (
    "task_id", "destination_id", "destination_name", "agency", "agency_name", "indicator",
    "text", "proof_layer", "proof_feature_ids", "proof_field", "estimated_cost_rp", "status",
    "budget_rp", "target_year", "program_code", "progress_pct", "notes", "proof_version",
    "adopted_at", "adopted_by", "updated_at", "updated_by", "version",
)
"""The columns of :func:`list_tasks` (``version``: the workspace version of the task's last
change, 0 for a suggestion; what :func:`update_task`'s ``expect_version`` compares)."""
FIELDS: Final = ("status", "budget_rp", "target_year", "program_code", "progress_pct", "notes")
"""What an editor records on a task."""
YEAR_RANGE: Final = (2000, 2100)
MAX_TEXT: Final = 2000


# --- ids and texts (pure) ----------------------------------------------------------------------


def task_id(destination_id: str, dimension: str, indicator: str) -> str:
    """The stable id of a task: ``"<destination>:<dimension>:<indicator>"``."""
    return f"{destination_id}:{dimension}:{indicator}"


def split_task_id(tid: str) -> tuple[str, str, str]:
    """``(destination_id, dimension, indicator)`` of a task id (the destination id may
    itself hold ``:``; the last two parts never do)."""
    parts = str(tid).rsplit(":", 2)
    if len(parts) != 3 or not all(parts):
        raise InputError([Problem(FORM, f"task_id '{tid}' tidak sah (invalid task id); "
                                        "bentuknya <destinasi>:<dinas>:<indikator>",
                                  field="task_id")])
    return parts[0], parts[1], parts[2]


def rupiah_short(value: float) -> str:
    """Rupiah as planners say it: ``Rp 8 M`` (miliar), ``Rp 750 jt`` (juta)."""
    if value >= 1e9:
        return f"Rp {id_number(value / 1e9, 1).removesuffix(',0')} M"
    if value >= 1e6:
        return f"Rp {id_number(value / 1e6, 0)} jt"
    return f"Rp {id_number(value, 0)}"


def _km_text(upgrade: str) -> str:
    """Upgrade labels of the priorities (``... 3.20 km``) with Indonesian numbers."""
    return re.sub(r"(\d+(?:\.\d+)?) km", lambda m: f"{id_number(float(m.group(1)), 1)} km",
                  upgrade)


def _blank(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


# --- suggested tasks -------------------------------------------------------------------------


def _empty(columns: tuple[str, ...] = COLUMNS) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _scores_tasks(ws: Workspace, config: ReadinessConfig) -> pd.DataFrame:
    """One row per gap the current scores name (the scores layer's ``tasks`` column)."""
    if not ws.has(SCORES_LAYER):
        return _empty()
    fields = set(pyogrio.read_info(ws.path, layer=SCORES_LAYER)["fields"])
    want = [c for c in ("id", "name", "tasks") if c in fields]
    if "tasks" not in want:
        return _empty()  # scored before issue 13: re-score to list suggestions
    t = pyogrio.read_dataframe(ws.path, layer=SCORES_LAYER, columns=want, read_geometry=False)
    rows: list[dict[str, Any]] = []
    for did, name, raw in zip(t["id"].astype(str), t.get("name", t["id"]), t["tasks"],
                              strict=True):
        for item in json.loads(raw) if isinstance(raw, str) and raw else []:
            dim = item["dimension"]
            if dim not in config.dimensions:
                continue
            layer, _, field = str(item.get("proof", "")).partition(".")
            rows.append({
                "task_id": task_id(did, dim, item["indicator"]), "destination_id": did,
                "destination_name": name, "agency": dim, "indicator": item["indicator"],
                "text": f"{config.dimensions[dim].short}: {item['text']}",
                "proof_layer": layer, "proof_feature_ids": [did] if layer == "destinations"
                else [], "proof_field": field, "estimated_cost_rp": math.nan,
            })
    return pd.DataFrame(rows) if rows else _empty()


def _surface_labels(ws: Workspace) -> set[str] | None:
    """Labels of the upgrade options that change a road's surface (from the priorities
    configuration the stored priorities were computed with); None when not recorded."""
    from geo.steps.configs import read_stored_priorities_configs

    stored = read_stored_priorities_configs(ws)
    if stored is None:
        return None
    return {opt.label for opt in stored[0].upgrades.values() if opt.to_surface}


def _with_sections(tasks: pd.DataFrame, ws: Workspace, config: ReadinessConfig) -> pd.DataFrame:
    """Road tasks of the road-access agency (a proof of ``roads.surface`` or
    ``roads.condition``) name the best-ranked priorities section that serves the destination
    (a surface task: a section whose upgrade changes the surface), with its length and cost."""
    if config.access is None:
        return tasks
    road = config.access.road_dimension
    mask = ((tasks["agency"] == road) & (tasks["proof_layer"] == "roads")
            & tasks["proof_field"].isin(["surface", "condition"])).to_numpy(dtype=bool)
    if not mask.any() or not ws.has(PRIORITIES):
        return tasks
    fields = set(pyogrio.read_info(ws.path, layer=PRIORITIES)["fields"])
    need = ["rank", "ruas_id", "upgrade", "cost_rp", "destinations"]
    if not set(need) <= fields:
        return tasks
    p = pyogrio.read_dataframe(ws.path, layer=PRIORITIES, columns=need, read_geometry=False)
    p = p.assign(served=p["destinations"].fillna("").astype(str).str.split("; "))
    p = p.explode("served")
    p = p[p["served"].astype(bool)].sort_values(["rank", "ruas_id"], kind="stable")
    labels = _surface_labels(ws)
    upgrade = p["upgrade"].fillna("").astype(str)
    p["paves"] = (upgrade.map(lambda u: any(lb in u for lb in labels)) if labels is not None
                  else True)
    best = p.drop_duplicates("served")
    best_surface = p[p["paves"].astype(bool)].drop_duplicates("served")
    pick = {"condition": best.set_index("served"), "surface": best_surface.set_index("served")}
    short = config.dimensions[road].short
    texts = tasks["text"].tolist()
    proof_ids = tasks["proof_feature_ids"].tolist()
    costs = tasks["estimated_cost_rp"].astype(float).tolist()
    fields_, names = tasks["proof_field"].tolist(), tasks["destination_name"].tolist()
    for i in np.flatnonzero(mask).tolist():
        table = pick[str(fields_[i])]
        if str(names[i]) not in table.index:
            continue
        s = table.loc[str(names[i])]
        cost = float(s["cost_rp"]) if not _blank(s["cost_rp"]) else math.nan
        money = f" ({rupiah_short(cost)})" if math.isfinite(cost) else ""
        texts[i] = f"{short}: {_km_text(str(s['upgrade']))} ruas {s['ruas_id']}{money}"
        proof_ids[i] = [str(s["ruas_id"])]
        costs[i] = cost
    out = tasks.copy()
    out["text"] = texts
    out["proof_feature_ids"] = proof_ids
    out["estimated_cost_rp"] = costs
    return out


# --- stored tasks ------------------------------------------------------------------------------


def read_stored(ws: Workspace) -> pd.DataFrame:
    """The workspace table ``tasks`` (adopted tasks), typed; empty with its columns."""
    t = ws.read_table(TASKS)
    if t.empty:
        return _empty(STORED_COLUMNS)
    for c in ("estimated_cost_rp", "budget_rp", "progress_pct"):
        t[c] = pd.to_numeric(t[c], errors="coerce").astype(float)
    for c in ("target_year", "proof_version"):
        t[c] = pd.to_numeric(t[c], errors="coerce").astype("Int64")
    return t[list(STORED_COLUMNS)].reset_index(drop=True)


def task_versions(ws: Workspace) -> dict[str, int]:
    """The workspace version of each task's last recorded change."""
    if not ws.has(CHANGES):
        return {}
    ch = pyogrio.read_dataframe(ws.path, layer=CHANGES, columns=["version", "feature_id"],
                                read_geometry=False, where=f"layer = '{TASKS}'")
    if ch.empty:
        return {}
    last = ch.groupby("feature_id")["version"].max()
    return {str(k): int(v) for k, v in last.items()}


def _config(ws: Workspace, config: ReadinessConfig | None) -> ReadinessConfig:
    if config is not None:
        return config
    from geo.steps.configs import workspace_readiness_config

    return workspace_readiness_config(ws)[0]


def _ids(v: object) -> list[str]:
    if isinstance(v, list):
        return [str(x) for x in v]
    if isinstance(v, str) and v.strip():
        got = json.loads(v)
        return [str(x) for x in got] if isinstance(got, list) else []
    return []


def list_tasks(ws: Workspace, *, agency: str | None = None, status: str | None = None,
               destination: str | None = None,
               config: ReadinessConfig | None = None) -> pd.DataFrame:
    """Every task: the gaps the CURRENT scores name (``usulan``) merged with the adopted
    tasks stored in the workspace (an adopted task whose gap has since closed is still
    listed, with the text it was adopted with).

    Parameters
    ----------
    agency, status, destination
        Keep only this agency's (dimension key), this status's or this destination's tasks.
    config
        The readiness configuration (default: the one the workspace scored with).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS`, one row per task: suggestions in the scores' order,
        then adopted tasks whose gap the scores no longer name. ``proof_feature_ids`` is a
        list of ids (the destination, or the road sections a road task names).

    Raises
    ------
    InputError
        An unknown ``status`` or ``agency``.
    """
    ws.require()
    cfg = _config(ws, config)
    if status is not None and status not in STATUSES:
        raise InputError([Problem(FORM, f"status '{status}' tidak dikenal (unknown status); "
                                        f"pilih: {', '.join(STATUSES)}", field="status")])
    if agency is not None and agency not in cfg.dimensions:
        raise InputError([Problem(FORM, f"dinas '{agency}' tidak dikenal (unknown agency); "
                                        f"pilih: {', '.join(cfg.names)}", field="agency")])
    suggested = _scores_tasks(ws, cfg)
    if len(suggested):
        suggested = _with_sections(suggested, ws, cfg)
    stored = read_stored(ws)
    names = dict(zip(suggested["destination_id"], suggested["destination_name"], strict=True))
    if len(stored) and ws.has("destinations"):
        d = pyogrio.read_dataframe(ws.path, layer="destinations", columns=["id", "name"],
                                   read_geometry=False)
        names = {**dict(zip(d["id"].astype(str), d["name"], strict=True)), **names}
    adopted = stored.set_index("task_id", drop=False)
    rows = suggested.set_index("task_id", drop=False) if len(suggested) else _empty().set_index(
        "task_id", drop=False)
    out = pd.concat([rows.drop(index=adopted.index, errors="ignore"), adopted], ignore_index=False)
    # adopted tasks take their suggestion's place in the order
    order = {t: i for i, t in enumerate(rows.index)}
    pos = np.array([order.get(t, len(order) + j) for j, t in enumerate(out.index)])
    out = out.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)
    out["status"] = out["status"].where(out["status"].notna(), SUGGESTED)
    out["destination_name"] = [names.get(str(d)) for d in out["destination_id"]]
    out["agency_name"] = [cfg.dimensions[a].agency if a in cfg.dimensions else a
                          for a in out["agency"]]
    out["proof_feature_ids"] = [_ids(v) for v in out["proof_feature_ids"]]
    versions = task_versions(ws)
    out["version"] = pd.array([versions.get(str(t), 0) for t in out["task_id"]], dtype="Int64")
    for c in ("estimated_cost_rp", "budget_rp", "progress_pct"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    for c in ("target_year", "proof_version"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    sel = np.ones(len(out), dtype=bool)
    if agency is not None:
        sel &= (out["agency"] == agency).to_numpy(dtype=bool)
    if status is not None:
        sel &= (out["status"] == status).to_numpy(dtype=bool)
    if destination is not None:
        sel &= (out["destination_id"].astype(str) == str(destination)).to_numpy(dtype=bool)
    return out.loc[sel, list(COLUMNS)].reset_index(drop=True)
