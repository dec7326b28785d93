"""``/docs``: Swagger UI from the npm package swagger-ui-dist, with no request leaving the
machine, under the page's own Content-Security-Policy (issue 14.3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from maps._assets import external_urls
from tests import _browser as browser


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    # the docs need no data: a workspace that does not exist yet still has its API
    return TestClient(create_app(tmp_path_factory.mktemp("docs") / "ws.gpkg"),
                      base_url="http://127.0.0.1")


def _loads(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_docs_page_loads_only_local_files(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert external_urls(r.text) == []
    loads = _loads(r.text)
    assert {u.rsplit("/", 1)[-1] for u in loads} == {
        "swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}
    for url in loads:
        assert url.startswith("/static/npm/swagger-ui-dist/")
        got = client.get(url)
        assert got.status_code == 200 and len(got.content) > 500, url
    # the online validator badge of Swagger UI would call validator.swagger.io
    assert '"validatorUrl": null' in r.text
    csp = r.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "'sha256-" in csp  # the inline start-up script, allowed by its hash only
    assert client.get("/redoc").status_code == 404


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from browser.chromium(tmp_path_factory.mktemp("chrome"))


@pytest.mark.browser
def test_swagger_ui_renders_offline_in_chromium(driver: Any, tmp_path: Path) -> None:
    with browser.served_app(tmp_path / "ws.gpkg") as base:
        driver.get(f"{base}/docs")
        title = browser.wait_for(driver, "#swagger-ui .info .title", timeout=30)
        assert "SIAP Wisata API" in title.text
        browser.wait_for(driver, "#swagger-ui .opblock")
        assert browser.leaving_loopback(browser.requests_made(driver)) == []
        assert browser.console_errors(driver) == []
