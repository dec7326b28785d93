"""The local basemap's tiles (``serve --tiles FILE``; :mod:`api.services.tiles`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from ..errors import NotFound
from ..services import tiles as service

router = APIRouter(tags=["peta"])

Zoom = Annotated[int, Path(ge=0, le=30, description="Zoom level")]
Index = Annotated[int, Path(ge=0, description="Tile column (x) or row (y, from the north)")]


@router.get("/tiles/{z}/{x}/{y}.{ext}", response_class=Response, include_in_schema=False)
def tile(request: Request, z: Zoom, x: Index, y: Index, ext: str) -> Response:
    """One tile of the local basemap file, XYZ scheme."""
    source = request.app.state.tile_source
    answer = None if source is None else service.tile_body(source, z, x, y, ext)
    if answer is None:
        raise NotFound(f"/tiles/{z}/{x}/{y}.{ext}: tidak ada peta dasar lokal dengan format "
                       "ini (jalankan 'siapwisata serve --tiles BERKAS')")
    if answer.data is None:
        return Response(status_code=answer.status, headers=answer.headers)
    return Response(answer.data, media_type=answer.media_type, headers=answer.headers)
