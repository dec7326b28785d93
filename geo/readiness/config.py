"""readiness.toml as a validated model: dimensions (one per agency, OPD), indicators, classes,
ranking, access holders, Monte Carlo and actions.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from geo._config import (
    ConfigMeta,
    ConfigText,
    StrictModel,
    config_text,
    model_from_text,
    validate_model,
)
from geo.exceptions import ConfigError
from geo.readiness import _scoring as sc

CLASSES: Final = ("rintisan", "berkembang", "maju", "mandiri")


FourA = Literal["atraksi", "aksesibilitas", "amenitas", "ansilari"]


Score100 = Annotated[float, Field(ge=0.0, le=100.0)]


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Colours of dimensions whose TOML table gives none, in configuration order: Okabe-Ito
# (colour-blind safe). Dimensions are data; this is only a palette.
FALLBACK_COLORS: Final = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
                          "#f0e442", "#000000")


class Indicator(StrictModel):
    """One indicator: a source column turned into 0-100.

    Numeric indicators set ``zero`` and ``full``; text / yes-no indicators set ``map``.
    """

    label: str
    column: str = Field(min_length=1)
    weight: float = Field(gt=0.0)
    zero: float | None = None
    full: float | None = None
    map: dict[str, Score100] | None = None
    other: Score100 | None = None
    missing: Score100 | None = None
    if_present: bool = False
    assumption: bool = False
    note: str = ""
    gap: str | dict[str, str] = ""
    missing_gap: str = ""
    # issue 13: the gap written as a task (what to do; same forms as `gap`), and the data
    # ("layer" or "layer.column") whose change shows the task was done
    task: str | dict[str, str] = ""
    missing_task: str = ""
    proof: str = ""

    @field_validator("map")
    @classmethod
    def _map_keys(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return None
        if not v:
            raise ValueError("map harus memuat paling sedikit satu nilai")
        return {sc.category_key(k) or "": s for k, s in v.items()}

    @field_validator("proof")
    @classmethod
    def _proof(cls, v: str) -> str:
        if not v:
            return v
        layer, dot, column = v.partition(".")
        if layer not in EDITABLE_LAYERS:
            raise ValueError(f"proof {v!r}: layer tidak dikenal {layer!r}; "
                             f"pilihan: {', '.join(EDITABLE_LAYERS)}")
        if dot and not _NAME.match(column):
            raise ValueError(f"proof {v!r}: seharusnya 'layer' atau 'layer.kolom'")
        return v

    @field_validator("gap", "task")
    @classmethod
    def _gap_keys(cls, v: str | dict[str, str]) -> str | dict[str, str]:
        if isinstance(v, dict):
            return {k if k == "*" else (sc.category_key(k) or ""): t for k, t in v.items()}
        return v

    @model_validator(mode="after")
    def _kind(self) -> Indicator:
        numeric = self.zero is not None or self.full is not None
        if numeric and self.map is not None:
            raise ValueError("isi 'zero'/'full' (angka) atau 'map' (kategori), bukan keduanya")
        if not numeric and self.map is None:
            raise ValueError("perlu 'zero' dan 'full' (angka) atau 'map' (kategori)")
        if numeric:
            if self.zero is None or self.full is None:
                raise ValueError("indikator angka perlu 'zero' dan 'full'")
            if not (math.isfinite(self.zero) and math.isfinite(self.full)):
                raise ValueError("'zero' dan 'full' harus angka terhingga")
            if self.zero == self.full:
                raise ValueError("'zero' dan 'full' harus berbeda")
            if self.other is not None:
                raise ValueError("'other' hanya berlaku untuk indikator 'map'")
        return self

    @property
    def numeric(self) -> bool:
        return self.map is None


EDITABLE_LAYERS: Final = ("destinations", "umkm", "gateways", "roads")
"""The workspace data layers agencies contribute to (``[dimensions.X.owns]`` may name them);
everything else (boundary, admin areas, pois, outputs) comes from steps, not from agencies."""


class Owns(StrictModel):
    """What one agency may change (``[dimensions.<key>.owns]``).

    ``layers``: the agency may add, move and delete rows of these layers and edit every
    column of them except columns another agency owns by name. ``columns``
    (``"layer.column"``): the agency may edit these columns of existing rows, whoever owns
    the layer.
    """

    layers: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    note: str = ""

    @field_validator("layers")
    @classmethod
    def _layers(cls, v: list[str]) -> list[str]:
        bad = [name for name in v if name not in EDITABLE_LAYERS]
        if bad:
            raise ValueError(f"layer tidak dikenal {', '.join(map(repr, bad))}; "
                             f"pilihan: {', '.join(EDITABLE_LAYERS)}")
        return v

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: list[str]) -> list[str]:
        for item in v:
            layer, dot, column = item.partition(".")
            if not dot or not column or not _NAME.match(column):
                raise ValueError(f"{item!r}: expected 'layer.column' (e.g. 'roads.condition')")
            if layer not in EDITABLE_LAYERS:
                raise ValueError(f"{item!r}: layer tidak dikenal {layer!r}; "
                                 f"pilihan: {', '.join(EDITABLE_LAYERS)}")
        return v


class Dimension(StrictModel):
    """One agency dimension (OPD), mapped to the 4A framework."""

    agency: str = Field(min_length=1)  # long label: the agency's name ("Dinas PUPR")
    short: str = Field(min_length=1)  # short label: headers, actions, bars ("PU")
    color: str | None = None  # "#rrggbb" of its bars and legend; default FALLBACK_COLORS
    four_a: list[FourA] = Field(min_length=1)
    weight: float = Field(ge=0.0)
    assumption: bool = False
    note: str = ""
    indicators: dict[str, Indicator] = Field(min_length=1)
    owns: Owns = Owns()  # what the agency may change (issue 12); nothing when not given

    @field_validator("color")
    @classmethod
    def _color(cls, v: str | None) -> str | None:
        if v is not None and not _COLOR.match(v):
            raise ValueError(f"warna harus '#rrggbb', bukan {v!r}")
        return v

    @field_validator("indicators")
    @classmethod
    def _names(cls, v: dict[str, Indicator]) -> dict[str, Indicator]:
        bad = [k for k in v if not _NAME.match(k)]
        if bad:
            raise ValueError(f"nama indikator harus pengenal huruf kecil: {', '.join(bad)}")
        return v


class Classes(StrictModel):
    """Lower bounds (inclusive) of the classes above rintisan."""

    assumption: bool = False
    berkembang: float = Field(gt=0.0, le=100.0)
    maju: float = Field(gt=0.0, le=100.0)
    mandiri: float = Field(gt=0.0, le=100.0)
    # Below this coverage the class is still given (the contract) but flagged provisional:
    # a "mandiri" resting on a quarter of the inputs is not a finding.
    min_coverage: float = Field(default=0.5, ge=0.0, le=1.0)

    @field_validator("maju")
    @classmethod
    def _maju(cls, v: float, info: Any) -> float:
        if "berkembang" in info.data and v <= info.data["berkembang"]:
            raise ValueError("harus lebih besar dari 'berkembang'")
        return v

    @field_validator("mandiri")
    @classmethod
    def _mandiri(cls, v: float, info: Any) -> float:
        if "maju" in info.data and v <= info.data["maju"]:
            raise ValueError("harus lebih besar dari 'maju'")
        return v


class MonteCarlo(StrictModel):
    assumption: bool = False
    samples: int = Field(default=1000, ge=0, le=100_000)
    concentration: float = Field(default=50.0, gt=0.0)
    seed: int = 20240517
    interval: tuple[float, float] = (5.0, 95.0)

    @field_validator("interval")
    @classmethod
    def _interval(cls, v: tuple[float, float]) -> tuple[float, float]:
        lo, hi = v
        if not (0.0 <= lo <= hi <= 100.0):
            raise ValueError("needs 0 <= low <= high <= 100 (percentiles)")
        return v


class Ranking(StrictModel):
    """How class and rank are decided (``[ranking]``): from ``score_low``, ties shared.

    One value only, stated so that the rule is read in the configuration: ranking by the
    point estimate would let a destination climb by losing a bad known value.
    """

    by: Literal["score_low"] = "score_low"
    note: str = ""


class AccessHolders(StrictModel):
    """Which dimensions hold access (``[access]``): the bottleneck of unreachable sites."""

    assumption: bool = False
    source: str = ""
    minutes: str = Field(min_length=1)  # column: empty = unreachable
    road_dimension: str = Field(min_length=1)
    other_dimension: str = Field(min_length=1)
    road_max_m: float = Field(gt=0.0)


class Actions(StrictModel):
    max_gaps_per_dimension: int = Field(default=3, ge=1)
    unknown_text: str = "data belum tersedia"
    # issue 13: the task of an agency whose data is missing altogether (indicator `_data`)
    data_task: str = "lengkapi data ({unknown_text})"


class Admin(StrictModel):
    """The admin agency (``[admin]``): manages accounts, configuration and rollbacks.

    Not a dimension: it scores nothing and edits no data layer. Configurations without the
    table (recorded before issue 12) get Bappeda, the planning agency that convenes the
    agencies in Mimika.
    """

    agency: str = "bappeda"
    name: str = "Bappeda (Badan Perencanaan Pembangunan Daerah)"

    @field_validator("agency")
    @classmethod
    def _agency(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"agency harus pengenal huruf kecil, bukan {v!r}")
        return v


class ReadinessConfig(StrictModel):
    """The validated indicator set (``data/readiness.toml``)."""

    meta: ConfigMeta = ConfigMeta()
    admin: Admin = Admin()
    classes: Classes
    monte_carlo: MonteCarlo = MonteCarlo()
    ranking: Ranking = Ranking()
    access: AccessHolders | None = None
    actions: Actions = Actions()
    dimensions: dict[str, Dimension]

    @model_validator(mode="after")
    def _admin_not_dimension(self) -> ReadinessConfig:
        if self.admin.agency in self.dimensions:
            raise ValueError(f"admin.agency: {self.admin.agency!r} adalah dimensi; instansi "
                             "admin harus instansi lain (tidak menilai apa pun)")
        return self

    @property
    def agencies(self) -> list[str]:
        """Every agency an account may belong to: the dimension keys, then the admin's."""
        return [*self.dimensions, self.admin.agency]

    @model_validator(mode="after")
    def _access_dims(self) -> ReadinessConfig:
        if self.access is not None:
            for key in ("road_dimension", "other_dimension"):
                name = getattr(self.access, key)
                if name not in self.dimensions:
                    raise ValueError(f"access.{key}: dimensi {name!r} tidak dikenal "
                                     f"(pilihan: {', '.join(self.dimensions)})")
        return self

    @model_validator(mode="after")
    def _ownership(self) -> ReadinessConfig:
        # One owner per layer and per named column: a shared column would let two
        # agencies overwrite each other, and nobody would answer for its value.
        layers: dict[str, str] = {}
        columns: dict[str, str] = {}
        for key, dim in self.dimensions.items():
            for layer in dim.owns.layers:
                if layer in layers and layers[layer] != key:
                    raise ValueError(f"dimensions.{key}.owns.layers: layer {layer!r} sudah "
                                     f"dimiliki {layers[layer]!r}")
                layers[layer] = key
            for column in dim.owns.columns:
                if column in columns and columns[column] != key:
                    raise ValueError(f"dimensions.{key}.owns.columns: kolom {column!r} sudah "
                                     f"dimiliki {columns[column]!r}")
                columns[column] = key
        return self

    @field_validator("dimensions")
    @classmethod
    def _dims(cls, v: dict[str, Dimension]) -> dict[str, Dimension]:
        # The agencies are data: any number of them, named by their tables.
        if not v:
            raise ValueError("perlu paling sedikit satu dimensi ([dimensions.<nama>])")
        bad = [k for k in v if not _NAME.match(k)]
        if bad:
            raise ValueError(f"nama dimensi harus pengenal huruf kecil: {', '.join(bad)}")
        if sum(d.weight for d in v.values()) <= 0:
            raise ValueError("bobot dimensi tidak boleh nol semua")
        return v

    @property
    def names(self) -> list[str]:
        """Dimension names in configuration order (the bottleneck tie-break order)."""
        return list(self.dimensions)

    def weight_vector(self, weights: Mapping[str, float] | None = None) -> np.ndarray:
        """Dimension weights in configuration order, with ``weights`` overriding some.

        Raises
        ------
        ConfigError
            Unknown dimension, negative or non-finite weight, a sum of weights that
            overflows, or all weights zero.
        """
        given = dict(weights or {})
        unknown = [k for k in given if k not in self.dimensions]
        if unknown:
            raise ConfigError(
                f"weights: dimensi tidak dikenal {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(self.names)}"
            )
        out = []
        for name, dim in self.dimensions.items():
            w = given.get(name, dim.weight)
            try:
                w = float(w)
            except (TypeError, ValueError):
                raise ConfigError(f"weights.{name}: bukan angka: {w!r}") from None
            if not math.isfinite(w) or w < 0:
                raise ConfigError(f"weights.{name}: harus angka >= 0, bukan {w}")
            out.append(w)
        vec = np.array(out, dtype=float)
        with np.errstate(over="ignore"):
            total = float(vec.sum())
        if not math.isfinite(total):
            # Each weight is finite, their sum is not: the weighted means would be inf/inf.
            raise ConfigError(f"weights: jumlah bobot terlalu besar: "
                              f"{', '.join(f'{n}={w:g}' for n, w in zip(self.names, out, strict=True))}")
        if total <= 0:
            raise ConfigError("weights: semua bobot nol")
        return vec


