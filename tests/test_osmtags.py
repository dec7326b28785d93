"""geo.osmtags.classify: the ordered rules deriving destinations, UMKM and gateways from
OSM tags, against a row-by-row reading of the rules as :class:`geo.osmtags.Rule` documents
them (the first rule whose conditions all hold wins; the tag that decided is the first
condition's ``key=value``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.osmtags import (
    DESTINATION_RULES,
    GATEWAY_RULES,
    NOT_A_SHOP,
    UMKM_RULES,
    Rule,
    classify,
)

TABLES = {"destinations": DESTINATION_RULES, "umkm": UMKM_RULES, "gateways": GATEWAY_RULES}
KEYS = sorted({key for rules in TABLES.values() for rule in rules for key, _ in rule.conditions})
VALUES = sorted({v for rules in TABLES.values() for rule in rules for _, vals in rule.conditions
                 if vals for v in vals} | set(NOT_A_SHOP) | {"yes", "lainnya", ""})


def _holds(row: dict[str, Any], key: str, values: frozenset[str] | None) -> bool:
    v = row.get(key)
    if v is None:
        return False
    if values is None:  # any value but "no"
        return bool(v != "no")
    if key == "shop" and not values:  # any shop that is a business
        return v not in NOT_A_SHOP
    return v in values


def _reference(rows: list[dict[str, Any]], rules: tuple[Rule, ...]
               ) -> tuple[list[str | None], list[str | None]]:
    values: list[str | None] = []
    tags: list[str | None] = []
    for row in rows:
        for rule in rules:
            if rule.named and row.get("name") is None:
                continue
            if all(_holds(row, k, vals) for k, vals in rule.conditions):
                key = rule.conditions[0][0]
                values.append(rule.value)
                tags.append(f"{key}={row[key]}")
                break
        else:
            values.append(None)
            tags.append(None)
    return values, tags


@st.composite
def tag_rows(draw: st.DrawFn) -> tuple[list[str], list[dict[str, Any]]]:
    """Rows of tags over some of the rules' keys (a key may have no column at all)."""
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, min_size=1))
    value = st.one_of(st.none(), st.sampled_from(VALUES))
    rows = draw(st.lists(st.fixed_dictionaries(
        {k: value for k in keys} | {"name": st.one_of(st.none(), st.just("Nama"))}),
        max_size=30))
    return keys, rows


@pytest.mark.parametrize("table", sorted(TABLES))
@pytest.mark.parametrize("dtype", [object, "string"])
@settings(max_examples=150, deadline=None)
@given(drawn=tag_rows())
def test_classify_takes_the_first_rule_that_holds_and_names_its_tag(
        table: str, dtype: Any, drawn: tuple[list[str], list[dict[str, Any]]]) -> None:
    keys, rows = drawn
    frame = pd.DataFrame(rows, columns=[*keys, "name"], dtype=dtype)
    frame.index = pd.RangeIndex(10, 10 + len(rows))  # not 0..n-1: aligned by label
    value, tag = classify(frame, TABLES[table])
    want_value, want_tag = _reference(rows, TABLES[table])
    assert value.index.equals(frame.index) and tag.index.equals(frame.index)
    got_value = [None if pd.isna(v) else v for v in value]
    got_tag = [None if pd.isna(t) else t for t in tag]
    assert got_value == want_value
    assert got_tag == want_tag
    assert np.array_equal(value.isna().to_numpy(), tag.isna().to_numpy())


# The POI rule of the issue, written out: any value but "no" of these keys...
_ANY = ("tourism", "shop", "amenity", "craft", "leisure", "historic")
# ...or one of these values
_NATURAL = {"beach", "waterfall", "cave_entrance", "hot_spring", "geyser", "peak", "volcano",
            "spring", "bay", "cliff", "arch", "cape", "reef", "glacier", "dune", "gorge",
            "rock", "stone", "valley", "hill", "isthmus", "peninsula", "sinkhole"}
_BY_VALUE = {"natural": _NATURAL, "waterway": {"waterfall"}, "aeroway": {"aerodrome"},
             "place": {"city", "town", "village", "hamlet"}}
_POI_TAG_VALUES = sorted({"no", "yes", "wood", "stream", "helipad", "suburb", "", "No"}
                         | set().union(*_BY_VALUE.values()))


@given(st.dictionaries(st.sampled_from([*_ANY, *_BY_VALUE, "name", "highway", "building"]),
                       st.sampled_from(_POI_TAG_VALUES), max_size=6))
def test_a_point_of_interest_is_what_the_rule_says(tags: dict[str, str]) -> None:
    """is_poi against the rule written out here: a key of the first kind with any value
    but "no", or a key of the second kind with one of its values."""
    from geo.osmtags import is_poi

    want = (any(tags.get(k) not in (None, "no") for k in _ANY)
            or any(tags.get(k) in values for k, values in _BY_VALUE.items()))
    assert is_poi(tags) == want
