"""Loading TOML configuration into pydantic models, with errors that name the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .exceptions import ConfigError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every configuration model: unknown keys are errors (typos must not pass)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigMeta(StrictModel):
    """The optional ``[meta]`` table of a configuration file."""

    name: str = ""
    version: int = 1
    note: str = ""


def load_toml_model(path: str | Path, model: type[M]) -> M:
    """Read ``path`` and validate it as ``model``.

    Raises
    ------
    ConfigError
        If the file is missing, not TOML, or fails validation; the message names the file
        and every offending key as a dotted path (``dimensions.pu.weight``).
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file konfigurasi tidak ditemukan (config file not found)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: bukan TOML yang sah (invalid TOML): {exc}") from None
    return validate_model(raw, model, source=str(path))


def validate_model(raw: object, model: type[M], *, source: str) -> M:
    """Validate an already-parsed mapping, turning pydantic errors into a ConfigError."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            key = ".".join(str(p) for p in e["loc"]) or "(root)"
            lines.append(f"  - key '{key}': {e['msg']}")
        raise ConfigError(f"{source}: konfigurasi tidak sah (invalid configuration):\n"
                          + "\n".join(lines)) from None
