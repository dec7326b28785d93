"""Travel minutes per road link: who may use it (car, foot), its speed by class, maxspeed,
surface and condition, and the minutes per direction (:func:`edge_minutes`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo import osmtags as rules
from geo import schema
from geo.exceptions import NetworkError
from geo.network.config import CONDITION_ORDER, SURFACE_ORDER, NetworkConfig
from geo.roads import surface_class
from geo.words import distinct_values, map_unique, normalise_text, parse_bool_words


def _as_bool(s: pd.Series) -> np.ndarray:
    """Yes/no cells (the one word table of :mod:`geo.words`) as bools; unknown is no."""
    return parse_bool_words(s).fillna(False).to_numpy(dtype=bool)


def parse_maxspeed(maxspeed: pd.Series) -> np.ndarray:
    """OSM ``maxspeed`` in km/h (``"50"``, ``"30 mph"``); NaN when absent or not numeric."""
    s = normalise_text(maxspeed)
    num = pd.to_numeric(s.str.extract(r"^(\d+(?:\.\d+)?)", expand=False), errors="coerce")
    mph = s.str.contains("mph", regex=False).fillna(False).to_numpy(dtype=bool)
    out = num.to_numpy(dtype=float, na_value=np.nan)
    out[mph] *= 1.609344
    out[out <= 0] = np.nan
    return out


def _lookup(keys: pd.Series, table: Mapping[str, float], default: float) -> np.ndarray:
    return keys.map(table).fillna(default).to_numpy(dtype=float)


def first_highway(roads: pd.DataFrame) -> pd.Series:
    """The first value of ``highway`` (``a;b`` -> ``a``), stripped and lower-case."""
    return map_unique(roads["highway"],
                      lambda u: u.str.split(";").str[0].str.strip().str.lower())


def walk_only_rows(roads: pd.DataFrame, config: NetworkConfig) -> np.ndarray:
    """Rows of a class that is only walked (``[road] walk_only``: footway, path, ...)."""
    return first_highway(roads).isin(config.road.walk_only).fillna(False).to_numpy(dtype=bool)


def row_modes(roads: pd.DataFrame) -> np.ndarray:
    """The ``mode`` of each row (``road`` / ``water`` / ``air``; missing: ``road``), as
    text: normalised once per distinct value, not per row (a region has three)."""
    codes, words = distinct_values(roads["mode"])
    return np.asarray(normalise_text(pd.Series(words, dtype=object)).fillna("road")
                      .to_numpy(str)[codes])


def _is_road(roads: pd.DataFrame) -> np.ndarray:
    if "mode" not in roads:
        return np.ones(len(roads), dtype=bool)
    return np.asarray(row_modes(roads) == "road")


def car_allowed(roads: pd.DataFrame) -> np.ndarray:
    """May a car use each row, by its OSM access tags (:func:`geo.osmtags.access_closed`).

    Reads ``motorcar``, ``motor_vehicle``, ``vehicle`` and ``access`` (the most specific
    present tag decides; ``no``/``private``/``agricultural``/``forestry``/... close,
    ``destination``/``customers``/``delivery`` stay open). Missing columns or values
    (old workspaces, agency rows) mean no restriction. Boat and flight rows are always
    True: they carry passengers whatever their vehicle tags. Walk-only classes are not
    judged here; :func:`edge_minutes` walks them.

    Returns
    -------
    numpy.ndarray
        bool, one per row.
    """
    closed, _ = rules.access_closed(roads, rules.CAR_ACCESS_KEYS, rules.CAR_CLOSED)
    return np.asarray(~(closed & _is_road(roads)))


def foot_allowed(roads: pd.DataFrame) -> np.ndarray:
    """May a person walk each row, by ``foot`` and ``access`` (``foot`` decides first).

    ``foot=yes/designated/permissive`` opens a way that ``access`` closes. Untagged
    motorways are closed on foot (OSMnx's walk filter). Missing columns or values mean no
    restriction; boat and flight rows are always True.

    Returns
    -------
    numpy.ndarray
        bool, one per row.
    """
    closed, tagged = rules.access_closed(roads, rules.FOOT_ACCESS_KEYS, rules.FOOT_CLOSED)
    motorway = first_highway(roads).isin(rules.FOOT_CLOSED_HIGHWAY).fillna(False).to_numpy(
        dtype=bool)
    closed |= motorway & ~tagged
    return np.asarray(~(closed & _is_road(roads)))


def speed_surface(roads: pd.DataFrame, config: NetworkConfig) -> np.ndarray:
    """Surface class each row is driven on: its own, or the assumed one where unknown.

    An unknown surface takes the class of its ``tracktype`` (tracks), else the default of
    its highway class, else ``[unknown_surface].default`` (see ``data/network.toml``).
    """
    surf = surface_class(roads["surface"]).to_numpy(dtype=object)
    unknown = surf == "unknown"
    if not unknown.any():
        return surf
    cfg = config.unknown_surface
    highway = first_highway(roads)
    guess = highway.map(cfg.highway).astype(object)
    if "tracktype" in roads:
        by_grade = normalise_text(roads["tracktype"]).map(cfg.tracktype).astype(object)
        is_track = (highway == "track").fillna(False).to_numpy(dtype=bool)
        guess = guess.where(~(is_track & by_grade.notna().to_numpy()), by_grade)
    filled = guess.fillna(cfg.default).to_numpy(dtype=object)
    return np.where(unknown, filled, surf)


def road_iri(roads: pd.DataFrame, config: NetworkConfig) -> np.ndarray:
    """Roughness (IRI, m/km) of each row from its surface and PU condition.

    Unknown surfaces take the assumed class (:func:`speed_surface`), unknown conditions
    ``[roughness].unknown_condition``.
    """
    rough = config.roughness
    surf = speed_surface(roads, config)
    cond = (normalise_text(roads["condition"]) if "condition" in roads
            else pd.Series(pd.NA, index=roads.index, dtype="string"))
    cond = cond.where(cond.isin(CONDITION_ORDER), rough.unknown_condition)
    # a (surface x condition) table read by category codes, not a text key per row
    table = np.array([[rough.iri(s, c) for c in CONDITION_ORDER] for s in SURFACE_ORDER],
                     dtype=float)
    si = pd.Categorical(surf, categories=list(SURFACE_ORDER)).codes
    ci = pd.Categorical(cond.to_numpy(dtype=object), categories=list(CONDITION_ORDER)).codes
    out = np.full(len(surf), np.nan)
    ok = (si >= 0) & (ci >= 0)
    out[ok] = table[si[ok], ci[ok]]
    return out


def road_speed_kmh(roads: pd.DataFrame, config: NetworkConfig) -> np.ndarray:
    """Speed (km/h) of each row travelled as a road link; walk-only classes at walking speed.

    ``speed = max(walking, min(highway speed x roughness factor, maxspeed))``: the highway
    speed is the class's speed on a good paved road (its road function), the factor
    ``min(1, free_iri / IRI)`` falls with the roughness of the surface in its condition
    (:func:`road_iri`). Monotone: a better surface or condition is never rougher (checked
    when the configuration loads), so it never gives a lower speed.
    """
    highway = first_highway(roads)
    speed = _lookup(highway, config.road.highway_speed_kmh, config.road.default_speed_kmh)
    speed = speed * config.roughness.factor(road_iri(roads, config))
    if config.road.use_maxspeed and "maxspeed" in roads:
        speed = np.fmin(speed, parse_maxspeed(roads["maxspeed"]))
    # nobody is slower than on foot: a road a car can hardly drive is walked
    speed = np.maximum(speed, config.walking.speed_kmh)
    speed[walk_only_rows(roads, config)] = config.walking.speed_kmh
    return np.asarray(speed)


def edge_minutes(roads: pd.DataFrame, config: NetworkConfig, *, by_function: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Travel minutes of each row, forward (``u -> v``) and backward (``inf`` when oneway).

    Road rows are driven, except where they are walked at the walking speed in both
    directions (``oneway`` binds vehicles, not people on foot): walk-only classes, and
    rows closed to cars (:func:`car_allowed`) but open on foot (:func:`foot_allowed`).
    Rows a person may not walk there (closed to both, or a walk-only class closed on
    foot) carry no traffic: ``inf`` both ways. A oneway road open to cars gets no
    walking arc against its direction: the traveller of the access model is in a
    vehicle on car roads, and a walking shortcut against a one-way system would be a
    car route the driver cannot take.

    Parameters
    ----------
    roads
        Rows with ``highway``, ``surface``, ``condition``, ``maxspeed``, ``oneway``,
        ``length_m`` and ``mode`` (road / water / air); optionally the OSM access tags
        ``access``, ``vehicle``, ``motor_vehicle``, ``motorcar``, ``foot``.
    config
        The speed table.
    by_function
        Time every row as if its surface were ``aspal`` and its condition ``baik`` (its
        road function: see :func:`geo.access.function_minutes`).

    Returns
    -------
    forward, backward
        float64 arrays of minutes, one per row.

    Raises
    ------
    NetworkError
        If a mode is unknown or a length is missing or negative (naming the rows).
    """
    ((fwd, bwd),) = edge_minutes_as(roads, config, (by_function,))
    return fwd, bwd


def edge_minutes_as(roads: pd.DataFrame, config: NetworkConfig, by_function: tuple[bool, ...]
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`edge_minutes` once per ``by_function`` flag, reading the rows once: the
    network needs its minutes as built and by road function, and a province repeats a
    few tag combinations over millions of rows."""
    mode = row_modes(roads)
    length = pd.to_numeric(roads["length_m"], errors="coerce").to_numpy(dtype=float)
    bad_mode = ~np.isin(mode, schema.MODES)
    bad_len = ~(length >= 0)
    if bad_mode.any() or bad_len.any():
        msgs = []
        if bad_mode.any():
            msgs.append(f"moda tidak dikenal {sorted(set(mode[bad_mode]))} di baris "
                        f"{np.flatnonzero(bad_mode)[:10].tolist()} (pilihan: {schema.MODES})")
        if bad_len.any():
            msgs.append(f"length_m kosong atau negatif di baris "
                        f"{np.flatnonzero(bad_len)[:10].tolist()}")
        raise NetworkError("roads: " + "; ".join(msgs))
    # a row's speed and who may use it depend on a few tags that a province repeats over
    # millions of rows: judge each distinct combination once
    kinds, which = _kinds(roads)
    per_min = 1000.0 / 60.0  # metres per minute at 1 km/h
    water = mode == "water"
    air = mode == "air"
    road = mode == "road"
    on_foot = road & (walk_only_rows(kinds, config) | ~car_allowed(kinds))[which]
    foot = foot_allowed(kinds)[which]
    walked = on_foot & foot
    oneway = _as_bool(kinds["oneway"])[which] & ~walked
    # the speed is row by row: one call over the variants' kinds stacked does the fixed
    # work of the many small pandas steps once (at Andorra's 295 kinds that work is
    # most of the time)
    if not by_function:
        return []
    variants = [kinds.assign(surface="aspal", condition="baik") if function else kinds
                for function in by_function]
    stacked = variants[0] if len(variants) == 1 else pd.concat(variants, ignore_index=True)
    speeds = road_speed_kmh(stacked, config)
    out = []
    for i in range(len(by_function)):
        fwd = length / (speeds[i * len(kinds): (i + 1) * len(kinds)][which] * per_min)
        fwd[water] = length[water] / (config.water.speed_kmh * per_min) + config.water.boarding_min
        fwd[air] = (length[air] / (config.air.speed_kmh * per_min)
                    + config.air.checkin_min + config.air.wait_min)
        fwd[walked] = length[walked] / (config.walking.speed_kmh * per_min)
        fwd[on_foot & ~foot] = np.inf
        out.append((fwd, np.where(oneway, np.inf, fwd)))
    return out


_KIND_COLUMNS = ("highway", "surface", "tracktype", "condition", "maxspeed", "oneway", "mode",
                 *rules.CAR_ACCESS_KEYS, *rules.FOOT_ACCESS_KEYS)
"""Every column :func:`road_speed_kmh`, :func:`walk_only_rows`, :func:`car_allowed`,
:func:`foot_allowed` and the ``oneway`` test read."""


def _kinds(roads: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct combinations of :data:`_KIND_COLUMNS` (missing values included) and,
    per row, the position of its combination."""
    cols = list(dict.fromkeys(c for c in _KIND_COLUMNS if c in roads.columns))
    if not cols or roads.empty:
        return roads, np.arange(len(roads))
    # one integer per row from the columns' codes (mixed radix), numbered by first
    # appearance as a groupby's ngroup numbers them: at 100 tiles 0,07 s against the
    # groupby's 0,40 s over the twelve columns
    key = np.zeros(len(roads), dtype=np.int64)
    size = 1
    for c in cols:
        code, card = _codes(roads[c])
        if size * card >= _KEY_LIMIT:  # renumber the combinations so far: one per row at most
            key, seen = pd.factorize(key)
            size = len(seen)
        key += code * size
        size *= card
    which = pd.factorize(key)[0]
    # numbered by first appearance: a row opens a kind where its number passes every
    # number before it
    first = np.flatnonzero(np.r_[True, which[1:] > np.maximum.accumulate(which)[:-1]])
    return roads[cols].iloc[first].reset_index(drop=True), which


_KEY_LIMIT = 2**62
"""Above this the mixed-radix key of :func:`_kinds` could overflow int64."""


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Per row a code of its value (0: missing) and how many codes there are."""
    code, distinct = distinct_values(values)  # the missing value last, at -1
    return code.astype(np.int64) + 1, len(distinct)
