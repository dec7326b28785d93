"""Security headers, the Host check and the API contract (issue 10, items 1, 10, 11),
through httpx (FastAPI's TestClient) on the scored Mimika demo.

Independent references: inline scripts are found with the standard library's HTML parser
and hashed here; distrik choices and weight names are read from the workspace layer and
the readiness TOML directly; error bodies are validated with ``jsonschema`` against the
published /openapi.json.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from geo._config import default_config_text
from geo.io.workspace import Workspace
from geo.settings import get_settings
from maps._layers import Tiles
from tests._served import NO_PRIORITIES, has_priorities


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def _policy(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


class _Page(HTMLParser):
    """Inline scripts and styles, and event-handler attributes, of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.handlers: list[str] = []
        self._open: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handlers += [f"{tag} {k}" for k, _ in attrs if k.startswith("on")]
        if tag in ("script", "style") and not dict(attrs).get("src"):
            self._open, self._buf = tag, []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            (self.scripts if tag == "script" else self.styles).append("".join(self._buf))
            self._open = None


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# --- headers on every kind of response -------------------------------------------------


def _page_urls(served: Path) -> list[str]:
    first = Workspace(served).read_table("scores")["id"].iloc[0]
    urls = ["/", "/maps/readiness", "/maps/readiness?distrik=Mimika%20Baru", "/rapor",
            f"/destinasi/{first}"]
    if has_priorities(served):
        urls += ["/maps/priorities", "/maps/priorities?budget=1000000000&warna=benefit_cost"]
    return urls


def test_every_response_carries_the_security_headers(client: TestClient, served: Path,
                                                     scores_ids: list[str]) -> None:
    urls = [*_page_urls(served), "/health", "/openapi.json", "/api/destinations",
            f"/api/destinations/{scores_ids[0]}", f"/api/destinations/{scores_ids[0]}/reach",
            "/api/umkm", "/api/kampung", "/static/npm/leaflet/dist/leaflet.js",
            "/static/app/siapwisata.css", "/nowhere", "/api/destinations/nope",
            "/api/priorities?budget=-1", "/maps/readiness?distrik=Atlantis"]
    if has_priorities(served):
        urls += ["/api/priorities", "/api/priorities?format=csv"]
    responses = [client.get(u) for u in urls]
    responses += [client.delete("/api/destinations"),
                  client.post("/api/score", json={"weights": {"pu": "1"}}),
                  client.get("/", headers={"host": "evil.example"})]
    assert {r.status_code for r in responses} >= {200, 400, 404, 405, 422}
    for r in responses:
        where = f"{r.request.method} {r.request.url} -> {r.status_code}"
        assert r.headers["x-content-type-options"] == "nosniff", where
        assert r.headers["x-frame-options"] == "DENY", where
        policy = _policy(r.headers["content-security-policy"])
        assert policy["frame-ancestors"] == ["'none'"], where
        if r.headers["content-type"].startswith("text/html"):
            assert policy["default-src"] == ["'self'"], where
        else:
            assert policy["default-src"] == ["'none'"], where


def test_page_policy_allows_exactly_the_pages_own_inline_scripts(client: TestClient,
                                                                 served: Path) -> None:
    for url in _page_urls(served):
        r = client.get(url)
        assert r.status_code == 200, url
        policy = _policy(r.headers["content-security-policy"])
        page = _Page()
        page.feed(r.text)
        assert page.handlers == [], url  # no inline event handlers a CSP would block
        script_src = policy["script-src"]
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert set(script_src) == {"'self'", *map(_hash, page.scripts)}, url
        assert set(policy["style-src-elem"]) == {"'self'", *map(_hash, page.styles)}, url
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
        assert policy["connect-src"] == ["'self'"]
        assert set(policy["img-src"]) == {"'self'", "data:"}
        if url.startswith("/maps/"):
            assert page.scripts, "folium pages have inline scripts"


