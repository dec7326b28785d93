"""What an installed SIAP Wisata reads ships inside it, and every setting lives in one place.

Checked against the repository's own files (data/*.toml, pyproject.toml, the README, the
CSS files npm installed), not against the code that reads them.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geo._config import default_config_text
from geo.exceptions import ConfigError, WorkspaceError
from geo.io.workspace import lock_timeout
from geo.network import load_network_config
from geo.priorities import load_priorities_config
from geo.readiness import load_readiness_config
from geo.settings import Settings, env_name, find_shared_data, get_settings
from maps._assets import LOCAL_ASSETS, asset_roots, resolve
from tests._paths import PROJECT_ROOT

CONFIGS = ("readiness.toml", "network.toml", "priorities.toml")
PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _no_config_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("readiness_config", "network_config", "priorities_config", "assets_dir"):
        monkeypatch.delenv(env_name(name), raising=False)


@pytest.mark.parametrize("name", CONFIGS)
def test_packaged_default_is_the_repository_file(name: str) -> None:
    assert default_config_text(name) == (PROJECT_ROOT / "data" / name).read_text(encoding="utf-8")


def test_unknown_default_config_is_refused() -> None:
    with pytest.raises(ConfigError, match="bukan file konfigurasi bawaan"):
        default_config_text("../pyproject.toml")


@pytest.mark.parametrize(("name", "load"), [("readiness.toml", load_readiness_config),
                                            ("network.toml", load_network_config),
                                            ("priorities.toml", load_priorities_config)])
def test_loaders_default_to_the_packaged_file_and_honour_the_setting(
        name: str, load, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    repo_file = PROJECT_ROOT / "data" / name
    assert load() == load(repo_file)
    # The setting points at another file: a copy loads like the default, a broken one is
    # refused naming the file, so the setting is what was read.
    copy = tmp_path / name
    copy.write_text(repo_file.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv(env_name(name.removesuffix(".toml") + "_config"), str(copy))
    assert load() == load(repo_file)
    copy.write_text("[rusak\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(str(copy))):
        load()


def test_bad_config_setting_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIAPWISATA_NETWORK_CONFIG", str(tmp_path / "tidak-ada.toml"))
    with pytest.raises(ConfigError, match="tidak-ada.toml"):
        load_network_config()


def test_every_setting_has_an_environment_variable_and_a_description() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert env_name(name) in readme, f"{env_name(name)} not documented in the README"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SIAPWISATA_API_CACHE_MB", "64")
    monkeypatch.setenv("SIAPWISATA_LOCK_TIMEOUT", "2.5")
    monkeypatch.setenv("SIAPWISATA_TILES_URL", "http://ubin.lokal/{z}/{x}/{y}.png")
    monkeypatch.setenv("SIAPWISATA_DATA_DIR", str(tmp_path))
    s = get_settings()
    assert (s.api_cache_mb, s.lock_timeout, s.data_dir) == (64, 2.5, tmp_path)
    assert s.tiles_url == "http://ubin.lokal/{z}/{x}/{y}.png"
    assert lock_timeout() == 2.5
    # an explicit value (a CLI option) beats the environment; None passes through
    assert get_settings(data_dir=tmp_path / "x", cache_dir=None).data_dir == tmp_path / "x"


@pytest.mark.parametrize(("var", "value"), [("SIAPWISATA_API_CACHE_MB", "banyak"),
                                            ("SIAPWISATA_API_RECOMPUTE_WORKERS", "0"),
                                            ("SIAPWISATA_API_RECOMPUTE_QUEUE", "-1"),
                                            ("SIAPWISATA_LOCK_TIMEOUT", "nan")])
def test_bad_setting_names_its_variable(monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=var):
        get_settings()
    if var == "SIAPWISATA_LOCK_TIMEOUT":
        with pytest.raises(WorkspaceError, match=var):
            lock_timeout()


def test_shared_data_is_found_from_any_folder_below(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "shared" / "data").mkdir(parents=True)
    deep = work / "repo" / "notebooks"
    deep.mkdir(parents=True)
    assert find_shared_data(deep) == (work / "shared" / "data").resolve()
    assert find_shared_data(work / "shared" / "data") == (work / "shared" / "data").resolve()
    lone = tmp_path / "lone"
    lone.mkdir()
    above = [p / "shared" / "data" for p in lone.resolve().parents
             if (p / "shared" / "data").is_dir()]
    assert find_shared_data(lone) == (above[0] if above else None)


def test_demo_without_data_folder_names_the_setting(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from geo.cli import app

    monkeypatch.delenv("SIAPWISATA_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    if find_shared_data() is not None:
        pytest.skip("a shared/data folder lies above the temporary folder")
    res = CliRunner().invoke(app, ["demo", "--workspace", str(tmp_path / "d.gpkg")])
    assert res.exit_code != 0
    assert isinstance(res.exception, ConfigError)
    assert "SIAPWISATA_DATA_DIR" in str(res.exception) and "--data-dir" in str(res.exception)
    assert not (tmp_path / "d.gpkg").exists()


def _package_data(package: str) -> list[str]:
    return PYPROJECT["tool"]["setuptools"]["package-data"][package]


_CSS_REF = re.compile(r"""url\(\s*["']?(?!data:|[a-z]+:|/|#)([^"')?#]+)""", re.IGNORECASE)


def test_wheel_package_data_covers_every_map_asset() -> None:
    """Each npm file a map loads, and each image its CSS refers to, is matched by a
    ``maps`` package-data pattern, so the wheel cannot ship without it."""
    patterns = _package_data("maps")
    npm = asset_roots()["npm"]
    needed = set()
    for rel in LOCAL_ASSETS.values():
        if not rel.startswith("npm/"):
            continue
        needed.add(rel)
        if rel.endswith(".css"):
            folder = Path(rel).parent
            text = (npm / rel.removeprefix("npm/")).read_text(encoding="utf-8")
            needed |= {_norm(folder / ref) for ref in _CSS_REF.findall(text)}
    missing = sorted(p for p in needed if not any(fnmatch.fnmatch(p, pat) for pat in patterns))
    assert missing == []
    assert all(resolve(p) is not None for p in needed)


def _norm(path: Path) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def test_wheel_package_data_covers_configs_and_templates() -> None:
    assert "data/*.toml" in _package_data("geo")
    assert "templates/*.html" in _package_data("api")
    reports = sorted((PROJECT_ROOT / "geo" / "report" / "templates").iterdir())
    assert reports and all(any(fnmatch.fnmatch(f"report/templates/{p.name}", pattern)
                               for pattern in _package_data("geo")) for p in reports)
    assert "geo.report" in PYPROJECT["tool"]["setuptools"]["packages"]
    assert all(fnmatch.fnmatch(f"data/{name}", "data/*.toml") for name in CONFIGS)


def test_dependencies() -> None:
    project = PYPROJECT["project"]
    runtime = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0]: d for d in project["dependencies"]}
    assert "networkx" not in runtime  # only tests and benchmarks use it
    assert any(d.startswith("networkx") for d in project["optional-dependencies"]["dev"])
    assert re.fullmatch(r"osmnx>=2(\.\d+)*,<3", runtime["osmnx"])
    assert "pydantic-settings" in runtime
    imports = re.compile(r"^\s*(?:import|from)\s+networkx\b", re.MULTILINE)
    users = [str(p.relative_to(PROJECT_ROOT)) for pkg in ("geo", "api", "maps")
             for p in (PROJECT_ROOT / pkg).rglob("*.py") if imports.search(p.read_text("utf-8"))]
    assert users == []
