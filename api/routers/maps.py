"""The HTML maps (Folium), rendered once per workspace version and parameter set."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from maps.priorities import priorities_html
from maps.readiness import readiness_html

from .._util import Body, html_body, plus_zero
from ..deps import WorkspaceStore, get_store
from ..errors import BUSY_RESPONSE
from ..schemas import Authority, ColorBy, ErrorResponse

router = APIRouter(prefix="/maps", tags=["peta"])

Store = Annotated[WorkspaceStore, Depends(get_store)]
Distrik = Annotated[str | None, Query(max_length=100, description="Distrik code or name")]
HTML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "The map page"},
    409: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
}


def _key(distrik: str | None) -> str | None:
    return distrik.strip().casefold() if distrik and distrik.strip() else None


@router.get("/readiness", response_class=Response, responses=HTML_RESPONSE)
def readiness(store: Store, distrik: Distrik = None) -> Response:
    """Peta kesiapan destinasi: class, score, per-OPD popup, roads, UMKM, kampung."""

    def build() -> Body:
        html = readiness_html(store.map_data(), distrik=_key(distrik) and distrik,
                              tiles=store.tiles)
        return html_body(html, tiles=store.tiles)

    return store.cached(("map", "readiness", _key(distrik)), build).response()


@router.get("/priorities", response_class=Response,
            responses={**HTML_RESPONSE, 503: BUSY_RESPONSE})
async def priorities(
    store: Store,
    distrik: Distrik = None,
    budget: Annotated[float | None, Query(ge=0, allow_inf_nan=False,
                                          description="Budget in Rupiah")] = None,
    authority: Annotated[Authority | None, Query(description="Road authority")] = None,
    warna: Annotated[ColorBy, Query(description="Colour sections by rank or benefit/cost")]
    = ColorBy.rank,
) -> Response:
    """Peta prioritas ruas jalan untuk PU: rank or benefit/cost, selection within budget."""
    budget = plus_zero(budget)
    from .priorities import answer

    auth = authority.value if authority else None
    key = ("map", "priorities", _key(distrik), budget, auth, warna.value)
    return await answer(store, key, (__name__, "priorities_map_body"), distrik, budget, auth,
                        warna.value, budget=budget, authority=auth)


def priorities_map_body(store: WorkspaceStore, distrik: str | None, budget: float | None,
                        auth: str | None, warna: str) -> Body:
    """The ``/maps/priorities`` page (run on the lane when it needs a new selection)."""
    from .priorities import _stored_setting, priority_table

    table = priority_table(store, budget=budget, authority=auth)
    shown = budget if budget is not None else _stored_setting(store)[1]
    html = priorities_html(store.map_data(), table, distrik=_key(distrik) and distrik,
                           budget=shown, color_by=warna, tiles=store.tiles)
    return html_body(html, tiles=store.tiles)
