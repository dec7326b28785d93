"""The landing page (Bahasa Indonesia) and the static front-end files
(:mod:`api.services.pages`)."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from maps import asset_bytes, resolve

from ..deps import StoreDep
from ..errors import NotFound
from ..services import pages as service

router = APIRouter(tags=["halaman"])


@router.get("/", response_class=Response,
            responses={200: {"content": {"text/html": {}}, "description": "Landing page"}})
def index(request: Request, store: StoreDep) -> Response:
    """Beranda: links to the maps and downloads, and a summary of the destinations."""
    return service.index(store).response()


@router.get("/static/{path:path}", include_in_schema=False)
def static(path: str) -> Response:
    """Front-end files: npm packages (node_modules), folium's own, and ours (maps/)."""
    file = resolve(path)
    if file is None:
        raise NotFound(f"/static/{path}: berkas tidak ada")
    media = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if media in ("text/javascript", "application/javascript", "text/css"):
        media += "; charset=utf-8"
    headers = {"Cache-Control": "public, max-age=3600"}
    built = asset_bytes(file)
    if built is not None:
        return Response(built, media_type=media, headers=headers)
    return FileResponse(file, media_type=media, headers=headers)
