"""Road-works priorities for Dinas PUPR: exact, costed, budgeted (``siapwisata priorities``).

Which road upgrades buy the most tourism readiness per Rupiah? The rules live in
``data/priorities.toml`` (see its header); in short:

- *Candidates* are road sections (ruas, :func:`geo.io._sections.road_sections`) under the
  chosen authority whose links an upgrade option can improve (tanah -> kerikil,
  kerikil -> aspal, rehabilitasi, rekonstruksi ...). Per link the first matching option
  applies; the section's cost is the sum of length x unit cost over its upgraded links.
  The new speed of a link comes from the same speed table (``data/network.toml``,
  :func:`geo.network.edge_minutes`) as every other travel time.
- *Benefit* (``minutes_saved``) is the drop of the weighted total travel minutes over the
  OD pairs: every gateway -> every destination (weight x destination ``importance``) and
  every kampung (OSM populated place) -> its nearest destination. It is exact: the same
  number as re-running every route with the section upgraded, computed by the pruned
  incremental engine of :mod:`geo._priorities` (proof in its docstring).
- ``benefit_cost`` is minutes saved per Rp 1 billion (menit per Rp 1 miliar).
- ``score_gain`` is the sum over destinations of the change in readiness score with the
  upgrade: the same number as re-running :func:`geo.access.compute_access_frames` on the
  upgraded roads and scoring again. Every score input the accessibility engine writes is
  recomputed where the upgrade can move it: the time and route from the nearest gateway
  (access time, paved / good-condition shares: the PU indicators), the UMKM within 15/30
  minutes (count, per type, types), the nearest lodging / health / fuel, and the transport
  options (``reach_water`` / ``reach_air``; ``reach_road`` cannot change). Only the
  destinations an upgraded arc is close enough to are recounted (bounds and proof in
  ``_Scorer``). The UMKM types and facility kinds come with the accessibility result
  (``AccessResult.umkm_type`` / ``facility_label``), so every caller gets the full re-score.
- ``rank`` has one meaning: the order by ``benefit_cost`` of each section by itself
  (``minutes_saved_alone`` per Rp 1 billion), ties by ``score_gain_alone`` then ``ruas_id``.
- *Budget mode*: the best benefit/cost section that still fits is picked, applied, and
  every remaining section is re-evaluated (upgrades interact), until nothing with a real
  benefit (minutes saved on some trip) fits: a section with zero benefit is never picked.
  ``pick_order`` numbers the picks (empty for the rest); ``minutes_saved`` /
  ``score_gain`` are marginal (a pick at its turn, the rest after every pick) next to
  ``minutes_saved_alone`` / ``score_gain_alone``, so a row read on its own does not
  mislead. ``cumulative_*`` run along the picks (exact marginal sums: the readiness-gain
  curve). Without a budget every value is the section alone, nothing is ``selected``
  and ``cumulative_*`` run down the ranking.
- ``destinations`` names the destinations each section by itself reaches faster.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pydantic import Field, field_validator, model_validator

from geo import schema
from geo._config import (
    ConfigMeta,
    ConfigText,
    Importance,
    OdWeight,
    StrictModel,
    UnitCost,
    config_text,
    configured_path,
    model_from_text,
)
from geo._priorities import BenefitEngine, Evaluation, ODPairs
from geo._progress import SILENT, Reporter
from geo.access import ROUTE_COLUMNS, UMKM_MINUTES, AccessResult, route_attributes
from geo.exceptions import ConfigError, InputError, Problem, SiapError, WorkspaceError
from geo.io import check_out_path, road_sections, section_keys
from geo.io.workspace import Source, Workspace, writes_workspace
from geo.network import (
    MEMORY_BUDGET,
    AccessGraph,
    NetworkConfig,
    edge_minutes,
    iter_chunks,
    nearest_of_set,
)
from geo.roads import surface_class
from geo.words import normalise_text

if TYPE_CHECKING:
    from geo._works import Works
    from geo.readiness import ReadinessConfig

AUTHORITY_CHOICES: Final = ("kabupaten", "provinsi", "nasional", "all")
OUT_SUFFIXES: Final = (".csv", ".xlsx", ".gpkg")
LAYER: Final = "priorities"
BILLION: Final = 1e9
ASSUMPTION_NOTE: Final = (
    "Biaya satuan (Rp/km), bobot dan kecepatan adalah ASUMSI, bukan angka resmi PUPR "
    "(unit costs, weights and speeds are assumptions): lihat priorities.toml dan network.toml"
)

COLUMNS: Final = (
    "rank", "ruas_id", "name", "authority", "length_km", "surface", "condition", "upgrade",
    "upgrade_km", "cost_rp", "minutes_saved", "minutes_saved_alone", "minutes_saved_gateway",
    "minutes_saved_kampung", "destinations_served", "kampung_served", "destinations",
    "score_gain", "score_gain_alone", "benefit_cost", "selected", "pick_order",
    "cumulative_cost_rp", "cumulative_minutes_saved", "cumulative_score_gain",
    "speed_before_kmh", "speed_after_kmh", "ref", "highway", "n_links", "osm_way_ids",
    "provenance", "assumptions",
)
"""Columns of the ``priorities`` layer and files, in order (issue 4 columns first)."""

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_UPGRADE_SURFACES: Final = tuple(s for s in schema.SURFACE_CLASSES if s != "unknown")
_UPGRADE_CONDITIONS: Final = tuple(c for c in schema.CONDITIONS if c != "unknown")


# --- configuration ---------------------------------------------------------------------


class UpgradeOption(StrictModel):
    """One upgrade option: which links it applies to, what they become, what it costs."""

    label: str = Field(min_length=1)
    surface: list[str] | None = None
    condition: list[str] | None = None
    to_surface: str | None = None
    to_condition: str | None = None
    unit_cost_rp_per_km: UnitCost
    assumption: bool
    source: str = ""

    @field_validator("surface")
    @classmethod
    def _surfaces(cls, v: list[str] | None) -> list[str] | None:
        bad = [s for s in v or [] if s not in schema.SURFACE_CLASSES]
        if bad:
            raise ValueError(f"unknown surface class {bad} (allowed: {list(schema.SURFACE_CLASSES)})")
        return v

    @field_validator("condition")
    @classmethod
    def _conditions(cls, v: list[str] | None) -> list[str] | None:
        bad = [c for c in v or [] if c not in schema.CONDITIONS]
        if bad:
            raise ValueError(f"unknown condition {bad} (allowed: {list(schema.CONDITIONS)})")
        return v

    @field_validator("to_surface")
    @classmethod
    def _to_surface(cls, v: str | None) -> str | None:
        if v is not None and v not in _UPGRADE_SURFACES:
            raise ValueError(f"must be one of {list(_UPGRADE_SURFACES)}")
        return v

    @field_validator("to_condition")
    @classmethod
    def _to_condition(cls, v: str | None) -> str | None:
        if v is not None and v not in _UPGRADE_CONDITIONS:
            raise ValueError(f"must be one of {list(_UPGRADE_CONDITIONS)}")
        return v

    @field_validator("unit_cost_rp_per_km")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number of Rupiah per km")
        return v

    @model_validator(mode="after")
    def _does_something(self) -> UpgradeOption:
        if self.to_surface is None and self.to_condition is None:
            raise ValueError("needs 'to_surface' and/or 'to_condition'")
        return self

    def surfaces(self) -> list[str]:
        return list(self.surface) if self.surface is not None else list(schema.SURFACE_CLASSES)

    def conditions(self) -> list[str]:
        return list(self.condition) if self.condition is not None else list(schema.CONDITIONS)


class WeightsConfig(StrictModel):
    assumption: bool
    source: str = ""
    gateway_destination: OdWeight
    kampung: OdWeight
    importance_column: str = "importance"
    default_importance: Importance = 1.0


class CandidatesConfig(StrictModel):
    """Which road classes are not works of Dinas PUPR (never upgraded)."""

    exclude_highway: list[str] = Field(default_factory=lambda: [
        "footway", "path", "pedestrian", "steps", "bridleway", "cycleway", "corridor",
        "via_ferrata"])


class PrioritiesConfig(StrictModel):
    """The validated ``data/priorities.toml``."""

    meta: ConfigMeta = ConfigMeta()
    weights: WeightsConfig
    candidates: CandidatesConfig = CandidatesConfig()
    authority_filter: dict[str, list[str]]
    upgrades: dict[str, UpgradeOption] = Field(min_length=1)

    @field_validator("authority_filter")
    @classmethod
    def _filters(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        need = [a for a in AUTHORITY_CHOICES if a != "all"]
        missing = [a for a in need if a not in v]
        extra = [a for a in v if a not in need]
        bad = sorted({x for xs in v.values() for x in xs if x not in schema.AUTHORITIES})
        msgs = []
        if missing:
            msgs.append(f"missing filter(s) {missing}")
        if extra:
            msgs.append(f"unknown filter(s) {extra} (allowed: {need}; 'all' takes every road)")
        if bad:
            msgs.append(f"unknown authority {bad} (allowed: {list(schema.AUTHORITIES)})")
        if msgs:
            raise ValueError("; ".join(msgs))
        return v

    @field_validator("upgrades")
    @classmethod
    def _ids(cls, v: dict[str, UpgradeOption]) -> dict[str, UpgradeOption]:
        bad = [k for k in v if not _ID.match(k)]
        if bad:
            raise ValueError(f"upgrade ids must be lower-case identifiers: {bad}")
        return v

    def allowed(self, authority: str) -> list[str] | None:
        """Road authorities an ``--authority`` choice covers (None = every road)."""
        if authority not in AUTHORITY_CHOICES:
            raise SiapError(f"--authority '{authority}' tidak dikenal (unknown); "
                            f"pilih (choose) {', '.join(AUTHORITY_CHOICES)}")
        return None if authority == "all" else list(self.authority_filter[authority])

    def option(self, key: str) -> str | None:
        """The option id named by an id or a label (case-insensitive), or None."""
        k = key.strip().lower()
        for oid, opt in self.upgrades.items():
            if k in (oid, opt.label.strip().lower()):
                return oid
        return None


def read_priorities_config(path: str | os.PathLike[str] | None = None
                           ) -> tuple[PrioritiesConfig, ConfigText]:
    """Read and validate a priorities TOML (default: the settings' ``priorities_config``),
    with the text the steps record in the workspace.

    Raises
    ------
    ConfigError
        Naming the file and every offending key.
    """
    text = config_text(path, "priorities.toml")
    return model_from_text(text, PrioritiesConfig), text


def workspace_priorities_config(ws: Workspace) -> tuple[PrioritiesConfig, ConfigText]:
    """The priorities configuration the ``priorities`` layer was computed with, as the
    workspace recorded it, else the settings' file; a file named explicitly in the
    environment (``SIAPWISATA_PRIORITIES_CONFIG``) wins."""
    explicit = configured_path("priorities_config")
    text = None if explicit is not None else ws.stored_config("priorities", LAYER)
    if text is None:
        return read_priorities_config(explicit)
    return model_from_text(text, PrioritiesConfig), text


def read_stored_priorities_configs(ws: Workspace
                                   ) -> tuple[PrioritiesConfig, NetworkConfig,
                                              dict[str, ConfigText]] | None:
    """The priorities and network configurations the stored ``priorities`` layer was
    computed with, and every text recorded with it; None when none was recorded."""
    texts = ws.stored_configs(LAYER)
    if "priorities" not in texts or "network" not in texts:
        return None
    return (model_from_text(texts["priorities"], PrioritiesConfig),
            model_from_text(texts["network"], NetworkConfig), texts)


def load_priorities_config(path: str | os.PathLike[str] | None = None) -> PrioritiesConfig:
    """Load and validate the priorities configuration (default as
    :func:`read_priorities_config`).

    Raises
    ------
    ConfigError
        Naming the file and every offending key.
    """
    return read_priorities_config(path)[0]


def check_against_speeds(config: PrioritiesConfig, network: NetworkConfig) -> None:
    """Every option must keep or lower the roughness (so the speed) of the links it fits.

    The exact benefits rest on upgrades never making an arc slower. An unknown surface
    may stand for any class ``[unknown_surface]`` assumes; an unknown condition counts as
    ``[roughness].unknown_condition``, as in :func:`geo.network.road_speed_kmh`.

    Raises
    ------
    ConfigError
        Naming ``upgrades.<id>.to_surface`` / ``to_condition``.
    """
    problems = []
    rough = network.roughness
    for oid, opt in config.upgrades.items():
        worse = []
        for s in opt.surfaces():
            for s0 in (network.unknown_surface.classes() if s == "unknown" else [s]):
                s1 = opt.to_surface or s0
                for c in opt.conditions():
                    c1 = opt.to_condition or c
                    if rough.iri(s1, c1) > rough.iri(s0, c):
                        worse.append(f"{s0}/{c} ({rough.iri(s0, c):g}) -> {s1}/{c1} "
                                     f"({rough.iri(s1, c1):g})")
        if worse:
            key = "to_surface" if opt.to_surface is not None else "to_condition"
            problems.append(f"  - key 'upgrades.{oid}.{key}': IRI naik (rougher, so slower): "
                            + "; ".join(worse[:5]))
    if problems:
        raise ConfigError("priorities: peningkatan yang memperlambat jalan (an upgrade would "
                          "make roads slower):\n" + "\n".join(problems))


# --- candidates ------------------------------------------------------------------------


def _norm(s: pd.Series) -> np.ndarray:
    """Words by the one text normaliser (:func:`geo.words.normalise_text`), None where NA."""
    out = normalise_text(s).to_numpy(dtype=object)
    out[pd.isna(out)] = None
    return out


def road_state(roads: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Surface class and PU condition class of every row (``unknown`` when not known)."""
    surf = surface_class(roads["surface"]).to_numpy(dtype=object)
    cond = _norm(roads["condition"]) if "condition" in roads else np.full(len(roads), None)
    cond = np.array([c if c in schema.CONDITIONS else "unknown" for c in cond], dtype=object)
    return surf, cond


def match_options(roads: pd.DataFrame, config: PrioritiesConfig, network: NetworkConfig,
                  allowed: list[str] | None) -> np.ndarray:
    """Index (in file order) of the upgrade option each row gets, -1 for none.

    A row is eligible when it is a road link, not of a class in
    ``[candidates].exclude_highway`` (footways, paths, steps: not PU road works), and its
    own authority is allowed; the first option whose lists hold its surface and condition
    and which changes one of them applies.
    """
    n = len(roads)
    surf, cond = road_state(roads)
    mode = _norm(roads["mode"]) if "mode" in roads else np.full(n, "road", dtype=object)
    eligible = (mode == "road") & ~excluded_class(roads, config)
    if allowed is not None:
        auth = _norm(roads["authority"]) if "authority" in roads else np.full(n, None)
        auth = np.array([a if a in schema.AUTHORITIES else "unknown" for a in auth], dtype=object)
        eligible &= np.isin(auth, allowed)
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
    highway = roads["highway"].astype("string").str.split(";").str[0].str.strip().str.lower()
    return highway.isin(config.candidates.exclude_highway).fillna(False).to_numpy(dtype=bool)


def upgraded_rows(roads: pd.DataFrame, rows: np.ndarray, option: np.ndarray,
                  config: PrioritiesConfig) -> pd.DataFrame:
    """Copies of ``roads`` rows with their option's surface and condition written in."""
    out = roads.iloc[rows].copy()
    opts = list(config.upgrades.values())
    to_s = np.array([opts[j].to_surface for j in option], dtype=object)
    to_c = np.array([opts[j].to_condition for j in option], dtype=object)
    surface = out["surface"].astype(object).to_numpy()
    cond = out["condition"].astype(object).to_numpy() if "condition" in out else \
        np.full(len(out), None, dtype=object)
    out["surface"] = np.where(to_s != None, to_s, surface)  # noqa: E711 (elementwise)
    out["condition"] = np.where(to_c != None, to_c, cond)  # noqa: E711
    return out


def ruas_id(label: np.ndarray) -> np.ndarray:
    """Stable text id of a section label (``R00042``)."""
    return np.array([f"R{int(x) + 1:05d}" for x in label], dtype=object)


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
    """Per label, the value holding the largest total weight (ties: first in sort order)."""
    df = pd.DataFrame({"l": labels, "v": pd.Series(values, dtype=object).fillna(""),
                       "w": weights})
    tot = df.groupby(["l", "v"], sort=True)["w"].sum()
    best = tot.groupby(level=0).idxmax()
    return pd.Series([b[1] for b in best], index=best.index, dtype=object)


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
    auth_all = np.array([a if a in schema.AUTHORITIES else "unknown" for a in auth_all],
                        dtype=object)
    option = match_options(roads, config, network, allowed)
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
    table = _candidate_table(roads, labels, cand_labels, rows, row_ptr, option[rows], config,
                             length, auth_all, sec_auth, fwd0, fwd)
    return Candidates(table=table, labels=labels, rows=rows, row_ptr=row_ptr,
                      option=option[rows], new_rows=new_rows.reset_index(drop=True),
                      minutes_fwd=fwd, minutes_bwd=bwd)


def _candidate_table(roads: pd.DataFrame, labels: np.ndarray, cand_labels: np.ndarray,
                     rows: np.ndarray, row_ptr: np.ndarray, option: np.ndarray,
                     config: PrioritiesConfig, length: np.ndarray, auth: np.ndarray,
                     sec_auth: pd.Series, fwd0: np.ndarray, fwd1: np.ndarray) -> pd.DataFrame:
    """Section attributes of the candidates (all their links, not just the upgraded ones)."""
    k = len(cand_labels)
    in_c = np.isin(labels, cand_labels)
    sec_rows = np.flatnonzero(in_c)
    lab = labels[sec_rows]
    w = length[sec_rows]
    surf, cond = road_state(roads)

    def maj(values: Any) -> np.ndarray:
        s = _majority(lab, np.asarray(values, dtype=object)[sec_rows], w)
        return s.reindex(cand_labels).to_numpy(dtype=object)

    names = roads["name"] if "name" in roads else pd.Series(pd.NA, index=roads.index)
    name = maj(names.astype("string").str.strip().fillna("").to_numpy(dtype=object))
    refs = roads["ref"] if "ref" in roads else pd.Series(pd.NA, index=roads.index)
    ref = maj(refs.astype("string").str.strip().fillna("").to_numpy(dtype=object))
    key = maj(section_keys(roads).fillna("").to_numpy(dtype=object))
    highway = maj(roads["highway"].astype("string").fillna("").to_numpy(dtype=object))
    name = np.where(name != "", name, np.where(key != "", key,
                                               [f"(tanpa nama, {h})" for h in highway]))
    prov = maj(_norm(roads["provenance"]) if "provenance" in roads else np.full(len(roads), ""))
    sec_len = pd.Series(w, index=lab).groupby(level=0).sum().reindex(cand_labels).to_numpy()
    n_links = pd.Series(1, index=lab).groupby(level=0).sum().reindex(cand_labels).to_numpy()
    way = roads["osm_way_id"] if "osm_way_id" in roads else pd.Series(np.nan, index=roads.index)
    way = pd.to_numeric(way, errors="coerce")
    ways = (pd.Series(way.to_numpy()[sec_rows], index=lab).dropna().astype(np.int64)
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
        part = f"{opts[o].label} {x:.2f} km"
        labels_txt[c] = f"{labels_txt[c]}; {part}" if labels_txt[c] else part
    return pd.DataFrame({
        "label": cand_labels,
        "ruas_id": ruas_id(cand_labels),
        "name": name,
        "authority": sec_auth.reindex(cand_labels).to_numpy(dtype=object),
        "length_km": sec_len / 1000.0,
        "surface": maj(surf),
        "condition": maj(cond),
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


def section_geometry(roads: gpd.GeoDataFrame, labels: np.ndarray,
                     wanted: np.ndarray) -> gpd.GeoSeries:
    """Merged line geometry (EPSG:4326, MultiLineString) of each wanted section label."""
    sel = np.flatnonzero(np.isin(labels, wanted))
    geoms = gpd.GeoSeries(roads.geometry.to_numpy()[sel], crs=roads.crs).to_crs(schema.WGS84)
    parts = gpd.GeoDataFrame({"label": labels[sel]}, geometry=geoms.to_numpy(),
                             crs=schema.WGS84).dissolve(by="label")
    merged = shapely.line_merge(parts.geometry.to_numpy())
    pieces, idx = shapely.get_parts(merged, return_index=True)
    multi = shapely.multilinestrings(pieces, indices=idx)
    out = pd.Series(multi, index=parts.index).reindex(wanted)
    return gpd.GeoSeries(out.to_numpy(), crs=schema.WGS84)


# --- OD pairs and scores ---------------------------------------------------------------


def importance(destinations: pd.DataFrame, config: PrioritiesConfig) -> np.ndarray:
    """Weight of every destination (``importance`` column, default where empty).

    Raises
    ------
    InputError
        A negative or non-numeric importance, naming the row and field.
    """
    col = config.weights.importance_column
    n = len(destinations)
    if col not in destinations:
        return np.full(n, config.weights.default_importance)
    raw = destinations[col]
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    blank = raw.isna().to_numpy() | raw.astype("string").str.strip().eq("").fillna(True).to_numpy()
    bad = (~blank & ~np.isfinite(num)) | (np.isfinite(num) & (num < 0))
    if bad.any():
        raise InputError([Problem("layer destinations", f"importance harus angka >= 0 (must be "
                                  f"a number >= 0), got {raw.iloc[i]!r}", line=int(i) + 2,
                                  field=col) for i in np.flatnonzero(bad)])
    return np.where(blank | ~np.isfinite(num), config.weights.default_importance, num)


def od_pairs(graph: AccessGraph, weights: np.ndarray, config: PrioritiesConfig) -> ODPairs:
    """Gateways -> destinations and kampung -> nearest destination (connected features)."""
    g = graph.nodes("gateways")
    k = graph.nodes("kampung") if "kampung" in graph.features else np.empty(0, np.int64)
    d = graph.nodes("destinations")
    g, k = g[g >= 0], k[k >= 0]
    return ODPairs(
        sources=np.concatenate([g, k]).astype(np.int64),
        gateway=np.r_[np.ones(len(g), bool), np.zeros(len(k), bool)],
        source_weight=np.r_[np.ones(len(g)), np.full(len(k), config.weights.kampung)],
        targets=d[d >= 0].astype(np.int64),
        target_weight=np.asarray(weights, dtype=float)[d >= 0] * config.weights.gateway_destination,
    )


def default_score_inputs(destinations: pd.DataFrame, access: AccessResult) -> pd.DataFrame:
    """Destination attributes joined with the access table (what ``score`` rates)."""
    attrs = pd.DataFrame(destinations.drop(columns=destinations.geometry.name)
                         if isinstance(destinations, gpd.GeoDataFrame) else destinations)
    acc = access.destinations.copy()
    acc.index = acc.index.astype(object)
    acc.index.name = "id"
    keep = [c for c in attrs.columns if c == "id" or c not in acc.columns]
    return attrs[keep].join(acc, on="id", how="left").reset_index(drop=True)


class _Scorer:
    """Readiness scores of destinations re-scored as :func:`compute_access_frames` would.

    For the current state it holds every score input the accessibility engine writes:
    nearest-gateway time and route km per bucket (``ROUTE_COLUMNS``), UMKM counts within
    15/30 minutes, nearest lodging/health/fuel minutes and the transport options, the
    score of each destination, ``W`` (destination x road row: km share of the row on the
    destination's access route) and ``M`` (destination x candidate: the least ``d(t, x) +
    c_U(x, y)`` over the candidate's cheaper arcs ``(x, y)``, distances from destination
    ``t`` at the current costs, known up to the largest distance that matters).

    A candidate is re-scored

    - when it speeds up some destination's nearest-gateway time: by a new Dijkstra on the
      upgraded costs for ``access_minutes``;
    - route km: the access routes are fastest by road function
      (:func:`geo.access.function_minutes`), which no upgrade changes, so they are found
      once and the route km of a candidate are km + W[:, rows] @ (new - old row
      attributes);
    - UMKM counts and nearest facilities, for the destinations the candidate can reach:
      a distance from ``t`` drops only along a path whose first cheaper arc ``(x, y)`` is
      reached at the current costs, so it is at least ``M[t, c]``. Counts within 30 (15)
      minutes can change only if ``M[t, c] <= 30``; the nearest facility of a kind only if
      ``M[t, c]`` is below its current time. Counts are redone by Dijkstra runs from
      those destinations limited to 30 minutes on the upgraded graph (exact within the
      limit, and every count lies within it); nearest facilities by one backward
      multi-source run per facility kind on the upgraded graph (exact everywhere), written
      where the bound allows a change. All others keep their values exactly;
    - transport options: ``reach_road`` cannot change (an upgrade lowers finite costs and
      makes nothing reachable that was not); ``reach_water`` / ``reach_air`` are judged on
      road-function times (:func:`geo.access.transport_options`), which no upgrade
      changes either.

    The changed destinations of all candidates are scored in one call of
    :func:`geo.readiness.overall_scores`, together with the current table (its rules look
    at whole columns).
    """

    def __init__(self, access: AccessResult, inputs: pd.DataFrame, readiness: ReadinessConfig,
                 arc_cost: np.ndarray, cands: Candidates, cand_ptr: np.ndarray,
                 cand_arc: np.ndarray, cand_cost: np.ndarray) -> None:
        self.readiness = readiness
        self.config = access.config
        self.graph = access.graph
        self.g_nodes = self.graph.nodes("gateways")
        self.d_nodes = self.graph.nodes("destinations")
        self.cands = cands
        self.cand_ptr = np.asarray(cand_ptr, dtype=np.int64)
        self.cand_arc = np.asarray(cand_arc, dtype=np.int64)
        self.cand_cost = np.asarray(cand_cost, dtype=float)
        self.arc_owner = np.repeat(np.arange(len(self.cand_ptr) - 1), np.diff(self.cand_ptr))
        roads = self.graph.network.roads
        self.length_m = roads["length_m"].to_numpy(dtype=float)
        self.surface = np.array(roads["surface"].astype(object), dtype=object)
        self.condition = (np.array(roads["condition"].astype(object), dtype=object)
                          if "condition" in roads else np.full(len(roads), None, object))
        s_all, c_all = self.surface.copy(), self.condition.copy()
        s_all[cands.rows] = cands.new_rows["surface"].to_numpy(dtype=object)
        c_all[cands.rows] = cands.new_rows["condition"].to_numpy(dtype=object)
        self.A_new = self._attributes(s_all, c_all)
        # UMKM of each type and facilities of each kind, as the accessibility engine has them
        feats = self.graph.features
        self.u_nodes = self.graph.nodes("umkm") if "umkm" in feats else np.empty(0, np.int64)
        self.u_type = access.umkm_type
        f_nodes = self.graph.nodes("pois") if "pois" in feats else np.empty(0, np.int64)
        f_label = access.facility_label
        if len(f_label) != len(f_nodes) or len(self.u_type) != len(self.u_nodes):
            raise SiapError("priorities: the access result lacks the UMKM types or facility "
                            "kinds of its features (compute it with compute_access)")
        self.facilities = {lab: f_nodes[(f_label == lab) & (f_nodes >= 0)]
                           for lab in FACILITY_KINDS}
        self.has_points = bool((self.u_nodes >= 0).any()) or any(
            len(v) for v in self.facilities.values())
        net = self.graph.network
        self.arc_mode = np.where(self.graph.arc_row >= 0,
                                 net.mode[np.maximum(self.graph.arc_row, 0)], "walk")
        # access routes and transport options by road function: fixed under any upgrade
        from geo.access import function_minutes, transport_options

        self.route_cost = self.graph.arc_minutes(*function_minutes(net.roads, self.config))
        ref_dist, self.route_pred, _ = nearest_of_set(
            self.graph.csr(arc_cost=self.route_cost), self.g_nodes, predecessors=True)
        self.W = self._route_weights(self.route_pred, self.route_cost)
        self.on_route = np.asarray((self.W != 0).sum(axis=0)).ravel() > 0
        ref_access = _node_values(ref_dist, self.d_nodes)
        km0 = self._route_km(self._attributes(self.surface, self.condition), ref_access)
        self.reach = {f"reach_{m}": v for m, v in transport_options(
            self.graph, self.route_cost, self.arc_mode, self.g_nodes, self.d_nodes,
            ref_access, km0, self.config).items()}
        self.inputs = inputs.reset_index(drop=True).copy()
        self.cur = self.inputs.copy()
        self.state: dict[str, np.ndarray] = {}
        self.set_state(arc_cost)

    def _attributes(self, surface: np.ndarray, condition: np.ndarray) -> np.ndarray:
        from geo.access import row_attributes

        roads = pd.DataFrame({"length_m": self.length_m,
                              "surface": pd.Series(surface, dtype=object),
                              "condition": pd.Series(condition, dtype=object)})
        # row_attributes reads length/surface/condition from graph.network.roads
        net = dataclasses.replace(self.graph.network, roads=cast(gpd.GeoDataFrame, roads))
        return row_attributes(dataclasses.replace(self.graph, network=net))

    def _access(self, A: Any) -> np.ndarray:
        """Fastest minutes from the nearest gateway at the given costs."""
        dist, _, _ = nearest_of_set(A, self.g_nodes)
        return _node_values(dist, self.d_nodes)

    def _route_km(self, attrs: np.ndarray, access: np.ndarray) -> np.ndarray:
        """km per ROUTE_COLUMNS bucket of every destination's access route."""
        km_all = route_attributes(self.graph, self.route_pred, self.route_cost,
                                  attributes=attrs)
        d = self.d_nodes
        ok = d >= 0
        km = np.full((len(d), len(ROUTE_COLUMNS)), np.nan)
        km[ok] = km_all[d[ok]]
        km[~np.isfinite(access)] = np.nan
        return km

    def _local(self, A: Any, rows: np.ndarray, limit: float, arc_cost: np.ndarray | None
               ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
        """UMKM counts (2, len(rows), types) and nearest facility minutes of destinations
        ``rows`` from Dijkstra runs limited to ``limit`` (exact where the true value is
        within it; counts need ``limit >= 30``), and with ``arc_cost`` the bound ``M``."""
        n_types = len(schema.UMKM_TYPES)
        counts = np.zeros((len(UMKM_MINUTES), len(rows), n_types), dtype=np.int64)
        nearest = {lab: np.full(len(rows), np.inf) for lab in FACILITY_KINDS}
        M = None
        tails = grp = starts = np.empty(0, dtype=np.int64)
        w = np.empty(0)
        ok_u = self.u_nodes >= 0
        onehot = np.zeros((int(ok_u.sum()), n_types), dtype=np.int64)
        onehot[np.arange(len(onehot)), self.u_type[ok_u]] = 1
        if arc_cost is not None:
            k = len(self.cand_ptr) - 1
            M = np.full((len(rows), k), np.inf)
            w = np.minimum(self.cand_cost, arc_cost[self.cand_arc])
            cheaper = w < arc_cost[self.cand_arc]
            tails = self.graph.arc_tail[self.cand_arc[cheaper]]
            w, grp = w[cheaper], self.arc_owner[cheaper]
            starts = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]]) if len(grp) else grp
        # the gathered (chunk x cheaper arcs) block must fit next to the distance block
        budget = MEMORY_BUDGET // (2 + (len(self.cand_arc) // max(self.graph.n_nodes, 1)))
        for pos, D in iter_chunks(A, self.d_nodes[rows], limit=limit, budget=budget):
            D = np.atleast_2d(D)
            if len(onehot):
                du = D[:, self.u_nodes[ok_u]]
                for i, m in enumerate(UMKM_MINUTES):
                    counts[i, pos] = (du <= m).astype(np.int64) @ onehot
            for lab, sel in self.facilities.items():
                if len(sel):
                    nearest[lab][pos] = D[:, sel].min(axis=1)
            if M is not None and len(grp):
                vals = D[:, tails] + w[None, :]
                M[np.ix_(pos, grp[starts])] = np.minimum.reduceat(vals, starts, axis=1)
        return counts, nearest, M

    def set_state(self, arc_cost: np.ndarray) -> None:
        """Every score input, the scores, route weights and bounds for the current costs."""
        self.arc_cost = arc_cost
        A = self.graph.csr(arc_cost=arc_cost)
        self.A_old = self._attributes(self.surface, self.condition)
        access = self._access(A)
        km = self._route_km(self.A_old, access)
        AT = A.T.tocsr()
        nearest = {}
        for lab, sel in self.facilities.items():
            d_f, _, _ = nearest_of_set(AT, sel)
            nearest[lab] = _node_values(d_f, self.d_nodes)
        finite = [v[np.isfinite(v)] for v in nearest.values()]
        self.limit = max([float(max(UMKM_MINUTES))] + [float(v.max()) for v in finite if len(v)])
        every = np.arange(len(self.d_nodes))
        if self.has_points:
            counts, _, M = self._local(A, every, self.limit, arc_cost)
            assert M is not None
        else:  # nothing to count: no runs from destinations needed
            counts = np.zeros((len(UMKM_MINUTES), len(every), len(schema.UMKM_TYPES)),
                              dtype=np.int64)
            M = np.full((len(every), len(self.cand_ptr) - 1), np.inf)
        self.M = M
        new = _input_columns(access, km, counts, nearest, self.reach)
        if self.state:  # an applied upgrade: write what it changed into the current table
            for col, v in new.items():
                moved = _differs(v, self.state[col])
                if col in self.cur and moved.any():
                    self.cur.loc[moved, col] = v[moved]
        self.state = new
        self.access, self.km, self.counts, self.nearest = access, km, counts, nearest
        self.scores = overall_scores_of(self.cur, self.readiness)

    def apply(self, c: int, arc_cost: np.ndarray) -> None:
        sl = self.cands.rows_of(c)
        rows = self.cands.rows[sl]
        self.surface[rows] = self.cands.new_rows["surface"].to_numpy(dtype=object)[sl]
        self.condition[rows] = self.cands.new_rows["condition"].to_numpy(dtype=object)[sl]
        self.set_state(arc_cost)

    def _route_weights(self, pred: np.ndarray, arc_cost: np.ndarray) -> Any:
        """Sparse (destinations x road rows): km share of each row on each route."""
        from scipy.sparse import csr_matrix

        g = self.graph
        winner = g.entry_winner(arc_cost)
        cur = self.d_nodes.copy()
        owner = np.arange(len(cur))
        keep = cur >= 0
        cur, owner = cur[keep], owner[keep]
        dests: list[np.ndarray] = []
        arcs: list[np.ndarray] = []
        while len(cur):  # one hop up every route per round (vectorised over routes)
            up = pred[cur]
            ok = up >= 0
            cur, owner, up = cur[ok], owner[ok], up[ok]
            if not len(cur):
                break
            arcs.append(winner[g.entries(up, cur)])
            dests.append(owner)
            cur = up
        n_rows = len(self.length_m)
        if not arcs:
            return csr_matrix((len(self.d_nodes), n_rows))
        a = np.concatenate(arcs)
        dd = np.concatenate(dests)
        row = g.arc_row[a]
        on = row >= 0
        return csr_matrix((g.arc_share[a[on]], (dd[on], row[on])),
                          shape=(len(self.d_nodes), n_rows))

    def _after(self, c: int, fast: bool, upgraded_cost: Callable[[int], np.ndarray]
               ) -> dict[str, np.ndarray] | None:
        """Every score input with candidate ``c`` upgraded (None: nothing moves)."""
        rows = self.cands.rows[self.cands.rows_of(c)]
        arcs = self.cand_arc[self.cand_ptr[c]: self.cand_ptr[c + 1]]
        times = bool((self.cand_cost[self.cand_ptr[c]: self.cand_ptr[c + 1]]
                      < self.arc_cost[arcs]).any())
        if not times and not self.on_route[rows].any():
            return None
        access, km = self.access, self.km
        counts, nearest = self.counts, self.nearest
        cost = upgraded_cost(c) if times else self.arc_cost
        A = self.graph.csr(arc_cost=cost) if times else None
        if fast:
            access = self._access(A)
        if self.on_route[rows].any():
            delta = np.asarray(self.W[:, rows] @ (self.A_new[rows] - self.A_old[rows]))
            km = self.km + delta
        if times:
            assert A is not None
            m = self.M[:, c]
            near = {lab: m < v for lab, v in self.nearest.items()}
            connected = self.d_nodes >= 0
            aff = np.flatnonzero((m <= max(UMKM_MINUTES)) & connected)
            if len(aff) and len(self.u_nodes):
                # counts need runs limited to 30 minutes from the affected destinations only
                c_aff, _, _ = self._local(A, aff, float(max(UMKM_MINUTES)), None)
                counts = self.counts.copy()
                counts[:, aff] = c_aff
            moved = [lab for lab, v in near.items() if (v & connected).any()]
            if moved:
                # one backward multi-source run per facility kind gives every destination's
                # exact nearest time; far cheaper than long runs from each destination
                AT = A.T.tocsr()
                nearest = {lab: v.copy() for lab, v in self.nearest.items()}
                for lab in moved:
                    d_f, _, _ = nearest_of_set(AT, self.facilities[lab])
                    at = np.flatnonzero(near[lab] & connected)
                    nearest[lab][at] = _node_values(d_f, self.d_nodes)[at]
        return _input_columns(access, km, counts, nearest, self.reach)

    def gains(self, cands: list[int], faster: np.ndarray,
              upgraded_cost: Callable[[int], np.ndarray]) -> dict[int, np.ndarray]:
        """Per candidate, per destination: score with the upgrade minus the current score.

        ``faster[i]``: candidate ``cands[i]`` speeds up some nearest-gateway time;
        ``upgraded_cost(c)``: arc costs of the current state with ``c`` upgraded.
        """
        n = len(self.d_nodes)
        owner: list[np.ndarray] = []
        pieces: list[pd.DataFrame] = []
        for c, fast in zip(cands, faster, strict=True):  # one candidate at a time
            after = self._after(c, bool(fast), upgraded_cost)
            if after is None:
                continue
            diff = {col: _differs(v, self.state[col]) for col, v in after.items()}
            moved = np.flatnonzero(np.logical_or.reduce(list(diff.values())))
            if not len(moved):
                continue
            rows = self.cur.iloc[moved].copy()
            for col, v in after.items():
                at = diff[col][moved]
                if at.any() and col in rows:  # absent on purpose (build_inputs): stays so
                    vals = rows[col].to_numpy(dtype=object)
                    vals[at] = v[moved][at]
                    rows[col] = _typed(vals, v)
            owner.append(np.full(len(moved), c))
            pieces.append(rows.assign(_dest=moved))
        out = {c: np.zeros(n) for c in cands}
        if not pieces:
            return out
        changed = pd.concat(pieces, ignore_index=True)
        d = changed.pop("_dest").to_numpy(dtype=np.int64)
        both = pd.concat([self.cur, changed], ignore_index=True)
        after_s = overall_scores_of(both, self.readiness)[len(self.cur):]
        diff_s = after_s - self.scores[d]
        diff_s = np.where(np.isnan(after_s) & np.isnan(self.scores[d]), 0.0, diff_s)
        for c, i, v in zip(np.concatenate(owner).tolist(), d.tolist(), diff_s.tolist(),
                           strict=True):  # one entry per changed (candidate, destination)
            out[c][i] = v
        return out


FACILITY_KINDS: Final = ("lodging", "health", "fuel")


def _node_values(values: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    out = np.full(len(nodes), np.inf)
    ok = nodes >= 0
    out[ok] = values[nodes[ok]]
    return out


def _input_columns(access: np.ndarray, km: np.ndarray, counts: np.ndarray,
                   nearest: dict[str, np.ndarray], reach: dict[str, np.ndarray]
                   ) -> dict[str, np.ndarray]:
    """The score inputs as :func:`compute_access_frames` names and fills them."""
    fin = np.isfinite(access)
    cols: dict[str, np.ndarray] = {"access_minutes": np.where(fin, access, np.nan)}
    for j, col in enumerate(ROUTE_COLUMNS):
        cols[col] = km[:, j]
    for i, m in enumerate(UMKM_MINUTES):
        cols[f"umkm_{m}min"] = counts[i].sum(axis=1)
        for j, t in enumerate(schema.UMKM_TYPES):
            cols[f"umkm_{m}min_{t}"] = counts[i][:, j]
    cols["umkm_types_30min"] = (counts[UMKM_MINUTES.index(30)] > 0).sum(axis=1)
    for lab, v in nearest.items():
        cols[f"nearest_{lab}_min"] = np.where(np.isfinite(v), v, np.nan)
    cols.update(reach)
    return cols


def _differs(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    if new.dtype.kind == "f":
        same = (np.abs(new - old) <= 1e-12) | (np.isnan(new) & np.isnan(old))
        return ~same
    return new != old


def _typed(vals: np.ndarray, like: np.ndarray) -> Any:
    """Object column back to numbers where the engine's column is numeric."""
    if like.dtype.kind in "fiu":
        return pd.to_numeric(pd.Series(vals), errors="coerce").to_numpy()
    return vals


def overall_scores_of(inputs: pd.DataFrame, readiness: ReadinessConfig) -> np.ndarray:
    from geo.readiness import overall_scores

    return overall_scores(inputs, readiness)["score"].to_numpy(float)


# --- the ranking ------------------------------------------------------------------------


@dataclass
class PrioritiesResult:
    """What :func:`priorities_frame` / :func:`priorities_workspace` produced.

    Attributes
    ----------
    table
        The ``priorities`` layer: one row per candidate section, in rank order.
    gains
        Per destination score changes of every section with a non-zero one: ``ruas_id``,
        ``id``, ``name``, ``score_before``, ``score_after``, ``gain`` (for a selected section,
        at the moment it was picked).
    objective_minutes
        Weighted total minutes of the OD pairs before any upgrade.
    """

    table: gpd.GeoDataFrame
    gains: pd.DataFrame
    config: PrioritiesConfig
    network: NetworkConfig
    authority: str
    budget: float | None
    objective_minutes: float
    n_sources: int
    n_targets: int
    synthetic: bool
    timings: dict[str, float] = field(default_factory=dict)
    out: Path | None = None
    configs: dict[str, ConfigText] = field(default_factory=dict)
    """The configuration files used (name -> text), listed in the 'Asumsi' sheet."""

    def summary(self) -> str:
        """A few lines in Bahasa Indonesia (with English) for the terminal."""
        t = self.table
        lines = [f"Prioritas ruas jalan (road priorities), kewenangan {self.authority}: "
                 f"{len(t)} ruas kandidat"]
        lines.append(f"Pasangan asal-tujuan (OD): {self.n_sources} asal (gerbang + kampung), "
                     f"{self.n_targets} destinasi; total {self.objective_minutes:,.0f} menit "
                     "tertimbang")
        useful = int((t["minutes_saved_alone"] > 0).sum()) if len(t) else 0
        lines.append(f"Ruas yang menghemat waktu (sections that save time): {useful}")
        if self.budget is not None:
            sel = t[t["selected"]].sort_values("pick_order") if len(t) else t
            lines.append(
                f"Anggaran (budget) Rp {self.budget:,.0f}: {len(sel)} ruas terpilih, biaya "
                f"Rp {sel['cost_rp'].sum():,.0f}, hemat {sel['minutes_saved'].sum():,.1f} menit, "
                f"kenaikan skor {np.nansum(sel['score_gain']):,.2f}")
            if len(sel):
                lines.append("Program (urutan pilihan, pick order): tambahan dalam program "
                             "[sendiri saja / alone], kumulatif:")
                for _, r in sel.head(15).iterrows():
                    lines.append(
                        f"  {int(r['pick_order'])}. {r['ruas_id']} (peringkat {int(r['rank'])}): "
                        f"{r['minutes_saved']:,.1f} menit [{r['minutes_saved_alone']:,.1f}], "
                        f"skor {r['score_gain']:+,.2f} [{r['score_gain_alone']:+,.2f}]; "
                        f"kumulatif Rp {r['cumulative_cost_rp']:,.0f} -> "
                        f"{r['cumulative_minutes_saved']:,.1f} menit, skor "
                        f"{r['cumulative_score_gain']:+,.2f}")
                if len(sel) > 15:
                    lines.append(f"  ... {len(sel) - 15} pilihan lagi (more picks)")
        lines.append("Peringkat teratas menurut menit per biaya, tiap ruas sendiri "
                     "(top of the ranking by benefit per cost, each section alone):")
        for _, r in t.head(5).iterrows():
            lines.append(f"  {int(r['rank'])}. {r['ruas_id']} {r['name']}: {r['upgrade']}, "
                         f"Rp {r['cost_rp']:,.0f}, {r['minutes_saved_alone']:,.1f} menit, "
                         f"{r['benefit_cost']:,.2f} menit/Rp 1 M")
        lines.append("Catatan: " + ASSUMPTION_NOTE + ".")
        if self.synthetic:
            lines.append("DATA CONTOH (SINTETIS): jalan/destinasi ini sintetis, bukan data "
                         "wilayah nyata (synthetic data).")
        return "\n".join(lines)

    def assumptions(self) -> pd.DataFrame:
        """The 'Asumsi' sheet: the files, every unit cost, weight, speed and method note."""
        return priorities_assumptions(self.config, self.network, synthetic=self.synthetic,
                                      budget=self.budget, authority=self.authority,
                                      configs=self.configs)


def _order_rest(benefit: np.ndarray, cost: np.ndarray, gain: np.ndarray, ids: np.ndarray,
                idx: np.ndarray) -> np.ndarray:
    """Candidates ``idx`` by benefit/cost (desc), then score gain (desc), then ruas_id."""
    bc = np.where(cost > 0, benefit / np.where(cost > 0, cost, 1.0), 0.0)
    g = np.nan_to_num(gain, nan=0.0)
    order = np.lexsort((ids[idx], -g, -bc))
    return idx[order]


def priorities_frame(access: AccessResult, destinations: pd.DataFrame, *,
                     config: PrioritiesConfig, readiness: ReadinessConfig,
                     authority: str = "kabupaten", budget: float | None = None,
                     score_inputs: pd.DataFrame | None = None,
                     synthetic: bool = False, reporter: Reporter = SILENT) -> PrioritiesResult:
    """Rank (and, with a budget, select) road upgrades. Pure: frames in, frames out.

    Parameters
    ----------
    access
        :func:`geo.access.compute_access` (or ``compute_access_frames``) of the network as
        it is; its graph holds the gateways, destinations and kampung.
    destinations
        The ``destinations`` layer (same order as ``access``): ``id``, ``name``,
        ``provenance`` and optional ``importance``.
    authority
        ``kabupaten`` (with desa), ``provinsi``, ``nasional`` or ``all``.
    budget
        Budget in Rupiah for the greedy selection, or None to rank only.
    config
        Upgrade options and weights (:func:`load_priorities_config`).
    score_inputs
        Score inputs per destination (default: destinations joined with the access table).
    readiness
        A :class:`geo.readiness.ReadinessConfig` (the scores the gains are measured on).
    synthetic
        The destinations, gateways or kampung used are synthetic (marks every row).
    reporter
        Progress reporting.

    Raises
    ------
    SiapError
        Unknown authority or a negative budget; ConfigError for a bad configuration.
    """
    _check_budget(budget)
    state = prepare_priorities(access, destinations, authority=authority, config=config,
                               score_inputs=score_inputs, readiness=readiness,
                               synthetic=synthetic, reporter=reporter)
    return select_priorities(state, budget, reporter=reporter)


def _check_budget(budget: float | None) -> None:
    if budget is not None and not (math.isfinite(budget) and budget >= 0):
        raise SiapError(f"--budget harus angka >= 0 (must be >= 0 Rupiah), got {budget}")


@dataclass
class PrioritiesState:
    """The evaluated start of a priorities run for one authority, before any pick.

    Made by :func:`prepare_priorities`; :func:`select_priorities` runs the greedy selection
    for any budget from it, as often as asked, without redoing the candidates, the base
    travel times or the score inputs. It is never changed (each selection works on copies
    of the engines), so one state may serve several threads.
    """

    access: AccessResult
    authority: str
    config: PrioritiesConfig
    synthetic: bool
    cands: Candidates
    od: ODPairs
    engine: BenefitEngine
    scorer: _Scorer
    objective: float
    ids: np.ndarray
    cost: np.ndarray
    dest_ids: np.ndarray
    dest_names: np.ndarray
    timings: dict[str, float]


def _clone(obj: Any) -> Any:
    """A copy of an engine whose state a selection may change: arrays, frames and
    containers held directly are copied, the graph and configuration are shared."""
    import copy

    out = copy.copy(obj)
    for name, value in vars(obj).items():
        if isinstance(value, np.ndarray | pd.DataFrame | pd.Series):
            setattr(out, name, value.copy())
        elif isinstance(value, dict | list | set):
            setattr(out, name, copy.copy(value))
    return out


def prepare_priorities(access: AccessResult, destinations: pd.DataFrame, *,
                       config: PrioritiesConfig, readiness: ReadinessConfig,
                       authority: str = "kabupaten",
                       score_inputs: pd.DataFrame | None = None, synthetic: bool = False,
                       reporter: Reporter = SILENT) -> PrioritiesState:
    """Candidates, OD pairs, base travel times and score inputs for one authority.

    Parameters are those of :func:`priorities_frame` (without the budget). The result feeds
    :func:`select_priorities`: the server keeps one per authority so that a new budget
    re-runs only the greedy selection.
    """
    graph = access.graph
    net = graph.network
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    reporter.step("Ruas kandidat (candidate sections)")
    cands = build_candidates(net.roads, config, access.config, authority,
                             minutes=(net.minutes_fwd, net.minutes_bwd))
    k = len(cands)
    weights = importance(destinations, config)
    od = od_pairs(graph, weights, config)
    base_cost = graph.arc_minutes()
    new_cost = graph.arc_minutes(cands.minutes_fwd, cands.minutes_bwd)
    row_cand = np.full(len(net.roads), -1, dtype=np.int64)
    row_cand[cands.rows] = np.repeat(np.arange(k), np.diff(cands.row_ptr))
    arcs = graph.arcs_of_rows(cands.rows)
    owner = row_cand[graph.arc_row[arcs]]
    order = np.argsort(owner, kind="stable")
    arcs, owner = arcs[order], owner[order]
    cand_ptr = np.searchsorted(owner, np.arange(k + 1))
    timings["candidates_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    reporter.step(f"Waktu tempuh dasar (base travel times): {len(od.sources)} asal, "
                  f"{len(od.targets)} destinasi")
    engine = BenefitEngine(graph, od, base_cost, cand_ptr, arcs, new_cost[arcs])
    objective = engine.objective()
    timings["engine_setup_s"] = time.perf_counter() - clock

    inputs = score_inputs if score_inputs is not None else default_score_inputs(destinations,
                                                                                 access)
    scorer = _Scorer(access, inputs, readiness, base_cost, cands, cand_ptr, arcs,
                     new_cost[arcs])
    ids = cands.table["ruas_id"].to_numpy(dtype=object)
    cost = cands.table["cost_rp"].to_numpy(dtype=float)
    dest_ids = destinations["id"].to_numpy(dtype=object)
    dest_names = (destinations["name"].astype(object).to_numpy() if "name" in destinations
                  else dest_ids)
    return PrioritiesState(access=access, authority=authority, config=config,
                           synthetic=synthetic, cands=cands, od=od, engine=engine,
                           scorer=scorer, objective=objective, ids=ids, cost=cost,
                           dest_ids=dest_ids, dest_names=dest_names, timings=timings)


def select_priorities(state: PrioritiesState, budget: float | None = None, *,
                      reporter: Reporter = SILENT) -> PrioritiesResult:
    """The greedy selection (or, without a budget, the ranking) from a prepared state.

    The same rows as :func:`priorities_frame` with this budget and the state's authority
    (which runs exactly this after :func:`prepare_priorities`); the state is not changed.
    """
    _check_budget(budget)
    access, authority, config = state.access, state.authority, state.config
    synthetic, cands, od, objective = state.synthetic, state.cands, state.od, state.objective
    ids, cost, dest_ids, dest_names = state.ids, state.cost, state.dest_ids, state.dest_names
    graph = access.graph
    net = graph.network
    k = len(cands)
    timings = dict(state.timings)
    # the greedy applies its picks to the engines: work on copies of the prepared ones
    engine, scorer = _clone(state.engine), _clone(state.scorer)

    benefit = np.zeros(k)
    b_gw = np.zeros(k)
    b_k = np.zeros(k)
    served = np.zeros(k, dtype=np.int64)
    k_served = np.zeros(k, dtype=np.int64)
    gain = np.full(k, np.nan)
    gain_rows: list[pd.DataFrame] = []
    picks: list[int] = []
    spent = 0.0
    remaining = np.arange(k)
    t_benefit = t_score = 0.0

    def score_gains(cs: list[int], faster: np.ndarray) -> None:
        """Score gains of candidates in the current state; per destination rows kept."""
        per = scorer.gains(cs, faster, engine.upgraded_cost)
        for c in cs:
            g = per[c]
            gain[c] = float(np.nansum(g))
            nz = np.flatnonzero(np.nan_to_num(g) != 0)
            if len(nz):
                gain_rows.append(pd.DataFrame({
                    "ruas_id": ids[c], "id": dest_ids[nz], "name": dest_names[nz],
                    "score_before": scorer.scores[nz], "score_after": scorer.scores[nz] + g[nz],
                    "gain": g[nz]}))

    def record(ev: Evaluation, idx: np.ndarray) -> None:
        benefit[idx] = ev.benefit
        b_gw[idx] = ev.benefit_gateway
        b_k[idx] = ev.benefit_kampung
        served[idx] = ev.destinations_served()
        k_served[idx] = ev.kampung_served

    d_rows = np.flatnonzero(graph.nodes("destinations") >= 0)  # od target -> destination row
    alone: Evaluation | None = None
    gain_alone = np.full(k, np.nan)
    if budget is not None:
        # every section by itself, in the network as it is: the row read on its own
        clock = time.perf_counter()
        alone = engine.evaluate(np.arange(k))
        t_benefit += time.perf_counter() - clock
        clock = time.perf_counter()
        per = scorer.gains(list(range(k)), alone.access_changed, engine.upgraded_cost)
        gain_alone = np.array([float(np.nansum(per[c])) for c in range(k)])
        t_score += time.perf_counter() - clock

    while True:
        # while picking, only sections that still fit the budget need their benefit; the
        # last round (nothing fits any more) evaluates every remaining section
        fit = remaining if budget is None else remaining[cost[remaining] <= budget - spent
                                                         + 1e-6]
        clock = time.perf_counter()
        ev = engine.evaluate(fit)
        t_benefit += time.perf_counter() - clock
        if budget is None or not _useful(ev).any():
            if len(fit) < len(remaining):
                clock = time.perf_counter()
                ev = engine.evaluate(remaining)
                t_benefit += time.perf_counter() - clock
            record(ev, remaining)
            break
        bc = ev.benefit / np.where(cost[fit] > 0, cost[fit], np.inf)
        ok = _useful(ev)
        best_bc = bc[ok].max()
        tie = np.flatnonzero(ok & (bc == best_bc))
        at = tie[np.lexsort((ids[fit[tie]], -ev.benefit[tie]))[0]]
        c = int(fit[at])
        record(ev, fit)
        reporter.step(f"Pilihan {len(picks) + 1}: {ids[c]} {cands.table['name'].iat[c]} "
                      f"(Rp {cost[c]:,.0f}, {ev.benefit[at]:,.1f} menit)")
        clock = time.perf_counter()
        score_gains([c], ev.access_changed[[at]])
        t_score += time.perf_counter() - clock
        picks.append(c)
        spent += cost[c]
        engine.apply(c)
        clock = time.perf_counter()
        scorer.apply(c, engine.cost.copy())
        t_score += time.perf_counter() - clock
        remaining = remaining[remaining != c]
    # the rest, in the final state
    clock = time.perf_counter()
    reporter.step(f"Kenaikan skor (score gains): {len(remaining)} ruas")
    score_gains(remaining.tolist(), ev.access_changed)
    t_score += time.perf_counter() - clock
    timings["benefits_s"] = t_benefit
    timings["scores_s"] = t_score

    if alone is None:  # without a budget every section is evaluated alone: the same numbers
        alone = ev
        gain_alone = gain.copy()
    benefit_alone = alone.benefit
    names = np.array([str(n) if isinstance(n, str) and n.strip() else str(i)
                      for n, i in zip(dest_names, dest_ids, strict=True)], dtype=object)
    serves = _served_names(alone, k, d_rows, names)
    ranked = _order_rest(benefit_alone, cost, gain_alone, ids, np.arange(k))
    pick_order = np.zeros(k, dtype=np.int64)
    pick_order[np.array(picks, dtype=np.int64)] = np.arange(1, len(picks) + 1)
    table = _assemble(cands, ranked, pick_order, budget is not None, benefit, b_gw, b_k,
                      served, k_served, gain, benefit_alone, gain_alone, serves, synthetic,
                      net.roads)
    gains = (pd.concat(gain_rows, ignore_index=True) if gain_rows else
             pd.DataFrame(columns=["ruas_id", "id", "name", "score_before", "score_after",
                                   "gain"]))
    return PrioritiesResult(table=table, gains=gains, config=config, network=access.config,
                            authority=authority, budget=budget, objective_minutes=objective,
                            n_sources=len(od.sources), n_targets=len(od.targets),
                            synthetic=synthetic or bool((table["provenance"] == "synthetic").any()),
                            timings=timings)


def _useful(ev: Evaluation) -> np.ndarray:
    """Sections with a real benefit: minutes saved on some destination or kampung trip.

    Float noise between paths of equal length is not a benefit (the engine's counts
    already ignore it), so a pick never has zero benefit.
    """
    real = (np.bincount(ev.served[:, 0], minlength=len(ev.benefit)) + ev.kampung_served) > 0
    return (ev.benefit > 0) & real


def _served_names(ev: Evaluation, k: int, d_rows: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Per candidate, the names of the destinations it serves ("; "-joined, row order)."""
    out = np.full(k, "", dtype=object)
    if not len(ev.served):
        return out
    pairs = ev.served[np.lexsort((ev.served[:, 1], ev.served[:, 0]))]
    cand, rows = pairs[:, 0], d_rows[pairs[:, 1]]
    starts = np.flatnonzero(np.r_[True, cand[1:] != cand[:-1]])
    for c, part in zip(cand[starts].tolist(), np.split(names[rows], starts[1:]),
                       strict=True):  # one join per candidate that serves something
        out[c] = "; ".join(part.tolist())
    return out


def _assemble(cands: Candidates, ranked: np.ndarray, pick_order: np.ndarray, has_budget: bool,
              benefit: np.ndarray, b_gw: np.ndarray, b_k: np.ndarray, served: np.ndarray,
              k_served: np.ndarray, gain: np.ndarray, benefit_alone: np.ndarray,
              gain_alone: np.ndarray, serves: np.ndarray, synthetic: bool,
              roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The table in rank order (benefit per cost of each section alone).

    ``minutes_saved`` / ``score_gain`` are marginal (a pick: at its turn in the programme;
    the rest: after every pick); ``*_alone`` are the section by itself. The cumulative
    columns run down the ranking without a budget, and along the programme (pick order,
    exact marginal sums) on the selected rows with a budget, empty elsewhere.
    """
    t = cands.table.iloc[ranked].reset_index(drop=True)
    cost = t["cost_rp"].to_numpy(dtype=float)
    saved = benefit[ranked]
    g = gain[ranked]
    saved_alone = benefit_alone[ranked]
    picks = pick_order[ranked]
    selected = picks > 0
    prov = t["road_provenance"].to_numpy(dtype=object)
    prov = np.where(synthetic | (prov == "synthetic"), "synthetic", prov)
    prov = np.where(prov == "", "unknown", prov)
    with np.errstate(divide="ignore", invalid="ignore"):
        bc = np.where(cost > 0, saved_alone / (cost / BILLION), np.nan)
    if has_budget:
        order = np.argsort(np.where(selected, picks, len(picks) + 1), kind="stable")
        cum = {}
        for key, v in (("cost", cost), ("saved", saved), ("gain", np.nan_to_num(g))):
            run = np.full(len(t), np.nan)
            sel = order[: int(selected.sum())]
            run[sel] = np.cumsum(v[sel])
            cum[key] = run
    else:
        cum = {"cost": np.cumsum(cost), "saved": np.cumsum(saved),
               "gain": np.cumsum(np.nan_to_num(g))}
    data: dict[str, Any] = {
        "rank": np.arange(1, len(t) + 1, dtype=np.int64),
        "ruas_id": t["ruas_id"], "name": t["name"], "authority": t["authority"],
        "length_km": t["length_km"], "surface": t["surface"], "condition": t["condition"],
        "upgrade": t["upgrade"], "upgrade_km": t["upgrade_km"], "cost_rp": cost,
        "minutes_saved": saved, "minutes_saved_alone": saved_alone,
        "minutes_saved_gateway": b_gw[ranked],
        "minutes_saved_kampung": b_k[ranked], "destinations_served": served[ranked],
        "kampung_served": k_served[ranked], "destinations": serves[ranked],
        "score_gain": g, "score_gain_alone": gain_alone[ranked], "benefit_cost": bc,
        "selected": selected if has_budget else np.zeros(len(t), bool),
        "pick_order": pd.array(np.where(selected, picks, 0), dtype="Int64").astype("Int64"),
        "cumulative_cost_rp": cum["cost"],
        "cumulative_minutes_saved": cum["saved"],
        "cumulative_score_gain": cum["gain"],
        "speed_before_kmh": t["speed_before_kmh"], "speed_after_kmh": t["speed_after_kmh"],
        "ref": t["ref"], "highway": t["highway"], "n_links": t["n_links"],
        "osm_way_ids": t["osm_way_ids"], "provenance": prov, "assumptions": ASSUMPTION_NOTE,
    }
    df = pd.DataFrame(data)
    df.loc[~selected, "pick_order"] = pd.NA
    geom = (section_geometry(roads, cands.labels, t["label"].to_numpy()) if len(t)
            else gpd.GeoSeries([], crs=schema.WGS84))
    return gpd.GeoDataFrame(df[list(COLUMNS)], geometry=geom.to_numpy(), crs=schema.WGS84)


# --- workspace steps --------------------------------------------------------------------


def _require(ws: Workspace, *layers: str) -> None:
    ws.require()
    missing = [name for name in layers if not ws.has(name)]
    if missing:
        raise WorkspaceError(f"{ws.path}: layer {', '.join(missing)} tidak ada (missing); "
                             "ingest OSM, import agency data or build the demo first")


def inputs_synthetic(ws: Workspace) -> bool:
    """Whether the destinations, gateways, kampung or places used hold synthetic rows."""
    return ws.any_synthetic("destinations", "gateways", "admin_areas", "pois")


@writes_workspace
def priorities_workspace(ws: Workspace, budget: float | None = None,
                         authority: str = "kabupaten", out: str | os.PathLike[str] | None = None,
                         reporter: Reporter = SILENT, *,
                         config: str | os.PathLike[str] | None = None,
                         readiness_config: str | os.PathLike[str] | None = None,
                         network_config: str | os.PathLike[str] | None = None
                         ) -> PrioritiesResult:
    """Rank road upgrades of a workspace; write layer ``priorities`` and optionally a file.

    ``config`` (priorities), ``readiness_config`` and ``network_config`` default to the
    settings' files; the texts used are recorded in the workspace (metadata ``configs``,
    layer ``priorities``) and listed in the 'Asumsi' sheet.

    The output path, authority and budget are checked before any work; the workspace is
    changed atomically; ``out`` may be .csv, .xlsx (formatted, with an 'Asumsi' sheet) or
    .gpkg.

    Raises
    ------
    SiapError
        Bad output format, authority or budget; WorkspaceError without roads, destinations
        or gateways; ConfigError for a bad configuration.
    """
    from geo.access import compute_access
    from geo.network import read_network_config
    from geo.readiness import build_inputs, read_readiness_config

    out_path = check_out_path(out, OUT_SUFFIXES)
    cfg, cfg_text = read_priorities_config(config)
    readiness, readiness_text = read_readiness_config(readiness_config)
    net_cfg, net_text = read_network_config(network_config)
    cfg.allowed(authority)
    if budget is not None and not (math.isfinite(budget) and budget >= 0):
        raise SiapError(f"--budget harus angka >= 0 (must be >= 0 Rupiah), got {budget}")
    _require(ws, "roads", "destinations", "gateways")
    reporter.step("Menghitung aksesibilitas (accessibility)")
    access = compute_access(ws, net_cfg, reporter=reporter)
    destinations = ws.read("destinations")
    inputs = pd.DataFrame(build_inputs(ws, access))
    result = priorities_frame(access, destinations, authority=authority, budget=budget,
                              config=cfg, score_inputs=inputs, readiness=readiness,
                              synthetic=inputs_synthetic(ws) or ws.any_synthetic("roads"),
                              reporter=reporter)
    result.configs = {"priorities": cfg_text, "readiness": readiness_text, "network": net_text}
    reporter.step("Menulis layer 'priorities' (writing)")
    with ws.update() as stage:
        stage.write(LAYER, result.table)
        stage.record_configs(LAYER, **result.configs)
        stage.set_meta(priorities_authority=authority,
                       priorities_budget="" if budget is None else f"{budget:.0f}",
                       priorities_at=datetime.now(UTC).isoformat())
        stage.add_source(Source(
            name="SIAP Wisata road priorities (prioritas ruas jalan)", layer=LAYER,
            date=datetime.now(UTC).date().isoformat(),
            licence="derived from the workspace layers", synthetic=result.synthetic,
            note=(f"{ASSUMPTION_NOTE}; kewenangan {authority}; "
                  + ("tanpa anggaran" if budget is None else f"anggaran Rp {budget:,.0f}"))))
    if out_path is not None:
        reporter.step(f"Menulis {out_path}")
        write_priorities(result, out_path)
    result.out = out_path
    return result


def write_priorities(result: PrioritiesResult, out: Path) -> None:
    """Write the ranked table as .csv, .xlsx or .gpkg (atomically)."""
    from geo._priorities_out import write_table

    check_out_path(out, OUT_SUFFIXES)
    write_table(result.table, out, result.assumptions(), layer=LAYER)


def priorities_assumptions(config: PrioritiesConfig, network: NetworkConfig, *,
                           synthetic: bool, budget: float | None = None,
                           authority: str | None = None,
                           configs: Mapping[str, ConfigText] | None = None) -> pd.DataFrame:
    """The 'Asumsi' table of a priorities output computed with these configurations: the
    files (``configs``, name -> text) then every unit cost, weight, filter and speed."""
    from geo._priorities_out import assumption_rows

    return assumption_rows(config, network, synthetic=synthetic, budget=budget,
                           authority=authority, configs=configs)


def write_priorities_xlsx(df: pd.DataFrame, path: str | os.PathLike[str],
                          assumptions: pd.DataFrame | list[str]) -> None:
    """The priorities table as a formatted workbook (used by the API download too).

    ``assumptions``: the 'Asumsi' table of the configurations the rows were computed with
    (:func:`priorities_assumptions`), or notes.
    """
    from geo._priorities_out import write_xlsx

    if isinstance(assumptions, list):
        table = pd.DataFrame({"Bagian": "Catatan", "Kunci": "", "Nilai": "",
                              "Keterangan": assumptions})
    else:
        table = assumptions
    write_xlsx(pd.DataFrame(df), Path(path), table)


# --- scenario ---------------------------------------------------------------------------


@dataclass
class ScenarioResult:
    """Scores per destination before and after a programme of planned works.

    Attributes
    ----------
    table
        One row per destination: ``id``, ``name``, ``score_before``, ``score_after``,
        ``delta``, ``class_before``, ``class_after``, ``access_minutes_before``,
        ``access_minutes_after``, ``access_delta``, ``provenance``.
    works
        One row per line of the works file: what it matched and changed.
    """

    table: pd.DataFrame
    works: pd.DataFrame
    synthetic: bool
    source: str
    out: Path | None = None

    def summary(self) -> str:
        t = self.table
        w = self.works
        lines = [f"Skenario (what-if) {self.source}: {len(w)} pekerjaan, "
                 f"{int(w['links_changed'].sum())} link diubah, "
                 f"{w['km_changed'].sum():,.2f} km"]
        known = w["cost_rp"].dropna()
        if len(known):
            lines.append(f"Biaya (asumsi) pekerjaan berbiaya: Rp {known.sum():,.0f}")
        for _, r in w[w["note"] != ""].iterrows():
            lines.append(f"  baris {r['line']}: {r['note']}")
        up = t[t["delta"] > 1e-9]
        down = t[t["delta"] < -1e-9]
        lines.append(f"Destinasi naik skor: {len(up)}, turun: {len(down)}, "
                     f"jumlah perubahan {np.nansum(t['delta']):+.2f}")
        moved = t[(t["delta"].abs() > 1e-9) | (t["access_delta"].abs() > 1e-9)]
        moved = moved.reindex(moved["delta"].abs().sort_values(ascending=False).index)
        if len(moved):
            lines.append("Per destinasi (skor sebelum -> sesudah, kelas, waktu tempuh):")
        for _, r in moved.head(25).iterrows():
            lines.append(f"  {r['id']} {r['name']}: {r['score_before']:.1f} -> "
                         f"{r['score_after']:.1f} ({r['delta']:+.2f}), {r['class_before']} -> "
                         f"{r['class_after']}, akses {_fmt_min(r['access_minutes_before'])} -> "
                         f"{_fmt_min(r['access_minutes_after'])} menit")
        if len(moved) > 25:
            lines.append(f"  ... {len(moved) - 25} destinasi lagi (more; see --out)")
        lines.append("Catatan: " + ASSUMPTION_NOTE + ".")
        if self.synthetic:
            lines.append("DATA CONTOH (SINTETIS): skenario ini memakai data sintetis "
                         "(synthetic data).")
        return "\n".join(lines)


def _fmt_min(x: Any) -> str:
    return "-" if x is None or not np.isfinite(float(x)) else f"{float(x):.1f}"


def scenario_frames(roads: gpd.GeoDataFrame, works: Works,
                    score: Callable[[gpd.GeoDataFrame], pd.DataFrame],
                    dimensions: tuple[str, ...] = ()
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Before/after table of a programme, and the changed roads (pure given ``score``).

    ``score(roads)`` returns, per destination, ``id``, ``name``, ``score``, ``class``,
    ``access_minutes`` and ``provenance`` (and ``score_<dimension>`` of ``dimensions``,
    reported before and after: the road dimension of readiness.toml ``[access]``).
    """
    from geo._works import apply_works

    before = score(roads)
    changed = apply_works(roads, works)
    after = score(cast(gpd.GeoDataFrame, changed))
    table = pd.DataFrame({
        "id": before["id"].to_numpy(dtype=object),
        "name": before["name"].to_numpy(dtype=object),
        "score_before": before["score"].to_numpy(dtype=float),
        "score_after": after["score"].to_numpy(dtype=float),
        "class_before": before["class"].to_numpy(dtype=object),
        "class_after": after["class"].to_numpy(dtype=object),
        "access_minutes_before": before["access_minutes"].to_numpy(dtype=float),
        "access_minutes_after": after["access_minutes"].to_numpy(dtype=float),
    })
    table.insert(4, "delta", table["score_after"] - table["score_before"])
    table["access_delta"] = table["access_minutes_after"] - table["access_minutes_before"]
    for col in (f"score_{d}" for d in dimensions):
        if col in before and col in after:
            table[f"{col}_before"] = before[col].to_numpy(dtype=float)
            table[f"{col}_after"] = after[col].to_numpy(dtype=float)
    table["provenance"] = before["provenance"].to_numpy(dtype=object)
    return table, changed


def scenario_workspace(ws: Workspace, what_if: str | os.PathLike[str],
                       out: str | os.PathLike[str] | None = None,
                       reporter: Reporter = SILENT, *,
                       config: str | os.PathLike[str] | None = None,
                       readiness_config: str | os.PathLike[str] | None = None,
                       network_config: str | os.PathLike[str] | None = None) -> ScenarioResult:
    """Apply a file of planned works and score every destination before and after.

    ``config`` (priorities: the upgrade options), ``readiness_config`` and
    ``network_config`` default to the settings' files; all three are used as given (the
    travel times, the scores and the options) and listed in the 'Asumsi' sheet.

    The works file (CSV/XLSX/GeoJSON/GPKG) names each work by ``ruas_id`` (from the
    priorities output), ``osm_way_id`` or road ``name``/``ref``, and gives either an
    ``upgrade`` (an option id or label of ``data/priorities.toml``) or a target
    ``surface`` and/or ``condition``. Every bad line is reported at once (InputError with
    file, line and field). The workspace is not changed; ``out`` (.csv, .xlsx or .gpkg)
    receives the before/after table.

    Raises
    ------
    InputError
        Bad lines in the works file; SiapError for a bad output format; WorkspaceError
        when layers are missing.
    """
    from geo._priorities_out import write_scenario
    from geo._works import read_works
    from geo.access import compute_access_frames, populated_places
    from geo.network import read_network_config
    from geo.readiness import build_inputs, dimension_labels, read_readiness_config, score_frame

    out_path = check_out_path(out, OUT_SUFFIXES)
    cfg, cfg_text = read_priorities_config(config)
    readiness, readiness_text = read_readiness_config(readiness_config)
    net_cfg, net_text = read_network_config(network_config)
    _require(ws, "roads", "destinations", "gateways")
    roads = ws.read("roads")
    works = read_works(what_if, roads, cfg, net_cfg)
    destinations = ws.read("destinations")
    gateways = ws.read("gateways")
    umkm = ws.read("umkm") if ws.has("umkm") else None
    pois = ws.read("pois") if ws.has("pois") else None
    kampung = populated_places(ws.read("admin_areas") if ws.has("admin_areas") else None, pois)

    def score(r: gpd.GeoDataFrame) -> pd.DataFrame:
        reporter.step("Menghitung aksesibilitas dan skor (access and scores)")
        acc = compute_access_frames(r, destinations, gateways, umkm, pois, kampung, net_cfg,
                                    ws.metric_crs())
        return pd.DataFrame(score_frame(build_inputs(ws, acc), readiness, ranks=False))

    road = (readiness.access.road_dimension,) if readiness.access is not None else ()
    table, _ = scenario_frames(roads, works, score, road)
    synthetic = (inputs_synthetic(ws) or ws.any_synthetic("roads")
                 or bool((table["provenance"] == "synthetic").any()))
    result = ScenarioResult(table=table, works=works.summary, synthetic=synthetic,
                            source=str(what_if), out=out_path)
    if out_path is not None:
        reporter.step(f"Menulis {out_path}")
        labels = dimension_labels(readiness)
        headers = {f"score_{d}_{when}": f"{labels[d].header} {word}" for d in road
                   for when, word in (("before", "sebelum"), ("after", "sesudah"))}
        write_scenario(result, out_path, destinations, cfg, net_cfg, headers=headers,
                       configs={"priorities": cfg_text, "readiness": readiness_text,
                                "network": net_text})
    return result

