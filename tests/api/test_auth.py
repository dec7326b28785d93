"""Accounts, sessions, CSRF, tokens and the read rule (issue 12), through httpx on the real
app over a copy of the scored Mimika demo.

Independent references: cookie attributes are parsed with the standard library's
``http.cookies``; stored hashes are read from the GeoPackage with pyogrio and checked with
argon2-cffi's own verifier (not the code under test); the CSRF token a form needs is taken
from the HTML the user is shown (parsed with ``html.parser``); the fast path is shown to be
serving by looking its entry up in the store before the anonymous request. Writes go to a
small endpoint added here that only declares ``WriterDep`` / ``AdminDep``, since the real
write endpoints are built in another part of issue 12.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import stat
import time
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from api.auth import AdminDep, CurrentUser, WriterDep
from api.fastpath import Kept
from api.main import create_app
from api.services.auth import SESSION_COOKIE, secret_path, sessions_path
from geo.io.workspace import Workspace
from geo.steps.accounts import (
    add_user,
    create_token,
    disable_user,
    read_accounts,
    set_password,
)

AGENCIES = ["pariwisata", "pu", "umkm", "kominfo", "perhubungan", "bappeda"]
PASSWORDS = {"budi.pu": "jalan-mulus-2024", "vina": "hanya-membaca-1", "ani.admin": "rencana-bappeda-9"}


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory, served: Path) -> Path:
    path = tmp_path_factory.mktemp("auth") / "mimika.gpkg"
    shutil.copyfile(served, path)
    ws = Workspace(path)
    for name, agency, role in (("budi.pu", "pu", "editor"), ("vina", "pariwisata", "viewer"),
                               ("ani.admin", "bappeda", "admin")):
        add_user(ws, name, agency, role, PASSWORDS[name], admin_agency="bappeda",
                 agencies=AGENCIES)
    return path


def _with_write_routes(app: FastAPI) -> FastAPI:
    """Endpoints that only declare the dependencies under test."""

    def write(user: WriterDep) -> dict[str, str]:
        return {"username": user.username}

    def admin(user: AdminDep) -> dict[str, str]:
        return {"username": user.username}

    def who(user: CurrentUser) -> dict[str, Any]:
        return {"username": user.username if user else None}

    app.add_api_route("/api/_uji/tulis", write, methods=["POST", "PATCH", "DELETE"],
                      include_in_schema=False)
    app.add_api_route("/api/_uji/admin", admin, methods=["POST"], include_in_schema=False)
    app.add_api_route("/api/_uji/siapa", who, methods=["GET"], include_in_schema=False)
    return app


def _client(path: Path, *, login_to_read: bool = False, base_url: str = "http://testserver"
            ) -> TestClient:
    app = _with_write_routes(create_app(path, login_to_read=login_to_read))
    return TestClient(app, base_url=base_url, follow_redirects=False)


class _Form(HTMLParser):
    """Hidden inputs of every form of a page, keyed by form action."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._action = a.get("action") or ""
            self.forms.setdefault(self._action, {})
        elif tag == "input" and self._action is not None and a.get("type") == "hidden":
            self.forms[self._action][a.get("name") or ""] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._action = None


def _hidden(html: str, action: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html)
    return parser.forms[action]


def _login(c: TestClient, username: str, password: str | None = None, *, next_url: str = "/"
           ) -> Any:
    page = c.get("/masuk")
    assert page.status_code == 200
    fields = _hidden(page.text, "/masuk")
    return c.post("/masuk", data={**fields, "username": username, "next": next_url,
                                  "password": PASSWORDS[username] if password is None
                                  else password})


def _set_cookie(response: Any, name: str) -> Any:
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            return jar[name]
    raise AssertionError(f"no Set-Cookie {name}: {response.headers.get_list('set-cookie')}")


def _csrf(c: TestClient) -> str:
    token = c.get("/api/akun").json()["csrf_token"]
    assert token
    return str(token)


# --- storage ----------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes_only(ws_path: Path) -> None:
    users = pyogrio.read_dataframe(ws_path, layer="users", read_geometry=False)
    assert sorted(users["username"]) == sorted(PASSWORDS)
    hasher = PasswordHasher()
    for row in users.itertuples():
        assert row.password_hash.startswith("$argon2id$v=19$m=")
        assert hasher.verify(row.password_hash, PASSWORDS[row.username])
    raw = ws_path.read_bytes()
    for password in PASSWORDS.values():
        assert password.encode() not in raw
    # two accounts with one password still get different salts
    ws = Workspace(ws_path)
    assert read_accounts(ws).users["vina"].password_hash != hasher.hash(PASSWORDS["vina"])


