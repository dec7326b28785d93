"""Kampung with the travel time to their nearest destination (the kampung view)
(:mod:`api.services.kampung`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from .._util import GEOJSON
from ..deps import StoreDep
from ..schemas import ErrorResponse, KampungCollection
from ..services import kampung as service

router = APIRouter(prefix="/api/kampung", tags=["kampung"])


@router.get("", response_model=KampungCollection,
            responses={200: {"content": {GEOJSON: {}}}, 422: {"model": ErrorResponse}})
def list_kampung(
    store: StoreDep,
    distrik: Annotated[str | None, Query(description="Distrik code or name")] = None,
) -> Response:
    """Kampung points (the point the engine routes from) with the minutes to the nearest
    destination and which one it is; null minutes = not reachable."""
    return service.kampung(store, distrik).response()
