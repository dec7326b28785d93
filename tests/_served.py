"""The workspace the map, API and browser tests serve: the Mimika demo, scored by the real
pipeline (and given road priorities when that step is available).

Built once per test run (shared by the xdist workers, :mod:`tests._shared`) and shared read-only by
tests/maps/test_maps.py, tests/api/test_api.py and tests/maps/test_browser.py.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from geo.io.workspace import Workspace
from tests._shared import built_once

PRIORITIES_AVAILABLE = importlib.util.find_spec("geo.priorities") is not None
NO_PRIORITIES = "geo.priorities (issue 4) is not in the tree yet: priorities tests cannot run"


def served_workspace(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> Path:
    """Path of the scored (and prioritised) demo workspace. Copy before changing it."""
    def build(path: Path) -> None:
        shutil.copyfile(demo_ws, path)
        ws = Workspace(path)
        from geo.steps import score_workspace

        score_workspace(ws)
        if PRIORITIES_AVAILABLE:
            from geo.steps import priorities_workspace

            priorities_workspace(ws, budget=None, authority="kabupaten")

    return built_once(tmp_path_factory, "served-demo", "mimika-served.gpkg", build)


def has_priorities(path: Path) -> bool:
    return Workspace(path).has("priorities")
