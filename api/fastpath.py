"""Cached answers straight from the event loop: the fast lane for pages already built.

Every page, GeoJSON and download of this API is built once per workspace version and kept
as a :class:`api._util.Body` (:mod:`api.deps`). Even so, serving a kept body went through
FastAPI's routing, dependency injection and the thread pool: about 3.5 ms of server time
per request, so 50 clients saw a p95 of ~300 ms on cached pages (issue 10, item 9) while the
machine's second core recomputed new budgets. This ASGI layer answers a request it has
seen before directly from the store's per-version cache, without leaving the event loop:
a dictionary lookup, an ``os.stat`` (:meth:`WorkspaceStore.version`) and one write.

What it serves is exactly what the endpoint answered the first time: an endpoint opts in
by returning :meth:`Body.response`, which marks its response with :data:`MARK`; nothing
else is kept (errors, ``/health``, the recomputed answers of ``POST /api/score``). The key
is the method, path and raw query string, so the same URL gets the same bytes until the
workspace version changes, when the store's cache starts afresh. Entries count against the
store's memory bound like every other cached value.

It also makes the pages cheap on the slow links of Mimika's districts:

- bodies of text types are kept gzip-compressed as well, and sent so to clients that
  accept it (``Vary: Accept-Encoding``): a map page shrinks about ten-fold;
- every answer carries an ``ETag`` (a hash of its bytes) and ``Cache-Control: no-cache``,
  so a browser revalidates and gets ``304 Not Modified`` while the data is unchanged.

It sits inside the Host check (and must stay inside any future access check): a refused
request never reaches it. The security headers are added outside it, as on every answer.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.exceptions import SiapError

if TYPE_CHECKING:
    from .deps import WorkspaceStore

MARK = "x-siapwisata-body"
"""Internal response header of :meth:`Body.response`: this answer depends only on the URL
and the workspace version. Always removed before the answer leaves the server."""
_MARK = MARK.encode("latin-1")
COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/javascript",
                "image/svg+xml")
MIN_GZIP_BYTES = 1024  # below this, gzip's header and a second ETag are not worth it
DEFAULT_CACHE_CONTROL = b"no-cache"  # the data changes with the workspace: revalidate


@dataclass(frozen=True)
class Kept:
    """One answer as sent: its headers (without length and encoding), identity body and,
    for text types, the gzip-compressed body."""

    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: bytes
    gzipped: bytes | None
    gzip_etag: bytes | None


def _key(scope: Scope) -> Hashable:
    return ("fastpath", scope["method"], scope["path"], scope.get("query_string", b""))


def _accepts_gzip(headers: Headers) -> bool:
    for part in headers.get("accept-encoding", "").lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


def _etag(body: bytes, suffix: str = "") -> bytes:
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}{suffix}"'.encode("ascii")


def _matches(headers: Headers, etag: bytes) -> bool:
    wanted = headers.get("if-none-match")
    if not wanted:
        return False
    tag = etag.decode("ascii")
    return wanted.strip() == "*" or any(
        t.strip().removeprefix("W/") == tag for t in wanted.split(","))


def keep(start: Message, body: bytes) -> Kept:
    """The :class:`Kept` form of an answer (gzip computed here: call it off the loop)."""
    headers = tuple((k, v) for k, v in start.get("headers", [])
                    if k.lower() not in (b"content-length", b"content-encoding", _MARK))
    media = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), "")
    gzipped = None
    if len(body) >= MIN_GZIP_BYTES and media.startswith(COMPRESSIBLE):
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        if len(gzipped) >= len(body):
            gzipped = None
    return Kept(headers, body, _etag(body), gzipped, _etag(body, "-gz") if gzipped else None)


async def send_kept(kept: Kept, request_headers: Headers, send: Send) -> None:
    """Send a kept answer: gzip when accepted, 304 when the client holds these bytes."""
    use_gzip = kept.gzipped is not None and _accepts_gzip(request_headers)
    body = kept.gzipped if use_gzip and kept.gzipped is not None else kept.body
    etag = kept.gzip_etag if use_gzip and kept.gzip_etag is not None else kept.etag
    headers = list(kept.headers)
    names = {k.lower() for k, _ in headers}
    if b"cache-control" not in names:
        headers.append((b"cache-control", DEFAULT_CACHE_CONTROL))
    headers.append((b"etag", etag))
    if kept.gzipped is not None:
        headers.append((b"vary", b"Accept-Encoding"))
    if _matches(request_headers, etag):
        kept_names = (b"cache-control", b"etag", b"vary", b"content-security-policy")
        headers = [(k, v) for k, v in headers if k.lower() in kept_names]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    if use_gzip:
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FastPath:
    """ASGI middleware: answer ``GET`` requests seen before from the store's cache.

    Parameters
    ----------
    app
        The application behind it (FastAPI's routing).
    store
        The workspace store whose per-version cache holds the kept answers.
    """

    def __init__(self, app: ASGIApp, store: WorkspaceStore):
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, _unmarked(send))
            return
        key = _key(scope)
        try:
            version = self.store.version()
            kept = self.store.lookup(key, None)
        except SiapError:  # no workspace: the endpoints answer with the reason
            await self.app(scope, receive, _unmarked(send))
            return
        if isinstance(kept, Kept):
            await send_kept(kept, Headers(scope=scope), send)
            return
        await self._first(scope, receive, send, key, version)

    async def _first(self, scope: Scope, receive: Receive, send: Send, key: Hashable,
                     version: str) -> None:
        """Let the endpoint answer. A marked 200 answer is held back, kept for the next
        requests and sent like them (gzip, ETag); any other answer passes through."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                marked = any(k.lower() == _MARK for k, _ in message.get("headers", []))
                if marked and message.get("status") == 200:
                    start = message
                    return
                message = _strip_mark(message)
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                return
            await send(message)

        await self.app(scope, receive, capture)
        if start is None:
            return
        kept = await anyio.to_thread.run_sync(keep, start, b"".join(chunks))
        self.store.put(key, kept, version)
        await send_kept(kept, Headers(scope=scope), send)


def _strip_mark(message: Message) -> Message:
    headers = message.get("headers", [])
    if not any(k.lower() == _MARK for k, _ in headers):
        return message
    return {**message, "headers": [(k, v) for k, v in headers if k.lower() != _MARK]}


def _unmarked(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = _strip_mark(message)
        await send(message)

    return wrapped
