"""UMKM (small businesses, Dinas Koperasi dan UKM registry) as GeoJSON."""

from __future__ import annotations

from geo.exceptions import WorkspaceError
from maps import clip, simplify

from .._util import GEOJSON, Body, collection, credits, is_synthetic, model_body
from ..deps import WorkspaceStore
from ..schemas import UmkmCollection, UmkmProperties


def umkm(store: WorkspaceStore, types: tuple[str, ...] | None, distrik: str | None) -> Body:
    """UMKM points with ``id``, ``name``, ``type``, ``location_precision``, ``provenance``
    (only ``types`` when given, only in ``distrik`` when given)."""

    def build() -> Body:
        data = store.map_data()
        u = data.umkm
        if u is None:
            raise WorkspaceError("layer 'umkm' belum ada")
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
    return store.cached(key, build)
