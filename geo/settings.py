"""Settings: one small validated options object instead of scattered globals.

Values come from defaults, then environment variables prefixed ``SIAPWISATA_``, then
explicit keyword arguments (CLI options). Read them with :func:`get_settings`.

Attributes
----------
data_dir
    Folder with the real shared data (``mimika/``, ``osm/``). Default ``../shared/data``
    relative to the project root; env ``SIAPWISATA_DATA_DIR``.
cache_dir
    Where downloaded Overpass responses are cached. Env ``SIAPWISATA_CACHE_DIR``.
overpass_url
    Overpass API endpoint used by ``fetch-osm``. Env ``SIAPWISATA_OVERPASS_URL``.
readiness_config
    The default readiness indicator file (TOML). Env ``SIAPWISATA_READINESS_CONFIG``.
allowed_hosts
    Host names (``Host`` header) ``siapwisata serve`` answers besides 127.0.0.1 and
    localhost, e.g. the server's name or address on the office network. Env
    ``SIAPWISATA_ALLOWED_HOSTS``, comma-separated; ``*.example.org`` allows subdomains.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOFTWARE_NAME = "siapwisata"


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(SOFTWARE_NAME)
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    data_dir: Path = PROJECT_ROOT.parent / "shared" / "data"
    cache_dir: Path = PROJECT_ROOT / "cache"
    overpass_url: str = "https://overpass-api.de/api"
    readiness_config: Path = PROJECT_ROOT / "data" / "readiness.toml"
    priorities_config: Path = PROJECT_ROOT / "data" / "priorities.toml"
    allowed_hosts: tuple[str, ...] = ()

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, v: object) -> object:
        if isinstance(v, str):  # from the environment: "a.example, b.example"
            return tuple(h.strip() for h in v.split(",") if h.strip())
        return v

    @field_validator("data_dir", "cache_dir", "readiness_config", "priorities_config")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return Path(os.path.expanduser(str(v)))


_ENV = {
    "data_dir": "SIAPWISATA_DATA_DIR",
    "cache_dir": "SIAPWISATA_CACHE_DIR",
    "overpass_url": "SIAPWISATA_OVERPASS_URL",
    "readiness_config": "SIAPWISATA_READINESS_CONFIG",
    "priorities_config": "SIAPWISATA_PRIORITIES_CONFIG",
    "allowed_hosts": "SIAPWISATA_ALLOWED_HOSTS",
}


def get_settings(**overrides: object) -> Settings:
    """Return settings from defaults, the environment and explicit ``overrides``.

    ``None`` overrides are ignored so CLI options can be passed straight through.
    """
    values: dict[str, object] = {k: os.environ[e] for k, e in _ENV.items() if e in os.environ}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return get_settings()
