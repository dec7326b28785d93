"""The POI nodes of :func:`geo.io.osm._stream`, which never reach Python one by one
(libosmium writes them to a PBF file that compiled code reads), against pyosmium's
per-object reading of the same file with :func:`geo.osmtags.is_poi`: the same nodes, in
file order, with the same tag columns (the ``contact:`` spelling where the plain one is
missing), at the same coordinates, and none whose location is not valid. Generated files
carry what real ones do at their edges: keys repeated with other values, ``no`` values,
places, coordinates out of the world, non-ASCII text.

The columns' form of ``is_poi`` is held to the function itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import osmium
import pyarrow as pa
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geo.io.osm
from geo import osmtags as rules
from geo._progress import SILENT
from geo.exceptions import InputError
from tests._osm_reference import opl_escape, write_opl

COLUMNS = geo.io.osm._POI_TAG_COLUMNS
VALUES = sorted({"no", "yes", "x", *(v for vs in rules.POI_VALUE_KEYS.values() for v in vs)})
KEYS = sorted({*rules.POI_FILTER_KEYS, *COLUMNS, *rules.POI_TAG_FALLBACK.values(), "note"})


def _reference(path: Path) -> list[tuple[Any, ...]]:
    """(id, lon, lat, columns...) of the POI nodes, one pyosmium object at a time."""
    rows = []
    fp = osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(
        osmium.filter.KeyFilter(*rules.POI_FILTER_KEYS))
    for node in fp:
        tags = node.tags
        if not rules.is_poi(tags) or not node.location.valid():
            continue
        values = [tags.get(c) for c in COLUMNS]
        for i, c in enumerate(COLUMNS):
            if values[i] is None and c in rules.POI_TAG_FALLBACK:
                values[i] = tags.get(rules.POI_TAG_FALLBACK[c])
        rows.append((node.id, node.location.lon, node.location.lat, *values))
    return rows


def _ours(path: Path) -> list[tuple[Any, ...]]:
    ext = geo.io.osm._stream(path, path.name, "", SILENT)
    nodes = ext.pois["osm_type"].to_numpy() == "n"
    frame = ext.pois[nodes]
    points = ext.poi_geometry[nodes]
    return [(int(i), float(shapely.get_x(p)), float(shapely.get_y(p)),
             *(None if v is None or v != v else v for v in row))
            for i, p, row in zip(frame["osm_id"], points,
                                 frame[list(COLUMNS)].itertuples(index=False, name=None),
                                 strict=True)]


TEXT = st.one_of(st.sampled_from(VALUES), st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=5))


@st.composite
def node_files(draw: st.DrawFn) -> str:
    lines = []
    for i in sorted(draw(st.sets(st.integers(-2**40, 2**40), max_size=25)),
                    key=lambda v: (v >= 0, abs(v))):  # the order the readers check
        lon = draw(st.integers(-1_850_000_000, 1_850_000_000))  # some out of the world
        lat = draw(st.integers(-950_000_000, 950_000_000))
        pairs = draw(st.lists(st.tuples(st.sampled_from(KEYS), TEXT), max_size=6))
        tags = ",".join(f"{opl_escape(k)}={opl_escape(v)}" for k, v in pairs)
        lines.append(f"n{i} v1 T{tags} x{lon / 1e7:.7f} y{lat / 1e7:.7f}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(node_files())
def test_generated_poi_nodes_are_pyosmiums(opl: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nodes.osm.pbf"
        write_opl(opl, path)
        assert _ours(path) == _reference(path)


def test_the_shared_extracts_poi_nodes_are_pyosmiums() -> None:
    from geo.settings import get_settings

    path = get_settings().require_data_dir() / "osm" / "andorra-2021-04-14.osm.pbf"
    want = _reference(path)
    assert len(want) > 1000
    assert _ours(path) == want


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES)), max_size=8))
def test_the_columns_form_of_is_poi_is_is_poi(pairs: list[tuple[str, str]]) -> None:
    tags: dict[str, str] = {}
    for k, v in pairs:
        tags.setdefault(k, v)  # the first value of a key, as both readers take it
    columns = {k: pa.array([tags.get(k)], type=pa.large_string())
               for k in geo.io.osm._POI_READ_KEYS}
    assert geo.io.osm._poi_mask(columns).tolist() == [rules.is_poi(tags)]


def test_a_poi_tag_that_is_not_utf8_is_refused_naming_the_node(tmp_path: Path) -> None:
    path = tmp_path / "bytes.osm.pbf"
    write_opl("n7 v1 Tamenity=cafe,name=QQQQ x136.8 y-4.5\n", path, "pbf,pbf_compression=none")
    data = path.read_bytes()
    assert data.count(b"QQQQ") == 1
    path.write_bytes(data.replace(b"QQQQ", b"Q\xffQQ"))
    with pytest.raises(InputError) as err:
        geo.io.osm._stream(path, path.name, "", SILENT)
    assert "'name' objek n7 bukan teks UTF-8" in str(err.value)


def test_nodes_out_of_order_are_found(tmp_path: Path) -> None:
    # written as they come: libosmium's writer does not sort
    path = tmp_path / "unsorted.osm.pbf"
    write_opl("n9 v1 Tamenity=cafe x1 y1\nn3 v1 Tshop=bakery x1 y1\n", path)
    with pytest.raises(geo.io.osm._UnsortedError, match="n3"):
        geo.io.osm._stream(path, path.name, "", SILENT)
