"""network.toml as a validated model: walking, snapping, road speeds by class, surface and
condition (roughness), water and air links, facilities. Every number is an assumption
with its source in the TOML.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, field_validator, model_validator

from geo import schema
from geo._config import (
    AirSpeed,
    ConfigText,
    FixedMinutes,
    RoadSpeed,
    SnapDistance,
    WalkSpeed,
    WaterSpeed,
    config_text,
    model_from_text,
    value_text,
)


class _Assumed(BaseModel):
    """A group of figures that must say whether they are assumptions, and their source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    assumption: bool
    source: str = ""


class WalkingConfig(_Assumed):
    speed_kmh: WalkSpeed


class SnapConfig(_Assumed):
    max_dist_m: SnapDistance
    min_component_m: float = Field(default=1000.0, ge=0)


class RoadConfig(_Assumed):
    highway_speed_kmh: dict[str, RoadSpeed]
    default_speed_kmh: RoadSpeed
    use_maxspeed: bool = True
    walk_only: list[str] = Field(default_factory=list)


def _complete(table: dict[str, float], keys: tuple[str, ...]) -> dict[str, float]:
    missing = [k for k in keys if k not in table]
    extra = [k for k in table if k not in keys]
    if missing or extra:
        raise ValueError(
            (f"kelas belum ada: {missing}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"kelas tidak dikenal {extra} (pilihan: {list(keys)})" if extra else "")
        )
    return table


SURFACE_ORDER: tuple[str, ...] = tuple(c for c in schema.SURFACE_CLASSES if c != "unknown")
"""Known surface classes from the best (aspal) to the worst (tanah)."""


CONDITION_ORDER: tuple[str, ...] = tuple(c for c in schema.CONDITIONS if c != "unknown")
"""Known PU conditions from the best (baik) to the worst (rusak_berat)."""


class FunctionConfig(_Assumed):
    """Road function (fungsi jalan) of OSM classes and the minimum design speed of each."""

    min_design_speed_kmh: dict[str, PositiveFloat]
    highway: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_functions(self) -> FunctionConfig:
        bad = sorted({f for f in self.highway.values() if f not in self.min_design_speed_kmh})
        if bad:
            raise ValueError(f"highway: fungsi jalan tidak dikenal {bad} "
                             f"(pilihan: {sorted(self.min_design_speed_kmh)})")
        return self


class RoughnessConfig(_Assumed):
    """IRI of every surface class in every condition, and how roughness slows traffic."""

    iri_m_per_km: dict[str, dict[str, PositiveFloat]]
    free_iri_m_per_km: PositiveFloat
    unknown_condition: str = "baik"

    @field_validator("iri_m_per_km")
    @classmethod
    def _monotone(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        _complete(dict.fromkeys(v, 0.0), SURFACE_ORDER)
        for s, row in v.items():
            try:
                _complete(row, CONDITION_ORDER)
            except ValueError as exc:
                raise ValueError(f"{s}: {exc}") from None
        # a better surface or condition must never be rougher: upgrades never slow a road
        worse = [f"{s} {c} ({v[s][c]:g}) > {s} {c2} ({v[s][c2]:g})"
                 for s in SURFACE_ORDER
                 for c, c2 in zip(CONDITION_ORDER, CONDITION_ORDER[1:], strict=False)
                 if v[s][c] > v[s][c2]]
        worse += [f"{s} {c} ({v[s][c]:g}) > {s2} {c} ({v[s2][c]:g})"
                  for c in CONDITION_ORDER
                  for s, s2 in zip(SURFACE_ORDER, SURFACE_ORDER[1:], strict=False)
                  if v[s][c] > v[s2][c]]
        if worse:
            raise ValueError("permukaan atau kondisi yang lebih baik tidak boleh lebih lambat: "
                             + "; ".join(worse))
        return v

    @field_validator("unknown_condition")
    @classmethod
    def _condition(cls, v: str) -> str:
        if v not in CONDITION_ORDER:
            raise ValueError(f"harus salah satu dari {list(CONDITION_ORDER)}")
        return v

    def iri(self, surface: str, condition: str) -> float:
        """IRI of a known surface class in a condition (``unknown`` -> ``unknown_condition``)."""
        c = self.unknown_condition if condition not in CONDITION_ORDER else condition
        return float(self.iri_m_per_km[surface][c])

    def factor(self, iri: np.ndarray | float) -> np.ndarray:
        """Share of the good-road speed kept at this roughness (1 up to ``free_iri``)."""
        return np.minimum(1.0, self.free_iri_m_per_km / np.asarray(iri, dtype=float))


class UnknownSurfaceConfig(_Assumed):
    """Surface class assumed for speed where a road's surface is unknown."""

    default: str
    highway: dict[str, str] = Field(default_factory=dict)
    tracktype: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_classes(self) -> UnknownSurfaceConfig:
        used = [self.default, *self.highway.values(), *self.tracktype.values()]
        bad = sorted({s for s in used if s not in SURFACE_ORDER})
        if bad:
            raise ValueError(f"kelas permukaan tidak dikenal {bad} (pilihan: {list(SURFACE_ORDER)})")
        return self

    def classes(self) -> list[str]:
        """Every surface class an unknown surface may stand for."""
        return sorted({self.default, *self.highway.values(), *self.tracktype.values()})


class WaterConfig(_Assumed):
    speed_kmh: WaterSpeed
    boarding_min: FixedMinutes


class AirConfig(_Assumed):
    speed_kmh: AirSpeed
    checkin_min: FixedMinutes
    wait_min: FixedMinutes


class OptionsConfig(_Assumed):
    max_ratio: float = Field(ge=1.0)


class FacilitiesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lodging_tourism: list[str]
    health_amenity: list[str]
    fuel_amenity: list[str]


class NetworkConfig(BaseModel):
    """Speeds and fixed times of the travel-time model (``data/network.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    walking: WalkingConfig
    snap: SnapConfig
    road: RoadConfig
    function: FunctionConfig
    roughness: RoughnessConfig
    unknown_surface: UnknownSurfaceConfig
    water: WaterConfig
    air: AirConfig
    options: OptionsConfig
    facilities: FacilitiesConfig

    @model_validator(mode="after")
    def _design_speeds(self) -> NetworkConfig:
        """A class on a good paved road is not slower than its function's design minimum."""
        low = [f"{h} {self.road.highway_speed_kmh[h]:g} < {f} "
               f"{self.function.min_design_speed_kmh[f]:g}"
               for h, f in self.function.highway.items()
               if h in self.road.highway_speed_kmh
               and self.road.highway_speed_kmh[h] < self.function.min_design_speed_kmh[f]]
        if low:
            raise ValueError("road.highway_speed_kmh di bawah kecepatan rencana minimum "
                             "fungsi jalan (Permen PU 19/PRT/M/2011): " + "; ".join(low))
        return self

    def assumptions(self) -> pd.DataFrame:
        """One row per figure: ``key``, ``value`` (lists and nested tables as text, see
        :func:`geo._config.value_text`), ``assumption``, ``source``.

        Outputs that rest on these figures (priorities spreadsheets, reports) list them.
        """
        rows: list[dict[str, Any]] = []
        for name in ("walking", "snap", "road", "function", "roughness", "unknown_surface",
                     "water", "air", "options"):
            group = getattr(self, name)
            for key, value in group.model_dump(exclude={"assumption", "source"}).items():
                items = value.items() if isinstance(value, dict) else [(None, value)]
                for sub, v in items:
                    rows.append({
                        "key": ".".join(p for p in (name, key, sub) if p),
                        # in Indonesian notation: the 'Asumsi' sheets show it as it is
                        "value": value_text(v) if isinstance(v, dict | list) else v,
                        # the class -> function mapping is ours, the design speeds are not
                        "assumption": group.assumption or (name, key) == ("function",
                                                                          "highway"),
                        "source": group.source,
                    })
        return pd.DataFrame(rows)


def read_network_config(path: str | os.PathLike[str] | None = None
                        ) -> tuple[NetworkConfig, ConfigText]:
    """Read and validate a network TOML (default: the settings' ``network_config``, else
    the packaged ``network.toml``), with the text the steps record in the workspace.

    Raises
    ------
    ConfigError
        Naming the file and every offending key.
    """
    text = config_text(path, "network.toml")
    return model_from_text(text, NetworkConfig), text


def load_network_config(path: str | os.PathLike[str] | None = None) -> NetworkConfig:
    """Load and validate the network configuration (default as :func:`read_network_config`).

    Raises
    ------
    ConfigError
        Naming the file and every offending key.
    """
    return read_network_config(path)[0]
