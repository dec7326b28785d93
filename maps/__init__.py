"""Folium maps of SIAP Wisata: readiness and road priorities, offline-capable.

Public entry points: :func:`maps.readiness.build_readiness_map`,
:func:`maps.priorities.build_priorities_map`, :func:`show` (offline notebook display) and
:data:`CLASS_COLORS` (the class colours every map and plot uses).

The names below are the package's public surface for the web layer (:mod:`api`) too: the
map data loaded from a workspace (:class:`MapData`, :func:`load_map_data`, :func:`clip`),
GeoJSON building (:func:`features`, :func:`simplify`, :func:`dissolve_lines`), the road
layer of a reach, popup rows, styles and the static assets. The ``maps._*`` modules are
private: other packages import from here.
"""

from geo.readiness import split_actions

from ._assets import asset_bytes, missing_assets, resolve
from ._basemaps import (
    ONLINE_BASEMAPS,
    Basemaps,
    Tiles,
    as_tuple,
    layer_config,
    local_basemap,
    tile_hosts,
)
from ._data import REACH_MINUTES, Area, MapData, UnknownArea, clip, has_provenance, load_map_data
from ._geom import dissolve_lines, features, simplify
from ._layers import TOL_ROADS_M, road_layer
from ._popup import breakdown_rows
from ._style import (
    CLASS_COLORS,
    CLASS_LABELS,
    CLASS_ORDER,
    OSM_CREDIT,
    REACH_STYLES,
    UNKNOWN_COLOR,
    class_color,
    fmt_num,
    fmt_rupiah,
)
from .notebook import MapView, show

__all__ = [
    "CLASS_COLORS",
    "CLASS_LABELS",
    "CLASS_ORDER",
    "ONLINE_BASEMAPS",
    "OSM_CREDIT",
    "REACH_MINUTES",
    "REACH_STYLES",
    "TOL_ROADS_M",
    "UNKNOWN_COLOR",
    "Area",
    "Basemaps",
    "MapData",
    "MapView",
    "Tiles",
    "UnknownArea",
    "as_tuple",
    "asset_bytes",
    "breakdown_rows",
    "class_color",
    "clip",
    "dissolve_lines",
    "features",
    "fmt_num",
    "fmt_rupiah",
    "has_provenance",
    "layer_config",
    "load_map_data",
    "local_basemap",
    "missing_assets",
    "resolve",
    "road_layer",
    "show",
    "simplify",
    "split_actions",
    "tile_hosts",
]
