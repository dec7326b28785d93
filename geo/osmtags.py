"""OSM tag rules, as data: which ways are roads, which objects are points of interest,
and how points of interest become destinations, UMKM and gateways.

Every rule the OSM ingestion applies lives in the tables of this module, so that a
reader (or an agency asking "why is this café a UMKM?") finds them in one place.

Roads
-----
A way becomes road edges when it has a ``highway`` tag whose value is not in
:data:`EXCLUDED_HIGHWAY` and it is not an area (``area=yes``). Excluded are the values
the issue names (``proposed``, ``construction``, ``abandoned``, ``razed``,
``platform``), their lifecycle synonyms (``planned``, ``disused``, ``dismantled``,
``demolished``, ``no``), and the values that are areas by definition (``rest_area``,
``services``). Every other value is kept, footways and tracks included, because in
Mimika a footpath may be the only land access to a kampung.

A way tagged ``route=ferry`` (and without a kept ``highway`` tag) becomes edges with
``mode=water``.

Direction (``oneway``) is stored as "only u -> v is allowed" (:func:`oneway_flags`):

========================================  ================================
tags                                      result
========================================  ================================
``oneway`` = yes / true / 1               True
``oneway`` = -1 / reverse                 geometry and u/v reversed, True
``junction`` = roundabout / circular      True unless ``oneway=no``
``highway`` = motorway                    True unless ``oneway=no``
anything else (incl. reversible)          False
========================================  ================================

Access per mode
---------------
The raw ``access``, ``vehicle``, ``motor_vehicle``, ``motorcar`` and ``foot`` tags are
kept on every edge; :func:`access_closed` reads them per mode as OSRM's profiles do
(``access_tags_hierarchy`` in ``car.lua`` and ``foot.lua``): the most specific tag that
is present decides, so ``access=no`` + ``motorcar=destination`` is open to cars and
``access=private`` + ``foot=yes`` is open on foot.

=====  ==============================================  ====================================
mode   tags, most specific first                       closed values
=====  ==============================================  ====================================
car    motorcar, motor_vehicle, vehicle, access        :data:`CAR_CLOSED` (OSMnx ``drive``:
                                                       access private, motor_vehicle/motorcar
                                                       no; OSRM car.lua ``access_tag_blacklist``)
foot   foot, access                                    :data:`FOOT_CLOSED` (OSRM foot.lua
                                                       ``access_tag_blacklist``)
=====  ==============================================  ====================================

``destination``, ``customers``, ``delivery`` and ``permissive`` stay open: a visitor is
the traffic they admit. Untagged ways are open, except that nobody walks a motorway
(:data:`FOOT_CLOSED_HIGHWAY`, the ``motor`` classes OSMnx's ``walk`` filter drops) unless
it says ``foot=yes``. A value listing several (``agricultural;forestry``) is closed only
when every part is. ``oneway`` binds vehicles only (OSRM foot.lua: ``oneway_handling =
'specific'``): :mod:`geo.network` walks these ways both ways.

Points of interest
------------------
An OSM object (node, way or multipolygon relation) is kept in ``pois`` when
:func:`is_poi` says so: any value other than ``no`` of ``tourism``, ``shop``,
``amenity``, ``craft``, ``leisure`` or ``historic``; ``natural`` only for the features a
visitor goes to see (:data:`NATURAL_POI`, not trees, water or scrub);
``waterway=waterfall``; ``aeroway=aerodrome``; ``place=city/town/village/hamlet``
(:data:`PLACE_POI`: the kampung view's origins when a workspace has no admin kampung
layer; only city and town are gateways). Relations of other types than multipolygon and
boundary (e.g. ``type=site``) are not read. A place mapped as a relation is located at
its ``label`` (else ``admin_centre``) member node, else at a point inside its area.

Derived layers
--------------
Each POI is tested against the ordered rules of :data:`DESTINATION_RULES`,
:data:`UMKM_RULES` and :data:`GATEWAY_RULES`; within one table the first matching rule
wins. A rule is a tuple of conditions that must all hold (``key``, allowed values, or
:data:`ANY` for "any value other than no"), the class it gives, and whether the object
must carry a ``name`` (small natural features and parks are only destinations when
named; an unnamed café is still a business). Unnamed rows get a descriptive name such
as ``tourism=viewpoint tanpa nama (unnamed)``.

ASSUMPTIONS (OSM says nothing about firm size or tourism policy):

* every shop, food-and-drink place, lodging and rental in OSM is counted as an UMKM
  (micro, small or medium enterprise), chains included, since OSM does not record size;
* building trades tagged ``craft`` (electricians, plumbers, ...) are UMKM of type
  ``lainnya``, not ``kerajinan`` (handicraft);
* ``tourism=attraction`` without a more specific tag is ``rekreasi``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from geo.words import normalise_text, parse_bool_words

ANY: Final = None
"""In a rule condition: the key must be present with any value other than ``no``."""

# --- roads ---------------------------------------------------------------------------
EXCLUDED_HIGHWAY: Final = frozenset({
    # named by the issue
    "proposed", "construction", "abandoned", "razed", "platform",
    # lifecycle synonyms of the above: not a usable way today
    "planned", "disused", "dismantled", "demolished", "no",
    # areas by definition (OSM wiki), never a line to travel along
    "rest_area", "services",
})
REVERSE: Final = frozenset({"-1", "reverse"})
ROUNDABOUT: Final = frozenset({"roundabout", "circular"})
IMPLIED_ONEWAY_HIGHWAY: Final = frozenset({"motorway"})

# Way tags copied to every edge of the way (besides highway and the direction tags).
ROAD_TAGS: Final = (
    "name", "ref", "surface", "smoothness", "tracktype", "maxspeed",
    "access", "bridge", "tunnel", "junction",
    *("vehicle", "motor_vehicle", "motorcar", "foot"),  # access per mode, see below
)

# --- access per mode ------------------------------------------------------------------
CAR_ACCESS_KEYS: Final = ("motorcar", "motor_vehicle", "vehicle", "access")
FOOT_ACCESS_KEYS: Final = ("foot", "access")
ACCESS_KEYS: Final = ("access", "vehicle", "motor_vehicle", "motorcar", "foot")
CAR_CLOSED: Final = frozenset({
    # the issue and OSMnx's drive filter
    "no", "private", "agricultural", "forestry",
    # OSRM car.lua access_tag_blacklist: vehicles other than a visitor's car
    "emergency", "psv", "bus", "military",
})
FOOT_CLOSED: Final = frozenset({"no", "private", "agricultural", "forestry", "emergency",
                                "military"})
FOOT_CLOSED_HIGHWAY: Final = frozenset({"motorway", "motorway_link"})

# --- points of interest -------------------------------------------------------------
POI_ANY_KEYS: Final = ("tourism", "shop", "amenity", "craft", "leisure", "historic")
NATURAL_POI: Final = frozenset({
    "beach", "waterfall", "cave_entrance", "hot_spring", "geyser", "peak", "volcano",
    "spring", "bay", "cliff", "arch", "cape", "reef", "glacier", "dune", "gorge",
    "rock", "stone", "valley", "hill", "isthmus", "peninsula", "sinkhole",
})
POI_VALUE_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "natural": NATURAL_POI,
    "waterway": frozenset({"waterfall"}),
    "aeroway": frozenset({"aerodrome"}),
    "place": frozenset({"city", "town", "village", "hamlet"}),
}
PLACE_POI: Final = POI_VALUE_KEYS["place"]
PLACE_LABEL_ROLES: Final = ("label", "admin_centre")
"""Member roles that locate a place relation, in order of preference (OSM wiki)."""
# Extra tags stored on pois (and carried to destinations/umkm where useful).
POI_EXTRA_TAGS: Final = (
    "waterway", "cuisine", "religion", "website", "phone", "opening_hours",
    "wheelchair", "toilets", "fee", "ele", "heritage", "wikidata",
)
# Fallbacks for extras that OSM also spells with a contact: prefix.
POI_TAG_FALLBACK: Final[Mapping[str, str]] = {
    "website": "contact:website",
    "phone": "contact:phone",
}
# All keys whose presence can make an object interesting (used as a C++ pre-filter).
POI_FILTER_KEYS: Final = (*POI_ANY_KEYS, *POI_VALUE_KEYS)


def is_poi(tags: Any) -> bool:
    """Whether an OSM object with these tags is kept as a point of interest.

    ``tags`` is a pyosmium TagList or any mapping with ``get``.
    """
    get = tags.get
    for key in POI_ANY_KEYS:
        value = get(key)
        if value is not None and value != "no":
            return True
    for key, values in POI_VALUE_KEYS.items():
        if get(key) in values:
            return True
    return False


# --- derived layers: rules ------------------------------------------------------------
Condition = tuple[str, frozenset[str] | None]


@dataclass(frozen=True)
class Rule:
    """All ``conditions`` must hold; the object then gets ``value``."""

    conditions: tuple[Condition, ...]
    value: str
    named: bool = False


def _r(value: str, *conditions: Condition, named: bool = False) -> Rule:
    return Rule(tuple(conditions), value, named)


def _v(*values: str) -> frozenset[str]:
    return frozenset(values)


FOOD_AMENITY: Final = _v(
    "restaurant", "cafe", "fast_food", "food_court", "bar", "pub", "ice_cream", "biergarten"
)
RELIGIOUS_HISTORIC: Final = _v(
    "church", "mosque", "temple", "shrine", "monastery", "cathedral", "chapel"
)

DESTINATION_RULES: Final[tuple[Rule, ...]] = (
    # a place of worship is a destination only when tagged as tourism or heritage
    _r("religi", ("amenity", _v("place_of_worship")), ("tourism", ANY)),
    _r("religi", ("amenity", _v("place_of_worship")), ("historic", ANY)),
    _r("religi", ("historic", RELIGIOUS_HISTORIC)),
    _r("pantai", ("natural", _v("beach"))),
    _r("pantai", ("leisure", _v("beach_resort"))),
    _r("sejarah", ("historic", ANY)),
    _r("budaya", ("tourism", _v("museum", "gallery", "artwork"))),
    _r("budaya", ("amenity", _v("arts_centre", "theatre")), named=True),
    _r("alam", ("natural", _v("waterfall")),),
    _r("alam", ("waterway", _v("waterfall"))),
    _r("alam", ("natural", _v("cave_entrance", "hot_spring", "geyser", "volcano"))),
    _r("alam", ("natural", NATURAL_POI - {"beach"}), named=True),
    _r("alam", ("tourism", _v("viewpoint"))),
    _r("alam", ("leisure", _v("nature_reserve", "bird_hide"))),
    _r("kuliner", ("tourism", _v("attraction")), ("amenity", FOOD_AMENITY)),
    _r("kuliner", ("amenity", _v("food_court")), named=True),
    _r("belanja", ("tourism", _v("attraction")), ("shop", ANY)),
    _r("belanja", ("amenity", _v("marketplace")), named=True),
    _r("rekreasi", ("tourism", _v("attraction", "theme_park", "zoo", "aquarium", "picnic_site"))),
    _r("rekreasi", ("leisure", _v("water_park", "marina", "resort"))),
    _r("rekreasi", ("leisure", _v("park", "garden")), named=True),
)

TRADE_CRAFT: Final = _v(
    "electrician", "plumber", "hvac", "roofer", "builder", "glaziery", "insulation", "tiler",
    "floorer", "scaffolder", "carpenter", "painter", "locksmith", "key_cutter", "window_construction",
)

UMKM_RULES: Final[tuple[Rule, ...]] = (
    _r("penginapan", ("tourism", _v(
        "hotel", "guest_house", "hostel", "motel", "apartment", "chalet", "camp_site"
    ))),
    _r("kerajinan", ("shop", _v("craft", "gift", "souvenir", "art"))),
    _r("lainnya", ("craft", TRADE_CRAFT)),
    _r("kerajinan", ("craft", ANY)),
    _r("kuliner", ("amenity", FOOD_AMENITY)),
    _r("transportasi", ("amenity", _v(
        "car_rental", "bicycle_rental", "boat_rental", "motorcycle_rental", "taxi"
    ))),
    _r("toko", ("shop", frozenset[str]())),  # any shop, see below
)
# shop values that are not a business (yet): skipped by the catch-all toko rule
NOT_A_SHOP: Final = _v("no", "vacant", "disused")

GATEWAY_RULES: Final[tuple[Rule, ...]] = (
    _r("bandara", ("aeroway", _v("aerodrome"))),
    _r("pelabuhan", ("amenity", _v("ferry_terminal"))),
    _r("terminal", ("amenity", _v("bus_station"))),
    _r("pusat_kota", ("place", _v("city", "town"))),
)


def _condition_mask(col: pd.Series, key: str, values: frozenset[str] | None) -> np.ndarray:
    """Rows meeting one condition on the tag column ``col`` (of ``key``)."""
    if values is None:
        return (col.notna() & (col != "no")).to_numpy(dtype=bool)
    if key == "shop" and not values:  # the catch-all toko rule
        return (col.notna() & ~col.isin(NOT_A_SHOP)).to_numpy(dtype=bool)
    return col.isin(values).fillna(False).to_numpy(dtype=bool)


def classify(frame: pd.DataFrame, rules: tuple[Rule, ...]) -> tuple[pd.Series, pd.Series]:
    """Apply ordered ``rules`` to a frame of tag columns (one row per OSM object).

    Returns
    -------
    value, tag
        The class of each row (NA when no rule matched) and the tag that decided it
        (the first condition of the winning rule, as ``key=value``).
    """
    value = pd.Series(pd.NA, index=frame.index, dtype="string")
    tag = pd.Series(pd.NA, index=frame.index, dtype="string")
    named = frame["name"].notna().to_numpy(dtype=bool) if "name" in frame else np.zeros(
        len(frame), dtype=bool
    )
    columns: dict[str, pd.Series | None] = {}  # each key's column as text, made once

    def column(key: str) -> pd.Series | None:
        if key not in columns:
            columns[key] = frame[key].astype("string") if key in frame.columns else None
        return columns[key]

    free = np.ones(len(frame), dtype=bool)
    for rule in rules:  # a loop over the few rules, each vectorised over all rows
        mask = free.copy()
        for key, values in rule.conditions:
            col = column(key)
            if col is None:
                mask[:] = False
                break
            mask &= _condition_mask(col, key, values)
        if rule.named:
            mask &= named
        if not mask.any():
            continue
        value[mask] = rule.value
        # the tag text of the rows this rule takes only (built for every row and every
        # rule, it was most of the classification's time: ~1 s at 216.000 POIs)
        key = rule.conditions[0][0]
        first = column(key)
        assert first is not None
        tag[mask] = (key + "=" + first[mask].fillna("")).astype(str)
        free &= ~mask
    return value, tag


def oneway_flags(oneway: pd.Series, junction: pd.Series, highway: pd.Series,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Direction of each way as (``oneway``, ``reverse``) boolean arrays.

    ``oneway`` means only travel along the (possibly reversed) geometry is allowed;
    ``reverse`` marks ``oneway=-1`` ways whose geometry and u/v must be flipped.
    """
    ow = normalise_text(oneway.astype("string"))
    rev = ow.isin(REVERSE).fillna(False).to_numpy(dtype=bool)
    explicit = parse_bool_words(oneway, "osm").fillna(False).to_numpy(dtype=bool)
    not_no = (ow != "no").fillna(True).to_numpy(dtype=bool)
    implied = (
        junction.astype("string").isin(ROUNDABOUT).fillna(False).to_numpy(dtype=bool)
        | highway.astype("string").isin(IMPLIED_ONEWAY_HIGHWAY).fillna(False).to_numpy(dtype=bool)
    )
    return explicit | rev | (implied & not_no), rev


