"""The HTML maps (Folium) (:mod:`api.services.maps`)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from geo import fmt

from .._util import plus_zero
from ..deps import StoreDep
from ..errors import BUSY_RESPONSE, BadParameter
from ..schemas import Authority, ColorBy, ErrorResponse
from ..services import maps as service

router = APIRouter(prefix="/maps", tags=["peta"])

Distrik = Annotated[str | None, Query(max_length=100, description="Distrik code or name")]


def _budget(text: str | None) -> float | None:
    """The budget box of the landing page, read as officers type it ("25 miliar").

    Scripts keep their plain numbers: ``2.5e10`` and ``-0.0`` (zero) read as floats; any
    other text is read the Indonesian way (``1.500`` is fifteen hundred).
    """
    if text is None or not text.strip():
        return None
    if _MACHINE_NUMBER.fullmatch(text.strip()):
        return plus_zero(abs(float(text)))
    try:
        return plus_zero(fmt.parse_rupiah(text))
    except fmt.RupiahError as exc:
        raise BadParameter("query.budget", f"anggaran: {exc}") from None


_MACHINE_NUMBER = re.compile(r"\+?\d+(?:\.\d+)?[eE][-+]?\d+|-0+(?:\.0+)?")

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
    budget: Annotated[str | None, Query(
        max_length=100,
        description="Anggaran dalam rupiah: '25000000000', '25 miliar', '25 M', "
                    "'Rp 25.000.000.000'")] = None,
    authority: Annotated[Authority | None, Query(description="Kewenangan jalan")] = None,
    warna: Annotated[ColorBy, Query(description="Colour sections by rank or benefit/cost")]
    = ColorBy.rank,
) -> Response:
    """Peta prioritas ruas jalan untuk PU: rank or benefit/cost, selection within budget."""
    body = await service.priorities_map(store, distrik, _budget(budget),
                                        authority.value if authority else None, warna.value)
    return body.response()
