"""Showing maps in Jupyter without internet.

Folium's own notebook display loads Leaflet from CDNs and skips this project's page
furniture (legend, banner, credits). :func:`show` renders the map exactly as the API
serves it, with every asset inlined, inside an iframe.
"""

from __future__ import annotations

import html as _html

import folium

from ._assets import inline_assets
from ._layers import render


class MapView:
    """A self-contained map page that Jupyter displays (``_repr_html_``).

    Attributes
    ----------
    page
        The standalone HTML document (also fit to be saved as a file).
    """

    def __init__(self, page: str, height: int = 600):
        self.page = page
        self.height = height

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{_html.escape(self.page, quote=True)}" '
                f'style="width:100%;height:{self.height}px;border:none" '
                'sandbox="allow-scripts allow-popups"></iframe>')

    def save(self, path: str) -> None:
        """Write the standalone page (works offline, opened straight from disk)."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.page)


def show(m: folium.Map, *, height: int = 600) -> MapView:
    """Display a map built by :mod:`maps` in a notebook, offline.

    Parameters
    ----------
    m
        A map from :func:`maps.readiness.build_readiness_map` or
        :func:`maps.priorities.build_priorities_map`.
    height
        Height of the notebook frame in pixels.
    """
    return MapView(inline_assets(render(m, "/static"), "/static"), height=height)
