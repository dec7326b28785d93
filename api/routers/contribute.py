"""Contributions: the browser forms (``/kontribusi``) and the JSON endpoints for scripts
(``/api/uploads``, ``PATCH /api/destinations/{id}``, ``PATCH /api/roads/{ruas_id}``,
``/api/umkm``), and ``/api/status`` (:mod:`api.services.contribute`,
:mod:`api.services.forms`).

Every write takes a logged-in editor (``WriterDep``: CSRF checked for cookie sessions) and
goes through the server's one writer queue; the agency's scope (readiness.toml ``owns``)
is checked by the geo step, and a write outside it is a 403 with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from geo.accounts import User
from geo.exceptions import ScopeError, SiapError

from .._util import page_response
from ..auth import CSRF_FIELD, CurrentUser, WriterDep, csrf_token
from ..deps import StoreDep, WorkspaceStore, WritesDep
from ..errors import BadParameter, status_of
from ..schemas import (
    AppliedResponse,
    EditValue,
    ErrorResponse,
    PreviewResponse,
    RoadEdit,
    StatusResponse,
)
from ..services import contribute as service
from ..services import forms
from ..services.freshness import Freshness, freshness

router = APIRouter(tags=["kontribusi"])

WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Perlu masuk"},
    403: {"model": ErrorResponse, "description": "Di luar wewenang dinas"},
    404: {"model": ErrorResponse, "description": "Id tidak ditemukan"},
    409: {"model": ErrorResponse, "description": "Data berubah sejak pratinjau / workspace "
                                                 "sibuk"},
    422: {"model": ErrorResponse, "description": "Isian tidak sah"},
}


def page_error(description: str) -> dict[str, Any]:
    """A refused form or page request: the page with the message (HTML), or JSON from the
    checks that run before the page (login, parameters)."""
    return {"model": ErrorResponse, "content": {"text/html": {}}, "description": description}


HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "The page"},
    404: page_error("Id tidak ditemukan"),
    409: page_error("Workspace belum siap"),
    422: page_error("Parameter tidak sah"),
}
FORM_POST: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "The preview page"},
    303: {"description": "Saved: back to /kontribusi with a message"},
    401: WRITE_ERRORS[401],
    **{status: page_error(str(WRITE_ERRORS[status].get("description", "Ditolak")))
       for status in (403, 404, 409, 422)},
}
Id = Annotated[str, Path(max_length=200, description="Feature id")]
Values = Annotated[dict[str, EditValue], Body(
    description="Column -> new value (null clears it)",
    examples=[{"fasilitas": "toilet; gazebo", "pengunjung_tahun": 1200}])]


# --- HTML ---------------------------------------------------------------------------


async def _html(request: Request, store: WorkspaceStore, user: User | None,
                build: Callable[[], str]) -> Response:
    """A form page; a domain error shows the contribution page with its message."""
    try:
        return page_response(await run_in_threadpool(build))
    except SiapError as exc:
        return _error_page(request, store, user, exc)


def _error_page(request: Request, store: WorkspaceStore, user: User | None,
                exc: SiapError) -> Response:
    html = forms.error_page(store, user, csrf_token(request), str(exc))
    return page_response(html, status_code=status_of(exc))


def _done(applied: service.AppliedView) -> RedirectResponse:
    return RedirectResponse(f"/kontribusi?tersimpan={applied.version}&n={applied.n_changes}",
                            status_code=303)


async def _submit(request: Request, store: WorkspaceStore, user: User,
                  write: Callable[[], Awaitable[service.AppliedView]]) -> Response:
    try:
        return _done(await write())
    except SiapError as exc:
        return _error_page(request, store, user, exc)


@router.get("/kontribusi", response_class=Response, responses=HTML)
async def contribute_page(request: Request, store: StoreDep, user: CurrentUser,
                          tersimpan: Annotated[int | None, Query(ge=0)] = None,
                          n: Annotated[int | None, Query(ge=0)] = None) -> Response:
    """Kontribusi: upload a file or edit one record, for the user's agency."""
    message = None
    if tersimpan is not None:
        message = (f"Versi {tersimpan} tersimpan ({n or 0} perubahan). Skor dan prioritas "
                   "dihitung ulang di latar belakang." if n else "Tidak ada yang berubah.")
    return await _html(request, store, user, lambda: forms.contribute_page(
        store, user, csrf_token(request), message=message))


