"""The FastAPI application: ``create_app(workspace_path)``.

Layout follows FastAPI's "bigger applications": one router per resource in
``api/routers``, shared dependencies in :mod:`api.deps`, pydantic models in
:mod:`api.schemas`, error handlers in :mod:`api.errors`. Served by
``siapwisata serve --workspace PATH`` (uvicorn, 127.0.0.1:8000 by default).

Interactive API docs (Swagger/ReDoc) are off: they load from a CDN, and nothing here may.
The OpenAPI description stays at ``/openapi.json``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import FastAPI

from geo.settings import software_version
from maps._assets import missing_assets
from maps._layers import Tiles

from . import errors
from .deps import WorkspaceStore
from .routers import destinations, health, kampung, maps, pages, priorities, score, umkm

log = logging.getLogger("siapwisata.api")

TILES_ENV = "SIAPWISATA_TILES_URL"
TILES_ATTRIBUTION_ENV = "SIAPWISATA_TILES_ATTRIBUTION"


def tiles_from_env() -> Tiles | None:
    """An optional basemap from ``SIAPWISATA_TILES_URL`` (e.g. a local tile server).

    Off by default: the maps are drawn to be readable without tiles, and most tile
    servers are on the internet, which the agencies often do not have.
    """
    url = os.environ.get(TILES_ENV, "").strip()
    if not url:
        return None
    attribution = os.environ.get(TILES_ATTRIBUTION_ENV, "© OpenStreetMap contributors")
    return Tiles(url=url, attribution=attribution)


def create_app(workspace_path: str | os.PathLike[str], *, tiles: Tiles | None = None) -> FastAPI:
    """Build the app serving one workspace.

    Parameters
    ----------
    workspace_path
        The workspace GeoPackage. It may change while the app runs (a new score run);
        responses follow its version.
    tiles
        Optional basemap; defaults to ``SIAPWISATA_TILES_URL`` when set, else none.
    """
    app = FastAPI(
        title="SIAP Wisata API",
        description="Kesiapan destinasi wisata lintas OPD: peta, skor, prioritas jalan.",
        version=software_version(),
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = WorkspaceStore(Path(workspace_path), tiles=tiles or tiles_from_env())
    errors.install(app)
    for module in (pages, health, maps, destinations, priorities, umkm, kampung, score):
        app.include_router(module.router)
    missing = missing_assets()
    if missing:
        log.warning("map assets missing (run 'npm ci'): %s", ", ".join(missing))
    return app
