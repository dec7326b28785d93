"""Scores under custom weights, without touching the stored ``scores`` layer."""

from __future__ import annotations

from typing import Any

import pandas as pd
from starlette.concurrency import run_in_threadpool

from geo.exceptions import ConfigError

from .._util import Body, json_value, model_body
from ..deps import WorkspaceStore
from ..errors import BadParameter
from ..schemas import ScoreRequest, ScoreResponse, score_row_model


async def score(request: ScoreRequest, store: WorkspaceStore) -> Body:
    """Re-score every destination with the request's weights (omitted ones keep their
    configured value); a new weight set is computed on the bounded lane."""
    given = request.weights.given()
    cfg = await run_in_threadpool(store.readiness_config)
    try:
        vec = cfg.weight_vector(given)
    except ConfigError as exc:
        raise BadParameter("body.weights", str(exc)) from None
    # Scores depend only on the weights' ratios; dividing by the sum keeps the weighted
    # sums of the scoring kernels far from overflow for any finite weights.
    vec = vec / vec.sum()
    key = ("score", tuple(round(float(w), 12) for w in vec), request.ranks)
    # a new weight set is a recomputation: on the bounded lane (503 when it is full)
    body = await store.compute(key, (__name__, "score_body"), tuple(float(w) for w in vec),
                               request.ranks)
    assert isinstance(body, Body)
    return body


def score_body(store: WorkspaceStore, weights: tuple[float, ...], ranks: bool) -> Body:
    """The ``POST /api/score`` answer for a weight vector (run on the lane)."""
    from geo.readiness import agency_names, score_frame

    cfg = store.readiness_config()
    row_model = score_row_model(agency_names(store.dimensions()))
    inputs = store.score_inputs()
    effective = dict(zip(cfg.names, weights, strict=True))
    table = score_frame(inputs, cfg, effective, ranks=ranks)
    stored = store.map_data().scores
    old_score: dict[str, Any] = {}
    old_rank: dict[str, Any] = {}
    if stored is not None:
        ids = stored["id"].astype(str)
        old_score = dict(zip(ids, stored["score"], strict=True))
        old_rank = dict(zip(ids, stored["rank"], strict=True))
    rows = []
    for rec in pd.DataFrame(table.drop(columns=["geometry"], errors="ignore")).to_dict("records"):
        r = {str(k): json_value(v) for k, v in rec.items()}
        rid = str(r["id"])
        before = json_value(old_score.get(rid))
        r["stored_score"] = before
        r["stored_rank"] = json_value(old_rank.get(rid))
        now = r.get("score")
        r["score_change"] = None if before is None or now is None else now - before
        r["id"] = rid
        rows.append(row_model.model_validate(r))
    resp = ScoreResponse(
        weights={k: v + 0.0 for k, v in effective.items()},  # no -0.0
        stored=False,
        synthetic=bool(table["synthetic"].any()) if len(table) else False,
        destinations=rows,
    )
    return model_body(resp)

