"""HTML templates (Jinja2, autoescaped) rendered to PDF with WeasyPrint.

The templates ship inside the package (``geo/report/templates``, package data). Every value
goes through Jinja's autoescaping, so a destination named ``<script>`` prints as that text.
WeasyPrint is given a URL fetcher that refuses every URL: a report is built only from what
the template holds (inline CSS and SVG), never from the network or the file system, even
if some text managed to look like a link.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from typing import Any, NoReturn

import jinja2

from geo.exceptions import SiapError

TEMPLATES = "templates"


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates (autoescaped, strict undefined)."""
    folder = resources.files("geo.report") / TEMPLATES
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(template: str, context: dict[str, Any]) -> str:
    """The report's HTML (what the PDF is made of)."""
    return environment().get_template(template).render(**context)


def _refuse(url: str, timeout: int = 10, ssl_context: object = None) -> NoReturn:
    raise ValueError(f"laporan PDF tidak mengambil sumber luar: {url[:80]}")


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML document (A4, per the template's ``@page`` rules).

    Raises
    ------
    SiapError
        WeasyPrint or its system libraries (Pango) are missing: ``make system-deps``.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: libpango not installed
        raise SiapError(f"WeasyPrint tidak dapat dimuat ({exc}); pasang pustaka sistemnya "
                        "dengan 'make system-deps'") from None
    # WeasyPrint warns for every CSS property it ignores and every refused URL; a report
    # is made of our own template, so those warnings are noise for the user.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=_refuse).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
