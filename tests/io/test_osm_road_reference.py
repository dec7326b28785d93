"""The road arrays of :func:`geo.io.osm.read_osm` against a per-reference reader.

``read_osm`` lets libosmium write the road ways (with node locations) as OPL and parses
that text with numpy and Arrow. The reference here is the plain pyosmium way: one Python object
per node reference, ``location.x``/``location.y`` as libosmium stores them. Both must
give exactly the same node ids, coordinates, validity, counts per way and way rows, on
the shared extracts, on a tiled bench extract, and on generated files with what real
extracts have at their edges: nodes missing from the file, negative ids, coordinates
of every sign and precision, ways of zero or one node, and tags that OPL must escape.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.scale import build_tiled
from geo import osmtags as rules
from geo.exceptions import InputError
from geo.io.osm import OsmExtract, read_osm
from geo.settings import get_settings
from tests._osm_reference import opl_escape, write_opl

# the shared folder as every test finds it (beside the repository, or SIAPWISATA_DATA_DIR)
DATA = get_settings().require_data_dir() / "osm"
UNDEFINED = 2147483647
FIELDS = ["osm_way_id", "highway", "route", *rules.ROAD_TAGS, "oneway"]


def reference_roads(
    path: Path,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """(ref, x, y, count, rows) with one Python object per node reference."""
    fp = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
          .with_locations().with_filter(osmium.filter.KeyFilter("highway", "route")))
    refs: list[int] = []
    xs: list[int] = []
    ys: list[int] = []
    counts: list[int] = []
    rows: list[tuple[Any, ...]] = []
    for obj in fp:
        if not isinstance(obj, osmium.osm.Way):
            continue
        tags = obj.tags
        hw, route = tags.get("highway"), tags.get("route")
        if hw is not None:
            road = hw not in rules.EXCLUDED_HIGHWAY and tags.get("area") != "yes"
        else:
            road = route == "ferry"
        if not road:
            continue
        for nd in obj.nodes:
            refs.append(nd.ref)
            xs.append(nd.location.x)
            ys.append(nd.location.y)
        counts.append(len(obj.nodes))
        rows.append((obj.id, hw, route, *(tags.get(k) for k in rules.ROAD_TAGS),
                     tags.get("oneway")))
    return (np.array(refs, dtype=np.int64), np.array(xs, dtype=np.int64),
            np.array(ys, dtype=np.int64), np.array(counts, dtype=np.int64),
            pd.DataFrame.from_records(rows, columns=FIELDS))


def assert_same_roads(ext: OsmExtract, path: Path) -> None:
    ref, x, y, count, ways = reference_roads(path)
    valid = (x != UNDEFINED) & (y != UNDEFINED)
    np.testing.assert_array_equal(ext.ref, ref)
    np.testing.assert_array_equal(ext.valid, valid)
    np.testing.assert_array_equal(ext.x[valid], x[valid])
    np.testing.assert_array_equal(ext.y[valid], y[valid])
    lon, lat = ext.lonlat()
    np.testing.assert_array_equal(lon, np.where(valid, x * 1e-7, np.nan))
    np.testing.assert_array_equal(lat, np.where(valid, y * 1e-7, np.nan))
    mid = len(ref) // 3  # a slice gives the slice of the whole
    np.testing.assert_array_equal(ext.lonlat(mid, 2 * mid)[0], lon[mid:2 * mid])
    np.testing.assert_array_equal(ext.way_nodes, count)
    got = ext.ways.astype(object).where(ext.ways.notna(), None)
    want = ways.astype(object).where(ways.notna(), None)
    assert got.values.tolist() == want.values.tolist()
    assert list(ext.ways.columns) == FIELDS


@pytest.mark.parametrize("name", ["andorra-2021-04-14.osm.pbf", "monaco-2016-03-05.osm.pbf",
                                  "porto-2020-07-20.osm.pbf"])
def test_shared_extracts_give_the_per_reference_arrays(name: str) -> None:
    path = DATA / name
    ext = read_osm(path)
    assert len(ext.ref) > 10_000
    assert_same_roads(ext, path)


def test_tiled_bench_extract_gives_the_per_reference_arrays(tmp_path: Path) -> None:
    # ids renumbered per copy (copy k from k * 10**6): the bench's own file layout
    path = build_tiled(DATA / "monaco-2016-03-05.osm.pbf", 3, tmp_path / "tiled.osm.pbf")
    ext = read_osm(path)
    assert_same_roads(ext, path)
    assert ext.ref.min() < 2 * 10**6 < 3 * 10**6 < ext.ref.max()


# --- generated files --------------------------------------------------------------------
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
               min_size=1, max_size=8)
HIGHWAY = st.sampled_from(["primary", "track", "footway", "proposed", "rest_area",
                           "jalan raya", "jl,=%"])


@st.composite
def osm_files(draw: st.DrawFn) -> str:
    """OPL text: located nodes, then ways over them and over nodes not in the file."""
    n = draw(st.integers(1, 30))
    ids = sorted(draw(st.sets(st.integers(1, 2**40), min_size=n, max_size=n)))
    lines = []
    for i in ids:
        lon = draw(st.integers(-1_800_000_000, 1_800_000_000))
        lat = draw(st.integers(-900_000_000, 900_000_000))
        lines.append(f"n{i} v1 x{lon / 1e7:.7f} y{lat / 1e7:.7f}")
    missing = st.one_of(st.integers(-2**40, -1), st.integers(2**40 + 1, 2**41))
    way_ids = sorted(draw(st.sets(st.integers(1, 2**35), max_size=12)))
    for w in way_ids:
        refs = draw(st.lists(st.one_of(st.sampled_from(ids), missing), max_size=12))
        tags: dict[str, str] = {}
        kind = draw(st.sampled_from(["highway", "ferry", "area"]))
        if kind == "ferry":
            tags["route"] = "ferry"
        else:
            tags["highway"] = draw(HIGHWAY)
            if kind == "area":
                tags["area"] = draw(st.sampled_from(["yes", "no"]))
        for key in draw(st.lists(st.sampled_from([*rules.ROAD_TAGS, "oneway", "note"]),
                                 max_size=4, unique=True)):
            tags[key] = draw(TEXT)
        pairs = list(tags.items())
        # a key repeated with another value, anywhere (malformed, but libosmium keeps
        # both): the reference's pyosmium lookup decides which counts
        for key in draw(st.lists(st.sampled_from(list(tags)), max_size=2)):
            pairs.insert(draw(st.integers(0, len(pairs))), (key, draw(TEXT)))
        tagtext = ",".join(f"{opl_escape(k)}={opl_escape(v)}" for k, v in pairs)
        lines.append(f"w{w} v1 T{tagtext} N" + ",".join(f"n{r}" for r in refs))
    return "\n".join(lines) + "\n"




@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(osm_files())
def test_generated_files_give_the_per_reference_arrays(opl: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_opl(opl, Path(tmp) / "generated.osm.pbf")
        assert_same_roads(read_osm(path), path)


def test_tags_opl_cannot_carry_are_read_exactly(tmp_path: Path) -> None:
    # libosmium's OPL wrote U+100000.. like U+10000..; its PBF keeps the bytes as they are
    names = ["a\U00100000b", "\U0001f600 jalan", "Jl. Cendrawasih, Timika = 100%"]
    opl = "n1 v1 x136.8 y-4.5\nn2 v1 x136.9 y-4.6\n" + "".join(
        f"w{i + 1} v1 Thighway=primary,name={opl_escape(name)} Nn1,n2,n3\n"
        for i, name in enumerate(names))
    path = write_opl(opl, tmp_path / "names.osm.pbf")
    ext = read_osm(path)
    assert ext.ways["name"].tolist() == names
    assert ext.valid.tolist() == [True, True, False] * 3
    assert_same_roads(ext, path)


def test_a_road_tag_that_is_not_utf8_is_refused_naming_the_way(tmp_path: Path) -> None:
    # libosmium copies a PBF's strings as they are: the bytes are patched in after writing
    opl = "n1 v1 x136.8 y-4.5\nn2 v1 x136.9 y-4.6\nw5 v1 Thighway=primary,name=QQQQ Nn1,n2\n"
    path = write_opl(opl, tmp_path / "bytes.osm.pbf", "pbf,pbf_compression=none")
    data = path.read_bytes()
    assert data.count(b"QQQQ") == 1
    path.write_bytes(data.replace(b"QQQQ", b"Q\xffQQ"))
    with pytest.raises(InputError) as err:
        read_osm(path)
    assert "'name' jalan w5 bukan teks UTF-8" in str(err.value)
