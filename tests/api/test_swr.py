"""Stale-while-revalidate (issue 12): while the current version's answer is built, an
earlier version's answer is sent at once, always saying it is old.

Expected values come from the workspace read directly, from the answers of the earlier
version as they were sent, and from hashing the banner's script here (the browser's rule:
SHA-256 of the element's text), never from the fast path's own helpers.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.services.maps as map_service
from api._util import Body
from api.deps import WorkspaceStore
from api.fastpath import FastPath, Kept
from api.main import create_app
from api.services.freshness import OLD_TEXT
from geo.io.workspace import Workspace
from tests.api._writers import Acting, copy_served, editor, wait_for, writer_client

OLD = "x-siapwisata-versi-data"
NAME = "Nama Baru Untuk Uji SWR"


def _fastpath(app: Any) -> FastPath:
    layer = app.middleware_stack
    while not isinstance(layer, FastPath):
        layer = layer.app
    return layer


def _rename_first(path: Path, name: str) -> None:
    """A new workspace version: the first scored destination renamed, straight through
    the workspace API (as a score run or import would)."""
    ws = Workspace(path)
    s = ws.read("scores")
    s.loc[0, "name"] = name
    with ws.update() as stage:
        stage.write("scores", s)


@pytest.fixture
def app_path(served: Path, tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(served, path)
    yield create_app(path), path


def _csp_hashes(policy: str, directive: str) -> set[str]:
    for part in policy.split(";"):
        words = part.split()
        if words and words[0] == directive:
            return {w for w in words[1:] if w.startswith("'sha256-")}
    return set()


def _script_hashes(html: str) -> set[str]:
    out = set()
    for m in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S | re.I):
        text = m.group(1).replace("\r\n", "\n").replace("\r", "\n")
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        out.add(f"'sha256-{digest}'")
    return out


def test_a_map_is_sent_old_with_the_banner_while_one_build_runs(
        app_path: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    app, path = app_path
    gate = threading.Event()
    calls: list[float] = []
    real = map_service.readiness_html

    def gated(*args: Any, **kwargs: Any) -> str:
        calls.append(time.monotonic())
        gate.wait(60)
        return real(*args, **kwargs)

    with TestClient(app) as c:
        gate.set()
        before = c.get("/maps/readiness")
        assert before.status_code == 200 and OLD not in before.headers
        assert OLD_TEXT not in before.text
        monkeypatch.setattr(map_service, "readiness_html", gated)
        gate.clear()
        calls.clear()
        _rename_first(path, NAME)
        fast = _fastpath(app)
        builds = fast.background_builds
        # while the current page is built (held at the gate), every reader gets the old one
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(c.get("/maps/readiness")))
                   for _ in range(8)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert time.monotonic() - t0 < 20  # not held by the build
        assert len(answers) == 8
        for r in answers:
            assert r.status_code == 200
            assert r.headers[OLD] == "lama"
            assert "no-store" in r.headers["cache-control"] and "etag" not in r.headers
            # the old page, said to be old: banner right after <body>, old names
            assert re.search(r"<body[^>]*>\s*<div id=\"sw-stale\"", r.text)
            assert OLD_TEXT in r.text and NAME not in r.text
            # every inline script, the banner's included, is allowed by the policy's hashes
            policy = r.headers["content-security-policy"]
            assert _script_hashes(r.text) <= _csp_hashes(policy, "script-src")
            assert "'unsafe-inline'" not in _csp_hashes(policy, "script-src")
        assert wait_for(lambda: len(calls) >= 1, 30)
        time.sleep(0.3)
        assert len(calls) == 1  # one build, however many readers
        assert fast.background_builds == builds + 1
        # the banner's script alone changed the policy: the page's own hashes are kept
        assert _csp_hashes(before.headers["content-security-policy"], "script-src") < \
            _csp_hashes(answers[0].headers["content-security-policy"], "script-src")
        gate.set()
        assert wait_for(lambda: OLD not in c.get("/maps/readiness").headers)
        now = c.get("/maps/readiness")
        assert now.status_code == 200 and OLD not in now.headers and "etag" in now.headers
        assert NAME in now.text and OLD_TEXT not in now.text
        assert len(calls) == 1


def test_json_is_sent_old_with_a_header_and_never_kept_as_current(
        app_path: tuple[Any, Path]) -> None:
    app, path = app_path
    with TestClient(app) as c:
        before = c.get("/api/destinations")
        assert before.status_code == 200 and OLD not in before.headers
        _rename_first(path, NAME)
        version = app.state.store.version()
        r = c.get("/api/destinations")
        if OLD in r.headers:  # the build may already have ended on a fast machine
            assert r.headers[OLD] == "lama" and r.content == before.content
            assert "no-store" in r.headers["cache-control"]
            # the old answer is not what the current version keeps
            kept = app.state.store.lookup(("fastpath", "GET", "/api/destinations", b""), None)
            assert kept is None or kept.body != before.content
        assert wait_for(lambda: OLD not in c.get("/api/destinations").headers)
        names = {f["properties"]["name"] for f in c.get("/api/destinations").json()["features"]}
        assert NAME in names
        kept = app.state.store.lookup(("fastpath", "GET", "/api/destinations", b""), None)
        assert isinstance(kept, Kept) and NAME.encode() in kept.body
        assert app.state.store.version() == version


def test_a_client_asking_for_no_cache_waits_for_the_current_answer(
        app_path: tuple[Any, Path]) -> None:
    app, path = app_path
    with TestClient(app) as c:
        c.get("/api/destinations")
        _rename_first(path, NAME)
        r = c.get("/api/destinations", headers={"Cache-Control": "no-cache"})
        assert OLD not in r.headers
        assert NAME in {f["properties"]["name"] for f in r.json()["features"]}


def test_only_get_is_answered_from_an_earlier_version(served: Path, tmp_path: Path) -> None:
    """A write to a URL whose GET has an earlier version's answer runs the endpoint."""
    path = copy_served(served, tmp_path)
    dest = str(Workspace(path).read_table("destinations")["id"].iloc[0])
    with writer_client(path, Acting(editor("kominfo"))) as (c, _):
        got = c.get(f"/api/destinations/{dest}")
        assert got.status_code == 200
        _rename_first(path, NAME)
        r = c.patch(f"/api/destinations/{dest}", json={"sinyal": "4g"})
        assert r.status_code == 200 and OLD not in r.headers
        assert r.json()["n_changes"] >= 0 and r.content != got.content
        assert c.head(f"/api/destinations/{dest}").headers.get(OLD) is None


