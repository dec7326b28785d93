"""Folium maps of SIAP Wisata: readiness and road priorities, offline-capable.

Public entry points: :func:`maps.readiness.build_readiness_map`,
:func:`maps.priorities.build_priorities_map`, :func:`show` (offline notebook display) and
:data:`CLASS_COLORS` (the class colours every map and plot uses).
"""

from ._style import CLASS_COLORS, UNKNOWN_COLOR
from .notebook import MapView, show

__all__ = ["CLASS_COLORS", "UNKNOWN_COLOR", "MapView", "show"]