def test_measure_control_is_served_without_eval(client: TestClient) -> None:
    """leaflet-measure's templates are precompiled: nothing left calls _.template."""
    r = client.get("/static/npm/leaflet-measure/dist/leaflet-measure.js")
    assert r.status_code == 200
    assert "_.template(" not in r.text
    installed = (Path(__file__).resolve().parents[2]
                 / "node_modules/leaflet-measure/dist/leaflet-measure.js").read_text()
    assert installed.count("_.template(") == 5  # the five templates of leaflet-measure 2.x
    assert r.text.count("(function(render){return function(data)") == 5


def test_tile_server_images_are_allowed_when_configured(served: Path) -> None:
    tiles = Tiles("http://127.0.0.1:8081/{z}/{x}/{y}.png", "© local")
    with TestClient(create_app(served, tiles=tiles)) as c:
        policy = _policy(c.get("/maps/readiness").headers["content-security-policy"])
    assert set(policy["img-src"]) == {"'self'", "data:", "http://127.0.0.1:8081"}


def test_landing_page_escapes_names(served: Path, tmp_path: Path) -> None:
    path = tmp_path / "ws.gpkg"
    path.write_bytes(served.read_bytes())
    ws = Workspace(path)
    s = ws.read("scores")
    s.loc[0, "name"] = '<img src=x onerror="alert(1)">'
    with ws.update() as stage:
        stage.write("scores", s)
    with TestClient(create_app(path)) as c:
        page = c.get("/").text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


# --- Host header (DNS rebinding) ---------------------------------------------------------


def test_unknown_host_is_refused_with_a_json_400(client: TestClient, spec) -> None:
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil"):
        r = client.get("/api/destinations", headers={"host": host})
        assert r.status_code == 400, host
        body = r.json()
        jsonschema.validate(body, _error_schema(spec))
        assert "tidak diizinkan" in body["detail"] and "--allow-host" in body["detail"]
        assert body["errors"][0]["field"] == "header.host"


