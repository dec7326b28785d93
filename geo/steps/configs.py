"""The configurations a workspace's outputs were computed with, as the steps recorded them.

The steps record the text of every configuration they used (metadata ``configs``); the API and
the exports read them back here, so an 'Asumsi' sheet shows what the rows were computed with.
"""

from __future__ import annotations

from geo._config import ConfigText as ConfigText  # re-exported: what the callers annotate with
from geo._config import configured_path, model_from_text
from geo.io.workspace import Workspace
from geo.network import NetworkConfig
from geo.priorities import LAYER, PrioritiesConfig, read_priorities_config
from geo.readiness import (
    SCORES_LAYER,
    ReadinessConfig,
    read_readiness_config,
    readiness_config_from_text,
)


def workspace_priorities_config(ws: Workspace) -> tuple[PrioritiesConfig, ConfigText]:
    """The priorities configuration the ``priorities`` layer was computed with, as the
    workspace recorded it, else the settings' file; a file named explicitly in the
    environment (``SIAPWISATA_PRIORITIES_CONFIG``) wins."""
    explicit = configured_path("priorities_config")
    text = None if explicit is not None else ws.stored_config("priorities", LAYER)
    if text is None:
        return read_priorities_config(explicit)
    return model_from_text(text, PrioritiesConfig), text


def read_stored_priorities_configs(ws: Workspace
                                   ) -> tuple[PrioritiesConfig, NetworkConfig,
                                              dict[str, ConfigText]] | None:
    """The priorities and network configurations the stored ``priorities`` layer was
    computed with, and every text recorded with it; None when none was recorded."""
    texts = ws.stored_configs(LAYER)
    if "priorities" not in texts or "network" not in texts:
        return None
    return (model_from_text(texts["priorities"], PrioritiesConfig),
            model_from_text(texts["network"], NetworkConfig), texts)


def workspace_readiness_config(ws: Workspace, *layers: str
                               ) -> tuple[ReadinessConfig, ConfigText]:
    """The readiness configuration a workspace's outputs were computed with: the one
    recorded with the first of ``layers`` (default ``scores``) that recorded one, else the
    settings' file (a workspace scored before configurations were recorded, or not yet).
    A file named explicitly in the environment (``SIAPWISATA_READINESS_CONFIG``) wins.

    What shows a stored layer (maps, the API) labels and re-scores it with this, never with
    a default that may differ from the one the layer came from.
    """
    explicit = configured_path("readiness_config")
    text = None if explicit is not None else ws.stored_config(
        "readiness", *(layers or (SCORES_LAYER,)))
    if text is None:
        return read_readiness_config(explicit)
    return readiness_config_from_text(text), text
