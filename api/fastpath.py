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

After a change (each write, then the background recomputation, makes a new version) the
answers of the earlier version are kept aside by the store. A ``GET`` whose current answer
is not built yet gets the earlier one at once, marked as old (:func:`mark_stale`: the
``X-SiapWisata-Versi-Data: lama`` header, and on a page the banner of
:mod:`api.services.freshness`), while one background build makes the current one
(stale-while-revalidate). Before, every reader of every page waited for its rebuild after
each write, and those rebuilds held the interpreter lock the writer needed: a read p95 of
~50 s while five agencies wrote (README, ``bench.collab``).

It also makes the pages cheap on the slow links of Mimika's districts:

- bodies of text types are kept gzip-compressed as well, and sent so to clients that
  accept it (``Vary: Accept-Encoding``): a map page shrinks about ten-fold;
- every answer carries an ``ETag`` (a hash of its bytes) and ``Cache-Control: no-cache``,
  so a browser revalidates and gets ``304 Not Modified`` while the data is unchanged.

It sits inside the Host check (and must stay inside any future access check): a refused
request never reaches it. The security headers are added outside it, as on every answer.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.exceptions import SiapError

if TYPE_CHECKING:
    from .deps import WorkspaceStore

log = logging.getLogger("siapwisata.api")

MARK = "x-siapwisata-body"
"""Internal response header of :meth:`Body.response`: this answer depends only on the URL
and the workspace version. Always removed before the answer leaves the server."""
_MARK = MARK.encode("latin-1")
COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/javascript",
                "image/svg+xml")
MIN_GZIP_BYTES = 1024  # below this, gzip's header and a second ETag are not worth it
DEFAULT_CACHE_CONTROL = b"no-cache"  # the data changes with the workspace: revalidate
BUILDERS = 1
"""Background builds of current answers at once (stale-while-revalidate): the server has
one interpreter lock, and a second build only slows the first and every answer sent."""


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


STALE_HEADER = b"x-siapwisata-versi-data"
"""Response header of an answer sent from an earlier workspace version (value
:data:`STALE_VALUE`); the current version's answers never carry it."""
STALE_VALUE = b"lama"
_NO_STORE = b"no-store"


@dataclass(frozen=True)
class Stale:
    """An earlier version's answer in the form it is sent while the current one is built:
    marked old (:data:`STALE_HEADER`), an HTML page with the stale banner and its script
    allowed by the page's policy, never stored by a browser."""

    kept: Kept
    version: str


def mark_stale(kept: Kept, version: str) -> Stale:
    """The :class:`Stale` form of ``kept``, built on ``version`` (call it off the loop:
    an HTML page is compressed again).

    An HTML page gets the banner of :mod:`api.services.freshness` right after ``<body>``
    (unless it carries one already: it was built while its scores were stale) and the
    hash of the banner's script in its Content-Security-Policy. Any other answer keeps its
    body; the header says it is old.
    """
    from .security import allow_inline
    from .services.freshness import BANNER_ID, after_body, banner

    headers = [(k, v) for k, v in kept.headers if k.lower() != b"cache-control"]
    media = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), "")
    body = kept.body
    if media.startswith("text/html"):
        html = body.decode("utf-8")
        if f'id="{BANNER_ID}"' not in html:
            snippet = str(banner(version, old=True))
            html = after_body(html, snippet)
            headers = [(k, allow_inline(v.decode("latin-1"), snippet).encode("latin-1"))
                       if k.lower() == b"content-security-policy" else (k, v)
                       for k, v in headers]
        body = html.encode("utf-8")
    headers += [(b"cache-control", _NO_STORE), (STALE_HEADER, STALE_VALUE)]
    gzipped = None
    if kept.gzipped is not None:
        gzipped = kept.gzipped if body is kept.body else gzip.compress(
            body, compresslevel=6, mtime=0)
    return Stale(Kept(tuple(headers), body, _etag(body), gzipped,
                      _etag(body, "-gz") if gzipped else None), version)


async def send_stale(stale: Stale, request_headers: Headers, send: Send) -> None:
    """Send an earlier version's answer: always whole (never 304: the client may hold
    these bytes from when they were current, without the mark), without an ETag."""
    kept = stale.kept
    use_gzip = kept.gzipped is not None and _accepts_gzip(request_headers)
    body = kept.gzipped if use_gzip and kept.gzipped is not None else kept.body
    headers = list(kept.headers)
    if kept.gzipped is not None:
        headers.append((b"vary", b"Accept-Encoding"))
    if use_gzip:
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _wants_current(headers: Headers) -> bool:
    """The client asked for an answer checked with the origin (RFC 9111: request
    ``Cache-Control: no-cache`` or ``no-store``, or ``Pragma: no-cache``): it waits for
    the current version's answer instead of getting an earlier one (scripts that must
    read what was just written send it)."""
    cc = headers.get("cache-control", "").lower()
    return ("no-cache" in cc or "no-store" in cc
            or "no-cache" in headers.get("pragma", "").lower())


