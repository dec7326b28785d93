"""Helpers of the contribution tests (issue 12): an app over a private copy of the scored
demo workspace, acting as a chosen user.

Until the login work is merged, the acting user is set by overriding
:func:`api.auth.current_user` (``app.dependency_overrides``), as the interface asks.
"""

from __future__ import annotations

import csv
import io
import shutil
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyogrio
from fastapi import FastAPI
from fastapi.testclient import TestClient

import api.auth
from api.main import create_app
from api.services.writes import Writes
from geo.accounts import User
from geo.io.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
NO_RECOMPUTE = ("tests.api._writers", "no_recompute")
"""A recomputation that does nothing: tests of writes need not wait for the scores."""


def no_recompute(ws: Workspace) -> None:
    """The job of :data:`NO_RECOMPUTE`."""


def agencies() -> tuple[list[str], str]:
    """The dimension agencies of the default readiness.toml and the admin agency (its
    ``[admin] agency``, "bappeda" until that table exists)."""
    with (ROOT / "data" / "readiness.toml").open("rb") as f:
        config = tomllib.load(f)
    admin = str(config.get("admin", {}).get("agency", "bappeda"))
    return list(config["dimensions"]), admin


def editor(agency: str) -> User:
    return User(f"{agency}-editor", agency, "editor")


ADMIN = User("bappeda-admin", "bappeda", "admin")


@dataclass
class Acting:
    """The user the app sees (None: nobody logged in)."""

    user: User | None = None
    seen: list[str] = field(default_factory=list)


def copy_served(served: Path, tmp: Path, name: str = "ws.gpkg") -> Path:
    path = tmp / name
    shutil.copyfile(served, path)
    return path


def marked_real(served: Path, tmp: Path) -> Path:
    """A copy of the served demo whose every row, source and flag says agency data: the
    pages of real data, to check that a synthetic label is not shown on them."""
    ws = Workspace(copy_served(served, tmp, "real.gpkg"))
    with ws.update() as stage:
        for name, geometry in pyogrio.list_layers(ws.path):
            spatial = geometry is not None
            df = ws.read(name) if spatial else ws.read_table(name)
            if name == "sources":
                stage.write_table(name, df.assign(synthetic=False))
            elif "provenance" in df.columns:
                df.loc[df["provenance"] == "synthetic", "provenance"] = "agency"
                if spatial:
                    stage.write(name, df)
                else:
                    stage.write_table(name, df)
        stage.set_meta(synthetic="false")
    return ws.path


def writer_app(path: Path, acting: Acting, *, job: tuple[str, str] = NO_RECOMPUTE
               ) -> tuple[FastAPI, Writes]:
    """The app over ``path``, recomputing with ``job`` on a thread, as ``acting.user``."""
    writes = Writes(str(path), processes=False, job=job)
    app = create_app(path, writes=writes)
    app.dependency_overrides[api.auth.current_user] = lambda: acting.user
    return app, writes


@contextmanager
def writer_client(path: Path, acting: Acting, *, job: tuple[str, str] = NO_RECOMPUTE
                  ) -> Iterator[tuple[TestClient, Writes]]:
    app, writes = writer_app(path, acting, job=job)
    with TestClient(app, follow_redirects=False) as client:
        yield client, writes


def csv_bytes(rows: list[dict[str, object]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def data_version(path: Path) -> int:
    """The data version straight from the workspace metadata (0 before any change)."""
    raw = Workspace(path).metadata().get("data_version", "0")
    return int(raw) if raw.isdigit() else 0


def last_version(path: Path) -> int:
    """The highest version of the workspace's ``versions`` table (0 when empty)."""
    table = Workspace(path).read_table("versions")
    return int(table["version"].max()) if len(table) else 0


def current(client: TestClient, url: str, timeout: float = 120.0):  # type: ignore[no-untyped-def]
    """``GET url`` once it is the current version's answer: one sent from an earlier
    version while the current is built says so (``X-SiapWisata-Versi-Data``)."""
    end = time.monotonic() + timeout
    r = client.get(url)
    while "x-siapwisata-versi-data" in r.headers and time.monotonic() < end:
        time.sleep(0.1)
        r = client.get(url)
    assert "x-siapwisata-versi-data" not in r.headers, url
    return r


def wait_for(predicate, timeout: float = 120.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False
