"""Scores under custom weights, without touching the stored ``scores`` layer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, cast

import pandas as pd
from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from geo.exceptions import ConfigError

from .._util import Body, json_value, model_body
from ..deps import WorkspaceStore, get_store
from ..errors import BUSY_RESPONSE, BadParameter
from ..schemas import (
    ErrorResponse,
    ScoreRequest,
    ScoreResponse,
    score_request_model,
    score_row_model,
)

Store = Annotated[WorkspaceStore, Depends(get_store)]


def build_router(dimensions: Mapping[str, str]) -> APIRouter:
    """The ``/api/score`` router whose body names these dimensions (name -> agency), the
    dimensions of the readiness configuration the app serves."""
    router = APIRouter(prefix="/api/score", tags=["skor"])

    async def score(request: ScoreRequest, store: Store) -> Response:
        """Re-score every destination with the given agency weights (a what-if).

        Omitted weights keep their configured value. The stored scores, and what every
        other endpoint and map shows, stay as they are.
        """
        return await _score(request, store)

    # FastAPI reads the body model from the annotation: the one built for these dimensions.
    score.__annotations__["request"] = score_request_model(dimensions)
    router.add_api_route(
        "", score, methods=["POST"], response_model=ScoreResponse,
        responses={422: {"model": ErrorResponse}, 409: {"model": ErrorResponse},
                   503: BUSY_RESPONSE},
    )
    return router


async def _score(request: ScoreRequest, store: WorkspaceStore) -> Response:
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
    return cast(Body, body).response()


def score_body(store: WorkspaceStore, weights: tuple[float, ...], ranks: bool) -> Body:
    """The ``POST /api/score`` answer for a weight vector (run on the lane)."""
    from geo.readiness import score_frame

    cfg = store.readiness_config()
    row_model = score_row_model({k: label.agency for k, label in store.dimensions().items()})
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
        r = {k: json_value(v) for k, v in rec.items()}
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


