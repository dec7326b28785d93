"""Loading TOML configuration into pydantic models, with errors that name the key."""

from __future__ import annotations

import hashlib
import numbers
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Final, Literal, TypeVar

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from geo import schema
from geo.exceptions import ConfigError, validation_text

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every configuration model: unknown keys are errors (typos must not pass)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigMeta(StrictModel):
    """The optional ``[meta]`` table of a configuration file."""

    name: str = ""
    version: int = 1
    note: str = ""


DEFAULTS_PACKAGE: Final = "geo.data"
"""The default TOMLs ship as ``geo/data/*.toml``. In the repository ``geo/data`` links to the
top-level ``data/`` folder, which stays their one home; the wheel holds real copies
(``[tool.setuptools.package-data]`` in pyproject.toml)."""
DEFAULT_SOURCE: Final = "<bawaan>/{name}"
"""How a packaged default is named in messages and metadata (bawaan: built in)."""
ConfigName = Literal["readiness.toml", "network.toml", "priorities.toml"]
_SETTING: Final[dict[str, str]] = {"readiness.toml": "readiness_config",
                                   "network.toml": "network_config",
                                   "priorities.toml": "priorities_config"}


def default_config_text(name: str) -> str:
    """The text of a packaged default configuration file (``"readiness.toml"`` …).

    Read with :mod:`importlib.resources`, so it works alike from a source checkout, an
    editable install and a wheel.

    Raises
    ------
    ConfigError
        If ``name`` is not a packaged configuration file.
    """
    if name not in _SETTING:
        raise ConfigError(f"{name}: bukan file konfigurasi bawaan "
                          f"(pilihan: {', '.join(_SETTING)})")
    return (resources.files(DEFAULTS_PACKAGE) / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class ConfigText:
    """The text of a configuration file as a step used it: what the workspace records
    (metadata ``configs``) so that every output can show the configuration it came from."""

    path: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def name(self) -> str:
        return Path(self.path).name

    def record(self) -> dict[str, str]:
        """The JSON object stored in the workspace metadata."""
        return {"path": self.path, "sha256": self.sha256, "text": self.text}


CONFIG_ROLES: Final[dict[str, str]] = {
    "readiness": "konfigurasi kesiapan",
    "network": "konfigurasi jaringan dan kecepatan",
    "priorities": "konfigurasi prioritas jalan",
}
"""What each configuration file is, in the words of the 'Asumsi' sheets."""


def config_rows(texts: Mapping[str, ConfigText]) -> list[dict[str, str]]:
    """'Asumsi' rows naming each configuration file an output came from, with its sha256
    (two outputs rest on the same configuration exactly when the hashes agree)."""
    return [{"Bagian": "Konfigurasi", "Kunci": text.name, "Nilai": f"sha256 {text.sha256[:16]}",
             "Keterangan": f"{CONFIG_ROLES.get(name, name)}: {text.path}"}
            for name, text in texts.items()]


def value_text(value: object) -> str:
    """A configured value as the 'Asumsi' sheets show it, in Indonesian notation:
    ``1.750.000.000``, ``0,35``, ``ya``/``tidak``, lists joined by semicolons (the comma is
    the decimal mark), tables as
    ``key = value``."""
    from geo import fmt

    if isinstance(value, bool | np.bool_):
        return "ya" if value else "tidak"
    if isinstance(value, numbers.Real):
        x = float(value)
        if x.is_integer():
            return fmt.integer(x)
        return fmt.number(x, 6).rstrip("0").rstrip(",")
    if isinstance(value, Mapping):
        return "; ".join(f"{k} = {value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(value_text(v) for v in value)
    return "" if value is None else str(value)


def configured_path(field: str) -> Path | None:
    """The configuration file the settings name explicitly (environment ``SIAPWISATA_*``),
    or None when the setting is only the default.

    An operator's explicit choice outranks what a workspace recorded: a server started with
    ``SIAPWISATA_READINESS_CONFIG`` serves that configuration; otherwise it serves the one
    each stored layer was computed with.
    """
    from geo.settings import get_settings

    value = getattr(get_settings(), field)  # None: the packaged default
    return Path(value) if value is not None else None


def read_config_text(path: str | Path) -> ConfigText:
    """Read a configuration file's text (the steps read files; computations do not).

    Raises
    ------
    ConfigError
        If the file is missing or unreadable.
    """
    path = Path(path)
    try:
        return ConfigText(str(path), path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file konfigurasi tidak ditemukan") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: file konfigurasi tidak terbaca: {exc}") from None


def model_from_text(text: ConfigText, model: type[M]) -> M:
    """Validate a configuration text as ``model`` (errors name ``text.path`` and the key).

    Raises
    ------
    ConfigError
        Invalid TOML or an invalid key.
    """
    try:
        raw = tomllib.loads(text.text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{text.path}: bukan TOML yang sah: {exc}") from None
    return validate_model(raw, model, source=text.path)


def config_text(path: str | os.PathLike[str] | None, name: ConfigName) -> ConfigText:
    """The text of configuration ``name``: from ``path``, else from the path set in the
    settings (``SIAPWISATA_READINESS_CONFIG`` …), else the packaged default, named
    ``<bawaan>/NAME`` (built in) in messages, metadata and "Asumsi" sheets.

    Raises
    ------
    ConfigError
        If a named file is missing or unreadable.
    """
    if path is None:
        from geo.settings import get_settings

        path = getattr(get_settings(), _SETTING[name])
    if path is not None:
        return read_config_text(Path(path))
    return ConfigText(DEFAULT_SOURCE.format(name=name), default_config_text(name))


def load_config(path: str | os.PathLike[str] | None, model: type[M], name: ConfigName) -> M:
    """Load configuration ``name`` as ``model`` (see :func:`config_text` for which file).

    Raises
    ------
    ConfigError
        Naming the file (or ``<bawaan>/NAME``) and every offending key.
    """
    return model_from_text(config_text(path, name), model)


def load_toml_model(path: str | Path, model: type[M]) -> M:
    """Read ``path`` and validate it as ``model``.

    Raises
    ------
    ConfigError
        If the file is missing, not TOML, or fails validation; the message names the file
        and every offending key as a dotted path (``dimensions.pu.weight``).
    """
    return model_from_text(read_config_text(path), model)


def validate_model(raw: object, model: type[M], *, source: str) -> M:
    """Validate an already-parsed mapping, turning pydantic errors into a ConfigError."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            key = ".".join(str(p) for p in e["loc"]) or "(akar)"
            lines.append(f"  - kunci '{key}': {validation_text(e)}")
        raise ConfigError(f"{source}: konfigurasi tidak sah:\n"
                          + "\n".join(lines)) from None


def _plausible(key: str, *, allow_inf: bool = False) -> Callable[[float], float]:
    def check(v: float) -> float:
        if allow_inf and v == float("inf"):
            return v
        if (msg := schema.out_of_range(key, v)) is not None:
            raise ValueError(msg)
        return v

    return check



# Configuration numbers limited to their plausible range (schema.RANGES); the
# ConfigError names the key and the range. ``inf`` stays allowed where the TOML uses it
# for "no cap".
WalkSpeed = Annotated[float, AfterValidator(_plausible("walk_speed_kmh"))]
RoadSpeed = Annotated[float, AfterValidator(_plausible("road_speed_kmh"))]
RoadSpeedCap = Annotated[float, AfterValidator(_plausible("road_speed_kmh", allow_inf=True))]
WaterSpeed = Annotated[float, AfterValidator(_plausible("water_speed_kmh"))]
AirSpeed = Annotated[float, AfterValidator(_plausible("air_speed_kmh"))]
FixedMinutes = Annotated[float, AfterValidator(_plausible("fixed_minutes"))]
SnapDistance = Annotated[float, AfterValidator(_plausible("snap_distance_m"))]
UnitCost = Annotated[float, AfterValidator(_plausible("unit_cost_rp_per_km"))]
OdWeight = Annotated[float, AfterValidator(_plausible("od_weight"))]
Importance = Annotated[float, AfterValidator(_plausible("importance"))]
