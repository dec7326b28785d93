"""Basemaps under the maps: none (the default), a local tile file, or online layers.

The maps are drawn to be read without a basemap (a pale land fill inside the regency
outline), and offline pages load nothing from another host. A basemap is added only when
it is asked for:

- **local** (``siapwisata serve --tiles FILE``): the server answers
  ``/tiles/{z}/{x}/{y}.<ext>`` from an MBTiles or PMTiles file (:func:`local_basemap`);
  raster tiles become a Leaflet tile layer, vector tiles are drawn by protomaps-leaflet
  (served from our own ``/static``);
- **online** (``SIAPWISATA_BASEMAPS=online``): OpenStreetMap's standard tiles and Esri's
  World Imagery (:data:`ONLINE_BASEMAPS`), with the attributions their terms require.

Every page with a basemap also offers "Tanpa peta dasar" (no basemap) in the layer
control. While a basemap is shown, the regency's land fill turns transparent so it does
not hide the basemap; if the first basemap's tiles all fail (a browser without internet
although the server was set online), the page falls back to no basemap by itself
(``SiapWisata.basemaps`` in siapwisata.js).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template


@dataclass(frozen=True)
class Tiles:
    """One basemap layer (XYZ tile URL template). Maps are readable without any.

    ``kind`` ``"vector"`` draws Mapbox Vector Tiles with protomaps-leaflet, styled by
    ``style`` (``"protomaps"``: the Protomaps basemap schema's own light theme; else a
    basic style over ``vector_layers``). ``max_native_zoom`` is the deepest zoom the
    source holds (Leaflet enlarges it beyond). ``referrer_policy`` overrides the page's
    ``no-referrer`` for this layer's requests only (OpenStreetMap's tile policy asks for a
    Referer). ``bounds`` (west, south, east, north) keeps requests inside the file's area.
    """

    url: str
    attribution: str
    name: str = "Peta dasar"
    max_zoom: int = 19
    kind: Literal["raster", "vector"] = "raster"
    min_zoom: int = 0
    max_native_zoom: int | None = None
    referrer_policy: str | None = None
    bounds: tuple[float, float, float, float] | None = None
    style: str | None = None
    vector_layers: tuple[str, ...] = ()


Basemaps: TypeAlias = Tiles | Sequence[Tiles] | None
"""What the map functions take as ``tiles``: one basemap, several, or none."""

NO_BASEMAP: Final = "Tanpa peta dasar"
LOCAL_NAME: Final = "Peta dasar lokal"

OSM: Final = Tiles(
    url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    attribution='© <a href="https://www.openstreetmap.org/copyright">kontributor '
                "OpenStreetMap</a>",
    name="OpenStreetMap",
    max_zoom=19,
    max_native_zoom=19,
    # https://operations.osmfoundation.org/policies/tiles/: a valid Referer; only the
    # origin is sent, never the page's path and query (distrik, budget).
    referrer_policy="strict-origin",
)
SATELLITE: Final = Tiles(
    url="https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/"
        "{z}/{y}/{x}",
    # Esri's attribution guidelines: "Powered by Esri" and the imagery's sources
    attribution='Citra satelit: Powered by <a href="https://www.esri.com/">Esri</a> | '
                "Sumber: Esri, Maxar, Earthstar Geographics, and the GIS User Community",
    name="Citra satelit (Esri)",
    max_zoom=19,
    # Mimika's imagery stops at zoom 17-18 in most places; deeper requests would only
    # fetch "map data not yet available" tiles
    max_native_zoom=18,
)
ONLINE_BASEMAPS: Final = (OSM, SATELLITE)
"""The online layers ``SIAPWISATA_BASEMAPS=online`` adds, in the layer control's order."""

PROTOMAPS_LAYERS: Final = frozenset({"earth", "water", "roads", "landuse", "places"})
"""Layer ids that mark the Protomaps basemap schema (``pmtiles extract`` of a Protomaps
build): drawn with protomaps-leaflet's own light theme."""


def as_tuple(tiles: Basemaps) -> tuple[Tiles, ...]:
    """``tiles`` as a tuple (empty for none)."""
    if tiles is None:
        return ()
    if isinstance(tiles, Tiles):
        return (tiles,)
    return tuple(tiles)


def tile_hosts(tiles: Basemaps) -> list[str]:
    """The absolute URL templates of ``tiles`` (the hosts a page's policy must allow);
    same-origin layers (``/tiles/...``) need none."""
    return [t.url for t in as_tuple(tiles) if "//" in t.url]


