"""The one text normaliser and the one yes/no word table of the project.

Agency spreadsheets, OSM tags, the roads layer and the readiness indicators all compare
words. They used to do so with four text normalisers and three yes/no tables that did not
agree (``"t"`` read as *tidak* by the importers but as *true* by the score). Every reader now
goes through :func:`normalise_word` / :func:`normalise_text` and :func:`parse_bool_words`.

The yes/no table
----------------
Agency files are Indonesian: forms mark ``Y``/``T`` for *ya*/*tidak*, so ``"t"`` is **no**
everywhere in this project (a ``t``/``f`` database dump is not an agency format).

=========  ================================================================================
yes        ``ya``, ``y``, ``yes``, ``true``, ``1``, ``ada``, ``benar``, ``sudah``, ``v``,
           ``x``, ``✓`` (a ticked box)
no         ``tidak``, ``tdk``, ``t``, ``no``, ``n``, ``false``, ``f``, ``0``, ``tidak ada``,
           ``belum``, ``salah``
=========  ================================================================================

OSM tags use a smaller vocabulary (https://wiki.openstreetmap.org/wiki/Key:oneway):
``yes``/``true``/``1`` and ``no``/``false``/``0``; ``vocabulary="osm"`` reads only those, so an
Indonesian word in a tag is not taken for a direction.

This module sits in the configuration layer (it imports nothing of the project), so that the
network, io, readiness and priorities stages can all use it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from typing import Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

TRUE_WORDS: Final = frozenset(
    {"ya", "y", "yes", "true", "1", "ada", "benar", "sudah", "v", "x", "✓"})
"""Words read as yes in agency files, after :func:`normalise_word`."""
FALSE_WORDS: Final = frozenset(
    {"tidak", "tdk", "t", "no", "n", "false", "f", "0", "tidak ada", "belum", "salah"})
"""Words read as no in agency files, after :func:`normalise_word`."""
OSM_TRUE_WORDS: Final = frozenset({"yes", "true", "1"})
"""Yes in OSM tags (OSM wiki): a subset of :data:`TRUE_WORDS`."""
OSM_FALSE_WORDS: Final = frozenset({"no", "false", "0"})
"""No in OSM tags (OSM wiki): a subset of :data:`FALSE_WORDS`."""

Vocabulary = Literal["agency", "osm"]
_TABLES: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "agency": (TRUE_WORDS, FALSE_WORDS),
    "osm": (OSM_TRUE_WORDS, OSM_FALSE_WORDS),
}


def normalise_word(text: str) -> str:
    """NFKC, no BOM, lower case, stripped, every run of white space as one space.

    ``" Tidak  Ada "`` -> ``"tidak ada"``; ``_`` and ``:`` are kept (OSM values such as
    ``paving_stones`` and ``concrete:plates``). The key under which words are compared.
    """
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "").lower()
    return re.sub(r"\s+", " ", text).strip()


def map_unique(s: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a string transform once per distinct value and broadcast back (NA stays NA).

    Road layers repeat a handful of values over many rows; string methods on every row
    were the slowest part of building a network. ``fn`` gets a ``string`` Series.
    """
    codes, uniques = distinct_values(s)
    mapped = fn(pd.Series(uniques[:-1], dtype="object").astype("string")).to_numpy(dtype=object)
    # broadcast in Arrow (a take of the mapped values by code): a "string" Series built
    # from one Python object per row cost ~6x more at a million rows, ~0,5 ms a call in a
    # small region, where a network build makes dozens of calls
    values = pa.array(mapped, type=pa.large_string(), from_pandas=True)
    if not len(values):
        values = pa.nulls(1, type=pa.large_string())
    taken = values.take(pa.array(np.maximum(codes, 0), mask=codes < 0))
    return pd.Series(pd.arrays.ArrowStringArray(taken), index=s.index, copy=False)


def distinct_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row the position of its value among the distinct values, and those values
    (objects, missing last: a missing value's position, -1, reads it), so that a word is
    judged once per distinct value and the verdicts taken by position.

    Values are distinct by type as well: ``True``, ``1`` and ``1.0`` are equal in Python
    (and one value to :func:`pandas.factorize`) but not the same word (``"true"``,
    ``"1"``), as a column read from JSON or a spreadsheet can mix them. An unhashable
    cell (a list from JSON) is a value of its own.
    """
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # an unhashable cell
        return _distinct_cells(values.to_numpy(dtype=object))
    if values.dtype == object and not all(isinstance(u, str) for u in uniques):
        # a number or a boolean among the values may stand for cells of other types
        return _distinct_cells(values.to_numpy(dtype=object))
    return codes, np.r_[np.asarray(uniques, dtype=object), np.array([None], dtype=object)]


def _distinct_cells(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`distinct_values` of an object array, cell by cell, keyed by type and value
    (the rare columns that mix types; text columns stay in :func:`pandas.factorize`)."""
    missing = pd.isna(cells)
    codes = np.full(len(cells), -1, dtype=np.intp)
    seen: dict[tuple[type, object], int] = {}
    uniques: list[object] = []
    for i in np.flatnonzero(~missing):
        value = cells[i]
        try:
            code = seen.setdefault((type(value), value), len(uniques))
        except TypeError:  # unhashable: its own value
            code = len(uniques)
        if code == len(uniques):
            uniques.append(value)
        codes[i] = code
    out = np.empty(len(uniques) + 1, dtype=object)
    for k, value in enumerate(uniques):  # one by one: numpy would unpack a list cell
        out[k] = value
    return codes, out


def normalise_text(s: pd.Series) -> pd.Series:
    """:func:`normalise_word` on a whole Series (on distinct values; NA stays NA)."""
    return map_unique(s, lambda u: u.map(normalise_word, na_action="ignore").astype("string"))


def bool_word(value: object, vocabulary: Vocabulary = "agency") -> bool | None:
    """One cell as yes/no by the word table of this module; None when not a yes/no word.

    Booleans stay themselves and the numbers 0 and 1 are no and yes.
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        if isinstance(value, float | np.floating) and math.isnan(value):
            return None
        return bool(value) if value in (0, 1) else None
    if isinstance(value, str):
        yes, no = _TABLES[vocabulary]
        key = normalise_word(value)
        if key in yes:
            return True
        if key in no:
            return False
        if vocabulary == "agency" and re.fullmatch(r"[01]\.0+", key):
            return key.startswith("1")  # a number stored as text by a spreadsheet
    return None


def parse_bool_words(s: pd.Series, vocabulary: Vocabulary = "agency") -> pd.Series:
    """Yes/no cells as a nullable ``boolean`` Series: NA where blank or not a yes/no word.

    Parameters
    ----------
    s
        Booleans, 0/1 numbers or words of the table in this module's docstring.
    vocabulary
        ``"agency"`` (Indonesian and English words) or ``"osm"`` (OSM tag values only).
    """
    if s.dtype == bool:
        return s.astype("boolean")
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = np.array([bool_word(u, vocabulary) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=s.index, dtype="boolean")
