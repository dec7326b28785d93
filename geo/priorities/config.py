"""priorities.toml: upgrade options, unit costs, OD weights, candidate filters, and the
assumption table every priorities output carries (sheet 'Asumsi').
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from typing import Final

import pandas as pd
from pydantic import Field, field_validator, model_validator

from geo import fmt, schema
from geo._config import (
    ConfigMeta,
    ConfigText,
    Importance,
    OdWeight,
    StrictModel,
    UnitCost,
    config_rows,
    config_text,
    model_from_text,
    value_text,
)
from geo.exceptions import ConfigError, SiapError
from geo.labels import label
from geo.network import NetworkConfig

AUTHORITY_CHOICES: Final = ("kabupaten", "provinsi", "nasional", "all")


BILLION: Final = 1e9


ASSUMPTION_NOTE: Final = (
    "Biaya satuan (Rp/km), bobot dan kecepatan adalah ASUMSI, bukan angka resmi PUPR: "
    "lihat priorities.toml dan network.toml"
)


_ID = re.compile(r"^[a-z][a-z0-9_]*$")


_UPGRADE_SURFACES: Final = tuple(s for s in schema.SURFACE_CLASSES if s != "unknown")


_UPGRADE_CONDITIONS: Final = tuple(c for c in schema.CONDITIONS if c != "unknown")


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
            raise ValueError(f"kelas permukaan tidak dikenal {bad} (pilihan: {list(schema.SURFACE_CLASSES)})")
        return v

    @field_validator("condition")
    @classmethod
    def _conditions(cls, v: list[str] | None) -> list[str] | None:
        bad = [c for c in v or [] if c not in schema.CONDITIONS]
        if bad:
            raise ValueError(f"kondisi tidak dikenal {bad} (pilihan: {list(schema.CONDITIONS)})")
        return v

    @field_validator("to_surface")
    @classmethod
    def _to_surface(cls, v: str | None) -> str | None:
        if v is not None and v not in _UPGRADE_SURFACES:
            raise ValueError(f"harus salah satu dari {list(_UPGRADE_SURFACES)}")
        return v

    @field_validator("to_condition")
    @classmethod
    def _to_condition(cls, v: str | None) -> str | None:
        if v is not None and v not in _UPGRADE_CONDITIONS:
            raise ValueError(f"harus salah satu dari {list(_UPGRADE_CONDITIONS)}")
        return v

    @field_validator("unit_cost_rp_per_km")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("harus angka rupiah per km yang terhingga")
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
            msgs.append(f"filter belum ada: {missing}")
        if extra:
            msgs.append(f"filter tidak dikenal {extra} (pilihan: {need}; 'all' = semua jalan)")
        if bad:
            msgs.append(f"kewenangan tidak dikenal {bad} (pilihan: {list(schema.AUTHORITIES)})")
        if msgs:
            raise ValueError("; ".join(msgs))
        return v

    @field_validator("upgrades")
    @classmethod
    def _ids(cls, v: dict[str, UpgradeOption]) -> dict[str, UpgradeOption]:
        bad = [k for k in v if not _ID.match(k)]
        if bad:
            raise ValueError(f"id peningkatan harus pengenal huruf kecil: {bad}")
        return v

    def allowed(self, authority: str) -> list[str] | None:
        """Road authorities an ``--authority`` choice covers (None = every road)."""
        if authority not in AUTHORITY_CHOICES:
            raise SiapError(f"--authority '{authority}' tidak dikenal; "
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
        raise ConfigError("priorities: peningkatan yang memperlambat jalan:\n" + "\n".join(problems))


def _words(kind: str, codes: Iterable[str]) -> str:
    """Codes as lower-case words for a sentence ("rusak berat, tidak diketahui")."""
    return ", ".join("tidak diketahui" if c == "unknown" else label(kind, c).lower()
                     for c in codes)


def assumption_rows(config: PrioritiesConfig, network: NetworkConfig, *, synthetic: bool,
                    budget: float | None = None, authority: str | None = None,
                    configs: Mapping[str, ConfigText] | None = None) -> pd.DataFrame:
    """The configuration files (``configs``, name -> text), then every unit cost, weight,
    filter, speed and method note, marked when assumed."""
    rows: list[dict[str, str]] = config_rows(configs or {})

    def add(part: str, key: str, value: object, note: str, assumed: bool) -> None:
        rows.append({"Bagian": part, "Kunci": key, "Nilai": str(value),
                     "Keterangan": ("ASUMSI. " if assumed else "") + note})

    if synthetic:
        add("Data", "sintetis", "ya",
            "DATA CONTOH (SINTETIS): jalan, destinasi atau UMKM ini dibuat oleh generator, "
            "bukan data wilayah nyata; angka di sini hanya peragaan", False)
    for oid, opt in config.upgrades.items():
        scope = (f"permukaan {_words('surface', opt.surfaces())}; kondisi "
                 f"{_words('condition', opt.conditions())} -> permukaan "
                 f"{_words('surface', [opt.to_surface]) if opt.to_surface else '(tetap)'}, "
                 f"kondisi "
                 f"{_words('condition', [opt.to_condition]) if opt.to_condition else '(tetap)'}")
        add("Biaya satuan", f"upgrades.{oid}", f"{fmt.rupiah(opt.unit_cost_rp_per_km)} per km",
            f"{opt.label}: {scope}. Sumber: {opt.source}", opt.assumption)
    w = config.weights
    add("Bobot", "weights.gateway_destination", value_text(w.gateway_destination),
        f"setiap pasangan gerbang -> destinasi, dikali kolom '{w.importance_column}' "
        f"(kosong = {value_text(w.default_importance)}). {w.source}", w.assumption)
    add("Bobot", "weights.kampung", value_text(w.kampung),
        f"setiap kampung -> destinasi terdekat. {w.source}", w.assumption)
    for name, allowed in config.authority_filter.items():
        add("Kewenangan", f"authority_filter.{name}", ", ".join(allowed),
            f"jalan yang boleh ditingkatkan untuk pilihan --authority {name}", False)
    if authority is not None:
        add("Kewenangan", "kewenangan dipakai", authority,
            "pilihan --authority yang dipakai untuk tabel ini", False)
    if budget is not None:
        add("Anggaran", "anggaran", fmt.rupiah(budget),
            "pilihan --budget. Dipilih bertahap: ruas dengan manfaat per biaya terbaik yang "
            "masih muat dalam sisa anggaran, diterapkan, lalu sisa ruas dinilai ulang; ruas "
            "yang tidak menghemat menit tidak pernah dipilih. 'Urutan pilihan dalam program' "
            "= urutan itu; menit dihemat dan kenaikan skor dihitung sebagai tambahan dalam "
            "program, kolom 'bila ruas ini saja' untuk ruas itu sendiri", False)
    add("Metode", "menit dihemat", "menit",
        "penurunan total waktu tempuh tertimbang (gerbang -> destinasi dan kampung -> "
        "destinasi terdekat), sama persis dengan menghitung ulang semua rute", False)
    add("Metode", "manfaat per biaya", "menit per Rp 1 miliar",
        "menit dihemat bila ruas ini saja / (biaya / 1 miliar); peringkat = urutan manfaat "
        "per biaya, terbesar dahulu", False)
    add("Metode", "candidates.exclude_highway", ", ".join(config.candidates.exclude_highway),
        "kelas jalan yang bukan pekerjaan jalan PUPR (jalan setapak, tangga...): tidak "
        "ditingkatkan", False)
    add("Metode", "kenaikan skor", "jumlah poin skor",
        "perubahan skor kesiapan semua destinasi bila ruas ditingkatkan: waktu tempuh dan "
        "komposisi rute (indikator PU), UMKM dalam 15/30 menit, fasilitas terdekat dan moda; "
        "sama dengan menghitung ulang aksesibilitas dan skor", False)
    add("Metode", "permukaan tak diketahui", "-",
        "permukaan tak diketahui hanya ditingkatkan bila kondisinya diketahui buruk", True)
    for _, r in network.assumptions().iterrows():
        add("Kecepatan (network.toml)", str(r["key"]), value_text(r["value"]), str(r["source"]),
            bool(r["assumption"]))
    return pd.DataFrame(rows)


def priorities_assumptions(config: PrioritiesConfig, network: NetworkConfig, *,
                           synthetic: bool, budget: float | None = None,
                           authority: str | None = None,
                           configs: Mapping[str, ConfigText] | None = None) -> pd.DataFrame:
    """The 'Asumsi' table of a priorities output computed with these configurations: the
    files (``configs``, name -> text) then every unit cost, weight, filter and speed."""

    return assumption_rows(config, network, synthetic=synthetic, budget=budget,
                           authority=authority, configs=configs)


def signed_text(value: float) -> str:
    """A score change with its sign, in Indonesian format (``+1,25``, ``-0,50``)."""
    text = fmt.number(value, 2)
    return text if text.startswith(("-", fmt.UNKNOWN)) else "+" + text
