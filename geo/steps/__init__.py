"""The workspace steps: read layers and configuration, compute, write the results.

Each step reads the layers it needs and its configuration (the default TOMLs unless given),
calls the pure stage functions (:mod:`geo.access`, :mod:`geo.readiness`,
:mod:`geo.priorities`, :mod:`geo.demo`) and writes the result atomically. The import
steps (OSM extracts, Overpass, agency files, region boundaries) are the public functions of
:mod:`geo.io` (``ingest_osm``, ``fetch_osm``, ``import_file``, ``init_workspace``).
"""

from __future__ import annotations

from geo.steps.access import compute_access, load_network
from geo.steps.configs import (
    read_stored_priorities_configs,
    workspace_network_config,
    workspace_priorities_config,
    workspace_readiness_config,
)
from geo.steps.demo import build_demo
from geo.steps.priorities import inputs_synthetic, priorities_workspace, scenario_workspace
from geo.steps.readiness import build_inputs, score_workspace

__all__ = [
    "build_demo",
    "build_inputs",
    "compute_access",
    "inputs_synthetic",
    "load_network",
    "priorities_workspace",
    "read_stored_priorities_configs",
    "scenario_workspace",
    "score_workspace",
    "workspace_network_config",
    "workspace_priorities_config",
    "workspace_readiness_config",
]