@dataclass(frozen=True)
class DimensionLabel:
    """How one agency dimension is named and drawn everywhere (headers, popups, legend,
    actions, API): all from its ``[dimensions.<key>]`` table."""

    key: str
    short: str  # "PU"
    agency: str  # "Dinas PUPR"
    color: str  # "#rrggbb"

    @property
    def header(self) -> str:
        """Column header of its score in exports ("Skor PU")."""
        return f"Skor {self.short}"


def dimension_labels(config: ReadinessConfig) -> dict[str, DimensionLabel]:
    """Labels and colours of every dimension, in configuration order (the only source)."""
    return {
        key: DimensionLabel(key=key, short=dim.short, agency=dim.agency,
                            color=dim.color or FALLBACK_COLORS[j % len(FALLBACK_COLORS)])
        for j, (key, dim) in enumerate(config.dimensions.items())
    }


def agency_names(labels: Mapping[str, DimensionLabel]) -> dict[str, str]:
    """Each dimension's agency by its key (``"pu"`` -> ``"Dinas PUPR"``), in configuration
    order: how pages, the API's models and the history name an agency key."""
    return {key: label.agency for key, label in labels.items()}


def read_readiness_config(path: str | os.PathLike[str] | None = None
                          ) -> tuple[ReadinessConfig, ConfigText]:
    """Read and validate a readiness TOML (default: the settings' ``readiness_config``,
    else the packaged ``readiness.toml``), with the text the steps record in the workspace.

    Raises
    ------
    ConfigError
        Missing file, invalid TOML or an invalid key (named as a dotted path).
    """
    text = config_text(path, "readiness.toml")
    return readiness_config_from_text(text), text


def load_readiness_config(path: str | os.PathLike[str] | None = None) -> ReadinessConfig:
    """Load and validate a readiness TOML (default: the settings' ``readiness_config``, else
    the packaged ``readiness.toml``).

    Raises
    ------
    ConfigError
        Missing file, invalid TOML or an invalid key (named as a dotted path).
    """
    return read_readiness_config(path)[0]


def readiness_config_from_text(text: ConfigText) -> ReadinessConfig:
    """Validate a readiness TOML text (a file's, or the one a workspace recorded)."""
    return model_from_text(text, ReadinessConfig)


def readiness_config_from_dict(raw: Mapping[str, Any], *, source: str = "config") -> ReadinessConfig:
    """Validate an already-parsed configuration mapping (tests, the API)."""
    return validate_model(dict(raw), ReadinessConfig, source=source)
