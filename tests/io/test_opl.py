"""The compiled scanner of OPL node lists (geo.io._opl) against the values the lines were
written from: node ids of both signs, coordinates of every sign and precision libosmium
writes (up to 7 decimals, trailing zeros dropped), empty locations, empty lists, other
object lines between the ways, and a last line without its newline. Text it cannot read
is refused, never read as something else.

``tests/io/test_osm_road_reference.py`` checks the whole road reading against pyosmium on
real and generated files; this one checks the scanner's own cases directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.io._opl import (
    BAD_ID,
    NO_FIELDS,
    NO_LIST,
    NOT_D,
    NOT_T,
    NOT_TAGS,
    NOT_UNDERSTOOD,
    OK,
    UNDEFINED,
    node_lists,
)
from tests._depth import REPRODUCIBLE

PROPERTY = REPRODUCIBLE


def _decimal(fixed: int) -> str:
    """A 1e-7 fixed-point value as libosmium writes it: no trailing zeros, no lone dot."""
    sign = "-" if fixed < 0 else ""
    whole, frac = divmod(abs(fixed), 10_000_000)
    decimals = f"{frac:07d}".rstrip("0")
    return f"{sign}{whole}.{decimals}" if decimals else f"{sign}{whole}"


coordinate = st.integers(-1_800_000_000, 1_800_000_000)
reference = st.tuples(st.integers(-(2**63) + 1, 2**63 - 1), st.one_of(
    st.none(), st.tuples(coordinate, coordinate)))


def _scan(text: str) -> tuple[Any, ...]:
    return node_lists(np.frombuffer(text.encode(), dtype=np.uint8))


@PROPERTY
@given(st.lists(st.lists(reference, max_size=6), max_size=6), st.booleans(),
       st.booleans())
def test_the_numbers_are_those_the_lines_were_written_from(
        ways: list[list[tuple[int, Any]]], others: bool, last_newline: bool) -> None:
    lines = []
    for i, refs in enumerate(ways):
        if others:  # node lines carry x and y too, but are not ways
            lines.append(f"n{i} dV t2021-01-01T00:00:00Z Thighway=crossing x1.5 y-2")
        nodes = ",".join(f"n{node}x{_decimal(loc[0])}y{_decimal(loc[1])}" if loc
                         else f"n{node}xy" for node, loc in refs)
        lines.append(f"w{i} dV t2021-01-01T00:00:00Z Thighway=track,name=a%20%b N{nodes}")
    if others:
        lines.append("r1 dV t2021-01-01T00:00:00Z Ttype=route Mw1@")
    text = "\n".join(lines) + ("\n" if last_newline and lines else "")
    ref, x, y, count, status = _scan(text)
    assert status == OK
    flat = [r for refs in ways for r in refs]
    assert count.tolist() == [len(refs) for refs in ways]
    assert ref.tolist() == [node for node, _ in flat]
    assert x.tolist() == [loc[0] if loc else UNDEFINED for _, loc in flat]
    assert y.tolist() == [loc[1] if loc else UNDEFINED for _, loc in flat]


@pytest.mark.parametrize(("text", "status"), [
    ("w1 dV t Thighway=track\n", NO_LIST),  # no node list
    ("w1 dV t Thighway=track Nn1x1y2 Nn2x1y2\n", NO_LIST),  # two
    ("w1 dV t Thighway=track Nnx1y2\n", NOT_UNDERSTOOD),  # a reference without id
    ("w1 dV t Thighway=track Nn1x1\n", NOT_UNDERSTOOD),  # no y
    ("w1 dV t Thighway=track Nn1x1.12345678y2\n", NOT_UNDERSTOOD),  # 8 decimals
    ("w1 dV t Thighway=track Nn1x180.0000001y2\n", NOT_UNDERSTOOD),  # past 180 degrees
    ("w1 dV t Thighway=track Nn1x-y2\n", NOT_UNDERSTOOD),  # a sign alone
    ("w1 dV t Thighway=track Nn1x1e5y2\n", NOT_UNDERSTOOD),  # an exponent
    ("w1 dV t Thighway=track Nn1x1y2,\n", NOT_UNDERSTOOD),  # a comma ending the list
    ("w1 dV t Thighway=track Nn1x1y2;n2x1y2\n", NOT_UNDERSTOOD),  # another separator
    ("w1 dV t Thighway=track Nn9223372036854775808x1y2\n", NOT_UNDERSTOOD),  # past int64
])
def test_text_it_cannot_read_is_refused(text: str, status: int) -> None:
    assert _scan(text)[4] == status


def test_an_empty_list_and_an_empty_chunk() -> None:
    ref, _, _, count, status = _scan("w1 dV t Thighway=track N\nw2 dV t T N\n")
    assert status == OK and count.tolist() == [0, 0] and not len(ref)
    ref, _, _, count, status = _scan("")
    assert status == OK and not len(count) and not len(ref)


@PROPERTY
@given(st.lists(st.sampled_from(["", "n1 v1", "w2 v1 Thighway=x Nn1x1y2", "r3", "\r", " "]),
                max_size=12), st.booleans())
def test_lines_are_the_non_empty_lines_of_the_chunk(lines: list[str], last_newline: bool
                                                    ) -> None:
    """geo.io.osm._opl_lines against Python's own split: where every non-empty line
    starts, in order, with its first byte; a line runs to the next one."""
    from geo.io.osm import _opl_lines

    text = "\n".join(lines) + ("\n" if last_newline else "")
    starts, first = _opl_lines(text.encode())
    want = [line for line in text.split("\n") if line]
    ends = [*starts[1:].tolist(), len(text)][:len(starts)]
    got = [text[a:b] for a, b in zip(starts.tolist(), ends, strict=True)]
    assert [s.rstrip("\n") for s in got] == want
    assert "".join(got) == text.lstrip("\n")  # nothing lost but leading newlines
    assert bytes(first) == bytes(line.encode()[0] for line in want)


# --- the first four fields of each object line (object_heads) ---------------------------
_FIELD = st.text(st.sampled_from("abz09:-=,%TtdN"), max_size=6)
_LINE = st.tuples(
    st.sampled_from("nwr"), st.integers(-(2**63) + 1, 2**63 - 1),
    st.sampled_from(["", "2021-01-01T00:00:00Z", "2024-12-31T23:59:59Z", "2009-05-06T07:08:09Z"]),
    _FIELD, st.one_of(st.none(), _FIELD), st.integers(0, 2))


@PROPERTY
@given(st.lists(_LINE, max_size=10), st.booleans())
def test_object_heads_are_the_lines_first_four_fields(
        lines: list[tuple[str, int, str, str, str | None, int]], last_newline: bool) -> None:
    """Ids of both signs, the latest timestamp as text, and the ways' tags (a line's last
    field without its newlines), against Python's own split of each line."""
    from geo.io._opl import object_heads
    from geo.io.osm import _opl_lines

    texts = [f"{kind}{oid} dV t{ts} T{tags}" + ("" if rest is None else f" N{rest}")
             + "\n" * blank for kind, oid, ts, tags, rest, blank in lines]
    text = "\n".join(texts) + ("\n" if last_newline else "")
    starts, _ = _opl_lines(text.encode())
    status, n, ids, t0, t1, offsets, tag_bytes = object_heads(
        np.frombuffer(text.encode(), dtype=np.uint8), starts)
    assert status == OK and n == len(lines)
    fields = [line.split(" ", 4) for line in text.split("\n") if line]
    assert ids.tolist() == [int(f[0][1:]) for f in fields]
    assert text.encode()[t0:t1].decode() == max((f[2][1:] for f in fields), default="")
    tags = bytes(tag_bytes).decode()
    got = [tags[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]
    assert got == [f[3][1:] for f in fields if f[0][0] == "w"]


@pytest.mark.parametrize(("text", "status"), [
    ("w1 dV t\n", NO_FIELDS),
    ("w1 V t T\n", NOT_D),
    ("w1 dV x Ta=b\n", NOT_T),
    ("w1 dV t a=b\n", NOT_TAGS),
    ("w1 dV t \n", NOT_TAGS),
    ("w dV t T\n", BAD_ID),
    ("w1x dV t T\n", BAD_ID),
    ("w- dV t T\n", BAD_ID),
    ("w99999999999999999999 dV t T\n", BAD_ID),
])
def test_object_heads_refuse_what_libosmium_does_not_write(text: str, status: int) -> None:
    from geo.io._opl import object_heads
    from geo.io.osm import _opl_lines

    starts, _ = _opl_lines(text.encode())
    assert object_heads(np.frombuffer(text.encode(), dtype=np.uint8), starts)[0] == status
