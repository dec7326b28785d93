"""Login and logout (Bahasa Indonesia), and the account widget's data
(:mod:`api.auth`, :mod:`api.services.auth`).

- ``GET /masuk``: the login form. Its CSRF token is bound to a short-lived cookie nonce
  (a form without a session yet), so another site cannot log a browser into its account.
- ``POST /masuk``: checks the form token, the rate limit (429 with ``Retry-After``), then
  the password (argon2, off the event loop); on success a new session (never the old id:
  no fixation) and a 303 to ``next`` (a path on this server only).
- ``POST /keluar``: ends the session (CSRF-checked) and clears the cookie.
- ``GET /api/akun``: who is logged in, for the header widget of cached pages.
- ``GET /akun.js``: the widget's script (no inline script: the pages' CSP allows none
  but hashed ones).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from geo.exceptions import AuthError

from ..auth import CSRF_FIELD, auth_state, check_csrf, csrf_token, request_auth
from ..schemas import AccountInfo
from ..security import page_policy
from ..services.auth import LOGIN_COOKIE, LOGIN_FORM_SECONDS, SESSION_COOKIE, same

log = logging.getLogger("siapwisata.api")
router = APIRouter(tags=["akun"])
templates = Jinja2Templates(directory=str(resources.files("api") / "templates"))
NO_STORE = {"Cache-Control": "no-store"}

WIDGET_JS = """\
// SIAP Wisata: who is logged in, for pages served from the cache (api/routers/auth.py).
(function () {
  "use strict";
  var box = document.getElementById("siap-akun");
  if (!box || !window.fetch) { return; }
  fetch("/api/akun", {credentials: "same-origin", cache: "no-store"})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (a) {
      if (!a || !a.masuk) { return; }
      var form = document.createElement("form");
      form.method = "post";
      form.action = "/keluar";
      form.className = "akun-keluar";
      var who = document.createElement("span");
      who.textContent = a.username + " (" + a.agency + ") \\u00b7 ";
      var csrf = document.createElement("input");
      csrf.type = "hidden";
      csrf.name = "csrf_token";
      csrf.value = a.csrf_token;
      var button = document.createElement("button");
      button.type = "submit";
      button.textContent = "Keluar";
      form.appendChild(who);
      form.appendChild(csrf);
      form.appendChild(button);
      box.replaceChildren(form);
    })
    .catch(function () { /* keep the "Masuk" link */ });
}());
"""


def safe_next(value: str | None) -> str:
    """A path on this server to go to after login ("/" for anything else: no open
    redirect to another site through ``//host`` or ``/\\host``)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(ch) < 32 or ch == "\\" for ch in value):
        return "/"
    return value[:2000]


def _page(request: Request, *, next_url: str, status: int = 200, error: str = "",
          notice: str = "", username: str = "", headers: dict[str, str] | None = None,
          ) -> Response:
    """The login page with a fresh form nonce (cookie) and its CSRF token."""
    state = auth_state(request)
    nonce = secrets.token_urlsafe(24)
    try:
        user = request_auth(request).user
    except AuthError:  # a bad bearer token on the login page: show the form anyway
        user = None
    html = templates.get_template("masuk.html").render({
        "next": next_url, "error": error, "notice": notice, "username": username,
        "csrf_field": CSRF_FIELD, "csrf_token": state.mac("masuk", nonce), "user": user,
        "logout_csrf": csrf_token(request) if user else "",
    })
    response = Response(html, status_code=status, media_type="text/html; charset=utf-8",
                        headers={**NO_STORE, "Content-Security-Policy": page_policy(html),
                                 **(headers or {})})
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=LOGIN_FORM_SECONDS, path="/masuk",
                        httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.get("/masuk", response_class=Response, include_in_schema=False)
def login_page(request: Request, next: str | None = None, keluar: int = 0) -> Response:
    """Halaman masuk (login page)."""
    return _page(request, next_url=safe_next(next),
                 notice="Anda sudah keluar." if keluar else "")


@router.post("/masuk", response_class=Response, include_in_schema=False)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    form_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Masuk: check the form, the rate limit and the password; open a session."""
    state = auth_state(request)
    target = safe_next(next)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not same(form_token, state.mac("masuk", nonce)):
        return _page(request, next_url=target, status=403, username=username,
                     error="Formulir kedaluwarsa atau tidak sah; silakan coba masuk lagi.")
    address = request.client.host if request.client else "?"
    wait = state.limiter.retry_after(address, username)
    if wait:
        log.warning("login ditahan (rate limited) %d s: akun %r dari %s", wait, username[:100],
                    address)
        minutes = max(1, round(wait / 60))
        return _page(request, next_url=target, status=429, username=username,
                     headers={"Retry-After": str(wait)},
                     error=f"Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam "
                           f"sekitar {minutes} menit.")
    accounts = state.accounts()
    user = await run_in_threadpool(accounts.verify, username, password)
    if user is None:
        state.limiter.failed(address, username)
        log.warning("login gagal: akun %r dari %s", username[:100], address)
        return _page(request, next_url=target, status=401, username=username,
                     error="Nama akun atau kata sandi salah, atau akun dinonaktifkan.")
    state.limiter.succeeded(address, username)
    with contextlib.suppress(AuthError):
        previous = request_auth(request)
        if previous.via == "cookie" and previous.sid is not None:
            state.logout(previous.sid)  # one session per browser: the earlier login ends
    cookie = state.login(user)
    response = RedirectResponse(target, status_code=303, headers=NO_STORE)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(state.session_seconds), path="/",
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
    response.delete_cookie(LOGIN_COOKIE, path="/masuk")
    return response


@router.post("/keluar", response_class=Response, include_in_schema=False)
async def logout(request: Request) -> Response:
    """Keluar: end this session (CSRF-checked) and clear its cookie."""
    auth = request_auth(request)
    if auth.via == "cookie" and auth.sid is not None:
        await check_csrf(request, auth)
        auth_state(request).logout(auth.sid)
    response = RedirectResponse("/masuk?keluar=1", status_code=303, headers=NO_STORE)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/api/akun", response_model=AccountInfo)
def account(request: Request, response: Response) -> AccountInfo:
    """Who is logged in (for the header widget); the CSRF token of the logout form."""
    response.headers.update(NO_STORE)
    user = request_auth(request).user
    if user is None:
        return AccountInfo(masuk=False)
    return AccountInfo(masuk=True, username=user.username, agency=user.agency, role=user.role,
                       csrf_token=csrf_token(request) or None)


@router.get("/akun.js", include_in_schema=False)
def widget_script() -> Response:
    return Response(WIDGET_JS, media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})