@router.post("/kontribusi/unggah", response_class=Response, responses=FORM_POST)
async def upload_form(request: Request, store: StoreDep, user: WriterDep,
                      kind: Annotated[str, Form(max_length=40)],
                      file: Annotated[UploadFile, File()]) -> Response:
    """Preview an uploaded file (nothing is written until it is confirmed)."""
    data = await file.read(service.MAX_UPLOAD_BYTES + 1)
    name = file.filename or "unggahan"
    try:
        preview = await run_in_threadpool(service.preview_upload, store, user, kind, name, data)
    except SiapError as exc:
        return _error_page(request, store, user, exc)
    html = await run_in_threadpool(forms.preview_page, store, user, csrf_token(request), preview)
    return page_response(html, status_code=200 if preview.scope_error is None else 403)


@router.post("/kontribusi/terapkan", response_class=Response,
             responses=FORM_POST)
async def apply_form(request: Request, store: StoreDep, writes: WritesDep, user: WriterDep,
                     token: Annotated[str, Form(max_length=100)]) -> Response:
    """Apply a previewed upload."""
    return await _submit(request, store, user,
                         lambda: service.apply_upload(store, writes, user, token))


@router.get("/kontribusi/destinasi", response_class=Response, responses=HTML)
async def destination_form(request: Request, store: StoreDep, user: CurrentUser,
                           id: Annotated[str, Query(max_length=200)]) -> Response:
    """The form of one destination's attributes (the columns the agency owns)."""
    return await _html(request, store, user, lambda: forms.destination_page(
        store, user, csrf_token(request), id))


@router.post("/kontribusi/destinasi", response_class=Response, responses=FORM_POST)
async def destination_save(request: Request, store: StoreDep, writes: WritesDep,
                           user: WriterDep,
                           id: Annotated[str, Query(max_length=200)]) -> Response:
    """Save the destination form (only the fields that changed)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if k != CSRF_FIELD and isinstance(v, str)}

    async def write() -> service.AppliedView:
        values = await run_in_threadpool(forms.changed_fields, store, id, fields)
        if not values:
            return service.AppliedView(0, 0, "tidak ada yang berubah")
        return await service.edit_destination(store, writes, user, id, values)

    return await _submit(request, store, user, write)


@router.get("/kontribusi/jalan", response_class=Response, responses=HTML)
async def road_form(request: Request, store: StoreDep, user: CurrentUser,
                    ruas_id: Annotated[str, Query(max_length=20)]) -> Response:
    """The condition/surface form of a road section (linked from the priorities map)."""
    return await _html(request, store, user, lambda: forms.road_page(
        store, user, csrf_token(request), ruas_id))


@router.post("/kontribusi/jalan", response_class=Response,
             responses=FORM_POST)
async def road_save(request: Request, store: StoreDep, writes: WritesDep, user: WriterDep,
                    ruas_id: Annotated[str, Form(max_length=20)],
                    condition: Annotated[str, Form(max_length=40)] = "",
                    surface: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Save a road section's condition and/or surface."""
    values = {"condition": condition, "surface": surface}
    return await _submit(request, store, user,
                         lambda: service.edit_road(store, writes, user, ruas_id, values))


