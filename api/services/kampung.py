"""Kampung with the travel time to their nearest destination (the kampung view)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.exceptions import WorkspaceError
from geo.schema import WGS84

from .._util import GEOJSON, Body, collection, credits, is_synthetic, model_body
from ..deps import WorkspaceStore
from ..schemas import KampungCollection, KampungProperties


def kampung(store: WorkspaceStore, distrik: str | None) -> Body:
    """Kampung points (the point the engine routes from) with the minutes to the nearest
    destination and which one it is; null minutes = not reachable."""

    def build() -> Body:
        data = store.map_data()
        access = store.access()
        k = access.kampung.copy()
        if k.empty:
            raise WorkspaceError("tidak ada kampung atau tempat berpenduduk di "
                                 "workspace ini")
        k["kode"] = k["kode"].astype(str)
        names = {}
        if data.scores is not None:
            names = dict(zip(data.scores["id"].astype(str), data.scores["name"].astype(str),
                             strict=True))
        elif data.destinations is not None:
            names = dict(zip(data.destinations["id"].astype(str),
                             data.destinations["name"].astype(str), strict=True))
        k["nearest_destination_name"] = k["nearest_destination"].map(
            lambda d: names.get(str(d)) if isinstance(d, str) else None)
        polys = data.kampung()
        if not polys.empty:
            k = k.merge(pd.DataFrame(polys[["kode", "distrik"]]), on="kode", how="left")
        if distrik:
            area = data.find_distrik(distrik)
            if "distrik" in k:
                k = k[k["distrik"].astype(str) == area.nama]
        gdf = gpd.GeoDataFrame(k, geometry=gpd.points_from_xy(k["lon"].round(6),
                                                               k["lat"].round(6)), crs=WGS84)
        fc = collection(KampungCollection, gdf, tuple(KampungProperties.model_fields),
                        synthetic=is_synthetic(data.roads), attribution=credits(data.roads))
        return model_body(fc, GEOJSON)

    return store.cached(("kampung", distrik.strip().casefold() if distrik else None),
                        build)
