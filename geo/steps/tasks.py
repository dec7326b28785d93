"""Rencana aksi (issue 13): a destination's gaps as tasks that the owning agency adopts,
budgets, follows and closes with the data change that proves it.

A **task** is one indicator gap of one destination, owned by the agency (dimension key of
readiness.toml) whose indicator it is: ``task_id = "<destination>:<dimension>:<indicator>"``
(indicator ``_data`` when nothing of the agency is known). Tasks are SUGGESTED by the current
scores (status ``usulan``, never stored: the ``tasks`` column the score step writes, from the
``task`` / ``proof`` keys of readiness.toml) and ADOPTED by an editor of the owning agency
into the workspace table ``tasks``. Every change of that table goes through one
:meth:`~geo.io.workspace.Workspace.update` with a :class:`~geo.io.history.Recorder` (version
kind ``task``, ``changes`` rows of layer ``tasks``), so ``/riwayat`` shows it; a task
change alone changes no data: it does not mark the scores stale, nor count as the agency's last
data update (:func:`geo.io.history.last_updates`).

Marking a task ``selesai`` needs its proof: a recorded version that changed the linked data
(``proof_version``), or the new values (``proof_values``) applied through the contribution
edits (:func:`geo.steps.contribute.edit_destination`, :func:`~geo.steps.contribute.edit_road`)
in the SAME update as the task.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import pyogrio

from geo import fmt
from geo.accounts import User
from geo.exceptions import InputError, Problem, ScopeError, StaleVersion
from geo.io import number, road_sections, ruas_rows, text
from geo.io.history import (
    CHANGES,
    TASKS,
    TRACKED,
    feature_ids,
    last_version,
    value_json,
    values_hold,
)
from geo.io.workspace import Workspace, atomic_write, utc_now, writes_workspace
from geo.labels import label
from geo.readiness import DATA_TASK, ReadinessConfig
from geo.readiness.model import SCORES_LAYER

if TYPE_CHECKING:
    from geo.steps.contribute import Applied

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
    "adopted_at", "adopted_by", "updated_at", "updated_by", "version", "proof_holds",
)
"""The columns of :func:`list_tasks` (``version``: the workspace version of the task's last
change, 0 for a suggestion; what :func:`update_task`'s ``expect_version`` compares;
``proof_holds``: :func:`proof_holds`, empty without a proof)."""
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
        raise InputError([Problem(FORM, f"task_id '{tid}' tidak sah; "
                                        "bentuknya <destinasi>:<dinas>:<indikator>",
                                  field="task_id")])
    return parts[0], parts[1], parts[2]


def rupiah_short(value: float) -> str:
    """Rupiah as planners say it: ``Rp 8 M`` (miliar), ``Rp 750 jt`` (juta)."""
    return fmt.rupiah_short(value)


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
    # by id (a JSON list); a layer ranked before ids were stored falls back to names
    by_id = "destination_ids" in fields
    served_col = "destination_ids" if by_id else "destinations"
    need = ["rank", "ruas_id", "upgrade", "cost_rp", served_col]
    if not set(need) <= fields:
        return tasks
    p = pyogrio.read_dataframe(ws.path, layer=PRIORITIES, columns=need, read_geometry=False)
    raw = p[served_col].fillna("").astype(str)
    p = p.assign(served=raw.map(lambda v: [str(x) for x in json.loads(v)] if v else [])
                 if by_id else raw.str.split("; "))
    p = p.explode("served")
    served = p["served"]
    p = p[served.notna() & (served.astype(str) != "")].sort_values(["rank", "ruas_id"], kind="stable")
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
    fields_ = tasks["proof_field"].tolist()
    names = tasks["destination_id" if by_id else "destination_name"].tolist()
    for i in np.flatnonzero(mask).tolist():
        table = pick[str(fields_[i])]
        if str(names[i]) not in table.index:
            continue
        s = table.loc[str(names[i])]
        cost = float(s["cost_rp"]) if not _blank(s["cost_rp"]) else math.nan
        money = f" ({rupiah_short(cost)})" if math.isfinite(cost) else ""
        texts[i] = f"{short}: {s['upgrade']} ruas {s['ruas_id']}{money}"
        proof_ids[i] = [str(s["ruas_id"])]
        costs[i] = cost
    out = tasks.copy()
    out["text"] = texts
    out["proof_feature_ids"] = proof_ids
    out["estimated_cost_rp"] = costs
    # Two indicators of one destination (travel time, paved-in-good-condition share) often
    # name the same works on the same section: one task, not two, or its cost would be
    # committed twice. The first (the larger gap) keeps it.
    key = pd.Series([(d, t, "|".join(map(str, p)) if isinstance(p, list) else str(p))
                     for d, t, p in zip(out["destination_id"], texts, proof_ids, strict=True)],
                    index=out.index)
    same = key.duplicated() & pd.Series(mask, index=out.index)
    return out[~same.to_numpy(dtype=bool)]


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
        raise InputError([Problem(FORM, f"status '{status}' tidak dikenal; "
                                        f"pilih: {', '.join(STATUSES)}", field="status")])
    if agency is not None and agency not in cfg.dimensions:
        raise InputError([Problem(FORM, f"dinas '{agency}' tidak dikenal; "
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
    holds: list[bool | None] = [None] * len(out)
    for i in np.flatnonzero(out["proof_version"].notna().to_numpy(dtype=bool)).tolist():
        holds[i] = proof_holds(ws, {str(k): v for k, v in out.iloc[i].items()})  # few tasks
    out["proof_holds"] = pd.Series(holds, index=out.index, dtype="boolean")
    sel = np.ones(len(out), dtype=bool)
    if agency is not None:
        sel &= (out["agency"] == agency).to_numpy(dtype=bool)
    if status is not None:
        sel &= (out["status"] == status).to_numpy(dtype=bool)
    if destination is not None:
        sel &= (out["destination_id"].astype(str) == str(destination)).to_numpy(dtype=bool)
    return out.loc[sel, list(COLUMNS)].reset_index(drop=True)


# --- adopting and updating ---------------------------------------------------------------------


def check_task_scope(config: ReadinessConfig, user: User, agency: str) -> None:
    """Refuse a task write by anyone but an editor (or admin) of the task's own agency.

    Raises
    ------
    ScopeError
        A viewer, another agency, or the admin agency (which reads every task, edits none).
    """
    def name(key: str) -> str:
        dim = config.dimensions.get(key)
        return f"{dim.agency} ({key})" if dim is not None else f"'{key}'"

    if not user.can_write:
        raise ScopeError(f"akun '{user.username}' ({name(user.agency)}) berperan "
                         f"'{user.role}': hanya boleh membaca tugas")
    if user.agency not in config.dimensions:
        raise ScopeError(f"{name(user.agency)} hanya membaca rencana aksi; tugas ini milik "
                         f"{name(agency)} dan hanya diubah olehnya")
    if user.agency != agency:
        raise ScopeError(f"{name(user.agency)} tidak boleh mengadopsi atau mengubah tugas "
                         f"{name(agency)} (tugas dinas lain)")


def _problem(field: str, message: str) -> Problem:
    return Problem(FORM, message, field=field)


def _parse(values: Mapping[str, object]) -> dict[str, Any]:
    """The fields of a task update, checked; blank clears a value. Raises InputError
    naming every bad field."""
    from geo.steps.contribute import _unknown_field

    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, raw in values.items():
        blank = raw is None or (isinstance(raw, str) and not raw.strip())
        if key not in FIELDS:
            problems.append(_unknown_field(key, list(FIELDS)))
        elif key == "status":
            s = str(raw).strip().lower() if not blank else ""
            if s not in ADOPTED:
                problems.append(_problem(key, f"status '{raw!s}' tidak dikenal; "
                                              f"pilih: {', '.join(ADOPTED)}"))
            out[key] = s
        elif blank:
            out[key] = None
        elif key in ("program_code", "notes"):
            t = str(raw).strip()
            limit = 200 if key == "program_code" else MAX_TEXT
            if len(t) > limit:
                problems.append(_problem(key, f"{key} terlalu panjang ({len(t)} karakter; "
                                              f"paling banyak {limit})"))
            out[key] = t
        elif key == "budget_rp":
            try:  # as officers type it: "20 miliar", "20 M", "Rp 20.000.000.000"
                out[key] = fmt.parse_rupiah(raw)
            except fmt.RupiahError as exc:
                problems.append(_problem(key, f"anggaran: {exc}"))
        else:
            v = number(raw)
            if key == "progress_pct" and (v is None or not 0 <= v <= 100):
                problems.append(_problem(key, f"progres '{raw!s}' harus angka 0-100 (%)"))
            elif key == "target_year" and (v is None or v % 1 != 0
                                           or not YEAR_RANGE[0] <= v <= YEAR_RANGE[1]):
                problems.append(_problem(key, f"tahun target '{raw!s}' harus tahun "
                                              f"{YEAR_RANGE[0]}-{YEAR_RANGE[1]}"))
            out[key] = int(v) if key == "target_year" and v is not None else v
    if problems:
        raise InputError(problems)
    return out


def _proof_problem(message: str, field: str = "proof_version") -> InputError:
    return InputError([_problem(field, message)])


def proves(ws: Workspace, task: Mapping[str, Any], version: int) -> bool:
    """Whether recorded ``version`` changed the data linked to ``task`` (its
    ``proof_layer``, ``proof_field`` and ``proof_feature_ids``: the destination, or every
    edge of the road sections named)."""
    return bool(len(_proof_changes(ws, task, version)))


def proof_holds(ws: Workspace, task: Mapping[str, Any]) -> bool | None:
    """Whether the data still shows what the task's proof recorded (``None`` without a
    proof): ``False`` once a rollback or a later edit changed those values again, so a task
    reported ``selesai`` whose work the data no longer shows is never counted as done
    silently."""
    version = task.get("proof_version")
    if version is None or version is pd.NA or (isinstance(version, float)
                                                and math.isnan(version)):
        return None
    ch = _proof_changes(ws, task, int(version))
    return bool(len(ch)) and bool(values_hold(ws, ch).all())


def _proof_changes(ws: Workspace, task: Mapping[str, Any], version: int) -> pd.DataFrame:
    """The rows of ``changes`` of ``version`` on the data linked to ``task``."""
    if not ws.has(CHANGES):
        return pd.DataFrame(columns=["version", "layer", "feature_id", "field", "old", "new"])
    ch = pyogrio.read_dataframe(ws.path, layer=CHANGES, read_geometry=False,
                                where=f"version = {int(version)}")
    layer, field = str(task.get("proof_layer") or ""), str(task.get("proof_field") or "")
    ch = ch[ch["layer"].isin(TRACKED)]
    if layer:
        ch = ch[ch["layer"] == layer]
    if field:
        ch = ch[ch["field"] == field]
    ids = _ids(task.get("proof_feature_ids"))
    if ids and len(ch):
        if layer == "roads":
            roads = ws.read("roads")
            sections = road_sections(roads.reset_index(drop=True))
            edges = [ruas_rows(r, sections) for r in ids]
            fids = set()
            for e in edges:
                if e is not None and len(e):
                    fids |= set(feature_ids("roads", roads.iloc[e]))
            ids = sorted(fids)
        ch = ch[ch["feature_id"].isin(ids)]
    return pd.DataFrame(ch)


def _plan_proof(ws: Workspace, task: Mapping[str, Any], values: Mapping[str, object],
                config: ReadinessConfig, user: User) -> Any:
    """The data change the ``proof_values`` make, through the contribution edits."""
    from geo.steps.contribute import plan_destination_edit, plan_road_edit

    layer, field = str(task.get("proof_layer") or ""), str(task.get("proof_field") or "")
    ids = _ids(task.get("proof_feature_ids"))
    vals = dict(values)
    if layer == "destinations":
        planned = plan_destination_edit(ws, str(task["destination_id"]), vals, config=config,
                                        user=user)
    elif layer == "roads":
        ruas = text(vals.pop("ruas_id", None)) or (ids[0] if ids else None)
        if ruas is None:
            raise _proof_problem("proof_values untuk jalan perlu 'ruas_id' (ruas yang "
                                 "diubah)", "proof_values")
        planned = plan_road_edit(ws, ruas, vals, config=config, user=user)
    else:
        raise _proof_problem(f"bukti tugas ini ada di layer '{layer or '-'}': tandai selesai "
                             "dengan versi perubahan data yang sudah dicatat (proof_version), "
                             "bukan proof_values", "proof_values")
    if planned is None:
        raise _proof_problem("proof_values tidak mengubah data apa pun: "
                             "isi nilai baru yang membuktikan tugas selesai", "proof_values")
    if field and field not in set(planned.diffs["field"]):
        raise _proof_problem(f"proof_values tidak mengubah kolom bukti '{field}' "
                             f"(bukti tugas ini: {layer}.{field})", "proof_values")
    return planned


def _stored_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The ``tasks`` table as written: typed columns, ids as JSON text."""
    out = rows[list(STORED_COLUMNS)].copy()
    out["proof_feature_ids"] = [json.dumps(_ids(v), ensure_ascii=False)
                                for v in out["proof_feature_ids"]]
    for c in ("estimated_cost_rp", "budget_rp", "progress_pct"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    for c in ("target_year", "proof_version"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    for c in STORED_COLUMNS:
        if c not in ("estimated_cost_rp", "budget_rp", "progress_pct", "target_year",
                     "proof_version"):
            out[c] = [None if _blank(v) else str(v) for v in out[c]]
    return out.reset_index(drop=True)


def _save(ws: Workspace, tid: str, values: Mapping[str, object], *, user: User,
          config: ReadinessConfig | None, expect_version: int | None, adopting: bool,
          proof_version: int | None, proof_values: Mapping[str, object] | None) -> Applied:
    from geo.steps.contribute import Applied, write_change

    ws.require()
    cfg = _config(ws, config)
    _, dimension, _ = split_task_id(tid)
    if dimension not in cfg.dimensions:
        raise InputError([_problem("task_id", f"task_id '{tid}': dinas '{dimension}' tidak "
                                              f"dikenal")])
    check_task_scope(cfg, user, dimension)
    current = task_versions(ws).get(tid, 0)
    if expect_version is not None and int(expect_version) != current:
        raise StaleVersion(f"tugas {tid} sudah diubah orang lain (versi {expect_version} -> "
                           f"{current}); muat ulang halaman")
    parsed = _parse(values)
    stored = read_stored(ws)
    is_stored = (stored["task_id"] == tid).to_numpy(dtype=bool)
    if adopting:
        if is_stored.any():
            raise InputError([_problem("task_id", f"tugas {tid} sudah diadopsi; "
                                                  "ubah dengan PATCH")])
        found = list_tasks(ws, config=cfg)
        found = found[found["task_id"] == tid]
        if found.empty:
            raise InputError([_problem("task_id", f"tugas {tid} tidak ada di usulan skor saat "
                                                  "ini")])
        row: dict[str, Any] = {str(k): v for k, v in found.iloc[0].items()}
        row.update(status="direncanakan", adopted_at=utc_now(), adopted_by=user.username)
    else:
        if not is_stored.any():
            raise InputError([_problem("task_id", f"tugas {tid} belum diadopsi; "
                                                  "adopsi dulu dengan POST")])
        row = {str(k): v for k, v in stored[is_stored].iloc[0].items()}
    before = dict(row)
    row.update(parsed)
    planned = None
    if row["status"] == DONE:
        if proof_values:
            planned = _plan_proof(ws, row, proof_values, cfg, user)
            row["proof_version"] = last_version(ws) + 1  # this very write (under the lock)
        elif proof_version is not None:
            if not proves(ws, row, int(proof_version)):
                raise _proof_problem(f"versi {proof_version} tidak mengubah data bukti tugas "
                                     f"ini ({row.get('proof_layer') or '-'}"
                                     f"{'.' + row['proof_field'] if row.get('proof_field') else ''}"
                                     "): pilih versi perubahan data yang membuktikannya")
            row["proof_version"] = int(proof_version)
        elif _blank(row.get("proof_version")):
            raise _proof_problem("status selesai perlu bukti: versi perubahan data "
                                 "(proof_version) atau nilai baru (proof_values)")
        if "progress_pct" not in parsed:
            row["progress_pct"] = 100.0
    elif proof_values or proof_version is not None:
        raise _proof_problem("bukti hanya diisi saat menandai tugas selesai", "status")
    else:
        row["proof_version"] = None  # reopened (or never done): no proof stands for it
    if not adopting and all(value_json(row.get(c)) == value_json(before.get(c))
                            for c in STORED_COLUMNS):
        return Applied(current, 0)
    row.update(updated_at=utc_now(), updated_by=user.username)
    table = pd.concat([stored[~is_stored], pd.DataFrame([{c: row.get(c)
                                                           for c in STORED_COLUMNS}])],
                      ignore_index=True)
    was = SUGGESTED if adopting else str(before["status"])
    summary = (f"tugas {tid}: {'adopsi, ' if adopting else ''}status {was} -> {row['status']}")
    if planned is not None:
        summary += f"; bukti: {planned.summary}"
    applied: Applied = write_change(ws, user, planned, kind="task", summary=summary,
                                    tables={TASKS: _stored_frame(table)})
    if planned is not None and applied.version != row["proof_version"]:
        raise RuntimeError("proof version mismatch")  # the lock makes this impossible
    return applied


@writes_workspace
def adopt_task(ws: Workspace, task_id: str, values: Mapping[str, object] | None = None, *,
               user: User, config: ReadinessConfig | None = None,
               expect_version: int | None = None, proof_version: int | None = None,
               proof_values: Mapping[str, object] | None = None) -> Applied:
    """Adopt a suggested task for the user's agency (status ``direncanakan`` unless
    ``values`` says otherwise), with what ``values`` records (:data:`FIELDS`).

    Returns
    -------
    geo.steps.contribute.Applied
        The version written (kind ``task``).

    Raises
    ------
    ScopeError
        Not an editor of the task's agency (the admin agency only reads).
    InputError
        Unknown or already adopted task, a bad field (named), a missing proof.
    StaleVersion
        ``expect_version`` is not the task's version.
    """
    return _save(ws, task_id, values or {}, user=user, config=config,
                 expect_version=expect_version, adopting=True, proof_version=proof_version,
                 proof_values=proof_values)


@writes_workspace
def update_task(ws: Workspace, task_id: str, values: Mapping[str, object], *, user: User,
                config: ReadinessConfig | None = None, expect_version: int | None = None,
                proof_version: int | None = None,
                proof_values: Mapping[str, object] | None = None) -> Applied:
    """Record status (direncanakan, berjalan, selesai, batal), progress %, budget (Rp),
    target year, programme code and notes of an adopted task.

    ``status = selesai`` needs the proof: ``proof_version``, a recorded version that
    changed the task's linked data, or ``proof_values`` ({field: value}), the data change
    itself, applied through the contribution edits in the same update as the task (one
    version of kind ``task``; the scores are then stale and recomputed).

    Returns
    -------
    geo.steps.contribute.Applied
        The version written (``n_changes`` 0 and nothing written when nothing differs).

    Raises
    ------
    ScopeError, InputError, StaleVersion
        As :func:`adopt_task`; ``proof_values`` outside the agency's data scope is a
        ScopeError too.
    """
    return _save(ws, task_id, values, user=user, config=config,
                 expect_version=expect_version, adopting=False, proof_version=proof_version,
                 proof_values=proof_values)


# --- the agency's task list as a workbook ------------------------------------------------------

XLSX_HEADERS: Final[dict[str, str]] = {
    "task_id": "ID tugas",
    "destination_id": "ID destinasi",
    "destination_name": "Nama destinasi",
    "agency_name": "Dinas",
    "indicator": "Indikator",
    "text": "Tugas",
    "status": "Status",
    "budget_rp": "Anggaran (Rp)",
    "estimated_cost_rp": "Perkiraan biaya (Rp, asumsi prioritas)",
    "target_year": "Tahun target",
    "program_code": "Kode program/kegiatan",
    "progress_pct": "Progres (%)",
    "notes": "Catatan",
    "proof_layer": "Data bukti",
    "proof_field": "Data bukti (kolom)",
    "proof_feature_ids": "Data bukti (ID)",
    "proof_version": "Versi bukti",
    "adopted_at": "Diadopsi pada",
    "adopted_by": "Diadopsi oleh",
    "updated_at": "Diperbarui pada",
    "updated_by": "Diperbarui oleh",
}
"""The columns of the task workbook, in order, with their Indonesian headers."""


def tasks_workbook_table(tasks: pd.DataFrame) -> pd.DataFrame:
    """The rows of the task workbook: :data:`XLSX_HEADERS` columns, ids joined as text."""
    out = tasks[list(XLSX_HEADERS)].copy()
    out["proof_feature_ids"] = [", ".join(_ids(v)) for v in out["proof_feature_ids"]]
    out["target_year"] = out["target_year"].astype("Int64").astype(object).where(
        out["target_year"].notna(), None)
    out["proof_version"] = out["proof_version"].astype("Int64").astype(object).where(
        out["proof_version"].notna(), None)
    return out


def write_tasks_xlsx(ws: Workspace, agency: str, path: str | os.PathLike[str], *,
                     status: str | None = None,
                     config: ReadinessConfig | None = None) -> pd.DataFrame:
    """Write ONE agency's task list (its tasks and nothing else) as a formatted workbook:
    Indonesian headers, Rupiah formats, text always stored as text (never a formula), an
    'Asumsi' sheet saying where the estimated costs come from. Written atomically.

    Returns the rows written (:func:`list_tasks` of that agency).

    Raises
    ------
    InputError
        Unknown agency or status.
    """
    from geo.io import write_xlsx
    from geo.priorities.output import RUPIAH

    cfg = _config(ws, config)
    tasks = list_tasks(ws, agency=agency, status=status, config=cfg)
    dim = cfg.dimensions[agency]
    table = tasks_workbook_table(tasks)
    # people read the indicator's label, not its key ("_data": the agency's data is missing)
    table["indicator"] = [dim.indicators[i].label if i in dim.indicators else
                          "kelengkapan data" if i == DATA_TASK else i
                          for i in table["indicator"]]
    notes = pd.DataFrame({
        "Bagian": ["Dinas", "Status", "Perkiraan biaya", "Bukti"],
        "Kunci": [agency, label("status", status) if status else "semua",
                  XLSX_HEADERS["estimated_cost_rp"], "Data bukti"],
        "Nilai": [dim.agency, "; ".join(label("status", s) for s in ([status] if status
                                                                      else STATUSES)), "", ""],
        "Keterangan": [
            "Hanya tugas dinas ini (rencana aksi).",
            "usulan = diusulkan oleh skor, belum diadopsi.",
            "Biaya ruas dari prioritas jalan: ASUMSI biaya satuan priorities.toml, "
            "bukan harga resmi.",
            "Data yang menunjukkan tugas selesai; versi bukti = versi perubahan data.",
        ]})
    out = Path(path)

    def write(tmp: Path) -> None:
        write_xlsx(tmp, table, notes, sheet="Rencana aksi",
                   headers=[XLSX_HEADERS[c] for c in table.columns],
                   number_formats={"budget_rp": RUPIAH, "estimated_cost_rp": RUPIAH,
                                   "progress_pct": "0", "target_year": "0",
                                   "proof_version": "0"},
                   widths={"text": 60, "notes": 50, "destination_name": 34, "task_id": 30},
                   codes={"status": "status", "proof_layer": "layer"}, wrap=("text", "notes"),
                   title=f"Rencana aksi {dim.agency} ({dim.short})")

    atomic_write(out, write)
    return tasks
