"""Settings: every option of SIAP Wisata in one validated object.

Values come from the defaults below, then environment variables prefixed ``SIAPWISATA_``
(``data_dir`` is read from ``SIAPWISATA_DATA_DIR``), then explicit keyword arguments (CLI
options). Read them with :func:`get_settings`; each call reads the environment afresh.

Nothing here points into the source tree: the default configuration files ship inside
the package (:func:`geo._config.default_config_text`) and a config path left ``None``
means "the packaged default".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from geo.exceptions import ConfigError, validation_text

SOFTWARE_NAME = "siapwisata"
ENV_PREFIX: Final = "SIAPWISATA_"
SHARED_DATA: Final = Path("shared") / "data"
"""Where the workplace keeps the real shared data, beside the repository."""


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(SOFTWARE_NAME)
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def find_shared_data(start: Path | None = None) -> Path | None:
    """The first ``shared/data`` folder in ``start`` (default: the working directory) or
    one of its parents, as the workplace lays it out beside a clone; ``None`` if none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SHARED_DATA).is_dir():
            return folder / SHARED_DATA
    return None


class Settings(BaseSettings):
    """All settings, each from ``SIAPWISATA_<NAME>`` (upper case) or a keyword argument."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore",
                                      validate_default=True)

    data_dir: Path | None = Field(
        default_factory=find_shared_data,
        description="Folder of the real shared data (``mimika/``, ``osm/``) that ``demo``, "
                    "the notebooks and the tests read. Default: the first ``shared/data`` "
                    "in the working directory or one of its parents; ``None`` if there is "
                    "none (``demo`` then needs ``--data-dir``).")
    readiness_config: Path | None = Field(
        default=None, description="Readiness indicator file (TOML) used when a command gets "
                                  "no ``--config``; ``None``: the packaged ``readiness.toml``.")
    network_config: Path | None = Field(
        default=None, description="Network speeds and snapping file (TOML); ``None``: the "
                                  "packaged ``network.toml``.")
    priorities_config: Path | None = Field(
        default=None, description="Road-works options and unit costs (TOML); ``None``: the "
                                  "packaged ``priorities.toml``.")
    cache_dir: Path = Field(
        default=Path("~/.cache/siapwisata"),
        description="Where downloaded Overpass responses are cached (``cache_dir/overpass``).")
    overpass_url: str = Field(default="https://overpass-api.de/api",
                              description="Overpass API endpoint used by ``fetch-osm``.")
    assets_dir: Path | None = Field(
        default=None, description="Folder holding the npm map packages (``leaflet/``, "
                                  "``leaflet.markercluster/`` …, laid out as ``npm ci`` does); "
                                  "``None``: the copies shipped inside the ``maps`` package.")
    tiles_url: str | None = Field(
        default=None, description="Basemap tile URL template (``{z}/{x}/{y}``), e.g. a local "
                                  "tile server; ``None``: no basemap (the maps are drawn to be "
                                  "read without one, offline).")
    tiles_attribution: str = Field(default="© OpenStreetMap contributors",
                                   description="Attribution shown with ``tiles_url``.")
    basemaps: Literal["offline", "online"] = Field(
        default="offline",
        description="``online``: the maps' layer control offers OpenStreetMap and Esri "
                    "satellite imagery (loaded by the browser from those two hosts, which the "
                    "pages' policy then allows); ``offline``: no page loads anything from "
                    "another host.")
    tiles_file: Path | None = Field(
        default=None,
        description="A local basemap file (``.mbtiles`` or ``.pmtiles``, raster or vector) "
                    "that ``serve`` answers at ``/tiles/{z}/{x}/{y}.<ext>`` and the maps show "
                    "as \"Peta dasar lokal\"; ``None``: none.")
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Host names (``Host`` header) that ``serve`` answers besides "
                                "127.0.0.1 and localhost, comma-separated; ``*.example.org`` "
                                "allows subdomains.")
    lock_timeout: float = Field(
        default=600.0, ge=0, allow_inf_nan=False,
        description="Seconds a workspace writer waits for another one before giving up: long "
                    "enough for a score or priorities run on a regency, short enough to notice "
                    "a hung one.")
    workers: int | None = Field(
        default=None, ge=1,
        description="Processes the commands ``ingest-osm``, ``fetch-osm``, ``score``, "
                    "``priorities`` and ``scenario`` fork for the parts of one region's "
                    "computation that run independently (the two passes over an OSM file, the "
                    "destination scans, the candidates' score gains); ``None``: one per core "
                    "this process may use. The results do not depend on it. The API and the "
                    "batch's Dask workers always compute in one process.")
    api_recompute_workers: int = Field(
        default=1, ge=1, description="Recomputations (new budgets or weights) the API runs at "
                                     "once; one leaves the other core of a 2-core server to "
                                     "cached pages.")
    api_recompute_queue: int = Field(
        default=4, ge=0, description="Recomputations waiting beyond the running ones; beyond "
                                     "that the API answers 503 with Retry-After.")
    api_cache_mb: int = Field(default=256, ge=1,
                              description="Memory bound of the API's response cache (MB), "
                                          "least recently used out first.")
    secret_key: SecretStr | None = Field(
        default=None, description="Key that signs the server's session cookies and CSRF "
                                  "tokens (at least 32 characters); ``None``: a random key "
                                  "kept in ``.NAME.secret`` beside the workspace (mode 0600), "
                                  "made on first use.")
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, allow_inf_nan=False,
        description="Hours a login lasts (a working day by default); logout ends it at once.")
    debug: bool = Field(default=False,
                        description="Show tracebacks of unexpected errors in the command line.")

    def require_data_dir(self) -> Path:
        """``data_dir``, or a clear error when none is set or found.

        Raises
        ------
        ConfigError
            Naming ``--data-dir`` and ``SIAPWISATA_DATA_DIR``.
        """
        if self.data_dir is None:
            raise ConfigError(
                f"folder data bersama tidak ditemukan: tidak ada '{SHARED_DATA}' di folder kerja "
                f"ini atau induknya; berikan --data-dir DIR atau setel {env_name('data_dir')}")
        return self.data_dir

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, v: object) -> object:
        if isinstance(v, str):  # from the environment: "a.example, b.example"
            return tuple(h.strip() for h in v.split(",") if h.strip())
        return v

    @field_validator("secret_key")
    @classmethod
    def _long_key(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < 32:
            raise ValueError("paling sedikit 32 karakter (mis. python -c 'import "
                             "secrets; print(secrets.token_hex(32))')")
        return v

    @field_validator("basemaps", mode="before")
    @classmethod
    def _lower(cls, v: object) -> object:
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("tiles_url", "tiles_file", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("data_dir", "cache_dir", "readiness_config", "network_config",
                     "priorities_config", "assets_dir", "tiles_file")
    @classmethod
    def _expand(cls, v: Path | None) -> Path | None:
        return v.expanduser() if v is not None else None


def env_name(field: str) -> str:
    """The environment variable of a setting: ``lock_timeout`` -> ``SIAPWISATA_LOCK_TIMEOUT``."""
    return f"{ENV_PREFIX}{field.upper()}"


def get_settings(**overrides: object) -> Settings:
    """Return settings from defaults, the environment and explicit ``overrides``.

    ``None`` overrides are ignored so CLI options can be passed straight through.

    Raises
    ------
    ConfigError
        A value that does not validate, naming its environment variable.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"  - {env_name(str(e['loc'][0])) if e['loc'] else '(settings)'}"
                 f"={e.get('input')!r}: {validation_text(e)}" for e in exc.errors()]
        raise ConfigError("pengaturan tidak sah:\n" + "\n".join(lines)) from None


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return get_settings()
