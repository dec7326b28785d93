"""Rencana aksi (issue 13): the task list, its workbook, and adopting / updating a task.

The geo side (:mod:`geo.steps.tasks`) lists, checks and writes the tasks; here they are
turned into plain rows for the JSON answer and the pages, the workbook of one agency is
made, and every write goes through the server's one writer queue. A task change alone
changes no data, so it asks for no recomputation; closing a task with its proof values
does (the data changed in the same write).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.accounts import User

from .._util import Body, json_value
from ..deps import WorkspaceStore
from ..errors import NotFound
from .contribute import AppliedView, _applied
from .priorities import XLSX

if TYPE_CHECKING:
    import pandas as pd

    from .writes import Writes

FORMATS = ("json", "xlsx")
__all__ = ["XLSX", "one", "plain", "rows", "save", "task_rows", "workbook"]


def task_rows(store: WorkspaceStore, *, agency: str | None = None, status: str | None = None,
              destination: str | None = None) -> pd.DataFrame:
    """:func:`geo.steps.tasks.list_tasks` with the configuration the workspace scored with,
    cached per workspace version."""
    from geo.steps.tasks import list_tasks

    store.ws.require()
    config = store.readiness_config()
    if agency is not None and agency not in config.dimensions:
        # an agency that does not exist has no tasks to show: like an unknown id
        raise NotFound(f"dinas '{agency}' tidak dikenal; pilih: "
                       f"{', '.join(config.names)}")
    return store.cached(("tasks", agency, status, destination),
                        lambda: list_tasks(store.ws, agency=agency, status=status,
                                           destination=destination, config=config))


def plain(row: Mapping[Any, Any]) -> dict[str, Any]:
    """One task row as plain JSON values (ids as a list, NaN as null)."""
    out = {str(k): json_value(v) for k, v in row.items() if k != "proof_feature_ids"}
    out["proof_feature_ids"] = [str(x) for x in row.get("proof_feature_ids") or []]
    for key in ("target_year", "proof_version", "version"):
        v = out.get(key)
        out[key] = None if v is None else int(v)
    if out.get("version") is None:
        out["version"] = 0
    for key in ("budget_rp", "estimated_cost_rp", "progress_pct"):
        v = out.get(key)
        out[key] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    for key in ("program_code", "notes", "adopted_at", "adopted_by", "updated_at",
                "updated_by", "proof_layer", "proof_field", "destination_name"):
        v = out.get(key)
        out[key] = None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    return out


def rows(store: WorkspaceStore, *, agency: str | None = None, status: str | None = None,
         destination: str | None = None) -> list[dict[str, Any]]:
    """The task rows as plain values."""
    df = task_rows(store, agency=agency, status=status, destination=destination)
    return [plain(r) for r in df.to_dict("records")]


def one(store: WorkspaceStore, task_id: str) -> dict[str, Any] | None:
    """One task as plain values, or None when no such task is listed."""
    from geo.exceptions import InputError
    from geo.steps.tasks import split_task_id

    try:
        destination, _, _ = split_task_id(task_id)
    except InputError:
        return None  # not a task id: no such task
    found = [r for r in rows(store, destination=destination) if r["task_id"] == task_id]
    return found[0] if found else None


def workbook(store: WorkspaceStore, agency: str | None, status: str | None) -> Body:
    """One agency's task list as an XLSX workbook (its tasks and nothing else)."""
    from geo.steps.tasks import write_tasks_xlsx

    if not agency:
        raise NotFound("format=xlsx mengekspor daftar tugas SATU dinas: tambahkan agency=... "
                       "(akun ini tidak terikat pada satu dinas)")
    config = store.readiness_config()
    task_rows(store, agency=agency)  # an unknown agency: 404

    def build() -> Body:
        with tempfile.TemporaryDirectory(prefix="siapwisata-") as tmp:
            path = Path(tmp) / f"rencana-aksi-{agency}.xlsx"
            write_tasks_xlsx(store.ws, agency, path, status=status, config=config)
            return Body(path.read_bytes(), XLSX, {
                "Content-Disposition": f'attachment; filename="rencana-aksi-{agency}.xlsx"'})

    return store.cached(("tasks-xlsx", agency, status), build)


def write_task(store: WorkspaceStore, adopt: bool, task_id: str, values: dict[str, Any],
               user: User, expect_version: int | None, proof_version: int | None,
               proof_values: dict[str, Any] | None) -> Any:
    """On the writer (its process: plain arguments): adopt or update one task."""
    from geo.steps.tasks import adopt_task, update_task

    step = adopt_task if adopt else update_task
    return step(store.ws, task_id, values, user=user, config=store.readiness_config(),
                expect_version=expect_version, proof_version=proof_version,
                proof_values=proof_values)


async def save(store: WorkspaceStore, writes: Writes, user: User, task_id: str,
               values: Mapping[str, Any], *, adopt: bool, expect_version: int | None = None,
               proof_version: int | None = None,
               proof_values: Mapping[str, Any] | None = None) -> tuple[AppliedView,
                                                                       dict[str, Any] | None]:
    """Adopt (``adopt``) or update a task on the writer queue; the saved task with it."""
    result = await writes.run(write_task, adopt, task_id, dict(values), user, expect_version,
                              proof_version, dict(proof_values) if proof_values else None)
    version, n = int(result.version), int(result.n_changes)
    if proof_values and n > 0:
        writes.recomputer.request()  # the proof changed data: scores are stale
        view = _applied(result, f"Tugas {task_id}")
    else:
        view = AppliedView(version, n, f"Tugas {task_id}: versi {version} tersimpan ({n} "
                                       "perubahan)." if n else
                           f"Tugas {task_id}: tidak ada yang berubah.")
    return view, one(store, task_id)
