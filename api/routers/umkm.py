"""UMKM (small businesses, Dinas Koperasi dan UKM registry) as GeoJSON
(:mod:`api.services.umkm`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from .._util import GEOJSON
from ..deps import StoreDep
from ..schemas import ErrorResponse, UmkmCollection, UmkmType
from ..services import umkm as service

router = APIRouter(prefix="/api/umkm", tags=["umkm"])


@router.get("", response_model=UmkmCollection,
            responses={200: {"content": {GEOJSON: {}}}, 422: {"model": ErrorResponse}})
def list_umkm(
    store: StoreDep,
    type: Annotated[
        list[UmkmType] | None,
        Query(alias="type", description="Only these types (repeat the parameter for several)"),
    ] = None,
    distrik: Annotated[str | None, Query(description="Distrik code or name")] = None,
) -> Response:
    """UMKM points with ``id``, ``name``, ``type``, ``location_precision``, ``provenance``."""
    types = tuple(sorted({t.value for t in type})) if type else None
    return service.umkm(store, types, distrik).response()