# --- login, cookie, logout ----------------------------------------------------------------


def test_login_sets_httponly_samesite_session_cookie(ws_path: Path) -> None:
    with _client(ws_path) as c:
        r = _login(c, "budi.pu", next_url="/maps/readiness")
        assert r.status_code == 303 and r.headers["location"] == "/maps/readiness"
        cookie = _set_cookie(r, SESSION_COOKIE)
        assert cookie["httponly"] is True
        assert cookie["samesite"].lower() == "lax"
        assert cookie["path"] == "/"
        assert not cookie["secure"]  # plain http on the office network
        assert 0 < int(cookie["max-age"]) <= 30 * 24 * 3600
        # the cookie value is signed: the session id alone is not accepted
        me = c.get("/api/akun").json()
        assert me["masuk"] and me["username"] == "budi.pu" and me["agency"] == "pu"
        c.cookies.set(SESSION_COOKIE, cookie.value[:-2] + ("AA" if cookie.value[-2:] != "AA"
                                                            else "BB"))
        assert c.get("/api/akun").json()["masuk"] is False
    with _client(ws_path) as c:  # logging in again ends the earlier session of this browser
        _login(c, "budi.pu")
        first = c.cookies.get(SESSION_COOKIE)
        assert _login(c, "vina").status_code == 303
        assert c.get("/api/akun").json()["username"] == "vina"
    with _client(ws_path) as other:
        other.cookies.set(SESSION_COOKIE, first)
        assert other.get("/api/akun").json()["masuk"] is False
    with _client(ws_path, base_url="https://testserver") as c:
        r = _login(c, "budi.pu")
        assert _set_cookie(r, SESSION_COOKIE)["secure"] is True


