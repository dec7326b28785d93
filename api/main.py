"""The FastAPI application: ``create_app(workspace_path)``.

Layout follows FastAPI's "bigger applications": one router per resource in
``api/routers`` (parsing and serialising only), what it answers in the service module of the
same name in ``api/services``, shared dependencies in :mod:`api.deps` (``StoreDep``),
pydantic models in :mod:`api.schemas`, error handlers in :mod:`api.errors`. Served by
``siapwisata serve --workspace PATH`` (uvicorn, 127.0.0.1:8000 by default).

Interactive API docs: Swagger UI at ``/docs`` from the npm package ``swagger-ui-dist``
(:mod:`api.routers.docs`; FastAPI's default loads it from a CDN, and nothing here may);
ReDoc is off. The OpenAPI description stays at ``/openapi.json``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from geo.exceptions import SiapError
from geo.io.tiles import TileSource, open_tiles
from geo.io.workspace import Workspace
from geo.settings import get_settings, software_version
from maps import Tiles, missing_assets

from . import auth, errors, security
from .deps import WorkspaceStore
from .fastpath import FastPath
from .routers import auth as auth_routes
from .routers import (
    contribute,
    destinations,
    docs,
    health,
    history,
    kampung,
    maps,
    pages,
    priorities,
    reports,
    score,
    tasks,
    umkm,
)
from .routers import tiles as tile_routes
from .schemas import destination_models, score_row_model
from .security import SecurityHeaders
from .services.auth import AuthState
from .services.tiles import basemaps
from .services.writes import Writes

log = logging.getLogger("siapwisata.api")

def tiles_from_env() -> Tiles | None:
    """An optional basemap from the settings' ``tiles_url`` (``SIAPWISATA_TILES_URL``, e.g. a
    local tile server) and ``tiles_attribution``.

    Off by default: the maps are drawn to be readable without tiles, and most tile
    servers are on the internet, which the agencies often do not have.
    """
    settings = get_settings()
    if settings.tiles_url is None:
        return None
    return Tiles(url=settings.tiles_url, attribution=settings.tiles_attribution)


class SiapWisataAPI(FastAPI):
    """FastAPI with the security headers outside every other layer (so that even the
    500 page of Starlette's error middleware carries them) and an OpenAPI description
    that matches what the API really answers (:func:`_describe_errors`,
    :func:`_distrik_choices`)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())

    def openapi(self) -> dict[str, Any]:
        base = super().openapi()  # built once by FastAPI and kept in openapi_schema
        store: WorkspaceStore = self.state.store

        def build() -> dict[str, Any]:
            spec = copy.deepcopy(base)
            _describe_errors(spec)
            _distrik_choices(spec, store)
            _dimension_fields(spec, self.state.dimensions)
            return spec

        try:
            return store.cached(("openapi",), build)
        except SiapError:  # no readable workspace: no distrik to list
            spec = copy.deepcopy(base)
            _describe_errors(spec)
            _dimension_fields(spec, self.state.dimensions)
            return spec


ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def _describe_errors(spec: dict[str, Any]) -> None:
    """Every 422 is an :class:`ErrorResponse` (FastAPI documents its own list format,
    which this API never sends), and every operation may answer 400 for a Host name the
    server does not serve."""
    for item in spec.get("paths", {}).values():
        for op in item.values():
            responses = op.setdefault("responses", {})
            if "422" in responses:
                # the JSON body replaces FastAPI's list format; an HTML form's own 422 page
                # (text/html, documented by its route) stays documented
                content = responses["422"].setdefault("content", {})
                content["application/json"] = {"schema": ERROR_REF}
                if responses["422"].get("description") == "Validation Error":
                    responses["422"]["description"] = "Parameter tidak sah"
            responses.setdefault("400", {
                "description": "Host tidak diizinkan",
                "content": {"application/json": {"schema": ERROR_REF}},
            })
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def _dimension_fields(spec: dict[str, Any], dimensions: dict[str, str]) -> None:
    """The ``score_<dimension>`` properties of the destination and score rows, one per
    dimension of the readiness configuration the app serves (the routers validate with
    models built for it: :func:`api.schemas.destination_models`, ``score_row_model``)."""
    schemas = spec.get("components", {}).get("schemas", {})
    for name, model in (("DestinationProperties", destination_models(dimensions)[0]),
                        ("ScoreRow", score_row_model(dimensions))):
        if name in schemas:
            props = model.model_json_schema(by_alias=True)["properties"]
            schemas[name].setdefault("properties", {}).update(
                {k: v for k, v in props.items() if k.startswith("score_")
                 and k not in ("score_low", "score_high", "score_change")})


def _distrik_choices(spec: dict[str, Any], store: WorkspaceStore) -> None:
    """The ``distrik`` parameters take this workspace's distrik codes and names (matched
    case-insensitively; anything else is a 422 that lists the choices)."""
    choices = distrik_choices(store.ws)
    if not choices:
        return
    for item in spec.get("paths", {}).values():
        for op in item.values():
            for param in op.get("parameters", []):
                if param.get("name") == "distrik" and param.get("in") == "query":
                    param["schema"] = {"type": "string", "enum": choices,
                                       "title": param.get("schema", {}).get("title", "Distrik")}


