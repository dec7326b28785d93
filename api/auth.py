"""Who is asking: sessions, API tokens, CSRF and the read rule (issue 12).

The names below are the contract the routers use:

- ``CurrentUser``: the logged-in user, or None.
- ``WriterDep``: a logged-in editor or admin; for cookie sessions on unsafe methods the CSRF
  token (form field or ``X-CSRF-Token`` header, both named by :data:`CSRF_FIELD` /
  :data:`CSRF_HEADER`) is checked. Raises :class:`~geo.exceptions.AuthError` (401) or
  :class:`~geo.exceptions.ScopeError` (403, a viewer, or a missing or wrong CSRF token).
- ``AdminDep``: a logged-in admin.
- :func:`csrf_token`: the token a template puts in every form's hidden ``csrf_token`` field.
- :func:`account_context`: what the header widget (``_akun.html``) shows.

Logins come from the login page (``/masuk``, :mod:`api.routers.auth`) as a signed,
HttpOnly, SameSite=Lax session cookie (Secure over https), or from an API token sent as
``Authorization: Bearer``, which needs no CSRF token: a browser never adds it by itself.
State (key, sessions, rate limit) lives in :class:`api.services.auth.AuthState`.

The read rule (:class:`ReadGate`): reading is open when the server listens on 127.0.0.1
(the default); otherwise every page and API read needs a login unless ``serve
--public-read``. The gate is ASGI middleware *outside* :class:`api.fastpath.FastPath`,
which answers cached pages before any routing or dependency runs.
"""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.accounts import User
from geo.exceptions import AuthError, ScopeError

from .schemas import ErrorResponse
from .services.auth import ANONYMOUS, SESSION_COOKIE, Auth, AuthState, same

CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_PATHS: Final = frozenset({"/health", "/masuk", "/keluar", "/akun.js", "/api/akun"})
"""Answered without login whatever the read rule: liveness, the login itself, and what the
login page loads."""
OPEN_PREFIXES: Final = ("/static/",)
_STATE_KEY: Final = "siapwisata_auth"


def auth_state(request: Request) -> AuthState:
    state: AuthState = request.app.state.auth
    return state


def _authenticate(state: AuthState, scope: Scope) -> Auth:
    """The request's :class:`Auth`, computed once per request (the gate and the
    dependencies share it through the ASGI scope)."""
    holder: dict[str, Any] = scope.setdefault("state", {})
    found = holder.get(_STATE_KEY)
    if isinstance(found, Auth):
        return found
    headers = Headers(scope=scope)
    cookies = _cookies(headers)
    auth = state.authenticate(headers.get("authorization"), cookies.get(SESSION_COOKIE))
    holder[_STATE_KEY] = auth
    return auth


def _cookies(headers: Headers) -> dict[str, str]:
    from starlette.requests import cookie_parser

    return cookie_parser(headers.get("cookie", ""))


def request_auth(request: Request) -> Auth:
    """How this request authenticated (anonymous if not)."""
    return _authenticate(auth_state(request), request.scope)


async def current_user(request: Request) -> User | None:
    """The user of this request's session cookie or bearer token (None: not logged in).

    Raises
    ------
    AuthError
        A bearer token that is not valid.
    """
    return request_auth(request).user


async def require_writer(request: Request,
                         user: Annotated[User | None, Depends(current_user)]) -> User:
    """A logged-in editor or admin, with the CSRF token checked for cookie sessions."""
    if user is None:
        raise AuthError("Perlu masuk untuk mengubah data.")
    if not user.can_write:
        raise ScopeError(f"Akun '{user.username}' hanya boleh membaca (peran viewer).")
    auth = request.scope.get("state", {}).get(_STATE_KEY)
    # A user set by a dependency override (tests) has no Auth here: nothing to check.
    if isinstance(auth, Auth) and auth.via == "cookie" and request.method not in SAFE_METHODS:
        await check_csrf(request, auth)
    return user


async def require_admin(user: Annotated[User, Depends(require_writer)]) -> User:
    """A logged-in admin (Bappeda)."""
    if not user.is_admin:
        raise ScopeError(f"Hanya admin yang boleh melakukan ini; akun '{user.username}' "
                         f"berperan {user.role}.")
    return user


