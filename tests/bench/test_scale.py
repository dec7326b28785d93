"""bench.scale's tiled extract: N faithful, disjoint copies of an extract."""

from __future__ import annotations

from pathlib import Path

import osmium
import pytest

from bench.scale import build_tiled, pyosmium_floor

TAGS = {"highway": "residential", "name": "Jl. A, B = C @ 50% ; x", "note": "tab\tand ünïcode"}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three nodes west of Greenwich and south of the equator, two ways and a relation."""
    path = tmp_path_factory.mktemp("scale") / "src.osm.pbf"
    mutable = osmium.osm.mutable
    w = osmium.SimpleWriter(str(path))
    w.add_node(mutable.Node(id=7, location=(-8.61, -0.5), tags={"tourism": "viewpoint"}))
    w.add_node(mutable.Node(id=8, location=(-8.60, -0.51)))
    w.add_node(mutable.Node(id=1234, location=(-8.59, -0.49)))
    w.add_way(mutable.Way(id=3, nodes=[7, 8, 1234], tags=TAGS))
    w.add_way(mutable.Way(id=40, nodes=[8, 1234], tags={"highway": "service"}))
    w.add_relation(mutable.Relation(id=2, tags={"type": "route"},
                                    members=[("w", 3, "forward"), ("n", 7, "stop"),
                                             ("w", 999, "outside the extract")]))
    w.close()
    return path


def _objects(path: Path) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {"n": [], "w": [], "r": []}
    for o in osmium.FileProcessor(str(path)):
        row: dict[str, object] = {"id": o.id, "tags": dict(o.tags)}
        if o.is_node():
            row["xy"] = (o.location.lon, o.location.lat)
        elif o.is_way():
            row["refs"] = [n.ref for n in o.nodes]
        else:
            row["members"] = [(m.type, m.ref, m.role) for m in o.members]
        out[o.type_str()].append(row)
    return out


def test_copies_are_faithful_disjoint_and_collision_free(source: Path, tmp_path: Path) -> None:
    out = build_tiled(source, 3, tmp_path / "x3.osm.pbf")
    got = _objects(out)
    assert [len(got[t]) for t in "nwr"] == [9, 6, 3]
    for t in "nwr":
        ids = [o["id"] for o in got[t]]
        assert len(set(ids)) == len(ids) and ids == sorted(ids)
    nodes = {o["id"]: o for o in got["n"]}
    # Ids are renumbered densely per type in file order (nodes 7, 8, 1234 -> 1, 2, 3; ways
    # 3, 40 -> 1, 2, the absent way 999 -> 3; relation 2 -> 1), then copy k is k followed
    # by the dense id (one digit wide here).
    for k in (1, 2, 3):
        a, b, c = (nodes[k * 10 + i]["xy"] for i in (1, 2, 3))
        assert b[0] - a[0] == pytest.approx(0.01) and c[1] - a[1] == pytest.approx(0.01)
        way = next(w for w in got["w"] if w["id"] == k * 10 + 1)
        assert way["tags"] == TAGS
        assert way["refs"] == [k * 10 + 1, k * 10 + 2, k * 10 + 3]
        rel = next(r for r in got["r"] if r["id"] == k * 10 + 1)
        assert rel["members"] == [("w", k * 10 + 1, "forward"), ("n", k * 10 + 1, "stop"),
                                  ("w", k * 10 + 3, "outside the extract")]
    assert nodes[11]["tags"] == {"tourism": "viewpoint"}
    # Side by side: each copy shifted by 1.05 x the extract's width (2 columns for 3 tiles),
    # so no two copies' bounding boxes touch.
    xs = {k: [nodes[k * 10 + i]["xy"] for i in (1, 2, 3)] for k in (1, 2, 3)}
    assert xs[2][0][0] - xs[1][0][0] == pytest.approx(0.021, abs=1e-6)
    assert xs[3][0][1] - xs[1][0][1] == pytest.approx(-0.021, abs=1e-6)
    assert min(p[0] for p in xs[2]) > max(p[0] for p in xs[1])
    assert max(p[1] for p in xs[3]) < min(p[1] for p in xs[1])


def test_the_floor_pass_sees_every_copy(source: Path, tmp_path: Path) -> None:
    one = pyosmium_floor(source)
    three = pyosmium_floor(build_tiled(source, 3, tmp_path / "x3.osm.pbf"))
    assert three["highway_ways"] == 3 * one["highway_ways"] == 6
    assert three["highway_km"] == pytest.approx(3 * one["highway_km"], abs=0.2)


def test_a_memory_sample_counts_only_a_tree_that_did_not_change_meanwhile(monkeypatch) -> None:
    """A fork between the reads of one sample counts the parent's pages twice (its own
    before the fork, its workers' shares after), so such a sample is taken again."""
    import bench.scale as scale

    pss = {1: 9_000 * 1024, 2: 3_000 * 1024, 3: 3_000 * 1024}  # KiB
    listings = iter([[1], [1, 2, 3], [1, 2, 3], [1, 2, 3]])  # forked during sample one
    monkeypatch.setattr(scale, "_tree_pids", lambda pid: next(listings))
    monkeypatch.setattr(scale, "_pss_kb", lambda pid: pss.get(pid, 1024))
    assert scale._tree_pss_mb(1) == 15_000  # the second, consistent sample
    monkeypatch.setattr(scale, "_tree_pids", lambda pid, c=iter(range(99)): [next(c)])
    assert scale._tree_pss_mb(1) == 0.0  # never consistent: no figure


