"""The fast lane for answers already built (api/fastpath.py), through the real app.

The references are independent: the first answer the endpoint gave, Python's own gzip
decoder, and a counter on the endpoint itself (how many requests reached FastAPI).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.fastpath import MARK
from api.main import create_app
from geo.io.workspace import Workspace

URLS = ("/", "/maps/readiness", "/api/destinations", "/api/umkm?type=toko", "/api/kampung")



@pytest.fixture()
def app_path(served: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(served, path)
    return path


class Counted:
    """Counts the requests that reach the app behind the fast lane."""

    def __init__(self, app):
        self.app = app
        self.calls: list[str] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.calls.append(scope["path"])
        await self.app(scope, receive, send)


def _counted_client(path: Path) -> tuple[TestClient, Counted]:
    app = create_app(path)
    stack = app.build_middleware_stack()
    # find the FastPath layer and count what passes it
    layer = stack
    while type(layer).__name__ != "FastPath":
        layer = layer.app
    counter = Counted(layer.app)
    layer.app = counter
    app.middleware_stack = stack
    return TestClient(app), counter


def test_second_request_does_not_reach_the_endpoint(app_path: Path) -> None:
    client, counter = _counted_client(app_path)
    with client:
        for url in URLS:
            first = client.get(url, headers={"accept-encoding": "identity"})
            assert first.status_code == 200
            again = client.get(url, headers={"accept-encoding": "identity"})
            assert again.status_code == 200
            assert again.content == first.content
            assert again.headers["content-type"] == first.headers["content-type"]
            assert again.headers["etag"] == first.headers["etag"]
            assert MARK not in again.headers and MARK not in first.headers
        assert len(counter.calls) == len(URLS)  # each URL reached FastAPI once


def test_every_answer_keeps_the_security_headers(app_path: Path) -> None:
    with TestClient(create_app(app_path)) as client:
        for _ in range(2):  # the endpoint's answer, then the kept one
            r = client.get("/maps/readiness")
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["x-content-type-options"] == "nosniff"
            assert "script-src 'self' 'sha256-" in r.headers["content-security-policy"]
            r = client.get("/api/destinations")
            assert r.headers["content-security-policy"].startswith("default-src 'none'")


def test_gzip_when_accepted_and_identical_once_decoded(app_path: Path) -> None:
    with TestClient(create_app(app_path)) as client:
        plain = client.get("/maps/readiness", headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers
        raw = client.get("/maps/readiness", headers={"accept-encoding": "gzip"})
        # httpx decodes for us; check the wire bytes with the standard library too
        assert raw.headers["content-encoding"] == "gzip"
        assert raw.headers["vary"] == "Accept-Encoding"
        assert raw.content == plain.content
        with client.stream("GET", "/maps/readiness",
                           headers={"accept-encoding": "gzip"}) as s:
            wire = b"".join(s.iter_raw())
        assert gzip.decompress(wire) == plain.content
        assert len(wire) < len(plain.content) / 3
        refused = client.get("/maps/readiness", headers={"accept-encoding": "gzip;q=0"})
        assert "content-encoding" not in refused.headers


def test_etag_revalidation_answers_304(app_path: Path) -> None:
    with TestClient(create_app(app_path)) as client:
        first = client.get("/api/destinations", headers={"accept-encoding": "identity"})
        etag = first.headers["etag"]
        assert first.headers["cache-control"] == "no-cache"
        r = client.get("/api/destinations", headers={"if-none-match": etag,
                                                      "accept-encoding": "identity"})
        assert r.status_code == 304
        assert r.content == b""
        assert r.headers["etag"] == etag
        stale = client.get("/api/destinations", headers={"if-none-match": '"nope"',
                                                          "accept-encoding": "identity"})
        assert stale.status_code == 200 and stale.content == first.content


def test_a_new_workspace_version_is_served_fresh(app_path: Path) -> None:
    with TestClient(create_app(app_path)) as client:
        before = client.get("/api/destinations").json()
        ws = Workspace(app_path)
        s = ws.read("scores")
        s.loc[0, "name"] = "Nama Baru Jalur Cepat"
        with ws.update() as stage:
            stage.write("scores", s)
        # never the earlier version's answer unmarked (it may be sent marked old while the
        # current one is built: tests/api/test_swr.py); asked for no-cache, the current one
        plain = client.get("/api/destinations")
        assert plain.headers.get("x-siapwisata-versi-data") == "lama" or (
            "Nama Baru Jalur Cepat" in plain.text)
        after = client.get("/api/destinations", headers={"cache-control": "no-cache"}).json()
        names = {f["properties"]["name"] for f in after["features"]}
        assert "Nama Baru Jalur Cepat" in names
        assert names != {f["properties"]["name"] for f in before["features"]}
        r = client.get("/api/destinations")
        assert "x-siapwisata-versi-data" not in r.headers and r.json() == after


def test_errors_and_refused_hosts_are_never_kept(app_path: Path) -> None:
    client, counter = _counted_client(app_path)
    with client:
        for _ in range(2):
            r = client.get("/api/destinations", params={"distrik": "Tidak Ada"})
            assert r.status_code == 422
        assert len(counter.calls) == 2  # both reached the endpoint
        assert client.get("/api/destinations").status_code == 200
        evil = client.get("/api/destinations", headers={"host": "evil.example"})
        assert evil.status_code == 400  # a kept answer is still behind the Host check
