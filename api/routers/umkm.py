"""UMKM (small businesses, Dinas Koperasi dan UKM registry) as GeoJSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from geo.exceptions import WorkspaceError
from maps._data import clip
from maps._geom import simplify

from .._util import GEOJSON, Body, collection, credits, is_synthetic, model_body
from ..deps import WorkspaceStore, get_store
from ..schemas import ErrorResponse, UmkmCollection, UmkmProperties, UmkmType

router = APIRouter(prefix="/api/umkm", tags=["umkm"])


@router.get("", response_model=UmkmCollection,
            responses={200: {"content": {GEOJSON: {}}}, 422: {"model": ErrorResponse}})
def list_umkm(
    store: Annotated[WorkspaceStore, Depends(get_store)],
    type: Annotated[
        list[UmkmType] | None,
        Query(alias="type", description="Only these types (repeat the parameter for several)"),
    ] = None,
    distrik: Annotated[str | None, Query(description="Distrik code or name")] = None,
) -> Response:
    """UMKM points with ``id``, ``name``, ``type``, ``location_precision``, ``provenance``."""
    types = tuple(sorted({t.value for t in type})) if type else None

    def build() -> Body:
        data = store.map_data()
        u = data.umkm
        if u is None:
            raise WorkspaceError("layer 'umkm' belum ada (no UMKM in this workspace)")
        if distrik:
            u = clip(u, data.find_distrik(distrik))
            assert u is not None
        if types:
            u = u[u["type"].astype(str).isin(types)]
        u = simplify(u, data.metric_crs, 0.0)
        fc = collection(UmkmCollection, u, tuple(UmkmProperties.model_fields),
                        synthetic=is_synthetic(u), attribution=credits(u))
        return model_body(fc, GEOJSON)

    key = ("umkm", types, distrik.strip().casefold() if distrik else None)
    return store.cached(key, build).response()