def test_default_hosts(served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIAPWISATA_ALLOWED_HOSTS", raising=False)
    with TestClient(create_app(served)) as c:
        assert c.get("/health").status_code == 400  # TestClient's "testserver"
        for host in ("127.0.0.1", "127.0.0.1:8000", "localhost", "LOCALHOST:8000", "[::1]:8000",
                     "localhost."):
            assert c.get("/health", headers={"host": host}).status_code == 200, host


def test_configured_hosts(served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIAPWISATA_ALLOWED_HOSTS", "siap.mimika.example, *.kantor.example")
    assert get_settings().allowed_hosts == ("siap.mimika.example", "*.kantor.example")
    with TestClient(create_app(served, allowed_hosts=["10.0.0.5"])) as c:
        for host, status in (("siap.mimika.example", 200), ("gis.kantor.example:8000", 200),
                             ("10.0.0.5:8000", 200), ("127.0.0.1", 200),
                             ("kantor.example.evil", 400), ("10.0.0.6", 400),
                             ("testserver", 400)):
            assert c.get("/health", headers={"host": host}).status_code == status, host


def test_serve_checks_hosts_and_warns_on_all_interfaces(served: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from geo.cli import app

    monkeypatch.delenv("SIAPWISATA_ALLOWED_HOSTS", raising=False)
    apps: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda a, **kw: apps.append((a, kw)))
    runner = CliRunner()
    quiet = runner.invoke(app, ["serve", "--workspace", str(served)])
    assert quiet.exit_code == 0, quiet.output
    assert "PERINGATAN" not in quiet.output
    wide = runner.invoke(app, ["serve", "--workspace", str(served), "--host", "0.0.0.0",
                               "--allow-host", "siap.mimika.example"])
    assert wide.exit_code == 0, wide.output
    assert "PERINGATAN: --host 0.0.0.0" in wide.output
    assert "semua antarmuka jaringan" in wide.output and "--allow-host" in wide.output
    assert apps[1][1]["host"] == "0.0.0.0"
    with TestClient(apps[1][0]) as c:
        assert c.get("/health", headers={"host": "siap.mimika.example"}).status_code == 200
        assert c.get("/health", headers={"host": "0.0.0.0"}).status_code == 400
        assert c.get("/health", headers={"host": "evil.example"}).status_code == 400
    lan = runner.invoke(app, ["serve", "--workspace", str(served), "--host", "192.168.1.20"])
    assert lan.exit_code == 0 and "PERINGATAN" not in lan.output
    with TestClient(apps[2][0]) as c:
        assert c.get("/health", headers={"host": "192.168.1.20:8000"}).status_code == 200


# --- API contract ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def scores_ids(served: Path) -> list[str]:
    return sorted(Workspace(served).read("scores")["id"].astype(str))


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "components": spec["components"]}


def _error_schema(spec: dict[str, Any]) -> dict[str, Any]:
    return _resolve(spec, {"$ref": "#/components/schemas/ErrorResponse"})


def _documented(spec: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    resp = spec["paths"][path][method]["responses"][str(status)]
    return _resolve(spec, resp["content"]["application/json"]["schema"])


def test_every_operation_documents_400_and_error_bodies(spec) -> None:
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            assert "400" in responses, (method, path)
            for status in ("400", "404", "409", "422"):
                if status in responses:
                    schema = responses[status]["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, \
                        (method, path, status)
            if op.get("parameters") or op.get("requestBody"):
                assert "422" in responses, (method, path)


@pytest.mark.parametrize(
    ("method", "url", "path", "body"),
    [
        ("get", "/api/destinations/" + "x" * 201, "/api/destinations/{id}", None),
        ("get", "/api/destinations/" + "x" * 201 + "/reach", "/api/destinations/{id}/reach", None),
        ("get", "/api/destinations?kelas=super", "/api/destinations", None),
        ("get", "/api/destinations?distrik=Atlantis", "/api/destinations", None),
        ("get", "/api/umkm?type=warung", "/api/umkm", None),
        ("get", "/maps/readiness?distrik=" + "x" * 101, "/maps/readiness", None),
        ("get", "/maps/priorities?budget=abc", "/maps/priorities", None),
        ("get", "/api/priorities?budget=-1", "/api/priorities", None),
        ("post", "/api/score", "/api/score", {"weights": {"pu": "1"}}),
        ("post", "/api/score", "/api/score", {"weights": {"jalan": 1}}),
        ("post", "/api/score", "/api/score", [1, 2]),
    ],
)
def test_422_bodies_match_the_documented_schema(client: TestClient, spec, method: str, url: str,
                                                path: str, body: Any) -> None:
    r = client.request(method.upper(), url, json=body)
    assert r.status_code == 422, r.text[:300]
    jsonschema.validate(r.json(), _documented(spec, path, method, 422))
    assert r.json()["errors"], r.text


@pytest.mark.parametrize(
    "body",
    [
        {"weights": {"pu": "1"}},
        {"weights": {"pu": True}},
        {"weights": {"pu": False}},
        {"weights": {"umkm": "0.5"}},
        {"ranks": "yes"},
        {"ranks": 1},
        {"ranks": "true"},
    ],
)
def test_score_body_types_are_strict(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/api/score", json=body)
    assert r.status_code == 422, r.text[:300]
    field = r.json()["errors"][0]["field"]
    assert field.startswith("body."), field


def test_weights_whose_sum_overflows_are_refused(client: TestClient) -> None:
    dims = tomllib.loads(default_config_text("readiness.toml"))["dimensions"]
    huge = {d: 1e308 for d in dims}
    r = client.post("/api/score", json={"weights": huge, "ranks": False})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.weights"
    assert "jumlah bobot terlalu besar" in r.json()["detail"]


def test_one_huge_weight_scores_like_that_agency_alone(client: TestClient, served: Path) -> None:
    """Only ratios matter: pu = 1e308 against the configured others is pu alone (the
    others' share, ~1e-308, is below what a score can show)."""
    r = client.post("/api/score", json={"weights": {"pu": 1e308}, "ranks": False})
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert body["weights"]["pu"] == pytest.approx(1.0)
    got = {d["id"]: d["score"] for d in body["destinations"]}
    stored = Workspace(served).read("scores")
    known = stored[stored["score_pu"].notna()]
    assert len(known)
    for _, row in known.iterrows():
        assert got[str(row["id"])] == pytest.approx(float(row["score_pu"])), row["id"]


def test_minus_zero_budget_is_zero(client: TestClient, served: Path) -> None:
    if not has_priorities(served):
        pytest.skip(NO_PRIORITIES)
    r = client.get("/api/priorities", params={"budget": "-0"})
    assert r.status_code == 200
    assert r.json()["budget"] == 0.0
    assert math.copysign(1.0, r.json()["budget"]) == 1.0
    assert '"budget":-0' not in r.text
    assert r.content == client.get("/api/priorities", params={"budget": "0"}).content
    assert client.get("/maps/priorities", params={"budget": "-0.0"}).status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("DELETE", "/api/destinations", {"GET"}),
        ("POST", "/api/priorities", {"GET"}),
        ("PUT", "/maps/readiness", {"GET"}),
        ("GET", "/api/score", {"POST"}),
    ],
)
def test_405_carries_allow(client: TestClient, method: str, url: str, allow: set[str]) -> None:
    r = client.request(method, url)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} >= allow
    assert method not in {m.strip() for m in r.headers["allow"].split(",")}
    assert r.json()["detail"]


def test_distrik_parameters_list_the_workspace_distrik(client: TestClient, served: Path,
                                                       spec) -> None:
    admin = Workspace(served).read("admin_areas")
    dis = admin[admin["level"] == "distrik"]
    want = {*dis["kode"].astype(str), *dis["nama"].astype(str)}
    seen = 0
    for path, item in spec["paths"].items():
        for op in item.values():
            for p in op.get("parameters", []):
                if p["name"] == "distrik":
                    assert set(p["schema"]["enum"]) == want, path
                    seen += 1
    assert seen >= 4  # readiness and priorities maps, destinations, UMKM, kampung
    # every documented value is served
    for value in sorted(want)[:3]:
        assert client.get("/api/destinations", params={"distrik": value}).status_code == 200


def test_weights_schema_follows_readiness_toml(served: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A dimension added to readiness.toml is a weight of the API, without code changes."""
    text = default_config_text("readiness.toml")
    block = re.search(r"^\[dimensions\.kominfo\].*?(?=^# -{10,})", text, re.S | re.M)
    assert block is not None
    # The copy owns no columns: each column has one owner, and kominfo keeps its own.
    own = re.compile(r"^\[dimensions\.kominfo\.owns\].*?(?=^\[|\Z)", re.S | re.M)
    extra = own.sub("", block.group(0)).replace("[dimensions.kominfo", "[dimensions.dinsos"
                                                ).replace('agency = "Diskominfo"',
                                                          'agency = "Dinas Sosial"')
    cfg = tmp_path / "readiness.toml"
    cfg.write_text(text + "\n" + extra, encoding="utf-8")
    monkeypatch.setenv("SIAPWISATA_READINESS_CONFIG", str(cfg))
    dims = tomllib.loads(cfg.read_text())["dimensions"]
    with TestClient(create_app(served)) as c:
        schema = c.get("/openapi.json").json()["components"]["schemas"]["ScoreWeights"]
        assert set(schema["properties"]) == set(dims) and "dinsos" in dims
        assert "Dinas Sosial" in schema["properties"]["dinsos"]["description"]
        assert schema["additionalProperties"] is False
        r = c.post("/api/score", json={"weights": {"dinsos": 0, "pu": 1}, "ranks": False})
        assert r.status_code == 200, r.text[:300]
        assert set(r.json()["weights"]) == set(dims)
        assert c.post("/api/score", json={"weights": {"jalan": 1}}).status_code == 422



def test_a_distrik_without_destinations_has_a_map(client: TestClient, served: Path) -> None:
    """Found by the schemathesis run: folium's search control failed on an empty layer."""
    ws = Workspace(served)
    admin = ws.read("admin_areas")
    dis = admin[admin["level"] == "distrik"]
    scores = ws.read("scores")
    empty = [str(row["nama"]) for _, row in dis.iterrows()
             if not scores.geometry.within(row.geometry).any()]
    assert empty, "every distrik has a destination: pick another check"
    r = client.get("/maps/readiness", params={"distrik": empty[0]})
    assert r.status_code == 200, r.text[:300]
    assert "Cari destinasi" not in r.text  # no search box over nothing
