"""Vectorised normalisation of road attributes shared by OSM ingestion, agency imports
and the network model: surface classes, PU condition and road authority.

All functions take and return pandas Series, so they run on whole layers at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geo.words import map_unique, normalise_text

# OSM surface=* and PU survey words -> the classes PU uses. Unlisted values -> unknown.
SURFACE_MAP: dict[str, str] = {
    # asphalt-like
    "asphalt": "aspal", "aspal": "aspal", "hotmix": "aspal", "lapen": "aspal",
    "paved": "aspal", "chipseal": "aspal", "metal": "aspal",
    # concrete
    "concrete": "beton", "beton": "beton", "rigid": "beton", "concrete:plates": "beton",
    "concrete:lanes": "beton", "cor": "beton",
    # block paving
    "paving_stones": "paving", "sett": "paving", "cobblestone": "paving",
    "unhewn_cobblestone": "paving", "bricks": "paving", "paving": "paving",
    "paving_block": "paving", "wood": "paving",
    # gravel / aggregate
    "gravel": "kerikil", "fine_gravel": "kerikil", "compacted": "kerikil", "pebblestone": "kerikil",
    "kerikil": "kerikil", "agregat": "kerikil", "sirtu": "kerikil", "telford": "kerikil",
    "unpaved": "kerikil", "rock": "kerikil",
    # earth
    "ground": "tanah", "dirt": "tanah", "earth": "tanah", "mud": "tanah", "sand": "tanah",
    "grass": "tanah", "tanah": "tanah", "soil": "tanah", "woodchips": "tanah",
}

# Surfaces counted as "paved" (all-season) by the PU indicators and the Rural Access Index.
PAVED_CLASSES: frozenset[str] = frozenset({"aspal", "beton", "paving"})

# OSM smoothness=* -> PU condition classes.
SMOOTHNESS_CONDITION: dict[str, str] = {
    "excellent": "baik", "good": "baik",
    "intermediate": "sedang",
    "bad": "rusak_ringan", "very_bad": "rusak_ringan",
    "horrible": "rusak_berat", "very_horrible": "rusak_berat", "impassable": "rusak_berat",
}

CONDITION_WORDS: dict[str, str] = {
    "baik": "baik", "good": "baik",
    "sedang": "sedang", "fair": "sedang", "moderate": "sedang",
    "rusak ringan": "rusak_ringan", "rusak_ringan": "rusak_ringan", "light damage": "rusak_ringan",
    "rusak berat": "rusak_berat", "rusak_berat": "rusak_berat", "heavy damage": "rusak_berat",
    "rusak": "rusak_ringan", "poor": "rusak_ringan", "bad": "rusak_berat",
}

# ASSUMPTION: OSM carries no Indonesian road status (status jalan); where an agency has not
# said otherwise we infer it from the functional class. PU data overrides it on import.
HIGHWAY_AUTHORITY: dict[str, str] = {
    "motorway": "nasional", "motorway_link": "nasional", "trunk": "nasional",
    "trunk_link": "nasional",
    "primary": "provinsi", "primary_link": "provinsi",
    "secondary": "kabupaten", "secondary_link": "kabupaten", "tertiary": "kabupaten",
    "tertiary_link": "kabupaten", "unclassified": "kabupaten", "residential": "kabupaten",
    "living_street": "desa", "service": "desa", "track": "desa", "road": "kabupaten",
    "path": "desa", "footway": "desa", "bridleway": "desa", "cycleway": "desa", "steps": "desa",
    "pedestrian": "desa",
}

AUTHORITY_WORDS: dict[str, str] = {
    "nasional": "nasional", "national": "nasional", "jalan nasional": "nasional",
    "provinsi": "provinsi", "province": "provinsi", "jalan provinsi": "provinsi",
    "kabupaten": "kabupaten", "regency": "kabupaten", "jalan kabupaten": "kabupaten",
    "kota": "kabupaten",
    "desa": "desa", "village": "desa", "jalan desa": "desa", "kampung": "desa",
    "jalan lingkungan": "desa",
}


# The one text normaliser of the project (geo.words).
_norm = normalise_text


def _classes(words: pd.Series, table: Mapping[str, str], other: str) -> pd.Series:
    """``table`` of each normalised word, ``other`` for missing and unlisted words, as
    pandas' str type. Looked up once per distinct word (:func:`geo.words.map_unique`): a
    map of every row cost ~0,4 s a column for the 864.000 roads of N = 100 tiles."""
    out = map_unique(words, lambda u: _norm(u).map(table)).fillna(other).astype(str)
    out.name = words.name
    return out


def surface_class(surface: pd.Series) -> pd.Series:
    """Map OSM or PU surface words to ``aspal/beton/paving/kerikil/tanah/unknown``."""
    return _classes(surface, SURFACE_MAP, "unknown")


def condition_from_smoothness(smoothness: pd.Series) -> pd.Series:
    return _classes(smoothness, SMOOTHNESS_CONDITION, "unknown")


def condition_class(words: pd.Series) -> pd.Series:
    """Map PU condition words (``baik``, ``rusak ringan``, ...) to classes; others -> NA."""
    return _norm(words).map(CONDITION_WORDS)


def authority_class(words: pd.Series) -> pd.Series:
    """Map PU authority words to classes; unrecognised -> NA."""
    return _norm(words).map(AUTHORITY_WORDS)


def authority_from_highway(highway: pd.Series) -> pd.Series:
    return _classes(highway, HIGHWAY_AUTHORITY, "unknown")
