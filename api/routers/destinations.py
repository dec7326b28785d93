"""Destinations with their readiness scores: GeoJSON, one destination's detail, its reach
(:mod:`api.services.destinations`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from .._util import GEOJSON
from ..deps import StoreDep
from ..schemas import (
    DestinationCollection,
    DestinationDetail,
    ErrorResponse,
    ReachCollection,
    ReadinessClass,
)
from ..services import destinations as service

router = APIRouter(prefix="/api/destinations", tags=["destinasi"])

ClassFilter = Annotated[
    ReadinessClass | None, Query(alias="kelas", description="Only this readiness class")
]
DestinationId = Annotated[str, Path(description="Destination id", max_length=200)]


@router.get("", response_model=DestinationCollection,
            responses={200: {"content": {GEOJSON: {}}}, 422: {"model": ErrorResponse}})
def list_destinations(
    store: StoreDep,
    distrik: Annotated[str | None, Query(description="Distrik code or name")] = None,
    kelas: ClassFilter = None,
) -> Response:
    """All scored destinations as GeoJSON points with the ``scores`` columns as properties."""
    return service.destinations(store, distrik, kelas).response()


@router.get("/{id}", response_model=DestinationDetail,
            responses={404: {"model": ErrorResponse}})
def destination(store: StoreDep, id: DestinationId) -> Response:
    """One destination: per-agency breakdown, bottleneck, actions and route summary."""
    return service.destination(store, id).response()


@router.get("/{id}/reach", response_model=ReachCollection,
            responses={200: {"content": {GEOJSON: {}}}, 404: {"model": ErrorResponse}})
def reach(store: StoreDep, id: DestinationId) -> Response:
    """Roads reachable within 15 and within 30 minutes of the destination (two features)."""
    return service.reach(store, id).response()
