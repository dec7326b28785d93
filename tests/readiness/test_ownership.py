"""Ownership of layers and columns (readiness.toml ``[dimensions.X.owns]``) and the scope
check every write goes through (issue 12).

The expected scope of each agency is written out by hand below from the issue's table
(Pariwisata: destinations and their site attributes; PU: road condition, surface and
authority; Koperasi & UMKM: UMKM; Kominfo: promotion and signal; Perhubungan: gateways and
services; Bappeda: no data layer), never read from the code under test.
"""

from __future__ import annotations

import tomllib
from itertools import product
from typing import Any

import pytest

from geo.accounts import ROLES, User
from geo.exceptions import ConfigError, ScopeError
from geo.readiness import load_readiness_config, readiness_config_from_dict
from geo.readiness.config import EDITABLE_LAYERS
from geo.readiness.ownership import check_scope, editable_columns
from tests._paths import PROJECT_ROOT as REPO

# --- the hand-written reference -------------------------------------------------------------

LAYER_OWNER = {"destinations": "pariwisata", "umkm": "umkm", "gateways": "perhubungan",
               "roads": None}
NAMED_COLUMNS = {
    ("roads", "condition"): "pu",
    ("roads", "surface"): "pu",
    ("roads", "authority"): "pu",
    ("destinations", "promosi_portal"): "kominfo",
    ("destinations", "promosi_medsos"): "kominfo",
    ("destinations", "papan_petunjuk"): "kominfo",
    ("destinations", "sinyal"): "kominfo",
    ("destinations", "layanan_per_minggu"): "perhubungan",
}
# One ordinary column per layer (owned through the layer, by nobody for roads).
PLAIN_COLUMNS = {"destinations": ["name", "pengunjung_tahun", "daya_tarik", "fasilitas"],
                 "umkm": ["name", "type"], "gateways": ["name", "kind"],
                 "roads": ["highway", "maxspeed", "name"]}
AGENCIES = ["pariwisata", "pu", "umkm", "kominfo", "perhubungan", "bappeda"]


def _expected(agency: str, layer: str, column: str | None, adds_rows: bool) -> bool:
    if agency == "bappeda":  # the admin agency edits no data layer at all
        return False
    if adds_rows and LAYER_OWNER[layer] != agency:
        return False
    if column is None:
        return True
    owner = NAMED_COLUMNS.get((layer, column), LAYER_OWNER[layer])
    return owner == agency


CASES = [(a, layer, c, rows)
         for a, layer in product(AGENCIES, EDITABLE_LAYERS)
         for c in [*PLAIN_COLUMNS[layer], *[col for (ly, col) in NAMED_COLUMNS if ly == layer],
                   None]
         for rows in (False, True)]


@pytest.fixture(scope="module")
def config():
    return load_readiness_config()


def test_the_reference_covers_every_agency_of_the_configuration(config) -> None:
    assert set(config.dimensions) | {"bappeda"} == set(AGENCIES)
    assert set(LAYER_OWNER) == set(EDITABLE_LAYERS)


@pytest.mark.parametrize(("agency", "layer", "column", "adds_rows"), CASES)
def test_scope_matrix(config, agency: str, layer: str, column: str | None,
                      adds_rows: bool) -> None:
    for role in ("editor", "admin"):
        user = User(f"{agency}-{role}", agency, role)  # type: ignore[arg-type]
        columns = [] if column is None else [column]
        if _expected(agency, layer, column, adds_rows):
            check_scope(config, user, layer, columns, adds_rows=adds_rows)
        else:
            with pytest.raises(ScopeError) as exc:
                check_scope(config, user, layer, columns, adds_rows=adds_rows)
            message = str(exc.value)
            assert f"'{layer}'" in message
            if agency in config.dimensions:
                assert config.dimensions[agency].agency in message
                if column is not None and not (adds_rows and LAYER_OWNER[layer] != agency):
                    assert column in message
            else:
                assert agency in message


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_viewer_writes_nothing(config, agency: str) -> None:
    user = User("v", agency, "viewer")
    with pytest.raises(ScopeError, match="hanya boleh membaca"):
        check_scope(config, user, "destinations", ["name"])


def test_roles_are_the_three_of_the_issue() -> None:
    assert ROLES == ("viewer", "editor", "admin")


def test_bookkeeping_columns_follow_the_value(config) -> None:
    pu = User("p", "pu", "editor")
    check_scope(config, pu, "roads", ["condition", "condition_source", "surface_class",
                                      "provenance"])
    with pytest.raises(ScopeError, match="highway"):
        check_scope(config, pu, "roads", ["condition", "highway"])


def test_the_message_names_every_column_outside_and_their_owner(config) -> None:
    kominfo = User("k", "kominfo", "editor")
    with pytest.raises(ScopeError) as exc:
        check_scope(config, kominfo, "destinations", ["sinyal", "name", "daya_tarik"])
    msg = str(exc.value)
    assert "Diskominfo" in msg and "daya_tarik, name" in msg and "Dinas Pariwisata" in msg
    assert "sinyal" not in msg.split("kolom", 1)[1].split("pada", 1)[0]


def test_editable_columns_lists_what_a_form_may_show(config) -> None:
    cols = ["name", "promosi_portal", "sinyal", "layanan_per_minggu", "provenance"]
    assert editable_columns(config, "kominfo", "destinations", cols) == [
        "promosi_portal", "sinyal", "provenance"]
    assert editable_columns(config, "pariwisata", "destinations", cols) == ["name", "provenance"]


# --- loading -----------------------------------------------------------------------------------


def _raw() -> dict[str, Any]:
    return tomllib.loads((REPO / "data" / "readiness.toml").read_text(encoding="utf-8"))


def test_a_column_owned_by_two_agencies_is_an_error() -> None:
    raw = _raw()
    raw["dimensions"]["pu"]["owns"]["columns"].append("destinations.sinyal")
    with pytest.raises(ConfigError, match="destinations.sinyal.*kominfo|kominfo.*destinations.sinyal"):
        readiness_config_from_dict(raw)


def test_a_layer_owned_by_two_agencies_is_an_error() -> None:
    raw = _raw()
    raw["dimensions"]["umkm"]["owns"]["layers"].append("destinations")
    with pytest.raises(ConfigError, match="destinations"):
        readiness_config_from_dict(raw)


@pytest.mark.parametrize("owns", [{"layers": ["hotels"]}, {"columns": ["hotels.name"]},
                                  {"columns": ["roads"]}, {"columns": ["roads.Bad Name"]},
                                  {"tables": ["roads"]}])
def test_unknown_layers_and_malformed_columns_are_errors(owns: dict[str, list[str]]) -> None:
    raw = _raw()
    raw["dimensions"]["pu"]["owns"] = owns
    with pytest.raises(ConfigError, match="pu.owns"):
        readiness_config_from_dict(raw)


def test_a_dimension_without_owns_owns_nothing() -> None:
    raw = _raw()
    del raw["dimensions"]["umkm"]["owns"]
    config = readiness_config_from_dict(raw)
    with pytest.raises(ScopeError):
        check_scope(config, User("m", "umkm", "editor"), "umkm", ["name"], adds_rows=True)
