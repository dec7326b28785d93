"""Fixtures of the API tests: the app over the scored Mimika demo workspace."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from geo.io.workspace import Workspace
from tests._served import served_workspace


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path) -> Path:
    return served_workspace(tmp_path_factory, demo_ws)


@pytest.fixture(scope="module")
def client(served: Path):
    # raise_server_exceptions: any unhandled error fails the test loudly (never a 500)
    with TestClient(create_app(served)) as c:
        yield c


@pytest.fixture(scope="module")
def scores(served: Path) -> gpd.GeoDataFrame:
    return Workspace(served).read("scores")


@pytest.fixture(scope="module")
def access(served: Path):
    from geo.steps import compute_access

    return compute_access(Workspace(served))
