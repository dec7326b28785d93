"""Access indicators per destination (travel times, routes, facilities within reach).

Every access indicator is defined once, as a kind of :data:`geo.access.kinds.INDICATORS`:
its columns, its full computation (:func:`compute_access_frames` calls
:func:`indicator_columns`) and its incremental form under a road upgrade (the priorities
engine, :mod:`geo.priorities.scorer`, calls :func:`updated_columns`).
"""

from __future__ import annotations

from geo.access.indicators import (
    GATEWAY_REPORT_COLUMNS,
    PLACE_VALUES,
    AccessResult,
    GatewayMinutes,
    ScanReader,
    compute_access_frames,
    facility_points,
    gateway_report,
    network_of,
    point_sets,
    populated_places,
    umkm_type_index,
    unreached_gateway_warnings,
)
from geo.access.kinds import (
    FACILITY_KINDS,
    INDICATORS,
    ROUTE_COLUMNS,
    UMKM_MINUTES,
    AccessRoutes,
    Change,
    Columns,
    Context,
    IndicatorKind,
    Invariant,
    Patch,
    PointSet,
    RowConsumer,
    Travel,
    function_minutes,
    indicator_columns,
    node_values,
    route_attributes,
    row_attributes,
    scan_destinations,
    snap_distances,
    transport_options,
    updated_columns,
)

__all__ = [
    "AccessResult",
    "GatewayMinutes",
    "AccessRoutes",
    "Change",
    "Columns",
    "Context",
    "FACILITY_KINDS",
    "GATEWAY_REPORT_COLUMNS",
    "INDICATORS",
    "IndicatorKind",
    "Invariant",
    "PLACE_VALUES",
    "Patch",
    "PointSet",
    "ROUTE_COLUMNS",
    "RowConsumer",
    "ScanReader",
    "Travel",
    "UMKM_MINUTES",
    "compute_access_frames",
    "facility_points",
    "function_minutes",
    "gateway_report",
    "indicator_columns",
    "network_of",
    "node_values",
    "point_sets",
    "populated_places",
    "route_attributes",
    "row_attributes",
    "scan_destinations",
    "snap_distances",
    "transport_options",
    "umkm_type_index",
    "unreached_gateway_warnings",
    "updated_columns",
]
