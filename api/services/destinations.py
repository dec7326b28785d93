"""Destinations with their readiness scores: GeoJSON, one destination's detail, its reach."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo.exceptions import WorkspaceError
from geo.readiness import agency_names
from maps import (
    REACH_MINUTES,
    TOL_ROADS_M,
    breakdown_rows,
    clip,
    dissolve_lines,
    road_layer,
    simplify,
    split_actions,
)

from .._util import GEOJSON, Body, collection, credits, is_synthetic, json_value, model_body
from ..deps import WorkspaceStore
from ..errors import NotFound
from ..schemas import (
    DestinationDetail,
    DimensionScore,
    ReachCollection,
    ReadinessClass,
    RouteSummary,
    destination_models,
)

ROUTE_FIELDS = tuple(k for k in RouteSummary.model_fields if k != "gateway_minutes")


def _scores(store: WorkspaceStore) -> Any:
    s = store.map_data().scores
    if s is None:
        raise WorkspaceError(
            "layer 'scores' belum ada: jalankan 'siapwisata score' dulu"
        )
    return s


def _int(v: Any) -> int | None:
    v = json_value(v)
    return None if v is None else int(v)


def destinations(store: WorkspaceStore, distrik: str | None,
                 kelas: ReadinessClass | None) -> Body:
    """All scored destinations as GeoJSON points with the ``scores`` columns as properties."""

    def build() -> Body:
        data = store.map_data()
        s = _scores(store)
        if distrik:
            s = clip(s, data.find_distrik(distrik))
        if kelas is not None:
            s = s[s["class"].astype(str) == kelas.value]
        s = simplify(s, data.metric_crs, 0.0)
        props, model = destination_models(agency_names(data.dimensions))
        columns = tuple(f.alias or k for k, f in props.model_fields.items())
        fc = collection(model, s, columns,
                        synthetic=is_synthetic(s), attribution=credits(s, data.roads))
        return model_body(fc, GEOJSON)

    key = ("destinations", distrik.strip().casefold() if distrik else None,
           kelas.value if kelas else None)
    return store.cached(key, build)


def destination(store: WorkspaceStore, id: str) -> Body:
    """One destination: per-agency breakdown, bottleneck, actions and route summary."""

    def build() -> Body:
        s = _scores(store)
        hit = s[s["id"].astype(str) == id]
        if hit.empty:
            raise NotFound(f"destinasi '{id}' tidak ditemukan")
        row = {k: json_value(v) for k, v in hit.iloc[0].drop(labels=[s.geometry.name]).items()}
        geom = hit.geometry.iloc[0]
        weights = _weights(store)
        breakdown = [
            DimensionScore(dimension=b["dimension"], agency=b["agency"], score=b["score"],
                           score_low=b["score_low"], score_high=b["score_high"],
                           weight=weights.get(b["dimension"], 0.0),
                           gain=json_value(row.get(f"gain_{b['dimension']}")))
            for b in breakdown_rows(row, store.map_data().dimensions)
        ]
        route: dict[str, Any] = {k: row.get(k) for k in ROUTE_FIELDS}
        by_type: dict[str, int | None] = {}
        access = store.access()
        if id in access.destinations.index:
            arow = access.destinations.loc[id]
            for k in ROUTE_FIELDS:
                if route.get(k) is None and k in arow.index:
                    route[k] = json_value(arow[k])
            by_type = {c.removeprefix("umkm_30min_"): _int(arow[c])
                       for c in arow.index if str(c).startswith("umkm_30min_")}
            gm = access.gateway_minutes
            if id in gm.destinations:
                route["gateway_minutes"] = {str(g): json_value(m)
                                            for g, m in gm.of(id).items()}
        detail = DestinationDetail.model_validate({
            "id": str(row["id"]), "name": row.get("name"), "category": row.get("category"),
            "provenance": row.get("provenance"), "synthetic": bool(row.get("synthetic") or False),
            "lon": None if geom is None else round(geom.x, 6),
            "lat": None if geom is None else round(geom.y, 6),
            "score": row.get("score"), "score_low": json_value(row.get("score_low")),
            "score_high": json_value(row.get("score_high")),
            "class": row.get("class"), "coverage": row.get("coverage"),
            "class_provisional": json_value(row.get("class_provisional")),
            "rank": _int(row.get("rank")), "rank_low": _int(row.get("rank_low")),
            "rank_high": _int(row.get("rank_high")), "bottleneck": row.get("bottleneck"),
            "bottleneck_agency": row.get("bottleneck_agency"),
            "breakdown": breakdown, "actions": split_actions(row.get("actions")),
            "route": RouteSummary.model_validate(route),
            "umkm_15min": _int(row.get("umkm_15min")), "umkm_30min": _int(row.get("umkm_30min")),
            "umkm_by_type_30min": by_type,
        })
        return model_body(detail)

    return store.cached(("destination", id), build)


def _weights(store: WorkspaceStore) -> dict[str, float]:
    cfg = store.readiness_config()
    return {name: float(d.weight) for name, d in cfg.dimensions.items()}


def reach(store: WorkspaceStore, id: str) -> Body:
    """Roads reachable within 15 and within 30 minutes of the destination (two features)."""

    def build() -> Body:
        data = store.map_data()
        access = store.access()
        if id not in access.destinations.index:
            raise NotFound(f"destinasi '{id}' tidak ditemukan")
        parts = []
        seen = np.empty(0, dtype=np.int64)
        for minutes in REACH_MINUTES:
            rows = np.setdiff1d(access.reachable_edges(id, minutes), seen)
            seen = np.union1d(seen, rows)
            r = road_layer(data, None, rows)
            if r.empty:
                continue
            r = simplify(r[[r.geometry.name]], data.metric_crs, TOL_ROADS_M)
            d = dissolve_lines(r.assign(minutes=minutes), ["minutes"])
            d["minutes"] = minutes
            d["road_rows"] = len(r)
            parts.append(d)
        gdf = pd.concat(parts, ignore_index=True) if parts else road_layer(data, None, seen)
        fc = collection(ReachCollection, gdf, ("minutes", "road_rows"),
                        synthetic=is_synthetic(data.roads), attribution=credits(data.roads))
        return model_body(fc, GEOJSON)

    return store.cached(("reach", id), build)
