"""Colours, sizes and (from geo.labels) Bahasa Indonesia labels shared by every map.

Kept in one place so the legend, the layer styles and the popups cannot drift apart.
Colours are colour-blind-friendly where they encode an ordered quantity (readiness class,
rank) and stay readable on a plain background: the maps are designed to work without any
basemap tiles.
"""

from __future__ import annotations

import math
from typing import Final

from geo import fmt

# The words for codes live in one table for maps, spreadsheets and reports alike.
from geo.labels import (
    AUTHORITY_LABELS,
    CATEGORY_LABELS,
    CLASS_LABELS,
    CONDITION_LABELS,
    GATEWAY_KIND_LABELS,
    MODE_LABELS,
    SURFACE_LABELS,
    UMKM_TYPE_LABELS,
)

__all__ = [
    "AUTHORITY_LABELS", "CATEGORY_LABELS", "CLASS_LABELS", "CONDITION_LABELS",
    "GATEWAY_KIND_LABELS", "MODE_LABELS", "SURFACE_LABELS", "UMKM_TYPE_LABELS",
]

# Readiness classes (issue 3), from least to most ready.
CLASS_ORDER: Final = ("rintisan", "berkembang", "maju", "mandiri")
CLASS_COLORS: Final[dict[str, str]] = {
    "rintisan": "#d7191c",
    "berkembang": "#fdae61",
    "maju": "#a6d96a",
    "mandiri": "#1a9641",
}
UNKNOWN_COLOR: Final = "#9e9e9e"

# The agency (OPD) dimensions, their labels and colours are data: readiness.toml, through
# geo.readiness.dimension_labels (MapData.dimensions), never a list here.

# Road surfaces (geo.schema.SURFACE_CLASSES): dark = sealed, brown = unsealed.
SURFACE_COLORS: Final[dict[str, str]] = {
    "aspal": "#333333",
    "beton": "#5c6bc0",
    "paving": "#8d6e63",
    "kerikil": "#e69500",
    "tanah": "#a0522d",
    "unknown": "#b0b0b0",
}
# PU condition is drawn as the dash pattern, so surface and condition show at once.
CONDITION_DASH: Final[dict[str, str | None]] = {
    "baik": None,
    "sedang": None,
    "rusak_ringan": "8 4",
    "rusak_berat": "2 5",
    "unknown": None,
}
# Line weight by functional class: arterials stand out at regency scale.
HIGHWAY_WEIGHT: Final[dict[str, float]] = {
    "motorway": 4.0, "trunk": 4.0, "primary": 3.5, "secondary": 3.0, "tertiary": 2.5,
    "motorway_link": 2.5, "trunk_link": 2.5, "primary_link": 2.5, "secondary_link": 2.0,
    "tertiary_link": 2.0, "unclassified": 1.8, "residential": 1.4, "road": 1.4,
    "living_street": 1.2, "service": 1.0, "track": 1.2,
}
DEFAULT_WEIGHT: Final = 1.0

# Boat and air links are straight lines from a gateway to every place it serves: drawn
# thin, faint and dashed so their fans stay context behind roads and destinations.
MODE_STYLES: Final[dict[str, dict[str, object]]] = {
    "water": {"color": "#0277bd", "weight": 1.2, "dashArray": "6 6", "opacity": 0.45},
    "air": {"color": "#7b1fa2", "weight": 1.2, "dashArray": "2 6", "opacity": 0.45},
}

# Destinations coloured by one agency's score (0-100): five equal steps of the same
# diverging red-to-green ramp as the readiness classes; the last step includes 100.
AGENCY_SCORE_EDGES: Final = (20.0, 40.0, 60.0, 80.0)
AGENCY_SCORE_COLORS: Final = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")

REACH_STYLES: Final[dict[int, dict[str, object]]] = {
    15: {"color": "#00897b", "weight": 5.0, "opacity": 0.55},
    30: {"color": "#80cbc4", "weight": 5.0, "opacity": 0.5},
}

GATEWAY_KIND_COLORS: Final[dict[str, str]] = {
    "bandara": "#7b1fa2",
    "pelabuhan": "#0277bd",
    "terminal": "#455a64",
    "pusat_kota": "#212121",
}

UMKM_TYPE_COLORS: Final[dict[str, str]] = {
    "kuliner": "#e53935",
    "kerajinan": "#8e24aa",
    "penginapan": "#1e88e5",
    "transportasi": "#00897b",
    "toko": "#fb8c00",
    "lainnya": "#757575",
}



# Priority sections: rank 1 darkest. Five steps of a sequential purple-red ramp.
RANK_COLORS: Final = ("#67000d", "#a50f15", "#ef3b2c", "#fc9272", "#fcbba1")
SELECTED_HALO: Final = "#ffd600"
# The section picked in the side panel: cyan on a black casing stands out from the red
# ramp and the yellow halo; the other sections fade to DIMMED_OPACITY.
FOCUS_STYLE: Final[dict[str, object]] = {"color": "#00e5ff", "weight": 8, "opacity": 1.0}
FOCUS_CASING: Final[dict[str, object]] = {"color": "#111111", "weight": 15, "opacity": 0.95,
                                           "lineCap": "round"}
DIMMED_OPACITY: Final = 0.25

BANNER_SYNTHETIC: Final = "DATA CONTOH (SINTETIS)"
OSM_CREDIT: Final = "© OpenStreetMap contributors"


def class_color(cls: object) -> str:
    """Fill colour of a readiness class; grey for a missing or unknown class."""
    return CLASS_COLORS.get(str(cls), UNKNOWN_COLOR)


def score_radius(score: float | None) -> float:
    """Marker radius in pixels: area grows with the score, so 100 reads as 'big'.

    An unknown score still gets a visible marker (the smallest one).
    """
    if score is None or not math.isfinite(score):
        return 5.0
    s = min(max(float(score), 0.0), 100.0)
    return 5.0 + 9.0 * math.sqrt(s / 100.0)


def road_style(surface: str, condition: str, highway: str) -> dict[str, object]:
    """Leaflet path options for a road group: colour = surface, dashes = condition."""
    style: dict[str, object] = {
        "color": SURFACE_COLORS.get(surface, SURFACE_COLORS["unknown"]),
        "weight": HIGHWAY_WEIGHT.get(highway, DEFAULT_WEIGHT),
        "opacity": 0.85,
    }
    dash = CONDITION_DASH.get(condition)
    if dash:
        style["dashArray"] = dash
    return style


def fmt_num(value: object, decimals: int = 1) -> str:
    """Indonesian number format: decimal comma, dot for thousands; '–' when unknown."""
    return fmt.number(value, decimals)


def fmt_rupiah(value: object) -> str:
    """'Rp 1.250.000.000' style, or '–' when unknown."""
    return fmt.rupiah(value)
