"""Rencana aksi (issue 13): ``GET /api/tasks`` (JSON, or one agency's XLSX), adopting
(``POST /api/tasks/{task_id}``) and updating (``PATCH /api/tasks/{task_id}``) a task, and
the browser pages ``/rencana`` (an agency's task list with its adopt forms) and
``/rencana/tugas/{task_id}`` (one task's form).

Reads follow the read rule; every write takes a logged-in editor of the task's agency
(``WriterDep``: CSRF checked for cookie sessions; 403 for another agency's task, checked by
the geo step) and goes through the server's one writer queue (:mod:`api.services.tasks`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from geo.accounts import User
from geo.exceptions import SiapError

from .._util import page_response
from ..auth import CSRF_FIELD, CurrentUser, WriterDep, csrf_token
from ..deps import StoreDep, WorkspaceStore, WritesDep
from ..errors import NotFound, status_of
from ..schemas import ErrorResponse, TaskApplied, TaskRow, TasksResponse, TaskStatus, TaskWrite
from ..services import task_pages as pages
from ..services import tasks as service
from .contribute import FORM_POST, HTML, WRITE_ERRORS

router = APIRouter(tags=["rencana aksi"])

TaskId = Annotated[str, Path(max_length=300, description="<destination>:<agency>:<indicator>")]
Agency = Annotated[str | None, Query(max_length=60, pattern=r"^[a-z][a-z0-9_]*$",
                                     description="Agency (dimension key of readiness.toml)")]


@router.get("/api/tasks", response_model=TasksResponse, responses={
    200: {"content": {service.XLSX: {}},
          "description": "JSON, or one agency's task list as XLSX with format=xlsx"},
    404: {"model": ErrorResponse, "description": "Dinas tidak dikenal"},
    409: {"model": ErrorResponse}, 422: {"model": ErrorResponse}})
async def list_tasks(store: StoreDep, user: CurrentUser, agency: Agency = None,
                     status: Annotated[TaskStatus | None, Query()] = None,
                     destination: Annotated[str | None, Query(max_length=200)] = None,
                     format: Annotated[Literal["json", "xlsx"], Query()] = "json") -> Any:
    """Tasks: each destination's gaps as tasks of the agency that owns them (``usulan``:
    suggested by the current scores) and the tasks agencies adopted. ``format=xlsx``: the
    task list of ``agency`` (default: the logged-in account's agency) as a workbook."""
    if format == "xlsx":
        if agency is None and user is not None and user.agency in store.dimensions():
            agency = user.agency
        body = await run_in_threadpool(service.workbook, store, agency, status)
        return body.response()
    rows = await run_in_threadpool(service.rows, store, agency=agency, status=status,
                                   destination=destination)
    return TasksResponse(agency=agency, status=status, count=len(rows),
                         rows=[TaskRow.model_validate(r) for r in rows])


async def _write(store: WorkspaceStore, writes: Any, user: User, task_id: str,
                 body: TaskWrite, *, adopt: bool) -> TaskApplied:
    given = body.model_dump(exclude_unset=True)
    values = {k: v for k, v in given.items()
              if k not in ("expect_version", "proof_version", "proof_values")}
    if not adopt and await run_in_threadpool(service.one, store, task_id) is None:
        raise NotFound(f"tugas '{task_id}' tidak ada")
    applied, row = await service.save(store, writes, user, task_id, values, adopt=adopt,
                                      expect_version=body.expect_version,
                                      proof_version=body.proof_version,
                                      proof_values=body.proof_values)
    if row is None:
        raise NotFound(f"tugas '{task_id}' tidak ada")
    return TaskApplied(version=applied.version, n_changes=applied.n_changes,
                       message=applied.message, task=TaskRow.model_validate(row))


@router.post("/api/tasks/{task_id}", response_model=TaskApplied, responses=WRITE_ERRORS)
async def adopt(store: StoreDep, writes: WritesDep, user: WriterDep, task_id: TaskId,
                body: TaskWrite) -> TaskApplied:
    """Adopt a suggested task for the user's agency (status direncanakan unless given),
    with budget, target year, programme code, progress and notes."""
    return await _write(store, writes, user, task_id, body, adopt=True)


@router.patch("/api/tasks/{task_id}", response_model=TaskApplied, responses=WRITE_ERRORS)
async def update(store: StoreDep, writes: WritesDep, user: WriterDep, task_id: TaskId,
                 body: TaskWrite) -> TaskApplied:
    """Update an adopted task; ``status=selesai`` needs ``proof_version`` or
    ``proof_values``."""
    return await _write(store, writes, user, task_id, body, adopt=False)


# --- pages ---------------------------------------------------------------------------


def _error(request: Request, store: WorkspaceStore, user: User | None,
           exc: SiapError) -> Response:
    html = pages.error_page(store, user, csrf_token(request), str(exc))
    return page_response(html, status_code=status_of(exc))


@router.get("/rencana", response_class=Response, responses=HTML)
async def plan_page(request: Request, store: StoreDep, user: CurrentUser,
                    agency: Agency = None,
                    status: Annotated[TaskStatus | None, Query()] = None,
                    tersimpan: Annotated[int | None, Query(ge=0)] = None) -> Response:
    """Rencana aksi of one agency: its tasks, adopted and suggested, with adopt forms."""
    try:
        html = await run_in_threadpool(pages.plan_page, store, user, csrf_token(request),
                                       agency, status, tersimpan)
    except SiapError as exc:
        return _error(request, store, user, exc)
    return page_response(html)


@router.get("/rencana/tugas/{task_id}", response_class=Response, responses=HTML)
async def task_page(request: Request, store: StoreDep, user: CurrentUser, task_id: TaskId,
                    tersimpan: Annotated[int | None, Query(ge=0)] = None) -> Response:
    """One task: its data, its history and (for its agency's editors) the form."""
    try:
        html = await run_in_threadpool(pages.task_page, store, user, csrf_token(request),
                                       task_id, tersimpan)
    except SiapError as exc:
        return _error(request, store, user, exc)
    return page_response(html)


@router.post("/rencana/tugas/{task_id}", response_class=Response, responses=FORM_POST)
async def task_save(request: Request, store: StoreDep, writes: WritesDep, user: WriterDep,
                    task_id: TaskId) -> Response:
    """Save the task form: adopt a suggested task, or update an adopted one (selesai with
    the proof: a version number, or the new value of the proof data)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if k != CSRF_FIELD and isinstance(v, str)}
    try:
        current = await run_in_threadpool(service.one, store, task_id)
        if current is None:
            raise NotFound(f"tugas '{task_id}' tidak ada")
        parsed = pages.form_values(current, fields)
        applied, _ = await service.save(store, writes, user, task_id, parsed.values,
                                        adopt=current["status"] == "usulan",
                                        expect_version=parsed.expect_version,
                                        proof_version=parsed.proof_version,
                                        proof_values=parsed.proof_values)
    except SiapError as exc:
        return _error(request, store, user, exc)
    back = fields.get("kembali", "")
    target = (pages.plan_url(back, applied.version) if back
              else f"{pages.task_url(task_id)}?tersimpan={applied.version}")
    return RedirectResponse(target, status_code=303)
