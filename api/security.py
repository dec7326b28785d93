"""Security headers on every response, and the Host check against DNS rebinding.

Every response carries ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
``Referrer-Policy: no-referrer`` and a Content-Security-Policy. HTML pages get a policy
that lets them load only from this server (:func:`page_policy`); the inline scripts
folium writes are allowed by their SHA-256 hash, computed once when the page is built and
cached with it, so injected markup can run nothing. Every other response (JSON, files)
gets :data:`DEFAULT_POLICY`, which allows nothing at all.

Requests are answered only when their ``Host`` header names this server
(:class:`HostCheck`): a web page on another site that rebinds its own name to 127.0.0.1
would otherwise read the workspace through the visitor's browser.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .schemas import ErrorItem, ErrorResponse

# Always allowed: the loopback names a browser on the same machine uses.
DEFAULT_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
# Addresses that mean "every interface" when listening; never a Host a browser sends.
WILDCARD_BIND = frozenset({"0.0.0.0", "::", "[::]", ""})

DEFAULT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

_INLINE = re.compile(r"<(?P<tag>script|style)\b(?P<attrs>[^>]*)>(?P<body>.*?)</(?P=tag)\s*>",
                     re.IGNORECASE | re.DOTALL)
_SRC_ATTR = re.compile(r"\bsrc\s*=", re.IGNORECASE)


def _sha256(text: str) -> str:
    # Browsers hash the element's text as parsed, where CR LF and CR became LF.
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return "'sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii") + "'"


def inline_hashes(html: str) -> tuple[list[str], list[str]]:
    """CSP hash sources of the inline ``<script>`` and ``<style>`` elements of a page."""
    scripts: list[str] = []
    styles: list[str] = []
    for m in _INLINE.finditer(html):
        if m.group("tag").lower() == "script":
            if not _SRC_ATTR.search(m.group("attrs")):
                scripts.append(_sha256(m.group("body")))
        else:
            styles.append(_sha256(m.group("body")))
    return sorted(set(scripts)), sorted(set(styles))


def allow_inline(policy: str, snippet: str) -> str:
    """``policy`` that also allows the inline scripts and styles of ``snippet`` (markup
    added to a page after its policy was made: the stale banner), by hash."""
    scripts, styles = inline_hashes(snippet)
    extra = {"script-src": scripts, "style-src-elem": styles}
    parts = []
    for directive in policy.split(";"):
        name = directive.strip().split(" ", 1)[0]
        add = [h for h in extra.get(name, []) if h not in directive.split()]
        parts.append(" ".join([directive.strip(), *add]))
    return "; ".join(parts)


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL (a tile server), else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    # Tile URL templates may hold {s} subdomains: allow the parent domain's subdomains.
    host = re.sub(r"^\{s\}\.", "*.", parts.netloc.rsplit("@", 1)[-1])
    if "{" in host or "}" in host or ";" in host or " " in host:
        return None
    return f"{parts.scheme}://{host}"


def page_policy(html: str, *, image_sources: Sequence[str] = ()) -> str:
    """The Content-Security-Policy of one HTML page.

    Scripts: this server's files and the page's own inline scripts by hash, never
    ``'unsafe-inline'`` or ``'unsafe-eval'``. Style elements likewise; style
    *attributes* stay allowed (Leaflet's popups, legends and badges use them, and CSS
    attributes cannot run code). Images: this server, ``data:`` (icons inlined by CSS,
    the empty favicon) and the optional tile server. ``fetch`` only to this server.
    """
    scripts, styles = inline_hashes(html)
    img = " ".join(["'self'", "data:", *image_sources])
    return "; ".join([
        "default-src 'self'",
        "script-src " + " ".join(["'self'", *scripts]),
        # style-src is the fallback for browsers without the -elem/-attr directives
        "style-src 'self' 'unsafe-inline'",
        "style-src-elem " + " ".join(["'self'", *styles]),
        "style-src-attr 'unsafe-inline'",
        f"img-src {img}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


class SecurityHeaders:
    """ASGI middleware: the headers of :data:`HEADERS` on every response, and
    :data:`DEFAULT_POLICY` on those that set no Content-Security-Policy of their own."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", DEFAULT_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def normalise_host(value: str) -> str:
    """A Host header or host name without port, brackets, trailing dot or case."""
    value = value.strip().lower()
    if value.startswith("["):  # IPv6 literal, maybe with a port: [::1]:8000
        end = value.find("]")
        value = value[1:end] if end > 0 else value
    elif value.count(":") == 1:  # name or IPv4 with a port
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def allowed_hosts(*extra: Iterable[str]) -> list[str]:
    """:data:`DEFAULT_HOSTS` plus the given names, normalised, without wildcard binds."""
    out: list[str] = []
    for name in (*DEFAULT_HOSTS, *(n for names in extra for n in names)):
        host = normalise_host(name)
        if host and host not in WILDCARD_BIND and host not in out:
            out.append(host)
    return out


class HostCheck(TrustedHostMiddleware):
    """Starlette's TrustedHostMiddleware, answering a refused Host with a JSON 400 in the
    API's error format (and reading IPv6 literals such as ``[::1]:8000`` correctly).

    Patterns are those of Starlette: exact names, ``*.example.org`` for subdomains,
    ``*`` for any host (not recommended).
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]):
        super().__init__(app, allowed_hosts=[normalise_host(h) if h != "*" else h
                                             for h in allowed_hosts], www_redirect=False)

    def _allowed(self, host: str) -> bool:
        return any(host == p or (p.startswith("*") and host.endswith(p[1:]))
                   for p in self.allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = Headers(scope=scope).get("host", "")
        host = normalise_host(raw)
        if host and self._allowed(host):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        shown = raw[:100] or "(kosong)"
        body = ErrorResponse(
            detail=(f"host '{shown}' tidak diizinkan: server ini hanya "
                    f"melayani {', '.join(self.allowed_hosts)}; tambahkan nama lain dengan "
                    "'siapwisata serve --allow-host NAMA' atau SIAPWISATA_ALLOWED_HOSTS"),
            errors=[ErrorItem(field="header.host", message="host tidak diizinkan")],
        )
        response = JSONResponse(status_code=400, content=body.model_dump(exclude_none=True))
        await response(scope, receive, send)
