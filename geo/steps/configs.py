"""The configurations a workspace's outputs were computed with, as the steps recorded them.

The steps record the text of every configuration they used (metadata ``configs``); the API and
the exports read them back here, so an 'Asumsi' sheet shows what the rows were computed with.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from geo._config import ConfigText as ConfigText  # re-exported: what the callers annotate with
from geo._config import configured_path, model_from_text
from geo.io.workspace import Workspace
from geo.network import NetworkConfig, read_network_config
from geo.priorities import LAYER, PrioritiesConfig, read_priorities_config
from geo.readiness import (
    SCORES_LAYER,
    ReadinessConfig,
    read_readiness_config,
    readiness_config_from_text,
)

C = TypeVar("C")


def _recorded(ws: Workspace, setting: str, name: str, layers: tuple[str, ...],
              read: Callable[[str | None], tuple[C, ConfigText]],
              parse: Callable[[ConfigText], C]) -> tuple[C, ConfigText]:
    """Configuration ``name`` as recorded with the first of ``layers`` that recorded one,
    else read from the settings' file; a file named explicitly in the environment
    (setting ``setting``) wins over any record."""
    explicit = configured_path(setting)
    text = None if explicit is not None else ws.stored_config(name, *layers)
    if text is None:
        return read(None if explicit is None else str(explicit))
    return parse(text), text


def workspace_priorities_config(ws: Workspace) -> tuple[PrioritiesConfig, ConfigText]:
    """The priorities configuration the ``priorities`` layer was computed with, as the
    workspace recorded it, else the settings' file; a file named explicitly in the
    environment (``SIAPWISATA_PRIORITIES_CONFIG``) wins."""
    return _recorded(ws, "priorities_config", "priorities", (LAYER,), read_priorities_config,
                     lambda text: model_from_text(text, PrioritiesConfig))


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
    return _recorded(ws, "readiness_config", "readiness", layers or (SCORES_LAYER,),
                     read_readiness_config, readiness_config_from_text)


def workspace_network_config(ws: Workspace, *layers: str) -> tuple[NetworkConfig, ConfigText]:
    """The network configuration recorded with the first of ``layers`` (default
    ``scores``) that recorded one, else the settings' file; a file named explicitly in the
    environment (``SIAPWISATA_NETWORK_CONFIG``) wins."""
    return _recorded(ws, "network_config", "network", layers or (SCORES_LAYER,),
                     read_network_config, lambda text: model_from_text(text, NetworkConfig))


# --- a configuration given by path or as recorded text ---------------------------------------


def readiness_of(config: str | os.PathLike[str] | ConfigText | None
                 ) -> tuple[ReadinessConfig, ConfigText]:
    """The readiness configuration a step was given: a file (default: the settings'), or the
    text a workspace recorded (:func:`geo.steps.contribute.recompute` re-runs with it)."""
    if isinstance(config, ConfigText):
        return readiness_config_from_text(config), config
    return read_readiness_config(config)


def network_of(config: str | os.PathLike[str] | ConfigText | None
               ) -> tuple[NetworkConfig, ConfigText]:
    """The network configuration a step was given (see :func:`readiness_of`)."""
    if isinstance(config, ConfigText):
        return model_from_text(config, NetworkConfig), config
    return read_network_config(config)


def priorities_of(config: str | os.PathLike[str] | ConfigText | None
                  ) -> tuple[PrioritiesConfig, ConfigText]:
    """The priorities configuration a step was given (see :func:`readiness_of`)."""
    if isinstance(config, ConfigText):
        return model_from_text(config, PrioritiesConfig), config
    return read_priorities_config(config)
