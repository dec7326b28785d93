"""The HTML maps (Folium), rendered once per workspace version and parameter set."""

from __future__ import annotations

from maps.priorities import priorities_html
from maps.readiness import readiness_html

from .._util import Body, html_body
from ..deps import WorkspaceStore
from .freshness import after_body, with_banner
from .pages import templates
from .priorities import answer_priorities, priority_table, stored_setting

# The account widget of the other pages, floating over the map beside the layer control: a
# cached map shows no user, so /akun.js fills it in from /api/akun (as on the home page).
_WIDGET_STYLE = (
    "<style>nav.akun{position:fixed;top:10px;right:64px;z-index:10001;background:#1b5e20;"
    "color:#fff;font:600 13px/1.4 system-ui,sans-serif;padding:5px 10px;border-radius:6px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.3)}nav.akun a,nav.akun span{color:#fff}"
    "nav.akun form{display:inline;margin:0}nav.akun button{background:#fff;color:#1b5e20;"
    "border:0;border-radius:4px;padding:1px 8px;font:inherit;cursor:pointer}</style>")


def with_account(html: str) -> str:
    """A map page with the account widget ("Masuk", or who is logged in · Keluar)."""
    widget = templates.get_template("_akun.html").render({})
    return after_body(html, _WIDGET_STYLE + widget)


def area_key(distrik: str | None) -> str | None:
    """The cache key of a distrik parameter (blank: the whole region)."""
    return distrik.strip().casefold() if distrik and distrik.strip() else None


def readiness_map(store: WorkspaceStore, distrik: str | None) -> Body:
    """The ``/maps/readiness`` page."""

    def build() -> Body:
        html = readiness_html(store.map_data(), distrik=area_key(distrik) and distrik,
                              tiles=store.tiles)
        return html_body(with_banner(store, with_account(html)), tiles=store.tiles)

    return store.cached(("map", "readiness", area_key(distrik)), build)


async def priorities_map(store: WorkspaceStore, distrik: str | None, budget: float | None,
                         authority: str | None, warna: str) -> Body:
    """The ``/maps/priorities`` page: from the stored layer in the thread pool, or on the
    lane when it needs a new selection."""
    key = ("map", "priorities", area_key(distrik), budget, authority, warna)
    return await answer_priorities(store, key, (__name__, "priorities_map_body"), distrik,
                                   budget, authority, warna, budget=budget,
                                   authority=authority)


def priorities_map_body(store: WorkspaceStore, distrik: str | None, budget: float | None,
                        auth: str | None, warna: str) -> Body:
    """The ``/maps/priorities`` page (run on the lane when it needs a new selection)."""
    table = priority_table(store, budget=budget, authority=auth)
    shown = budget if budget is not None else stored_setting(store)[1]
    html = priorities_html(store.map_data(), table, distrik=area_key(distrik) and distrik,
                           budget=shown, color_by=warna, tiles=store.tiles)
    return html_body(with_banner(store, with_account(html)), tiles=store.tiles)
