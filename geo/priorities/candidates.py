"""Candidate road sections (ruas): which links an upgrade option improves, at what cost,
and the arcs whose minutes drop.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import fmt, schema
from geo.io import road_sections, ruas_id, section_keys
from geo.network import Network, NetworkConfig, Parts, edge_minutes, first_highway
from geo.priorities.config import PrioritiesConfig, check_against_speeds
from geo.roads import surface_class
from geo.words import normalise_text


def _norm(s: pd.Series) -> np.ndarray:
    """Words by the one text normaliser (:func:`geo.words.normalise_text`), None where NA."""
    out = normalise_text(s).to_numpy(dtype=object)
    out[pd.isna(out)] = None
    return out


def road_state(roads: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Surface class and PU condition class of every row (``unknown`` when not known)."""
    surf = surface_class(roads["surface"]).to_numpy(dtype=object)
    cond = _norm(roads["condition"]) if "condition" in roads else np.full(len(roads), None)
    return surf, _known(cond, schema.CONDITIONS)


def _known(values: np.ndarray, vocabulary: Collection[str]) -> np.ndarray:
    """``values`` where they are words of ``vocabulary``, else ``unknown`` (NA included);
    one hashed lookup, not a Python test per road row."""
    ok = pd.Series(values, dtype=object).isin(list(vocabulary)).to_numpy(dtype=bool)
    return np.where(ok, values, "unknown").astype(object)


