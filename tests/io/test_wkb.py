"""WKB of many lines written by Arrow (geo.io._wkb) against GEOS's own writer."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.io._wkb import linestrings_wkb

_coord = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


def _geos(xy: np.ndarray, offsets: np.ndarray) -> list[bytes]:
    """The reference: a shapely line per slice, written by GEOS."""
    return [shapely.to_wkb(shapely.linestrings(xy[a:b]))
            for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.integers(2, 9), max_size=12), lead=st.integers(0, 3),
       data=st.data())
def test_the_bytes_are_those_geos_writes(counts: list[int], lead: int,
                                         data: st.DataObject) -> None:
    # ``lead`` vertices before the first line: offsets into a larger array, as a slice
    n = lead + sum(counts)
    xy = np.array(data.draw(st.lists(st.tuples(_coord, _coord), min_size=n, max_size=n)),
                  dtype=float).reshape(n, 2)
    offsets = lead + np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    got = linestrings_wkb(xy, offsets)
    assert got.null_count == 0
    assert got.to_pylist() == _geos(xy, offsets)


def test_many_lines_at_once_and_none() -> None:
    rng = np.random.default_rng(7)
    counts = rng.integers(2, 40, 20_000)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    xy = rng.uniform(-180, 180, (int(offsets[-1]), 2))
    assert linestrings_wkb(xy, offsets).to_pylist() == _geos(xy, offsets)
    assert len(linestrings_wkb(np.empty((0, 2)), np.zeros(1, dtype=np.int64))) == 0


def test_a_line_of_one_vertex_is_refused() -> None:
    with pytest.raises(ValueError):
        linestrings_wkb(np.zeros((3, 2)), np.array([0, 1, 3]))