def _closed_value(values: pd.Series, closed: frozenset[str]) -> pd.Series:
    """Whether each (distinct) decided value closes the way; ``a;b`` needs every part."""
    parts = values.str.split(";")
    return parts.map(lambda p: all(x.strip() in closed for x in p), na_action="ignore")


def access_closed(tags: pd.DataFrame, keys: tuple[str, ...], closed: frozenset[str],
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per row: closed by its access tags for one mode, and whether any tag decided.

    Parameters
    ----------
    tags
        Rows with any of ``keys`` as columns (missing columns count as untagged).
    keys
        Tag keys, most specific first (:data:`CAR_ACCESS_KEYS`, :data:`FOOT_ACCESS_KEYS`).
    closed
        Values that close the way to the mode.

    Returns
    -------
    closed, tagged
        Boolean arrays; ``tagged`` is False where none of ``keys`` carries a value.
    """
    n = len(tags)
    decided = pd.Series(pd.NA, index=tags.index, dtype="string")
    for key in reversed(keys):  # general first, so that the specific tags overwrite
        if key not in tags:
            continue
        col = normalise_text(tags[key])
        decided = col.mask(col == "", pd.NA).fillna(decided)
    tagged = decided.notna().to_numpy(dtype=bool)
    if not tagged.any():
        return np.zeros(n, dtype=bool), tagged
    codes, uniques = pd.factorize(decided, use_na_sentinel=True)
    shut = _closed_value(pd.Series(uniques, dtype="string"), closed).to_numpy(dtype=bool)
    out = np.zeros(n, dtype=bool)
    out[tagged] = shut[codes[tagged]]
    return out, tagged
