"""Fixtures of the workspace-step tests on the scored (and prioritised) Mimika demo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from geo.io.workspace import Workspace
from tests._served import served_workspace


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> Path:
    """The scored demo workspace, shared read-only."""
    return served_workspace(tmp_path_factory, demo_ws)


@pytest.fixture()
def ws(served: Path, tmp_path: Path) -> Workspace:
    """A copy of :func:`served` this test may change (test_contribute.py has its own)."""
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(served, path)
    return Workspace(path)
