"""Small helpers shared by the routers: pre-serialised bodies and GeoJSON building."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
from fastapi import Response
from pydantic import BaseModel

from maps import OSM_CREDIT, Basemaps, features, has_provenance, tile_hosts

from .fastpath import MARK
from .security import origin, page_policy

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html; charset=utf-8"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Body:
    """A response body computed once and served many times from the cache."""

    content: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        """The answer, marked as depending only on its URL and the workspace version, so
        that :class:`api.fastpath.FastPath` serves it again without the endpoint."""
        return Response(content=self.content, media_type=self.media_type,
                        headers={**self.headers, MARK: "1"})


def html_body(html: str, *, tiles: Basemaps = None) -> Body:
    """An HTML page with its own Content-Security-Policy (inline scripts by hash, the
    tile servers' images when basemaps from other hosts are configured: exactly their
    origins), computed once and cached."""
    images = list(dict.fromkeys(o for o in map(origin, tile_hosts(tiles)) if o))
    policy = page_policy(html, image_sources=images)
    return Body(html.encode("utf-8"), HTML, {"Content-Security-Policy": policy})


def page_response(html: str, *, status_code: int = 200, tiles: Basemaps = None) -> Response:
    """A page rendered for one request (a user's forms, with their CSRF token): the policy of
    :func:`html_body`, never kept by the fast path nor by a browser or proxy cache."""
    body = html_body(html, tiles=tiles)
    return Response(content=body.content, media_type=body.media_type, status_code=status_code,
                    headers={**body.headers, "Cache-Control": "no-store"})


def model_body(model: BaseModel, media_type: str = JSON) -> Body:
    return Body(model.model_dump_json().encode("utf-8"), media_type)


def collection(model: type[M], gdf: gpd.GeoDataFrame, columns: Sequence[str], *,
               synthetic: bool, attribution: list[str]) -> M:
    """Validate a GeoDataFrame as a typed GeoJSON FeatureCollection model."""
    fc: dict[str, Any] = features(gdf, columns)
    fc["synthetic"] = synthetic
    fc["attribution"] = attribution
    return model.model_validate(fc)


def json_value(v: Any) -> Any:
    """A cell as plain JSON: numpy scalars unwrapped; NA, NaN and infinities as null."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def plus_zero(v: float | None) -> float | None:
    """``-0.0`` as ``0.0`` (JSON would show the sign): a budget or weight of minus zero
    is zero."""
    return None if v is None else v + 0.0


def is_synthetic(gdf: Any) -> bool:
    return has_provenance(gdf, "synthetic")


def credits(*frames: Any) -> list[str]:
    """'© OpenStreetMap contributors' when any frame holds OSM rows."""
    return [OSM_CREDIT] if any(has_provenance(f, "osm") for f in frames) else []
