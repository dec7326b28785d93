"""The compiled reader of the roads' PBF (geo.io._osmpbf) against libosmium's own PBF
reader (pyosmium) over the same files: every object's type and id in file order, the
newest timestamp, each way's nodes with their locations (undefined where the node is
missing) and the first value of each key asked for. Files written by libosmium from the
shared extracts and from generated ones (ids of both signs, coordinates of every sign,
keys repeated, empty ways, timestamps or none).

Blobs cut by the end of a chunk are left for the next one. What libosmium does not write
here (compressed blobs, other coordinate units, a way with fewer locations than nodes,
bytes out of the format) is refused, never read as something else: those files are built
by hand below, with a protobuf encoder of their own.
"""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import pytest
from hypothesis import given
from hypothesis import strategies as st

import geo.io.osm
from geo.io._osmpbf import (
    COMPRESSED,
    LOCATIONS,
    NOT_UNDERSTOOD,
    OK,
    SCALE,
    UNDEFINED,
    blocks,
    gather,
)
from geo.settings import get_settings
from tests._depth import REPRODUCIBLE
from tests._osm_reference import opl_escape, write_opl

DATA = get_settings().require_data_dir() / "osm"
KEYS = ["highway", "name", "route", "oneway", "área"]
PROPERTY = REPRODUCIBLE


def _keys(keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [k.encode() for k in keys]
    return (np.frombuffer(b"".join(encoded), dtype=np.uint8),
            np.cumsum([0, *map(len, encoded)]).astype(np.int64))


def _decode(data: bytes, keys: list[str] = KEYS) -> tuple[Any, ...]:
    return blocks(np.frombuffer(data, dtype=np.uint8), *_keys(keys))


def _reference(path: Path, keys: list[str], *, nodes: bool = False) -> dict[str, Any]:
    """What libosmium reads from the file, in the shapes :func:`blocks` gives (``nodes``:
    the file's nodes are not dense ones, read whole like the ways)."""
    objects, newest, count, refs, tags, tagged = [], 0, [], [], [], []
    with osmium.io.Reader(str(path)) as reader:
        for o in osmium.OsmFileIterator(reader):
            objects.append((o.type_str(), o.id))
            newest = max(newest, int(o.timestamp.timestamp()))  # none: 0
            if o.is_way():
                count.append(len(o.nodes))
                refs += [_located(n.ref, n.location) for n in o.nodes]
            elif o.is_node() and nodes:
                count.append(1)
                refs.append(_located(o.id, o.location))
            else:
                continue
            tagged.append(len(objects) - 1)
            tags.append([o.tags.get(k) for k in keys])
    return {"objects": objects, "newest": newest, "tagged": tagged, "count": count,
            "refs": refs, "tags": tags}


def _located(node: int, location: Any) -> tuple[int, int, int]:
    if location.x == UNDEFINED or location.y == UNDEFINED:
        return (node, UNDEFINED, UNDEFINED)
    return (node, location.x, location.y)


def _decoded(data: bytes, keys: list[str]) -> dict[str, Any]:
    status, consumed, kinds, ids, newest, tagged, count, ref, x, y, lo, hi = _decode(
        data, keys)
    assert status == OK
    assert consumed == len(data)
    b = np.frombuffer(data, dtype=np.uint8)
    return {
        "objects": [(chr(k), int(i)) for k, i in zip(kinds, ids, strict=True)],
        "newest": int(newest), "tagged": tagged.tolist(), "count": count.tolist(),
        "refs": list(zip(ref.tolist(), x.tolist(), y.tolist(), strict=True)),
        "tags": [[None if lo[q, w] < 0 else bytes(b[lo[q, w]:hi[q, w]]).decode()
                  for q in range(len(keys))] for w in range(len(count))]}


def _roads_of(src: Path, out: Path) -> bytes:
    geo.io.osm._write_roads(src, out, src.name)
    return out.read_bytes()


@pytest.mark.parametrize("name", ["andorra-2021-04-14.osm.pbf", "monaco-2016-03-05.osm.pbf",
                                  "porto-2020-07-20.osm.pbf"])
def test_the_roads_of_the_shared_extracts_read_as_libosmium_reads_them(
        tmp_path: Path, name: str) -> None:
    out = tmp_path / "roads.osm.pbf"
    data = _roads_of(DATA / name, out)
    keys = [*geo.io.osm._TAG_KEYS]
    want = _reference(out, keys)
    assert _decoded(data, keys) == want
    assert len(want["count"]) > 1000 and want["newest"] > 0


def test_a_chunk_cut_inside_a_blob_keeps_that_blob_for_the_next(tmp_path: Path) -> None:
    data = _roads_of(DATA / "monaco-2016-03-05.osm.pbf", tmp_path / "roads.osm.pbf")
    whole = _decode(data)
    ends = _blob_ends(data)
    assert len(ends) > 3
    for cut in (ends[1] + 1, ends[2] - 1, ends[2]):
        first = _decode(data[:cut])
        assert first[0] == OK
        assert first[1] == max(e for e in ends if e <= cut)
        rest = _decode(data[first[1]:])
        assert rest[1] == len(data) - first[1]
        for i in (2, 3, 6, 7, 8, 9):  # kinds, ids, count, ref, x, y
            np.testing.assert_array_equal(np.concatenate([first[i], rest[i]]), whole[i])


def _blob_ends(data: bytes) -> list[int]:
    ends, at = [], 0
    while at < len(data):
        (size,) = struct.unpack(">I", data[at:at + 4])
        header = data[at + 4:at + 4 + size]
        blob = _varint_field(header, 3)
        at += 4 + size + blob
        ends.append(at)
    return ends


def _varint_field(message: bytes, number: int) -> int:
    """A varint field of a flat message (the blob header's size)."""
    at = 0
    while at < len(message):
        key, at = _read_varint(message, at)
        if key & 7 == 0:
            value, at = _read_varint(message, at)
            if key >> 3 == number:
                return value
        else:
            size, at = _read_varint(message, at)
            at += size
    raise AssertionError("field not found")


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        value |= (data[at] & 0x7F) << shift
        at += 1
        shift += 7
        if data[at - 1] < 0x80:
            return value, at


# --- generated files --------------------------------------------------------------------
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
               min_size=1, max_size=6)


