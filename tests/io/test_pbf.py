"""``geo.io._pbf``: a sorted PBF file's blocks from its first way on, checked against
libosmium reading the whole file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import osmium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.io._pbf import ways_onward
from tests.conftest import OSM as SHARED_OSM

_LATER = osmium.osm.WAY | osmium.osm.RELATION


def _objects(path: Path, entities: Any) -> list[tuple[Any, ...]]:
    """Every object of these types: type, id, tags, node refs or members (libosmium)."""
    out: list[tuple[Any, ...]] = []
    with osmium.io.Reader(osmium.io.File(str(path)), entities) as reader:
        for o in osmium.OsmFileIterator(reader):
            body: tuple[Any, ...]
            if isinstance(o, osmium.osm.Way):
                body = tuple(n.ref for n in o.nodes)
            elif isinstance(o, osmium.osm.Relation):
                body = tuple((m.type, m.ref, m.role) for m in o.members)
            else:
                assert isinstance(o, osmium.osm.Node)
                body = (o.location.x, o.location.y)
            out.append((o.type_str(), o.id, tuple(sorted(dict(o.tags).items())), body))
    return out


def _nodes(path: Path) -> int:
    with osmium.io.Reader(osmium.io.File(str(path)), osmium.osm.NODE) as reader:
        return sum(1 for _ in osmium.OsmFileIterator(reader))


def _pbf(path: Path, nodes: int, ways: int, relations: int) -> Path:
    """A sorted PBF file: ``nodes`` nodes, then ways over them, then relations over the
    ways (libosmium's writer: 8.000 objects a block, one type per block)."""
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        for i in range(1, nodes + 1):
            writer.add_node(osmium.osm.mutable.Node(
                id=i, location=(106.8 + i * 1e-6, -6.2), tags={"n": str(i)} if i % 97 == 0 else {}))
        for i in range(1, ways + 1):
            refs = [1 + (i + k) % max(nodes, 1) for k in range(3)]
            writer.add_way(osmium.osm.mutable.Way(id=i, nodes=refs, tags={"highway": "path"}))
        for i in range(1, relations + 1):
            members = [("w", 1 + (i + k) % max(ways, 1), "outer") for k in range(2)]
            writer.add_relation(osmium.osm.mutable.Relation(
                id=i, members=members, tags={"type": "multipolygon"}))
    finally:
        writer.close()
    return path


@pytest.mark.parametrize("name", ["andorra-2021-04-14.osm.pbf", "monaco-2016-03-05.osm.pbf",
                                  "porto-2020-07-20.osm.pbf"])
def test_the_copy_holds_every_way_and_relation_of_a_real_extract(tmp_path: Path,
                                                                 name: str) -> None:
    src = SHARED_OSM / name
    out = tmp_path / "tail.osm.pbf"
    assert ways_onward(src, out)
    assert _objects(out, _LATER) == _objects(src, _LATER)
    # the node blocks are left out (those of a block with ways would stay)
    assert _nodes(out) < _nodes(src) / 10


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 20_000), st.integers(0, 20_000), st.integers(0, 9_000))
def test_the_copy_starts_at_the_first_way_or_relation(
        tmp_path_factory: pytest.TempPathFactory, nodes: int, ways: int,
        relations: int) -> None:
    """Files of one to a few blocks of each type: the copy exists exactly when the file
    has a way or a relation, and then holds all of them and no whole block of nodes."""
    folder = tmp_path_factory.mktemp("pbf")
    src = _pbf(folder / "src.osm.pbf", nodes, ways if nodes else 0, relations)
    out = folder / "tail.osm.pbf"
    made = ways_onward(src, out)
    assert made == bool(_objects(src, _LATER))
    assert out.exists() == made
    if made:
        assert _objects(out, _LATER) == _objects(src, _LATER)
        assert _nodes(out) == 0  # libosmium: one type per block


@pytest.mark.parametrize("content", [
    b"",
    b"<?xml version='1.0'?><osm version='0.6'></osm>",
    b"\x00\x00\x00\x0d" + b"\x0a\x09OSMHeader\x18\x40",  # a header whose blob is missing
])
def test_what_is_not_a_whole_pbf_file_gives_no_copy(tmp_path: Path, content: bytes) -> None:
    src = tmp_path / "bad.osm.pbf"
    src.write_bytes(content)
    out = tmp_path / "tail.osm.pbf"
    assert not ways_onward(src, out)
    assert not out.exists()


def test_a_truncated_file_gives_no_copy(tmp_path: Path) -> None:
    whole = _pbf(tmp_path / "whole.osm.pbf", 10_000, 100, 5)
    data = whole.read_bytes()
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(data[: len(data) - 7])
    out = tmp_path / "tail.osm.pbf"
    assert not ways_onward(cut, out)
    assert not out.exists()
