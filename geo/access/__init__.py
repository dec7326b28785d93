"""Access indicators per destination (travel times, routes, facilities within reach).

Every access indicator is defined once, in :mod:`geo.access.indicators`; the incremental
priorities engine (:mod:`geo.priorities.scorer`) calls the same functions.
"""

from __future__ import annotations

from geo.access.indicators import (
    GATEWAY_REPORT_COLUMNS,
    PLACE_VALUES,
    ROUTE_COLUMNS,
    UMKM_MINUTES,
    AccessResult,
    compute_access_frames,
    facility_points,
    function_minutes,
    gateway_report,
    populated_places,
    route_attributes,
    row_attributes,
    snap_distances,
    transport_options,
    unreached_gateway_warnings,
)

__all__ = [
    "AccessResult",
    "GATEWAY_REPORT_COLUMNS",
    "PLACE_VALUES",
    "ROUTE_COLUMNS",
    "UMKM_MINUTES",
    "compute_access_frames",
    "facility_points",
    "function_minutes",
    "gateway_report",
    "populated_places",
    "route_attributes",
    "row_attributes",
    "snap_distances",
    "transport_options",
    "unreached_gateway_warnings",
]