def test_wrong_password_unknown_name_and_disabled_account_do_not_log_in(
        ws_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "w.gpkg"
    shutil.copyfile(ws_path, path)
    disable_user(Workspace(path), "vina")
    with _client(path) as c:
        for name, password in (("budi.pu", "salah-sekali-1"), ("tidak.ada", "apa-saja-123"),
                               ("vina", PASSWORDS["vina"])):
            r = _login(c, name, password)
            assert r.status_code == 401, name
            assert "Nama akun atau kata sandi salah" in r.text
            assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_login_form_has_its_own_csrf_token(ws_path: Path) -> None:
    with _client(ws_path) as c:
        r = c.post("/masuk", data={"username": "budi.pu", "password": PASSWORDS["budi.pu"]})
        assert r.status_code == 403 and SESSION_COOKIE not in r.headers.get("set-cookie", "")
        fields = _hidden(c.get("/masuk").text, "/masuk")
        for wrong in ("0" * 64, "\u00fc" * 10):
            r = c.post("/masuk", data={**fields, "csrf_token": wrong, "username": "budi.pu",
                                       "password": PASSWORDS["budi.pu"]})
            assert r.status_code == 403


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_login_never_redirects_off_site(ws_path: Path, target: str) -> None:
    with _client(ws_path) as c:
        r = _login(c, "budi.pu", next_url=target)
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_login_page_satisfies_the_pages_policy(ws_path: Path) -> None:
    with _client(ws_path) as c:
        r = c.get("/masuk")
    assert r.headers["cache-control"] == "no-store"
    policy = r.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    style = r.text.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "<script" not in r.text
    assert 'lang="id"' in r.text and "Kata sandi" in r.text and "Masuk" in r.text
    login = _set_cookie(r, "siapwisata_masuk")
    assert login["httponly"] is True and login["samesite"].lower() == "strict"


def test_logout_ends_the_session_even_for_a_copied_cookie(ws_path: Path) -> None:
    with _client(ws_path) as c:
        _login(c, "budi.pu")
        stolen = c.cookies.get(SESSION_COOKIE)
        token = _csrf(c)
        assert c.post("/api/_uji/tulis", headers={"X-CSRF-Token": token}).status_code == 200
        # logout needs the session's CSRF token too
        assert c.post("/keluar", data={"csrf_token": "salah"}).status_code == 403
        r = c.post("/keluar", data={"csrf_token": token})
        assert r.status_code == 303 and r.headers["location"].startswith("/masuk")
        assert c.cookies.get(SESSION_COOKIE) is None
    with _client(ws_path) as c:
        c.cookies.set(SESSION_COOKIE, stolen)
        assert c.get("/api/akun").json()["masuk"] is False
        assert c.post("/api/_uji/tulis", headers={"X-CSRF-Token": token}).status_code == 401


def test_password_change_and_disable_end_open_sessions(ws_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "w.gpkg"
    shutil.copyfile(ws_path, path)
    with _client(path) as c:
        _login(c, "budi.pu")
        assert c.get("/api/akun").json()["masuk"]
        set_password(Workspace(path), "budi.pu", "baru-dan-panjang-7")
        assert c.get("/api/akun").json()["masuk"] is False
        assert _login(c, "budi.pu", "baru-dan-panjang-7").status_code == 303
        assert c.get("/api/akun").json()["masuk"]
        disable_user(Workspace(path), "budi.pu")
        assert c.get("/api/akun").json()["masuk"] is False


def test_session_state_and_key_files_are_private(ws_path: Path) -> None:
    with _client(ws_path) as c:
        _login(c, "budi.pu")
    for path in (secret_path(ws_path), sessions_path(ws_path)):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert len(secret_path(ws_path).read_text().strip()) == 64


# --- rate limit --------------------------------------------------------------------------


def test_failed_logins_are_rate_limited_with_retry_after(ws_path: Path) -> None:
    with _client(ws_path) as c:
        for _ in range(5):
            assert _login(c, "budi.pu", "tebakan-salah-0").status_code == 401
        r = _login(c, "budi.pu")  # even the right password waits now
        assert r.status_code == 429
        assert 0 < int(r.headers["retry-after"]) <= 300
        assert "Terlalu banyak percobaan" in r.text
        assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
        # another account from the same address is not locked by these five ...
        assert _login(c, "ani.admin").status_code == 303
        # ... but one address trying many names is, after 20 failures in all
        for i in range(15):
            assert _login(c, f"nama{i}", "tebakan-salah-0").status_code == 401
        assert _login(c, "vina").status_code == 429


# --- CSRF and roles on writes -------------------------------------------------------------


def test_cookie_writes_need_the_sessions_csrf_token(ws_path: Path) -> None:
    with _client(ws_path) as c:
        assert c.post("/api/_uji/tulis").status_code == 401  # not logged in
        _login(c, "budi.pu")
        token = _csrf(c)
        missing = c.post("/api/_uji/tulis")
        assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
        wrong = c.post("/api/_uji/tulis", headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403 and "CSRF" in wrong.json()["detail"]
        assert c.patch("/api/_uji/tulis", json={}).status_code == 403
        # text that is not ASCII is a wrong token too, never a server error
        assert c.post("/api/_uji/tulis", data={"csrf_token": "sandi-\u00fc\u0000"}).status_code == 403
        assert c.delete("/api/_uji/tulis").status_code == 403
        ok = c.post("/api/_uji/tulis", headers={"X-CSRF-Token": token})
        assert ok.status_code == 200 and ok.json() == {"username": "budi.pu"}
        form = c.post("/api/_uji/tulis", data={"csrf_token": token})
        assert form.status_code == 200
        multipart = c.post("/api/_uji/tulis", data={"csrf_token": token},
                           files={"file": ("a.csv", b"id\n1\n", "text/csv")})
        assert multipart.status_code == 200
        cross = c.post("/api/_uji/tulis", headers={"X-CSRF-Token": token,
                                                   "Origin": "http://evil.example"})
        assert cross.status_code == 403
        assert c.post("/api/_uji/admin", headers={"X-CSRF-Token": token}).status_code == 403
    with _client(ws_path) as other:  # another session's token is not this one's
        _login(other, "ani.admin")
        assert other.post("/api/_uji/admin", headers={"X-CSRF-Token": token}).status_code == 403
        assert other.post("/api/_uji/admin",
                          headers={"X-CSRF-Token": _csrf(other)}).status_code == 200


def test_a_viewer_cannot_write(ws_path: Path) -> None:
    with _client(ws_path) as c:
        _login(c, "vina")
        r = c.post("/api/_uji/tulis", headers={"X-CSRF-Token": _csrf(c)})
        assert r.status_code == 403 and "viewer" in r.json()["detail"]


# --- API tokens ---------------------------------------------------------------------------


def test_bearer_tokens_write_without_csrf_and_record_their_use(ws_path: Path,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "w.gpkg"
    shutil.copyfile(ws_path, path)
    token = create_token(Workspace(path), "budi.pu", "skrip-uji")
    assert token not in path.read_bytes().decode("latin-1")
    with _client(path) as c:
        auth = {"Authorization": f"Bearer {token}"}
        r = c.post("/api/_uji/tulis", headers=auth)
        assert r.status_code == 200 and r.json() == {"username": "budi.pu"}
        bad = c.post("/api/_uji/tulis", headers={"Authorization": f"Bearer {token}x"})
        assert bad.status_code == 401 and "token" in bad.json()["detail"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # written off the request, once a day at most
            used = [t.last_used for t in read_accounts(Workspace(path)).tokens.values()]
            if used[0]:
                break
            time.sleep(0.2)
        assert used[0] and used[0].startswith(time.strftime("%Y-", time.gmtime()))
        disable_user(Workspace(path), "budi.pu")
        assert c.post("/api/_uji/tulis", headers=auth).status_code == 401


# --- the read rule -------------------------------------------------------------------------


def test_reading_is_open_on_loopback_by_default(ws_path: Path) -> None:
    with _client(ws_path) as c:
        for url in ("/", "/maps/readiness", "/api/destinations", "/openapi.json"):
            r = c.get(url, headers={"accept": "text/html"})
            assert r.status_code == 200, url
        assert c.post("/api/_uji/tulis").status_code == 401  # writing still needs login


def test_reading_needs_login_off_loopback_also_on_the_fast_path(ws_path: Path) -> None:
    key = ("fastpath", "GET", "/", b"")
    with _client(ws_path, login_to_read=True) as c:
        store = c.app.state.store  # type: ignore[attr-defined]
        anon = c.get("/", headers={"accept": "text/html"})
        assert anon.status_code == 303
        assert anon.headers["location"] == "/masuk?next=%2F"
        assert store.lookup(key, None) is None  # the gate answered before the app
        _login(c, "vina")
        page = c.get("/")
        assert page.status_code == 200 and "private" in page.headers["cache-control"]
        assert isinstance(store.lookup(key, None), Kept)  # now kept: the fast path serves it
        again = c.get("/")
        assert again.status_code == 200 and again.content == page.content
        c.cookies.clear()
        anon = c.get("/", headers={"accept": "text/html"})
        assert anon.status_code == 303 and SESSION_COOKIE not in anon.text
        for url in ("/api/destinations", "/maps/readiness", "/openapi.json", "/api/kampung"):
            r = c.get(url)
            assert r.status_code == 401, url
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert "masuk" in r.json()["detail"].lower()
        html = c.get("/maps/readiness?distrik=Mimika%20Baru", headers={"accept": "text/html"})
        assert html.headers["location"] == "/masuk?next=%2Fmaps%2Freadiness%3Fdistrik%3DMimika%2520Baru"
        # revalidation of a kept page is no way around it
        etag = page.headers["etag"]
        assert c.get("/", headers={"if-none-match": etag}).status_code == 401
        for url in ("/health", "/masuk", "/static/app/siapwisata.css", "/akun.js"):
            assert c.get(url).status_code == 200, url
        assert c.get("/api/akun").json()["masuk"] is False
        token = create_token(Workspace(ws_path), "vina", "baca")
        r = c.get("/api/destinations", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["features"]


def test_serve_requires_login_off_loopback_unless_public_read(
        ws_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from geo.cli import app

    apps: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda a, **kw: apps.append(a))
    runner = CliRunner()
    for args, login in (([], False), (["--host", "192.168.1.20"], True),
                        (["--host", "0.0.0.0", "--allow-host", "siap.mimika.example"], True),
                        (["--host", "192.168.1.20", "--public-read"], False),
                        (["--host", "127.0.0.2"], False)):
        result = runner.invoke(app, ["serve", "--workspace", str(ws_path), *args])
        assert result.exit_code == 0, result.output
        assert apps[-1].state.auth.login_to_read is login, args
        host = "192.168.1.20" if "192.168.1.20" in args else "127.0.0.1"
        with TestClient(apps[-1], follow_redirects=False) as c:
            r = c.get("/api/destinations", headers={"host": host})
            assert r.status_code == (401 if login else 200), args
    wide = runner.invoke(app, ["serve", "--workspace", str(ws_path), "--host", "0.0.0.0"])
    assert "perlu masuk" in wide.output


# --- the header widget -----------------------------------------------------------------------


def test_header_widget_on_cached_pages_shows_no_user(ws_path: Path) -> None:
    with _client(ws_path) as c:
        _login(c, "budi.pu")
        logged_in = c.get("/")
        c.cookies.clear()
        anonymous = c.get("/")
    assert logged_in.content == anonymous.content  # one cached page for everyone
    assert "budi.pu" not in logged_in.text
    assert 'id="siap-akun"' in logged_in.text and 'src="/akun.js"' in logged_in.text
    assert 'href="/masuk"' in logged_in.text


def test_header_widget_rendered_per_request(ws_path: Path) -> None:
    from api.auth import account_context
    from api.services.pages import templates

    with _client(ws_path) as c:
        app = c.app

        def page(request: Request) -> HTMLResponse:
            html = templates.get_template("_akun.html").render(akun=account_context(request))
            return HTMLResponse(html)

        app.add_api_route("/uji/akun", page, methods=["GET"])  # type: ignore[attr-defined]
        anon = c.get("/uji/akun?a=1&b=2")
        assert 'href="/masuk?next=/uji/akun%3Fa%3D1%26b%3D2"' in anon.text
        _login(c, "ani.admin")
        r = c.get("/uji/akun")
        assert "ani.admin (bappeda)" in r.text and "Keluar" in r.text
        fields = _hidden(r.text, "/keluar")
        assert c.post("/keluar", data=fields).status_code == 303
        assert c.get("/api/akun").json()["masuk"] is False


def test_a_login_survives_a_server_restart(ws_path: Path) -> None:
    """The key and the sessions are kept beside the workspace, not in the process."""
    with _client(ws_path) as c:
        _login(c, "budi.pu")
        cookie = c.cookies.get(SESSION_COOKIE)
    with _client(ws_path) as restarted:
        restarted.cookies.set(SESSION_COOKIE, cookie)
        assert restarted.get("/api/akun").json()["username"] == "budi.pu"
        token = _csrf(restarted)
        assert restarted.post("/keluar", data={"csrf_token": token}).status_code == 303
    with _client(ws_path) as again:
        again.cookies.set(SESSION_COOKIE, cookie)
        assert again.get("/api/akun").json()["masuk"] is False


@pytest.mark.browser
def test_login_widget_and_logout_in_chromium(ws_path: Path, tmp_path: Path) -> None:
    """The login page and the widget's script run under the pages' CSP in a real browser:
    log in, see "<akun> (<instansi>) · Keluar" on the cached landing page, log out."""
    from contextlib import contextmanager

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests._browser import chromium, console_errors, served_app, wait_for

    with served_app(ws_path) as url, contextmanager(chromium)(tmp_path) as driver:
        driver.get(url + "/")
        assert driver.find_element(By.CSS_SELECTOR, "#siap-akun a").text == "Masuk"
        driver.get(url + "/masuk?next=/maps/readiness")
        driver.find_element(By.ID, "username").send_keys("budi.pu")
        driver.find_element(By.ID, "password").send_keys(PASSWORDS["budi.pu"])
        driver.find_element(By.CSS_SELECTOR, "form[action='/masuk'] button").click()
        WebDriverWait(driver, 30).until(lambda d: d.current_url == url + "/maps/readiness")
        driver.get(url + "/")
        form = wait_for(driver, "#siap-akun form.akun-keluar")
        assert "budi.pu (pu)" in form.text and "Keluar" in form.text
        assert "budi.pu" not in driver.page_source.split('id="siap-akun"', 1)[0]
        form.find_element(By.CSS_SELECTOR, "button").click()
        WebDriverWait(driver, 30).until(lambda d: "/masuk" in d.current_url)
        assert "Anda sudah keluar" in driver.page_source
        driver.get(url + "/")
        time.sleep(1)  # the widget's fetch has answered: still "Masuk"
        assert driver.find_element(By.CSS_SELECTOR, "#siap-akun a").text == "Masuk"
        assert not driver.find_elements(By.CSS_SELECTOR, "#siap-akun form")
        assert console_errors(driver) == []