@router.get("/kontribusi/umkm", response_class=Response, responses=HTML)
async def umkm_form(request: Request, store: StoreDep, user: CurrentUser,
                    id: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """Add a UMKM, or move/edit one: click its place on the small map."""
    return await _html(request, store, user, lambda: forms.umkm_page(
        store, user, csrf_token(request), id or None))


def _coordinate(field: str, text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadParameter(f"form.{field}", f"'{text[:40]}' bukan angka") from None
    if not math.isfinite(value):
        raise BadParameter(f"form.{field}", "angka tidak sah")
    return value


@router.post("/kontribusi/umkm", response_class=Response,
             responses=FORM_POST)
async def umkm_save(request: Request, store: StoreDep, writes: WritesDep, user: WriterDep,
                    name: Annotated[str, Form(max_length=200)],
                    type: Annotated[str, Form(max_length=40)],
                    lon: Annotated[str, Form(max_length=40)] = "",
                    lat: Annotated[str, Form(max_length=40)] = "",
                    id: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Save the UMKM form."""
    async def write() -> service.AppliedView:
        x, y = _coordinate("lon", lon), _coordinate("lat", lat)
        return await service.save_umkm(store, writes, user, id or None,
                                       {"name": name, "type": type}, x, y)

    return await _submit(request, store, user, write)


# --- JSON ---------------------------------------------------------------------------


def _applied(a: service.AppliedView) -> AppliedResponse:
    return AppliedResponse(version=a.version, n_changes=a.n_changes, message=a.message)


@router.post("/api/uploads", response_model=PreviewResponse, responses=WRITE_ERRORS)
async def upload(store: StoreDep, user: WriterDep,
                 kind: Annotated[str, Form(max_length=40, description=", ".join(service.KINDS))],
                 file: Annotated[UploadFile, File(description="CSV, XLSX, GeoJSON or GPKG")]
                 ) -> PreviewResponse:
    """Preview an agency file: problems, counts, old → new values, new points, and the
    token that applies it. Nothing is written. A file that would change data outside the
    agency's scope is refused (403) with the reason."""
    data = await file.read(service.MAX_UPLOAD_BYTES + 1)
    view = await run_in_threadpool(service.preview_upload, store, user, kind,
                                   file.filename or "unggahan", data)
    if view.scope_error is not None:
        raise ScopeError(view.scope_error)
    return PreviewResponse.model_validate(view, from_attributes=True)


@router.post("/api/uploads/{token}/apply", response_model=AppliedResponse,
             responses=WRITE_ERRORS)
async def apply(store: StoreDep, writes: WritesDep, user: WriterDep,
                token: Annotated[str, Path(max_length=100)]) -> AppliedResponse:
    """Apply a previewed upload atomically (409 when the data changed since the preview)."""
    return _applied(await service.apply_upload(store, writes, user, token))


@router.patch("/api/destinations/{id}", response_model=AppliedResponse,
              responses=WRITE_ERRORS)
async def patch_destination(store: StoreDep, writes: WritesDep, user: WriterDep, id: Id,
                            values: Values) -> AppliedResponse:
    """Edit a destination's attributes (the columns the agency owns)."""
    return _applied(await service.edit_destination(store, writes, user, id, values))


@router.patch("/api/roads/{ruas_id}", response_model=AppliedResponse, responses=WRITE_ERRORS)
async def patch_road(store: StoreDep, writes: WritesDep, user: WriterDep,
                     ruas_id: Annotated[str, Path(max_length=20, description="e.g. R00042")],
                     edit: RoadEdit) -> AppliedResponse:
    """Set a road section's PU condition and/or surface (every edge of the section)."""
    values = edit.model_dump(exclude_none=True)
    return _applied(await service.edit_road(store, writes, user, ruas_id, values))


def _split_location(values: dict[str, EditValue]) -> tuple[dict[str, EditValue],
                                                           float | None, float | None]:
    rest = dict(values)
    out: list[float | None] = []
    for key in ("lon", "lat"):
        v = rest.pop(key, None)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            raise BadParameter(f"body.{key}", "harus angka")
        out.append(None if v is None else float(v))
    return rest, out[0], out[1]


@router.post("/api/umkm", response_model=AppliedResponse, responses=WRITE_ERRORS)
async def add_umkm(store: StoreDep, writes: WritesDep, user: WriterDep,
                   values: Values) -> AppliedResponse:
    """Add a UMKM: ``name``, ``type``, ``lon``, ``lat`` and any other attribute."""
    rest, lon, lat = _split_location(values)
    return _applied(await service.save_umkm(store, writes, user, None, rest, lon, lat))


@router.patch("/api/umkm/{id}", response_model=AppliedResponse, responses=WRITE_ERRORS)
async def patch_umkm(store: StoreDep, writes: WritesDep, user: WriterDep, id: Id,
                     values: Values) -> AppliedResponse:
    """Edit or move a UMKM (``lon``/``lat`` move it)."""
    rest, lon, lat = _split_location(values)
    return _applied(await service.save_umkm(store, writes, user, id, rest, lon, lat))


@router.get("/api/status", response_model=StatusResponse)
async def status(store: StoreDep, writes: WritesDep) -> StatusResponse:
    """Whether the scores are current or being recomputed (pages poll it)."""
    try:
        version: str | None = store.version()
        fresh = await run_in_threadpool(freshness, store)
    except SiapError:
        version, fresh = None, Freshness(False, False)
    if version is not None:
        writes.recomputer.ensure(fresh.stale, version)
    s = writes.recomputer.status()
    return StatusResponse(version=version, stale=fresh.stale, scores_stale=fresh.scores_stale,
                          priorities_stale=fresh.priorities_stale, recomputing=s.running,
                          pending=s.pending, last_error=s.last_error,
                          last_seconds=s.last_seconds)