class FastPath:
    """ASGI middleware: answer ``GET`` requests seen before from the store's cache.

    A ``GET`` whose answer for the current workspace version is not kept yet, but was
    kept for an earlier version, is answered at once with that earlier answer marked as
    old (:func:`mark_stale`), while ONE build of the current answer runs in the
    background; the next request after it ends gets the new bytes. A client that sends
    ``Cache-Control: no-cache`` waits for the current answer instead. Only whole answers
    the endpoints marked as depending on nothing but URL and version are ever kept, so
    per-user pages, errors and writes never take this path.

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
        self._queued: OrderedDict[Hashable, Scope] = OrderedDict()
        self._building: set[Hashable] = set()
        self._builders: set[asyncio.Task[None]] = set()
        self._marking: dict[tuple[Hashable, str], asyncio.Task[Stale]] = {}
        self._no_stale: set[tuple[Hashable, str]] = set()  # the current build failed
        self.background_builds = 0  # builds started for stale answers (tests)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, _unmarked(send))
            return
        key = _key(scope)
        try:
            version = self.store.version()
            kept = self.store.lookup(key, None)
            earlier = (None if isinstance(kept, Kept) or (key, version) in self._no_stale
                       else self.store.previous(key))
        except SiapError:  # no workspace: the endpoints answer with the reason
            await self.app(scope, receive, _unmarked(send))
            return
        headers = Headers(scope=scope)
        if isinstance(kept, Kept):
            await send_kept(kept, headers, send)
            return
        if earlier is not None and not _wants_current(headers):
            answer, built_on = earlier
            if not isinstance(answer, Stale):
                answer = await self._marked(key, answer, built_on)
            self._revalidate(scope, key, version)
            await send_stale(answer, headers, send)
            return
        await self._first(scope, receive, send, key, version)

    async def _marked(self, key: Hashable, kept: Kept, built_on: str) -> Stale:
        """The :class:`Stale` form of an earlier answer, made once however many readers
        ask at the same moment (compressing a map page again costs tens of ms), and put
        in the earlier answer's place."""
        task = self._marking.get((key, built_on))
        if task is None:
            async def mark() -> Stale:
                stale = await anyio.to_thread.run_sync(mark_stale, kept, built_on)
                self.store.replace_previous(key, stale, built_on)
                return stale

            task = asyncio.get_running_loop().create_task(mark())
            self._marking[(key, built_on)] = task
            task.add_done_callback(lambda _: self._marking.pop((key, built_on), None))
        return await asyncio.shield(task)

    def _revalidate(self, scope: Scope, key: Hashable, version: str) -> None:
        """Queue the build of the current answer for ``key``: once (a key queued or being
        built is not queued again), and built by at most :data:`BUILDERS` background
        tasks. Unbounded, every key read after each new version started its own build:
        under a stream of writes those builds, most of them outrun by the next version,
        took every thread and the interpreter lock, and the old answers waited for it."""
        if key in self._queued or key in self._building:
            return
        # its own copy of the request: the client's may be gone when the build runs
        self._queued[key] = {**scope, "state": dict(scope.get("state") or {})}
        if len(self._builders) < BUILDERS:
            task = asyncio.get_running_loop().create_task(self._builder())
            self._builders.add(task)
            task.add_done_callback(self._builders.discard)

    async def _builder(self) -> None:
        """Build queued keys, oldest first, each for the version current when it starts
        (nothing to do when a client's own request built it meanwhile)."""
        while self._queued:
            key, scope = self._queued.popitem(last=False)
            try:
                version = self.store.version()
                if isinstance(self.store.lookup(key, None), Kept):
                    continue
            except SiapError:
                continue
            self._building.add(key)
            self.background_builds += 1
            try:
                await self._build(scope, key, version)
            finally:
                self._building.discard(key)

    async def _build(self, scope: Scope, key: Hashable, version: str) -> None:
        """Run the endpoint for a copy of the request, with no client: a marked 200
        answer is kept for ``version``; any other answer means the earlier answer must not
        stand in for it, so requests for it wait for the endpoint again."""
        state: dict[str, Any] = {"status": None, "marked": False, "start": None, "body": []}

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message.get("status")
                state["marked"] = any(k.lower() == _MARK for k, _ in message.get("headers", []))
                state["start"] = message
            elif message["type"] == "http.response.body":
                state["body"].append(message.get("body", b""))

        try:
            await self.app(scope, receive, capture)
        except Exception:  # the error middleware outside logs the same for a client
            log.exception("background build of %s failed", scope.get("path"))
        if state["status"] == 200 and state["marked"]:
            kept = await anyio.to_thread.run_sync(keep, state["start"], b"".join(state["body"]))
            self.store.put(key, kept, version)
        else:
            if len(self._no_stale) > 10_000:  # versions long gone
                self._no_stale.clear()
            self._no_stale.add((key, version))

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
