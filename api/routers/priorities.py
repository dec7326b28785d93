"""Road-works priorities for PU: JSON, or a CSV / XLSX / GeoPackage download
(:mod:`api.services.priorities`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from .._util import plus_zero
from ..deps import StoreDep
from ..errors import BUSY_RESPONSE
from ..schemas import Authority, DownloadFormat, ErrorResponse, PrioritiesResponse
from ..services import priorities as service

router = APIRouter(prefix="/api/priorities", tags=["prioritas"])


@router.get(
    "",
    response_model=PrioritiesResponse,
    responses={
        200: {"content": {service.CSV: {}, service.XLSX: {}, service.GPKG: {}},
              "description": "JSON, or the table as a file with format=csv|xlsx|gpkg"},
        409: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
        503: BUSY_RESPONSE,
    },
)
async def priorities(
    store: StoreDep,
    budget: Annotated[float | None, Query(ge=0, allow_inf_nan=False,
                                          description="Budget in Rupiah")] = None,
    authority: Annotated[Authority | None, Query(description="Road authority")] = None,
    format: Annotated[DownloadFormat, Query(description="json, csv, xlsx or gpkg")]
    = DownloadFormat.json,
) -> Response:
    """Ranked road sections with cost, minutes saved, score gain and benefit/cost."""
    body = await service.priorities(store, budget=plus_zero(budget),
                                    authority=authority.value if authority else None,
                                    fmt=format)
    return body.response()
