"""The HTML maps (Folium) (:mod:`api.services.maps`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from .._util import plus_zero
from ..deps import StoreDep
from ..errors import BUSY_RESPONSE
from ..schemas import Authority, ColorBy, ErrorResponse
from ..services import maps as service

router = APIRouter(prefix="/maps", tags=["peta"])

Distrik = Annotated[str | None, Query(max_length=100, description="Distrik code or name")]
HTML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "The map page"},
    409: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
}


@router.get("/readiness", response_class=Response, responses=HTML_RESPONSE)
def readiness(store: StoreDep, distrik: Distrik = None) -> Response:
    """Peta kesiapan destinasi: class, score, per-OPD popup, roads, UMKM, kampung."""
    return service.readiness_map(store, distrik).response()


@router.get("/priorities", response_class=Response,
            responses={**HTML_RESPONSE, 503: BUSY_RESPONSE})
async def priorities(
    store: StoreDep,
    distrik: Distrik = None,
    budget: Annotated[float | None, Query(ge=0, allow_inf_nan=False,
                                          description="Budget in Rupiah")] = None,
    authority: Annotated[Authority | None, Query(description="Road authority")] = None,
    warna: Annotated[ColorBy, Query(description="Colour sections by rank or benefit/cost")]
    = ColorBy.rank,
) -> Response:
    """Peta prioritas ruas jalan untuk PU: rank or benefit/cost, selection within budget."""
    body = await service.priorities_map(store, distrik, plus_zero(budget),
                                        authority.value if authority else None, warna.value)
    return body.response()