def distrik_choices(ws: Workspace) -> list[str]:
    """Codes and names of the workspace's distrik, sorted (empty without admin areas)."""
    if not ws.has("admin_areas"):
        return []
    admin = ws.read("admin_areas")
    if "level" not in admin:
        return []
    dis = admin[admin["level"] == "distrik"]
    return sorted({*dis["kode"].astype(str), *dis["nama"].astype(str)})


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On start-up, start the writer's worker process; on shutdown, stop it and the
    recomputation workers (they also exit by themselves when the server process is gone:
    :func:`api._lane._exit_with`)."""
    app.state.writes.start()
    yield
    store: WorkspaceStore = app.state.store
    app.state.writes.shutdown()
    store.close()
    source: TileSource | None = app.state.tile_source
    if source is not None:
        source.close()


def create_app(workspace_path: str | os.PathLike[str], *, tiles: Tiles | None = None,
               tiles_file: str | os.PathLike[str] | None = None,
               allowed_hosts: Iterable[str] = (), login_to_read: bool = False,
               writes: Writes | None = None) -> FastAPI:
    """Build the app serving one workspace.

    Parameters
    ----------
    workspace_path
        The workspace GeoPackage. It may change while the app runs (a new score run);
        responses follow its version.
    tiles
        Optional basemap; defaults to ``SIAPWISATA_TILES_URL`` when set, else none.
    tiles_file
        A local basemap file (``.mbtiles``/``.pmtiles``) served at ``/tiles/{z}/{x}/{y}``
        and shown first as "Peta dasar lokal"; defaults to ``SIAPWISATA_TILES_FILE``.
        Opened and checked here: a bad file stops the start with a
        :class:`~geo.io.tiles.TileFileError` naming it. ``SIAPWISATA_BASEMAPS=online``
        adds OpenStreetMap and satellite imagery (:func:`api.services.tiles.basemaps`).
    allowed_hosts
        Host names the app answers (``Host`` header) besides 127.0.0.1, localhost and
        ``SIAPWISATA_ALLOWED_HOSTS``; any other gets a 400 (DNS rebinding).
    login_to_read
        Whether every read needs a login (a server reachable from the network without
        ``--public-read``: :func:`api.server.run` decides). Writing always does.
    writes
        The writer queue and background recomputation (default: one for this workspace,
        recomputing in a worker process).
    """
    app = SiapWisataAPI(
        title="SIAP Wisata API",
        description="Kesiapan destinasi wisata lintas OPD: peta, skor, prioritas jalan.",
        version=software_version(),
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    settings = get_settings()
    tiles_file = tiles_file if tiles_file is not None else settings.tiles_file
    app.state.tile_source = open_tiles(tiles_file) if tiles_file is not None else None
    app.state.store = WorkspaceStore(
        Path(workspace_path),
        tiles=basemaps(settings, source=app.state.tile_source, tiles=tiles or tiles_from_env()))
    app.state.writes = writes or Writes(str(workspace_path))
    app.state.allowed_hosts = security.allowed_hosts(get_settings().allowed_hosts,
                                                     allowed_hosts)
    app.state.auth = AuthState(app.state.store, login_to_read=login_to_read)
    # Outermost first: Host check -> read rule -> fast path -> routing. The read rule must
    # sit outside the fast path, which answers cached pages before any route runs.
    app.add_middleware(FastPath, store=app.state.store)
    app.add_middleware(auth.ReadGate, state=app.state.auth)
    app.add_middleware(security.HostCheck, allowed_hosts=app.state.allowed_hosts)
    errors.install(app)
    for module in (auth_routes, pages, health, maps, destinations, priorities, umkm, kampung,
                   contribute, history, tasks, reports, tile_routes, docs):
        app.include_router(module.router)
    # the weights of POST /api/score are the dimensions of the configuration served
    app.state.dimensions = _dimension_agencies(app.state.store)
    app.include_router(score.build_router(app.state.dimensions))
    missing = missing_assets()
    if missing:
        log.warning("map assets missing (run 'npm ci'): %s", ", ".join(missing))
    return app


def _dimension_agencies(store: WorkspaceStore) -> dict[str, str]:
    """Dimension key -> agency of the readiness configuration the app serves (the stored
    scores', :meth:`WorkspaceStore.readiness`); empty when it does not load
    (``/api/score`` then answers 503 with the reason)."""
    from geo.readiness import agency_names, dimension_labels
    from geo.steps import workspace_readiness_config

    try:
        # not through the store's cache: the workspace may not exist yet (then the default)
        config = workspace_readiness_config(store.ws)[0]
        return agency_names(dimension_labels(config))
    except SiapError as exc:
        log.warning("readiness configuration: %s", exc)
        return {}
