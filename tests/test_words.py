"""One yes/no word table and one text normaliser, used by every reader (issue 11).

The expectations are written by hand from Indonesian form usage (``Y``/``T`` = ya/tidak) and
the OSM wiki's ``oneway`` values, not read back from :mod:`geo.words`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import osmtags, words
from geo.io import _io
from geo.network import speeds as network
from geo.readiness import _scoring
from geo.readiness import model as readiness
from geo.roads import (
    HIGHWAY_AUTHORITY,
    SMOOTHNESS_CONDITION,
    SURFACE_MAP,
    authority_from_highway,
    condition_class,
    condition_from_smoothness,
    surface_class,
)

# (cell, meaning in an agency file): hand-written
AGENCY = [
    ("Y", True), ("T", False), ("t", False), ("ya", True), ("Tidak", False), ("tdk", False),
    (" TIDAK  ADA ", False), ("ada", True), ("sudah", True), ("belum", False), ("✓", True),
    ("yes", True), ("No", False), ("TRUE", True), ("false", False), ("f", False), ("1", True),
    ("0", False), ("1.0", True), (1, True), (0.0, False), (True, True), (False, False),
    ("mungkin", None), ("2", None), (2, None), ("", None), (None, None), (float("nan"), None),
]


@pytest.mark.parametrize(("cell", "meaning"), AGENCY)
def test_every_reader_reads_a_cell_the_same(cell: object, meaning: bool | None) -> None:
    # the importer's cell parser
    assert _io.boolean(cell) is meaning
    # the vectorised reader
    got = words.parse_bool_words(pd.Series([cell], dtype=object)).iloc[0]
    assert (None if got is pd.NA else bool(got)) is meaning
    # the readiness reach flags (1/0/NaN)
    flag = readiness._bool_or_na(pd.Series([cell], dtype=object))[0]
    assert (None if np.isnan(flag) else bool(flag)) is meaning
    # a yes/no indicator of the score
    score = _scoring.categorical_score(pd.Series([cell], dtype=object),
                                       {"true": 100.0, "false": 0.0}, None)[0]
    assert (None if np.isnan(score) else bool(score == 100.0)) is meaning
    # the roads layer's oneway column (unknown = two-way)
    assert bool(network._as_bool(pd.Series([cell], dtype=object))[0]) is bool(meaning)


def test_t_is_tidak_everywhere() -> None:
    # the twin that disagreed: "t" was no for importers and yes for the score and network
    s = pd.Series(["t", "T", " t "], dtype=object)
    assert not words.parse_bool_words(s).any()
    assert not network._as_bool(s).any()
    assert (_scoring.categorical_score(s, {"true": 100.0, "false": 0.0}, None) == 0.0).all()


@pytest.mark.parametrize(("oneway", "forward_only", "reverse"), [
    ("yes", True, False), ("true", True, False), ("1", True, False), ("-1", True, True),
    ("no", False, False), ("YES ", True, False),
    # Indonesian words are not OSM values: a tag "ya"/"y"/"t" is not a direction
    ("ya", False, False), ("y", False, False), ("t", False, False), (None, False, False),
])
def test_osm_oneway_vocabulary(oneway: str | None, forward_only: bool, reverse: bool) -> None:
    s = pd.Series([oneway], dtype=object)
    ow, rev = osmtags.oneway_flags(s, pd.Series([None], dtype=object),
                                    pd.Series(["residential"], dtype=object))
    assert (bool(ow[0]), bool(rev[0])) == (forward_only, reverse)


def test_osm_vocabulary_is_part_of_the_agency_table() -> None:
    assert words.OSM_TRUE_WORDS <= words.TRUE_WORDS
    assert words.OSM_FALSE_WORDS <= words.FALSE_WORDS
    assert not words.TRUE_WORDS & words.FALSE_WORDS


def test_text_normaliser() -> None:
    s = pd.Series(["  Rusak   Ringan ", "ＡＳＰＡＬ", "\ufeffBaik", None, "paving_stones"],
                  dtype=object)
    got = words.normalise_text(s)
    assert got.iloc[:3].tolist() == ["rusak ringan", "aspal", "baik"]
    assert got.iloc[3] is pd.NA
    assert got.iloc[4] == "paving_stones"  # OSM keys keep their underscores
    assert condition_class(pd.Series(["Rusak  Ringan"])).tolist() == ["rusak_ringan"]
    assert surface_class(pd.Series(["ＡＳＰＡＬ "])).tolist() == ["aspal"]
    # headers: the same word, non-word runs as "_"
    assert _io.normalise_header(" Lintang  (Y) ", 0) == "lintang_y"
    assert _scoring.category_key(" Rusak  Ringan ") == "rusak_ringan"


@given(st.lists(st.sampled_from([w for w, _ in AGENCY if isinstance(w, str)]
                                + ["x", "V", "salah", "benar"]), max_size=30))
def test_vectorised_matches_cells(cells: list[str]) -> None:
    got = words.parse_bool_words(pd.Series(cells, dtype=object))
    want = [_io.boolean(c) for c in cells]
    assert [None if v is pd.NA else bool(v) for v in got] == want


@given(st.lists(st.one_of(st.none(), st.sampled_from(["Aspal", " aspal", "B", "b;c", "", "Ｘ"])),
                max_size=40),
       st.sampled_from(["object", "category", "string"]))
def test_map_unique_is_the_transform_of_each_cell(cells: list[str | None], dtype: str) -> None:
    """Once per distinct value, broadcast back: the same as the transform cell by cell,
    NA kept, index kept, always a ``string`` Series (a transform may also give NA)."""
    def fn(u: pd.Series) -> pd.Series:
        return u.str.split(";").str[0].str.strip().str.lower().where(u != "B")

    s = pd.Series(cells, index=np.arange(len(cells))[::-1] * 3, dtype=dtype)
    got = words.map_unique(s, fn)
    want = [None if c is None else (None if c == "B" else c.split(";")[0].strip().lower())
            for c in cells]
    assert got.dtype == "string"
    assert got.index.equals(s.index)
    assert [None if v is pd.NA else v for v in got] == want


_ROAD_WORDS = [*SURFACE_MAP, *SMOOTHNESS_CONDITION, *HIGHWAY_AUTHORITY]


@given(st.lists(st.one_of(st.none(), st.just(float("nan")),
                          st.sampled_from(_ROAD_WORDS).map(str.upper),
                          st.sampled_from(_ROAD_WORDS).map(lambda w: f"  {w} "),
                          st.sampled_from(_ROAD_WORDS), st.sampled_from(["x", "", "Ｘ"])),
                max_size=40),
       st.sampled_from(["object", "category"]))
def test_road_classes_are_the_table_of_each_normalised_word(cells: list[object],
                                                           dtype: str) -> None:
    """Worked out per distinct word, the classes equal a lookup of every cell's
    normalised word (``unknown`` for missing and unlisted words), index and name kept."""
    s = pd.Series(cells, index=np.arange(len(cells))[::-1] * 3, dtype=dtype, name="kolom")
    for fn, table in ((surface_class, SURFACE_MAP),
                      (condition_from_smoothness, SMOOTHNESS_CONDITION),
                      (authority_from_highway, HIGHWAY_AUTHORITY)):
        got = fn(s)
        want = [table.get(words.normalise_word(c), "unknown") if isinstance(c, str)
                else "unknown" for c in cells]
        assert got.tolist() == want
        assert got.index.equals(s.index) and got.name == "kolom"
        assert got.dtype == pd.Series(["a"]).astype(str).dtype


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["jalan", "Jalan ", "laut", "", None, float("nan")]),
                max_size=30), st.booleans())
def test_distinct_values_give_back_every_row_and_missing_as_none(
        cells: list[object], categorical: bool) -> None:
    s = pd.Series(cells, dtype=object)
    if categorical:
        s = s.astype("category")
    codes, values = words.distinct_values(s)
    back = values[codes]
    assert len(back) == len(cells)
    for got, cell in zip(back, cells, strict=True):
        assert got is None if pd.isna(cell) else got == cell
    assert values[-1] is None and len(set(values[:-1])) == len(values) - 1  # each value once


_MIXED = [True, 1, 1.0, "1", np.bool_(True), np.float64(1.0), np.int64(1), False, 0, "0",
          "Ya", "t", " TIDAK ", None, float("nan"), np.nan, pd.NA, -0.0, "jalan-aspal",
          "Jalan Aspal", "lain", 2.5, [1]]


def _missing(cell: object) -> bool:
    return not isinstance(cell, list) and bool(pd.isna(cell))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(len(_MIXED))), max_size=40))
def test_distinct_values_keep_types_apart(picks: list[int]) -> None:
    """Two cells share a value exactly when they are of one type and equal (True, 1,
    1.0 and np.int64(1) do not); missing cells read None; an unhashable cell is a value
    of its own; each row reads back its own cell."""
    cells = [_MIXED[i] for i in picks]
    codes, values = words.distinct_values(pd.Series(cells, dtype=object))
    assert values[-1] is None
    for i, a in enumerate(cells):
        if _missing(a):
            assert codes[i] == -1
            continue
        assert type(values[codes[i]]) is type(a) and values[codes[i]] == a
        for j, b in enumerate(cells):
            if _missing(b):
                continue
            same = i == j or (not isinstance(a, list) and type(a) is type(b) and a == b)
            assert (codes[i] == codes[j]) == same, (a, b)
    assert len(values) - 1 == len(set(codes[codes >= 0]))  # no value without a row


def test_map_unique_keeps_a_boolean_apart_from_a_number() -> None:
    s = pd.Series([1, True, 1.0, "1", None], dtype=object)
    assert words.map_unique(s, lambda u: u).tolist()[:4] == ["1", "True", "1.0", "1"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(len(_MIXED))), max_size=40),
       st.sampled_from([{"true": 100.0, "false": 0.0},
                        {"1": 10.0, "true": 20.0, "jalan_aspal": 30.0, "0": 40.0}]),
       st.sampled_from([None, 5.0]))
def test_a_category_column_scores_each_cell_as_alone(picks: list[int],
                                                     mapping: dict[str, float],
                                                     other: float | None) -> None:
    """Judged once per distinct cell, a column scores every cell as a column of that
    cell alone would: True, 1, 1.0 and "1" stay apart (equal in Python, not as words),
    missing values stay unknown and an unhashable cell is judged by itself."""
    cells = [_MIXED[i] for i in picks]
    got = _scoring.categorical_score(pd.Series(cells, dtype=object), mapping, other)
    want = [_scoring.categorical_score(pd.Series([c], dtype=object), mapping, other)[0]
            for c in cells]
    np.testing.assert_array_equal(got, np.array(want, dtype=float))
