"""The rapor OPD and the page of one destination (issue 13; :mod:`api.services.reports`):
parsing and serialising only. Reading follows the read rule of issue 12
(:class:`api.auth.ReadGate`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from .._util import Body, page_response, plus_zero
from ..deps import StoreDep
from ..errors import BUSY_RESPONSE, BadParameter
from ..schemas import Authority, ErrorResponse
from ..services import report_pdf as pdf
from ..services import reports as service
from .contribute import HTML

router = APIRouter(tags=["halaman"])

DestinationId = Annotated[str, Path(description="Destination id", max_length=200)]
# Parsed by the service (an invalid date is the rapor page with an Indonesian 422, not the
# JSON error a typed parameter would give); documented as the date it must be.
Since = Annotated[str | None, Query(
    alias="sejak", max_length=40, json_schema_extra={"format": "date"},
    description="Class changes since this date (YYYY-MM-DD; default 30 days ago)")]


PDF_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/pdf": {}}, "description": "Laporan PDF siap cetak (A4)"},
    404: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
}


def _pdf(body: Body) -> Response:
    """A PDF report: not ``Body.response()`` (the fast path keys by URL only, and a report
    carries the date it was printed as well as the workspace version)."""
    return Response(body.content, media_type=body.media_type,
                    headers={**body.headers, "Cache-Control": "no-cache"})


# Declared before /destinasi/{id}, which would otherwise take "DST-001.pdf" as an id.
@router.get("/destinasi/{id}.pdf", response_class=Response, responses=PDF_RESPONSES)
async def destination_pdf(store: StoreDep, id: DestinationId) -> Response:
    """Laporan PDF satu destinasi (satu halaman A4): rincian per OPD dengan rentangnya, peta
    jangkauan 15/30 menit, tindakan dan tugas, asumsi dan sumber data."""
    return _pdf(await run_in_threadpool(pdf.destination_pdf, store, id, pdf.today()))


@router.get("/rapor/{agency}.pdf", response_class=Response, responses=PDF_RESPONSES)
async def agency_pdf(store: StoreDep, agency: Annotated[str, Path(
        max_length=100, description="Agency key of readiness.toml (pu, kominfo, ...)")]
                     ) -> Response:
    """Laporan PDF satu OPD: destinasi yang dihambatnya, tugas dan anggarannya, pembaruan
    data terakhir dan kelengkapan kolomnya."""
    return _pdf(await run_in_threadpool(pdf.agency_pdf, store, agency, pdf.today()))


@router.get("/distrik/{name}.pdf", response_class=Response, responses=PDF_RESPONSES)
async def distrik_pdf(store: StoreDep, name: Annotated[str, Path(
        max_length=200, description="Distrik name or Kemendagri code (94.04.01)")]
                      ) -> Response:
    """Laporan PDF satu distrik: destinasinya menurut peringkat, dan peta."""
    return _pdf(await run_in_threadpool(pdf.distrik_pdf, store, name, pdf.today()))


@router.get("/prioritas.pdf", response_class=Response,
            responses={**PDF_RESPONSES, 409: {"model": ErrorResponse}, 503: BUSY_RESPONSE})
async def priorities_pdf(
    store: StoreDep,
    budget: Annotated[float | None, Query(ge=0, allow_inf_nan=False,
                                          description="Budget in Rupiah")] = None,
    authority: Annotated[Authority | None, Query(description="Road authority")] = None,
) -> Response:
    """Laporan PDF program jalan: ruas terpilih dalam anggaran, peta, biaya dan destinasi
    yang dilayani tiap ruas (tanpa parameter: program yang tersimpan)."""
    body = await pdf.priorities_pdf(store, plus_zero(budget),
                                    authority.value if authority else None, pdf.today())
    return _pdf(body)


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