def test_the_memory_tree_holds_a_process_and_its_forked_children() -> None:
    import os
    import time

    from bench.scale import _pss_kb, _tree_pids

    pid = os.fork()
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    try:
        deadline = time.monotonic() + 5
        while pid not in _tree_pids(os.getpid()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _tree_pids(os.getpid())[0] == os.getpid()
        assert pid in _tree_pids(os.getpid())
        assert _pss_kb(os.getpid()) > 0 and _pss_kb(pid) > 0
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert pid not in _tree_pids(os.getpid())
    assert _pss_kb(pid) == 0


def test_connected_copies_are_one_network_joined_at_their_facing_ends(
        source: Path, tmp_path: Path) -> None:
    """``connected``: a primary road from each copy's farthest car-road node east (south)
    to its east (south) neighbour's farthest west (north) one; the copies themselves are
    as without it, and the whole is one network."""
    plain = _objects(build_tiled(source, 4, tmp_path / "x4.osm.pbf"))
    got = _objects(build_tiled(source, 4, tmp_path / "x4c.osm.pbf", connected=True))
    assert got["n"] == plain["n"] and got["r"] == plain["r"]
    ids = [w["id"] for w in got["w"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    bridges = [w for w in got["w"] if w not in plain["w"]]
    assert len(got["w"]) == len(plain["w"]) + len(bridges)
    xy = {n["id"]: n["xy"] for n in got["n"]}

    def copy(node: object) -> int:
        return int(node) // 10  # type: ignore[call-overload]  # one-digit dense ids here

    car = {r for w in plain["w"] if w["tags"].get("highway") == "residential"  # type: ignore[union-attr]
           for r in w["refs"]}  # type: ignore[union-attr]

    def farthest(k: int, axis: int, sign: int) -> int:
        return max((n for n in car if copy(n) == k), key=lambda n: sign * xy[n][axis])

    # 2 x 2 copies: 1 2 / 3 4 (north row first)
    want = {(farthest(1, 0, 1), farthest(2, 0, -1)), (farthest(3, 0, 1), farthest(4, 0, -1)),
            (farthest(1, 1, -1), farthest(3, 1, 1)), (farthest(2, 1, -1), farthest(4, 1, 1))}
    assert {tuple(b["refs"]) for b in bridges} == want  # type: ignore[arg-type]
    assert all(b["tags"] == {"highway": "primary"} for b in bridges)
    # one network: union-find over every way's nodes
    parent: dict[int, int] = {}

    def root(n: int) -> int:
        while parent.setdefault(n, n) != n:
            n = parent[n]
        return n

    for w in got["w"]:
        refs = [r for r in w["refs"] if r in xy]  # type: ignore[union-attr]
        for a, b in zip(refs, refs[1:], strict=False):
            parent[root(a)] = root(b)
    assert len({root(n) for n in car}) == 1


def test_each_step_prints_its_line_and_the_totals_add_them_up(
        monaco_pbf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from bench.scale import main

    main(["--tiles", "1", "--osm", str(monaco_pbf), "--cache", str(tmp_path)])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    by = {x["step"]: x for x in lines}
    assert [x["step"] for x in lines] == ["build_tiled", "pyosmium_floor", "ingest", "score",
                                          "priorities", "total", "score+priorities",
                                          "total_together"]
    for step in ("ingest", "score", "priorities", "score+priorities"):
        assert {"tiles", "edges", "destinations", "wall_s", "peak_rss_mb"} <= by[step].keys()
        assert by[step]["edges"] > 0 and by[step]["destinations"] > 0
    walls = {s: by[s]["wall_s"] for s in ("ingest", "score", "priorities", "score+priorities")}
    assert by["total"]["wall_s"] == pytest.approx(
        walls["ingest"] + walls["score"] + walls["priorities"], abs=0.011)
    assert by["total_together"]["wall_s"] == pytest.approx(
        walls["ingest"] + walls["score+priorities"], abs=0.011)