def local_basemap(url: str, *, kind: Literal["raster", "vector"], attribution: str,
                  min_zoom: int, max_zoom: int,
                  bounds: tuple[float, float, float, float] | None,
                  vector_layers: Sequence[str] = ()) -> Tiles:
    """The "Peta dasar lokal" layer of a tile file the server answers at ``url``.

    ``attribution`` is the file's own (plain text; escaped here because Leaflet shows
    attributions as HTML).
    """
    from html import escape

    layers = tuple(vector_layers)
    style = "protomaps" if kind == "vector" and PROTOMAPS_LAYERS <= set(layers) else None
    return Tiles(url=url, attribution=escape(attribution) or "Peta dasar lokal",
                 name=LOCAL_NAME, kind=kind, min_zoom=min_zoom, max_zoom=19,
                 max_native_zoom=max_zoom, bounds=bounds, style=style, vector_layers=layers)


class VectorTiles(JSCSSMixin, Layer):
    """A vector tile basemap drawn by protomaps-leaflet (``SiapWisata.vectorBasemap``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = SiapWisata.vectorBasemap({{ this.config|tojson }});
        {% endmacro %}
        """
    )
    default_js = [("protomaps_leaflet",
                   "https://unpkg.com/protomaps-leaflet@5.1.0/dist/protomaps-leaflet.js")]

    def __init__(self, tiles: Tiles, *, show: bool):
        super().__init__(name=tiles.name, overlay=False, control=True, show=show)
        self._name = "VectorTiles"
        self.config = layer_config(tiles)["options"]


class _NoBasemap(Layer):
    """An empty base layer: the "Tanpa peta dasar" choice of the layer control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        {% endmacro %}
        """
    )

    def __init__(self, *, show: bool):
        super().__init__(name=NO_BASEMAP, overlay=False, control=True, show=show)
        self._name = "NoBasemap"


class _BasemapWatch(MacroElement):
    """Land fill off under a basemap; fall back to none if the first one cannot load."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        SiapWisata.basemaps({{ this._parent.get_name() }}, {{ this.first.get_name() }},
                            {{ this.none.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, first: Layer, none: Layer):
        super().__init__()  # type: ignore[no-untyped-call]  # branca: unannotated
        self._name = "BasemapWatch"
        self.first = first
        self.none = none


def _options(t: Tiles) -> dict[str, Any]:
    opts: dict[str, Any] = {"attribution": t.attribution, "minZoom": t.min_zoom,
                            "maxZoom": t.max_zoom}
    if t.max_native_zoom is not None:
        opts["maxNativeZoom" if t.kind == "raster" else "maxDataZoom"] = t.max_native_zoom
    if t.bounds is not None:
        w, s, e, n = t.bounds
        opts["bounds"] = [[s, w], [n, e]]
    return opts


def layer_config(t: Tiles) -> dict[str, Any]:
    """``t`` as JSON for a page's own script: name, kind, URL and its Leaflet (raster) or
    ``SiapWisata.vectorBasemap`` (vector) options."""
    opts = _options(t)
    if t.kind == "vector":
        opts |= {"url": t.url, "style": t.style, "layers": list(t.vector_layers)}
    elif t.referrer_policy:
        opts["referrerPolicy"] = t.referrer_policy
    return {"name": t.name, "kind": t.kind, "url": t.url, "options": opts}


def add_basemaps(m: folium.Map, tiles: Basemaps) -> None:
    """Add ``tiles`` to ``m`` as base layers, the first one shown, plus "Tanpa peta dasar".

    Nothing is added for no basemap: the offline page stays exactly as it was.
    """
    layers = as_tuple(tiles)
    if not layers:
        return
    added: list[Layer] = []
    for i, t in enumerate(layers):
        if t.kind == "vector":
            layer: Layer = VectorTiles(t, show=i == 0)
        else:
            extra: dict[str, Any] = {}
            if t.bounds is not None:
                extra["bounds"] = _options(t)["bounds"]
            if t.referrer_policy:
                extra["referrer_policy"] = t.referrer_policy
            layer = folium.TileLayer(tiles=t.url, attr=t.attribution, name=t.name,
                                     overlay=False, control=True, show=i == 0,
                                     min_zoom=t.min_zoom, max_zoom=t.max_zoom,
                                     max_native_zoom=t.max_native_zoom, **extra)
        layer.add_to(m)
        added.append(layer)
    none = _NoBasemap(show=False)
    none.add_to(m)
    _BasemapWatch(added[0], none).add_to(m)
