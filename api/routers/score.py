"""``POST /api/score``: scores under custom weights (:mod:`api.services.scores`)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Response

from ..deps import StoreDep
from ..errors import BUSY_RESPONSE
from ..schemas import ErrorResponse, ScoreRequest, ScoreResponse, score_request_model
from ..services import scores


def build_router(dimensions: Mapping[str, str]) -> APIRouter:
    """The ``/api/score`` router whose body names these dimensions (name -> agency), the
    dimensions of the readiness configuration the app serves."""
    router = APIRouter(prefix="/api/score", tags=["skor"])

    async def score(request: ScoreRequest, store: StoreDep) -> Response:
        """Re-score every destination with the given agency weights (a what-if).

        Omitted weights keep their configured value. The stored scores, and what every
        other endpoint and map shows, stay as they are.
        """
        return (await scores.score(request, store)).response()

    # FastAPI reads the body model from the annotation: the one built for these dimensions.
    score.__annotations__["request"] = score_request_model(dimensions)
    router.add_api_route(
        "", score, methods=["POST"], response_model=ScoreResponse,
        responses={422: {"model": ErrorResponse}, 409: {"model": ErrorResponse},
                   503: BUSY_RESPONSE},
    )
    return router
