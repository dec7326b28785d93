"""The Mimika demo: real boundaries and kampung, synthetic roads, destinations, UMKM.
"""

from __future__ import annotations

from geo.demo.generate import (
    ACCESS_BY_DISTRIK,
    KOKONAO,
    KUALA_KENCANA,
    MAIN_STREETS,
    NODE_ID_BASE,
    REGION_NAME,
    REQUIRED_GATEWAYS,
    STREET_WORDS,
    SYNTHETIC,
    TIMIKA_CENTRE,
    TIMIKA_GRID_CENTRE,
    TIMIKA_GRID_SIZE_M,
    WATER_HUB_BY_DISTRIK,
    MimikaData,
    SyntheticLayers,
    admin_layer,
    gateways_layer,
    generate,
    read_mimika,
)

__all__ = [
    "ACCESS_BY_DISTRIK",
    "KOKONAO",
    "KUALA_KENCANA",
    "MAIN_STREETS",
    "MimikaData",
    "NODE_ID_BASE",
    "REGION_NAME",
    "REQUIRED_GATEWAYS",
    "STREET_WORDS",
    "SYNTHETIC",
    "SyntheticLayers",
    "TIMIKA_CENTRE",
    "TIMIKA_GRID_CENTRE",
    "TIMIKA_GRID_SIZE_M",
    "WATER_HUB_BY_DISTRIK",
    "admin_layer",
    "gateways_layer",
    "generate",
    "read_mimika",
]