async def check_csrf(request: Request, auth: Auth) -> None:
    """The request's CSRF token (header, else form field) must be its session's; a
    cross-site ``Origin`` is refused too (defence in depth beside SameSite)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise ScopeError("Permintaan dari situs lain ditolak (cross-site request refused).")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        media = request.headers.get("content-type", "")
        if media.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent:
        raise ScopeError("Token CSRF tidak ada: muat ulang halaman lalu kirim lagi formulirnya "
                         f"(kolom '{CSRF_FIELD}' atau header {CSRF_HEADER}).")
    assert auth.sid is not None
    if not same(sent, auth_state(request).csrf(auth.sid)):
        raise ScopeError("Token CSRF salah atau kedaluwarsa: muat ulang halaman lalu kirim "
                         "lagi formulirnya.")


def csrf_token(request: Request) -> str:
    """The CSRF token of this request's session, for a form's hidden field ('' without a
    cookie session: then there is nothing to protect, and writes need a login anyway)."""
    try:
        auth = request_auth(request)
    except AuthError:
        return ""
    return auth_state(request).csrf(auth.sid) if auth.via == "cookie" and auth.sid else ""


def account_context(request: Request) -> dict[str, Any]:
    """The ``akun`` value of the header widget (``{% include "_akun.html" %}``): the user
    (or None), the CSRF token of the logout form and the page to come back to.

    Only for pages built per request: a page served from the cache (``Body.response``)
    must not show a user, and includes the widget without ``akun`` (filled by
    ``/akun.js``)."""
    try:
        auth = request_auth(request)
    except AuthError:
        auth = ANONYMOUS
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {"user": auth.user, "csrf": csrf_token(request) if auth.user else "",
            "next": quote(here, safe="/")}


CurrentUser = Annotated[User | None, Depends(current_user)]
WriterDep = Annotated[User, Depends(require_writer)]
AdminDep = Annotated[User, Depends(require_admin)]


# --- the read rule ----------------------------------------------------------------------


def is_open_path(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def wants_html(headers: Headers) -> bool:
    return "text/html" in headers.get("accept", "")


FORM_MEDIA: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_browser_form(method: str, headers: Headers) -> bool:
    """A browser opening a page or submitting an HTML form (no bearer token: a script's
    request with a wrong token must hear 401, not be sent to a login page)."""
    if not wants_html(headers) or headers.get("authorization"):
        return False
    if method in ("GET", "HEAD"):
        return True
    return method == "POST" and headers.get("content-type", "").startswith(FORM_MEDIA)


def login_redirect(method: str, path: str, query: str, headers: Headers) -> RedirectResponse:
    """303 to the login page, coming back afterwards to the page asked for or, for a
    submitted form, to the page the form was on (its same-origin ``Referer``; else the
    form's own section, ``/kontribusi/unggah`` -> ``/kontribusi``): a form's target cannot
    be opened with GET."""
    if method in ("GET", "HEAD"):
        here = path + (f"?{query}" if query else "")
    else:
        here = _referer_path(headers) or "/" + path.strip("/").split("/")[0]
    response = RedirectResponse(f"/masuk?next={quote(here, safe='')}", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _referer_path(headers: Headers) -> str | None:
    referer = headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc != headers.get("host") or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//") or parts.path == "/masuk":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class ReadGate:
    """ASGI middleware: when reading needs a login, answer an anonymous request with a
    303 to the login page (browsers asking for HTML) or a 401 (everything else), before
    the fast path or any route sees it. Answers to logged-in readers are marked
    ``Cache-Control: private`` so no shared cache on the office network keeps them.

    Parameters
    ----------
    app
        The application inside (the fast path, then FastAPI's routing).
    state
        The app's :class:`AuthState` (its ``login_to_read`` is the rule).
    """

    def __init__(self, app: ASGIApp, state: AuthState):
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or not self.state.login_to_read
                or is_open_path(scope["path"])):
            await self.app(scope, receive, send)
            return
        try:
            auth = _authenticate(self.state, scope)
        except AuthError as exc:
            await _refuse(scope, str(exc))(scope, receive, send)
            return
        if auth.user is None:
            headers = Headers(scope=scope)
            if is_browser_form(scope["method"], headers):
                query = scope.get("query_string", b"").decode("latin-1")
                await login_redirect(scope["method"], scope["path"], query,
                                     headers)(scope, receive, send)
                return
            await _refuse(scope, "Perlu masuk untuk membaca data di server ini: "
                                 "masuk lewat /masuk atau kirim 'Authorization: Bearer "
                                 "TOKEN'")(scope, receive, send)
            return

        async def private(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                current = headers.get("cache-control")
                if current is None:
                    headers["Cache-Control"] = "private, no-cache"
                elif "public" in current or "private" not in current:
                    headers["Cache-Control"] = "private, " + ", ".join(
                        p.strip() for p in current.split(",") if p.strip() != "public")
            await send(message)

        await self.app(scope, receive, private)


def _refuse(scope: Scope, detail: str) -> JSONResponse:
    return JSONResponse(status_code=401,
                        content=ErrorResponse(detail=detail).model_dump(exclude_none=True),
                        headers={"WWW-Authenticate": 'Bearer realm="siapwisata"',
                                 "Cache-Control": "no-store"})
