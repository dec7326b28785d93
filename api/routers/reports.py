"""The rapor OPD and the page of one destination (issue 13; :mod:`api.services.reports`):
parsing and serialising only. Reading follows the read rule of issue 12
(:class:`api.auth.ReadGate`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from .._util import page_response
from ..deps import StoreDep
from ..errors import BadParameter
from ..services import reports as service
from .contribute import HTML

router = APIRouter(tags=["halaman"])

DestinationId = Annotated[str, Path(description="Destination id", max_length=200)]
# Parsed by the service (an invalid date is the rapor page with an Indonesian 422, not the
# JSON error a typed parameter would give); documented as the date it must be.
Since = Annotated[str | None, Query(
    alias="sejak", max_length=40, json_schema_extra={"format": "date"},
    description="Class changes since this date (YYYY-MM-DD; default 30 days ago)")]


@router.get("/destinasi/{id}", response_class=Response, responses=HTML)
async def destination_page(store: StoreDep, id: DestinationId) -> Response:
    """Halaman destinasi: details, per-agency breakdown with its bounds, actions and tasks,
    the 15/30-minute reach on a small map, and the trend of its score."""
    body = await run_in_threadpool(service.destination_page, store, id)
    if body is None:
        html = await run_in_threadpool(service.not_found_page, store, id)
        return page_response(html, status_code=404)
    return body.response()


@router.get("/rapor", response_class=Response, responses=HTML)
async def rapor_page(request: Request, store: StoreDep, sejak: Since = None) -> Response:
    """Rapor OPD: per agency the destinations it holds back, its tasks and committed budget,
    days since its last data update and how complete its columns are; the regency's trend
    and the destinations whose class changed since ``sejak``. Prints one A4 landscape page
    per agency."""
    now = service.today()
    try:
        since = service.parse_since(sejak, now)
    except BadParameter as exc:
        html = await run_in_threadpool(service.rapor_error_page, store, str(exc), sejak)
        return page_response(html, status_code=422)
    body = await run_in_threadpool(service.rapor_body, store, since, now)
    # Not Body.response(): the fast path keys by URL only, and the rapor changes with the
    # date ("days since the last update") as well as with the workspace version.
    headers = {**body.headers, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        data = await run_in_threadpool(service.rapor_gzip, store, since, now)
        return Response(data, media_type=body.media_type,
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(body.content, media_type=body.media_type, headers=headers)