def match_options(roads: pd.DataFrame, config: PrioritiesConfig, network: NetworkConfig,
                  allowed: list[str] | None, *,
                  state: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Index (in file order) of the upgrade option each row gets, -1 for none.

    A row is eligible when it is a road link, not of a class in
    ``[candidates].exclude_highway`` (footways, paths, steps: not PU road works), and its
    own authority is allowed; the first option whose lists hold its surface and condition
    and which changes one of them applies. ``state``: :func:`road_state` of ``roads``,
    when the caller has it.
    """
    n = len(roads)
    surf, cond = state if state is not None else road_state(roads)
    mode = _norm(roads["mode"]) if "mode" in roads else np.full(n, "road", dtype=object)
    eligible = (mode == "road") & ~excluded_class(roads, config)
    if allowed is not None:
        auth = _norm(roads["authority"]) if "authority" in roads else np.full(n, None)
        eligible &= np.isin(_known(auth, schema.AUTHORITIES), allowed)
    option = np.full(n, -1, dtype=np.int64)
    for j, opt in enumerate(config.upgrades.values()):  # a handful of options
        m = eligible & (option < 0) & np.isin(surf, opt.surfaces()) & np.isin(cond,
                                                                             opt.conditions())
        changes = np.zeros(n, dtype=bool)
        if opt.to_surface is not None:
            changes |= surf != opt.to_surface
        if opt.to_condition is not None:
            changes |= cond != opt.to_condition
        option[m & changes] = j
    return option


def excluded_class(roads: pd.DataFrame, config: PrioritiesConfig) -> np.ndarray:
    """Rows of a class that is not a PU road work (``[candidates].exclude_highway``)."""
    highway = first_highway(roads)
    return highway.isin(config.candidates.exclude_highway).fillna(False).to_numpy(dtype=bool)


def upgraded_rows(roads: pd.DataFrame, rows: np.ndarray, option: np.ndarray,
                  config: PrioritiesConfig) -> pd.DataFrame:
    """Copies of ``roads`` rows with their option's surface and condition written in."""
    out = roads.iloc[rows].copy()
    opts = list(config.upgrades.values())
    to_s = np.array([o.to_surface for o in opts], dtype=object)[option]
    to_c = np.array([o.to_condition for o in opts], dtype=object)[option]
    surface = out["surface"].astype(object).to_numpy()
    cond = out["condition"].astype(object).to_numpy() if "condition" in out else \
        np.full(len(out), None, dtype=object)
    out["surface"] = np.where(to_s != None, to_s, surface)  # noqa: E711 (elementwise)
    out["condition"] = np.where(to_c != None, to_c, cond)  # noqa: E711
    return out


@dataclass
class Candidates:
    """Candidate sections and the links each upgrades.

    Attributes
    ----------
    table
        One row per candidate (section attributes, cost, speeds), in label order.
    labels
        Section label of every road row (-1 for non-road rows).
    rows, row_ptr
        Candidate ``c`` upgrades ``rows[row_ptr[c]:row_ptr[c+1]]``.
    option
        Option index of each upgraded row.
    new_rows
        The upgraded rows (surface/condition written in), aligned with ``rows``.
    minutes_fwd, minutes_bwd
        Per road row: minutes with EVERY candidate upgraded.
    """

    table: pd.DataFrame
    labels: np.ndarray
    rows: np.ndarray
    row_ptr: np.ndarray
    option: np.ndarray
    new_rows: pd.DataFrame
    minutes_fwd: np.ndarray
    minutes_bwd: np.ndarray

    def __len__(self) -> int:
        return len(self.table)

    def rows_of(self, c: int) -> slice:
        return slice(int(self.row_ptr[c]), int(self.row_ptr[c + 1]))


def _majority(labels: np.ndarray, values: np.ndarray, weights: np.ndarray) -> pd.Series:
    """Per label, the value holding the largest total weight (ties: first in sort order;
    a missing value counts as ``""``).

    The (label, value) pairs are grouped by one integer key, not by a frame's two
    columns of which one holds Python objects (three times faster at 100 tiles, called
    seven times per run). pandas still sums each group, with its compensated summation,
    so two values whose weights total the same tie exactly as before.
    """
    codes, uniq = pd.factorize(pd.Series(values, dtype=object).fillna(""), sort=True)
    nv = max(len(uniq), 1)
    # labels and codes each count fewer than the rows: the key stays far inside int64
    key = np.asarray(labels, dtype=np.int64) * nv + codes
    tot = pd.Series(weights).groupby(key, sort=True).sum()
    k, total = tot.index.to_numpy(), tot.to_numpy()
    label = k // nv
    # per label the largest total, then the first value in sort order (the smaller code)
    order = np.lexsort((k, -total, label))
    first = np.ones(len(order), dtype=bool)
    first[1:] = label[order][1:] != label[order][:-1]
    best = order[first]
    return pd.Series(np.asarray(uniq, dtype=object)[k[best] % nv], index=label[best],
                     dtype=object)


def build_candidates(roads: pd.DataFrame, config: PrioritiesConfig, network: NetworkConfig,
                     authority: str, minutes: tuple[np.ndarray, np.ndarray] | None = None
                     ) -> Candidates:
    """Candidate sections under an ``--authority`` choice (see the module docstring).

    Parameters
    ----------
    roads
        The ``roads`` layer (RangeIndex, as in :class:`geo.network.Network`).
    config, network
        Upgrade options and the speed table.
    authority
        ``kabupaten`` (with desa), ``provinsi``, ``nasional`` or ``all``.
    minutes
        Current (forward, backward) minutes per row; default from ``network``.
    """
    check_against_speeds(config, network)
    allowed = config.allowed(authority)
    roads = roads.reset_index(drop=True)
    labels = road_sections(roads)
    n = len(roads)
    length = pd.to_numeric(roads["length_m"], errors="coerce").fillna(0.0).to_numpy(float)
    road = labels >= 0
    auth_all = _norm(roads["authority"]) if "authority" in roads else np.full(n, None)
    auth_all = _known(auth_all, schema.AUTHORITIES)
    state = road_state(roads)  # read by the options and by the candidate table
    option = match_options(roads, config, network, allowed, state=state)
    sec_auth = _majority(labels[road], auth_all[road], length[road])
    if allowed is not None:
        ok_sections = sec_auth.index[sec_auth.isin(allowed)].to_numpy()
        option[~np.isin(labels, ok_sections)] = -1
    # a section mostly of footways/paths/steps is a footpath, not a road PU would upgrade
    sec_walk = _majority(labels[road], excluded_class(roads, config)[road], length[road])
    option[np.isin(labels, sec_walk.index[sec_walk.astype(bool)].to_numpy())] = -1
    rows = np.flatnonzero(option >= 0)
    rows = rows[np.lexsort((rows, labels[rows]))]
    cand_labels, first = np.unique(labels[rows], return_index=True)
    row_ptr = np.append(first, len(rows)).astype(np.int64)
    new_rows = upgraded_rows(roads, rows, option[rows], config)
    fwd0, bwd0 = minutes if minutes is not None else edge_minutes(roads, network)
    fwd, bwd = fwd0.copy(), bwd0.copy()
    if len(rows):
        f_new, b_new = edge_minutes(new_rows, network)
        # an upgrade never slows a link (checked above); min() guards rounding only
        fwd[rows] = np.minimum(f_new, fwd0[rows])
        bwd[rows] = np.minimum(b_new, bwd0[rows])
    table = _candidate_table(roads, state, labels, cand_labels, rows, row_ptr, option[rows], config,
                             length, auth_all, sec_auth, fwd0, fwd)
    return Candidates(table=table, labels=labels, rows=rows, row_ptr=row_ptr,
                      option=option[rows], new_rows=new_rows.reset_index(drop=True),
                      minutes_fwd=fwd, minutes_bwd=bwd)


def _candidate_table(roads: pd.DataFrame, state: tuple[np.ndarray, np.ndarray],
                     labels: np.ndarray, cand_labels: np.ndarray,
                     rows: np.ndarray, row_ptr: np.ndarray, option: np.ndarray,
                     config: PrioritiesConfig, length: np.ndarray, auth: np.ndarray,
                     sec_auth: pd.Series, fwd0: np.ndarray, fwd1: np.ndarray) -> pd.DataFrame:
    """Section attributes of the candidates (all their links, not just the upgraded ones)."""
    k = len(cand_labels)
    in_c = np.isin(labels, cand_labels)
    sec_rows = np.flatnonzero(in_c)
    lab = labels[sec_rows]
    w = length[sec_rows]
    surf, cond = state
    # the texts of the candidates' rows only, each row's as before: the other rows
    # (nine in ten at 100 tiles) are never read
    sec = roads.iloc[sec_rows]
    none = pd.Series(pd.NA, index=sec.index, dtype=object)

    def maj(values: Any, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        s = _majority(lab, np.asarray(values, dtype=object)[rows], w)
        return s.reindex(cand_labels).to_numpy(dtype=object)

    names = sec["name"] if "name" in sec else none
    name = maj(names.astype("string").str.strip().fillna("").to_numpy(dtype=object))
    refs = sec["ref"] if "ref" in sec else none
    ref = maj(refs.astype("string").str.strip().fillna("").to_numpy(dtype=object))
    key = maj(section_keys(sec).fillna("").to_numpy(dtype=object))
    highway = maj(sec["highway"].astype("string").fillna("").to_numpy(dtype=object))
    name = np.where(name != "", name, np.where(key != "", key,
                                               [f"(tanpa nama, {h})" for h in highway]))
    prov = maj(_norm(sec["provenance"]) if "provenance" in sec else np.full(len(sec), ""))
    sec_len = pd.Series(w, index=lab).groupby(level=0).sum().reindex(cand_labels).to_numpy()
    n_links = pd.Series(1, index=lab).groupby(level=0).sum().reindex(cand_labels).to_numpy()
    way = sec["osm_way_id"] if "osm_way_id" in sec else pd.Series(np.nan, index=sec.index)
    way = pd.to_numeric(way, errors="coerce")
    ways = (pd.Series(way.to_numpy(), index=lab).dropna().astype(np.int64)
            .groupby(level=0).agg(lambda s: ",".join(map(str, sorted(set(s)))))
            .reindex(cand_labels).astype(object).fillna("").to_numpy(dtype=object))

    # upgraded links: cost, km and speeds per candidate
    opts = list(config.upgrades.values())
    unit = np.array([o.unit_cost_rp_per_km for o in opts])[option]
    km = length[rows] / 1000.0
    cand_of = np.repeat(np.arange(k), np.diff(row_ptr))
    cost = np.bincount(cand_of, weights=km * unit, minlength=k)
    up_km = np.bincount(cand_of, weights=km, minlength=k)
    finite = np.isfinite(fwd0[rows]) & np.isfinite(fwd1[rows])
    t0 = np.bincount(cand_of, weights=np.where(finite, fwd0[rows], 0.0), minlength=k)
    t1 = np.bincount(cand_of, weights=np.where(finite, fwd1[rows], 0.0), minlength=k)
    km_f = np.bincount(cand_of, weights=np.where(finite, km, 0.0), minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        v0 = np.where(t0 > 0, km_f / (t0 / 60.0), np.nan)
        v1 = np.where(t1 > 0, km_f / (t1 / 60.0), np.nan)
    per_opt = (pd.DataFrame({"c": cand_of, "o": option, "km": km})
               .groupby(["c", "o"], sort=True, as_index=False)["km"].sum())
    labels_txt = [""] * k
    for c, o, x in zip(per_opt["c"].tolist(), per_opt["o"].tolist(), per_opt["km"].tolist(),
                       strict=True):  # one entry per (candidate, option): few
        part = f"{opts[o].label} {fmt.number(x, 2)} km"  # read by people: Indonesian digits
        labels_txt[c] = f"{labels_txt[c]}; {part}" if labels_txt[c] else part
    return pd.DataFrame({
        "label": cand_labels,
        "ruas_id": ruas_id(cand_labels),
        "name": name,
        "authority": sec_auth.reindex(cand_labels).to_numpy(dtype=object),
        "length_km": sec_len / 1000.0,
        "surface": maj(surf, sec_rows),
        "condition": maj(cond, sec_rows),
        "upgrade": np.array(labels_txt, dtype=object),
        "upgrade_km": up_km,
        "cost_rp": cost,
        "speed_before_kmh": v0,
        "speed_after_kmh": v1,
        "ref": ref,
        "highway": highway,
        "n_links": n_links.astype(np.int64),
        "osm_way_ids": ways,
        "road_provenance": prov,
    })


SECTION_SLICE = 1_000
"""Sections whose geometries are built at once (:func:`section_geometry`): at 1000 tiles
building all 82.000 at once (their rows' lines, reprojected, united) was the largest
thing a ``priorities`` run held, and the union's collections copy their rows' lines."""


def section_geometry(network: Network, labels: np.ndarray,
                     wanted: np.ndarray) -> gpd.GeoSeries:
    """Merged line geometry (EPSG:4326, MultiLineString) of each wanted section label
    (rebuilt for the rows of those sections only, :data:`SECTION_SLICE` sections at a
    time)."""
    wanted = np.asarray(wanted)
    rows = Parts.of_labels(labels)  # road rows by section (-1: none)
    out = np.empty(len(wanted), dtype=object)
    for lo in range(0, len(wanted), SECTION_SLICE):
        part = wanted[lo: lo + SECTION_SLICE]
        out[lo: lo + len(part)] = _merged_lines(network, labels,
                                                rows.members(np.unique(part)), part)
    return gpd.GeoSeries(out, crs=schema.WGS84)


def _merged_lines(network: Network, labels: np.ndarray, sel: np.ndarray,
                  wanted: np.ndarray) -> np.ndarray:
    """The merged lines of the sections ``wanted`` from their road rows ``sel``.

    Each section is the union of its rows, as geopandas' ``dissolve`` makes it (a
    collection of the rows in their order, then GEOS's unary union), but for all sections
    in one vectorised call: ``dissolve`` runs a Python function per section (8.200
    sections at 100 tiles, about 1 s)."""
    geoms = network.road_geometry(sel).to_crs(schema.WGS84).to_numpy()
    label = labels[sel]
    order = np.argsort(label, kind="stable")  # each section's rows in their order
    keys, member_of = np.unique(label[order], return_inverse=True)
    # shapely.union_all is this ufunc over one collection: here one per section
    merged = shapely.line_merge(shapely.lib.unary_union(
        shapely.geometrycollections(geoms[order], indices=member_of)))
    pieces, idx = shapely.get_parts(merged, return_index=True)
    multi = shapely.multilinestrings(pieces, indices=idx)
    return np.asarray(pd.Series(multi, index=keys).reindex(wanted).to_numpy())
