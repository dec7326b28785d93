"""The travel network: network.toml, road speeds, the multimodal graph, snapping.

:mod:`geo.network.config` (network.toml), :mod:`geo.network.speeds` (minutes per road link),
:mod:`geo.network.graph` (the directed graph, snapping, the access graph). The
scipy.sparse.csgraph kernels other stages share (``csr_min``, ``nearest_of_set`` ...) are
re-exported from :mod:`geo.network._csgraph`.
"""

from __future__ import annotations

from geo.network._csgraph import (
    MEMORY_BUDGET,
    accumulate_tree,
    chunk_size,
    count_within,
    csr_min,
    entry_winners,
    iter_chunks,
    many_to_some,
    min_plus,
    nearest_of_set,
    via_arcs,
)
from geo.network.config import (
    CONDITION_ORDER,
    SURFACE_ORDER,
    AirConfig,
    FacilitiesConfig,
    FunctionConfig,
    NetworkConfig,
    OptionsConfig,
    RoadConfig,
    RoughnessConfig,
    SnapConfig,
    UnknownSurfaceConfig,
    WalkingConfig,
    WaterConfig,
    load_network_config,
    read_network_config,
)
from geo.network.graph import (
    EPS_MINUTES,
    AccessGraph,
    Network,
    Snap,
    build_access_graph,
    build_network,
    dangling_link_ends,
    meaningful_rows,
    snap_points,
)
from geo.network.speeds import (
    car_allowed,
    edge_minutes,
    foot_allowed,
    parse_maxspeed,
    road_iri,
    road_speed_kmh,
    speed_surface,
    walk_only_rows,
)

__all__ = [
    "AccessGraph",
    "AirConfig",
    "CONDITION_ORDER",
    "EPS_MINUTES",
    "FacilitiesConfig",
    "FunctionConfig",
    "MEMORY_BUDGET",
    "Network",
    "NetworkConfig",
    "OptionsConfig",
    "RoadConfig",
    "RoughnessConfig",
    "SURFACE_ORDER",
    "Snap",
    "SnapConfig",
    "UnknownSurfaceConfig",
    "WalkingConfig",
    "WaterConfig",
    "accumulate_tree",
    "build_access_graph",
    "build_network",
    "car_allowed",
    "chunk_size",
    "count_within",
    "csr_min",
    "dangling_link_ends",
    "edge_minutes",
    "entry_winners",
    "foot_allowed",
    "iter_chunks",
    "load_network_config",
    "many_to_some",
    "meaningful_rows",
    "min_plus",
    "nearest_of_set",
    "parse_maxspeed",
    "read_network_config",
    "road_iri",
    "road_speed_kmh",
    "snap_points",
    "speed_surface",
    "via_arcs",
    "walk_only_rows",
]