@st.composite
def osm_files(draw: st.DrawFn) -> str:
    """OPL text of located nodes and ways (over them and over missing nodes), a relation,
    each object with or without a timestamp."""
    def stamp() -> str:
        t = draw(st.one_of(st.none(), st.integers(1, 2**31 - 1)))
        if t is None:
            return ""
        return " t" + dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    ids = sorted(draw(st.sets(st.integers(1, 2**40), min_size=1, max_size=20)))
    lines = [f"n{i} v1{stamp()} x{draw(st.integers(-1_800_000_000, 1_800_000_000)) / 1e7:.7f}"
             f" y{draw(st.integers(-900_000_000, 900_000_000)) / 1e7:.7f}" for i in ids]
    missing = st.one_of(st.integers(-2**40, -1), st.integers(2**40 + 1, 2**41))
    for w in sorted(draw(st.sets(st.integers(1, 2**35), max_size=10))):
        refs = draw(st.lists(st.one_of(st.sampled_from(ids), missing), max_size=10))
        pairs = draw(st.lists(st.tuples(st.sampled_from([*KEYS, "note"]), TEXT),
                              max_size=6))
        tags = ",".join(f"{opl_escape(k)}={opl_escape(v)}" for k, v in [("highway", "x"), *pairs])
        lines.append(f"w{w} v1{stamp()} T{tags} N" + ",".join(f"n{r}" for r in refs))
    lines.append(f"r1 v1{stamp()} Troute=ferry Mw{2**36}@")
    return "\n".join(lines) + "\n"




