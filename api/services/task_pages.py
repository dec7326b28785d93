"""The rencana aksi pages (Bahasa Indonesia): an agency's task list with its adopt forms,
and one task's form with its history.

Rendered per request (they carry the user's CSRF token); every value goes through Jinja's
autoescaping, so a note or programme code an agency typed is shown as text, never as
markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pandas as pd
import pyogrio

from geo import fmt, labels
from geo.accounts import User
from geo.exceptions import SiapError
from geo.readiness import agency_names

from ..deps import WorkspaceStore
from ..errors import BadParameter, NotFound
from . import tasks as service
from .forms import render

STATUS_LABELS: dict[str, str] = dict(labels.STATUS_LABELS)  # the one table of words
_AGENCY = re.compile(r"^[a-z][a-z0-9_]*$")
EDITABLE = ("status", "budget_rp", "target_year", "program_code", "progress_pct", "notes")


def task_url(task_id: str) -> str:
    """The page of one task (the link the rapor and the destination page use)."""
    return "/rencana/tugas/" + quote(task_id, safe=":")


def plan_url(agency: str, version: int | None = None) -> str:
    """The task list of ``agency`` (a dimension key; anything else goes to /rencana)."""
    if not _AGENCY.match(agency):
        return "/rencana"
    return f"/rencana?agency={agency}" + (f"&tersimpan={version}" if version else "")


def rupiah(value: float | None) -> str:
    """``Rp 1.250.000`` (Indonesian thousands), or '' when unknown."""
    return fmt.rupiah(value, unknown="")


def _can_edit(user: User | None, agency: str) -> bool:
    return user is not None and user.can_write and user.agency == agency


def _agencies(store: WorkspaceStore) -> list[dict[str, str]]:
    return [{"key": k, "name": name} for k, name in agency_names(store.dimensions()).items()]


def plan_page(store: WorkspaceStore, user: User | None, csrf_token: str, agency: str | None,
              status: str | None, saved: int | None) -> str:
    """The task list of one agency (default: the user's), with adopt forms for its editors."""
    dims = store.dimensions()
    if agency is None and user is not None and user.agency in dims:
        agency = user.agency
    rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    budget = 0.0
    if agency is not None:
        if agency not in dims:
            raise NotFound(f"dinas '{agency}' tidak dikenal; pilih: "
                           f"{', '.join(dims)}")
        everything = service.rows(store, agency=agency)
        for r in everything:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
            if r["status"] in ("direncanakan", "berjalan", "selesai") and r["budget_rp"]:
                budget += float(r["budget_rp"])
        rows = [r for r in everything if status is None or r["status"] == status]
        # adopted tasks first (what the agency committed to), then the suggestions
        rows.sort(key=lambda r: (r["status"] == "usulan", r["destination_name"] or "",
                                 r["task_id"]))
    message = (f"Tersimpan sebagai versi {saved}." if saved else
               "Tidak ada yang berubah." if saved == 0 else None)
    name = dims[agency].agency if agency is not None else None
    return render("rencana.html", title=f"Rencana aksi {name}" if name else "Rencana aksi",
                  store=store, user=user, csrf_token=csrf_token, message=message,
                  agency=agency, agency_name=name, agencies=_agencies(store), rows=rows,
                  counts=counts, budget=rupiah(budget), status=status,
                  statuses=list(STATUS_LABELS), labels=STATUS_LABELS,
                  can_edit=agency is not None and _can_edit(user, agency),
                  task_url=task_url, rupiah=rupiah)


def _task_history(store: WorkspaceStore, task_id: str) -> list[dict[str, Any]]:
    """Every recorded change of the task, oldest first, with who and when."""
    from geo.io.history import CHANGES, TASKS, read_versions

    ws = store.ws
    if not ws.has(CHANGES):
        return []
    ch = pyogrio.read_dataframe(ws.path, layer=CHANGES, read_geometry=False,
                                where=f"layer = '{TASKS}'")
    ch = ch[ch["feature_id"] == task_id]
    if ch.empty:
        return []
    vers = read_versions(ws)[["version", "at", "username", "agency", "summary"]]
    both = ch.merge(vers, on="version", how="left")
    shown = both[both["field"].isin([*EDITABLE, "proof_version"])]
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()}
            for r in shown.to_dict("records")]


def task_page(store: WorkspaceStore, user: User | None, csrf_token: str, task_id: str,
              saved: int | None) -> str:
    """One task: what to do, its commitment, the form (its agency's editors), its history."""
    task = service.one(store, task_id)
    if task is None:
        raise NotFound(f"tugas '{task_id}' tidak ada")
    message = (f"Tersimpan sebagai versi {saved}." if saved else
               "Tidak ada yang berubah." if saved == 0 else None)
    proof_input = (task["proof_layer"] in ("destinations", "roads") and bool(task["proof_field"]))
    return render("tugas.html", title=f"Tugas {task['text']}", store=store, user=user,
                  csrf_token=csrf_token, message=message, task=task,
                  can_edit=_can_edit(user, task["agency"]), statuses=list(STATUS_LABELS)[1:],
                  labels=STATUS_LABELS, history=_task_history(store, task_id),
                  proof_input=proof_input, rupiah=rupiah,
                  plan_link=plan_url(task["agency"]), action=task_url(task_id))


def error_page(store: WorkspaceStore, user: User | None, csrf_token: str,
               message: str) -> str:
    """The task list page with an error message (a refused form submission)."""
    try:
        agencies = _agencies(store)
    except SiapError:
        agencies = []
    return render("rencana.html", title="Rencana aksi", store=store, user=user,
                  csrf_token=csrf_token, error=message, agency=None, agency_name=None,
                  agencies=agencies, rows=[], counts={}, budget="", status=None,
                  statuses=list(STATUS_LABELS), labels=STATUS_LABELS, can_edit=False,
                  task_url=task_url, rupiah=rupiah)


@dataclass(frozen=True)
class FormValues:
    """A task form, split into the task's fields and the proof."""

    values: dict[str, str]
    expect_version: int | None
    proof_version: int | None
    proof_values: dict[str, str] | None


def _int(field: str, raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BadParameter(f"form.{field}", f"'{raw[:40]}' bukan bilangan bulat")
    return int(raw)


def form_values(task: dict[str, Any], fields: dict[str, str]) -> FormValues:
    """The fields of a posted task form: the editable ones it carries, the version it was
    read at, and the proof (a version number, or the new value of the proof data)."""
    values = {k: fields[k] for k in EDITABLE if k in fields}
    if task["status"] == "usulan" and not values.get("status"):
        values.pop("status", None)  # adopting: direncanakan by default
    proof_value = fields.get("proof_value", "").strip()
    proof_values = ({str(task["proof_field"]): proof_value}
                    if proof_value and task.get("proof_field") else None)
    return FormValues(values, _int("expect_version", fields.get("expect_version", "")),
                      _int("proof_version", fields.get("proof_version", "")), proof_values)
