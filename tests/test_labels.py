"""The one table of words for codes (geo.labels): the issue's examples, every code the
schema knows has words, and the maps show the same words."""

from __future__ import annotations

import math

import pytest

from geo import schema
from geo.io import history
from geo.labels import KINDS, label, labels


@pytest.mark.parametrize(("kind", "code", "words"), [
    # the examples of issue 14
    ("condition", "rusak_berat", "Rusak berat"),
    ("road_class", "desa", "Jalan desa"),
    ("provenance", "synthetic", "sintetis"),
    ("authority", "kabupaten", "Jalan kabupaten"),
    ("surface", "kerikil", "Kerikil / agregat"),
    ("class", "mandiri", "Mandiri"),
    ("status", "usulan", "usulan (belum diadopsi)"),
    ("status", "direncanakan", "direncanakan"),
    ("yesno", True, "Ya"),
    ("yesno", False, "Tidak"),
    ("route_mode", "road+water", "jalan darat + perahu"),
])
def test_label_examples(kind: str, code: object, words: str) -> None:
    assert label(kind, code) == words


def test_unknown_codes_come_back_unchanged_and_missing_is_empty() -> None:
    assert label("condition", "longsor") == "longsor"
    assert label("surface", 7) == "7"
    assert label("class", None) == "" and label("class", math.nan) == ""
    assert labels("condition", ["baik", None, "x"]) == ["Baik", "", "x"]
    with pytest.raises(ValueError, match="jenis kode tidak dikenal"):
        label("colour", "red")


@pytest.mark.parametrize(("kind", "codes"), [
    ("condition", schema.CONDITIONS), ("surface", schema.SURFACE_CLASSES),
    ("road_class", schema.AUTHORITIES), ("provenance", schema.PROVENANCES),
    ("umkm_type", schema.UMKM_TYPES), ("gateway_kind", schema.GATEWAY_KINDS),
    ("category", schema.DESTINATION_CATEGORIES), ("mode", schema.MODES),
    ("location_precision", schema.LOCATION_PRECISIONS),
    ("change", history.KINDS),
])
def test_every_schema_code_has_words(kind: str, codes: tuple[str, ...]) -> None:
    # words, not the code again: a code left untranslated would show as itself
    assert all(label(kind, c) and label(kind, c) != c for c in codes), kind
    assert set(KINDS[kind]) >= set(codes)


def test_the_maps_use_the_same_table() -> None:
    from maps import _style

    assert _style.CONDITION_LABELS is KINDS["condition"]
    assert _style.AUTHORITY_LABELS is KINDS["road_class"]
    assert _style.SURFACE_LABELS is KINDS["surface"]
    assert _style.CLASS_LABELS is KINDS["class"]
