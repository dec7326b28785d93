"""Errors as JSON with a clear message: unknown ids 404, bad parameters 422, never a 500
for anything a user can send.

Domain errors (:class:`~geo.exceptions.SiapError`) keep their Indonesian message; FastAPI's
validation errors (English in pydantic) are reworded in Indonesian by
:func:`geo.exceptions.validation_text`.
A workspace that lacks a layer a request needs (no ``scores`` yet, say) is a 409
Conflict: the request is fine, the workspace must first be brought to that state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.exceptions import (
    AuthError,
    ConfigError,
    InputError,
    ScopeError,
    SiapError,
    validation_text,
)
from maps import UnknownArea

from ._lane import Busy
from .auth import is_browser_form, login_redirect
from .schemas import ErrorItem, ErrorResponse

log = logging.getLogger("siapwisata.api")


class NotFound(SiapError):
    """An id that names nothing in the workspace."""


class BadParameter(SiapError):
    """A parameter that is well-formed but not acceptable (e.g. unknown weight name)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    def __reduce__(self) -> tuple[object, ...]:  # raised in the writer's process too
        return (type(self), (self.field, self.message))


class WriteInterrupted(SiapError):
    """The writer's worker process died during a write (killed, out of memory): nothing
    of that write is stored (the update is atomic); it may be sent again (503)."""

    def __init__(self, message: str | None = None):
        super().__init__(message or (
            "penyimpanan terputus (proses penulis berhenti); tidak ada yang tersimpan dari "
            "perubahan ini, silakan kirim lagi"))


BUSY_RESPONSE: dict[str, Any] = {
    "model": ErrorResponse,
    "description": "Server sibuk menghitung anggaran/bobot baru (busy recomputing new budgets "
                   "or weights): the recomputation queue is full; retry after Retry-After "
                   "seconds. Cached answers are not affected.",
    "headers": {"Retry-After": {"description": "Seconds to wait before retrying",
                                "schema": {"type": "integer", "minimum": 1}}},
}


def _json(status: int, body: ErrorResponse, headers: Mapping[str, str] | None = None,
          ) -> JSONResponse:
    return JSONResponse(status_code=status, content=body.model_dump(exclude_none=True),
                        headers=dict(headers) if headers else None)


_STATUS_WORDS = {
    404: "tidak ditemukan",
    405: "metode tidak diizinkan",
}


# One table of domain error -> HTTP status, for the JSON handler and for the HTML forms
# (which show the message on a page instead). Order matters: the first match wins, and
# anything else a user caused is a conflict with the workspace's state (409).
# ConfigError is reached only from server-side configuration files (request weights are
# checked by the routers and become BadParameter): the server cannot answer as set up.
_STATUS: tuple[tuple[type[SiapError], int], ...] = (
    (NotFound, 404), (UnknownArea, 422), (BadParameter, 422), (Busy, 503),
    (WriteInterrupted, 503),
    (ConfigError, 503), (InputError, 422), (AuthError, 401), (ScopeError, 403),
)


def status_of(exc: SiapError) -> int:
    """The HTTP status of a domain error, as :func:`install`'s handler answers it."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 409


def _error_answer(exc: SiapError) -> tuple[ErrorResponse, dict[str, str] | None]:
    """The JSON body of a domain error (with the field or choices it names) and its headers."""
    if isinstance(exc, UnknownArea):
        return ErrorResponse(detail=str(exc), choices=exc.choices,
                             errors=[ErrorItem(field="query.distrik", message=str(exc))]), None
    if isinstance(exc, BadParameter):
        return ErrorResponse(detail=str(exc),
                             errors=[ErrorItem(field=exc.field, message=str(exc))]), None
    if isinstance(exc, Busy):
        return ErrorResponse(detail=str(exc)), {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, WriteInterrupted):
        return ErrorResponse(detail=str(exc)), {"Retry-After": "1"}
    return ErrorResponse(detail=str(exc)), None


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        items = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            items.append(ErrorItem(field=".".join(loc) or "request", message=validation_text(e)))
        head = "; ".join(f"{i.field}: {i.message}" for i in items[:5])
        return _json(422, ErrorResponse(
            detail=f"parameter tidak sah: {head}", errors=items))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"{request.url.path}: {_STATUS_WORDS[404]}"
        elif exc.status_code == 405:
            detail = f"{request.method} {request.url.path}: {_STATUS_WORDS[405]}"
        # keeps the headers the exception carries: 405 must say what is Allowed
        return _json(exc.status_code, ErrorResponse(detail=detail), exc.headers)

    @app.exception_handler(SiapError)
    async def _siap(request: Request, exc: SiapError) -> Response:
        if isinstance(exc, AuthError) and is_browser_form(request.method, request.headers):
            # a browser submitting a form (or opening a page) without login goes to the
            # login page and comes back; scripts get the documented 401
            return login_redirect(request.method, request.url.path, request.url.query,
                                  request.headers)
        body, headers = _error_answer(exc)
        return _json(status_of(exc), body, headers)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not a user error; still JSON, and logged with its traceback.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _json(500, ErrorResponse(
            detail=f"galat internal: {type(exc).__name__}: {exc}"))
