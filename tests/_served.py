"""The workspace the map, API and browser tests serve: the Mimika demo, scored by the real
pipeline (and given road priorities when that step is available).

Built once per test session under pytest's base temp folder and shared read-only by
tests/maps/test_maps.py, tests/api/test_api.py and tests/maps/test_browser.py.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from geo.io.workspace import Workspace

PRIORITIES_AVAILABLE = importlib.util.find_spec("geo.priorities") is not None
NO_PRIORITIES = "geo.priorities (issue 4) is not in the tree yet: priorities tests cannot run"


def served_workspace(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> Path:
    """Path of the scored (and prioritised) demo workspace. Copy before changing it."""
    base = tmp_path_factory.getbasetemp() / "served-demo"
    path = base / "mimika-served.gpkg"
    if path.exists():
        return path
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / "building.gpkg"
    shutil.copyfile(demo_ws, tmp)
    ws = Workspace(tmp)
    from geo.steps import score_workspace

    score_workspace(ws)
    if PRIORITIES_AVAILABLE:
        from geo.steps import priorities_workspace

        priorities_workspace(ws, budget=None, authority="kabupaten")
    os.replace(tmp, path)
    return path


def has_priorities(path: Path) -> bool:
    return Workspace(path).has("priorities")
