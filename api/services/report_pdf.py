"""The printable PDF reports on the web (the "Cetak / unduh PDF" buttons): the service calls
:mod:`geo.report`, the same functions as ``siapwisata report``.

A report carries the date it is printed, so it is kept per workspace version *and* day,
and never handed to the fast path (which keys by URL alone). The destination report reuses
the store's accessibility result (its reach map) and the road programme the store's
priorities table (the stored layer, or a new selection made on the recomputation lane).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from urllib.parse import quote

from geo.report import PDF, Programme, Report, UnknownReportId

from .._util import Body
from ..deps import WorkspaceStore
from ..errors import NotFound


def today() -> date:
    """The date printed on a report (UTC)."""
    return datetime.now(UTC).date()


def disposition(filename: str) -> str:
    """``Content-Disposition`` of a PDF shown in the browser (print or save from there),
    with the file name it is saved under."""
    return f'inline; filename="{filename}"; filename*=UTF-8\'\'{quote(filename)}'


def _body(report: Report) -> Body:
    return Body(report.pdf, PDF, {"Content-Disposition": disposition(report.filename)})


def _kept(store: WorkspaceStore, key: Hashable, build: Callable[[], Report]) -> Body:
    """A report kept per version and ``key`` (which holds the day); an unknown id is 404."""

    def make() -> Body:
        try:
            return _body(build())
        except UnknownReportId as exc:
            raise NotFound(str(exc)) from None

    return store.cached(key, make)


def destination_pdf(store: WorkspaceStore, id: str, day: date) -> Body:
    """``GET /destinasi/{id}.pdf``."""
    from geo.report import destination_pdf as build

    return _kept(store, ("pdf", "destinasi", id, day.isoformat()),
                 lambda: build(store.ws.require(), id, access=store.access(), today=day))


def distrik_pdf(store: WorkspaceStore, key: str, day: date) -> Body:
    """``GET /distrik/{nama}.pdf``."""
    from geo.report import distrik_pdf as build

    return _kept(store, ("pdf", "distrik", key.strip().casefold(), day.isoformat()),
                 lambda: build(store.ws.require(), key, today=day))


def agency_pdf(store: WorkspaceStore, key: str, day: date) -> Body:
    """``GET /rapor/{agency}.pdf``."""
    from geo.report import agency_pdf as build

    return _kept(store, ("pdf", "opd", key, day.isoformat()),
                 lambda: build(store.ws.require(), key, today=day))


async def priorities_pdf(store: WorkspaceStore, budget: float | None,
                         authority: str | None, day: date) -> Body:
    """``GET /prioritas.pdf``: without ``budget`` and ``authority`` the stored programme
    (as ``siapwisata report prioritas``); the thread pool when the stored layer answers,
    else the recomputation lane (a new selection)."""
    from .priorities import answer_priorities, stored_setting

    if budget is None and authority is None:
        budget = stored_setting(store)[1]
    key = ("pdf", "prioritas", budget, authority, day.isoformat())
    return await answer_priorities(store, key, (__name__, "priorities_pdf_body"), budget,
                                   authority, day.isoformat(), budget=budget,
                                   authority=authority)


def priorities_pdf_body(store: WorkspaceStore, budget: float | None, authority: str | None,
                        day: str) -> Body:
    """The road-programme PDF for a budget and authority (a lane job: plain arguments)."""
    from geo.report import priorities_pdf as build

    from .priorities import is_stored, priority_table, stored_setting

    table = priority_table(store, budget=budget, authority=authority)
    auth = authority or stored_setting(store)[0] or "kabupaten"
    programme = Programme(table, budget, auth,
                          is_stored(store, budget=budget, authority=authority))
    return _body(build(store.ws.require(), programme=programme,
                       today=date.fromisoformat(day)))