@PROPERTY
@given(osm_files())
def test_generated_files_read_as_libosmium_reads_them(opl: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = write_opl(opl, Path(tmp) / "src.osm.pbf")
        out = Path(tmp) / "roads.osm.pbf"
        data = _roads_of(src, out)
        assert _decoded(data, KEYS) == _reference(out, KEYS)


@PROPERTY
@given(st.lists(st.one_of(st.none(), st.binary(max_size=5)), max_size=12), st.data())
def test_gather_puts_the_spans_one_after_the_other(spans: list[bytes | None],
                                                   data: st.DataObject) -> None:
    text = data.draw(st.binary(min_size=1, max_size=40))
    lo, hi, want = [], [], b""
    for s in spans:
        if s is None:
            lo.append(-1)
            hi.append(-1)
            continue
        a = data.draw(st.integers(0, len(text)))
        b = data.draw(st.integers(a, len(text)))
        lo.append(a)
        hi.append(b)
        want += text[a:b]
    offsets, out = gather(np.frombuffer(text, dtype=np.uint8), np.array(lo, np.int64),
                          np.array(hi, np.int64))
    assert bytes(out) == want
    sizes = [0 if a < 0 else b - a for a, b in zip(lo, hi, strict=True)]
    assert offsets.tolist() == np.cumsum([0, *sizes]).tolist()


# --- hand-built files: what is refused ------------------------------------------------
def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def _zigzag(values: list[int]) -> bytes:
    """Packed sint64 deltas."""
    out, last = b"", 0
    for v in values:
        d = v - last
        last = v
        out += _varint((d << 1) ^ (d >> 63))
    return out


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _blob(kind: bytes, block: bytes, *, zlib: bool = False) -> bytes:
    blob = _field(3 if zlib else 1, block) + _field(2, len(block))
    header = _field(1, kind) + _field(3, len(blob))
    return struct.pack(">I", len(header)) + header + blob


def _way_block(*, lat: list[int] | None = None, extra: bytes = b"") -> bytes:
    strings = _field(1, b"") + _field(1, b"highway") + _field(1, b"primary")
    way = (_field(1, 7) + _field(2, _varint(1)) + _field(3, _varint(2))
           + _field(8, _zigzag([5, 6])) + _field(9, _zigzag(lat or [10, 20]))
           + _field(10, _zigzag([30, 40])))
    return _field(1, strings) + _field(2, _field(3, way)) + extra


def test_a_hand_built_way_reads_as_written() -> None:
    status, consumed, kinds, ids, _, tagged, count, ref, x, y, lo, hi = _decode(
        _blob(b"OSMHeader", b"") + _blob(b"OSMData", _way_block()), ["highway"])
    assert status == OK
    assert (chr(kinds[0]), ids.tolist(), tagged.tolist(), count.tolist()) == ("w", [7], [0], [2])
    assert (ref.tolist(), x.tolist(), y.tolist()) == ([5, 6], [30, 40], [10, 20])


def test_a_way_written_without_locations_has_them_undefined() -> None:
    strings = _field(1, b"") + _field(1, b"highway") + _field(1, b"primary")
    way = _field(1, 7) + _field(2, _varint(1)) + _field(3, _varint(2)) + _field(8, _zigzag([5, 6]))
    found = _decode(_blob(b"OSMData", _field(1, strings) + _field(2, _field(3, way))),
                    ["highway"])
    assert found[0] == OK
    assert (found[7].tolist(), found[8].tolist()) == ([5, 6], [UNDEFINED, UNDEFINED])


def test_a_location_with_one_coordinate_undefined_is_undefined() -> None:
    found = _decode(_blob(b"OSMData", _way_block(lat=[UNDEFINED, 20])), ["highway"])
    assert found[0] == OK
    assert (found[8].tolist(), found[9].tolist()) == ([UNDEFINED, 40], [UNDEFINED, 20])


@pytest.mark.parametrize(("data", "status"), [
    (_blob(b"OSMData", _way_block(), zlib=True), COMPRESSED),
    (_blob(b"OSMData", _way_block(extra=_field(17, 1000))), SCALE),
    (_blob(b"OSMData", _way_block(extra=_field(19, 5))), SCALE),
    (_blob(b"OSMData", _way_block(lat=[10])), LOCATIONS),
    (_blob(b"OSMData", _way_block(lat=[10, 20, 30])), LOCATIONS),
    (_blob(b"OSMData", _way_block() + b"\x0b"), NOT_UNDERSTOOD),  # wire type 3
    (_blob(b"OSMData", b"\x0a\x80"), NOT_UNDERSTOOD),
])
def test_what_libosmium_does_not_write_here_is_refused(data: bytes, status: int) -> None:
    assert _decode(data)[0] == status


def test_a_file_cut_short_is_refused(tmp_path: Path) -> None:
    data = _roads_of(DATA / "monaco-2016-03-05.osm.pbf", tmp_path / "roads.osm.pbf")
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(data[:-10])
    with pytest.raises(RuntimeError, match="cut short"):
        geo.io.osm._parse_road_pbf(cut, "cut.osm.pbf")


def _sint(value: int) -> int:
    """A zigzag-coded sint64, to write as a varint."""
    return ((value << 1) ^ (value >> 63)) & ((1 << 64) - 1)


def _node_block(*nodes: tuple[int, int, int]) -> bytes:
    """Plain nodes (id, lat, lon in 1e-7 degrees), each tagged amenity=cafe."""
    strings = _field(1, b"") + _field(1, b"amenity") + _field(1, b"cafe")
    group = b"".join(
        _field(1, _field(1, _sint(i)) + _field(2, _varint(1)) + _field(3, _varint(2))
               + _field(8, _sint(lat)) + _field(9, _sint(lon)))
        for i, lat, lon in nodes)
    return _field(1, strings) + _field(2, group)


def test_plain_nodes_read_with_their_tags_and_locations() -> None:
    found = _decode(_blob(b"OSMData", _node_block((3, -45_000_000, 1_368_000_000),
                                                  (-4, 10, -20))), ["amenity"])
    status, _, kinds, ids, _, tagged, count, ref, x, y, lo, hi = found
    assert status == OK
    assert ([chr(k) for k in kinds], ids.tolist(), tagged.tolist()) == (["n", "n"], [3, -4],
                                                                         [0, 1])
    assert (count.tolist(), ref.tolist()) == ([1, 1], [3, -4])
    assert (x.tolist(), y.tolist()) == ([1_368_000_000, -20], [-45_000_000, 10])
    assert (lo >= 0).all()


def test_a_poi_node_out_of_the_world_is_left_out(tmp_path: Path) -> None:
    # libosmium writes such a location as undefined; a file can still hold one
    path = tmp_path / "nodes.osm.pbf"
    path.write_bytes(_blob(b"OSMHeader", b"") + _blob(b"OSMData", _node_block(
        (1, 950_000_000, 0), (2, 0, 1_850_000_000), (3, -900_000_000, -1_800_000_000))))
    nodes = geo.io.osm._poi_nodes(path, "nodes.osm.pbf")
    assert nodes.ids.tolist() == [3]
    assert (nodes.lon.tolist(), nodes.lat.tolist()) == ([-180.0], [-90.0])
