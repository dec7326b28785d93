"""A browser without login is sent to the login page, a script hears 401 (issue 12).

An HTML form submitted without a session (a write page opened in another tab after the
session ended, say) must not answer raw JSON: the browser gets a 303 to
``/masuk?next=`` and comes back, after logging in, to the page the form was on. Scripts
(no ``Accept: text/html``, or a bearer token) keep the documented JSON 401. The map pages
carry the account widget like the other pages.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api._writers import csv_bytes

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
ROAD = csv_bytes([{"ruas_id": "R00001", "kondisi": "baik", "permukaan": "aspal"}])


@pytest.fixture(scope="module", params=[False, True], ids=["loopback", "login-to-read"])
def anon(request: pytest.FixtureRequest, served: Path):
    # the served workspace is only read here: every write below is refused before it runs
    app = create_app(served, login_to_read=request.param)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _next(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    target = urlsplit(response.headers["location"])
    assert target.path == "/masuk"
    assert response.headers["cache-control"] == "no-store"
    return parse_qs(target.query)["next"][0]


def test_upload_form_without_login_goes_to_login_and_back(anon: TestClient) -> None:
    r = anon.post("/kontribusi/unggah", data={"kind": "road-conditions"},
                  files={"file": ("a.csv", ROAD, "text/csv")},
                  headers={**HTML, "Referer": "http://testserver/kontribusi?x=1"})
    assert _next(r) == "/kontribusi?x=1"


def test_form_without_referer_comes_back_to_its_section(anon: TestClient) -> None:
    r = anon.post("/kontribusi/terapkan", data={"token": "abc"}, headers=HTML)
    assert _next(r) == "/kontribusi"
    r = anon.post("/riwayat/kembalikan", data={"version": "1"}, headers=HTML)
    assert _next(r) == "/riwayat"


def test_foreign_referer_is_not_followed(anon: TestClient) -> None:
    r = anon.post("/kontribusi/jalan", data={"ruas_id": "R00001", "condition": "baik"},
                  headers={**HTML, "Referer": "https://evil.example/kontribusi"})
    assert _next(r) == "/kontribusi"


def test_scripts_still_get_json_401(anon: TestClient) -> None:
    r = anon.post("/kontribusi/unggah", data={"kind": "road-conditions"},
                  files={"file": ("a.csv", ROAD, "text/csv")})
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/json")
    assert "masuk" in r.json()["detail"].lower()
    # a bearer token that is wrong is an error for the script, even asking for HTML
    r = anon.post("/kontribusi/unggah", data={"kind": "road-conditions"},
                  files={"file": ("a.csv", ROAD, "text/csv")},
                  headers={**HTML, "Authorization": "Bearer salah"})
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/json")
    # JSON writes are for scripts: 401 whatever the Accept header
    r = anon.patch("/api/roads/R00001", json={"condition": "baik"}, headers=HTML)
    assert r.status_code == 401


def test_map_pages_show_the_account_widget(anon: TestClient, served: Path) -> None:
    app = create_app(served)
    with TestClient(app) as c:
        for page in ("/maps/readiness", "/maps/priorities"):
            r = c.get(page)
            assert r.status_code == 200, page
            body = r.text
            assert 'id="siap-akun"' in body and '<script src="/akun.js" defer>' in body
            assert '<a href="/masuk">Masuk</a>' in body
            assert body.index('id="siap-akun"') > body.lower().index("<body")
