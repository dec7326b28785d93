"""The change history: ``/riwayat`` (page), ``/api/changes`` (data) and the admin's
rollback (:mod:`api.services.history`). The history itself has no write endpoint: it is
append-only, and a rollback is a new version."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from geo.accounts import User
from geo.exceptions import SiapError

from .._util import page_response
from ..auth import AdminDep, CurrentUser, csrf_token
from ..deps import StoreDep, WorkspaceStore, WritesDep
from ..errors import status_of
from ..schemas import AppliedResponse, ChangeRow, ChangesResponse, RollbackRequest
from ..services import contribute, forms
from ..services import history as service
from .contribute import FORM_POST, HTML, WRITE_ERRORS

router = APIRouter(tags=["riwayat"])

Agency = Annotated[str | None, Query(max_length=40, description="Only this agency's changes")]
Since = Annotated[datetime | date | None, Query(
    description="Only changes at or after this date or time (ISO 8601; without a zone: UTC)")]
Limit = Annotated[int | None, Query(ge=1, le=service.MAX_LIMIT, description="At most rows")]


def _iso(since: datetime | date | None) -> str | None:
    return since.isoformat() if since is not None else None


@router.get("/api/changes", response_model=ChangesResponse)
async def changes(store: StoreDep, agency: Agency = None, since: Since = None,
                  limit: Limit = None) -> ChangesResponse:
    """Every recorded change, newest first: version, when (UTC), who, which agency, kind,
    source file and its sha256, and per field the old and new value."""
    rows = await run_in_threadpool(service.changes, store, agency, _iso(since), limit)
    return ChangesResponse(changes=[ChangeRow.model_validate(r) for r in rows])


@router.get("/riwayat", response_class=Response, responses=HTML)
async def history_page(request: Request, store: StoreDep, user: CurrentUser,
                       agency: Agency = None, since: Since = None, limit: Limit = None,
                       dikembalikan: Annotated[int | None, Query(ge=0)] = None) -> Response:
    """Riwayat perubahan: versions and changes (old → new), rollback for the admin."""
    message = (f"Versi baru {dikembalikan} tersimpan (pengembalian). Skor dihitung ulang di "
               "latar belakang." if dikembalikan is not None else None)
    try:
        html = await run_in_threadpool(lambda: service.history_page(
            store, user, csrf_token(request), agency=agency or None, since=_iso(since),
            limit=limit, message=message))
        return page_response(html)
    except SiapError as exc:
        return await _error(request, store, user, exc)


async def _error(request: Request, store: WorkspaceStore, user: User | None,
                 exc: SiapError) -> Response:
    """The history page with the message of a refused request (or of a failed read)."""
    message = str(exc)
    try:
        html = await run_in_threadpool(lambda: service.history_page(
            store, user, csrf_token(request), agency=None, since=None, limit=None,
            error=message))
    except SiapError:
        html = await run_in_threadpool(forms.error_page, store, user, csrf_token(request),
                                       message)
    return page_response(html, status_code=status_of(exc))


@router.post("/api/rollback", response_model=AppliedResponse, responses=WRITE_ERRORS)
async def rollback(store: StoreDep, writes: WritesDep, user: AdminDep,
                   body: RollbackRequest) -> AppliedResponse:
    """Admin: a new version restoring the data values as they were at ``version``."""
    a = await contribute.rollback(store, writes, user, body.version)
    return AppliedResponse(version=a.version, n_changes=a.n_changes, message=a.message)


@router.post("/riwayat/kembalikan", response_class=Response,
             responses={**FORM_POST, 303: {"description": "Rolled back: back to /riwayat"}})
async def rollback_form(request: Request, store: StoreDep, writes: WritesDep, user: AdminDep,
                        version: Annotated[int, Form(ge=0)]) -> Response:
    """The rollback button of ``/riwayat``."""
    try:
        a = await contribute.rollback(store, writes, user, version)
    except SiapError as exc:
        return await _error(request, store, user, exc)
    return RedirectResponse(f"/riwayat?dikembalikan={a.version}", status_code=303)
