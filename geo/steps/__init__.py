"""The workspace steps: read layers and configuration, compute, write the results.

Each step reads the layers it needs and its configuration (the default TOMLs unless given),
calls the pure stage functions (:mod:`geo.access`, :mod:`geo.readiness`,
:mod:`geo.priorities`, :mod:`geo.demo`) or the readers of :mod:`geo.io`, and writes the
result atomically: ``init_workspace`` (``init.py``), ``ingest_osm`` and ``fetch_osm``
(``ingest.py``), ``import_file`` (``imports.py``), ``build_demo``, ``compute_access``,
``score_workspace``, ``priorities_workspace``, ``score_and_priorities_workspace`` (both,
with one access run) and ``scenario_workspace``; ``write_field_form``
(``forms.py``) writes a field form (XLSForm) and reads the workspace only.
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
from geo.steps.forms import write_field_form
from geo.steps.imports import import_file, import_points, import_road_conditions
from geo.steps.ingest import fetch_osm, ingest_osm
from geo.steps.init import init_workspace
from geo.steps.priorities import (
    inputs_synthetic,
    priorities_workspace,
    scenario_workspace,
    score_and_priorities_workspace,
)
from geo.steps.readiness import build_inputs, score_workspace

__all__ = [
    "build_demo",
    "build_inputs",
    "compute_access",
    "fetch_osm",
    "import_file",
    "import_points",
    "import_road_conditions",
    "ingest_osm",
    "init_workspace",
    "inputs_synthetic",
    "load_network",
    "priorities_workspace",
    "read_stored_priorities_configs",
    "scenario_workspace",
    "score_and_priorities_workspace",
    "score_workspace",
    "workspace_network_config",
    "workspace_priorities_config",
    "workspace_readiness_config",
    "write_field_form",
]

