"""Schemathesis over the whole OpenAPI, authenticated (issue 12).

The sibling :mod:`tests.api.test_schemathesis` calls every operation anonymously, so the
writes only ever hear 401. Here every operation runs with an API token
(``Authorization: Bearer``) of an account that may make it, on a private copy of the served
demo workspace: the writes of an agency's layer with an editor of that agency (as
readiness.toml's ``owns`` declares), rollback with the Bappeda admin, everything else with
the PU editor. So the write endpoints are exercised past the login: requests that
schemathesis derives from the description, valid and invalid, must never give a 5xx, must
conform to the description (status, content type, headers, body), a valid token must never
hear 401, and a valid write must be accepted or refused with a documented 4xx (403 outside
the agency's scope, 404 unknown id, 409 stale preview, 422 values the domain refuses).

Before the generated requests, one hand-written valid write per write family goes through
(2xx), so the run is known to reach the writes. Recomputation is off (the tests of the
writer queue cover it): the example counts are bounded so the file stays a few minutes on
2 cores; the counts run are written to tests/artifacts/schemathesis-auth-counts.json.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from api.services.writes import Writes
from geo.io.workspace import Workspace
from geo.steps.accounts import add_user, create_token
from tests.api._writers import NO_RECOMPUTE, agencies, copy_served, csv_bytes
from tests.api.test_schemathesis import HEAVY, OPERATIONS, _strategy, _weights_overflow

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
READ_EXAMPLES = 8
HEAVY_EXAMPLES = 3
WRITE_EXAMPLES = 25
WRITE_ACCEPTED = {403, 404, 409, 422}
"""The documented refusals of a schema-valid write by an account that may write."""
COUNTS: Counter[str] = Counter()
STATUSES: dict[str, Counter[int]] = {}

# Which account makes an operation: the agency owning what it writes (readiness.toml
# ``owns``: pariwisata the destinations, pu the roads, umkm the UMKM), the admin agency
# for rollback; the PU editor for uploads (road surveys) and every read.
ACCOUNT_OF = (
    (r"/destina", "pariwisata"),
    (r"/(api/roads|kontribusi/jalan)", "pu"),
    (r"/(api/umkm|kontribusi/umkm)", "umkm"),
    (r"/(api/rollback|riwayat/kembalikan)", "admin"),
)


def _account(path: str) -> str:
    for pattern, who in ACCOUNT_OF:
        if re.search(pattern, path):
            return who
    return "pu"


def _writes(method: str, path: str) -> bool:
    return method in ("POST", "PATCH", "PUT", "DELETE") and path != "/api/score"


@pytest.fixture(scope="module")
def authed(tmp_path_factory: pytest.TempPathFactory, served: Path
           ) -> Iterator[tuple[Any, dict[str, str], TestClient]]:
    """(schema, token per account, client) of an app over a private copy of the served
    workspace with an editor of each writing agency and an admin."""
    path = copy_served(served, tmp_path_factory.mktemp("schemathesis-auth"))
    dims, admin = agencies()
    tokens: dict[str, str] = {}
    ws = Workspace(path)
    for agency, role in (("pariwisata", "editor"), ("pu", "editor"), ("umkm", "editor"),
                         (admin, "admin")):
        name = f"st-{agency}"
        add_user(ws, name, agency, role, f"kata-sandi-{agency}-2026", admin_agency=admin,
                 agencies=[*dims, admin])
        tokens["admin" if role == "admin" else agency] = create_token(ws, name, "schemathesis")
    writes = Writes(str(path), processes=False, job=NO_RECOMPUTE)
    app = create_app(path, writes=writes)
    config = schemathesis.config.SchemathesisConfig.from_dict({
        "generation": {"mode": "all"},
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404"]}},
    })
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    with TestClient(app, follow_redirects=False) as client:
        yield schema, tokens, client


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    yield
    if COUNTS:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "schemathesis-auth-counts.json").write_text(json.dumps(
            {op: {"examples": n, "statuses": dict(sorted(STATUSES[op].items()))}
             for op, n in sorted(COUNTS.items())}, indent=1), encoding="utf-8")


def _bearer(tokens: dict[str, str], path: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[_account(path)]}"}


def test_valid_writes_go_through_with_a_token(authed) -> None:  # type: ignore[no-untyped-def]
    """One valid write per family, each by the agency owning it: accepted (2xx/303)."""
    _, tokens, client = authed
    ws = Workspace(client.app.state.store.path)  # type: ignore[attr-defined]
    dest = str(ws.read("destinations")["id"].iloc[0])
    umkm = str(ws.read("umkm")["id"].iloc[0])
    road = csv_bytes([{"ruas_id": "R00264", "kondisi": "rusak ringan", "permukaan": "kerikil"}])
    r = client.post("/api/uploads", data={"kind": "road-conditions"},
                    files={"file": ("jalan.csv", road, "text/csv")},
                    headers=_bearer(tokens, "/api/uploads"))
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    calls = [
        ("POST", f"/api/uploads/{token}/apply", {}),
        ("PATCH", f"/api/destinations/{dest}", {"json": {"pengunjung_tahun": 4321}}),
        ("PATCH", "/api/roads/R00264", {"json": {"condition": "baik", "surface": "aspal"}}),
        ("PATCH", f"/api/umkm/{umkm}", {"json": {"name": "Warung Uji Skema"}}),
        ("POST", "/api/umkm", {"json": {"name": "Kios Uji", "type": "kuliner",
                                        "lon": 136.89, "lat": -4.55}}),
        ("POST", "/api/rollback", {"json": {"version": 1}}),
    ]
    for method, url, kwargs in calls:
        r = client.request(method, url, headers=_bearer(tokens, url), **kwargs)
        assert r.status_code == 200, (method, url, r.text)
        assert r.json()["version"] >= 1
    # the same writes by the wrong agency are refused with the reason, never as not logged in
    r = client.patch("/api/roads/R00264", json={"condition": "baik"},
                     headers={"Authorization": f"Bearer {tokens['umkm']}"})
    assert r.status_code == 403, r.text


@pytest.mark.parametrize(("method", "path"), OPERATIONS,
                         ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_follows_the_schema_authenticated(authed, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import given
    from schemathesis.generation.modes import GenerationMode

    schema, tokens, _ = authed
    heavy = re.match(HEAVY, path) is not None
    write = _writes(method, path)
    operation = schema[path][method]
    headers = _bearer(tokens, path)
    label = f"{method} {path}"
    seen = STATUSES.setdefault(label, Counter())

    @settings(max_examples=WRITE_EXAMPLES if write else HEAVY_EXAMPLES if heavy
              else READ_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=_strategy(operation))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        COUNTS[label] += 1
        checks = [not_a_server_error, status_code_conformance, content_type_conformance,
                  response_headers_conformance, response_schema_conformance]
        if not (write or _weights_overflow(case)):
            checks.append(positive_data_acceptance)
        response = case.call_and_validate(headers=headers, checks=checks,
                                          timeout=300 if heavy else 60)
        status = response.status_code
        seen[status] += 1
        assert status != 401, f"{label}: a valid token heard 401: {response.text[:300]}"
        positive = case.meta is not None and case.meta.generation.mode == \
            GenerationMode.POSITIVE
        if write and positive:
            assert status < 400 or status in WRITE_ACCEPTED, (
                f"{label}: a valid write answered {status}: {response.text[:300]}")

    run()
