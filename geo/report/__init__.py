"""Printable PDF reports (``siapwisata report``; the web's "Cetak / unduh PDF" buttons).

Four reports, each an HTML template (Jinja2, autoescaped) rendered by WeasyPrint:

``destinasi``
    One destination on one A4 page: class and score, the per-agency bars with their bounds,
    a small map of its 15/30-minute reach, its actions and adopted tasks.
``distrik``
    The scored destinations inside one distrik, in rank order, and a map.
``opd``
    One agency: the destinations it holds back, its tasks, its committed budget, its last
    data update and the completeness of its columns (its part of the rapor OPD).
``prioritas``
    The road programme: the sections selected within the budget with a map, their costs
    and the destinations each serves.

Every report carries the date, the workspace version, the "DATA CONTOH (SINTETIS)" banner
when the data hold synthetic rows, the OSM credit, an "Asumsi" box and the data sources.
The values are read from the stored outputs (:mod:`geo.report.build`), never recomputed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from geo.access import AccessResult
from geo.exceptions import SiapError
from geo.io.workspace import Workspace, atomic_write
from geo.report.build import (
    BANNER,
    Programme,
    UnknownReportId,
    agency_context,
    destination_context,
    distrik_context,
    find_distrik,
    priorities_context,
    priorities_table,
)
from geo.report.render import html_to_pdf, render_html

KINDS: Final = ("destinasi", "distrik", "opd", "prioritas")
"""The reports ``siapwisata report`` writes."""
PDF: Final = "application/pdf"

__all__ = [
    "BANNER",
    "KINDS",
    "PDF",
    "Programme",
    "Report",
    "UnknownReportId",
    "agency_pdf",
    "destination_pdf",
    "distrik_pdf",
    "find_distrik",
    "priorities_pdf",
    "priorities_table",
    "report_pdf",
    "write_report",
]


@dataclass(frozen=True)
class Report:
    """A rendered report."""

    pdf: bytes
    filename: str
    """A suggested file name (ASCII, for ``Content-Disposition``)."""
    html: str
    """The HTML it was rendered from."""


def _slug(text: str) -> str:
    """``text`` as a safe ASCII file-name part."""
    out = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in text)
    return "-".join(p for p in out.split("-") if p)[:60] or "laporan"


def _render(template: str, context: dict[str, Any], filename: str) -> Report:
    html = render_html(template, context)
    return Report(pdf=html_to_pdf(html), filename=filename, html=html)


def destination_pdf(ws: Workspace, id: str, *, access: AccessResult | None = None,
                    today: date | None = None) -> Report:
    """The one-page report of destination ``id`` (:func:`destination_context`)."""
    ctx = destination_context(ws, id, access=access, today=today)
    return _render("destinasi.html", ctx, f"destinasi-{_slug(id)}.pdf")


def distrik_pdf(ws: Workspace, key: str, *, today: date | None = None) -> Report:
    """The report of a distrik, by Kemendagri code or name (:func:`distrik_context`)."""
    ctx = distrik_context(ws, key, today=today)
    return _render("distrik.html", ctx, f"distrik-{_slug(ctx['distrik'])}.pdf")


def agency_pdf(ws: Workspace, key: str, *, today: date | None = None) -> Report:
    """The report of an agency, by its readiness.toml dimension key (:func:`agency_context`)."""
    ctx = agency_context(ws, key, today=today)
    return _render("opd.html", ctx, f"rapor-{_slug(key)}.pdf")


def priorities_pdf(ws: Workspace, *, budget: float | None = None,
                   authority: str | None = None, programme: Programme | None = None,
                   today: date | None = None) -> Report:
    """The road-programme report (:func:`priorities_context`)."""
    ctx = priorities_context(ws, budget=budget, authority=authority, programme=programme,
                             today=today)
    return _render("prioritas.html", ctx, "program-jalan.pdf")


def report_pdf(kind: str, ws: Workspace, id: str | None = None, *,
               budget: float | None = None, authority: str | None = None,
               today: date | None = None) -> Report:
    """Any of the :data:`KINDS`, checked before any work.

    Raises
    ------
    SiapError
        An unknown kind, a missing ``id`` (every kind but ``prioritas``), or
        :class:`UnknownReportId`.
    """
    if kind not in KINDS:
        raise SiapError(f"jenis laporan '{kind}' tidak dikenal; pilih: {', '.join(KINDS)}")
    if kind != "prioritas" and not (id or "").strip():
        what = {"destinasi": "id destinasi (mis. DST-001)",
                "distrik": "nama atau kode distrik (mis. Mimika Baru atau 94.04.01)",
                "opd": "kunci OPD di readiness.toml (mis. pu)"}[kind]
        raise SiapError(f"laporan {kind} memerlukan --id: {what}")
    if kind == "prioritas" and id is not None:
        raise SiapError("laporan prioritas tidak memakai --id (anggaran dan kewenangan: "
                        "--budget dan --authority)")
    if kind != "prioritas" and (budget is not None or authority is not None):
        raise SiapError("--budget dan --authority hanya untuk laporan prioritas")
    ws.require()
    key = (id or "").strip()
    if kind == "destinasi":
        return destination_pdf(ws, key, today=today)
    if kind == "distrik":
        return distrik_pdf(ws, key, today=today)
    if kind == "opd":
        return agency_pdf(ws, key, today=today)
    return priorities_pdf(ws, budget=budget, authority=authority, today=today)


def write_report(kind: str, ws: Workspace, out: str | os.PathLike[str],
                 id: str | None = None, *, budget: float | None = None,
                 authority: str | None = None) -> Report:
    """Write a report to ``out`` (.pdf), atomically: a failure leaves no half file.

    Raises
    ------
    SiapError
        ``out`` is not a .pdf, or as :func:`report_pdf`.
    """
    path = Path(out)
    if path.suffix.lower() != ".pdf":
        raise SiapError(f"--out harus berakhiran .pdf, bukan '{path.name}'")
    report = report_pdf(kind, ws, id, budget=budget, authority=authority)

    def write(tmp: Path) -> None:
        tmp.write_bytes(report.pdf)

    atomic_write(path, write)
    return report
