"""Shared fixtures: paths to the real shared data and workspaces built once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.settings import get_settings
from tests._shared import built_once, check_unchanged

DATA = get_settings().require_data_dir()
OSM = DATA / "osm"
MIMIKA = DATA / "mimika"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"shared data missing: {path} (expected ../shared/data beside the repository)")
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _need(DATA)


@pytest.fixture(scope="session")
def andorra_pbf() -> Path:
    return _need(OSM / "andorra-2021-04-14.osm.pbf")


@pytest.fixture(scope="session")
def porto_pbf() -> Path:
    return _need(OSM / "porto-2020-07-20.osm.pbf")


@pytest.fixture(scope="session")
def monaco_pbf() -> Path:
    return _need(OSM / "monaco-2016-03-05.osm.pbf")


@pytest.fixture(scope="session")
def menteng_osm() -> Path:
    return _need(OSM / "jakarta-menteng-2022-04-05.osm")


@pytest.fixture(scope="session")
def mimika_dir() -> Path:
    return _need(MIMIKA)


def _ingested(tmp_path_factory: pytest.TempPathFactory, src: Path, name: str) -> Path:
    from geo.io.workspace import Workspace
    from geo.steps import ingest_osm

    return built_once(tmp_path_factory, name, f"{name}.gpkg",
                      lambda path: ingest_osm(src, Workspace(path)))


@pytest.fixture(scope="session")
def andorra_ws(tmp_path_factory: pytest.TempPathFactory, andorra_pbf: Path) -> Path:
    """Path of a workspace made by ``ingest-osm`` on the real Andorra extract (read-only!)."""
    return _ingested(tmp_path_factory, andorra_pbf, "andorra")


@pytest.fixture(scope="session")
def porto_ws(tmp_path_factory: pytest.TempPathFactory, porto_pbf: Path) -> Path:
    return _ingested(tmp_path_factory, porto_pbf, "porto")


@pytest.fixture(scope="session")
def monaco_ws(tmp_path_factory: pytest.TempPathFactory, monaco_pbf: Path) -> Path:
    return _ingested(tmp_path_factory, monaco_pbf, "monaco")


@pytest.fixture(scope="session")
def menteng_ws(tmp_path_factory: pytest.TempPathFactory, menteng_osm: Path) -> Path:
    return _ingested(tmp_path_factory, menteng_osm, "menteng")


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """Path of the Mimika demo workspace (synthetic roads/sites/UMKM). Copy before changing."""
    from geo.io.workspace import Workspace
    from geo.steps import build_demo

    return built_once(tmp_path_factory, "demo", "mimika-demo.gpkg",
                      lambda path: build_demo(Workspace(path), data_dir=data_dir,
                                              seed=20240517))


@pytest.fixture(scope="session", autouse=True)
def _shared_workspaces_stay_unchanged() -> Iterator[None]:
    """The workspaces shared between workers are read-only: a test that wrote to one would
    have changed the input of tests running in another process."""
    yield
    changed = check_unchanged()
    assert not changed, f"shared read-only workspaces were changed: {changed}"


@pytest.fixture()
def copy_ws(tmp_path: Path):
    """Return a function that copies a session workspace so a test may change it."""
    import shutil

    def _copy(src: Path) -> Path:
        dst = tmp_path / src.name
        shutil.copyfile(src, dst)
        return dst

    return _copy


os.environ.setdefault("SIAPWISATA_CACHE_DIR", str(Path(__file__).parent / ".cache-unused"))
# FastAPI's TestClient sends "Host: testserver"; the app answers only configured host names
# (DNS rebinding), so the tests configure that one. tests/api/test_security.py checks the
# default list without it.
os.environ.setdefault("SIAPWISATA_ALLOWED_HOSTS", "testserver")