def test_an_answer_that_fails_now_is_not_replaced_by_the_old_one(
        app_path: tuple[Any, Path]) -> None:
    """A destination removed in the new version: after its build answered 404, requests
    get the 404, not the old 200 for ever."""
    app, path = app_path
    ws = Workspace(path)
    s = ws.read("scores")
    gone = str(s["id"].iloc[-1])
    with TestClient(app) as c:
        assert c.get(f"/api/destinations/{gone}").status_code == 200
        with ws.update() as stage:
            stage.write("scores", s.iloc[:-1])
        assert wait_for(lambda: c.get(f"/api/destinations/{gone}").status_code == 404)
        assert c.get(f"/api/destinations/{gone}").status_code == 404


def test_the_earlier_generation_counts_against_the_memory_bound(
        served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = WorkspaceStore(served, max_bytes=60_000)
    version = ["v1"]
    monkeypatch.setattr(store, "version", lambda: version[0])

    def kept(i: int) -> Kept:
        return Kept(((b"content-type", b"application/json"),), bytes([i]) * 10_000,
                    b'"e"', None, None)

    assert store.lookup(("fastpath", 0), None) is None  # as the fast path: look, then put
    for i in range(4):
        store.put(("fastpath", i), kept(i), "v1")
    store.put(("derived",), Body(b"z" * 5_000, "application/octet-stream"), "v1")
    assert store.cache_bytes <= 60_000
    version[0] = "v2"
    # only whole answers carry over, with the version they were built on
    assert store.lookup(("fastpath", 0), None) is None
    assert store.previous(("derived",)) is None
    got = store.previous(("fastpath", 0))
    assert got is not None and got[1] == "v1" and got[0].body == kept(0).body
    assert store.cache_bytes >= 40_000  # still counted
    assert store.lookup(("fastpath", 10), None) is None
    for i in range(10, 13):  # the current version's answers push the old ones out first
        store.put(("fastpath", i), kept(i), "v2")
    assert store.cache_bytes <= 60_000
    assert all(store.lookup(("fastpath", i), None) is not None for i in range(10, 13))
    left = [i for i in range(4) if store.previous(("fastpath", i)) is not None]
    assert left == [2, 3]  # oldest out first
    # an answer built for the current version replaces its earlier one
    store.put(("fastpath", 3), kept(33), "v2")
    assert store.previous(("fastpath", 3)) is None
    assert store.cache_bytes == 10_000 * 5 + 5 * 200 or store.cache_bytes <= 60_000
    # a later version: the newest earlier answer per key is kept, never an older one
    version[0] = "v3"
    got = store.previous(("fastpath", 3))
    assert got is not None and got[1] == "v2" and got[0].body == kept(33).body
    assert store.previous(("fastpath", 2))[1] == "v1"  # type: ignore[index]


def test_a_page_built_for_a_version_left_meanwhile_is_the_next_old_answer(
        app_path: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes every few seconds outrun a map's build: what it built is still the newest
    earlier answer (before, it was dropped, so no map was ever kept and everyone waited)."""
    app, path = app_path
    gates = [threading.Event(), threading.Event()]
    calls: list[int] = []
    real = map_service.readiness_html

    def gated(*args: Any, **kwargs: Any) -> str:
        n = len(calls)
        calls.append(n)
        if n < len(gates):
            gates[n].wait(60)
        return real(*args, **kwargs)

    with TestClient(app) as c:
        assert c.get("/maps/readiness").status_code == 200
        monkeypatch.setattr(map_service, "readiness_html", gated)
        store = app.state.store
        key = ("fastpath", "GET", "/maps/readiness", b"")
        _rename_first(path, NAME)
        v2 = store.version()
        first = c.get("/maps/readiness")
        assert first.headers[OLD] == "lama" and NAME not in first.text
        assert wait_for(lambda: len(calls) == 1, 30)  # building v2, held
        _rename_first(path, NAME + " Dua")
        assert store.version() != v2
        gates[0].set()
        got = lambda: store.previous(key)  # noqa: E731
        assert wait_for(lambda: got() is not None and got()[1] == v2, 60)
        second = c.get("/maps/readiness")
        assert second.headers[OLD] == "lama"
        assert NAME in second.text and NAME + " Dua" not in second.text  # v2's, marked
        assert wait_for(lambda: len(calls) == 2, 30)  # and one build of the current version
        gates[1].set()
        assert wait_for(lambda: OLD not in c.get("/maps/readiness").headers)
        assert NAME + " Dua" in c.get("/maps/readiness").text


def test_callers_waiting_on_a_build_take_its_value_after_a_new_version(
        served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = WorkspaceStore(served)
    version = ["v1"]
    monkeypatch.setattr(store, "version", lambda: version[0])
    started, release = threading.Event(), threading.Event()
    builds: list[int] = []

    def build() -> Body:
        builds.append(1)
        started.set()
        release.wait(30)
        return Body(b"v1-page", "text/plain")

    got: list[Body] = []
    threads = [threading.Thread(target=lambda: got.append(store.cached(("page",), build)))
               for _ in range(4)]
    threads[0].start()
    assert started.wait(30)
    for t in threads[1:]:
        t.start()
    time.sleep(0.2)
    version[0] = "v2"  # a write lands while the page is built
    release.set()
    for t in threads:
        t.join(30)
    assert len(builds) == 1 and [b.content for b in got] == [b"v1-page"] * 4
    # the current version builds its own, and nothing of v1 lingers in the slot
    assert store.cached(("page",), lambda: Body(b"v2-page", "text/plain")).content == b"v2-page"
    assert all(s.value is None for s in store._key_locks.values())
